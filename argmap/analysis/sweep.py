"""analyse: model files, a target and a number k → the target's posterior under every variant of
each model's evidence: all of it, and every subset with k of the counted items left out
(leave-k-out), with how far each variant moves the target (dB) and whether it flips the conclusion.

A replication study, a class of students' models or every leave-k-out subset of one case is many
independent calibrations: the variants are cut into pieces of a fixed size and computed on a
runner (:mod:`argmap.analysis.distributed`; default in this process), each model compiled once
here and sent to each worker once; the numbers are the same wherever the pieces run.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

from argmap._results import data_frame, html_table
from argmap.analysis.distributed import InProcess, Runner, chunks
from argmap.analysis.sensitivity import Target, conclusion, target
from argmap.engine.compile import network_of
from argmap.engine.infer import as_of_date, calibrate, evidence_assignment
from argmap.errors import ArgmapError, Location, Problem
from argmap.model import EvidenceItem, Model

__all__ = ["CHUNK_VARIANTS", "MAX_VARIANTS", "ModelSweep", "Prepared", "Sweep", "SweepPlan", "Variant", "prepare", "run",
           "sweep", "sweep_chunk"]

CHUNK_VARIANTS = 256  # variants per piece (one batched calibration): fixed, whatever the cluster
MAX_VARIANTS = 1_000_000  # per command: a million rows is already more than a reader can use


@attrs.frozen
class Variant:
    """The target's posterior with these items left out (none: all the evidence that counts)."""

    left_out: tuple[str, ...]
    posterior: dict[str, float] | None  # None: the remaining evidence is impossible under the model
    followed: float | None  # P(the followed state)
    decibels: float | None  # 10·log10 of the followed state's odds against all the evidence's
    flips: bool  # the conclusion differs from the one all the evidence gives


@attrs.frozen
class ModelSweep:
    """One model's variants: all the evidence first, then each subset in the items' order."""

    name: str
    path: str
    target: Target
    conclusion: str  # what all the evidence concludes, e.g. "P(cooperation) ≥ 0.5"
    items: tuple[str, ...]  # the counted items, the ones that may be left out
    variants: tuple[Variant, ...]

    @property
    def full(self) -> Variant:
        return self.variants[0]

    @property
    def flips(self) -> int:
        return sum(v.flips for v in self.variants)

    def extremes(self) -> tuple[Variant, Variant]:
        """The variants with the lowest and the highest posterior of the followed state."""
        possible = [v for v in self.variants if v.followed is not None]
        return (min(possible, key=lambda v: v.followed), max(possible, key=lambda v: v.followed))

    def moving(self) -> list[Variant]:
        """The variants other than all the evidence, the most moving first (impossible ones last)."""
        return sorted(self.variants[1:], key=lambda v: (v.decibels is None,
                                                        -abs(v.decibels) if v.decibels is not None else 0))


