"""A model → the coherence properties it satisfies or breaks (argmap check --deep).

Each property is something a reviewer may assume of a Bayesian argument without checking it;
this module checks it on *this* model and its evidence, and says what breaks it in the
model's own terms (claim and item ids, file:line), never as a traceback:

- **sign coherence**: every ``supported_by`` raises its claim and every ``attacked_by`` lowers
  it, and so does every parent a table declares in ``supports:`` / ``attacks:``, in every
  configuration of the other parents (checked exhaustively; a word or range that lets a
  declared sign reverse is a warning);
- **order independence**: the posterior does not depend on the order the evidence comes in,
  nor on whether it is taken all at once or item by item;
- **conservation of expected evidence**: for every item (and every claim one could observe),
  the beliefs it would lead to, weighted by how likely each outcome is, average to the belief
  now;
- **no certainty from uncertain inputs**: a posterior of exactly 0 or 1 must come from a 0 or
  1 written in the model (or hard evidence on that claim);
- **engine agreement**: argmap's junction tree and pgmpy's VariableElimination agree;
- **export round trips**: the Argdown and BIF exports, imported back, give the same beliefs;
- **double counting** (warning): items that quote the same URL, quote or page without a shared
  ``source`` are counted as independent observations;
- **rival hygiene** (warning): separate true/false rivals that can both be true.

The searched properties draw random evidence subsets (and orders) with Hypothesis from a fixed
seed, so a run is reproducible; a failure is shrunk to a minimal set of items before it is
reported. Hypothesis (a dependency of argmap) is imported only here, so other commands don't pay for it.
"""

from __future__ import annotations

import itertools
import math
import os
import tempfile
import textwrap
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from argmap.engine.compile import Network, network_of, variable_cpt
from argmap.errors import ArgmapError, Location
from argmap.engine.infer import calibrate, evidence_assignment, trajectory, update
from argmap.model import BINARY, Claim, EvidenceItem, Model, NoisyOr, Observation, Table

__all__ = [
    "PROPERTIES",
    "CoherenceReport",
    "Finding",
    "PropertyResult",
    "check_deep",
]

FAIL, WARN = "fail", "warn"
TOLERANCE = 1e-9  # engines, orders, round trips and conservation agree to this (absolute)
EXCLUSIVE_JOINT = 0.05  # rivals meant to exclude each other: P(both true) above this is flagged
SOFT = 1e-6  # a written 0 or 1 is moved this far inwards to see whether it forces a certainty
MAX_SHOWN = 8  # findings listed per property; the rest are counted
WIDTH = 100  # findings are wrapped to this many columns
PROBES = 16  # items whose outcomes one random evidence context checks (all of them when fewer)
FOCUS = 8  # claims compared with pgmpy per random evidence subset (pgmpy is slow on large networks)
CHUNK = 256  # evidence scenarios per batched calibration: bounds memory on large models

#: property name → title, in the order they are run and printed
PROPERTIES: dict[str, str] = {
    "sign": "sign coherence",
    "order": "order independence",
    "conservation": "expected evidence",
    "certainty": "no false certainty",
    "engines": "engine agreement",
    "round_trips": "export round trips",
    "double_counting": "double counting",
    "rivals": "rival hygiene",
}


@attrs.frozen
class Finding:
    """One way the model breaks (``fail``) or strains (``warn``) a property, in its own terms."""

    severity: str  # FAIL | WARN
    message: str
    location: Location | None = None


@attrs.frozen
class PropertyResult:
    """A property, what was checked, and what was found."""

    name: str
    title: str
    checked: str  # what was checked, e.g. "11 arrows, each in every configuration of the other parents"
    findings: tuple[Finding, ...] = ()

    @property
    def status(self) -> str:
        if any(f.severity == FAIL for f in self.findings):
            return FAIL
        if self.findings:
            return WARN
        return "ok"


