"""Robustness that can fail (issue 12 §3): a bare number's default uncertainty, tipping points
(tempering the evidence, shifting the target's prior) checked by recomputation on either side,
correlated Monte Carlo, model comparison, and claims fixed by hard evidence."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
import yaml

import argmap
from argmap.analysis.sensitivity import input_range, inputs
from argmap.model import Prob

from test_infer import write


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# ----------------------------------------------------------------------------- uncertainty


@pytest.mark.parametrize("p, low, high", [(0.5, 0.3775, 0.6225), (0.9, 0.8452, 0.9369), (0.1, 0.0631, 0.1548)])
def test_a_bare_number_stands_for_its_logit_plus_or_minus_half(p, low, high):
    lo, hi, source = input_range(Prob.exactly(p), 0.5)
    assert (lo, hi) == pytest.approx((low, high), abs=1e-4)
    assert (lo, hi) == pytest.approx((_logistic(math.log(p / (1 - p)) - 0.5), _logistic(math.log(p / (1 - p)) + 0.5)))
    assert source == "±0.5 log-odds"
    if p in (0.5, 0.9):  # DESIGN §3's own reading: 0.5 as 0.38–0.62, 0.9 as 0.85–0.94
        assert (round(lo, 2), round(hi, 2)) == {0.5: (0.38, 0.62), 0.9: (0.85, 0.94)}[p]


def test_words_ranges_and_certainties_keep_their_own_range():
    assert input_range(Prob(0.55, 0.8, "likely"), 0.5) == (0.55, 0.8, "word 'likely'")
    assert input_range(Prob(0.2, 0.4, "[0.2, 0.4]"), 0.5) == (0.2, 0.4, "written range")
    assert input_range(Prob.exactly(1.0), 0.5)[:2] == (1.0, 1.0)
    assert input_range(Prob.exactly(0.0), 2.0)[:2] == (0.0, 0.0)


def _model(case_dir, **extra):
    claims = {"h": {"text": "h", "prior": 0.5}}
    items = [{"id": "e", "text": "x", "bears_on": "h", "likelihood": {"true": 0.9, "false": "unlikely"}}]
    return argmap.load(write(case_dir, {"claims": claims, **extra}, items))


def test_model_uncertainty_sets_the_ranges_and_zero_makes_bare_numbers_exact(case_dir):
    default = _model(os.path.join(case_dir, "a"))
    wide = _model(os.path.join(case_dir, "b"), uncertainty=1)
    exact = _model(os.path.join(case_dir, "c"), uncertainty=0)
    assert default.uncertainty == 0.5 and wide.uncertainty == 1.0 and exact.uncertainty == 0.0
    by_key = {name: {i.key: i for i in inputs(m)} for name, m in (("default", default), ("wide", wide), ("exact", exact))}

    prior = ("claim", "h", "prior", "true")
    assert (by_key["default"][prior].low, by_key["default"][prior].high) == pytest.approx((0.3775407, 0.6224593))
    assert (by_key["wide"][prior].low, by_key["wide"][prior].high) == pytest.approx((_logistic(-1), _logistic(1)))
    assert by_key["exact"][prior].low == by_key["exact"][prior].high == 0.5
    word = ("item", "e", "likelihood", "false")
    assert {(by_key[m][word].low, by_key[m][word].high) for m in by_key} == {(0.2, 0.45)}  # words unchanged
    # inference uses the written numbers, whatever the uncertainty: posteriors are identical
    assert default.update().posterior("h") == wide.update().posterior("h") == exact.update().posterior("h")
    assert default.update().posterior("h") == 0.5 * 0.9 / (0.5 * 0.9 + 0.5 * 0.325)


@pytest.mark.parametrize("bad", [-0.5, "wide", True, 6])
def test_a_bad_uncertainty_is_an_error_that_says_what_to_write(case_dir, bad):
    with pytest.raises(argmap.ArgmapError) as caught:
        _model(case_dir, uncertainty=bad)
    message = str(caught.value)
    assert "t.yaml:" in message and "uncertainty" in message and "write a number from 0" in message


# ----------------------------------------------------------------------------- tipping points

from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import attrs  # noqa: E402

from argmap.analysis.tipping import holds, shifted_cpt, tempered_cpts, tipping_points  # noqa: E402
from argmap.engine.compile import Network, compile_model  # noqa: E402
from argmap.engine.infer import evidence_assignment  # noqa: E402
from argmap.testing import models  # noqa: E402
from conftest import enumerate_posteriors  # noqa: E402


def _enumerated(network, evidence, replaced: dict, claim: str) -> np.ndarray:
    """The target's posterior by brute-force enumeration of the network with some CPTs replaced."""
    variables = {n: attrs.evolve(v, cpt=replaced[n]) if n in replaced else v for n, v in network.variables.items()}
    return enumerate_posteriors(Network(variables), evidence)[claim]