@attrs.frozen
class Sweep:
    """Every model's variants for one target."""

    target: str  # as given: CLAIM or CLAIM=STATE
    leave_out: int
    as_of: str | None
    models: tuple[ModelSweep, ...]

    @property
    def variants(self) -> int:
        return sum(len(m.variants) for m in self.models)

    def rows(self) -> list[dict[str, Any]]:
        """One row per model and variant, all the evidence first (``left_out`` empty)."""
        return [{"model": m.name, "left_out": ", ".join(v.left_out), "followed": v.followed, "decibels": v.decibels,
                 "flips": v.flips} for m in self.models for v in m.variants]

    def to_pandas(self) -> Any:
        """One row per model and variant: the followed state's posterior, its change (dB), whether it flips."""
        return data_frame(self.rows(), ("model", "left_out", "followed", "decibels", "flips"))

    def _repr_html_(self) -> str:
        def p(v: Variant) -> str:
            return "impossible" if v.followed is None else f"{v.followed:.3f}"

        rows = []
        for m in self.models:
            low, high = m.extremes()
            rows.append([m.name, m.target.claim if m.target.state == "true" else f"{m.target.claim}={m.target.state}",
                         p(m.full), m.conclusion, len(m.variants) - 1, f"{p(low)} ({', '.join(low.left_out) or 'none'})",
                         f"{p(high)} ({', '.join(high.left_out) or 'none'})", m.flips])
        left = f"with {self.leave_out} of the counted items left out" if self.leave_out else "all the counted evidence"
        return html_table(["model", "followed", "all evidence", "conclusion", "subsets", "lowest (left out)",
                           "highest (left out)", "flip it"], rows,
                          f"Sweep of {self.target} over {len(self.models)} model(s), {left}: {self.variants:,} variants")

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``argmap sweep --format json`` (docs/cli.md)."""
        return {
            "target": self.target, "leave_out": self.leave_out, "as_of": self.as_of,
            "models": [{
                "name": m.name, "path": m.path,
                "target": {"claim": m.target.claim, "state": m.target.state},
                "conclusion": m.conclusion, "items": list(m.items),
                "posterior": m.full.posterior,
                "summary": _summary(m),
                "variants": [{"left_out": list(v.left_out), "posterior": v.posterior, "followed": v.followed,
                              "decibels": _number(v.decibels), "flips": v.flips} for v in m.variants],
            } for m in self.models],
        }


def _summary(m: ModelSweep) -> dict[str, Any]:
    low, high = m.extremes()
    return {"variants": len(m.variants), "flips": m.flips,
            "lowest": {"followed": low.followed, "left_out": list(low.left_out)},
            "highest": {"followed": high.followed, "left_out": list(high.left_out)}}


def _number(x: float | None) -> float | str | None:
    return x if x is None or math.isfinite(x) else ("inf" if x > 0 else "-inf")


@attrs.frozen
class SweepPlan:
    """What every piece reads (sent to each worker once): each model with its compiled network and
    its counted items, and the claim followed in each."""

    models: tuple[Model, ...]
    items: tuple[tuple[EvidenceItem, ...], ...]
    claims: tuple[str, ...]


def sweep_chunk(plan: SweepPlan, piece: tuple[int, tuple[tuple[int, ...], ...]]) -> tuple[np.ndarray, np.ndarray]:
    """One piece: a model and the subsets of its items left out → the claim's posterior per
    variant (rows) and whether that variant's evidence is possible."""
    index, subsets = piece
    model, items = plan.models[index], plan.items[index]
    network = network_of(model)  # shipped compiled: a worker never compiles
    scenarios = []
    for left in subsets:
        out = set(left)
        scenarios.append(evidence_assignment(model, network, [it for k, it in enumerate(items) if k not in out]))
    calibration = calibrate(network, scenarios)
    return calibration.marginal(plan.claims[index]), np.asarray(calibration.possible, dtype=bool)


@attrs.frozen
class Prepared:
    """A sweep checked and laid out, before it runs: what is shipped, and the variants of each model."""

    plan: SweepPlan
    wanted: tuple[Target, ...]
    subsets: tuple[tuple[tuple[int, ...], ...], ...]  # per model: the items left out of each variant
    spec: str
    leave_out: int
    as_of: str | None

    @property
    def total(self) -> int:
        """How many variants (calibrations) the sweep computes."""
        return sum(len(s) for s in self.subsets)


def prepare(models: Sequence[Model], spec: str, as_of: Any = None, *, leave_out: int = 0) -> Prepared:
    """Check the target in every model and lay out the variants: all the evidence that counts, then
    (``leave_out`` = k > 0) every subset with k counted items left out, in the items' order."""
    if isinstance(leave_out, bool) or not isinstance(leave_out, int) or leave_out < 0:
        raise ArgmapError.at(Location("--leave-out"), f"--leave-out {leave_out!r}: give how many items to leave "
                                                      "out of each variant, 0 or more")
    if not models:
        raise ArgmapError.at(Location("models="), "give at least one model to sweep")
    cutoff = as_of_date(as_of)
    problems: list[Problem] = []
    wanted: list[Target] = []
    counted: list[tuple[EvidenceItem, ...]] = []
    for m in models:
        try:
            wanted.append(target(m, spec))
        except ArgmapError as exc:  # say which model lacks it
            problems += [Problem(p.location, f"{p.message} in {m.path}") for p in exc.problems]
            continue
        counted.append(tuple(i for i in m.evidence if i.counts_at(cutoff)))  # fewer than k: no subset to leave out
    if problems:
        raise ArgmapError(problems)
    total = sum(1 + (math.comb(len(items), leave_out) if leave_out else 0) for items in counted)
    if total > MAX_VARIANTS:
        raise ArgmapError.at(Location("--leave-out"), f"--leave-out {leave_out} makes {total:,} variants, more than "
                                                      f"{MAX_VARIANTS:,}; leave out fewer items (or sweep fewer models)")
    subsets = tuple(((),) + (tuple(itertools.combinations(range(len(items)), leave_out)) if leave_out else ())
                    for items in counted)
    plan = SweepPlan(tuple(models), tuple(counted), tuple(w.claim for w in wanted))
    return Prepared(plan, tuple(wanted), subsets, spec, leave_out, str(cutoff) if cutoff else None)


