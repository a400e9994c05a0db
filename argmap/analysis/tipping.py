"""A model, its evidence and a target → the tipping points of the target's conclusion: the
smallest uniform tempering of the evidence and the smallest shift of the target's prior (dB)
that change it (DESIGN §6, §7), each found by batched bisection on the compiled network.

What is tempered: every counted evidence item that is not hard evidence contributes one factor
to the network, P(its reported outcome | its parents) — for a plain item its likelihood over the
target's states, for an item with its own ``reliability`` the mixed likelihood
ρ·P(E | state) + (1 − ρ)/2, for an item of a shared source P(E | state, source reliable) and
``random_yes`` (source unreliable). Tempering by α raises each of those numbers to the power α,
so for an item without a shared source its weight of evidence in dB on every pair of states is
scaled exactly by α; a shared source's reliability prior is not tempered, so items of a shared
source are scaled approximately. Hard evidence (``observe:``) is certain and stays. α → 0 is
the prior (given the hard evidence); α = 1 is the model as written.

What is shifted: the target's own distribution — its prior, or every row of its table or
noisy-OR — has the odds of the followed state against each other state multiplied by
10^(x/10); the rest of the model stays as written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import numpy as np

from argmap._results import format_decibels, html_note, html_table
from argmap.analysis.sensitivity import Target, target
from argmap.engine.compile import Network, network_of
from argmap.engine.infer import as_of_date, calibrate, evidence_assignment
from argmap.model import EvidenceItem, Model

__all__ = ["MAX_SHIFT_DB", "TippingPoints", "fixed_by", "holds", "sentences", "shifted_cpt", "tempered_cpts", "tipping_points"]

MAX_SHIFT_DB = 100.0  # the largest prior shift searched: odds ×10^10 either way
_GRID = 64  # values per batched calibration
_ROUNDS = 6  # bisection rounds after the first scan: the bracket shrinks ×(_GRID + 1) each


@attrs.frozen
class TippingPoints:
    """Where the conclusion about the target changes (None: nothing in range changes it)."""

    target: Target
    posterior: float  # P(followed state | evidence) as written
    evidence_tempering: float | None  # the largest α < 1 at which the conclusion changes
    prior_shift_db: float | None  # signed: the shift of the followed state's prior odds that changes it
    tempered: int  # the evidence items tempered
    fixed: bool = False  # the target is fixed by hard evidence: nothing to tip

    @property
    def overstatement(self) -> float | None:
        """×1/α: by how much every item's weight would have to be overstated."""
        return None if not self.evidence_tempering else 1 / self.evidence_tempering

    def to_dict(self) -> dict[str, Any]:
        """``sensitivity --format json``'s ``tipping_points`` (null: nothing in range changes the
        conclusion), with what they rest on and the sentences of :func:`sentences`."""
        return {"evidence_tempering": self.evidence_tempering, "prior_shift_db": self.prior_shift_db,
                "overstatement": self.overstatement, "claim": self.target.claim, "state": self.target.state,
                "posterior": self.posterior, "tempered_items": self.tempered, "fixed": self.fixed,
                "in_words": sentences(self)}

    def _repr_html_(self) -> str:
        def value(x: float | None, text: str) -> str:
            return "none in range" if x is None else text

        name = self.target.claim + ("" if self.target.state == "true" else f" = {self.target.state}")
        words = sentences(self)
        rows = [] if self.fixed else [
            ["uniform tempering of the evidence α", value(self.evidence_tempering, f"{self.evidence_tempering or 0:.3g} "
                                                         f"(weights overstated ×{self.overstatement or 0:.3g})"), words[0]],
            [f"shift of {name}'s prior odds", value(self.prior_shift_db, format_decibels(self.prior_shift_db or 0.0)), words[1]]]
        return (html_table(["tipping point", "value", "in words"], rows,
                           f"Tipping points of {name} (posterior {self.posterior:.3f})")
                if rows else html_note(words[0]))


def holds(wanted: Target, posterior: np.ndarray, above_half: bool) -> np.ndarray:
    """Per row of ``posterior`` (B, states): does the conclusion at the written model still hold?"""
    i = wanted.index
    if wanted.by_mode:
        others = np.delete(posterior, i, axis=1)
        return posterior[:, i] >= others.max(axis=1) if others.shape[1] else np.ones(len(posterior), bool)
    return (posterior[:, i] >= 0.5) == above_half


def tempered_cpts(model: Model, network: Network, evidence: dict[str, int], alphas: np.ndarray) -> dict[str, np.ndarray]:
    """Every counted (soft) item's CPT with its reported outcome's probabilities raised to α,
    shape (B, *parents, 2) for B = len(alphas)."""
    alphas = np.asarray(alphas, dtype=float)
    cpts = {}
    for name, observed in evidence.items():
        var = network.variables[name]
        if var.kind != "evidence":
            continue
        column = var.cpt[..., observed]
        powered = column[None] ** alphas.reshape((-1,) + (1,) * column.ndim)
        table = np.empty(powered.shape + (2,))
        table[..., observed] = powered
        table[..., 1 - observed] = 1 - powered
        cpts[name] = table
    return cpts