@attrs.frozen
class CoherenceReport:
    """Every property's result for one model, and how to read them."""

    model: Model
    seed: int
    examples: int
    results: tuple[PropertyResult, ...]

    @property
    def failed(self) -> tuple[PropertyResult, ...]:
        return tuple(r for r in self.results if r.status == FAIL)

    @property
    def warned(self) -> tuple[PropertyResult, ...]:
        return tuple(r for r in self.results if r.status == WARN)

    @property
    def ok(self) -> bool:
        """No property fails (warnings allowed)."""
        return not self.failed

    def exit_code(self, *, strict: bool = False) -> int:
        """3 when a property fails (or, with ``strict``, when one warns), else 0."""
        return 3 if self.failed or (strict and self.warned) else 0

    def text(self) -> str:
        """The report as a researcher reads it: one line per property, findings indented."""
        width = max(len(r.title) for r in self.results) if self.results else 0
        lines = [f"Deep check of {self.model.path} (seed {self.seed}, up to {self.examples} examples "
                 "per searched property)", ""]
        for r in self.results:
            mark = {"ok": "ok  ", WARN: "warn", FAIL: "FAIL"}[r.status]
            lines.append(f"{mark}  {r.title.ljust(width)}  {r.checked}")
            for finding in r.findings[:MAX_SHOWN]:
                where = f"{finding.location}: " if finding.location else ""
                tag = "✗" if finding.severity == FAIL else "!"
                lines += textwrap.wrap(where + finding.message, WIDTH, initial_indent=f"      {tag} ",
                                       subsequent_indent="        ", break_on_hyphens=False)
            if len(r.findings) > MAX_SHOWN:
                lines.append(f"      … and {len(r.findings) - MAX_SHOWN} more")
        lines.append("")
        failed, warned = self.failed, self.warned
        if failed:
            lines.append(f"{len(failed)} propert{'y' if len(failed) == 1 else 'ies'} failed: "
                         + ", ".join(r.title for r in failed) + " (exit status 3)")
        else:
            lines.append(f"coherent: all {len(self.results)} properties hold"
                         + (f"; warnings for {', '.join(r.title for r in warned)}" if warned else ""))
        return "\n".join(lines)


def check_deep(model: Model, *, seed: int = 0, examples: int = 100,
               properties: Iterable[str] | None = None) -> CoherenceReport:
    """Check every property (or those named) of a loaded model; ``examples`` bounds the random
    evidence subsets tried per searched property, ``seed`` makes the search reproducible."""
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        raise ArgmapError.at(Location("--deep"), "the deep check searches with Hypothesis, which is not "
                                                 "installed; install it with: pip install 'argmap[testing]'") from None
    names = list(properties) if properties is not None else list(PROPERTIES)
    unknown = [n for n in names if n not in PROPERTIES]
    if unknown:
        raise ValueError(f"unknown propert{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
                         f"known: {', '.join(PROPERTIES)}")
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 1:
        raise ValueError(f"examples={examples!r}: give a whole number of at least 1")
    context = _Context(model, seed, examples)
    results = tuple(_CHECKS[name](context) for name in names)
    return CoherenceReport(model, seed, examples, results)


# ----------------------------------------------------------------------------- shared machinery


class _Context:
    """The model, its compiled network and the evidence the searches draw from."""

    def __init__(self, model: Model, seed: int, examples: int):
        self.model = model
        self.seed = seed
        self.examples = examples
        self.network = network_of(model)
        self.items = [i for i in model.evidence if not i.expected]  # evidence that can count
        self.claims = list(model.claims)

    def assignment(self, items: Iterable[EvidenceItem]) -> dict[str, int]:
        return evidence_assignment(self.model, self.network, items)

    def named(self, items: Sequence[EvidenceItem]) -> str:
        return "no evidence" if not items else "[" + ", ".join(i.id for i in items) + "]"

    def subsets(self, *, ordered: bool = False) -> Any:
        """Hypothesis strategy: a subset of the items (shrinking towards fewer and earlier ones)."""
        from hypothesis import strategies as st

        indices = st.lists(st.integers(0, len(self.items) - 1), unique=True, max_size=len(self.items)) \
            if self.items else st.just([])
        if ordered:
            return indices.map(lambda ks: [self.items[k] for k in ks])
        return indices.map(lambda ks: [self.items[k] for k in sorted(ks)])

    def search(self, strategy: Any, test: Callable[[Any], None], *, examples: int | None = None) -> _Broken | None:
        """Run ``test`` on values of ``strategy``; the minimal failure it raised, or None."""
        from hypothesis import HealthCheck, Phase, Verbosity, given, settings
        from hypothesis import seed as seeded

        @seeded(self.seed)
        @settings(max_examples=examples or self.examples, database=None, deadline=None,
                  verbosity=Verbosity.quiet, phases=(Phase.generate, Phase.shrink),
                  suppress_health_check=list(HealthCheck), report_multiple_bugs=False, print_blob=False)
        @given(strategy)
        def run(value: Any) -> None:
            test(value)

        try:
            run()
        except _Broken as broken:
            return broken
        return None


def _explicit(ctx: _Context, test: Callable[[list[EvidenceItem]], None]) -> _Broken | None:
    """Where the random search found nothing: no evidence, and all of it (shrunk if it fails)."""
    for items in ([], ctx.items):
        try:
            test(items)
        except _Broken:
            return _minimal(items, test)
    return None


