"""Rivals compared in pairs, accounts and `argmap weigh`, against brute-force enumeration of the joint."""

from __future__ import annotations

import json
import math

import attrs
import pytest
from click.testing import CliRunner
from conftest import CASE_2025, enumerate_joint
from hypothesis import given, settings
from hypothesis import strategies as st
from test_infer import write

import argmap
from argmap.analysis.pairwise import Comparison, comparisons, item_weights, weigh
from argmap.analysis.weights import weight_of_evidence
from argmap.cli import main
from argmap.engine.compile import network_of
from argmap.engine.infer import evidence_assignment
from argmap.model import Account
from argmap.output.pairwise_text import may_compare
from argmap.testing import models

DB = 10 / math.log(10)


def probability(network, fixed: dict[str, int]) -> float:
    """P(every variable in ``fixed`` takes its state), by enumerating the full joint."""
    _, joint = enumerate_joint(network, fixed)
    return float(joint.sum())


def conjunction(network, *parts: dict[str, int]) -> dict[str, int] | None:
    """The union of assignments; None when two of them disagree (probability 0)."""
    out: dict[str, int] = {}
    for part in parts:
        for name, index in part.items():
            if out.setdefault(name, index) != index:
                return None
    return out


@st.composite
def models_with_accounts(draw):
    model = draw(models(max_claims=4, max_items=4, max_states=3))
    ids = list(model.claims)
    accounts = {}
    for k in range(draw(st.integers(0, 3))):
        chosen = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=len(ids), unique=True))
        accounts[f"a{k}"] = Account(f"a{k}", {c: draw(st.sampled_from(model.claims[c].states)) for c in chosen})
    return attrs.evolve(model, accounts=accounts)


def approx_odds(x: float, expected: float) -> None:
    if math.isnan(expected) or math.isinf(expected):
        assert x == expected or (math.isnan(x) and math.isnan(expected))
    else:
        assert x == pytest.approx(expected, rel=1e-7, abs=1e-12)


@settings(max_examples=60)
@given(models_with_accounts())
def test_accounts_and_pairwise_bayes_factors_match_the_enumerated_joint(model):
    beliefs = model.update()
    network = network_of(model)
    evidence = evidence_assignment(model, network, [model.item(i) for i in beliefs.counted])
    p_evidence = probability(network, evidence)
    for name, account in model.accounts.items():
        fixed = {c: network.state_index(c, s) for c, s in account.states.items()}
        prior = probability(network, fixed)
        both = conjunction(network, fixed, evidence)
        posterior = 0.0 if both is None else probability(network, both) / p_evidence
        assert beliefs.accounts[name].prior == pytest.approx(prior, abs=1e-9)
        assert beliefs.accounts[name].posterior == pytest.approx(posterior, abs=1e-9)
    # `update`'s table asks the analysis for pairs only where there can be some
    assert may_compare(beliefs) or not comparisons(beliefs)
    for c in comparisons(beliefs):
        if c.of == "accounts":
            continue
        claim = model.claims[c.of]
        assert claim.role in ("hypothesis", "rival") and len(claim.states) >= 3
        ia, ib = network.state_index(c.of, c.a), network.state_index(c.of, c.b)
        prior_a, prior_b = probability(network, {c.of: ia}), probability(network, {c.of: ib})
        post_a = probability(network, {**evidence, c.of: ia}) / p_evidence
        post_b = probability(network, {**evidence, c.of: ib}) / p_evidence
        approx_odds(c.prior_odds, prior_a / prior_b)
        approx_odds(c.posterior_odds, post_a / post_b)
        approx_odds(c.bayes_factor, (post_a / post_b) / (prior_a / prior_b))
        assert c.decibels == pytest.approx(DB * math.log(c.bayes_factor), rel=1e-9)
    pairs = [c for c in comparisons(beliefs) if c.of == "accounts"]
    assert len(pairs) == len(model.accounts) * (len(model.accounts) - 1) // 2


