"""A compiled :class:`~argmap.compile.Network` + the evidence that counts → prior and posterior
of every claim (:class:`Beliefs`).

The engine is exact variable elimination on numpy arrays, with barren nodes pruned (evidence
not yet observed costs nothing) and factors rescaled as they are multiplied so that long runs
of strong evidence neither underflow nor overflow; the probability of the evidence is kept in
log space. Evidence with probability 0 is an error that names a minimal set of items that
cannot all hold.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence

import attrs
import numpy as np

from .compile import Network, compile_model
from .errors import ArgmapError, Location
from .load import _Invalid, parse_date
from .model import EvidenceDate, EvidenceItem, Model, Observation
from .scales import SCALES

__all__ = ["Beliefs", "ClaimBelief", "ImpossibleEvidence", "evidence_assignment", "marginals", "update"]

Assignment = Mapping[str, int]  # variable → index of its observed state


class ImpossibleEvidence(ArithmeticError):
    """The evidence has probability 0 under the network."""


@attrs.frozen
class ClaimBelief:
    """One claim's prior and posterior distributions and the verbal word for the posterior."""

    id: str
    states: tuple[str, ...]
    prior: Mapping[str, float]
    posterior: Mapping[str, float]
    verbal: str
    most_probable: str
    observed: str | None = None  # the state, when hard evidence fixes it

    @property
    def is_binary(self) -> bool:
        return self.states == ("true", "false")


@attrs.frozen
class Beliefs:
    """What to believe about every claim, given the evidence that counts at ``as_of``."""

    model: Model
    as_of: EvidenceDate | None
    claims: Mapping[str, ClaimBelief]
    counted: tuple[str, ...]  # ids of the evidence items used, in date order
    log_evidence: float  # natural log of P(all counted evidence)

    def __getitem__(self, claim: str) -> ClaimBelief:
        return self.claims[claim]

    def posterior(self, claim: str, state: str = "true") -> float:
        return self.claims[claim].posterior[state]

    def prior(self, claim: str, state: str = "true") -> float:
        return self.claims[claim].prior[state]

    def to_dict(self) -> dict:
        """The stable JSON form of DESIGN §7."""
        counted = set(self.counted)
        return {
            "model": self.model.name,
            "title": self.model.title,
            "as_of": str(self.as_of) if self.as_of else None,
            "scale": self.model.scale,
            "claims": {
                cid: {
                    "text": self.model.claims[cid].text,
                    "role": self.model.claims[cid].role,
                    "states": list(b.states),
                    "prior": dict(b.prior),
                    "posterior": dict(b.posterior),
                    "verbal": b.verbal,
                    "most_probable": b.most_probable,
                    "observed": b.observed,
                }
                for cid, b in self.claims.items()
            },
            "evidence": [_item_dict(item, item.id in counted) for item in _date_order(self.model.evidence)],
        }


def _item_dict(item: EvidenceItem, counted: bool) -> dict:
    return {
        "id": item.id,
        "date": str(item.date) if item.date else None,
        "text": item.text,
        "bears_on": list(item.targets),
        "observed": item.observed,
        "expected": item.expected,
        "counted": counted,
        "source": item.source,
        "cite": list(item.cite),
        "url": item.url,
        "file": item.location.file,
        "line": item.location.line,
    }


def _date_order(items: Iterable[EvidenceItem]) -> list[EvidenceItem]:
    """Dated items by date (file order among equals); undated items first, as background."""
    return sorted(items, key=lambda i: (i.date is not None, i.date.first_day if i.date else dt.date.min))


def as_of_date(value: str | dt.date | EvidenceDate | None) -> EvidenceDate | None:
    if value is None or isinstance(value, EvidenceDate):
        return value
    try:
        return parse_date(value, Location("--as-of"))
    except _Invalid as exc:
        raise ArgmapError([exc.problem]) from None


def evidence_assignment(model: Model, network: Network, items: Iterable[EvidenceItem]) -> dict[str, int]:
    """Observed state index of every variable the given items fix."""
    assignment: dict[str, int] = {}
    for item in items:
        if isinstance(item.bearing, Observation):
            for cid, state in item.bearing.states.items():
                assignment[cid] = network.state_index(cid, state)
        else:
            assignment[item.id] = 0 if item.observed else 1
    return assignment


def update(model: Model, as_of: str | dt.date | EvidenceDate | None = None) -> Beliefs:
    """Prior and posterior of every claim; evidence dated after ``as_of`` is left out."""
    cutoff = as_of_date(as_of)
    network = compile_model(model)
    items = [i for i in _date_order(model.evidence) if i.counts_at(cutoff)]
    claim_ids = list(model.claims)
    prior, _ = marginals(network, {}, claim_ids)
    assignment = evidence_assignment(model, network, items)
    try:
        posterior, log_evidence = marginals(network, assignment, claim_ids)
    except ImpossibleEvidence:
        raise _impossible(model, network, items) from None
    scale = SCALES[model.scale]
    beliefs = {}
    for cid in claim_ids:
        states = model.claims[cid].states
        post = dict(zip(states, posterior[cid].tolist()))
        top = max(states, key=lambda s: post[s])
        beliefs[cid] = ClaimBelief(
            id=cid,
            states=states,
            prior=dict(zip(states, prior[cid].tolist())),
            posterior=post,
            verbal=scale.word_for(post["true"] if states == ("true", "false") else post[top]),
            most_probable=top,
            observed=states[assignment[cid]] if cid in assignment else None,
        )
    return Beliefs(model, cutoff, beliefs, tuple(i.id for i in items), log_evidence)


