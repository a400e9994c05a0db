"""Beliefs, or a model and its evidence → rivals compared in pairs: the prior odds, posterior odds
and Bayes factor of every pair of states of a multi-state hypothesis or rival and of every pair
of accounts (DESIGN §6); and what ``argmap weigh`` shows — each item's weight (dB) on each pair
of a claim's states, its pairwise leave-one-out, and the totals — in batched calibrations.

"A against all the others" mixes the rivals' priors into one number; a pair does not: the
Bayes factor of a over b is P(evidence | a) / P(evidence | b), whatever the other states' priors.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from argmap._results import (
    data_frame,
    format_decibels,
    html_note,
    html_table,
    json_number,
    odds_text,
    states_text,
)
from argmap.analysis.weights import ItemWeight, stated_ratio_only
from argmap.engine.compile import Network, network_of
from argmap.engine.infer import AccountBelief, Beliefs, as_of_date, calibrate, date_order, evidence_assignment
from argmap.errors import ArgmapError, Location, did_you_mean
from argmap.model import EvidenceItem, Model

__all__ = [
    "COMPARISON_COLUMNS",
    "Comparison",
    "PairTotal",
    "PairWeight",
    "Pairwise",
    "WeighRow",
    "Weighing",
    "comparisons",
    "item_weights",
    "json_number",
    "leave_one_out_marginals",
    "pairwise",
    "state_likelihoods",
    "state_pairs",
    "weigh",
]

_CHUNK = 256  # scenarios per batched calibration
_DB = 10 / math.log(10)  # natural log → decibels


def _log(p: float) -> float:
    return math.log(p) if p > 0 else -math.inf


def _log_odds(a: float, b: float) -> float:
    """ln(a / b); NaN when both are 0 (no odds to speak of)."""
    la, lb = _log(a), _log(b)
    return math.nan if la == lb == -math.inf else la - lb


def _exp(x: float) -> float:
    return math.nan if math.isnan(x) else math.exp(x) if x < 709 else math.inf


@attrs.frozen
class Comparison:
    """State (or account) ``a`` against ``b``: prior odds, posterior odds, and their ratio, the
    Bayes factor of the evidence for a over b."""

    of: str  # the claim, or "accounts"
    a: str
    b: str
    prior_a: float
    prior_b: float
    posterior_a: float
    posterior_b: float

    @property
    def prior_odds(self) -> float:
        return _exp(_log_odds(self.prior_a, self.prior_b))

    @property
    def posterior_odds(self) -> float:
        return _exp(_log_odds(self.posterior_a, self.posterior_b))

    @property
    def log_bayes_factor(self) -> float:
        post, prior = _log_odds(self.posterior_a, self.posterior_b), _log_odds(self.prior_a, self.prior_b)
        if math.isinf(post) and post == prior:  # both odds 0 (or both infinite): the factor is not defined
            return math.nan
        return post - prior

    @property
    def bayes_factor(self) -> float:
        return _exp(self.log_bayes_factor)

    @property
    def decibels(self) -> float:
        return _DB * self.log_bayes_factor

    def to_dict(self) -> dict[str, Any]:
        """DESIGN §7's ``comparisons`` entry."""
        return {"of": self.of, "a": self.a, "b": self.b, "prior_odds": json_number(self.prior_odds),
                "posterior_odds": json_number(self.posterior_odds),
                "bayes_factor": json_number(self.bayes_factor), "decibels": json_number(self.decibels)}

    def row(self) -> dict[str, Any]:
        """A row of :meth:`Pairwise.to_pandas` (floats as they are: inf, nan)."""
        return {"of": self.of, "a": self.a, "b": self.b, "prior_odds": self.prior_odds,
                "posterior_odds": self.posterior_odds, "bayes_factor": self.bayes_factor, "decibels": self.decibels}

    def cells(self) -> list[str]:
        """The row as ``update``'s table shows it: odds and factor to three figures, signed dB."""
        return [self.of, self.a, self.b, odds_text(self.prior_odds), odds_text(self.posterior_odds),
                odds_text(self.bayes_factor), format_decibels(self.decibels)]

    def _repr_html_(self) -> str:
        return html_table(COMPARISON_HEAD, [self.cells()])


COMPARISON_COLUMNS = ("of", "a", "b", "prior_odds", "posterior_odds", "bayes_factor", "decibels")
COMPARISON_HEAD = ("of", "a", "b", "prior odds", "posterior odds", "Bayes factor", "dB")


