"""A validated :class:`~argmap.model.Model` → a :class:`Network` of numpy conditional tables.

Every claim, every shared source's reliability and every evidence item becomes one discrete
variable. Evidence items are children of the claims they bear on (and of their source), so
that observing them updates those claims; see DESIGN §4 for the Bovens–Hartmann reliability
model compiled here. :func:`to_pgmpy` hands the same tables to pgmpy.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from .model import (
    BINARY,
    Claim,
    EvidenceItem,
    Likelihood,
    Model,
    NoisyOr,
    Observation,
    PriorDist,
    Table,
    VanEveraTest,
)

__all__ = ["Network", "Variable", "compile_model", "from_pgmpy", "item_likelihood", "to_pgmpy"]


@attrs.frozen(eq=False)
class Variable:
    """A node: its states, its parents, and P(state | parents) as an array of shape
    ``(*parent cardinalities, len(states))``."""

    name: str
    states: tuple[str, ...]
    parents: tuple[str, ...]
    cpt: np.ndarray
    kind: str  # claim | source | evidence


@attrs.frozen(eq=False)
class Network:
    """The compiled Bayesian network, variables in topological order."""

    variables: Mapping[str, Variable]

    def state_index(self, name: str, state: str) -> int:
        return self.variables[name].states.index(state)


def compile_model(model: Model) -> Network:
    variables: dict[str, Variable] = {}
    for cid in _topological(model):
        claim = model.claims[cid]
        variables[cid] = Variable(cid, claim.states, claim.parents, _claim_cpt(claim, model), "claim")
    used_sources = {item.source for item in model.evidence if item.source}
    for sid, source in model.sources.items():
        if sid in used_sources:
            rho = source.reliability.value
            variables[sid] = Variable(sid, BINARY, (), np.array([rho, 1 - rho]), "source")
    for item in model.evidence:
        if isinstance(item.bearing, Observation):
            continue
        parents = item.targets + ((item.source,) if item.source else ())
        variables[item.id] = Variable(item.id, BINARY, parents, _item_cpt(item, model), "evidence")
    return Network(variables)


def _topological(model: Model) -> list[str]:
    order: list[str] = []
    placed: set[str] = set()
    remaining = list(model.claims)
    while remaining:  # validated models are acyclic, so every pass places at least one claim
        ready = [c for c in remaining if all(p in placed for p in model.claims[c].parents)]
        order.extend(ready)
        placed.update(ready)
        remaining = [c for c in remaining if c not in placed]
    return order


def _claim_cpt(claim: Claim, model: Model) -> np.ndarray:
    d = claim.distribution
    if isinstance(d, PriorDist):
        return np.array([d.probs[s].value for s in claim.states])
    if isinstance(d, NoisyOr):
        supporters = [p.value for p in d.supporters.values()]
        attackers = [p.value for p in d.attackers.values()]
        cpt = np.empty((2,) * (len(supporters) + len(attackers)) + (2,))
        for row in itertools.product((True, False), repeat=len(supporters) + len(attackers)):
            p_true = noisy_or(d.leak.value, supporters, attackers, row)
            cpt[tuple(0 if active else 1 for active in row)] = (p_true, 1 - p_true)
        return cpt
    assert isinstance(d, Table)
    return _table_cpt(d, claim.states, model)


def noisy_or(leak: float, supporters: list[float], attackers: list[float], active: tuple[bool, ...]) -> float:
    """P(true | parents): [1 − (1 − leak)·Π(1 − s_i)]·Π(1 − a_j) over the active parents."""
    n = len(supporters)
    fails = (1 - leak) * np.prod([1 - s for s, on in zip(supporters, active[:n]) if on])
    kept = np.prod([1 - a for a, on in zip(attackers, active[n:]) if on])
    return float((1 - fails) * kept)


def _table_cpt(table: Table, states: tuple[str, ...], model: Model) -> np.ndarray:
    parent_states = [model.claims[p].states for p in table.parents]
    cpt = np.empty(tuple(len(s) for s in parent_states) + (len(states),))
    for index in itertools.product(*(range(len(s)) for s in parent_states)):
        row = table.rows[tuple(s[i] for s, i in zip(parent_states, index))]
        cpt[index] = [row[s].value for s in states]
    return cpt


def item_likelihood(item: EvidenceItem, model: Model) -> np.ndarray:
    """P(item reported | target states) for a fully reliable source, shape of the targets."""
    b = item.bearing
    if isinstance(b, Likelihood):
        return np.array([b.probs[s].value for s in model.claims[b.target].states])
    if isinstance(b, VanEveraTest):
        states = model.claims[b.target].states
        by_state = b.likelihood(states)
        return np.array([by_state[s] for s in states])
    assert isinstance(b, Table)
    return _table_cpt(b, BINARY, model)[..., 0]


def _item_cpt(item: EvidenceItem, model: Model) -> np.ndarray:
    likelihood = item_likelihood(item, model)
    if item.source:
        # Bovens–Hartmann: a reliable source reports as the likelihood says, an unreliable one
        # reports with probability random_yes whatever the truth; the last axis is the source.
        source = model.sources[item.source]
        p_true = np.stack([likelihood, np.full_like(likelihood, source.random_yes.value)], axis=-1)
    elif item.reliability is not None:
        rho = item.reliability.value
        p_true = rho * likelihood + (1 - rho) * 0.5
    else:
        p_true = likelihood
    return np.stack([p_true, 1 - p_true], axis=-1)


def to_pgmpy(network: Network) -> Any:
    """The network as a pgmpy ``DiscreteBayesianNetwork`` with named states."""
    import warnings

    with warnings.catch_warnings():  # pgmpy warns about its own deprecations on import
        warnings.simplefilter("ignore", FutureWarning)
        from pgmpy.factors.discrete import TabularCPD
        from pgmpy.models import DiscreteBayesianNetwork

    variables = network.variables.values()
    bn = DiscreteBayesianNetwork([(p, v.name) for v in variables for p in v.parents])
    bn.add_nodes_from(v.name for v in variables)
    cpds = []
    for v in variables:
        card = len(v.states)
        cpds.append(
            TabularCPD(
                v.name,
                card,
                v.cpt.reshape(-1, card).T,  # pgmpy: one column per parent row, first parent slowest
                evidence=list(v.parents) or None,
                evidence_card=[len(network.variables[p].states) for p in v.parents] or None,
                state_names={v.name: list(v.states), **{p: list(network.variables[p].states) for p in v.parents}},
            )
        )
    bn.add_cpds(*cpds)
    return bn


def from_pgmpy(bn: Any) -> Network:
    """A pgmpy ``DiscreteBayesianNetwork`` as a Network (every variable a claim), for running
    argmap's engine on networks made elsewhere (e.g. the bnlearn repository's BIF files).

    Published BIF files round their tables (alarm's columns sum to 1 ± 1e-7), so each column is
    normalised here; otherwise the rounding, not the engine, decides the 8th digit."""
    import networkx as nx

    variables: dict[str, Variable] = {}
    for name in nx.topological_sort(bn):
        cpd = bn.get_cpds(name)
        parents = tuple(cpd.variables[1:])
        states = tuple(str(s) for s in cpd.state_names[name])
        card = len(states)
        values = np.asarray(cpd.get_values(), dtype=float)  # (card, Π parent cards), first parent slowest
        shape = tuple(len(cpd.state_names[p]) for p in parents) + (card,)
        cpt = values.T.reshape(shape)
        variables[name] = Variable(name, states, parents, cpt / cpt.sum(axis=-1, keepdims=True), "claim")
    return Network(variables)
