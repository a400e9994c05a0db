"""analyse: weights of evidence, Van Evera labels and leave-one-out effects."""

from __future__ import annotations

import math
import tempfile

import pytest
from hypothesis import given
from argmap.testing import models
from test_infer import write

import argmap
from argmap.engine.compile import compile_model
from argmap.model import TESTS
from argmap.engine.infer import evidence_assignment, marginals
from argmap.analysis.weights import leave_one_out, van_evera_label, weight_of_evidence, weights


def test_weight_of_a_direct_item_is_its_likelihood_ratio_with_reliability(case_dir):
    items = [
        {"id": "plain", "text": "x", "bears_on": "h", "lr": 10},
        {"id": "doubtful", "text": "x", "bears_on": "h", "likelihood": {"true": 0.9, "false": 0.1}, "reliability": 0.5},
        {"id": "absent", "text": "x", "bears_on": "h", "test": "hoop", "observed": False},
    ]
    model = argmap.load(write(case_dir, {"claims": {"h": {"text": "h", "prior": 0.3}}}, items))
    by_id = {w.item: w for w in weights(model, "h")}
    assert by_id["plain"].decibels == pytest.approx(10.0)
    # ρ L + (1 − ρ)/2: 0.7 and 0.3
    assert by_id["doubtful"].likelihood_ratio == pytest.approx(0.7 / 0.3)
    assert by_id["absent"].likelihood_ratio == pytest.approx(0.05 / 0.4)
    assert by_id["absent"].van_evera == "hoop"
    assert by_id["plain"].van_evera == "smoking gun"  # lr 10: LR+ 10 ≥ 5, and an lr states no LR−


def test_weight_on_a_multistate_claim_weighs_the_other_states_by_their_prior(case_dir):
    claims = {"d": {"text": "d", "states": ["a", "b", "c"], "prior": {"a": 0.5, "b": 0.3, "c": 0.2}}}
    items = [{"id": "e", "text": "x", "bears_on": "d", "likelihood": {"a": 0.8, "b": 0.4, "c": 0.1}}]
    model = argmap.load(write(case_dir, {"claims": claims}, items))
    w = weight_of_evidence(model, model.item("e"), "d", "b")
    assert w.p_if == pytest.approx(0.4)
    assert w.p_if_not == pytest.approx((0.5 * 0.8 + 0.2 * 0.1) / 0.7)


@pytest.mark.parametrize("p_if, p_if_not, label", [
    (0.6, 0.4, "straw in the wind"), (0.95, 0.6, "hoop"), (0.3, 0.03, "smoking gun"), (0.9, 0.05, "doubly decisive"),
])
def test_van_evera_labels_of_the_conventional_tests(p_if, p_if_not, label):
    assert van_evera_label(p_if, p_if_not) == label


@pytest.mark.parametrize("test", sorted(TESTS))
@pytest.mark.parametrize("observed", [True, False])
def test_the_four_default_tests_come_back_as_their_own_names_through_the_network(case_dir, test, observed):
    claims = {"h": {"text": "h", "prior": 0.3},
              "d": {"text": "d", "states": ["a", "b", "c"], "prior": {"a": 0.5, "b": 0.3, "c": 0.2}}}
    items = [{"id": "e", "text": "x", "bears_on": "h", "test": test, "observed": observed},
             {"id": "m", "text": "x", "bears_on": "d", "test": test, "for": "b", "observed": observed}]
    model = argmap.load(write(case_dir, {"claims": claims}, items))
    for w in (weight_of_evidence(model, model.item("e"), "h", "true"),
              weight_of_evidence(model, model.item("e"), "h", "false"),
              weight_of_evidence(model, model.item("m"), "d", "b")):
        assert w.van_evera == test.replace("_", " ")
    assert weight_of_evidence(model, model.item("e"), "h", "false").van_evera_for == "true"
    assert weight_of_evidence(model, model.item("m"), "d", "b").van_evera_for == "b"


@pytest.mark.parametrize("ratio, levels", [(2, (0.8, 0.4)), (5, (0.5, 0.1)), (5, (0.25, 0.05)), (4, (0.8, 0.2))])
def test_float_noise_never_flips_a_label(case_dir, ratio, levels):
    """lr: 2 computes as 2.0000000000000004 and {0.8, 0.4} as 1.9999999999999996: one label."""
    items = [{"id": "r", "text": "x", "bears_on": "h", "lr": ratio},
             {"id": "l", "text": "x", "bears_on": "h", "likelihood": {"true": levels[0], "false": levels[1]}}]
    model = argmap.load(write(case_dir, {"claims": {"h": {"text": "h", "prior": 0.3}}}, items))
    by_id = {w.item: w for w in weights(model, "h")}
    expected = "smoking gun" if ratio >= 5 else "straw in the wind"
    assert by_id["r"].van_evera == by_id["l"].van_evera == expected