@attrs.frozen
class Pairwise:
    """The accounts and the rivals compared in pairs, as ``update`` shows them after the claims
    (``argmap.pairwise``): each account's prior and posterior, then every pair of states of each
    multi-state hypothesis or rival and every pair of accounts (:class:`Comparison`)."""

    accounts: Mapping[str, AccountBelief]
    comparisons: tuple[Comparison, ...]

    def to_dict(self) -> dict[str, Any]:
        """``update --format json``'s ``accounts`` and ``comparisons``."""
        return {"accounts": {name: a.to_dict() for name, a in self.accounts.items()},
                "comparisons": [c.to_dict() for c in self.comparisons]}

    def to_pandas(self, table: str = "comparisons") -> Any:
        """The comparisons, one row per pair (``table="accounts"``: one row per account, its
        prior, posterior and states)."""
        if table == "accounts":
            return data_frame([{"account": n, "prior": a.prior, "posterior": a.posterior, "states": states_text(a.states)}
                               for n, a in self.accounts.items()], ("account", "prior", "posterior", "states"))
        if table != "comparisons":
            raise ArgmapError.at(Location("table="), f"table= is 'comparisons' or 'accounts', not {table!r}")
        return data_frame([c.row() for c in self.comparisons], COMPARISON_COLUMNS)

    def _repr_html_(self) -> str:
        parts = []
        if self.accounts:
            parts.append(html_table(["account", "prior", "posterior", "states"],
                                    [[n, f"{a.prior:.3f}", f"{a.posterior:.3f}", states_text(a.states)]
                                     for n, a in self.accounts.items()],
                                    "accounts (each the conjunction of its claim states)"))
        if self.comparisons:
            parts.append(html_table(COMPARISON_HEAD, [c.cells() for c in self.comparisons],
                                    "rivals compared in pairs (odds of a against b; Bayes factor = posterior odds / "
                                    "prior odds)"))
        return "".join(parts) or html_note("no accounts, and no multi-state hypothesis or rival: nothing to compare "
                                           "in pairs")


def state_pairs(states: Sequence[str]) -> list[tuple[str, str]]:
    """Every unordered pair, in the order the states are written (a before b)."""
    return list(itertools.combinations(states, 2))


def comparisons(beliefs: Beliefs) -> list[Comparison]:
    """Every pair of states of each multi-state hypothesis or rival that hard evidence does not
    fix, then every pair of accounts."""
    model = beliefs.model
    out = []
    for cid, b in beliefs.claims.items():
        if model.claims[cid].role not in ("hypothesis", "rival") or len(b.states) < 3 or b.observed:
            continue
        out += [Comparison(cid, x, y, b.prior[x], b.prior[y], b.posterior[x], b.posterior[y])
                for x, y in state_pairs(b.states)]
    accounts = beliefs.accounts
    out += [Comparison("accounts", x, y, accounts[x].prior, accounts[y].prior, accounts[x].posterior,
                       accounts[y].posterior) for x, y in state_pairs(list(accounts))]
    return out


def pairwise(beliefs: Beliefs) -> Pairwise:
    """The accounts of ``beliefs`` and every comparison :func:`comparisons` makes."""
    return Pairwise(dict(beliefs.accounts), tuple(comparisons(beliefs)))


# ----------------------------------------------------------------------------- item weights, batched


def _log_evidence(network: Network, scenarios: Sequence[dict[str, int]]) -> np.ndarray:
    parts = [calibrate(network, scenarios[i:i + _CHUNK]).log_evidence for i in range(0, len(scenarios), _CHUNK)]
    return np.concatenate(parts) if parts else np.zeros(0)


