"""A compiled :class:`~argmap.engine.compile.Network` + the evidence that counts → prior and posterior
of every claim (:class:`Beliefs`).

The engine is exact: a junction tree on numpy (:mod:`argmap.engine.jtree`) built once per network,
that reads every marginal from one calibration and takes a whole batch of evidence scenarios
at once. The probability of the evidence is kept in log space. Evidence with probability 0 is
an error that names a minimal set of items that cannot all hold.
"""

from __future__ import annotations

import datetime as dt
import math
import weakref
from collections.abc import Collection, Iterable, Mapping, Sequence

from typing import Any

import attrs
import numpy as np

from argmap._results import Listing, data_frame, html_table, shown_states
from argmap.engine.jtree import Calibration, JunctionTree, Regrouped
from argmap.engine.compile import Network, network_of
from argmap.errors import ArgmapError, Location, did_you_mean
from argmap.loader.reader import InvalidValue, parse_date
from argmap.model import EvidenceDate, EvidenceItem, Model, Observation, stage
from argmap.scales import SCALES

__all__ = [
    "AccountBelief",
    "Beliefs",
    "ClaimBelief",
    "ImpossibleEvidence",
    "Step",
    "Trajectory",
    "belief_trajectory",
    "date_order",
    "evidence_assignment",
    "marginals",
    "trajectory",
    "update",
]

Assignment = Mapping[str, int]  # variable → index of its observed state
BELIEF_COLUMNS = ("claim", "role", "state", "prior", "posterior", "verbal", "observed")


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
class AccountBelief:
    """One account's prior and posterior: P(all its claim states hold), before and after the evidence."""

    name: str
    states: Mapping[str, str]
    prior: float
    posterior: float

    def to_dict(self) -> dict:
        """``update --format json``'s entry of ``accounts``."""
        return {"states": dict(self.states), "prior": self.prior, "posterior": self.posterior}


@attrs.frozen
class Beliefs:
    """What to believe about every claim, given the evidence that counts at ``as_of``."""

    model: Model
    as_of: EvidenceDate | None
    claims: Mapping[str, ClaimBelief]
    counted: tuple[str, ...]  # ids of the evidence items used, in date order
    log_evidence: float  # natural log of P(all counted evidence)
    accounts: Mapping[str, AccountBelief] = attrs.field(factory=dict)  # the model's accounts, in its order

    def __getitem__(self, claim: str) -> ClaimBelief:
        return self._belief(claim)

    def posterior(self, claim: str, state: str | None = None) -> float:
        """P(claim = state | evidence); ``state`` may be left out for a binary claim ("true")."""
        return self._belief(claim).posterior[self._state(claim, state)]

    def prior(self, claim: str, state: str | None = None) -> float:
        """P(claim = state) before any evidence; ``state`` as for :meth:`posterior`."""
        return self._belief(claim).prior[self._state(claim, state)]

    def _belief(self, claim: str) -> ClaimBelief:
        try:
            return self.claims[claim]
        except (KeyError, TypeError):
            raise ArgmapError.at(Location("claim="), f"unknown claim {claim!r}" + did_you_mean(str(claim), self.claims)
                                 + f"; the claims are {', '.join(self.claims)}") from None

    def _state(self, claim: str, state: str | None) -> str:
        states = self.claims[claim].states
        if state is None:
            if states == ("true", "false"):
                return "true"
            raise ArgmapError.at(Location("state="), f"'{claim}' has several states ({', '.join(states)}): "
                                 f"name one, e.g. posterior({claim!r}, {states[0]!r})")
        if state not in states:
            raise ArgmapError.at(Location("state="), f"'{claim}' has no state {state!r}" + did_you_mean(str(state), states)
                                 + f"; its states are {', '.join(states)}")
        return state

    def _repr_svg_(self) -> str | None:
        """In Jupyter, beliefs display themselves as the argument map."""
        return stage("beliefs_svg")(self)

    def rows(self) -> list[dict]:
        """One row per claim state (binary claims: P(true)): claim, role, state, prior, posterior, verbal."""
        out = []
        for cid, b in self.claims.items():
            role = self.model.claims[cid].role
            for state in shown_states(b.states):
                out.append({"claim": cid, "role": role, "state": "" if b.is_binary else state,
                            "prior": b.prior[state], "posterior": b.posterior[state],
                            "verbal": b.verbal if b.is_binary or state == b.most_probable else "",
                            "observed": b.observed})
        return out

    def to_pandas(self) -> Any:
        """The beliefs as a pandas DataFrame, one row per claim state (see :meth:`rows`)."""
        return data_frame(self.rows(), BELIEF_COLUMNS)

    def _repr_html_(self) -> str:
        """In Jupyter: the beliefs table, then the accounts and the rivals compared in pairs."""
        table = html_table(["claim", "role", "state", "prior", "posterior", "verbal"],
                           [[r["claim"], r["role"], r["state"], f"{r['prior']:.3f}", f"{r['posterior']:.3f}",
                             f"observed {r['observed']}" if r["observed"] else r["verbal"]] for r in self.rows()],
                           f"{self.model.title or self.model.name}: prior and posterior"
                           + (f" (evidence up to {self.as_of})" if self.as_of else ""))
        pairs = stage("pairwise")(self)
        return table + (pairs._repr_html_() if pairs.accounts or pairs.comparisons else "")

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
            "evidence": [_item_dict(item, item.id in counted) for item in date_order(self.model.evidence)],
            # accounts and pairwise comparisons: an analysis (argmap.analysis.pairwise), reached by its hook
            **stage("pairwise")(self).to_dict(),
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