def _minimal(items: list[EvidenceItem], test: Callable[[list[EvidenceItem]], None]) -> _Broken:
    """``items`` break ``test``: drop items one at a time while they still do, and return the
    failure of the smallest set left (no single item of it can go)."""
    kept = list(items)
    for item in list(kept):
        trial = [i for i in kept if i is not item]
        try:
            test(trial)
        except _Broken:
            kept = trial
    try:
        test(kept)
    except _Broken as broken:
        return broken
    raise AssertionError("a failing evidence set stopped failing while it shrank")  # pragma: no cover


class _Broken(Exception):
    """A property broken by one example; carries what to tell the researcher (and the item or
    claim it is about, for shrinking)."""

    def __init__(self, message: str, location: Location | None = None, subject: Any = None):
        super().__init__(message)
        self.finding = Finding(FAIL, message, location)
        self.subject = subject


def _worst(gap: np.ndarray, claim: Claim) -> int:
    """The state to name where probabilities disagree: P(true) of a true/false claim."""
    return 0 if claim.is_binary and gap[0] > TOLERANCE else int(np.argmax(gap))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _p(value: float) -> str:
    return f"{value:.4g}" if 1e-4 <= value <= 1 - 1e-4 or value in (0.0, 1.0) else f"{value:.3g}"


def _claim_state(model: Model, cid: str, state: str) -> str:
    return cid if model.claims[cid].is_binary and state == "true" else f"{cid} = {state}"


# ----------------------------------------------------------------------------- sign coherence


def _sign(ctx: _Context) -> PropertyResult:
    model, findings, arrows = ctx.model, [], 0
    for claim in model.claims.values():
        d = claim.distribution
        if isinstance(d, NoisyOr):
            declared = [(p, +1) for p in d.supporters] + [(p, -1) for p in d.attackers]
            where = {p: claim.where("supported_by") for p in d.supporters} | \
                    {p: claim.where("attacked_by") for p in d.attackers}
        elif isinstance(d, Table):
            declared = [(p, +1) for p in d.supports] + [(p, -1) for p in d.attacks]
            where = {p: claim.where("supports") for p in d.supports} | {p: claim.where("attacks") for p in d.attacks}
        else:
            continue
        for parent, sign in declared:
            arrows += 1
            findings += _arrow_findings(ctx, claim, parent, sign, where[parent])
    checked = (f"{arrows} support/attack arrow{'s' if arrows != 1 else ''}, each in every configuration of "
               "the other parents" if arrows else "no support or attack arrows (nothing to check)")
    return PropertyResult("sign", PROPERTIES["sign"], checked, tuple(findings))


def _arrow_findings(ctx: _Context, claim: Claim, parent: str, sign: int, at: Location) -> list[Finding]:
    """Does ``parent`` being true move P(the claim's first state) the declared way, in every
    configuration of the other parents? Exact: the whole CPT is compared at once."""
    model = ctx.model
    var = ctx.network.variables[claim.id]
    axis = var.parents.index(parent)
    first = var.cpt[..., 0]  # P(first state | parents), shape (*parent cards)
    change = sign * (np.take(first, 0, axis=axis) - np.take(first, 1, axis=axis))  # ≥ 0 when coherent
    others = [p for p in var.parents if p != parent]
    verb, kind = ("raise", "supports") if sign > 0 else ("lower", "attacks")
    target = _claim_state(model, claim.id, claim.states[0])
    if (change < -TOLERANCE).any():
        worst = np.unravel_index(int(np.argmin(change)), change.shape)
        config = {p: ctx.network.variables[p].states[i] for p, i in zip(others, worst)}
        when = ", ".join(f"{p} = {s}" for p, s in config.items()) or "no other parents"
        row_true, row_false = (np.take(first, i, axis=axis)[worst] for i in (0, 1))
        rows = _row_locations(claim, parent, config)
        return [Finding(FAIL, f"'{parent}' {kind} '{claim.id}' but does not {verb} it: with {when}, "
                              f"P({target}) is {_p(row_true)} when {parent} is true and {_p(row_false)} when "
                              f"it is false{rows}. Fix the table rows, or drop '{parent}' from "
                              f"'{'supports' if sign > 0 else 'attacks'}'.", at)]
    if not (change > TOLERANCE).any():
        return [Finding(FAIL, f"'{parent}' {kind} '{claim.id}' but never moves it: P({target}) is the same "
                              f"whether {parent} is true or false in every configuration of "
                              f"{', '.join(others) or 'the other parents'} (a strength or difference of 0?). "
                              "The map draws an arrow the numbers do not carry.", at)]
    if isinstance(claim.distribution, Table):
        return _range_reversals(claim, parent, sign, at)
    return []


