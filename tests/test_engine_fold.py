"""Evidence folded into the tables (a tree triangulated without the variables every scenario
observes alike) gives the same numbers as evidence multiplied in as factors: marginals, joints,
P(evidence), impossible evidence, batches whose other evidence varies, and tables that vary
across the batch."""

from __future__ import annotations

import contextlib

import numpy as np
from conftest import enumerate_posteriors
from hypothesis import given, settings
from hypothesis import strategies as st
from test_engine import random_networks

import argmap.engine.jtree as _jtree
from argmap.engine.compile import Network, Variable, compile_model
from argmap.engine.infer import calibrate, evidence_assignment, item_marginal, junction_tree
from argmap.testing import evidence_sets, models


@contextlib.contextmanager
def folding(on: bool):
    """Fold common evidence, and split batches to fold more, on every network (on) or on none (off)."""
    saved = _jtree.FOLD_FROM, _jtree.SPLIT_FROM, _jtree.FOLD_VARIABLES
    _jtree.FOLD_FROM = _jtree.SPLIT_FROM = -1 if on else 1 << 62
    _jtree.FOLD_VARIABLES = 1 << 62
    try:
        yield
    finally:
        _jtree.FOLD_FROM, _jtree.SPLIT_FROM, _jtree.FOLD_VARIABLES = saved


def both(network: Network, scenarios, cpts=None):
    with folding(False):
        plain = calibrate(network, scenarios, cpts)
    with folding(True):
        folded = calibrate(network, scenarios, cpts)
    return plain, folded


def assert_same(network: Network, plain, folded, names) -> None:
    np.testing.assert_allclose(folded.log_evidence, plain.log_evidence, atol=1e-9, rtol=1e-12)
    np.testing.assert_array_equal(folded.possible, plain.possible)
    for n in names:
        np.testing.assert_allclose(folded.marginal(n), plain.marginal(n), atol=1e-9, err_msg=n)
    for n, var in network.variables.items():  # every family's joint, folded variables included
        if var.kind != "evidence" and var.parents:
            scope = (*var.parents, n)
            np.testing.assert_allclose(folded.joint(scope), plain.joint(scope), atol=1e-9, err_msg=n)


@settings(max_examples=60)
@given(random_networks(max_nodes=10), st.data())
def test_folding_common_evidence_gives_the_marginals_of_not_folding(network, data):
    names = list(network.variables)

    def state(n):
        return st.integers(0, len(network.variables[n].states) - 1)

    common = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    fixed = {n: data.draw(state(n)) for n in common}
    rest = [n for n in names if n not in fixed]
    scenarios = []
    for _ in range(data.draw(st.integers(1, 3))):  # other evidence that varies across the batch
        varying = data.draw(st.lists(st.sampled_from(rest), unique=True, max_size=2)) if rest else []
        scenarios.append({**fixed, **{n: data.draw(state(n)) for n in varying}})
    plain, folded = both(network, scenarios)
    assert_same(network, plain, folded, names)
    if fixed:
        tree = junction_tree(network).folded(fixed)
        assert not set(fixed) & {v for c in tree.cliques for v in c}, "folded variables leave the tree"
    for b, scenario in enumerate(scenarios):  # and both are right
        truth = enumerate_posteriors(network, scenario)
        for n in names:
            np.testing.assert_allclose(folded.marginal(n)[b], truth[n], atol=1e-9)


@settings(max_examples=60)
@given(random_networks(max_nodes=9), st.data())
def test_a_batch_split_to_fold_its_shared_evidence_gives_the_same_numbers(network, data):
    """The prior beside the posterior, a trajectory's prefixes, any mix: split in two groups."""
    names = list(network.variables)

    def scenario():
        chosen = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=4))
        return {n: data.draw(st.integers(0, len(network.variables[n].states) - 1)) for n in chosen}

    posterior = scenario()
    order = list(posterior.items())
    scenarios = data.draw(st.sampled_from([
        [{}, posterior],  # what update asks
        [dict(order[:k]) for k in range(len(order) + 1)],  # a trajectory
        [scenario() for _ in range(4)],
    ]))
    plain, folded = both(network, scenarios)
    assert_same(network, plain, folded, names)