@settings(max_examples=60)
@given(models(max_claims=4, max_items=4, max_states=3), st.data())
def test_weigh_per_item_pairwise_weights_and_leave_one_out_match_enumeration(model, data):
    claim = data.draw(st.sampled_from(list(model.claims)))
    result = weigh(model, claim)
    network = network_of(model)
    counted = [i for i in model.evidence if i.counts_at(None)]
    if result.fixed is not None:
        assert any(claim in evidence_assignment(model, network, [i]) for i in counted) and not result.rows
        return
    everything = evidence_assignment(model, network, counted)
    for row in result.rows:
        item = model.item(row.item)
        observation = evidence_assignment(model, network, [item])
        others = evidence_assignment(model, network, [i for i in counted if i is not item])
        for pair in row.pairs:
            ia, ib = network.state_index(claim, pair.a), network.state_index(claim, pair.b)
            # P(obs | a) / P(obs | b) in the network with no other evidence
            given_a = probability(network, {**observation, claim: ia}) / probability(network, {claim: ia})
            given_b = probability(network, {**observation, claim: ib}) / probability(network, {claim: ib})
            assert pair.decibels == pytest.approx(DB * math.log(given_a / given_b), abs=1e-7)
            with_all = math.log(probability(network, {**everything, claim: ia}) / probability(network, {**everything, claim: ib}))
            without = math.log(probability(network, {**others, claim: ia}) / probability(network, {**others, claim: ib}))
            assert pair.leave_one_out_db == pytest.approx(DB * (with_all - without), abs=1e-7)
    for k, total in enumerate(result.totals):
        ia, ib = network.state_index(claim, total.a), network.state_index(claim, total.b)
        prior_odds = probability(network, {claim: ia}) / probability(network, {claim: ib})
        posterior_odds = probability(network, {**everything, claim: ia}) / probability(network, {**everything, claim: ib})
        assert total.decibels == pytest.approx(DB * math.log(posterior_odds / prior_odds), abs=1e-7)
        assert total.naive_db == pytest.approx(sum(r.pairs[k].decibels for r in result.rows), abs=1e-9)


@settings(max_examples=40)
@given(models(max_claims=4, max_items=4, max_states=3), st.data())
def test_batched_item_weights_are_weight_of_evidence_one_at_a_time(model, data):
    claim = data.draw(st.sampled_from(list(model.claims)))
    network = network_of(model)
    items = [i for i in model.evidence if claim not in evidence_assignment(model, network, [i])]
    batched = item_weights(model, claim, items, network)
    for item in items:
        for w in batched[item.id]:
            single = weight_of_evidence(model, item, claim, w.state, network)
            assert w.p_if == pytest.approx(single.p_if, abs=1e-9)
            assert w.p_if_not == pytest.approx(single.p_if_not, abs=1e-9)
            assert w.van_evera == single.van_evera


def test_the_shipped_case_compares_its_rivals_and_accounts_in_pairs():
    """The numbers issue 12 quotes: threat balancing over strategic alliance ≈ 5.7 (+7.6 dB), over
    commercial opportunism ≈ 20.8 (+13.2 dB); the paper's account 0.15 → 0.78."""
    beliefs = argmap.load(CASE_2025).update()
    pairs = {(c.of, c.a, c.b): c for c in comparisons(beliefs)}
    assert pairs["driver", "threat_balancing", "strategic_alliance"].bayes_factor == pytest.approx(5.7, abs=0.05)
    assert pairs["driver", "threat_balancing", "commercial_opportunism"].decibels == pytest.approx(13.2, abs=0.05)
    assert beliefs.accounts["paper"].prior == pytest.approx(0.15, abs=0.01)
    assert beliefs.accounts["paper"].posterior == pytest.approx(0.78, abs=0.01)


