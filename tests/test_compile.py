"""compile: the conditional tables argmap builds, and the pgmpy network it hands over."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings

import argmap
from argmap.engine.compile import compile_model, noisy_or
from argmap.testing import models


@given(models())
def test_every_conditional_distribution_sums_to_one(model):
    network = compile_model(model)
    for var in network.variables.values():
        assert var.cpt.shape == tuple(len(network.variables[p].states) for p in var.parents) + (len(var.states),)
        np.testing.assert_allclose(var.cpt.sum(axis=-1), 1.0, atol=1e-12)
        assert (var.cpt >= 0).all()


@settings(max_examples=25)
@given(models())
def test_pgmpy_network_passes_check_model_with_the_same_tables(model):
    network = compile_model(model)
    bn = model.to_pgmpy()
    assert bn.check_model()
    assert set(bn.nodes()) == set(network.variables)
    for name, var in network.variables.items():
        cpd = bn.get_cpds(name)
        assert list(cpd.state_names[name]) == list(var.states)
        assert cpd.variables == [name, *var.parents]
        np.testing.assert_allclose(np.moveaxis(cpd.values, 0, -1), var.cpt, atol=1e-12)


def test_noisy_or_formula():
    # leak 0.05, supporters 0.6 (active) and 0.3 (inactive), attacker 0.5 (active)
    assert noisy_or(0.05, [0.6, 0.3], [0.5], (True, False, True)) == pytest.approx((1 - 0.95 * 0.4) * 0.5)
    assert noisy_or(0.05, [0.6, 0.3], [0.5], (False, False, False)) == pytest.approx(0.05)
    assert noisy_or(0.0, [0.6, 0.3], [], (True, True)) == pytest.approx(1 - 0.4 * 0.7)


@given(models())
def test_supporters_raise_and_attackers_lower_their_claim(model):
    """The numbers can never contradict the arrows (DESIGN §3)."""
    network = compile_model(model)
    for claim in model.claims.values():
        d = claim.distribution
        if not isinstance(d, argmap.model.NoisyOr):
            continue
        cpt = network.variables[claim.id].cpt[..., 0]
        for axis, parent in enumerate(claim.parents):
            on, off = np.take(cpt, 0, axis=axis), np.take(cpt, 1, axis=axis)
            if parent in d.supporters:
                assert (on >= off - 1e-15).all()
            else:
                assert (on <= off + 1e-15).all()


def test_reliability_mixes_with_random_yes_and_shared_sources_get_one_node(case_dir):
    os.makedirs(os.path.join(case_dir, "models"))
    os.makedirs(os.path.join(case_dir, "evidence", "m"))
    with open(os.path.join(case_dir, "models", "m.yaml"), "w") as out:
        out.write("argmap: 1\nsources:\n  wire: {text: w, reliability: C, random_yes: 0.3}\n"
                  "  unused: {text: u, reliability: 0.9}\n"
                  "claims:\n  h: {text: h, prior: 0.5}\n")
    with open(os.path.join(case_dir, "evidence", "m", "e.yaml"), "w") as out:
        out.write("- {id: a, text: a, bears_on: h, likelihood: {true: 0.9, false: 0.2}, source: wire}\n"
                  "- {id: b, text: b, bears_on: h, likelihood: {true: 0.8, false: 0.1}, source: wire}\n"
                  "- {id: c, text: c, bears_on: h, likelihood: {true: 0.8, false: 0.1}, reliability: 0.7}\n")
    network = compile_model(argmap.load(os.path.join(case_dir, "models", "m.yaml")))
    assert [n for n, v in network.variables.items() if v.kind == "source"] == ["wire"]
    np.testing.assert_allclose(network.variables["wire"].cpt, [0.6, 0.4])
    assert network.variables["a"].parents == ("h", "wire")
    # P(a reported | h, source reliable) = L(h); | unreliable = random_yes
    np.testing.assert_allclose(network.variables["a"].cpt[..., 0], [[0.9, 0.3], [0.2, 0.3]])
    np.testing.assert_allclose(network.variables["c"].cpt[..., 0], [0.7 * 0.8 + 0.3 * 0.5, 0.7 * 0.1 + 0.3 * 0.5])


def test_van_evera_tests_use_the_documented_conventions():
    from argmap.model import TESTS, VanEveraTest

    assert TESTS == {"straw_in_the_wind": (0.6, 0.4), "hoop": (0.95, 0.6), "smoking_gun": (0.3, 0.03),
                     "doubly_decisive": (0.9, 0.05)}
    assert VanEveraTest("d", "smoking_gun", "b").likelihood(("a", "b", "c")) == {"a": 0.03, "b": 0.3, "c": 0.03}
