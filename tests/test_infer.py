"""infer: posteriors against brute-force enumeration and pgmpy, the laws of probability, and
hand-worked textbook numbers."""

from __future__ import annotations

import math
import os
import tempfile

import attrs
import numpy as np
import pytest
import yaml
from conftest import enumerate_posteriors
from hypothesis import given, settings
from hypothesis import strategies as st

import argmap
from argmap.engine.compile import compile_model
from argmap.engine.infer import evidence_assignment, marginals
from argmap.testing import CaseDocuments, case_documents, evidence_sets, models


def load_case(case: CaseDocuments, files: int = 1) -> argmap.Model:
    return argmap.load(case.write(tempfile.mkdtemp(), files=files))


def counted_assignment(model: argmap.Model) -> dict[str, int]:
    network = compile_model(model)
    return evidence_assignment(model, network, [i for i in model.evidence if i.counts_at(None)])


@given(models(max_claims=5, max_parents=2))
def test_posteriors_equal_brute_force_enumeration(model):
    beliefs = model.update()
    expected = enumerate_posteriors(compile_model(model), counted_assignment(model))
    for cid, belief in beliefs.claims.items():
        np.testing.assert_allclose(list(belief.posterior.values()), expected[cid], atol=1e-9)


@settings(max_examples=30)
@given(models(max_claims=4, max_items=4))
def test_posteriors_equal_pgmpy_variable_elimination(model):
    from pgmpy.inference import VariableElimination

    network = model.to_pgmpy()
    assert network.check_model()
    beliefs = model.update()
    assignment = counted_assignment(model)
    compiled = compile_model(model)
    evidence = {name: compiled.variables[name].states[i] for name, i in assignment.items()}
    engine = VariableElimination(network)
    for cid, belief in beliefs.claims.items():
        if cid in evidence:
            continue
        factor = engine.query([cid], evidence=evidence, show_progress=False)
        pg = {state: factor.get_value(**{cid: state}) for state in belief.states}
        for state in belief.states:
            assert belief.posterior[state] == pytest.approx(pg[state], abs=1e-9)


@given(models())
def test_every_prior_and_posterior_sums_to_one(model):
    beliefs = model.update()
    for belief in beliefs.claims.values():
        assert math.fsum(belief.posterior.values()) == pytest.approx(1, abs=1e-12)
        assert math.fsum(belief.prior.values()) == pytest.approx(1, abs=1e-12)
        assert all(0 <= p <= 1 for p in belief.posterior.values())


@given(case_documents(max_claims=5, max_parents=2), st.randoms(use_true_random=False))
def test_evidence_order_and_file_split_do_not_matter(case, rng):
    before = load_case(case).update()
    shuffled = CaseDocuments(case.model, list(case.evidence), case.bibliography)
    rng.shuffle(shuffled.evidence)
    after = load_case(shuffled, files=3).update()
    for cid in before.claims:
        for state, p in before[cid].posterior.items():
            assert after[cid].posterior[state] == pytest.approx(p, abs=1e-12)


@given(case_documents(max_claims=5, max_parents=2, max_items=3), st.booleans())
def test_an_item_with_likelihood_ratio_one_changes_nothing(case, observed):
    before = load_case(case).update()
    target = next(iter(case.model["claims"]))
    states = case.model["claims"][target].get("states", ["true", "false"])
    neutral = {"id": "neutral", "text": "n", "bears_on": target, "likelihood": {s: 0.37 for s in states},
               "observed": observed}
    after = load_case(CaseDocuments(case.model, [*case.evidence, neutral], case.bibliography)).update()
    for cid in before.claims:
        for state, p in before[cid].posterior.items():
            assert after[cid].posterior[state] == pytest.approx(p, abs=1e-12)


@given(case_documents(max_claims=5, max_parents=2, max_items=4))
def test_conservation_of_expected_evidence(case):
    """P(h | e₀) = P(x | e₀)·P(h | e₀, x) + P(¬x | e₀)·P(h | e₀, ¬x) for an item x not yet used."""
    claims = case.model["claims"]
    target = sorted(claims)[-1]
    states = claims[target].get("states", ["true", "false"])
    case.evidence.append({"id": "probe", "text": "p", "bears_on": target, "expected": True,
                             "likelihood": {s: round(0.1 + 0.8 * i / len(states), 3) for i, s in enumerate(states)}})
    model = load_case(case)
    network = compile_model(model)
    base = counted_assignment(model)
    claims_ids = list(model.claims)
    now, _ = marginals(network, base, [*claims_ids, "probe"])
    found, _ = marginals(network, {**base, "probe": 0}, claims_ids)
    absent, _ = marginals(network, {**base, "probe": 1}, claims_ids)
    p_found = now["probe"][0]
    for cid in claims_ids:
        np.testing.assert_allclose(now[cid], p_found * found[cid] + (1 - p_found) * absent[cid], atol=1e-12)


