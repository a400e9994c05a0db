"""A validated :class:`~argmap.model.Model` → a :class:`Network` of numpy conditional tables.

Every claim, every shared source's reliability and every evidence item becomes one discrete
variable. Evidence items are children of the claims they bear on (and of their source), so
that observing them updates those claims; see DESIGN §4 for the Bovens–Hartmann reliability
model compiled here. :func:`to_pgmpy` hands the same tables to pgmpy.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from argmap.model import (
    BINARY,
    TESTS,
    Claim,
    EvidenceItem,
    Likelihood,
    Model,
    NoisyOr,
    Observation,
    PriorDist,
    Prob,
    Table,
    VanEveraTest,
)

__all__ = [
    "InputKey",
    "Network",
    "Overrides",
    "Variable",
    "compile_model",
    "network_of",
    "from_pgmpy",
    "to_pgmpy",
    "variable_cpt",
]


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


#: names one input probability of a model, e.g. ("claim", "driver", "prior", "threat_balancing")
InputKey = tuple[str, ...]
#: a batch of values for some inputs, each an array of shape (B,)
Overrides = Mapping[InputKey, np.ndarray]


def network_of(model: Model) -> Network:
    """The model's network, compiled on first use and kept on the model: every analysis, view
    and output of one command reads this one network (and so one junction tree)."""
    network = model._compiled
    if network is None:
        network = compile_model(model)
        object.__setattr__(model, "_compiled", network)  # a cache on a frozen object
    return network


def compile_model(model: Model) -> Network:
    """Every claim, used source and evidence item as a variable, at the inputs' midpoints."""
    variables: dict[str, Variable] = {}
    for cid in _topological(model):
        claim = model.claims[cid]
        variables[cid] = Variable(cid, claim.states, claim.parents, variable_cpt(model, cid)[0], "claim")
    used_sources = {item.source for item in model.evidence if item.source}
    for sid in model.sources:
        if sid in used_sources:
            variables[sid] = Variable(sid, BINARY, (), variable_cpt(model, sid)[0], "source")
    for item in model.evidence:
        if isinstance(item.bearing, Observation):
            continue
        parents = item.targets + ((item.source,) if item.source else ())
        variables[item.id] = Variable(item.id, BINARY, parents, variable_cpt(model, item.id)[0], "evidence")
    return Network(variables)


def variable_cpt(model: Model, name: str, overrides: Overrides | None = None) -> np.ndarray:
    """The CPT of one variable, shape (B, *parent cards, states): B = 1 without ``overrides``,
    else the length of the override arrays (inputs not overridden stay at their midpoint)."""
    values = _Values(overrides or {})
    if name in model.claims:
        return _claim_cpt(model.claims[name], model, values)
    if name in model.sources:
        rho = values.get(("source", name, "reliability"), model.sources[name].reliability)
        return np.stack([rho, 1 - rho], axis=-1)
    return _item_cpt(model.item(name), model, values)


class _Values:
    """Input values as (B,) arrays: the override where one is given, else the midpoint."""

    def __init__(self, overrides: Overrides):
        self.overrides = overrides
        self.batch = max((len(v) for v in overrides.values()), default=1)

    def get(self, key: InputKey, prob: Prob) -> np.ndarray:
        value = self.overrides.get(key)
        return np.full(self.batch, prob.value) if value is None else np.asarray(value, dtype=float)

    def distribution(self, key: InputKey, probs: Mapping[str, Prob], states: tuple[str, ...]) -> np.ndarray:
        """(B, states). Moving one state's input rescales the others proportionally (so the
        posterior stays a ratio of linear functions of it); moving several renormalises. A
        binary distribution has one input, P(first state)."""
        base = np.array([probs[s].value for s in states])
        inputs = states[:1] if len(states) == 2 else states
        moved = {s: self.overrides[(*key, s)] for s in inputs if (*key, s) in self.overrides}
        table = np.tile(base, (self.batch, 1))
        if not moved:
            return table
        if len(moved) == 1:
            (state, value), = moved.items()
            i = states.index(state)
            rest = 1 - base[i]
            scale = (1 - np.asarray(value)) / rest if rest > 0 else None
            for j in range(len(states)):
                if j != i:
                    table[:, j] = base[j] * scale if scale is not None else (1 - np.asarray(value)) / (len(states) - 1)
            table[:, i] = value
            return table
        for state, value in moved.items():
            table[:, states.index(state)] = value
        if len(states) == 2:
            table[:, 1] = 1 - table[:, 0]
        return table / table.sum(axis=1, keepdims=True)