def state_likelihoods(model: Model, claim: str, items: Sequence[EvidenceItem],
                      network: Network | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The prior of ``claim`` (states,) and P(item's observation | claim = s) for each item and
    state (items, states), in the network with no other evidence — every item × state one
    scenario of a few batched calibrations. NaN where P(claim = s) = 0. Items must not fix
    ``claim`` themselves."""
    network = network or network_of(model)
    k = len(network.variables[claim].states)
    scenarios: list[dict[str, int]] = [{claim: s} for s in range(k)]
    for item in items:
        observation = evidence_assignment(model, network, [item])
        scenarios += [{**observation, claim: s} for s in range(k)]
    logs = _log_evidence(network, scenarios)
    log_prior, joint = logs[:k], logs[k:].reshape(len(items), k)
    with np.errstate(invalid="ignore"):
        likelihood = np.where(np.isfinite(log_prior), np.exp(joint - log_prior), np.nan)
    return np.exp(log_prior), np.minimum(likelihood, 1.0)


def item_weights(model: Model, claim: str, items: Sequence[EvidenceItem],
                 network: Network | None = None) -> dict[str, tuple[ItemWeight, ...]]:
    """Each item's :class:`ItemWeight` on every state of ``claim`` against the others (the
    others weighed by their prior), as :func:`~argmap.analysis.weights.weight_of_evidence`
    gives one at a time — here from one batched :func:`state_likelihoods`."""
    prior, likelihood = state_likelihoods(model, claim, items, network)
    return {item.id: _state_weights(item, claim, list(network_of(model).variables[claim].states), prior, row)
            for item, row in zip(items, likelihood)}


def _state_weights(item: EvidenceItem, claim: str, states: list[str], prior: np.ndarray,
                   row: np.ndarray) -> tuple[ItemWeight, ...]:
    known = np.nan_to_num(row)  # a state of prior 0 adds nothing to P(observation)
    p_obs = float(known @ prior)
    out = []
    for s, state in enumerate(states):
        p_state = float(prior[s])
        p_if = float(known[s]) if p_state > 0 else 0.0
        p_if_not = (p_obs - p_if * p_state) / (1 - p_state) if p_state < 1 else 0.0
        out.append(ItemWeight(item.id, claim, state, min(p_if, 1.0), min(max(p_if_not, 0.0), 1.0), item.observed,
                              ratio_only=stated_ratio_only(item)))
    return tuple(out)


def leave_one_out_marginals(model: Model, claim: str, items: Sequence[EvidenceItem],
                            network: Network | None = None) -> tuple[np.ndarray, np.ndarray]:
    """P(claim | all ``items``) (states,) and P(claim | all but item i) (items, states), in
    batched calibrations; NaN rows where an evidence set is impossible."""
    network = network or network_of(model)
    scenarios = [evidence_assignment(model, network, items)]
    scenarios += [evidence_assignment(model, network, [i for i in items if i is not item]) for item in items]
    rows = [calibrate(network, scenarios[i:i + _CHUNK]).marginal(claim) for i in range(0, len(scenarios), _CHUNK)]
    marginal = np.concatenate(rows)
    return marginal[0], marginal[1:]


# ----------------------------------------------------------------------------- argmap weigh


@attrs.frozen
class PairWeight:
    """One item on one pair: its own weight (dB, alone in the network) and what removing it from
    all the evidence changes (dB of the pair's posterior odds)."""

    a: str
    b: str
    decibels: float  # 10·log10 P(observation | a) / P(observation | b)
    leave_one_out_db: float  # 10·log10 odds(a : b | all) − 10·log10 odds(a : b | all but this item)


@attrs.frozen
class WeighRow:
    item: str
    date: str | None
    text: str
    written: str  # likelihood | lr | a test's name | table | observe
    likelihoods: tuple[float, ...]  # P(observation | state), per state of the target
    pairs: tuple[PairWeight, ...]  # in the order of Weighing.pairs
    by_state: tuple[ItemWeight, ...] = attrs.field(eq=False, repr=False)  # each state against the rest

    @property
    def moves(self) -> bool:
        """Whether the item weighs anything on some pair (|dB| ≥ 0.005)."""
        return any(not (abs(p.decibels) < 0.005) for p in self.pairs)


@attrs.frozen
class PairTotal:
    """All the evidence on one pair: the network's Bayes factor beside the naive sum of the weights."""

    a: str
    b: str
    comparison: Comparison
    naive_db: float  # Σ of the items' own weights: equal to the network's when they are independent given the claim

    @property
    def decibels(self) -> float:
        return self.comparison.decibels


@attrs.frozen
class Weighing:
    """``argmap weigh``: which items carry each comparison of ``claim``'s states."""

    model: Model = attrs.field(eq=False, repr=False)
    claim: str
    states: tuple[str, ...]
    as_of: str | None
    pairs: tuple[tuple[str, str], ...]
    rows: tuple[WeighRow, ...]  # counted items in date order
    totals: tuple[PairTotal, ...]
    fixed: str | None  # the state hard evidence fixes (nothing is left to weigh)
    fixing: tuple[str, ...]  # the items that fix it

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model.name, "target": self.claim, "states": list(self.states), "as_of": self.as_of,
            "fixed_by_hard_evidence": self.fixed, "fixing_items": list(self.fixing),
            "pairs": [
                {"a": t.a, "b": t.b, "prior_odds": json_number(t.comparison.prior_odds),
                 "posterior_odds": json_number(t.comparison.posterior_odds),
                 "bayes_factor": json_number(t.comparison.bayes_factor), "decibels": json_number(t.decibels),
                 "naive_sum_db": json_number(t.naive_db)}
                for t in self.totals],
            "items": [
                {"id": r.item, "date": r.date, "written": r.written,
                 "likelihood": {s: json_number(p) for s, p in zip(self.states, r.likelihoods)},
                 "pairs": [{"a": p.a, "b": p.b, "decibels": json_number(p.decibels),
                            "leave_one_out_db": json_number(p.leave_one_out_db)} for p in r.pairs]}
                for r in self.rows],
        }

    def to_pandas(self) -> Any:
        """One row per counted item and pair of states: its own weight and its leave-one-out (dB)."""
        return data_frame([{"item": r.item, "date": r.date, "written": r.written, "a": p.a, "b": p.b,
                            "decibels": p.decibels, "leave_one_out_db": p.leave_one_out_db}
                           for r in self.rows for p in r.pairs],
                          ("item", "date", "written", "a", "b", "decibels", "leave_one_out_db"))

    def _repr_html_(self) -> str:
        title = (f"{self.model.title or self.model.name}: the weight of each item on {self.claim}"
                 + (f" (evidence up to {self.as_of})" if self.as_of else ""))
        if self.fixed is not None:
            return html_note(f"{title}: {self.claim} is fixed at '{self.fixed}' by hard evidence "
                             f"({', '.join(self.fixing)}); there is nothing left to weigh")
        names = [f"{a} : {b}" for a, b in self.pairs]
        items = html_table(["item", "date", "written as", *(f"{n} weight" for n in names),
                            *(f"{n} leave-one-out" for n in names)],
                           [[r.item, r.date or "undated", r.written.replace("_", " "),
                             *(format_decibels(p.decibels) for p in r.pairs),
                             *(format_decibels(p.leave_one_out_db) for p in r.pairs)] for r in self.rows],
                           title + " (dB; positive favours a)")
        totals = html_table(["pair", "prior odds", "posterior odds", "Bayes factor", "dB", "naive sum"],
                            [[f"{t.a} : {t.b}", odds_text(t.comparison.prior_odds),
                              odds_text(t.comparison.posterior_odds), odds_text(t.comparison.bayes_factor),
                              format_decibels(t.decibels), format_decibels(t.naive_db)] for t in self.totals],
                            "all the evidence on each pair (the naive sum of the weights equals the network's "
                            "only when the items are independent given the claim)")
        return items + totals


def _written(item: EvidenceItem) -> str:
    from argmap.model import Likelihood, Observation, VanEveraTest

    b = item.bearing
    if isinstance(b, VanEveraTest):
        return b.test
    if isinstance(b, Likelihood):
        return b.stated_as
    return "observe" if isinstance(b, Observation) else "table"


def _pair_db(marginal: np.ndarray, a: int, b: int) -> float:
    return _DB * _log_odds(float(marginal[a]), float(marginal[b]))


def weigh(model: Model, claim: str, as_of: Any = None, items: Iterable[EvidenceItem] | None = None) -> Weighing:
    """Each counted item's weight on every pair of ``claim``'s states, its pairwise leave-one-out,
    and each pair's total Bayes factor beside the naive sum of the weights — in a few batched
    calibrations (item × state scenarios, then the leave-one-out sets)."""
    if claim not in model.claims:
        raise ArgmapError.at(Location("--target"), f"unknown claim '{claim}'" + did_you_mean(claim, model.claims))
    cutoff = as_of_date(as_of)
    network = network_of(model)
    states = network.variables[claim].states
    counted = [i for i in date_order(model.evidence if items is None else items) if i.counts_at(cutoff)]
    fixing = [i for i in counted if claim in evidence_assignment(model, network, [i])]
    pairs = tuple(state_pairs(states))
    index = {s: k for k, s in enumerate(states)}
    as_of_text = str(cutoff) if cutoff else None
    if fixing:
        fixed = model.claims[claim].states[evidence_assignment(model, network, fixing)[claim]]
        return Weighing(model, claim, states, as_of_text, pairs, (), (), fixed, tuple(i.id for i in fixing))
    prior, likelihood = state_likelihoods(model, claim, counted, network)
    everything, without = leave_one_out_marginals(model, claim, counted, network)
    rows = []
    for n, item in enumerate(counted):
        weighed = []
        for a, b in pairs:
            own = _DB * _log_odds(float(likelihood[n, index[a]]), float(likelihood[n, index[b]]))
            loo = _pair_db(everything, index[a], index[b]) - _pair_db(without[n], index[a], index[b])
            weighed.append(PairWeight(a, b, own, loo))
        rows.append(WeighRow(item.id, str(item.date) if item.date else None, item.text, _written(item),
                             tuple(float(x) for x in likelihood[n]), tuple(weighed),
                             _state_weights(item, claim, list(states), prior, likelihood[n])))
    totals = []
    for k, (a, b) in enumerate(pairs):
        comparison = Comparison(claim, a, b, float(prior[index[a]]), float(prior[index[b]]),
                                float(everything[index[a]]), float(everything[index[b]]))
        naive = sum((r.pairs[k].decibels for r in rows), 0.0)  # not fsum: +inf and −inf make NaN, not an error
        totals.append(PairTotal(a, b, comparison, naive))
    return Weighing(model, claim, states, as_of_text, pairs, tuple(rows), tuple(totals), None, ())