@settings(max_examples=50)
@given(models(max_claims=5, max_parents=2, max_items=3), st.data())
def test_any_evidence_set_in_any_order_gives_the_posteriors_of_brute_force(model, data):
    """Evidence sets of the model's own items and new ones of every kind, in any order."""
    items = data.draw(evidence_sets(model, max_size=5))
    reordered = data.draw(st.permutations(items))
    first = attrs.evolve(model, evidence=tuple(items)).update()
    second = attrs.evolve(model, evidence=tuple(reordered))
    network = compile_model(second)
    truth = enumerate_posteriors(network, counted_assignment(second))
    for cid, belief in second.update().claims.items():
        np.testing.assert_allclose(list(belief.posterior.values()), truth[cid], atol=1e-9)
        assert first[cid].posterior == pytest.approx(belief.posterior, abs=1e-12)


# ----------------------------------------------------------------------------- textbook numbers


def write(root: str, model: dict, items: list[dict]) -> str:
    os.makedirs(os.path.join(root, "models"))
    os.makedirs(os.path.join(root, "evidence", "t"))
    path = os.path.join(root, "models", "t.yaml")
    with open(path, "w") as out:
        yaml.safe_dump({"argmap": 1, **model}, out, sort_keys=False)
    with open(os.path.join(root, "evidence", "t", "items.yaml"), "w") as out:
        yaml.safe_dump(items, out, sort_keys=False)
    return path


def test_base_rate_mammography(case_dir):
    """Gigerenzer & Hoffrage (1995): 1% prevalence, 80% sensitivity, 9.6% false positives →
    P(cancer | positive) = 0.008 / (0.008 + 0.09504) ≈ 7.8%, not 80%."""
    path = write(case_dir, {"claims": {"cancer": {"text": "c", "prior": 0.01}}},
                 [{"id": "positive", "text": "p", "bears_on": "cancer", "likelihood": {"true": 0.8, "false": 0.096}}])
    assert argmap.load(path).update().posterior("cancer") == pytest.approx(0.008 / (0.008 + 0.09504), abs=1e-12)


@pytest.mark.parametrize("observed, expected", [(True, 0.95 / 1.55), (False, 0.05 / 0.45)])
def test_hoop_test_found_and_not_found(case_dir, observed, expected):
    """Hoop test (P(E|H) 0.95, P(E|¬H) 0.6), prior 0.5: passing barely helps, failing nearly kills."""
    path = write(case_dir, {"claims": {"h": {"text": "h", "prior": 0.5}}},
                 [{"id": "hoop", "text": "x", "bears_on": "h", "test": "hoop", "observed": observed}])
    assert argmap.load(path).update().posterior("h") == pytest.approx(expected, abs=1e-12)


def test_partially_reliable_witness(case_dir):
    """Bovens & Hartmann: a witness reliable with ρ = 0.6 who, when unreliable, says yes half the
    time: P(report | H) = 0.6·1 + 0.4·0.5 = 0.8, P(report | ¬H) = 0.2 → posterior 0.8 from 0.5."""
    path = write(case_dir, {"claims": {"h": {"text": "h", "prior": 0.5}}},
                 [{"id": "w", "text": "x", "bears_on": "h", "likelihood": {"true": 1.0, "false": 0.0},
                   "reliability": 0.6}])
    assert argmap.load(path).update().posterior("h") == pytest.approx(0.8, abs=1e-12)


def test_two_reports_from_one_shared_source_are_not_double_counted(case_dir):
    """Two reports, each L = (0.9, 0.1), from one source with ρ = 0.6, a = 0.5, prior 0.5.
    Shared source: P(both | H) = 0.6·0.81 + 0.4·0.25 = 0.586, P(both | ¬H) = 0.6·0.01 + 0.1 = 0.106
    → 0.586 / 0.692. Independent sources would give 0.5476 / 0.6152 — more than the shared one."""
    items = [{"id": f"r{i}", "text": "x", "bears_on": "h", "likelihood": {"true": 0.9, "false": 0.1},
              "source": "agency"} for i in (1, 2)]
    model = {"sources": {"agency": {"text": "a", "reliability": 0.6}}, "claims": {"h": {"text": "h", "prior": 0.5}}}
    shared = argmap.load(write(case_dir, model, items)).update().posterior("h")
    assert shared == pytest.approx(0.586 / 0.692, abs=1e-12)
    independent_items = [dict({k: v for k, v in i.items() if k != "source"}, reliability=0.6) for i in items]
    root = os.path.join(case_dir, "independent")
    independent = argmap.load(write(root, {"claims": model["claims"]}, independent_items)).update().posterior("h")
    assert independent == pytest.approx(0.5476 / 0.6152, abs=1e-12)
    assert shared < independent


