"""A loaded model + keyword arguments → every analysis of the command line, from Python.

The functions here are the Python face of the commands (``argmap sensitivity`` is
:func:`sensitivity`, ``argmap next`` is :func:`next_evidence`, …). They return the typed (attrs)
results the commands print, compute on the model's one compiled network, and raise
:class:`~argmap.errors.ArgmapError` for bad arguments — naming the argument (``target=``), not
the command line's flag (``--target``). Stages are imported on first use, so ``import argmap``
stays light.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from argmap.errors import ArgmapError, Location, Problem, did_you_mean
from argmap.model import Model

__all__ = ["cause", "compare", "diagram", "monte_carlo", "next_evidence", "pairwise", "report", "sensitivity",
           "sweep", "tipping_points", "tornado", "trajectory", "weigh", "weights"]

_FLAG = re.compile(r"--([a-z][a-z-]*)")


@contextlib.contextmanager
def _arguments() -> Iterator[None]:
    """ArgmapErrors about a command-line flag name the keyword argument instead."""
    try:
        yield
    except ArgmapError as exc:
        def keyword(match: re.Match[str]) -> str:
            return match.group(1).replace("-", "_") + "="

        def renamed(p: Problem) -> Problem:
            file = _FLAG.sub(keyword, p.location.file) if p.location.file.startswith("--") else p.location.file
            return Problem(Location(file, p.location.line), _FLAG.sub(keyword, p.message))
        raise ArgmapError([renamed(p) for p in exc.problems]) from None


def _model(model: Any) -> Model:
    if not isinstance(model, Model):
        raise ArgmapError.at(Location("model="), f"model= must be an argmap.Model (from argmap.load), not "
                                                 f"{type(model).__name__}")
    return model


def trajectory(model: Model, *, as_of: Any = None, claims: Sequence[str] | None = None) -> Any:
    """Every claim's (or the given claims') posterior before any evidence and after each counted
    item, in date order (:class:`argmap.engine.infer.Trajectory`; iterating gives its Steps)."""
    from argmap.engine.infer import belief_trajectory as run

    with _arguments():
        return run(_model(model), as_of=as_of, claims=claims)


def sensitivity(model: Model, target: str, *, as_of: Any = None) -> Any:
    """The exact one-way sensitivity of ``target`` ("claim" or "claim=state") to every input,
    largest swing first (:class:`argmap.analysis.sensitivity.SensitivityAnalysis`; iterating gives
    each :class:`~argmap.analysis.sensitivity.Sensitivity`: the function f(t) = (a·t + b)/(c·t + d),
    its range and where the conclusion holds)."""
    from argmap.analysis.sensitivity import sensitivity_analysis as run

    with _arguments():
        return run(_model(model), target, as_of)


def monte_carlo(model: Model, target: str, *, as_of: Any = None, draws: int = 10_000, seed: int = 0,
                correlated: bool = False, scheduler: str | None = None, workers: int | None = None) -> Any:
    """Every input drawn across its range at once (seeded); ``correlated=True`` leans every
    evidence input the same way in each draw (:class:`argmap.analysis.sensitivity.MonteCarlo`).
    ``scheduler="tcp://HOST:PORT"`` or ``workers=N`` run the draws on Dask (argmap[distributed]):
    the same numbers for the same seed."""
    from argmap.analysis.distributed import runner
    from argmap.analysis.sensitivity import monte_carlo as run

    with _arguments():
        m = _model(model)
        with runner(scheduler, workers) as where:
            return run(m, target, as_of, draws=draws, seed=seed, correlated=correlated, runner=where)


def tipping_points(model: Model, target: str, *, as_of: Any = None) -> Any:
    """The smallest uniform tempering of the evidence and the smallest shift of the target's prior
    (dB) that change the conclusion (:class:`argmap.analysis.tipping.TippingPoints`)."""
    from argmap.analysis.tipping import tipping_points as run

    with _arguments():
        return run(_model(model), target, as_of)


def next_evidence(model: Model, target: str, *, as_of: Any = None,
                  test_likelihoods: str | Mapping[str, tuple[float, float]] | None = None,
                  pair: str | Sequence[str] | None = None, set_size: int = 0) -> Any:
    """What to look for next about ``target`` ("claim" or "claim=state"): every candidate finding
    ranked by value of information, what one new item would need to overturn the verdict and,
    with ``set_size``, the best set of clues (:class:`argmap.analysis.voi.NextPlan`).
    ``test_likelihoods`` ("hoop=0.95/0.6,…" or {"hoop": (0.95, 0.6)}), ``pair`` (("a", "b") or
    "a,b": rank by the odds of a against b, dB) and ``set_size`` (1–6) are ``argmap next``'s
    --test-likelihoods, --pair and --set."""
    from argmap.analysis import voi

    with _arguments():
        m = _model(model)
        if not (isinstance(set_size, int) and 0 <= set_size <= voi.MAX_SET):
            raise ArgmapError.at(Location("set_size="), f"set_size= takes 0 to {voi.MAX_SET} clues (0: no set), "
                                                        f"not {set_size!r}")
        if isinstance(test_likelihoods, Mapping):
            test_likelihoods = ",".join(f"{name}={p}/{q}" for name, (p, q) in test_likelihoods.items())
        wanted = voi.parse_target(m, target)
        rivals = voi.parse_pair(m, wanted.claim, pair if pair is None or isinstance(pair, str) else ",".join(pair))
        return voi.look_for_next(m, wanted, as_of, tests=voi.parse_test_likelihoods(test_likelihoods), pair=rivals,
                                 set_size=set_size)


def pairwise(model: Any, *, as_of: Any = None) -> Any:
    """The accounts and the rivals compared in pairs — every pair of states of each multi-state
    hypothesis or rival and every pair of accounts, with prior odds, posterior odds and the Bayes
    factor — of a Model (updated at ``as_of``) or of Beliefs (:class:`argmap.analysis.pairwise.Pairwise`)."""
    from argmap.analysis.pairwise import pairwise as run
    from argmap.engine.infer import Beliefs

    with _arguments():
        if isinstance(model, Beliefs):
            if as_of is not None:
                raise ArgmapError.at(Location("as_of="), "as_of= goes with a Model; Beliefs already have their "
                                                         "evidence (update the model with as_of= instead)")
            return run(model)
        return run(_model(model).update(as_of=as_of))


def weights(model: Model, claim: str, state: str = "true") -> Any:
    """Each item's weight of evidence on ``claim = state`` against the other states, the item alone
    in the network (:class:`argmap.analysis.weights.Weights`; iterating gives each
    :class:`~argmap.analysis.weights.ItemWeight`: likelihoods, decibels, Van Evera label)."""
    from argmap.analysis.weights import Weights
    from argmap.analysis.weights import weights as run

    with _arguments():
        m = _model(model)
        if claim not in m.claims:
            raise ArgmapError.at(Location("claim="), f"unknown claim '{claim}'" + did_you_mean(claim, m.claims))
        states = m.claims[claim].states
        if state not in states:
            raise ArgmapError.at(Location("state="), f"'{claim}' has no state '{state}'" + did_you_mean(state, states)
                                 + f"; its states are {', '.join(states)}")
        return Weights(claim, state, tuple(run(m, claim, state)))


def compare(models: Sequence[Model], *, as_of: Any = None, scheduler: str | None = None,
            workers: int | None = None) -> Any:
    """The same question under several models: shared claims' posteriors side by side, largest
    difference first (:class:`argmap.analysis.comparison.Comparison`); ``scheduler=`` or
    ``workers=`` update the models on Dask."""
    from argmap.analysis.comparison import compare as run
    from argmap.analysis.distributed import runner, updates

    with _arguments():
        ms = [_model(m) for m in models]
        with runner(scheduler, workers) as where:
            beliefs = updates(ms, as_of, runner=where)
        return run(ms, as_of, beliefs=beliefs)


def sweep(models: Model | Sequence[Model], target: str, *, leave_out: int = 0, as_of: Any = None,
          scheduler: str | None = None, workers: int | None = None) -> Any:
    """``target``'s posterior in each model with all its counted evidence and with every subset of
    ``leave_out`` items left out, each variant's change (dB) and whether it flips the conclusion
    (:class:`argmap.analysis.sweep.Sweep`); ``scheduler=`` or ``workers=`` run it on Dask."""
    from argmap.analysis.distributed import runner
    from argmap.analysis.sweep import sweep as run

    with _arguments():
        ms = [_model(models)] if isinstance(models, Model) else [_model(m) for m in models]
        with runner(scheduler, workers) as where:
            return run(ms, target, as_of, leave_out=leave_out, runner=where)


def diagram(model: Model, *, format: str = "svg", style: str = "paper", evidence: str = "summary",
            as_of: Any = None, width: str | None = None, font: str | None = None) -> bytes:
    """The argument map as bytes (svg, pdf, png or dot); ``width="3.5in"`` lays it out for a column."""
    from argmap.output.diagram import diagram as run

    with _arguments():
        return run(_model(model), format=format, style=style, evidence=evidence, as_of=as_of, width=width, font=font)


def report(model: Model, folder: str | None = None, *, formats: Sequence[str] = ("html", "md", "tex"),
           as_of: Any = None, compare: Sequence[Model] = ()) -> list[str]:
    """Write the full report (default folder ``reports/NAME/``); the paths written."""
    from argmap.output.report import make_report

    with _arguments():
        return make_report(_model(model), folder, formats, as_of=as_of, compare=compare)


def tornado(model: Model, target: str, *, as_of: Any = None, format: str = "svg", top: int = 15,
            width: str | None = None, font: str | None = None) -> bytes:
    """The tornado of ``target``'s one-way sensitivities as bytes (svg, png or pdf), ``width``
    wide (no text under 7 pt) in the family ``font``."""
    from argmap.analysis.sensitivity import sensitivity as run
    from argmap.output.plots import tornado as draw

    with _arguments():
        m = _model(model)
        wanted, results = run(m, target, as_of)
        base = m.update(as_of=as_of).posterior(wanted.claim, wanted.state)
        return draw(results, wanted, base, fmt=format, top=top, width=width, font=font, title=m.title)


def weigh(model: Model, target: str, *, as_of: Any = None) -> Any:
    """Every counted item's weight (dB) on each pair of ``target``'s states, its pairwise
    leave-one-out and each pair's Bayes factor (:class:`argmap.analysis.pairwise.Weighing`)."""
    from argmap.analysis.pairwise import weigh as run

    with _arguments():
        return run(_model(model), target, as_of)


def cause(model: Model, cause: str, effect: str, *, as_of: Any = None, contrast: str | None = None) -> Any:
    """Did ``cause`` ("claim[=state]") make the difference to ``effect``? do(), PN and PS with their
    bounds and sensitivity (:class:`argmap.analysis.cause.CauseResult`, docs/causal.md)."""
    from argmap.analysis.cause import cause as run

    with _arguments():
        return run(_model(model), cause, effect, as_of, contrast=contrast)
