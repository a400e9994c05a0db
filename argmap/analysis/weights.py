"""A model and its evidence → how much each item weighs: likelihood ratios, decibels of
evidence, Van Evera labels and leave-one-out effects (DESIGN §4 "Derived", §6).

Weights are read off the compiled network, so they include reliability, shared sources and
items that bear on a claim only through other claims.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import attrs

from argmap._results import (
    Listing,
    data_frame,
    format_decibels,
    html_table,
    json_number,
    odds_text,
    state_name,
)
from argmap.engine.compile import Network, network_of
from argmap.engine.infer import ImpossibleEvidence, evidence_assignment, marginals
from argmap.model import EvidenceItem, Likelihood, Model, Observation

__all__ = [
    "Additivity",
    "ItemWeight",
    "Weights",
    "additivity",
    "leave_one_out",
    "odds_change_db",
    "van_evera_label",
    "weight_of_evidence",
    "weights",
]

DOUBLE_COUNTING_DB = 1.0  # a gap between the naive sum and the network's answer worth a warning


@attrs.frozen
class ItemWeight:
    """What observing an item (as it was observed: found or not) says about ``claim = state``."""

    item: str
    claim: str
    state: str
    p_if: float  # P(observation | claim = state), no other evidence
    p_if_not: float  # P(observation | claim ≠ state)
    observed: bool = True  # False: the observation is "looked for and not found"
    ratio_only: bool = False  # written as `lr:`: only P(E|H)/P(E|¬H) was stated, not its levels

    @property
    def van_evera(self) -> str:
        """The label of the item as a test (of finding it) for the side it favours — ``state``
        or the other states (:attr:`van_evera_for`); DESIGN §4."""
        found_if, found_if_not = (self.p_if, self.p_if_not) if self.observed else (1 - self.p_if, 1 - self.p_if_not)
        if found_if < found_if_not:  # finding it favours the other side: the test is a test of that side
            found_if, found_if_not = found_if_not, found_if
        return van_evera_label(found_if, found_if_not, ratio_only=self.ratio_only)

    @property
    def van_evera_for(self) -> str:
        """The side the label's test is for: ``state``, or the other states ("false" on a binary
        claim, "not STATE" on a multi-state one)."""
        found_if, found_if_not = (self.p_if, self.p_if_not) if self.observed else (1 - self.p_if, 1 - self.p_if_not)
        if found_if >= found_if_not:
            return self.state
        return "false" if self.state == "true" else "true" if self.state == "false" else f"not {self.state}"

    @property
    def likelihood_ratio(self) -> float:
        if self.p_if_not == 0:
            return math.inf if self.p_if > 0 else 1.0
        return self.p_if / self.p_if_not

    @property
    def decibels(self) -> float:
        """10·log10(LR): +10 dB multiplies the odds by 10, 0 dB leaves them alone."""
        ratio = self.likelihood_ratio
        if ratio == 0:
            return -math.inf
        return 10 * math.log10(ratio)

    def row(self) -> dict[str, Any]:
        """The weight as a flat record (floats as they are: ±inf where a likelihood is 0)."""
        return {"item": self.item, "claim": self.claim, "state": self.state, "p_if": self.p_if,
                "p_if_not": self.p_if_not, "observed": self.observed, "likelihood_ratio": self.likelihood_ratio,
                "decibels": self.decibels, "van_evera": self.van_evera, "van_evera_for": self.van_evera_for,
                "ratio_only": self.ratio_only}

    def to_dict(self) -> dict[str, Any]:
        """:meth:`row`, JSON-ready (infinities as "inf" / "-inf")."""
        return {k: json_number(v) if isinstance(v, float) else v for k, v in self.row().items()}


@attrs.frozen
class Weights(Listing):
    """``argmap.weights``: each item's weight on ``claim = state`` against the other states, the
    item alone in the network. Iterating gives the :class:`ItemWeight` objects."""

    claim: str
    state: str
    weights: tuple[ItemWeight, ...]

    listed = "weights"

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "state": self.state, "items": [w.to_dict() for w in self.weights]}

    def to_pandas(self) -> Any:
        """One row per item (see :meth:`ItemWeight.row`)."""
        return data_frame([w.row() for w in self.weights], WEIGHT_COLUMNS)

    def _repr_html_(self) -> str:
        name = state_name(self.claim, self.state)
        return html_table(["item", "observed", f"P(E | {name})", "P(E | otherwise)", "likelihood ratio", "weight",
                           "as a test"],
                          [[w.item, "found" if w.observed else "not found", f"{w.p_if:.3g}", f"{w.p_if_not:.3g}",
                            odds_text(w.likelihood_ratio), format_decibels(w.decibels),
                            f"{w.van_evera.replace('_', ' ')} for {w.van_evera_for}"] for w in self.weights],
                          f"The weight of each item on {name} (E: the item as observed, found or not, alone in the network)")


WEIGHT_COLUMNS = ("item", "claim", "state", "p_if", "p_if_not", "observed", "likelihood_ratio", "decibels", "van_evera",
                  "van_evera_for", "ratio_only")


def weight_of_evidence(model: Model, item: EvidenceItem, claim: str, state: str = "true",
                       network: Network | None = None) -> ItemWeight:
    """The weight of one item on ``claim = state`` against the other states, in the network with
    no other evidence; the other states are weighed by their prior."""
    from argmap.engine.infer import calibrate

    network = network or network_of(model)
    observation = evidence_assignment(model, network, [item])
    states = network.variables[claim].states
    index = states.index(state)
    # the prior, P(observation) and P(observation, claim = state) in one batched pass
    both = calibrate(network, [{}, observation, {**observation, claim: index}])
    p_state = float(both.marginal(claim)[0][index])
    p_obs, p_joint = (math.exp(float(x)) for x in both.log_evidence[1:])  # exp(−inf) = 0: impossible
    p_if = p_joint / p_state if p_state > 0 else 0.0
    p_if_not = (p_obs - p_if * p_state) / (1 - p_state) if p_state < 1 else 0.0
    return ItemWeight(item.id, claim, state, min(p_if, 1.0), min(max(p_if_not, 0.0), 1.0), item.observed,
                      ratio_only=stated_ratio_only(item))


def stated_ratio_only(item: EvidenceItem) -> bool:
    """Whether the item was written as `lr:` (a ratio, no levels)."""
    return isinstance(item.bearing, Likelihood) and item.bearing.stated_as == "lr"


def weights(model: Model, claim: str, state: str = "true", items: Iterable[EvidenceItem] | None = None) -> list[ItemWeight]:
    """The weight of every (or of the given) non-hard evidence item on ``claim = state``."""
    network = network_of(model)
    chosen = model.evidence if items is None else items
    return [weight_of_evidence(model, i, claim, state, network) for i in chosen
            if not isinstance(i.bearing, Observation) and claim not in evidence_assignment(model, network, [i])]


SMOKING_GUN_LR = 5.0  # LR+ ≥ 5 (≥ 7 dB when found): a smoking gun (DESIGN §4)
HOOP_LR = 0.2  # LR− ≤ 0.2 (≤ −7 dB when absent): a hoop
LABEL_TOLERANCE = 1e-9  # relative: `lr: 5` computes as 4.999999999999999 and must still be a smoking gun


def van_evera_label(p_if: float, p_if_not: float, *, ratio_only: bool = False) -> str:
    """DESIGN §4: smoking gun if LR+ ≥ 5, hoop if LR− ≤ 0.2, doubly decisive if both, straw in
    the wind if neither (LR+ = P(E|H)/P(E|¬H), LR− = (1 − P(E|H))/(1 − P(E|¬H))), compared with a
    relative tolerance of 1e-9. H is the side the item favours: pass P(E|H) ≥ P(E|¬H). An item
    whose levels were never stated (``ratio_only``, `lr:`) has no LR−: never a hoop."""
    lr_plus = math.inf if p_if_not == 0 else p_if / p_if_not
    lr_minus = math.inf if p_if_not == 1 else (1 - p_if) / (1 - p_if_not)
    smoking = lr_plus >= SMOKING_GUN_LR * (1 - LABEL_TOLERANCE)
    hoop = not ratio_only and lr_minus <= HOOP_LR * (1 + LABEL_TOLERANCE)
    if smoking and hoop:
        return "doubly decisive"
    if smoking:
        return "smoking gun"
    if hoop:
        return "hoop"
    return "straw in the wind"


_LOO_CHUNK = 256  # scenarios per batched calibration: all the evidence, then all but one item each


def leave_one_out(model: Model, claim: str, state: str = "true", as_of=None) -> dict[str, float]:
    """For each counted item: logit P(claim = state | all) − logit P(claim = state | all but it).

    Raises ImpossibleEvidence when some of these evidence sets has probability 0."""
    from argmap.engine.infer import as_of_date, calibrate

    cutoff = as_of_date(as_of)
    network = network_of(model)
    counted = [i for i in model.evidence if i.counts_at(cutoff)]
    index = network.variables[claim].states.index(state)
    scenarios = [evidence_assignment(model, network, counted)]
    scenarios += [evidence_assignment(model, network, [i for i in counted if i is not item]) for item in counted]
    logits: list[float] = []
    for start in range(0, len(scenarios), _LOO_CHUNK):  # one junction-tree pass per chunk, not per item
        calibration = calibrate(network, scenarios[start:start + _LOO_CHUNK])
        if not calibration.possible.all():
            raise ImpossibleEvidence
        logits += [_logit(float(p)) for p in calibration.marginal(claim)[:, index]]
    everything = logits[0]
    return {item.id: everything - without for item, without in zip(counted, logits[1:])}


def _logit(p: float) -> float:
    if math.isnan(p):
        return math.nan
    if p <= 0:
        return -math.inf
    if p >= 1:
        return math.inf
    return math.log(p / (1 - p))


def odds_change_db(prior: float, posterior: float) -> float:
    """10·log10(posterior odds / prior odds); 0 for a probability fixed at 0 or 1 that stays there."""
    a, b = _logit(prior), _logit(posterior)
    if math.isinf(a) and a == b:
        return 0.0
    return 10 / math.log(10) * (b - a)


@attrs.frozen
class Additivity:
    """Do the items' weights add up to what the network says? They do when the items are
    independent given the claim; shared sources and items that bear on it through other claims
    make the naive sum wrong — the network is right, the sum double counts (or under counts)."""

    claim: str
    state: str
    naive_db: float  # Σ of each counted item's own weight
    network_db: float  # 10·log10 of the posterior odds over the prior odds
    shared_sources: dict[str, tuple[str, ...]]  # source → the counted items that share it

    @property
    def gap_db(self) -> float:
        return self.naive_db - self.network_db

    @property
    def warns(self) -> bool:
        return abs(self.gap_db) > DOUBLE_COUNTING_DB


def additivity(model: Model, claim: str, state: str = "true", as_of=None) -> Additivity | None:
    """Compare the naive sum of item weights on ``claim = state`` with the network's change in
    log-odds; None when the claim itself is observed (there is nothing left to weigh)."""
    from argmap.engine.infer import as_of_date

    cutoff = as_of_date(as_of)
    network = network_of(model)
    counted = [i for i in model.evidence if i.counts_at(cutoff)]
    assignment = evidence_assignment(model, network, counted)
    if claim in assignment:
        return None
    index = network.variables[claim].states.index(state)
    prior, _ = marginals(network, {}, [claim])
    posterior, _ = marginals(network, assignment, [claim])
    network_db = odds_change_db(float(prior[claim][index]), float(posterior[claim][index]))
    naive = math.fsum(weight_of_evidence(model, i, claim, state, network).decibels for i in counted)
    sources: dict[str, list[str]] = {}
    for item in counted:
        if item.source:
            sources.setdefault(item.source, []).append(item.id)
    shared = {s: tuple(ids) for s, ids in sources.items() if len(ids) > 1}
    return Additivity(claim, state, naive, network_db, shared)