def test_noisy_or_with_inhibitor_by_hand(case_dir):
    """P(c | s, ¬t, a) = [1 − 0.95·0.4]·0.5 = 0.31 with leak 0.05, strengths 0.6 / 0.3, attacker 0.5."""
    claims = {
        "s": {"text": "s", "prior": 0.5}, "t": {"text": "t", "prior": 0.5}, "a": {"text": "a", "prior": 0.5},
        "c": {"text": "c", "supported_by": {"s": 0.6, "t": 0.3}, "attacked_by": {"a": 0.5}},
    }
    items = [{"id": "known", "text": "k", "observe": {"s": True, "t": False, "a": True}}]
    assert argmap.load(write(case_dir, {"claims": claims}, items)).update().posterior("c") == pytest.approx(0.31)


def test_as_of_counts_an_item_once_its_whole_period_has_passed(case_dir):
    items = [{"id": "nov", "date": "2014-11", "text": "x", "bears_on": "h", "lr": 4}]
    model = argmap.load(write(case_dir, {"claims": {"h": {"text": "h", "prior": 0.5}}}, items))
    assert model.update(as_of="2014-11-29").counted == ()
    assert model.update(as_of="2014-11-30").counted == ("nov",)
    assert model.update(as_of="2014").counted == ("nov",)
    assert model.update(as_of="2014").posterior("h") == pytest.approx(0.8)


def test_expected_items_are_ignored_by_update(case_dir):
    items = [{"id": "later", "text": "x", "bears_on": "h", "lr": 9, "expected": True}]
    beliefs = argmap.load(write(case_dir, {"claims": {"h": {"text": "h", "prior": 0.3}}}, items)).update()
    assert beliefs.counted == ()
    assert beliefs.posterior("h") == pytest.approx(0.3)


def test_impossible_evidence_names_a_minimal_set_of_items(case_dir):
    claims = {"h": {"text": "h", "prior": 0.5}}
    items = [
        {"id": "harmless", "text": "x", "bears_on": "h", "likelihood": {"true": 0.5, "false": 0.4}},
        {"id": "only_if_true", "text": "x", "bears_on": "h", "likelihood": {"true": 0.9, "false": 0.0}},
        {"id": "only_if_false", "text": "x", "bears_on": "h", "likelihood": {"true": 0.0, "false": 0.7}},
    ]
    with pytest.raises(argmap.ArgmapError) as caught:
        argmap.load(write(case_dir, {"claims": claims}, items)).update()
    [problem] = caught.value.problems
    assert "impossible evidence" in problem.message
    assert "'only_if_true'" in problem.message and "'only_if_false'" in problem.message
    assert "harmless" not in problem.message
    assert problem.location.line == 7  # where only_if_true begins


def test_long_runs_of_strong_evidence_stay_finite(case_dir):
    """600 items with LR 1000 each: odds of 10^1800 overflow a float; the posterior must be 1, not NaN."""
    items = [{"id": f"e{i}", "text": "x", "bears_on": "h", "likelihood": {"true": 1e-3, "false": 1e-6}}
             for i in range(600)]
    beliefs = argmap.load(write(case_dir, {"claims": {"h": {"text": "h", "prior": 0.5}}}, items)).update()
    assert beliefs.posterior("h") == pytest.approx(1.0)
    assert beliefs.log_evidence == pytest.approx(math.log(0.5) + 600 * math.log(1e-3), rel=1e-12)


@given(models(max_claims=5, max_parents=2, max_items=5))
def test_log_probability_of_the_evidence_equals_enumeration(model):
    beliefs = model.update()
    network = compile_model(model)
    assignment = counted_assignment(model)
    # P(e) = Σ over the joint with the evidence fixed; enumerate it as P(e) = Π_k P(e_k | e_<k)
    expected, fixed = 0.0, {}
    for name, state in assignment.items():
        expected += math.log(enumerate_posteriors(network, fixed)[name][state])
        fixed[name] = state
    assert beliefs.log_evidence == pytest.approx(expected, abs=1e-9)


@given(models(max_claims=5, max_parents=2, max_items=5))
def test_trajectory_steps_equal_updates_on_each_prefix(model):
    from argmap.engine.infer import date_order, trajectory

    steps = trajectory(model)
    counted = [i for i in date_order(model.evidence) if i.counts_at(None)]
    assert [s.item.id if s.item else None for s in steps] == [None, *(i.id for i in counted)]
    network = compile_model(model)
    for k, step in enumerate(steps):
        truth = enumerate_posteriors(network, evidence_assignment(model, network, counted[:k]))
        for cid, posterior in step.posteriors.items():
            np.testing.assert_allclose(list(posterior.values()), truth[cid], atol=1e-9)
    final = model.update()
    for cid in model.claims:
        assert steps[-1].posteriors[cid] == pytest.approx(final[cid].posterior, abs=1e-12)
