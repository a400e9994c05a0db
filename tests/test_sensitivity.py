"""Sensitivity: exact one-way functions (checked by recomputation and a textbook case), the
interval where the conclusion holds, and Monte Carlo over all ranges."""

from __future__ import annotations

import os
import tempfile

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import argmap
from argmap.engine.compile import compile_model, variable_cpt
from argmap.engine.infer import calibrate, evidence_assignment
from argmap.analysis.sensitivity import inputs, monte_carlo, sensitivity
from argmap.testing import models

ASIA = os.path.join(os.path.dirname(__file__), "data", "asia.yaml")


def asia_with(*observations: str) -> argmap.Model:
    root = tempfile.mkdtemp()
    with open(os.path.join(root, "e.yaml"), "w") as out:
        for i, claim in enumerate(observations):
            out.write(f"- {{id: o{i}, text: seen, observe: {{{claim}: true}}}}\n")
    return argmap.load(ASIA, evidence=[os.path.join(root, "e.yaml")])


def test_asia_lung_given_smoke_and_xray_as_a_function_of_p_xray_given_either():
    """Textbook: P(lung | smoke, xray) = 0.05·t / (0.05468·t + 0.022266), t = P(xray | either)."""
    model = asia_with("smoke", "xray")
    _, results = sensitivity(model, "lung")
    f = next(r for r in results if r.input.key == ("claim", "xray", "table", "true", "true"))
    for t in np.linspace(0.01, 1, 25):
        assert f(t) == pytest.approx(0.05 * t / (0.05468 * t + 0.022266), abs=1e-9)
    assert f.at_value == pytest.approx(f(0.98))


def _posterior_at(model, network, evidence, claim, index, inp, t):
    cpt = variable_cpt(model, inp.variable, {inp.key: np.array([t])})
    calibration = calibrate(network, [evidence], {inp.variable: cpt})
    return calibration.marginal(claim)[0][index]


@settings(max_examples=40)
@given(models(max_claims=4, max_items=4), st.data())
def test_sensitivity_functions_equal_recomputation_at_many_values(model, data):
    network = compile_model(model)
    evidence = evidence_assignment(model, network, [i for i in model.evidence if i.counts_at(None)])
    claim = data.draw(st.sampled_from(sorted(model.claims)))
    wanted, results = sensitivity(model, claim, network=network)
    for r in results:
        for t in (0.0, 0.13, 0.5, 0.77, 1.0):
            expected = _posterior_at(model, network, evidence, claim, wanted.index, r.input, t)
            if np.isnan(expected):  # P(e) = 0 at this value: the function is undefined there
                continue
            assert r(t) == pytest.approx(expected, abs=1e-9), r.input.label


@settings(max_examples=40)
@given(models(max_claims=4, max_items=4), st.data())
def test_conclusion_holds_exactly_on_the_reported_interval(model, data):
    network = compile_model(model)
    evidence = evidence_assignment(model, network, [i for i in model.evidence if i.counts_at(None)])
    claim = data.draw(st.sampled_from(sorted(model.claims)))
    wanted, results = sensitivity(model, claim, network=network)
    base = calibrate(network, [evidence]).marginal(claim)[0]

    def conclusion(p):
        return int(np.argmax(p)) if wanted.by_mode else p[wanted.index] >= 0.5

    for r in results:
        assert r.holds_from <= r.input.value <= r.holds_to
        for t in np.linspace(0, 1, 21):
            cpt = variable_cpt(model, r.input.variable, {r.input.key: np.array([t])})
            p = calibrate(network, [evidence], {r.input.variable: cpt}).marginal(claim)[0]
            if np.isnan(p).any() or abs(p[wanted.index] - 0.5) < 1e-9 or np.sort(p)[-1] - np.sort(p)[-2] < 1e-9:
                continue  # at the boundary itself either answer is right
            inside = r.holds_from + 1e-9 < t < r.holds_to - 1e-9
            outside = t < r.holds_from - 1e-9 or t > r.holds_to + 1e-9
            if inside:
                assert conclusion(p) == conclusion(base), (r.input.label, t)
            elif outside:
                assert conclusion(p) != conclusion(base), (r.input.label, t)


def test_ranges_come_from_words_written_ranges_or_log_odds():
    model = asia_with()
    by_key = {i.key: i for i in inputs(model)}
    smoke = by_key[("claim", "smoke", "prior", "true")]
    assert smoke.range_from == "±0.5 log-odds"  # the default uncertainty (DESIGN §3); smoke's prior is 0.5
    assert (smoke.low, smoke.high) == pytest.approx((1 / (1 + np.exp(0.5)), 1 / (1 + np.exp(-0.5))))
    either = by_key[("claim", "either", "table", "true, true", "true")]
    assert (either.low, either.high) == (1.0, 1.0)  # a certainty has no log-odds range


def test_monte_carlo_is_reproducible_contains_the_point_estimate_and_narrows(case_dir):
    from test_infer import write

    claims = {"h": {"text": "h", "prior": [0.3, 0.7]}}
    items = [{"id": "e", "text": "x", "bears_on": "h", "likelihood": {"true": "likely", "false": "unlikely"}}]
    wide = argmap.load(write(case_dir, {"claims": claims}, items))
    first = monte_carlo(wide, "h", draws=2000, seed=3)
    again = monte_carlo(wide, "h", draws=2000, seed=3)
    assert first == again
    point = wide.update().posterior("h")
    low, mid, high = first.quantiles["h"]["true"]
    assert low < point < high
    narrow_claims = {"h": {"text": "h", "prior": [0.45, 0.55]}}
    narrow_items = [dict(items[0], likelihood={"true": [0.66, 0.69], "false": [0.3, 0.35]})]
    narrow = argmap.load(write(os.path.join(case_dir, "n"), {"claims": narrow_claims}, narrow_items))
    n_low, _, n_high = monte_carlo(narrow, "h", draws=2000, seed=3).quantiles["h"]["true"]
    assert n_high - n_low < high - low


def test_shipped_case_sensitivity_runs_for_every_hypothesis():
    from conftest import SHIPPED_MODEL

    model = argmap.load(SHIPPED_MODEL)
    for claim in model.hypotheses:
        wanted, results = sensitivity(model, claim)
        assert results and all(r.swing >= 0 for r in results)
        assert results == sorted(results, key=lambda r: (-r.swing, r.input.label))
