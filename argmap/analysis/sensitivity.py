"""analyse: a model, its evidence and a target → how the target's posterior depends on every
input probability (exact one-way sensitivity functions, a tornado, the interval over which the
conclusion holds) and on all of them at once (Monte Carlo over their ranges).

Every input of a model enters the joint distribution linearly (moving one state of a
distribution rescales the others proportionally), so P(target, evidence) and P(evidence) are
linear in it and the posterior is exactly f(t) = (a·t + b) / (c·t + d). Two evaluations fix the
four coefficients and a third, at the input's own value, checks them; all inputs are evaluated
in one batched calibration.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs
import numpy as np

from argmap._results import Listing, data_frame, html_note, html_table, json_number, shown_states
from argmap.analysis.distributed import InProcess, Runner, check_seed, chunk_seed, chunks
from argmap.engine.compile import InputKey, Network, network_of, variable_cpt
from argmap.errors import ArgmapError, Location, did_you_mean
from argmap.engine.infer import as_of_date, calibrate, evidence_assignment
from argmap.model import EvidenceItem, Likelihood, Model, NoisyOr, PriorDist, Prob, Table, VanEveraTest, TESTS

__all__ = ["CHUNK_DRAWS", "CarloPlan", "Input", "MonteCarlo", "Sensitivity", "SensitivityAnalysis", "Target", "carlo_chunk",
           "conclusion", "input_range", "inputs", "monte_carlo", "sensitivity", "sensitivity_analysis", "target"]

_CHUNK = 256  # scenarios per calibration: bounds memory on large models


@attrs.frozen
class Target:
    """What the conclusion is about: a claim, and the state whose probability is followed."""

    claim: str
    state: str
    states: tuple[str, ...]
    by_mode: bool  # True: "the most probable state stays `state`"; False: "P(state) ≥ 0.5 stays as it is"

    @property
    def index(self) -> int:
        return self.states.index(self.state)


@attrs.frozen
class Input:
    """One probability a user wrote, the variable whose table it sits in, and its range."""

    key: InputKey
    variable: str
    label: str
    location: Location
    prob: Prob
    low: float
    high: float
    range_from: str  # "word 'likely'", "written range", or "±0.5 log-odds" (the model's uncertainty)

    @property
    def value(self) -> float:
        return self.prob.value


@attrs.frozen
class Sensitivity:
    """The target's posterior as a function of one input: f(t) = (a·t + b) / (c·t + d)."""

    input: Input
    a: float
    b: float
    c: float
    d: float
    at_value: float
    at_low: float
    at_high: float
    holds_from: float  # the conclusion at the input's value holds for t in [holds_from, holds_to]
    holds_to: float

    def __call__(self, t: float | np.ndarray) -> float | np.ndarray:
        return (self.a * t + self.b) / (self.c * t + self.d)

    @property
    def swing(self) -> float:
        return abs(self.at_high - self.at_low)

    @property
    def flips_within_range(self) -> bool:
        return not (self.holds_from <= self.input.low and self.input.high <= self.holds_to)

    def to_dict(self) -> dict[str, Any]:
        """An entry of ``sensitivity --format json``'s ``inputs``."""
        return {
            "input": "/".join(self.input.key), "label": self.input.label, "value": self.input.value,
            "range": [self.input.low, self.input.high], "range_from": self.input.range_from,
            "file": self.input.location.file, "line": self.input.location.line,
            "function": {"a": self.a, "b": self.b, "c": self.c, "d": self.d, "form": "(a*t + b) / (c*t + d)"},
            # null where that end of the range makes the evidence impossible (no posterior there)
            "posterior_at_low": json_number(self.at_low), "posterior_at_high": json_number(self.at_high),
            "swing": json_number(self.swing),
            "holds_while": [self.holds_from, self.holds_to], "flips_within_range": self.flips_within_range,
        }

    def row(self) -> dict[str, Any]:
        """A row of :meth:`SensitivityAnalysis.to_pandas`."""
        return {"input": "/".join(self.input.key), "label": self.input.label, "value": self.input.value,
                "low": self.input.low, "high": self.input.high, "range_from": self.input.range_from,
                "posterior_at_low": self.at_low, "posterior_at_high": self.at_high, "swing": self.swing,
                "holds_from": self.holds_from, "holds_to": self.holds_to,
                "flips_within_range": self.flips_within_range, "file": self.input.location.file,
                "line": self.input.location.line}

    def cells(self) -> list[str]:
        """The row as ``argmap sensitivity``'s table shows it."""
        return [self.input.label, f"{self.input.value:.3g}", f"[{self.input.low:.3g}, {self.input.high:.3g}]",
                f"{self.at_low:.3f}", f"{self.at_high:.3f}", f"{self.swing:.3f}",
                f"[{self.holds_from:.3g}, {self.holds_to:.3g}]" + (" ← flips in range" if self.flips_within_range else ""),
                str(self.input.location)]