def _row_locations(claim: Claim, parent: str, config: Mapping[str, str]) -> str:
    d = claim.distribution
    if not isinstance(d, Table):
        return ""
    lines = []
    for state in BINARY:
        row = tuple(state if p == parent else config[p] for p in d.parents)
        if row in d.row_locations:
            lines.append(str(d.row_locations[row].line))
    return f" (rows at lines {' and '.join(lines)})" if len(lines) == 2 else ""


def _range_reversals(claim: Claim, parent: str, sign: int, at: Location) -> list[Finding]:
    """A declared sign that holds at the midpoints but can reverse within the written ranges."""
    d = claim.distribution
    assert isinstance(d, Table)
    index = d.parents.index(parent)
    first = claim.states[0]
    for row, probs in d.rows.items():
        if row[index] != "true":
            continue
        other = row[:index] + ("false",) + row[index + 1:]
        up, down = (probs[first], d.rows[other][first]) if sign > 0 else (d.rows[other][first], probs[first])
        if up.low < down.high and not (up.is_point and down.is_point):
            when = ", ".join(f"{p} = {s}" for p, s in zip(d.parents, row) if p != parent) or "no other parents"
            return [Finding(WARN, f"'{parent}' {'supports' if sign > 0 else 'attacks'} '{claim.id}', and does at "
                                  f"the midpoints, but with {when} the written ranges overlap "
                                  f"({up} vs {down}): somewhere inside them the sign reverses.", at)]
    return []


# ----------------------------------------------------------------------------- order independence


def _order(ctx: _Context) -> PropertyResult:
    from hypothesis import strategies as st

    model = ctx.model
    if len(ctx.items) < 2:
        return PropertyResult("order", PROPERTIES["order"], "fewer than two evidence items: nothing to reorder")
    seen: set[tuple[str, ...]] = set()

    def posteriors(items: Sequence[EvidenceItem]) -> dict[str, dict[str, float]]:
        variant = attrs.evolve(model, evidence=tuple(_undated(i) for i in items))
        return {c: b.posterior for c, b in update(variant).claims.items()}

    def test(pair: tuple[list[EvidenceItem], list[EvidenceItem]]) -> None:
        first, second = pair
        seen.add(tuple(i.id for i in first))
        a, b = posteriors(first), posteriors(second)
        steps = trajectory(attrs.evolve(model, evidence=tuple(_undated(i) for i in second)))
        for cid, claim in model.claims.items():
            for state in claim.states:
                shown = _claim_state(model, cid, state)
                stepwise = steps[-1].posteriors[cid][state]
                if abs(a[cid][state] - b[cid][state]) > TOLERANCE:
                    raise _Broken(f"P({shown}) is {_p(a[cid][state])} after {ctx.named(first)} but "
                                  f"{_p(b[cid][state])} after the same items in the order {ctx.named(second)}. "
                                  "This is a bug in argmap's engine, not in your model; please report it.")
                if abs(stepwise - b[cid][state]) > TOLERANCE:
                    raise _Broken(f"P({shown}) is {_p(b[cid][state])} after {ctx.named(second)} taken at once but "
                                  f"{_p(stepwise)} taken item by item in that order. This is a bug in argmap's "
                                  "engine, not in your model; please report it.")

    pairs = ctx.subsets(ordered=True).flatmap(lambda items: st.tuples(st.just(items), st.permutations(items)))
    broken = ctx.search(pairs, test)
    checked = f"{_count(len(seen), 'evidence set')}, each also in another order and item by item"
    return PropertyResult("order", PROPERTIES["order"], checked, (broken.finding,) if broken else ())


def _undated(item: EvidenceItem) -> EvidenceItem:
    """The item without its date, so that the order given is the order used (not date order)."""
    return attrs.evolve(item, date=None) if item.date else item


# ----------------------------------------------------------------------------- conservation


def _outcomes(ctx: _Context, item: EvidenceItem) -> list[tuple[str, dict[str, int]]]:
    """The ways looking at an item can turn out: found / not found, or each state of the one
    claim an observation names."""
    if isinstance(item.bearing, Observation):
        if len(item.bearing.states) != 1:
            return []
        (cid, _), = item.bearing.states.items()
        return [(f"{cid} = {s}", {cid: k}) for k, s in enumerate(ctx.model.claims[cid].states)]
    return [("found", {item.id: 0}), ("not found", {item.id: 1})]