def date_order(items: Iterable[EvidenceItem]) -> list[EvidenceItem]:
    """Dated items by date (file order among equals); undated items first, as background."""
    return sorted(items, key=lambda i: (i.date is not None, i.date.first_day if i.date else dt.date.min))


def as_of_date(value: str | dt.date | EvidenceDate | None) -> EvidenceDate | None:
    if value is None or isinstance(value, EvidenceDate):
        return value
    try:
        return parse_date(value, Location("--as-of"))
    except InvalidValue as exc:
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


@attrs.frozen
class Step:
    """One point of a belief trajectory: the posteriors after ``item`` (None: before any evidence)."""

    item: EvidenceItem | None
    posteriors: Mapping[str, Mapping[str, float]]  # claim → state → probability


@attrs.frozen
class Trajectory(Listing):
    """Beliefs over time (``argmap.trajectory``): the claims' posteriors before any evidence and
    after each counted item, in date order. Iterating gives the :class:`Step` objects."""

    model: Model = attrs.field(eq=False, repr=False)
    as_of: str | None
    claims: tuple[str, ...]
    steps: tuple[Step, ...]

    listed = "steps"

    def _columns(self) -> list[tuple[str, str, str]]:
        """(column, claim, state): a binary claim's P(true) under its id, a multi-state claim's
        states as claim=state."""
        return [(cid if len(shown) == 1 else f"{cid}={state}", cid, state)
                for cid in self.claims for shown in [shown_states(self.model.claims[cid].states)] for state in shown]

    def rows(self) -> list[dict[str, Any]]:
        """One row per step: item (None: the prior), date, and a column per claim state."""
        columns = self._columns()
        return [{"item": st.item.id if st.item else None, "date": str(st.item.date) if st.item and st.item.date else None,
                 **{name: st.posteriors[cid][state] for name, cid, state in columns}} for st in self.steps]

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model.name, "as_of": self.as_of, "claims": list(self.claims),
                "steps": [{"item": st.item.id if st.item else None,
                           "date": str(st.item.date) if st.item and st.item.date else None,
                           "posterior": {c: dict(p) for c, p in st.posteriors.items()}} for st in self.steps]}

    def to_pandas(self) -> Any:
        """One row per step (the prior first), a column per claim state (see :meth:`rows`)."""
        return data_frame(self.rows(), ["item", "date", *(name for name, _, _ in self._columns())])

    def _repr_html_(self) -> str:
        names = [name for name, _, _ in self._columns()]
        body = [[r["item"] or "(prior)", r["date"] or "", *(f"{r[n]:.3f}" for n in names)] for r in self.rows()]
        return html_table(["after item", "date", *names], body,
                          f"{self.model.title or self.model.name}: posterior after each item, in date order"
                          + (f" (evidence up to {self.as_of})" if self.as_of else ""))


def belief_trajectory(model: Model, as_of: str | dt.date | EvidenceDate | None = None,
                      claims: Sequence[str] | None = None) -> Trajectory:
    """:func:`trajectory` as a :class:`Trajectory` (the Python API's result)."""
    cutoff = as_of_date(as_of)
    claims = [claims] if isinstance(claims, str) else claims
    for cid in claims or ():
        if cid not in model.claims:
            raise ArgmapError.at(Location("claims="), f"unknown claim {cid!r}" + did_you_mean(str(cid), model.claims))
    steps = trajectory(model, cutoff, claims)
    return Trajectory(model, str(cutoff) if cutoff else None, tuple(claims or model.claims), tuple(steps))