SENSITIVITY_COLUMNS = ("input", "label", "value", "low", "high", "range_from", "posterior_at_low", "posterior_at_high",
                       "swing", "holds_from", "holds_to", "flips_within_range", "file", "line")
SENSITIVITY_HEAD = ("input", "value", "range", "P at low", "P at high", "swing", "conclusion holds while t ∈",
                    "written at")
#: the rows a notebook shows (to_pandas() has them all), as ``argmap sensitivity --top``'s default
HTML_ROWS = 20


def conclusion(wanted: Target, posterior: float) -> str:
    """The conclusion about the target in words: "P(h) ≥ 0.5", "'x' is the most probable state of c"."""
    if wanted.by_mode:
        return f"'{wanted.state}' is the most probable state of {wanted.claim}"
    side = "≥" if posterior >= 0.5 else "<"
    return f"P({wanted.claim}{'' if wanted.state == 'true' else '=' + wanted.state}) {side} 0.5"


@attrs.frozen
class SensitivityAnalysis(Listing):
    """``argmap.sensitivity``: the exact one-way sensitivity of the target to every input,
    largest swing first. Iterating gives the :class:`Sensitivity` functions."""

    target: Target
    posterior: float  # P(target state | evidence) with every input at its value
    results: tuple[Sensitivity, ...]
    uncertainty: float  # the model's: a bare number's range is its logit ± this

    listed = "results"

    @property
    def conclusion(self) -> str:
        return conclusion(self.target, self.posterior)

    def to_dict(self) -> dict[str, Any]:
        """``sensitivity --format json``'s ``target`` and ``inputs`` (the command adds its Monte
        Carlo runs and tipping points: :class:`MonteCarlo`, ``TippingPoints``)."""
        return {"target": {"claim": self.target.claim, "state": self.target.state, "posterior": self.posterior,
                           "conclusion": self.conclusion},
                "inputs": [r.to_dict() for r in self.results]}

    def to_pandas(self) -> Any:
        """One row per input, largest swing first."""
        return data_frame([r.row() for r in self.results], SENSITIVITY_COLUMNS)

    def _repr_html_(self) -> str:
        name = self.target.claim + ("" if self.target.state == "true" else f" = {self.target.state}")
        shown = self.results[:HTML_ROWS]
        table = html_table(SENSITIVITY_HEAD, [r.cells() for r in shown],
                           f"Sensitivity of {name}: posterior {self.posterior:.3f}; conclusion: {self.conclusion}")
        more = len(self.results) - len(shown)
        return table + html_note(f"{len(self.results)} inputs, each moved across its range (its word, its written "
                                 f"[low, high], or for a bare number ±{self.uncertainty:g} log-odds)"
                                 + (f"; the {more} with the smallest swing are in to_pandas()" if more else ""))