def _impossible(model: Model, network: Network, items: Sequence[EvidenceItem]) -> ArgmapError:
    """Shrink the evidence to a minimal set that still has probability 0, and name it."""
    culprits = list(items)
    for item in list(culprits):
        trial = [i for i in culprits if i is not item]
        try:
            marginals(network, evidence_assignment(model, network, trial), [])
        except ImpossibleEvidence:
            culprits = trial
    named = ", ".join(f"'{i.id}' ({i.location})" for i in culprits)
    return ArgmapError.at(
        culprits[0].location if culprits else model.location,
        f"impossible evidence: {named} cannot all hold under the model (probability 0); a "
        "probability of 0 or 1 in the model or in these items' likelihoods is too strong — use "
        "a small number such as 0.01 instead",
    )


# ----------------------------------------------------------------------------- the engine

Factor = tuple[tuple[str, ...], np.ndarray]


def marginals(
    network: Network, evidence: Assignment, queries: Sequence[str]
) -> tuple[dict[str, np.ndarray], float]:
    """P(q | evidence) for each query variable, and log P(evidence); exact.

    Raises ImpossibleEvidence when P(evidence) = 0."""
    relevant = _ancestors(network, set(queries) | set(evidence))
    factors: list[Factor] = []
    for name in network.variables:
        if name in relevant:
            var = network.variables[name]
            factors.append(_reduce((*var.parents, name), var.cpt, evidence))
    log_evidence, _ = _eliminate(factors, keep=())
    if log_evidence == -math.inf:
        raise ImpossibleEvidence
    result = {}
    for q in queries:
        if q in evidence:
            point = np.zeros(len(network.variables[q].states))
            point[evidence[q]] = 1.0
            result[q] = point
            continue
        _, table = _eliminate(factors, keep=(q,))
        result[q] = table / table.sum()
    return result, log_evidence


def _ancestors(network: Network, names: set[str]) -> set[str]:
    seen: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(network.variables[name].parents)
    return seen


def _reduce(variables: tuple[str, ...], table: np.ndarray, evidence: Assignment) -> Factor:
    index = tuple(evidence[v] if v in evidence else slice(None) for v in variables)
    return tuple(v for v in variables if v not in evidence), table[index]


def _eliminate(factors: list[Factor], keep: tuple[str, ...]) -> tuple[float, np.ndarray]:
    """Sum every variable but ``keep`` out of the product of ``factors``.

    Returns (log of the scale taken out, the remaining table over ``keep``)."""
    log_scale = 0.0
    pending = list(factors)
    cards = {v: t.shape[i] for vs, t in factors for i, v in enumerate(vs)}
    to_eliminate = set(cards) - set(keep)
    while to_eliminate:
        # greedy: the variable whose elimination creates the smallest table
        def cost(v: str) -> int:
            joined = set().union(*(vs for vs, _ in pending if v in vs))
            return math.prod(cards[u] for u in joined)

        var = min(sorted(to_eliminate), key=cost)
        to_eliminate.discard(var)
        touching = [f for f in pending if var in f[0]]
        pending = [f for f in pending if var not in f[0]]
        out = tuple(sorted(set().union(*(vs for vs, _ in touching)) - {var}))
        table, log_scale = _contract(touching, out, log_scale)
        pending.append((out, table))
    table, log_scale = _contract(pending, keep, log_scale)
    if not np.any(table > 0):
        return -math.inf, table
    return log_scale, table


def _contract(factors: list[Factor], out: tuple[str, ...], log_scale: float) -> tuple[np.ndarray, float]:
    """Multiply ``factors`` and sum out what is not in ``out``, rescaled (the scale taken out is
    added to ``log_scale``). einsum takes at most 32 operands, so long products are folded in
    chunks."""
    factors = list(factors)
    while len(factors) > _CHUNK:
        chunk, factors = factors[:_CHUNK], factors[_CHUNK:]
        joined = tuple(sorted(set().union(*(vs for vs, _ in chunk))))
        table, log_scale = _rescale(_einsum(chunk, joined), log_scale)
        factors.append((joined, table))
    return _rescale(_einsum(factors, out), log_scale)


_CHUNK = 16


def _einsum(factors: list[Factor], out: tuple[str, ...]) -> np.ndarray:
    labels = {v: i for i, v in enumerate(sorted(set().union(*(vs for vs, _ in factors), out)))}
    operands: list = []
    for vs, table in factors:
        operands += [table, [labels[v] for v in vs]]
    if not operands:
        return np.ones(())
    return np.einsum(*operands, [labels[v] for v in out])


def _rescale(table: np.ndarray, log_scale: float) -> tuple[np.ndarray, float]:
    peak = float(table.max()) if table.size else 0.0
    if peak > 0 and math.isfinite(peak):
        return table / peak, log_scale + math.log(peak)
    return table, log_scale