def trajectory(model: Model, as_of: str | dt.date | EvidenceDate | None = None,
               claims: Sequence[str] | None = None) -> list[Step]:
    """Every claim's posterior before any evidence and after each item that counts, items in
    date order (undated ones first, as background); all prefixes in batched calibrations."""
    cutoff = as_of_date(as_of)
    network = network_of(model)
    items = [i for i in date_order(model.evidence) if i.counts_at(cutoff)]
    claims = list(claims or model.claims)
    prefixes: list[dict[str, int]] = [{}]
    for item in items:
        prefixes.append({**prefixes[-1], **evidence_assignment(model, network, [item])})
    steps: list[Step] = []
    for start in range(0, len(prefixes), _TRAJECTORY_CHUNK):
        chunk = prefixes[start:start + _TRAJECTORY_CHUNK]
        calibration = calibrate(network, chunk)
        if not calibration.possible.all():
            raise _impossible(model, network, items)
        marginal = {c: calibration.marginal(c) for c in claims}
        for b in range(len(chunk)):
            k = start + b
            steps.append(Step(items[k - 1] if k else None,
                              {c: dict(zip(model.claims[c].states, marginal[c][b].tolist())) for c in claims}))
    return steps


_TRAJECTORY_CHUNK = 256
ENGINES = ("argmap", "pgmpy")


def update(model: Model, as_of: str | dt.date | EvidenceDate | None = None, *, engine: str = "argmap",
           leave_out: Collection[str] = ()) -> Beliefs:
    """Prior and posterior of every claim; evidence dated after ``as_of`` is left out, and so are
    the items named in ``leave_out`` (the same network, those items unobserved).

    ``engine="pgmpy"`` computes the same numbers with pgmpy's VariableElimination (slower; the
    reference the test suite compares against)."""
    if engine not in ENGINES:
        raise ArgmapError.at(Location("--engine"), f"unknown engine '{engine}'; use one of {', '.join(ENGINES)}")
    cutoff = as_of_date(as_of)
    network = network_of(model)
    items = [i for i in date_order(model.evidence) if i.counts_at(cutoff) and i.id not in leave_out]
    claim_ids = list(model.claims)
    assignment = evidence_assignment(model, network, items)
    # prior and posterior in one pass, with each account's conjunction fixed (with and without
    # the evidence): P(account) and P(account | evidence) are ratios of these scenarios' P(evidence)
    accounts = [_account_assignment(network, a.states) for a in model.accounts.values()]
    joint = [{**assignment, **a} for a in accounts]
    both = calibrate(network, [{}, assignment, *accounts, *joint])
    log_evidence = float(both.log_evidence[1])
    if log_evidence == -math.inf:
        raise _impossible(model, network, items)
    prior = {c: both.marginal(c)[0] for c in claim_ids}
    if engine == "pgmpy":
        posterior = _pgmpy_marginals(network, assignment, claim_ids)
    else:
        posterior = {c: both.marginal(c)[1] for c in claim_ids}
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
    n = len(accounts)
    account_beliefs = {}
    for k, account in enumerate(model.accounts.values()):
        conflict = any(c in assignment and assignment[c] != i for c, i in accounts[k].items())
        prior_log = float(both.log_evidence[2 + k])
        posterior_log = -math.inf if conflict else float(both.log_evidence[2 + n + k]) - log_evidence
        account_beliefs[account.name] = AccountBelief(account.name, dict(account.states), math.exp(prior_log),
                                                      min(math.exp(posterior_log), 1.0))
    return Beliefs(model, cutoff, beliefs, tuple(i.id for i in items), log_evidence, account_beliefs)


def _account_assignment(network: Network, states: Mapping[str, str]) -> dict[str, int]:
    return {cid: network.state_index(cid, state) for cid, state in states.items()}