def test_update_json_has_the_accounts_and_comparisons_of_design_7():
    result = CliRunner().invoke(main, ["update", CASE_2025, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data["accounts"]["paper"]) == {"states", "prior", "posterior"}
    assert data["accounts"]["paper"]["states"] == {"cooperation": "true", "driver": "threat_balancing", "alliance": "false"}
    first = data["comparisons"][0]
    assert set(first) == {"of", "a", "b", "prior_odds", "posterior_odds", "bayes_factor", "decibels"}
    assert {c["of"] for c in data["comparisons"]} == {"driver", "accounts"}
    table = CliRunner().invoke(main, ["update", CASE_2025]).stdout
    assert "rivals compared in pairs" in table and "paper" in table


def test_accounts_and_pairs_wrap_to_80_columns_and_keep_every_state():
    """Measured on the shipped case, whose accounts' states take about 150 columns and its pairs
    table about 100: at a width of 80 (what a pipe gets) no line is longer, every account's
    states read back in full from its wrapped lines, and every pair's numbers are on its row."""
    from conftest import SHIPPED_MODEL

    from argmap._results import odds_text, states_text
    from argmap.analysis.relations import format_decibels
    from argmap.output.pairwise_text import beliefs_pairwise_lines

    beliefs = argmap.load(SHIPPED_MODEL).update()
    wide = beliefs_pairwise_lines(beliefs, width=1000)
    assert max(map(len, wide)) > 140  # the case this test is about
    lines = beliefs_pairwise_lines(beliefs, width=80)
    assert max(map(len, lines)) <= 80, max(lines, key=len)
    start = lines.index(next(line for line in lines if line.startswith("account ")))
    column = lines[start].index("states")
    rows: dict[str, list[str]] = {}
    for line in lines[start + 2:]:
        if not line.strip():
            break
        name = line[:column].split()[0] if line[:column].strip() else None
        if name:
            rows[name] = []
        rows[list(rows)[-1]].append(line[column:])
    for name, account in beliefs.accounts.items():
        assert " ".join(rows[name]) == states_text(account.states), name
    text = "\n".join(lines)
    for c in comparisons(beliefs):
        cells = [c.a, c.b, odds_text(c.prior_odds), odds_text(c.posterior_odds), odds_text(c.bayes_factor),
                 format_decibels(c.decibels)]
        assert any(line.split() == " ".join(cells).split() for line in lines), cells
        assert f"{c.of}:" in text


def test_the_terminal_width_is_80_when_output_is_no_terminal():
    import os
    import subprocess
    import sys

    environment = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    done = subprocess.run([sys.executable, "-c", "from argmap._terminal import terminal_width; print(terminal_width())"],
                          capture_output=True, text=True, check=True, env=environment)
    assert done.stdout.strip() == "80"
    environment["COLUMNS"] = "120"
    done = subprocess.run([sys.executable, "-c", "from argmap._terminal import terminal_width; print(terminal_width())"],
                          capture_output=True, text=True, check=True, env=environment)
    assert done.stdout.strip() == "120"


def test_comparison_of_impossible_states_is_undefined_not_a_crash():
    c = Comparison("d", "a", "b", 0.0, 0.5, 0.0, 0.5)
    assert c.prior_odds == 0 and c.posterior_odds == 0 and math.isnan(c.bayes_factor)
    assert c.to_dict()["bayes_factor"] is None
    assert Comparison("d", "a", "b", 0.5, 0.0, 0.5, 0.0).to_dict()["prior_odds"] == "inf"


def test_accounts_name_known_claims_and_states(case_dir):
    doc = {"claims": {"h": {"text": "h", "prior": 0.3},
                      "d": {"text": "d", "states": ["alpha", "beta"], "prior": {"alpha": 0.5, "beta": 0.5}}},
           "accounts": {"one": {"hh": True}, "two": {"d": "alhpa"}, "three": "h"}}
    with pytest.raises(argmap.ArgmapError) as caught:
        argmap.load(write(case_dir, doc, []))
    text = str(caught.value)
    assert "account 'one': unknown claim 'hh'" in text and "did you mean 'h'?" in text
    assert "account 'two': claim 'd' has no state 'alhpa'" in text and "did you mean 'alpha'?" in text
    assert "account 'three' is a mapping claim → state" in text
    assert ".yaml:" in text


def test_check_warns_of_accounts_that_can_both_hold(case_dir):
    doc = {"claims": {"h": {"text": "h", "prior": 0.3}, "g": {"text": "g", "prior": 0.5}},
           "accounts": {"story": {"h": True}, "wider": {"h": True, "g": False}, "rival": {"h": False}}}
    path = write(case_dir, doc, [])
    result = CliRunner().invoke(main, ["check", path])
    assert result.exit_code == 0, result.output
    assert "warning: accounts 'story' and 'wider' can both hold" in result.stdout
    assert "'rival'" not in result.stdout  # it disagrees with both on h


def test_weigh_on_a_claim_fixed_by_hard_evidence_says_so_in_one_line(case_dir):
    doc = {"claims": {"h": {"text": "h", "prior": 0.3}}}
    path = write(case_dir, doc, [{"id": "known", "text": "x", "observe": {"h": True}}])
    result = CliRunner().invoke(main, ["weigh", path, "--target", "h"])
    assert result.exit_code == 0, result.output
    assert "fixed at 'true' by hard evidence (known)" in result.stdout
    bad = CliRunner().invoke(main, ["weigh", path, "--target", "hh"])
    assert bad.exit_code == 2 and "did you mean 'h'?" in bad.output


def test_weigh_json_on_the_shipped_case():
    result = CliRunner().invoke(main, ["weigh", CASE_2025, "--target", "driver", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(p["a"], p["b"]) for p in data["pairs"]] == [("threat_balancing", "strategic_alliance"),
                                                          ("threat_balancing", "commercial_opportunism"),
                                                          ("strategic_alliance", "commercial_opportunism")]
    assert data["pairs"][0]["bayes_factor"] == pytest.approx(5.7, abs=0.05)
    row = next(r for r in data["items"] if r["id"] == "china_position_2023")
    assert set(row["pairs"][0]) == {"a", "b", "decibels", "leave_one_out_db"}


def test_the_hand_worked_account_example_of_the_docs(case_dir):
    """docs/model-format.md "Accounts": 0.15 → 0.316 against 0.7 → 0.368, a Bayes factor of 4."""
    doc = {"claims": {"h": {"text": "h", "prior": 0.3}, "g": {"text": "g", "prior": 0.5}},
           "accounts": {"both": {"h": True, "g": True}, "nh": {"h": False}}}
    items = [{"id": "e", "text": "x", "bears_on": "h", "likelihood": {"true": 0.8, "false": 0.2}}]
    beliefs = argmap.load(write(case_dir, doc, items)).update()
    assert beliefs.accounts["both"].prior == pytest.approx(0.15)
    assert beliefs.accounts["both"].posterior == pytest.approx(0.24 / 0.38 * 0.5)
    assert beliefs.accounts["nh"].posterior == pytest.approx(0.14 / 0.38)
    (pair,) = comparisons(beliefs)
    assert (pair.a, pair.b, pair.bayes_factor) == ("both", "nh", pytest.approx(4.0))


def test_an_account_that_contradicts_hard_evidence_has_posterior_zero(case_dir):
    doc = {"claims": {"h": {"text": "h", "prior": 0.3}}, "accounts": {"yes": {"h": True}, "no": {"h": False}}}
    beliefs = argmap.load(write(case_dir, doc, [{"id": "k", "text": "x", "observe": {"h": False}}])).update()
    assert beliefs.accounts["yes"].posterior == 0.0 and beliefs.accounts["no"].posterior == pytest.approx(1.0)
    assert comparisons(beliefs)[0].to_dict()["posterior_odds"] == 0.0