def run(prepared: Prepared, *, runner: Runner | None = None, progress: Callable[[int], None] | None = None) -> Sweep:
    """Compute a prepared sweep on ``runner`` (default: this process), in pieces of
    ``CHUNK_VARIANTS`` variants; ``progress`` is told the variants of each piece done."""
    plan, subsets = prepared.plan, prepared.subsets
    for m in plan.models:
        network_of(m)  # compiled once, here; the pieces carry the compiled network
    pieces = [(index, subsets[index][k * CHUNK_VARIANTS: k * CHUNK_VARIANTS + n])
              for index in range(len(plan.models)) for k, n in chunks(len(subsets[index]), CHUNK_VARIANTS)]
    parts = (runner or InProcess()).map(sweep_chunk, pieces, shared=plan, sizes=[len(s) for _, s in pieces],
                                        progress=progress)
    rows: list[list[tuple[np.ndarray, bool]]] = [[] for _ in plan.models]
    for (index, _), (marginals, possible) in zip(pieces, parts):  # in piece order, whoever computed them
        rows[index] += list(zip(marginals, possible))
    swept = [_model_sweep(*args) for args in zip(plan.models, prepared.wanted, plan.items, subsets, rows)]
    if len({m.name for m in swept}) < len(swept):  # the same file name in different folders: tell them apart
        swept = [attrs.evolve(m, name=m.path) for m in swept]
    return Sweep(prepared.spec, prepared.leave_out, prepared.as_of, tuple(swept))


def sweep(models: Sequence[Model], spec: str, as_of: Any = None, *, leave_out: int = 0,
          runner: Runner | None = None, progress: Callable[[int], None] | None = None) -> Sweep:
    """The target's posterior in every model under all its counted evidence and under every subset
    with ``leave_out`` items left out (:func:`prepare`, then :func:`run`)."""
    return run(prepare(models, spec, as_of, leave_out=leave_out), runner=runner, progress=progress)


def _model_sweep(model: Model, wanted: Target, items: tuple[EvidenceItem, ...], subsets: Sequence[tuple[int, ...]],
                 rows: list[tuple[np.ndarray, bool]]) -> ModelSweep:
    full, possible = rows[0]
    if not possible:
        raise ArgmapError.at(model.location, "the evidence is impossible under the model; run argmap check")
    if wanted.by_mode:
        wanted = attrs.evolve(wanted, state=wanted.states[int(np.argmax(full))])
    i = wanted.index
    said = conclusion(wanted, float(full[i]))

    def concludes(p: np.ndarray) -> Any:
        return int(np.argmax(p)) if wanted.by_mode else bool(p[i] >= 0.5)

    base_odds = _log_odds(float(full[i]))
    variants = []
    for left, (p, ok) in zip(subsets, rows):
        if not ok:
            variants.append(Variant(tuple(items[k].id for k in left), None, None, None, False))
            continue
        followed = float(p[i])
        shift = _log_odds(followed) - base_odds
        db = 0.0 if shift == 0 or math.isnan(shift) else 10 * shift / math.log(10)
        variants.append(Variant(tuple(items[k].id for k in left), {s: float(x) for s, x in zip(wanted.states, p)},
                                followed, db, concludes(p) != concludes(full)))
    return ModelSweep(model.name, model.path, wanted, said, tuple(i.id for i in items), tuple(variants))


def _log_odds(p: float) -> float:
    if p <= 0:
        return -math.inf
    if p >= 1:
        return math.inf
    return math.log(p / (1 - p))