def _pgmpy_marginals(network: Network, assignment: Assignment, queries: Sequence[str]) -> dict[str, np.ndarray]:
    from argmap.engine.compile import to_pgmpy

    bn = to_pgmpy(network)  # imports pgmpy quietly first
    from pgmpy.inference import VariableElimination

    engine = VariableElimination(bn)
    named = {n: network.variables[n].states[i] for n, i in assignment.items()}
    out = {}
    for q in queries:
        states = network.variables[q].states
        if q in assignment:
            out[q] = np.eye(len(states))[assignment[q]]
            continue
        factor = engine.query([q], evidence=named, show_progress=False)
        out[q] = np.array([factor.get_value(**{q: s}) for s in states])
    return out


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

_TREES: weakref.WeakKeyDictionary[Network, JunctionTree] = weakref.WeakKeyDictionary()


def junction_tree(network: Network) -> JunctionTree:
    """The network's junction tree, built once per compiled network."""
    tree = _TREES.get(network)
    if tree is None:
        tree = _TREES[network] = JunctionTree(network)
    return tree


def calibrate(network: Network, scenarios: Sequence[Assignment], cpts: Mapping[str, np.ndarray] | None = None) -> Calibration:
    """One pass of the junction tree over a batch of evidence scenarios (and, optionally, CPTs
    that vary across the batch)."""
    tree = junction_tree(network)
    batch = max(len(scenarios), 1)
    groups = tree.groups(scenarios)
    if groups is not None:  # a large network: each evidence set on its own folded tree
        parts = []
        for rows in groups:
            chosen = np.array(rows)
            part_cpts = {n: c[chosen] if c.ndim > network.variables[n].cpt.ndim and c.shape[0] == batch else c
                         for n, c in (cpts or {}).items()}
            parts.append((chosen, _one_pass(network, tree, [scenarios[r] for r in rows], part_cpts or None)))
        return Regrouped(parts, batch)
    return _one_pass(network, tree, scenarios, cpts)


def _one_pass(network: Network, tree: JunctionTree, scenarios: Sequence[Assignment],
                  cpts: Mapping[str, np.ndarray] | None = None) -> Calibration:
    """:func:`calibrate` in one pass (of a tree with the evidence common to all folded in)."""
    batch = max(len(scenarios), 1)
    observed: dict[str, np.ndarray] = {}
    for b, assignment in enumerate(scenarios):
        for name, index in assignment.items():
            column = observed.get(name)
            if column is None:  # not setdefault: its default would be built for every pair (batch² work)
                column = observed[name] = np.full(batch, -1)
            column[b] = index
    # claims and sources observed alike in every scenario are folded into the tables, on a
    # tree triangulated without them (worth it on larger networks; evidence that varies across
    # the batch stays a factor, so the batch axis is kept)
    common = {n: int(i[0]) for n, i in observed.items() if n in tree.order and i[0] >= 0 and (i == i[0]).all()}
    tree = tree.for_evidence(common)
    factors = []
    for name, indices in observed.items():
        if name in tree.fixed:
            continue
        if network.variables[name].kind == "evidence":
            factors.append(tree.item_factor(name, indices, (cpts or {}).get(name)))
        else:
            factors.append(tree.state_factor(name, indices))
    return tree.calibrate(factors, {n: c for n, c in (cpts or {}).items() if n in tree.order}, batch)


def marginals(
    network: Network, evidence: Assignment, queries: Sequence[str]
) -> tuple[dict[str, np.ndarray], float]:
    """P(q | evidence) for each query variable (claims, sources or items), and log P(evidence).

    Raises ImpossibleEvidence when P(evidence) = 0."""
    calibration = calibrate(network, [evidence])
    log_evidence = float(calibration.log_evidence[0])
    if log_evidence == -math.inf:
        raise ImpossibleEvidence
    result = {}
    for q in queries:
        if q in evidence:
            point = np.zeros(len(network.variables[q].states))
            point[evidence[q]] = 1.0
            result[q] = point
        elif network.variables[q].kind == "evidence":
            result[q] = item_marginal(network, calibration, q)[0]
        else:
            result[q] = calibration.marginal(q)[0]
    return result, log_evidence


def item_marginal(network: Network, calibration: Calibration, name: str) -> np.ndarray:
    """P(item state) per scenario: its CPT averaged over the joint of its parents."""
    var = network.variables[name]
    ordered = junction_tree(network).in_order(var.parents)
    joint = calibration.joint(ordered)
    cpt = np.transpose(var.cpt, [var.parents.index(v) for v in ordered] + [len(var.parents)])
    card = len(var.states)
    return np.einsum(joint.reshape(joint.shape[0], -1), [0, 1], cpt.reshape(-1, card), [1, 2], [0, 2])