def _conservation(ctx: _Context) -> PropertyResult:
    from hypothesis import strategies as st

    candidates = [i for i in ctx.model.evidence if _outcomes(ctx, i)]
    if not candidates:
        return PropertyResult("conservation", PROPERTIES["conservation"], "no evidence items: nothing to check")
    seen: set[tuple[str, ...]] = set()

    def test(drawn: tuple[list[EvidenceItem], list[EvidenceItem]]) -> None:
        context, probes = drawn
        seen.add(tuple(i.id for i in context))
        _conserved(ctx, context, probes)

    # every item once with no evidence and once with all of it; then random contexts, each with
    # a sample of the items (all of them when there are few)
    broken = None
    for context in ([], ctx.items):
        try:
            _conserved(ctx, context, candidates)
        except _Broken as found:
            broken = _minimal(context, lambda trial: _conserved(ctx, trial, [found.subject]))
            break
    if broken is None:
        probes = st.just(candidates) if len(candidates) <= PROBES else \
            st.lists(st.sampled_from(candidates), unique_by=lambda i: i.id, min_size=1, max_size=PROBES)
        broken = ctx.search(st.tuples(ctx.subsets(), probes), test)
    checked = (f"the outcomes of each item ({_count(len(candidates), 'item')}) average to the belief before it, "
               f"with no evidence, all of it, and {_count(len(seen), 'random evidence set')}")
    return PropertyResult("conservation", PROPERTIES["conservation"], checked, (broken.finding,) if broken else ())


def _conserved(ctx: _Context, context: Sequence[EvidenceItem], probes: Sequence[EvidenceItem]) -> None:
    """Raise _Broken unless, given ``context``, every probe's outcomes average to the belief now."""
    model = ctx.model
    base = ctx.assignment(context)
    taken = {i.id for i in context}
    outcomes = [(i, _outcomes(ctx, i)) for i in probes if i.id not in taken]
    outcomes = [(i, found) for i, found in outcomes if not any(set(change) & set(base) for _, change in found)]
    now = calibrate(ctx.network, [base])
    if not outcomes or not now.possible[0]:
        return  # impossible evidence is `argmap check`'s to report
    claims = [c for c in ctx.claims if c not in base]
    before = {c: now.marginal(c)[0] for c in claims}
    for chunk in _chunks(outcomes, lambda entry: len(entry[1])):
        rows = [(item, name, change) for item, found in chunk for name, change in found]
        calibration = calibrate(ctx.network, [{**base, **change} for _, _, change in rows])
        probability = np.exp(calibration.log_evidence - now.log_evidence[0])  # P(outcome | context); 0 if impossible
        owner = np.array([k for k, (_, found) in enumerate(chunk) for _ in found])
        weights = np.zeros((len(chunk), len(rows)))
        weights[owner, np.arange(len(rows))] = probability  # item × outcome row
        totals = weights.sum(axis=1)
        for k in np.flatnonzero(np.abs(totals - 1) > TOLERANCE):
            item = chunk[k][0]
            raise _Broken(f"the outcomes of '{item.id}' have probabilities summing to {totals[k]:.12g}, not 1, "
                          f"given {ctx.named(context)}. This is a bug in argmap; please report it.",
                          item.location, subject=item)
        for cid in claims:
            after = np.nan_to_num(calibration.marginal(cid))  # (rows, states); impossible rows weigh 0
            gap = np.abs(weights @ after - before[cid])  # (items, states)
            bad = np.argwhere(gap > TOLERANCE)
            if len(bad):
                k = int(bad[0][0])
                item = chunk[k][0]
                s = _worst(gap[k], model.claims[cid])
                state = model.claims[cid].states[s]
                mine = [r for r in range(len(rows)) if owner[r] == k]
                parts = "; ".join(f"{rows[r][1]} (p = {_p(probability[r])}) → {_p(after[r][s])}" for r in mine)
                raise _Broken(f"given {ctx.named(context)}, P({_claim_state(model, cid, state)}) is "
                              f"{_p(before[cid][s])}, but looking at '{item.id}' would leave it at "
                              f"{_p((weights @ after)[k][s])} on average ({parts}). This is a bug in argmap; "
                              "please report it.", item.location, subject=item)


def _chunks(entries: Sequence[Any], size: Callable[[Any], int]) -> Iterable[list[Any]]:
    """Consecutive groups of ``entries`` whose sizes add up to about CHUNK scenarios each."""
    group: list[Any] = []
    rows = 0
    for entry in entries:
        if group and rows + size(entry) > CHUNK:
            yield group
            group, rows = [], 0
        group.append(entry)
        rows += size(entry)
    if group:
        yield group


# ----------------------------------------------------------------------------- certainty


