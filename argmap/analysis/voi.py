"""analyse: a model, its evidence and a target claim → what to look for next, ranked by the
value of information (the mutual information between a finding and the target, in bits).

Candidates are the evidence items declared ``expected: true`` (not yet looked for) and every
claim not yet observed (as if its state could be learnt directly). For each: the probability
of each outcome, and the target's posterior after it. All outcomes are one batched calibration.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import numpy as np

from argmap.engine.compile import network_of
from argmap.errors import ArgmapError, Location, did_you_mean
from argmap.engine.infer import item_marginal, as_of_date, calibrate, evidence_assignment
from argmap.model import Model

__all__ = ["Candidate", "next_evidence"]


@attrs.frozen
class Candidate:
    """A finding one could look for, and what it would do to the target."""

    id: str
    kind: str  # "item" (expected evidence) or "claim" (learn its state)
    text: str
    mutual_information: float  # bits: expected reduction of the target's entropy
    outcomes: Mapping[str, float]  # outcome → its probability now
    posteriors: Mapping[str, Mapping[str, float]]  # outcome → the target's posterior after it

    @property
    def p_found(self) -> float | None:
        """P(found) for an item, P(true) for a binary claim."""
        return self.outcomes.get("found", self.outcomes.get("true"))


def next_evidence(model: Model, target: str, as_of=None) -> tuple[dict[str, float], list[Candidate]]:
    """The target's posterior now, and every candidate ranked by mutual information."""
    if target not in model.claims:
        raise ArgmapError.at(Location("--target"), f"unknown claim '{target}'" + did_you_mean(target, model.claims))
    cutoff = as_of_date(as_of)
    network = network_of(model)
    evidence = evidence_assignment(model, network, [i for i in model.evidence if i.counts_at(cutoff)])
    states = model.claims[target].states
    base = calibrate(network, [evidence])
    if not base.possible[0]:
        raise ArgmapError.at(model.location, "the evidence is impossible under the model; run argmap check")
    now = base.marginal(target)[0]

    plans: list[tuple[str, str, str, list[tuple[str, str, int, float]]]] = []  # id, kind, text, outcomes
    for item in model.evidence:
        if item.expected and item.id in network.variables:
            p_found = float(item_marginal(network, base, item.id)[0][0])
            plans.append((item.id, "item", item.text, [("found", item.id, 0, p_found), ("not found", item.id, 1, 1 - p_found)]))
    for cid, claim in model.claims.items():
        if cid == target or cid in evidence:
            continue
        p = base.marginal(cid)[0]
        plans.append((cid, "claim", claim.text, [(s, cid, j, float(p[j])) for j, s in enumerate(claim.states)]))

    scenarios = [{**evidence, name: index} for _, _, _, outcomes in plans for _, name, index, _ in outcomes]
    after = calibrate(network, scenarios).marginal(target) if scenarios else np.empty((0, len(states)))
    h_now = _entropy(now)
    candidates = []
    row = 0
    for cid, kind, text, outcomes in plans:
        expected_h = 0.0
        posteriors = {}
        for label, _, _, p in outcomes:
            posterior = after[row]
            row += 1
            if p > 0 and not np.isnan(posterior).any():
                expected_h += p * _entropy(posterior)
                posteriors[label] = dict(zip(states, posterior.tolist()))
        candidates.append(Candidate(cid, kind, text, max(h_now - expected_h, 0.0),
                                    {label: p for label, _, _, p in outcomes}, posteriors))
    candidates.sort(key=lambda c: (-c.mutual_information, c.kind != "item", c.id))
    return dict(zip(states, now.tolist())), candidates


def _entropy(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum()) if p.size else 0.0
