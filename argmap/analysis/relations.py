"""A model (+ the evidence that counts) → its argument map: which claims support, attack or
merely condition which, how strongly, and how many decibels each evidence item (or group of
items) moves its targets.

This is the *map* kept apart from the *model*: :mod:`argmap.output.diagram` draws it and
:mod:`argmap.interop.export` writes it for Argdown and AIF tools. Nothing here computes a posterior of
its own; the weights are read off the compiled network with :func:`argmap.engine.infer.marginals`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import attrs

from argmap._results import format_decibels
from argmap.analysis.weights import odds_change_db
from argmap.engine.compile import Network, network_of
from argmap.engine.infer import ImpossibleEvidence, evidence_assignment, marginals
from argmap.model import EvidenceItem, Model, NoisyOr, Observation, Prob, Table

__all__ = [
    "ATTACK",
    "INFLUENCE",
    "SUPPORT",
    "EvidenceEffect",
    "Relation",
    "claim_relations",
    "evidence_effect",
    "format_decibels",
]

SUPPORT, ATTACK, INFLUENCE = "support", "attack", "influence"
NEUTRAL_DB = 0.05  # |weight| below this is drawn as neither support nor attack


@attrs.frozen
class Relation:
    """An arrow between two claims. ``strength`` is the noisy-OR strength; table relations have
    none (their effect depends on the other parents' states)."""

    source: str
    target: str
    kind: str  # SUPPORT | ATTACK | INFLUENCE (a table parent whose direction is not declared)
    strength: Prob | None = None


def claim_relations(model: Model) -> list[Relation]:
    """Every claim → claim arrow, in the order the model declares its claims and parents."""
    relations: list[Relation] = []
    for claim in model.claims.values():
        d = claim.distribution
        if isinstance(d, NoisyOr):
            relations += [Relation(p, claim.id, SUPPORT, s) for p, s in d.supporters.items()]
            relations += [Relation(p, claim.id, ATTACK, s) for p, s in d.attackers.items()]
        elif isinstance(d, Table):
            for parent in d.parents:
                kind = SUPPORT if parent in d.supports else ATTACK if parent in d.attacks else INFLUENCE
                relations.append(Relation(parent, claim.id, kind))
    return relations


@attrs.frozen
class EvidenceEffect:
    """What some evidence items, taken together, do to one target claim.

    ``decibels`` maps each state of the target to 10·log10(posterior odds / prior odds) of that
    state against the others, computed in the network with these items as the only evidence
    (so items sharing a source are not counted twice)."""

    items: tuple[str, ...]
    target: str
    states: tuple[str, ...]
    decibels: Mapping[str, float]

    @property
    def is_binary(self) -> bool:
        return self.states == ("true", "false")

    @property
    def kind(self) -> str:
        """Support or attack for a true/false target; influence for a multi-state one."""
        if not self.is_binary:
            return INFLUENCE
        db = self.decibels["true"]
        if db >= NEUTRAL_DB:
            return SUPPORT
        if db <= -NEUTRAL_DB:
            return ATTACK
        return INFLUENCE

    def strongest(self) -> list[tuple[str, float]]:
        """(state, dB) pairs worth showing: P(true) for a binary target; for a multi-state one the
        state raised most and the state lowered most."""
        if self.is_binary:
            return [("true", self.decibels["true"])]
        ranked = sorted(self.decibels.items(), key=lambda kv: (-kv[1], self.states.index(kv[0])))
        shown = [ranked[0]] if ranked[0][1] > 0 else []
        if ranked[-1][1] < 0:
            shown.append(ranked[-1])
        return shown


def evidence_effect(
    model: Model, items: Sequence[EvidenceItem], target: str, network: Network | None = None
) -> EvidenceEffect:
    """The joint weight of ``items`` (none of them hard observations) on ``target``."""
    network = network or network_of(model)
    states = network.variables[target].states
    prior, _ = marginals(network, {}, [target])
    try:
        posterior, _ = marginals(network, evidence_assignment(model, network, items), [target])
    except ImpossibleEvidence:
        posterior = {target: prior[target] * math.nan}
    decibels = {s: odds_change_db(float(prior[target][i]), float(posterior[target][i])) for i, s in enumerate(states)}
    return EvidenceEffect(tuple(i.id for i in items), target, states, decibels)


def effects_by_target(
    model: Model, items: Iterable[EvidenceItem], network: Network | None = None
) -> dict[str, tuple[list[EvidenceItem], EvidenceEffect]]:
    """Items grouped by the claim they bear on (an item bearing on several claims joins each
    group), with the group's joint effect; hard observations are left out."""
    network = network or network_of(model)
    groups: dict[str, list[EvidenceItem]] = {}
    for item in items:
        if not isinstance(item.bearing, Observation):
            for target in item.targets:
                groups.setdefault(target, []).append(item)
    return {t: (group, evidence_effect(model, group, t, network)) for t, group in groups.items()}
