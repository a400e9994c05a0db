"""What to look for next, designed: hypothetical clues, the greedy set and the flip weights,
against brute-force enumeration on networks with each clue added as an explicit node."""

from __future__ import annotations

import json
import math

import attrs
import numpy as np
import pytest
from conftest import CASE_2025, enumerate_posteriors
from hypothesis import event, given, settings
from hypothesis import strategies as st

import argmap
from argmap.analysis.voi import DESIGNED_TESTS, flip_weights, look_for_next, parse_test_likelihoods
from argmap.cli import main
from argmap.engine.compile import Network, Variable, network_of
from argmap.engine.infer import evidence_assignment
from argmap.errors import ArgmapError
from argmap.testing import case_documents


def _with_clues(network: Network, clues) -> Network:
    """The network with each (name, variable, P(found | its states)) as an explicit child node."""
    variables = dict(network.variables)
    for name, parent, likelihood in clues:
        lik = np.asarray(likelihood, dtype=float)
        variables[name] = Variable(name, ("true", "false"), (parent,), np.stack([lik, 1 - lik], axis=-1), "evidence")
    return Network(variables)


def _clue_node(model, plan, candidate):
    """(node name, evidence for 'found', evidence for 'absent', clue spec or None) of a candidate."""
    if candidate.kind == "declared":
        return candidate.id, None
    claim = model.claims[candidate.bears_on[0]]
    return f"clue_{candidate.id}", (f"clue_{candidate.id}", claim.id, [candidate.likelihood[s] for s in claim.states])


def _mutual_information(joint: np.ndarray) -> float:
    joint = joint.reshape(joint.shape[0], -1)
    outer = joint.sum(axis=1, keepdims=True) @ joint.sum(axis=0, keepdims=True)
    mask = joint > 0
    return float((joint[mask] * np.log2(joint[mask] / outer[mask])).sum())


def _case(data, case):
    claims = case.model["claims"]
    other = data.draw(st.sampled_from(sorted(claims)))
    states = claims[other].get("states", ["true", "false"])
    case.evidence.append({"id": "declared_one", "text": "d", "bears_on": other, "expected": True,
                          "likelihood": {s: 0.15 + 0.7 * i / len(states) for i, s in enumerate(states)}})
    model = case.load()
    network = network_of(model)
    evidence = evidence_assignment(model, network, [i for i in model.evidence if i.counts_at(None)])
    free = sorted(c for c in model.claims if c not in evidence)
    if not free:
        return None
    return model, network, evidence, data.draw(st.sampled_from(free))


@settings(max_examples=30)
@given(case_documents(max_claims=4, max_items=3, max_parents=2), st.data())
def test_clues_agree_with_enumeration_of_the_clue_as_a_node(case, data):
    drawn = _case(data, case)
    if drawn is None:
        return
    model, network, evidence, target = drawn
    pair = None
    states = model.claims[target].states
    if data.draw(st.booleans()):
        pair = tuple(data.draw(st.permutations(states))[:2])
    plan = look_for_next(model, target, pair=pair)
    t_index = list(network.variables).index(target)
    assert t_index >= 0
    assert {c.kind for c in plan.candidates} >= {"hypothetical"}
    for c in plan.candidates:
        if c.kind == "claim":
            continue
        node, spec = _clue_node(model, plan, c)
        net = _with_clues(network, [spec] if spec else [])
        p_found = enumerate_posteriors(net, evidence)[node][0]
        assert c.outcomes["found"] == pytest.approx(p_found, abs=1e-9)
        joint = []
        for outcome, label in ((0, "found"), (1, "not found")):
            p_o = p_found if outcome == 0 else 1 - p_found
            if p_o < 1e-12:
                joint.append(np.zeros(len(states)))
                continue
            post = enumerate_posteriors(net, {**evidence, node: outcome})[target]
            assert list(c.posteriors[label].values()) == pytest.approx(list(post), abs=1e-9)
            joint.append(p_o * post)
        joint = np.array(joint).T  # (target, outcome)
        assert c.mutual_information == pytest.approx(_mutual_information(joint), abs=1e-9)
        event(f"checked a {c.kind} clue")
        if pair is not None:
            a, b = (states.index(s) for s in pair)
            before = 10 * math.log10(joint[a].sum() / joint[b].sum())
            expected = sum(joint[:, o].sum() * abs(10 * math.log10(joint[a, o] / joint[b, o]) - before)
                           for o in range(2) if joint[:, o].sum() > 1e-12)
            assert c.expected_shift == pytest.approx(expected, abs=1e-7)