@settings(max_examples=40)
@given(random_networks(max_nodes=8), st.data())
def test_folding_keeps_tables_that_vary_across_the_batch(network, data):
    names = list(network.variables)
    moved = data.draw(st.sampled_from(names))
    var = network.variables[moved]
    batch = data.draw(st.integers(2, 4))
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    tables = rng.uniform(0.05, 1, size=(batch, *var.cpt.shape))
    cpts = {moved: tables / tables.sum(-1, keepdims=True)}
    observed = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=4))
    fixed = {n: data.draw(st.integers(0, len(network.variables[n].states) - 1)) for n in observed}
    plain, folded = both(network, [fixed] * batch, cpts)
    assert_same(network, plain, folded, names)


@settings(max_examples=40)
@given(models(max_claims=5, max_items=5), st.data())
def test_folding_claims_under_evidence_items_gives_the_same_numbers(model, data):
    """Items are likelihoods over their parents: folding a parent slices them too."""
    network = compile_model(model)
    claims = list(model.claims)
    observed = data.draw(st.lists(st.sampled_from(claims), unique=True, max_size=len(claims)))
    fixed = {c: data.draw(st.integers(0, len(model.claims[c].states) - 1)) for c in observed}
    own = st.sampled_from(model.evidence) if model.evidence else st.nothing()
    items = data.draw(evidence_sets(model, elements=own))
    scenario = {**evidence_assignment(model, network, items), **fixed}
    plain, folded = both(network, [scenario, scenario])
    assert_same(network, plain, folded, claims)
    for name in [n for n, v in network.variables.items() if v.kind == "evidence"]:
        expected = item_marginal(network, plain, name)
        got = item_marginal(network, folded, name)
        np.testing.assert_allclose(got, expected, atol=1e-9)


def test_impossible_folded_evidence_is_flagged_as_impossible():
    variables = {
        "a": Variable("a", ("s0", "s1"), (), np.array([0.3, 0.7]), "claim"),
        "b": Variable("b", ("s0", "s1"), ("a",), np.array([[1.0, 0.0], [1.0, 0.0]]), "claim"),
        "c": Variable("c", ("s0", "s1"), ("b",), np.array([[0.2, 0.8], [0.6, 0.4]]), "claim"),
    }
    network = Network(variables)
    plain, folded = both(network, [{"b": 1}, {"b": 1, "c": 0}])
    assert not folded.possible.any() and not plain.possible.any()
    assert np.isnan(folded.marginal("a")).all() and np.isnan(folded.marginal("b")).all()
    # every variable folded: the tree is empty and P(evidence) is a product of numbers
    plain, folded = both(network, [{"a": 1, "b": 0, "c": 1}])
    assert junction_tree(network).folded({"a": 1, "b": 0, "c": 1}).cliques == []
    np.testing.assert_allclose(folded.log_evidence, [np.log(0.7 * 1.0 * 0.8)])
    np.testing.assert_allclose(folded.log_evidence, plain.log_evidence)
    np.testing.assert_array_equal(folded.marginal("c")[0], [0.0, 1.0])


def test_folded_trees_are_kept_per_evidence_set_and_bounded():
    network = _ring(12)
    tree = junction_tree(network)
    first = tree.folded({"x1": 0})
    assert tree.folded({"x1": 0}) is first
    assert tree.folded({"x1": 1}) is not first
    for k in range(2 * _jtree._FOLDED_KEPT):
        tree.folded({"x2": k % 3, "x5": k // 3 % 3})
    assert len(tree._folded) <= _jtree._FOLDED_KEPT


def _ring(n: int) -> Network:
    variables = {}
    for i in range(n):
        parents = () if i == 0 else ((f"x{i - 1}",) if i < n - 1 else (f"x{i - 1}", "x0"))
        shape = tuple(3 for _ in parents) + (3,)
        cpt = np.random.default_rng(i).uniform(0.1, 1, size=shape)
        variables[f"x{i}"] = Variable(f"x{i}", ("a", "b", "c"), parents, cpt / cpt.sum(-1, keepdims=True), "claim")
    return Network(variables)