def _conclusion_holds(tp, posterior: np.ndarray) -> bool:
    return bool(holds(tp.target, posterior[None], tp.posterior >= 0.5)[0])


def _margin(tp, posterior: np.ndarray) -> float:
    i = tp.target.index
    if tp.target.by_mode:
        return float(posterior[i] - np.delete(posterior, i).max())
    return float(posterior[i] - 0.5)


@settings(max_examples=60)
@given(models(max_claims=4, max_items=5), st.data())
def test_tipping_points_flip_the_conclusion_just_beyond_and_not_just_short(model, data):
    network = compile_model(model)
    evidence = evidence_assignment(model, network, [i for i in model.evidence if i.counts_at(None)])
    claim = data.draw(st.sampled_from(sorted(model.claims)))
    tp = tipping_points(model, claim, network=network)
    if tp.fixed:
        assert claim in evidence and tp.evidence_tempering is None and tp.prior_shift_db is None
        return
    assume(abs(_margin(tp, _enumerated(network, evidence, {}, claim))) > 1e-9)
    if tp.evidence_tempering is not None:
        alpha = tp.evidence_tempering
        assert 0 < alpha < 1
        for a, expect in ((alpha * (1 + 1e-6), True), (alpha * (1 - 1e-6), False)):
            cpts = {n: t[0] for n, t in tempered_cpts(model, network, evidence, np.array([a])).items()}
            p = _enumerated(network, evidence, cpts, claim)
            if abs(_margin(tp, p)) > 1e-13:
                assert _conclusion_holds(tp, p) is expect, (a, p)
    else:  # nothing in (0, 1] flips it: in particular neither the prior nor half the evidence
        for a in (1e-6, 0.5):
            cpts = {n: t[0] for n, t in tempered_cpts(model, network, evidence, np.array([a])).items()}
            p = _enumerated(network, evidence, cpts, claim)
            assert _conclusion_holds(tp, p) or abs(_margin(tp, p)) < 1e-9
    if tp.prior_shift_db is not None:
        x = tp.prior_shift_db
        assert (x < 0) == (tp.target.by_mode or tp.posterior >= 0.5)
        for shift, expect in ((x * (1 - 1e-6), True), (x * (1 + 1e-6), False)):
            p = _enumerated(network, evidence, {claim: shifted_cpt(network, tp.target, np.array([shift]))[0]}, claim)
            if abs(_margin(tp, p)) > 1e-13:
                assert _conclusion_holds(tp, p) is expect, (shift, p)


def test_tempering_scales_every_weight_by_alpha_hand_worked(case_dir):
    """Prior 0.3, two items of LR 4 and 2 on h: posterior log-odds = logit(0.3) + α·ln 8, which
    crosses 0 at α = ln(7/3) / ln 8 = 0.4075; the prior shift that flips it is −10·log10(8·3/7)."""
    claims = {"h": {"text": "h", "prior": 0.3}}
    items = [{"id": "a", "text": "a", "bears_on": "h", "likelihood": {"true": 0.8, "false": 0.2}},
             {"id": "b", "text": "b", "bears_on": "h", "likelihood": {"true": 0.6, "false": 0.3}}]
    model = argmap.load(write(case_dir, {"claims": claims}, items))
    tp = tipping_points(model, "h")
    assert tp.posterior == pytest.approx(0.3 * 8 / (0.3 * 8 + 0.7))
    assert tp.evidence_tempering == pytest.approx(math.log(7 / 3) / math.log(8), abs=1e-9)
    assert tp.prior_shift_db == pytest.approx(-10 * math.log10(8 * 3 / 7), abs=1e-9)
    assert tp.overstatement == pytest.approx(1 / tp.evidence_tempering)


def test_a_conclusion_the_prior_already_gives_has_no_tempering_tipping_point(case_dir):
    claims = {"h": {"text": "h", "prior": 0.7}}
    items = [{"id": "a", "text": "a", "bears_on": "h", "likelihood": {"true": 0.8, "false": 0.2}}]
    tp = tipping_points(argmap.load(write(case_dir, {"claims": claims}, items)), "h")
    assert tp.evidence_tempering is None
    assert tp.prior_shift_db == pytest.approx(-10 * math.log10(4 * 7 / 3), abs=1e-9)


# ----------------------------------------------------------------------------- correlated Monte Carlo

from argmap.analysis.sensitivity import monte_carlo  # noqa: E402