def test_an_lr_item_is_never_a_hoop_however_small_its_implied_lr_minus(case_dir):
    # lr 20 implies {20/21, 1/21}: LR− 0.05 — but only the ratio was stated
    items = [{"id": "r", "text": "x", "bears_on": "h", "lr": 20}, {"id": "s", "text": "x", "bears_on": "h", "lr": 0.05},
             {"id": "l", "text": "x", "bears_on": "h", "likelihood": {"true": 20 / 21, "false": 1 / 21}}]
    model = argmap.load(write(case_dir, {"claims": {"h": {"text": "h", "prior": 0.3}}}, items))
    by_id = {w.item: w for w in weights(model, "h")}
    assert by_id["r"].van_evera == by_id["s"].van_evera == "smoking gun"
    assert by_id["s"].van_evera_for == "false"  # evidence against: a smoking gun for the other side
    assert by_id["l"].van_evera == "doubly decisive"


def test_a_weak_pair_of_levels_is_straw_in_the_wind_not_doubly_decisive():
    assert van_evera_label(0.7, 0.3) == "straw in the wind"  # the old rule said doubly decisive
    assert van_evera_label(0.8, 0.2, ratio_only=True) == "straw in the wind"


@pytest.mark.parametrize("key, value", [("reliability", "B"), ("source", "wire")])
def test_lr_with_a_reliability_or_a_source_is_an_error_with_a_hint(case_dir, key, value):
    from argmap.errors import ArgmapError

    doc = {"claims": {"h": {"text": "h", "prior": 0.3}},
           "sources": {"wire": {"text": "a wire", "reliability": 0.6}}}
    items = [{"id": "e", "text": "x", "bears_on": "h", "lr": 3, key: value}]
    with pytest.raises(ArgmapError) as caught:
        argmap.load(write(case_dir, doc, items))
    text = str(caught.value)
    assert f"lr does not go with '{key}'" in text and "likelihood: {true: P(E|true), false: P(E|false)}" in text
    assert "{true: 0.75, false: 0.25}" in text and ".yaml:" in text


@given(models(max_items=4))
def test_an_items_weight_on_its_target_is_the_odds_change_it_causes_alone(model):
    """With no other evidence, posterior odds = prior odds × LR for the item's own weight."""
    network = compile_model(model)
    for item in model.evidence:
        if item.is_observation or item.expected:
            continue
        claim = item.targets[0]
        w = weight_of_evidence(model, item, claim, model.claims[claim].states[0])
        before, _ = marginals(network, {}, [claim])
        after, _ = marginals(network, evidence_assignment(model, network, [item]), [claim])
        prior, p = float(before[claim][0]), float(after[claim][0])
        if 0 < p < 1 and 0 < prior < 1:
            assert math.log(p / (1 - p)) - math.log(prior / (1 - prior)) == pytest.approx(
                math.log(w.likelihood_ratio), abs=1e-9)


def test_leave_one_out_on_two_independent_items_is_each_ones_own_log_lr(case_dir):
    items = [{"id": "a", "text": "x", "bears_on": "h", "lr": 4}, {"id": "b", "text": "x", "bears_on": "h", "lr": 0.5}]
    model = argmap.load(write(case_dir, {"claims": {"h": {"text": "h", "prior": 0.5}}}, items))
    effects = leave_one_out(model, "h")
    assert effects == pytest.approx({"a": math.log(4), "b": math.log(0.5)})


def test_weights_add_up_for_independent_items_and_not_for_a_shared_source(case_dir):
    from argmap.analysis.weights import additivity

    claims = {"h": {"text": "h", "prior": 0.3}}
    independent = [{"id": f"i{k}", "text": "x", "bears_on": "h", "likelihood": {"true": 0.95, "false": 0.05}}
                   for k in range(3)]
    model = argmap.load(write(case_dir, {"claims": claims}, independent))
    check = additivity(model, "h")
    assert check.naive_db == pytest.approx(check.network_db, abs=1e-9) and not check.warns
    shared = [dict(i, source="wire") for i in independent]
    root = tempfile.mkdtemp()
    model = argmap.load(write(root, {"claims": claims, "sources": {"wire": {"text": "w", "reliability": 0.6}}}, shared))
    check = additivity(model, "h")
    assert check.naive_db > check.network_db + 1.0 and check.warns
    assert check.shared_sources == {"wire": ("i0", "i1", "i2")}