def _topological(model: Model) -> list[str]:
    """Claims parents-first, otherwise in the order written (Kahn's algorithm)."""
    waiting = {cid: len(set(claim.parents)) for cid, claim in model.claims.items()}
    children: dict[str, list[str]] = {cid: [] for cid in model.claims}
    for cid, claim in model.claims.items():
        for parent in set(claim.parents):
            children[parent].append(cid)
    position = {cid: i for i, cid in enumerate(model.claims)}
    ready = [cid for cid, n in waiting.items() if n == 0]
    heapq.heapify(ready := [(position[c], c) for c in ready])
    order: list[str] = []
    while ready:  # validated models are acyclic, so every claim is reached
        _, cid = heapq.heappop(ready)
        order.append(cid)
        for child in children[cid]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, (position[child], child))
    return order


def _claim_cpt(claim: Claim, model: Model, values: _Values) -> np.ndarray:
    d = claim.distribution
    key = ("claim", claim.id)
    if isinstance(d, PriorDist):
        return values.distribution((*key, "prior"), d.probs, claim.states)
    if isinstance(d, NoisyOr):
        supporters = [values.get((*key, "supported_by", p), s) for p, s in d.supporters.items()]
        attackers = [values.get((*key, "attacked_by", p), a) for p, a in d.attackers.items()]
        leak = values.get((*key, "leak"), d.leak)
        n = len(supporters) + len(attackers)
        cpt = np.empty((values.batch,) + (2,) * n + (2,))
        for row in itertools.product((True, False), repeat=n):
            p_true = noisy_or(leak, supporters, attackers, row)
            index = (slice(None),) + tuple(0 if active else 1 for active in row)
            cpt[index + (0,)] = p_true
            cpt[index + (1,)] = 1 - p_true
        return cpt
    assert isinstance(d, Table)
    return _table_cpt(d, claim.states, model, values, (*key, "table"))


def noisy_or(leak, supporters, attackers, active: tuple[bool, ...]):
    """P(true | parents): [1 − (1 − leak)·Π(1 − s_i)]·Π(1 − a_j) over the active parents
    (numbers, or arrays of a batch)."""
    n = len(supporters)
    fails = 1 - leak
    for s, on in zip(supporters, active[:n]):
        if on:
            fails = fails * (1 - s)
    kept = 1.0
    for a, on in zip(attackers, active[n:]):
        if on:
            kept = kept * (1 - a)
    return (1 - fails) * kept


def _table_cpt(table: Table, states: tuple[str, ...], model: Model, values: _Values, key: InputKey) -> np.ndarray:
    parent_states = [model.claims[p].states for p in table.parents]
    shape = tuple(len(s) for s in parent_states) + (len(states),)
    if not values.overrides:  # the common case, an imported network's: one array from one list
        rows = table.rows
        flat = [probs[s].value for row in itertools.product(*parent_states) for probs in (rows[row],) for s in states]
        return np.array(flat).reshape((1,) + shape)
    cpt = np.empty((values.batch,) + shape)
    for index in itertools.product(*(range(len(s)) for s in parent_states)):
        row = tuple(s[i] for s, i in zip(parent_states, index))
        cpt[(slice(None),) + index] = values.distribution((*key, ", ".join(row)), table.rows[row], states)
    return cpt


def _likelihood(item: EvidenceItem, model: Model, values: _Values) -> np.ndarray:
    b = item.bearing
    key = ("item", item.id)
    if isinstance(b, Likelihood):
        states = model.claims[b.target].states
        return np.stack([values.get((*key, "likelihood", s), b.probs[s]) for s in states], axis=-1)
    if isinstance(b, VanEveraTest):
        if_h, if_not = (Prob.exactly(p) for p in TESTS[b.test])
        p_h, p_not = values.get((*key, "test", "if_h"), if_h), values.get((*key, "test", "if_not"), if_not)
        states = model.claims[b.target].states
        return np.stack([p_h if s == b.for_state else p_not for s in states], axis=-1)
    assert isinstance(b, Table)
    return _table_cpt(b, BINARY, model, values, (*key, "table"))[..., 0]


def _item_cpt(item: EvidenceItem, model: Model, values: _Values) -> np.ndarray:
    likelihood = _likelihood(item, model, values)
    expand = (slice(None),) + (None,) * (likelihood.ndim - 1)
    if item.source:
        # Bovens–Hartmann: a reliable source reports as the likelihood says, an unreliable one
        # reports with probability random_yes whatever the truth; the last axis is the source.
        random_yes = np.full_like(likelihood, model.sources[item.source].random_yes.value)
        p_true = np.stack([likelihood, random_yes], axis=-1)
    elif item.reliability is not None:
        rho = values.get(("item", item.id, "reliability"), item.reliability)[expand]
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