def test_correlated_draws_are_reproducible_contain_the_point_estimate_and_spread_wider(case_dir):
    claims = {"h": {"text": "h", "prior": 0.4}}
    items = [{"id": f"e{k}", "text": "x", "bears_on": "h", "likelihood": {"true": 0.6, "false": 0.4}}
             for k in range(6)]
    model = argmap.load(write(case_dir, {"claims": claims}, items))
    first = monte_carlo(model, "h", draws=3000, seed=5, correlated=True)
    assert first == monte_carlo(model, "h", draws=3000, seed=5, correlated=True)
    assert first.mode == "correlated" and first.shared == 12  # two likelihoods per item
    point = model.update().posterior("h")
    low, _, high = first.quantiles["h"]["true"]
    assert low < point < high
    i_low, _, i_high = monte_carlo(model, "h", draws=3000, seed=5).quantiles["h"]["true"]
    assert high - low > 1.5 * (i_high - i_low)  # shared errors do not cancel
    # every item at its least favourable end together: P(e|h) = logistic(logit 0.6 − ½),
    # P(e|¬h) = logistic(logit 0.4 + ½); the 2.5% quantile lies just above that posterior
    weak = _logistic(math.log(1.5) - 0.5) / _logistic(math.log(1 / 1.5) + 0.5)
    floor = 0.4 * weak ** 6 / (0.4 * weak ** 6 + 0.6)
    assert floor < low < point


@settings(max_examples=25)
@given(models(max_claims=3, max_items=4), st.data())
def test_correlated_monte_carlo_interval_contains_the_point_estimate(model, data):
    claim = data.draw(st.sampled_from(sorted(model.claims)))
    carlo = monte_carlo(model, claim, draws=400, seed=1, correlated=True)
    point = model.update().claims[claim].posterior[carlo.target.state]
    low, _, high = carlo.quantiles[claim][carlo.target.state]
    assert low - 1e-9 <= point <= high + 1e-9 or carlo.shared == 0


# ----------------------------------------------------------------------------- model comparison

from argmap.analysis.comparison import compare  # noqa: E402


def test_compare_equals_update_of_each_model_and_pairwise_factors_by_hand(case_dir):
    claims = {"d": {"text": "d", "states": ["a", "b", "c"], "prior": {"a": 0.5, "b": 0.3, "c": 0.2}},
              "x": {"text": "x", "prior": 0.4}}
    items = [{"id": "e", "text": "e", "bears_on": "d", "likelihood": {"a": 0.8, "b": 0.2, "c": 0.4}}]
    mine = argmap.load(write(os.path.join(case_dir, "m"), {"claims": claims}, items))
    other_claims = {"d": dict(claims["d"], prior={"a": 0.2, "b": 0.4, "c": 0.4}), "y": {"text": "y", "prior": 0.5}}
    theirs = argmap.load(write(os.path.join(case_dir, "o"), {"claims": other_claims}, items))
    result = compare([mine, theirs])
    assert [c.id for c in result.shared] == ["d"]
    assert sorted(result.only_in.values()) == [("x",), ("y",)]
    (d,) = result.shared
    for model, posterior, pairs in zip((mine, theirs), d.posteriors, d.pairs):
        assert posterior == model.update()["d"].posterior
        prior = model.update()["d"].prior
        by_pair = {(f.a, f.b): f for f in pairs}
        assert set(by_pair) == {("a", "b"), ("a", "c"), ("b", "c")}
        # a likelihood on d alone: the Bayes factor of a over b is the likelihood ratio 0.8 / 0.2
        assert by_pair["a", "b"].bayes_factor == pytest.approx(4.0)
        assert by_pair["a", "c"].bayes_factor == pytest.approx(2.0)
        assert by_pair["b", "c"].decibels == pytest.approx(10 * math.log10(0.5))
        assert by_pair["a", "b"].prior_odds == pytest.approx(prior["a"] / prior["b"])
    assert d.spread == pytest.approx(max(abs(d.posteriors[0][s] - d.posteriors[1][s]) for s in "abc"))


def test_compare_cli_table_json_and_too_few_models(case_dir):
    from click.testing import CliRunner

    from argmap.cli import main

    claims = {"h": {"text": "h", "prior": 0.3}}
    items = [{"id": "e", "text": "e", "bears_on": "h", "lr": 4}]
    one = write(os.path.join(case_dir, "a"), {"claims": claims}, items)
    two = write(os.path.join(case_dir, "b"), {"claims": {"h": {"text": "h", "prior": 0.6}}}, items)
    out = CliRunner().invoke(main, ["compare", one, two, "--format", "json"])
    assert out.exit_code == 0, out.output
    data = yaml.safe_load(out.output)
    assert [m["path"] for m in data["models"]] == [one, two]  # same file name: told apart by path
    (h,) = data["claims"]
    assert h["posterior"][one]["true"] == pytest.approx(argmap.load(one).update().posterior("h"))
    assert h["posterior"][two]["true"] == pytest.approx(argmap.load(two).update().posterior("h"))
    table = CliRunner().invoke(main, ["compare", one, two])
    assert table.exit_code == 0 and "difference" in table.output
    alone = CliRunner().invoke(main, ["compare", one])
    assert alone.exit_code == 2 and "at least two model files" in alone.output