def _written_certainties(model: Model) -> tuple[dict[str, dict[tuple[str, ...], float]], list[str]]:
    """Inputs written as exactly 0 or 1, softened: variable → {input key: softened value}; and
    the 0s and 1s that cannot be softened (a source's random_yes), named."""
    from argmap.analysis.sensitivity import inputs

    softened: dict[str, dict[tuple[str, ...], float]] = {}
    for found in inputs(attrs.evolve(model, evidence=tuple(i for i in model.evidence if not i.expected))):
        if found.prob.is_point and found.value in (0.0, 1.0):
            softened.setdefault(found.variable, {})[found.key] = SOFT if found.value == 0 else 1 - SOFT
    fixed = [f"{s.id} random_yes" for s in model.sources.values() if s.random_yes.value in (0.0, 1.0)]
    return softened, fixed


def _certainty(ctx: _Context) -> PropertyResult:
    model, network = ctx.model, ctx.network
    softened, unsoftenable = _written_certainties(model)
    cpts = {var: variable_cpt(model, var, {k: np.array([v]) for k, v in keys.items()})
            for var, keys in softened.items() if var in network.variables}
    seen: set[tuple[str, ...]] = set()

    def test(items: list[EvidenceItem]) -> None:
        seen.add(tuple(i.id for i in items))
        assignment = ctx.assignment(items)
        calibration = calibrate(network, [assignment])
        if not calibration.possible[0]:
            return  # impossible evidence needs a 0 or 1 somewhere; `argmap check` reports it
        certain = [(c, s) for c in ctx.claims if c not in assignment
                   for s, p in enumerate(calibration.marginal(c)[0]) if p in (0.0, 1.0)]
        if not certain:
            return
        soft = calibrate(network, [assignment], cpts) if cpts else calibration
        for cid, s in certain:
            p = calibration.marginal(cid)[0][s]
            if soft.possible[0] and soft.marginal(cid)[0][s] == p and not unsoftenable:
                state = model.claims[cid].states[s]
                raise _Broken(f"P({_claim_state(model, cid, state)}) is exactly {p:g} given {ctx.named(items)}, "
                              "yet no probability of 0 or 1 in the model forces it: the evidence multiplies "
                              "the odds beyond what double precision holds, and the belief prints as certain. "
                              "Weaken some likelihoods (is the same thing counted twice?), or report the "
                              "belief as 'more than 0.9999999'.", model.claims[cid].location)

    broken = ctx.search(ctx.subsets(), test) or _explicit(ctx, test)
    full = ctx.items
    written = sum(len(k) for k in softened.values()) + len(unsoftenable)
    checked = (f"no claim is exactly certain unless a 0 or 1 written in the model forces it ({written} written); "
               f"{_count(len(seen | {(), tuple(i.id for i in full)}), 'evidence subset')}")
    return PropertyResult("certainty", PROPERTIES["certainty"], checked, (broken.finding,) if broken else ())


# ----------------------------------------------------------------------------- engine agreement