@settings(max_examples=25)
@given(case_documents(max_claims=4, max_items=3, max_parents=2), st.data())
def test_greedy_set_value_is_the_joint_information_of_its_clues(case, data):
    drawn = _case(data, case)
    if drawn is None:
        return
    model, network, evidence, target = drawn
    k = data.draw(st.integers(1, 3))
    states = model.claims[target].states
    pair = tuple(data.draw(st.permutations(states))[:2]) if data.draw(st.booleans()) else None
    plan = look_for_next(model, target, set_size=k, pair=pair)
    by_id = {c.id: c for c in plan.candidates}
    nodes, specs = [], []
    for step in plan.set:
        node, spec = _clue_node(model, plan, by_id[step.id])
        nodes.append(node)
        specs += [spec] if spec else []
    net = _with_clues(network, specs)
    previous = 0.0
    for m in range(1, len(nodes) + 1):
        joint = np.zeros((len(states),) + (2,) * m)
        for outcome in np.ndindex(*(2,) * m):
            assignment = {**evidence, **dict(zip(nodes[:m], outcome))}
            try:
                probs = enumerate_posteriors(net, assignment)
            except FloatingPointError:
                continue
            # P(outcomes) = P(o_1) P(o_2 | o_1) …, chained by enumeration
            p = 1.0
            for j in range(m):
                p *= enumerate_posteriors(net, {**evidence, **dict(zip(nodes[:j], outcome[:j]))})[nodes[j]][outcome[j]]
            if p > 0:
                joint[(slice(None), *outcome)] = p * probs[target]
        assert plan.set[m - 1].total == pytest.approx(_set_value(joint, states, pair), abs=1e-7)
        assert plan.set[m - 1].gain == pytest.approx(plan.set[m - 1].total - previous, abs=1e-12)
        previous = plan.set[m - 1].total
        event(f"checked a set of {m}")
    # the first pick is the best single clue one can look for
    if plan.set:
        best = max(c.score for c in plan.candidates if c.kind != "claim")
        assert plan.set[0].alone == pytest.approx(best, abs=1e-12)


def _set_value(joint: np.ndarray, states, pair) -> float:
    """Bits, or with a pair the expected |change of the A:B odds| (dB), of a joint P(target, outcomes)."""
    if pair is None:
        return _mutual_information(joint)
    table = joint.reshape(joint.shape[0], -1)
    a, b = (states.index(s) for s in pair)
    before = 10 * math.log10(table[a].sum() / table[b].sum())
    return sum(table[:, o].sum() * abs(10 * math.log10(table[a, o] / table[b, o]) - before)
               for o in range(table.shape[1]) if table[:, o].sum() > 1e-15)


def _most_probable_after(case, target, state, decibels):
    """Add one item favouring ``state`` by ``decibels`` against every other state; the new mode."""
    states = case.model["claims"][target].get("states", ["true", "false"])
    ratio = 10 ** (decibels / 10)
    q = min(0.5, 0.9 / ratio)
    documents = attrs.evolve(case, evidence=[*case.evidence, {
        "id": "flipper", "text": "f", "bears_on": target,
        "likelihood": {s: ratio * q if s == state else q for s in states}}])
    posterior = documents.load().update().claims[target].posterior
    return max(posterior, key=posterior.get), posterior


@settings(max_examples=30)
@given(case_documents(max_claims=3, max_items=3, max_parents=2), st.data())
def test_an_item_of_the_flip_weight_overturns_the_verdict_and_one_just_below_does_not(case, data):
    model = case.load()
    network = network_of(model)
    evidence = evidence_assignment(model, network, [i for i in model.evidence if i.counts_at(None)])
    free = sorted(c for c in model.claims if c not in evidence)
    if not free:
        return
    target = data.draw(st.sampled_from(free))
    plan = look_for_next(model, target)
    ordered = sorted(plan.posterior.values(), reverse=True)
    if ordered[0] - ordered[1] < 1e-6:
        return  # a tie already: nothing to overturn
    leader = max(plan.posterior, key=plan.posterior.get)
    assert {f.state for f in plan.flips} == set(plan.posterior) - {leader}
    for flip in plan.flips:
        if flip.decibels > 30:
            continue  # an item that strong needs likelihoods below the generator's 0.01 floor
        above, _ = _most_probable_after(case, target, flip.state, flip.decibels + 1e-4)
        below, _ = _most_probable_after(case, target, flip.state, flip.decibels - 1e-4)
        assert above == flip.state
        assert below == leader
        event("checked a flip")


