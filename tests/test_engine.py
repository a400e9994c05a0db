"""The junction-tree engine: agreement with pgmpy on the bnlearn networks pgmpy bundles, with
brute force on random networks, batches equal to one-at-a-time, and the hard cases
(disconnected networks, zeros, impossible evidence)."""

from __future__ import annotations

import contextlib
import gzip
import math
import os

import numpy as np
import pytest
from conftest import enumerate_posteriors
from hypothesis import given, settings
from hypothesis import strategies as st

import argmap
from argmap.engine.compile import Network, Variable, compile_model, from_pgmpy
from argmap.engine.infer import ImpossibleEvidence, calibrate, evidence_assignment, marginals
from argmap.testing import evidence_sets, models

def bnlearn(name: str):
    """A bnlearn network from the copies bundled with pgmpy, columns normalised."""
    import pgmpy
    from pgmpy.readwrite import BIFReader

    path = os.path.join(os.path.dirname(pgmpy.__file__), "utils", "example_models", f"{name}.bif.gz")
    with gzip.open(path, "rt") as handle:
        bn = BIFReader(string=handle.read()).get_model()
    for cpd in bn.get_cpds():
        cpd.normalize()
    return bn


@pytest.mark.parametrize("name", ["asia", "cancer", "child", "insurance", "alarm", "hepar2", "win95pts"])
def test_all_marginals_equal_pgmpy_variable_elimination_on_bnlearn_networks(name):
    from pgmpy.inference import VariableElimination
    from pgmpy.sampling import BayesianModelSampling

    bn = bnlearn(name)
    network = from_pgmpy(bn)
    names = list(network.variables)
    rng = np.random.default_rng(7)
    sample = BayesianModelSampling(bn).forward_sample(size=1, seed=7, show_progress=False).iloc[0]
    observed = sorted(rng.choice(names, size=min(4, len(names) // 2), replace=False))
    evidence = {n: network.variables[n].states.index(str(sample[n])) for n in observed}
    ours, _ = marginals(network, evidence, names)
    engine = VariableElimination(bn)
    named = {n: network.variables[n].states[i] for n, i in evidence.items()}
    for n in names:
        if n in evidence:
            continue
        factor = engine.query([n], evidence=named, show_progress=False)
        theirs = [factor.get_value(**{n: s}) for s in network.variables[n].states]
        np.testing.assert_allclose(ours[n], theirs, atol=1e-9, err_msg=n)


@given(models(max_claims=6, max_items=6), st.data())
def test_batched_scenarios_equal_one_at_a_time_and_enumeration(model, data):
    network = compile_model(model)
    own = st.sampled_from(model.evidence) if model.evidence else st.nothing()
    scenarios = [evidence_assignment(model, network, data.draw(evidence_sets(model, elements=own)))
                 for _ in range(data.draw(st.integers(1, 4)))]
    batch = calibrate(network, scenarios)
    for b, scenario in enumerate(scenarios):
        truth = enumerate_posteriors(network, scenario)
        for name in model.claims:
            np.testing.assert_allclose(batch.marginal(name)[b], truth[name], atol=1e-9)


def chain(*names: str, cards: int = 2) -> dict[str, Variable]:
    variables = {}
    previous = None
    for n in names:
        if previous is None:
            cpt = np.full(cards, 1 / cards)
            parents = ()
        else:
            cpt = np.full((cards, cards), 0.1 / (cards - 1))
            np.fill_diagonal(cpt, 0.9)
            parents = (previous,)
        variables[n] = Variable(n, tuple(f"s{i}" for i in range(cards)), parents, cpt, "claim")
        previous = n
    return variables


def test_disconnected_networks_and_isolated_nodes():
    network = Network({**chain("a", "b"), **chain("c", "d", "e", cards=3), **chain("lonely")})
    ours, log_p = marginals(network, {"b": 0, "e": 2}, list(network.variables))
    truth = enumerate_posteriors(network, {"b": 0, "e": 2})
    for n in network.variables:
        np.testing.assert_allclose(ours[n], truth[n], atol=1e-12)
    assert log_p == pytest.approx(np.log(0.5 * 1 / 3))


def test_zeros_are_exact_and_impossible_evidence_is_flagged_per_scenario():
    variables = chain("a", "b")
    variables["b"] = Variable("b", ("s0", "s1"), ("a",), np.array([[1.0, 0.0], [0.3, 0.7]]), "claim")
    network = Network(variables)
    ours, _ = marginals(network, {"b": 1}, ["a"])
    np.testing.assert_array_equal(ours["a"], [0.0, 1.0])
    with pytest.raises(ImpossibleEvidence):
        marginals(network, {"a": 0, "b": 1}, ["a"])
    batch = calibrate(network, [{"a": 0, "b": 1}, {"b": 1}])
    assert list(batch.possible) == [False, True]
    assert np.isnan(batch.marginal("a")[0]).all()
    np.testing.assert_array_equal(batch.marginal("a")[1], [0.0, 1.0])


@st.composite
def random_networks(draw, max_nodes: int = 30) -> Network:
    n = draw(st.integers(1, max_nodes))
    variables: dict[str, Variable] = {}
    for i in range(n):
        earlier = list(variables)
        parents = tuple(draw(st.lists(st.sampled_from(earlier), unique=True, max_size=3))) if earlier else ()
        card = draw(st.integers(2, 3))
        shape = tuple(len(variables[p].states) for p in parents) + (card,)
        cpt = np.random.default_rng(i).uniform(0.1, 1, size=shape)
        variables[f"v{i}"] = Variable(f"v{i}", tuple(f"s{k}" for k in range(card)), parents, cpt / cpt.sum(-1, keepdims=True), "claim")
    return Network(variables)


@contextlib.contextmanager
def min_weight_tried():
    """Every tree built inside triangulated by both heuristics (normally only large ones are)."""
    from argmap.engine import jtree

    saved = jtree.TRY_WEIGHT_FROM
    jtree.TRY_WEIGHT_FROM = -1
    try:
        yield
    finally:
        jtree.TRY_WEIGHT_FROM = saved


@given(random_networks(), st.booleans())
def test_the_tree_has_the_running_intersection_property_and_maximal_cliques(network, both):
    from argmap.engine.jtree import JunctionTree

    with min_weight_tried() if both else contextlib.nullcontext():
        tree = JunctionTree(network)
        tree.cliques
    sets = [set(c) for c in tree.cliques]
    assert not any(i != j and a <= b for i, a in enumerate(sets) for j, b in enumerate(sets))
    for name, var in network.variables.items():
        assert any({*var.parents, name} <= c for c in sets), "every family sits in a clique"
        holding = {i for i, c in enumerate(sets) if name in c}
        # the cliques holding a variable are connected in the tree
        start = next(iter(holding))
        seen, stack = {start}, [start]
        while stack:
            for n in tree.neighbours[stack.pop()]:
                if n in holding and n not in seen:
                    seen.add(n)
                    stack.append(n)
        assert seen == holding, name


@pytest.mark.parametrize("triangulation", ["min-fill", "min-weight"])
@settings(max_examples=50)
@given(random_networks(max_nodes=12), st.data())
def test_random_networks_agree_with_enumeration(triangulation, network, data):
    names = list(network.variables)
    observed = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=3))
    evidence = {n: data.draw(st.integers(0, len(network.variables[n].states) - 1)) for n in observed}
    with min_weight_tried() if triangulation == "min-weight" else contextlib.nullcontext():
        ours, _ = marginals(network, evidence, names)
    truth = enumerate_posteriors(network, evidence)
    for n in names:
        np.testing.assert_allclose(ours[n], truth[n], atol=1e-9)


@given(random_networks())
def test_the_tree_kept_is_the_smaller_of_min_fill_and_min_weight(network):
    from argmap.engine.jtree import JunctionTree, _build_tree

    with min_weight_tried():
        tree = JunctionTree(network)
        kept = sum(tree.sizes)
    names = list(network.variables)
    scopes = [(*v.parents, n) for n, v in network.variables.items()]
    entries = [sum(math.prod(tree.cards[v] for v in clique) for clique in
                   _build_tree(names, scopes, tree.cards, tree.order, by_weight=by_weight)[0])
               for by_weight in (False, True)]
    assert kept == min(entries)


def test_munin1_is_triangulated_by_min_weight():
    """min-fill gives munin1 a tree of 430 million entries, min-weight (pyAgrum's size) one of 195 million."""
    from argmap.engine.jtree import JunctionTree

    assert sum(JunctionTree(from_pgmpy(bnlearn("munin1"))).sizes) == 195_218_381


def test_impossible_evidence_in_one_component_makes_every_marginal_undefined():
    variables = {**chain("a", "b"), **chain("c")}
    variables["b"] = Variable("b", ("s0", "s1"), ("a",), np.array([[1.0, 0.0], [1.0, 0.0]]), "claim")
    batch = calibrate(Network(variables), [{"b": 1}])
    assert not batch.possible[0]
    assert np.isnan(batch.marginal("c")[0]).all()