@attrs.frozen
class MonteCarlo:
    """Every range at once: the posterior's spread over random draws of all inputs."""

    draws: int
    seed: int
    target: Target
    quantiles: dict[str, dict[str, tuple[float, float, float]]]  # claim → state → (2.5%, 50%, 97.5%)
    flip_probability: float  # share of draws in which the conclusion differs from the point estimate
    mode: str = "independent"  # independent | correlated (see monte_carlo)
    shared: int = 0  # correlated mode: the evidence inputs drawn from one common position

    def to_dict(self) -> dict[str, Any]:
        """``sensitivity --format json``'s ``monte_carlo`` (``monte_carlo_correlated``)."""
        return {
            "draws": self.draws, "seed": self.seed, "flip_probability": self.flip_probability,
            "mode": self.mode, **({"shared_inputs": self.shared} if self.mode == "correlated" else {}),
            "quantiles": {cid: {s: dict(zip(("2.5%", "50%", "97.5%"), q)) for s, q in states.items()}
                          for cid, states in self.quantiles.items()},
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per claim state (a binary claim: P(true)), as :meth:`Beliefs.rows`."""
        return [{"claim": cid, "state": "" if len(shown) == 1 else s, "low": q[0], "median": q[1], "high": q[2]}
                for cid, states in self.quantiles.items() for shown in [shown_states(tuple(states))]
                for s, q in states.items() if s in shown]

    def to_pandas(self) -> Any:
        """Every claim's posterior over the draws: its 2.5%, 50% and 97.5% quantiles (low, median, high)."""
        return data_frame(self.rows(), ("claim", "state", "low", "median", "high"))

    def _repr_html_(self) -> str:
        t = self.target
        name = t.claim + ("" if t.state == "true" else f" = {t.state}")
        how = ("independently" if self.mode == "independent" else
               f"the {self.shared} evidence inputs biased together (one common position)")
        return html_table(["claim", "state", "2.5%", "median", "97.5%"],
                          [[r["claim"], r["state"], f"{r['low']:.3f}", f"{r['median']:.3f}", f"{r['high']:.3f}"]
                           for r in self.rows()],
                          f"All ranges at once ({self.draws:,} Monte Carlo draws, seed {self.seed}, {how}): "
                          f"the conclusion about {name} flips in {self.flip_probability:.1%} of draws")


def target(model: Model, spec: str) -> Target:
    """``CLAIM`` or ``CLAIM=STATE`` → a Target; a binary claim follows P(true)."""
    claim_id, _, state = spec.partition("=")
    claim = model.claims.get(claim_id)
    if claim is None:
        raise ArgmapError.at(Location("--target"), f"unknown claim '{claim_id}'" + did_you_mean(claim_id, model.claims))
    if state and state not in claim.states:
        raise ArgmapError.at(Location("--target"), f"'{state}' is not a state of '{claim_id}'" + did_you_mean(state, claim.states))
    if state:
        return Target(claim_id, state, claim.states, by_mode=False)
    if claim.is_binary:
        return Target(claim_id, "true", claim.states, by_mode=False)
    return Target(claim_id, "", claim.states, by_mode=True)  # the mode is filled in from the posterior


# ----------------------------------------------------------------------------- inputs


def inputs(model: Model, as_of=None) -> list[Input]:
    """Every input probability that can move a posterior at ``as_of``: priors, strengths, leaks,
    table entries, and the likelihoods and reliabilities of the evidence that counts."""
    cutoff = as_of_date(as_of)
    found: list[Input] = []

    def add(key: InputKey, variable: str, label: str, at: Location, prob: Prob) -> None:
        found.append(_input(key, variable, label, at, prob, model.uncertainty))

    for cid, claim in model.claims.items():
        d = claim.distribution
        if isinstance(d, PriorDist):
            for state in _free_states(claim.states):
                add(("claim", cid, "prior", state), cid, f"prior P({_name(cid, state, claim.states)})", claim.where("prior"), d.probs[state])
        elif isinstance(d, NoisyOr):
            for pid, strength in d.supporters.items():
                add(("claim", cid, "supported_by", pid), cid, f"strength {pid} → {cid}", claim.where("supported_by"), strength)
            for pid, strength in d.attackers.items():
                add(("claim", cid, "attacked_by", pid), cid, f"attack {pid} ⊣ {cid}", claim.where("attacked_by"), strength)
            add(("claim", cid, "leak"), cid, f"leak of {cid}", claim.where("leak"), d.leak)
        elif isinstance(d, Table):
            for row, dist in d.rows.items():
                key = ", ".join(row)
                given = ", ".join(f"{p}={s}" for p, s in zip(d.parents, row))
                for state in _free_states(claim.states):
                    add(("claim", cid, "table", key, state), cid, f"P({_name(cid, state, claim.states)} | {given})",
                        d.row_locations.get(row, claim.where("table")), dist[state])
    counted = [i for i in model.evidence if i.counts_at(cutoff) and not i.is_observation]
    for sid in sorted({i.source for i in counted if i.source}):
        source = model.sources[sid]
        add(("source", sid, "reliability"), sid, f"reliability of source {sid}", source.location, source.reliability)
    for item in counted:
        found.extend(_item_inputs(item, model, model.uncertainty))
    return found


def _item_inputs(item: EvidenceItem, model: Model, u: float) -> Iterable[Input]:
    b = item.bearing
    iid = item.id
    if isinstance(b, Likelihood):
        states = model.claims[b.target].states
        for state in states:
            yield _input(("item", iid, "likelihood", state), iid, f"P({iid} | {_name(b.target, state, states)})",
                         item.where("lr" if b.stated_as == "lr" else "likelihood"), b.probs[state], u)
    elif isinstance(b, VanEveraTest):
        if_h, if_not = TESTS[b.test]
        yield _input(("item", iid, "test", "if_h"), iid, f"P({iid} | {b.target}={b.for_state}) ({b.test})",
                     item.where("test"), Prob.exactly(if_h), u)
        yield _input(("item", iid, "test", "if_not"), iid, f"P({iid} | {b.target}≠{b.for_state}) ({b.test})",
                     item.where("test"), Prob.exactly(if_not), u)
    elif isinstance(b, Table):
        for row, dist in b.rows.items():
            given = ", ".join(f"{p}={s}" for p, s in zip(b.parents, row))
            yield _input(("item", iid, "table", ", ".join(row), "true"), iid, f"P({iid} | {given})",
                         b.row_locations.get(row, item.where("table")), dist["true"], u)
    if item.reliability is not None:
        yield _input(("item", iid, "reliability"), iid, f"reliability of {iid}", item.where("reliability"), item.reliability, u)


def _free_states(states: tuple[str, ...]) -> tuple[str, ...]:
    return states[:1] if len(states) == 2 else states


def _name(claim: str, state: str, states: tuple[str, ...]) -> str:
    if states == ("true", "false"):
        return claim if state == "true" else f"¬{claim}"
    return f"{claim}={state}"


def input_range(prob: Prob, uncertainty: float) -> tuple[float, float, str]:
    """The range analysis moves a probability across, and where it comes from: a word's range,
    a written [low, high], or for a bare number p, logit(p) ± ``uncertainty`` (DESIGN §3; 0 and 1
    stay exact, and so does every bare number with ``uncertainty: 0``)."""
    if prob.low < prob.high:
        written = prob.written
        return prob.low, prob.high, "written range" if written.startswith("[") else f"word '{written}'"
    t = prob.value
    if 0 < t < 1 and uncertainty > 0:
        logit = math.log(t / (1 - t))
        low, high = (1 / (1 + math.exp(-(logit + step))) for step in (-uncertainty, uncertainty))
    else:
        low = high = t
    return low, high, f"±{uncertainty:g} log-odds"


def _input(key: InputKey, variable: str, label: str, at: Location, prob: Prob, uncertainty: float) -> Input:
    low, high, source = input_range(prob, uncertainty)
    return Input(key, variable, label, at, prob, low, high, source)


# ----------------------------------------------------------------------------- one-way functions


def sensitivity(model: Model, spec: str | Target, as_of=None, *, network: Network | None = None) -> tuple[Target, list[Sensitivity]]:
    """The exact one-way sensitivity function of the target for every input, sorted by swing."""
    found = sensitivity_analysis(model, spec, as_of, network=network)
    return found.target, list(found.results)


def sensitivity_analysis(model: Model, spec: str | Target, as_of=None, *,
                         network: Network | None = None) -> SensitivityAnalysis:
    """:func:`sensitivity` with the target's posterior, as a :class:`SensitivityAnalysis`."""
    network = network or network_of(model)
    cutoff = as_of_date(as_of)
    items = [i for i in model.evidence if i.counts_at(cutoff)]
    evidence = evidence_assignment(model, network, items)
    wanted = spec if isinstance(spec, Target) else target(model, spec)
    found = inputs(model, cutoff)

    def cpts_at(inp: Input, values: np.ndarray) -> np.ndarray:
        return variable_cpt(model, inp.variable, {inp.key: values})

    base = calibrate(network, [evidence])
    if not base.possible[0]:
        raise ArgmapError.at(model.location, "the evidence is impossible under the model; run argmap check")
    base_posterior = base.marginal(wanted.claim)[0]
    if wanted.by_mode:
        wanted = attrs.evolve(wanted, state=wanted.states[int(np.argmax(base_posterior))])
    # an undefined swing (an end of the range makes the evidence impossible) sorts last
    results = sorted(one_way(network, evidence, wanted, found, cpts_at),
                     key=lambda r: (-r.swing if not math.isnan(r.swing) else math.inf, r.input.label))
    # the posterior as the first function gives it at the input's value (the command always printed that one)
    posterior = results[0].at_value if results else float(base_posterior[wanted.index])
    return SensitivityAnalysis(wanted, posterior, tuple(results), model.uncertainty)


def one_way(
    network: Network,
    evidence: dict[str, int],
    wanted: Target,
    found: Sequence[Input],
    cpts_at: Callable[[Input, np.ndarray], np.ndarray],
) -> list[Sensitivity]:
    """Sensitivity functions from batched calibrations: per input, its table at two values of t
    (the ends of its range, or t ± 0.01 where the range is a point) and at its own value."""
    points = []
    for inp in found:
        low, high = inp.low, inp.high
        if high - low < 1e-6:
            low, high = max(0.0, inp.value - 0.01), min(1.0, inp.value + 0.01)
        points.append(np.array([low, inp.value, high]))
    results: list[Sensitivity] = []
    for start in range(0, len(found), _CHUNK // 3):
        chunk = list(range(start, min(start + _CHUNK // 3, len(found))))
        batch = 3 * len(chunk)
        cpts: dict[str, np.ndarray] = {}
        for slot, k in enumerate(chunk):
            inp = found[k]
            if inp.variable not in cpts:
                base = network.variables[inp.variable].cpt
                cpts[inp.variable] = np.broadcast_to(base, (batch,) + base.shape).copy()
            cpts[inp.variable][3 * slot: 3 * slot + 3] = cpts_at(inp, points[k])
        calibration = calibrate(network, [evidence] * batch, cpts)
        joint = calibration.marginal(wanted.claim)  # P(state | e) per scenario
        log_e = calibration.log_evidence
        for slot, k in enumerate(chunk):
            rows = slice(3 * slot, 3 * slot + 3)
            t = points[k]
            p_e = np.exp(log_e[rows] - log_e[rows][1])  # relative to the input's own value: no underflow
            # P(state, e) up to the same factor; 0 where an end of the range makes the evidence
            # impossible (the marginal there is 0/0)
            p_all = np.where(p_e[:, None] > 0, joint[rows], 0.0) * p_e[:, None]
            results.append(_fit(found[k], t, p_all, p_e, wanted))
    return results


def _fit(inp: Input, t: np.ndarray, p_all: np.ndarray, p_e: np.ndarray, wanted: Target) -> Sensitivity:
    low, mid, high = t
    slope_all = (p_all[2] - p_all[0]) / (high - low)  # P(state, e)(t) = slope·t + intercept, per state
    intercept_all = p_all[0] - slope_all * low
    c = (p_e[2] - p_e[0]) / (high - low)
    d = p_e[0] - c * low
    a, b = slope_all[wanted.index], intercept_all[wanted.index]

    def f(x: float) -> float:
        with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 where the evidence is impossible: NaN
            return float((a * x + b) / (c * x + d))

    predicted_mid = f(mid)
    actual_mid = p_all[1][wanted.index] / p_e[1]
    if not abs(predicted_mid - actual_mid) <= 1e-7:  # the model is linear in every input; say so if not
        raise AssertionError(f"sensitivity to {inp.label} is not a ratio of linear functions "
                             f"({predicted_mid} vs {actual_mid})")
    holds_from, holds_to = _holds(slope_all, intercept_all, c, d, mid, wanted, actual_mid >= 0.5)
    return Sensitivity(inp, float(a), float(b), float(c), float(d), float(actual_mid),
                       float(f(inp.low)), float(f(inp.high)), holds_from, holds_to)


def _holds(slope: np.ndarray, intercept: np.ndarray, c: float, d: float, t0: float, wanted: Target,
           above_half: bool) -> tuple[float, float]:
    """The interval of t in [0, 1] around t0 where the conclusion at t0 still holds. Every
    condition is linear in t once multiplied by P(e)(t) > 0. ``above_half`` is the conclusion
    as computed at t0 (not from the fitted line, which may round a tie the other way)."""
    i = wanted.index
    if wanted.by_mode:  # P(s*, e) ≥ P(k, e) for every other state k
        conditions = [(slope[i] - slope[k], intercept[i] - intercept[k]) for k in range(len(slope)) if k != i]
    else:  # P(s, e) − ½·P(e) keeps the sign it has at t0
        sign = 1.0 if above_half else -1.0
        conditions = [(sign * (slope[i] - 0.5 * c), sign * (intercept[i] - 0.5 * d))]
    low, high = 0.0, 1.0
    for m, q in conditions:  # m·t + q ≥ 0
        if abs(m) < 1e-15:
            if q < -1e-12:
                return t0, t0
            continue
        root = -q / m
        if m > 0:
            low = max(low, root)
        else:
            high = min(high, root)
    return float(min(low, t0)), float(max(high, t0))


# ----------------------------------------------------------------------------- Monte Carlo


#: draws per Monte Carlo piece: fixed, so that the numbers never depend on where pieces run
CHUNK_DRAWS = _CHUNK * 4


@attrs.frozen
class CarloPlan:
    """What every piece of a Monte Carlo run reads (sent to each worker once): the model with its
    compiled network, the evidence, the inputs drawn and, for correlated draws, their orientation."""

    model: Model
    evidence: dict[str, int]
    found: tuple[Input, ...]
    towards: dict[InputKey, bool]  # correlated inputs: True when the high end favours the conclusion
    wanted: Target
    above_half: bool  # the point estimate's conclusion, for a target followed by P(state) ≥ ½
    seed: int


def carlo_chunk(plan: CarloPlan, chunk: tuple[int, int]) -> tuple[dict[str, np.ndarray], int]:
    """One piece of draws, from its own stream: every claim's posterior per draw, and how many
    draws flip the conclusion."""
    index, batch = chunk
    rng = np.random.default_rng(chunk_seed(plan.seed, index))
    model, wanted = plan.model, plan.wanted
    network = network_of(model)  # shipped compiled: a worker never compiles
    common = rng.uniform(size=batch) if plan.towards else None
    overrides = {}
    for inp in plan.found:
        if inp.key in plan.towards:
            position = common if plan.towards[inp.key] else 1 - common
            overrides[inp.key] = inp.low + position * (inp.high - inp.low)
        else:
            overrides[inp.key] = rng.uniform(inp.low, inp.high, size=batch)
    cpts = {name: variable_cpt(model, name, overrides) for name in {inp.variable for inp in plan.found}}
    calibration = calibrate(network, [plan.evidence] * batch, cpts)
    samples = {cid: calibration.marginal(cid) for cid in model.claims}
    posterior = samples[wanted.claim]
    if wanted.by_mode:
        flips = int(np.sum(np.argmax(posterior, axis=1) != wanted.index))
    else:
        flips = int(np.sum((posterior[:, wanted.index] >= 0.5) != plan.above_half))
    return samples, flips


def monte_carlo(
    model: Model,
    spec: str | Target,
    as_of=None,
    *,
    draws: int = 10_000,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
    correlated: bool = False,
    one_way: Sequence[Sensitivity] | None = None,
    runner: Runner | None = None,
) -> MonteCarlo:
    """Draw every input across its range at once (seeded), and report each claim's posterior
    quantiles and how often the target's conclusion differs from the point estimate.

    Independent (default): every input uniformly and independently, so errors partly cancel.
    ``correlated``: systematic bias instead — every evidence input (an item's likelihoods, test
    numbers, table rows and reliability, a source's reliability) that moves the target sits at
    one common position z ~ U(0, 1) of its range per draw, oriented by its exact one-way
    function so that z = 0 is the end least favourable to the conclusion for all of them at
    once (every item favouring the leading state weakened together, every item against it
    strengthened together); priors, strengths, leaks and claim tables stay independent.
    ``one_way``: the target's sensitivity functions, when already computed (else computed here).

    The draws come in pieces of ``CHUNK_DRAWS``, piece k from the stream ``chunk_seed(seed, k)``,
    on ``runner`` (:func:`argmap.analysis.distributed.runner`; default: this process): the same
    seed gives the same numbers wherever the pieces run."""
    seed = check_seed(seed)
    network = network_of(model)
    cutoff = as_of_date(as_of)
    evidence = evidence_assignment(model, network, [i for i in model.evidence if i.counts_at(cutoff)])
    wanted = spec if isinstance(spec, Target) else target(model, spec)
    base = calibrate(network, [evidence]).marginal(wanted.claim)[0]
    if wanted.by_mode:
        wanted = attrs.evolve(wanted, state=wanted.states[int(np.argmax(base))])
    found = [i for i in inputs(model, cutoff) if i.high > i.low]
    towards: dict[InputKey, bool] = {}
    if correlated:
        results = one_way if one_way is not None else sensitivity(model, wanted, cutoff, network=network)[1]
        against_true = not wanted.by_mode and base[wanted.index] < 0.5  # the conclusion is "below ½"
        for r in results:
            if r.input.key[0] in ("item", "source") and r.input.high > r.input.low and r.at_high != r.at_low:
                towards[r.input.key] = (r.at_high > r.at_low) != against_true
    plan = CarloPlan(model, evidence, tuple(found), towards, wanted, bool(base[wanted.index] >= 0.5), seed)
    pieces = chunks(draws, CHUNK_DRAWS)
    parts = (runner or InProcess()).map(carlo_chunk, pieces, shared=plan, sizes=[n for _, n in pieces],
                                        progress=progress)
    flips = sum(f for _, f in parts)  # reduced in piece order, whoever computed them
    quantiles = {}
    for cid, claim in model.claims.items():
        values = np.concatenate([samples[cid] for samples, _ in parts]) if parts else np.empty((0, len(claim.states)))
        quantiles[cid] = {s: tuple(float(q) for q in np.nanquantile(values[:, j], [0.025, 0.5, 0.975]))
                          for j, s in enumerate(claim.states)}
    return MonteCarlo(draws, seed, wanted, quantiles, flips / max(draws, 1),
                      "correlated" if correlated else "independent", len(towards))