# ----------------------------------------------------------------------------- fixed claims, no candidates


def test_sensitivity_and_next_on_a_claim_fixed_by_hard_evidence_say_so_in_one_line(case_dir):
    from click.testing import CliRunner

    from argmap.cli import main

    claims = {"h": {"text": "h", "prior": 0.3}, "g": {"text": "g", "supported_by": {"h": 0.5}}}
    items = [{"id": "seen", "text": "s", "observe": {"h": True}},
             {"id": "e", "text": "e", "bears_on": "g", "likelihood": {"true": 0.7, "false": 0.2}}]
    path = write(case_dir, {"claims": claims}, items)
    for command in (["sensitivity", path, "--target", "h"], ["next", path, "--target", "h"]):
        out = CliRunner().invoke(main, command)
        assert out.exit_code == 0, out.output
        assert out.output.count("\n") == 1 and "fixed by hard evidence" in out.output and "'seen'" in out.output
        assert "0.0000" not in out.output
    data = yaml.safe_load(CliRunner().invoke(main, ["sensitivity", path, "--target", "h", "--format", "json"]).output)
    assert data["fixed"] is True and data["target"]["fixed_by"] == "seen"


def test_next_without_declared_items_still_proposes_clues(case_dir):
    """With no `expected: true` item and no unobserved claim, `next` designs its own clues (issue 14),
    so there is always something to look for and never an empty table."""
    from click.testing import CliRunner

    from argmap.cli import main

    path = write(case_dir, {"claims": {"h": {"text": "h", "prior": 0.3}}},
                 [{"id": "e", "text": "e", "bears_on": "h", "lr": 3}])
    out = CliRunner().invoke(main, ["next", path, "--target", "h"])
    assert out.exit_code == 0, out.output
    assert "hoop(h)" in out.output and "smoking_gun(h=false)" in out.output and "hypothetical" in out.output


def test_sensitivity_json_has_tipping_points_and_both_monte_carlo_modes(case_dir):
    from click.testing import CliRunner

    from argmap.cli import main

    claims = {"h": {"text": "h", "prior": 0.3}}
    items = [{"id": "a", "text": "a", "bears_on": "h", "likelihood": {"true": 0.8, "false": 0.2}},
             {"id": "b", "text": "b", "bears_on": "h", "likelihood": {"true": 0.6, "false": 0.3}}]
    path = write(case_dir, {"claims": claims}, items)
    out = CliRunner().invoke(main, ["sensitivity", path, "--target", "h", "--format", "json", "--draws", "500"])
    assert out.exit_code == 0, out.output
    data = yaml.safe_load(out.output)
    assert data["tipping_points"]["evidence_tempering"] == pytest.approx(math.log(7 / 3) / math.log(8), abs=1e-9)
    assert data["tipping_points"]["prior_shift_db"] == pytest.approx(-10 * math.log10(24 / 7), abs=1e-9)
    assert data["monte_carlo"]["mode"] == "independent" and data["monte_carlo_correlated"]["mode"] == "correlated"
    table = CliRunner().invoke(main, ["sensitivity", path, "--target", "h", "--draws", "500"]).output
    assert "overstated by more than ×2.45" in table and "correlated" in table


def test_report_has_tipping_points_both_monte_carlo_modes_and_a_comparison_section(case_dir):
    from argmap.output.report import build, render

    claims = {"d": {"text": "d", "role": "hypothesis", "states": ["a", "b", "c"],
                    "prior": {"a": 0.2, "b": 0.5, "c": 0.3}}}
    items = [{"id": "e", "text": "e", "bears_on": "d", "likelihood": {"a": 0.8, "b": 0.2, "c": 0.4}}]
    mine = argmap.load(write(os.path.join(case_dir, "m"), {"claims": claims}, items))
    other = argmap.load(write(os.path.join(case_dir, "o"), {"claims": {"d": dict(claims["d"], prior={
        "a": 0.1, "b": 0.6, "c": 0.3})}}, items))
    report = build(mine, compare=[other])
    (robust,) = report.robustness
    assert robust.evidence_tempering is not None  # a is most probable after the evidence, b before it
    assert robust.monte_carlo is not None and robust.monte_carlo_correlated is not None
    assert report.comparison.shared[0].id == "d"
    files = render(report, ("md", "html", "tex"))
    for name in ("report.md", "report.html", "report.tex"):
        text = files[name].decode()
        assert "Model comparison" in text and "Tipping points" in text and "correlated" in text, name
        assert "overstated by more than" in text, name