def shifted_cpt(network: Network, wanted: Target, shifts_db: np.ndarray) -> np.ndarray:
    """The target's CPT with the followed state's odds moved by each shift (dB), (B, ..., states)."""
    cpt = network.variables[wanted.claim].cpt
    factor = 10 ** (np.asarray(shifts_db, dtype=float) / 10)
    weights = np.ones((len(factor),) + (1,) * (cpt.ndim - 1) + (cpt.shape[-1],))
    weights[..., wanted.index] = factor.reshape((-1,) + (1,) * (cpt.ndim - 1))
    table = cpt[None] * weights
    return table / table.sum(axis=-1, keepdims=True)


def tipping_points(model: Model, spec: str | Target, as_of=None, *, network: Network | None = None) -> TippingPoints:
    """Both tipping points of the target's conclusion (see the module's docstring)."""
    network = network or network_of(model)
    cutoff = as_of_date(as_of)
    evidence = evidence_assignment(model, network, [i for i in model.evidence if i.counts_at(cutoff)])
    wanted = spec if isinstance(spec, Target) else target(model, spec)
    base = calibrate(network, [evidence]).marginal(wanted.claim)[0]
    if wanted.by_mode and not wanted.state:
        wanted = attrs.evolve(wanted, state=wanted.states[int(np.argmax(base))])
    posterior = float(base[wanted.index])
    soft = sum(network.variables[n].kind == "evidence" for n in evidence)
    if wanted.claim in evidence:
        return TippingPoints(wanted, posterior, None, None, soft, fixed=True)
    above = posterior >= 0.5

    def still(cpts_of: Callable[[np.ndarray], dict[str, np.ndarray]], values: np.ndarray) -> np.ndarray:
        calibration = calibrate(network, [evidence] * len(values), cpts_of(values))
        marginal = calibration.marginal(wanted.claim)
        ok = holds(wanted, marginal, above)
        return np.where(calibration.possible, ok, True)  # an impossible scenario tips nothing

    alpha = _last_change(lambda a: still(lambda v: tempered_cpts(model, network, evidence, v), a),
                         1.0, 1e-9) if soft else None
    sign = -1.0 if (wanted.by_mode or above) else 1.0  # against the conclusion
    shift = _last_change(lambda x: still(lambda v: {wanted.claim: shifted_cpt(network, wanted, sign * v)}, x),
                         0.0, MAX_SHIFT_DB)
    return TippingPoints(wanted, posterior, alpha, None if shift is None else sign * shift, soft)


def _last_change(holds_at: Callable[[np.ndarray], np.ndarray], start: float, end: float) -> float | None:
    """The boundary nearest ``start`` (where the conclusion holds) of the first value, going
    towards ``end``, at which it no longer holds; None if it holds at every value scanned.

    A first scan of _GRID values, then bisection rounds of _GRID values each inside the bracket."""
    grid = np.linspace(start, end, _GRID + 1)[1:]
    ok = holds_at(grid)
    if ok.all():
        return None
    first = int(np.argmin(ok))  # first value (from start) where it fails
    good, bad = (start if first == 0 else grid[first - 1]), grid[first]
    for _ in range(_ROUNDS):
        inner = np.linspace(good, bad, _GRID + 2)[1:-1]
        ok = holds_at(inner)
        if ok.all():
            good = inner[-1]
        else:
            k = int(np.argmin(ok))
            good, bad = (good if k == 0 else inner[k - 1]), inner[k]
        if abs(bad - good) < 1e-12 * max(1.0, abs(good)):
            break
    return float((good + bad) / 2)


def sentences(tp: TippingPoints) -> list[str]:
    """The tipping points in words a reader can judge without trusting any one range."""
    if tp.fixed:
        return [f"{tp.target.claim} is fixed by hard evidence: no tempering or prior shift can change it."]
    name = tp.target.claim if tp.target.state == "true" else f"{tp.target.claim}={tp.target.state}"
    out = []
    if tp.evidence_tempering is not None:
        out.append(f"The conclusion holds unless every item's weight is overstated by more than "
                   f"×{tp.overstatement:.3g} (tempering α = {tp.evidence_tempering:.3g} of the "
                   f"{tp.tempered} items' likelihoods).")
    elif tp.tempered:
        out.append(f"No uniform tempering of the {tp.tempered} items changes the conclusion: it holds on the "
                   "prior alone (with any hard evidence); the evidence moves it, but no discount of the evidence reverses it.")
    else:
        out.append("No soft evidence counts, so there is nothing to temper.")
    if tp.prior_shift_db is not None:
        x = tp.prior_shift_db
        out.append(f"It holds unless the prior odds of {name} were {'lower' if x < 0 else 'higher'} by more than "
                   f"{abs(x):.1f} dB (×{10 ** (abs(x) / 10):.3g}).")
    else:
        out.append(f"No shift of {tp.target.claim}'s prior within ±{MAX_SHIFT_DB:g} dB changes it.")
    return out


def fixed_by(model: Model, claim: str, as_of=None) -> tuple[str, EvidenceItem] | None:
    """The state hard evidence fixes ``claim`` at and the (last) item that fixes it, or None."""
    cutoff = as_of_date(as_of)
    found = None
    for item in model.evidence:
        if item.is_observation and item.counts_at(cutoff) and claim in item.bearing.states:
            found = (item.bearing.states[claim], item)
    return found