def _engines(ctx: _Context) -> PropertyResult:
    from hypothesis import strategies as st

    model, network = ctx.model, ctx.network
    with warnings.catch_warnings():  # pgmpy warns about its own deprecations on import
        warnings.simplefilter("ignore")
        from pgmpy.inference import VariableElimination

        from argmap.engine.compile import to_pgmpy

        reference = VariableElimination(to_pgmpy(network))
    seen: set[tuple[str, ...]] = set()
    # hypotheses and rivals first: where a random subset of claims is compared, these always are
    focus = sorted(ctx.claims, key=lambda c: model.claims[c].role not in ("hypothesis", "rival"))[:FOCUS]

    def compare(items: list[EvidenceItem], claims: Sequence[str]) -> None:
        assignment = ctx.assignment(items)
        calibration = calibrate(network, [assignment])
        if not calibration.possible[0]:
            return
        named = {n: network.variables[n].states[k] for n, k in assignment.items()}
        for cid in claims:
            if cid in assignment:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                factor = reference.query([cid], evidence=named, show_progress=False)
            ours = calibration.marginal(cid)[0]
            theirs = np.array([factor.get_value(**{cid: s}) for s in model.claims[cid].states])
            gap = np.abs(ours - theirs)
            if (gap > TOLERANCE).any():
                s = _worst(gap, model.claims[cid])
                state = model.claims[cid].states[s]
                raise _Broken(f"given {ctx.named(items)}, argmap's engine says P({_claim_state(model, cid, state)}) "
                              f"= {ours[s]:.12g} and pgmpy's VariableElimination {theirs[s]:.12g}. This is a bug "
                              "in argmap (or pgmpy), not in your model; please report it.", subject=cid)

    def test(drawn: tuple[list[EvidenceItem], list[str]]) -> None:
        items, claims = drawn
        seen.add(tuple(i.id for i in items))
        compare(items, claims)

    broken = None
    for items in ([], ctx.items):  # no evidence and all of it, on the hypotheses (and a few more)
        try:
            compare(items, focus)
        except _Broken as found:
            broken = _minimal(items, lambda trial: compare(trial, [found.subject]))
            break
    if broken is None:
        claims = st.just(ctx.claims) if len(ctx.claims) <= FOCUS else \
            st.lists(st.sampled_from(ctx.claims), unique=True, min_size=1, max_size=FOCUS)
        broken = ctx.search(st.tuples(ctx.subsets(), claims), test, examples=max(1, ctx.examples // 4))
    shown = "every claim" if len(ctx.claims) <= FOCUS else f"up to {FOCUS} claims at a time"
    checked = (f"argmap's engine = pgmpy's VariableElimination (to {TOLERANCE:g}), {shown}, with no evidence, "
               f"all of it, and {_count(len(seen), 'random evidence subset')}")
    return PropertyResult("engines", PROPERTIES["engines"], checked, (broken.finding,) if broken else ())


# ----------------------------------------------------------------------------- export round trips


def _round_trips(ctx: _Context) -> PropertyResult:
    model = ctx.model
    findings: list[Finding] = []
    done: list[str] = []
    with tempfile.TemporaryDirectory(prefix="argmap-deep-") as scratch:
        for name, rebuild in (("Argdown", _via_argdown), ("BIF", _via_bif)):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    back = rebuild(model, os.path.join(scratch, name.lower()))
            except ArgmapError as exc:
                findings.append(Finding(FAIL, f"the {name} export does not import back: {exc.problems[0].message} "
                                              "(a bug in argmap's export or import; please report it)"))
                continue
            gap = _belief_gap(model, back)
            if gap:
                findings.append(Finding(FAIL, f"through {name} and back, {gap} (a bug in argmap's export or "
                                              "import; please report it)"))
            done.append(name)
    checked = f"{' and '.join(done) or 'no'} export{'s' if len(done) != 1 else ''} imported back give the same " \
              f"priors and posteriors (to {TOLERANCE:g})"
    return PropertyResult("round_trips", PROPERTIES["round_trips"], checked, tuple(findings))


def _via_argdown(model: Model, folder: str) -> Model:
    from argmap.interop.export import export
    from argmap.interop.importer import import_file
    from argmap.loader.validate import load

    os.makedirs(folder)
    source = os.path.join(folder, "exported.argdown")
    with open(source, "wb") as out:
        out.write(export(model, "argdown", output=source).data)
    return load(import_file(source, os.path.join(folder, "imported", "model.yaml"))[0])


def _via_bif(model: Model, folder: str) -> Model:
    """The network through BIF; the evidence that counts goes back in as hard evidence on the
    item variables (as the .evidence.json written beside a BIF export says)."""
    import json

    import yaml

    from argmap.interop.export import export
    from argmap.interop.importer import yaml_text, parse_bif
    from argmap.loader.validate import load

    os.makedirs(folder)
    exported = export(model, "bif")
    imported = parse_bif(exported.data.decode("utf-8"), os.path.join(folder, "model.bif"))
    evidence = json.loads(exported.beside[".evidence.json"])["evidence"]
    document = dict(imported.model, evidence=["evidence.yaml"])
    item_id = "bif_evidence"
    while item_id in document["claims"]:
        item_id += "_"
    items = [{"id": item_id, "text": "The evidence of the BIF export", "observe": evidence}] if evidence else []
    path = os.path.join(folder, "model.yaml")
    with open(path, "w", encoding="utf-8") as out:
        out.write(yaml_text(document, []))
    with open(os.path.join(folder, "evidence.yaml"), "w", encoding="utf-8") as out:
        out.write(yaml.safe_dump(items, sort_keys=False, allow_unicode=True))
    return load(path)


def _belief_gap(model: Model, back: Model) -> str:
    """'' when every claim of ``model`` has the same prior and posterior in ``back``."""
    first, second = update(model), update(back)
    for cid, belief in first.claims.items():
        other = second.claims.get(cid)
        if other is None or other.states != belief.states:
            return f"claim '{cid}' is missing or has other states"
        for kind in ("prior", "posterior"):
            for state, p in getattr(belief, kind).items():
                q = getattr(other, kind)[state]
                if abs(p - q) > TOLERANCE:
                    return f"the {kind} P({_claim_state(model, cid, state)}) moves from {p:.12g} to {q:.12g}"
    return ""


# ----------------------------------------------------------------------------- double counting


def _double_counting(ctx: _Context) -> PropertyResult:
    groups: dict[tuple[str, str], list[EvidenceItem]] = {}
    for item in ctx.items:
        keys = []
        if item.url:
            keys.append(("URL", item.url.strip().rstrip("/").lower()))
        if item.quote:
            keys.append(("quote", " ".join(item.quote.lower().split())))
        # one book may back unrelated claims: a shared reference counts where items meet on a claim
        keys += [("reference", f"{key}\x00{target}") for key in item.cite for target in item.targets]
        for key in keys:
            groups.setdefault(key, []).append(item)
    findings = []
    reported: set[tuple[str, ...]] = set()
    for (kind, key), items in groups.items():
        ids = tuple(i.id for i in items)
        if len(items) < 2 or ids in reported:
            continue
        sources = {i.source for i in items}
        if len(sources) == 1 and None not in sources:
            continue  # one declared source: its reliability is shared, the repetition is modelled
        reported.add(ids)
        shown = key if kind != "quote" else f"\"{key[:60]}{'…' if len(key) > 60 else ''}\""
        about = ""
        if kind == "reference":
            shown, target = key.split("\x00")
            about = f", bear on '{target}'"
        findings.append(Finding(WARN, f"{', '.join(repr(i) for i in ids)} have the same {kind} ({shown}){about} "
                                      "and no shared source, so argmap counts them as independent "
                                      "observations. If they report one observation, keep one item; if their "
                                      "reliability stands or falls together, declare the source under "
                                      "'sources:' and give each 'source: NAME'.", items[1].location))
    checked = f"{_count(len(ctx.items), 'item')} compared by URL, quote and cited reference"
    return PropertyResult("double_counting", PROPERTIES["double_counting"], checked, tuple(findings))


# ----------------------------------------------------------------------------- rival hygiene


def _ancestors(model: Model, cid: str) -> set[str]:
    found: set[str] = set()
    stack = list(model.claims[cid].parents)
    while stack:
        parent = stack.pop()
        if parent not in found:
            found.add(parent)
            stack.extend(model.claims[parent].parents)
    return found


def _rivals(ctx: _Context) -> PropertyResult:
    model, network = ctx.model, ctx.network
    binary = [c for c in model.claims.values() if c.is_binary and c.role in ("hypothesis", "rival")]
    above = {c.id: _ancestors(model, c.id) for c in binary}
    pairs, nested = [], 0
    for a, b in itertools.combinations(binary, 2):
        if "rival" not in (a.role, b.role):
            continue
        if a.id in above[b.id] or b.id in above[a.id]:
            nested += 1  # one depends on the other: a refinement, not an alternative
            continue
        pairs.append((a.id, b.id))
    if not pairs:
        note = f"; {nested} pair{'s' if nested != 1 else ''} where one depends on the other not checked" if nested else ""
        return PropertyResult("rivals", PROPERTIES["rivals"], "no separate true/false rival claims to compare" + note)
    base = ctx.assignment(i for i in model.evidence if i.counts_at(None))
    joints: dict[tuple[str, str], list[tuple[float, str]]] = {pair: [] for pair in pairs}
    given = sorted({a for a, _ in pairs})
    for label, evidence in (("prior", {}), ("with the evidence", base)):
        first = calibrate(network, [evidence])
        if not first.possible[0]:
            continue
        for chunk in _chunks(given, lambda _: 1):  # P(b | a true) for every b, one scenario per a
            calibration = calibrate(network, [{**evidence, a: 0} for a in chunk])
            for k, a in enumerate(chunk):
                if a in evidence or not calibration.possible[k]:
                    continue
                for pair in pairs:
                    if pair[0] == a and pair[1] not in evidence:
                        joint = first.marginal(a)[0][0] * calibration.marginal(pair[1])[k][0]  # P(a) · P(b | a)
                        joints[pair].append((joint, label))
    findings = []
    for (a, b), found in joints.items():
        joint, label = max(found, default=(0.0, ""))
        if joint > EXCLUSIVE_JOINT:
            findings.append(Finding(WARN, f"rivals '{a}' and '{b}' are not exclusive: P(both true) = {_p(joint)} "
                                          f"({label}). If only one can hold, make them one claim with a state each "
                                          f"(e.g. states: [{a}, {b}, other]) and let the evidence bear on its "
                                          "states; if both can hold, they are not rivals (role: factor).",
                                    model.claims[b].location))
    checked = (f"{len(pairs)} pair{'s' if len(pairs) != 1 else ''} of separate true/false rivals: P(both true) "
               f"≤ {EXCLUSIVE_JOINT:g}" + (f"; {nested} nested pair{'s' if nested != 1 else ''} skipped" if nested else ""))
    return PropertyResult("rivals", PROPERTIES["rivals"], checked, tuple(findings))


_CHECKS: dict[str, Callable[[_Context], PropertyResult]] = {
    "sign": _sign,
    "order": _order,
    "conservation": _conservation,
    "certainty": _certainty,
    "engines": _engines,
    "round_trips": _round_trips,
    "double_counting": _double_counting,
    "rivals": _rivals,
}