def test_conclusion_flip_for_a_followed_state():
    posterior = {"a": 0.2, "b": 0.5, "c": 0.3}
    flips = flip_weights(posterior, DESIGNED_TESTS)
    assert [f.state for f in flips] == ["c", "a"]
    assert flips[0].decibels == pytest.approx(10 * math.log10(0.5 / 0.3))
    assert flips[1].decibels == pytest.approx(10 * math.log10(2.5))
    assert flips[0].sufficient == ("smoking_gun",)  # +10 dB found > 2.2 dB; a hoop found is +2.0 dB


def test_shipped_case_conclusion_flip_and_kinds():
    model = argmap.load(CASE_2025)
    plan = look_for_next(model, "alliance", set_size=3)
    p = plan.posterior["true"]
    (flip,) = plan.flips
    assert flip.state == "true" and flip.decibels == pytest.approx(10 * math.log10((1 - p) / p))
    assert plan.conclusion_flip.decibels == pytest.approx(flip.decibels)
    kinds = {c.kind for c in plan.candidates}
    assert kinds == {"declared", "hypothetical", "claim"}
    assert {c.id for c in plan.candidates if c.kind == "declared"} == {"mutual_defence_treaty", "joint_command"}
    assert "smoking_gun(alliance)" in {c.id for c in plan.candidates}
    # the set is worth less than its members' sum: they overlap
    assert plan.set[-1].total < plan.set_independent_sum


def test_no_declared_items_still_proposes_clues(case_dir):
    import os

    with open(os.path.join(case_dir, "m.yaml"), "w") as handle:
        handle.write("argmap: 1\nclaims:\n  h:\n    text: h\n    prior: 0.4\n  c:\n    text: c\n"
                     "    supported_by: {h: 0.7}\n    leak: 0.1\n")
    plan = look_for_next(argmap.load(os.path.join(case_dir, "m.yaml")), "c")
    ids = [c.id for c in plan.candidates if c.kind == "hypothetical"]
    assert "smoking_gun(c)" in ids and "hoop(h)" in ids
    assert all(c.mutual_information > 0 for c in plan.candidates if c.kind == "hypothetical")


def test_test_likelihoods_option_is_checked():
    assert parse_test_likelihoods("hoop=0.9/0.5")["hoop"] == (0.9, 0.5)
    assert parse_test_likelihoods("doubly_decisive=0.9/0.05")["smoking_gun"] == (0.3, 0.03)
    for bad in ("hop=0.9/0.5", "hoop=0.9", "hoop=0.5/0.9", "hoop=a/b"):
        with pytest.raises(ArgmapError):
            parse_test_likelihoods(bad)


def test_cli_next_json_table_and_fixed_target(case_dir):
    import os

    from click.testing import CliRunner

    runner = CliRunner()
    result = runner.invoke(main, ["next", CASE_2025, "--target", "driver", "--format", "json", "--set", "2",
                                  "--pair", "strategic_alliance,threat_balancing",
                                  "--test-likelihoods", "hoop=0.9/0.5"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    first = data["candidates"][0]
    for key in ("kind", "bears_on", "state", "test", "likelihood", "bits", "if_found", "if_absent",
                "expected_decibels"):
        assert key in first
    hoop = next(c for c in data["candidates"] if c["id"] == "hoop(driver=strategic_alliance)")
    assert hoop["likelihood"] == {"threat_balancing": 0.5, "strategic_alliance": 0.9, "commercial_opportunism": 0.5}
    assert {f["state"] for f in data["flip"]} == {"strategic_alliance", "commercial_opportunism"}
    assert len(data["set"]["steps"]) == 2
    result = runner.invoke(main, ["next", CASE_2025, "--target", "driver", "--pair", "threat_balancing,nope"])
    assert result.exit_code == 2 and "'nope' is not a state" in result.output
    result = runner.invoke(main, ["next", CASE_2025, "--target", "alliance", "--test-likelihoods", "hoop=2/1"])
    assert result.exit_code == 2
    # a target fixed by hard evidence: one line
    with open(os.path.join(case_dir, "m.yaml"), "w") as handle:
        handle.write("argmap: 1\nevidence: [e.yaml]\nclaims:\n  h:\n    text: h\n    prior: 0.4\n")
    with open(os.path.join(case_dir, "e.yaml"), "w") as handle:
        handle.write("- id: seen\n  text: s\n  observe: {h: true}\n")
    result = runner.invoke(main, ["next", os.path.join(case_dir, "m.yaml"), "--target", "h"])
    assert result.exit_code == 0 and result.output.count("\n") == 1 and "fixed by hard evidence" in result.output
