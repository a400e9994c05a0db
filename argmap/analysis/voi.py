"""analyse: a model, its evidence and a target claim → what to look for next: candidate findings
(declared ``expected`` items, hypothetical hoop and smoking-gun clues argmap designs, learning a
claim's state) ranked by mutual information with the target (bits) or by the expected change of
the odds between two rival states (dB); the weight a single new item would need to overturn the
verdict; and the best set of k clues valued jointly.

Every finding is a variable V of the network (a claim, or a declared item) and a matrix
O[v, o] = P(outcome o | V = v): a hypothetical clue on claim C with likelihood L is the soft
evidence O = [L, 1 − L]; a declared item is its own node (O = identity over found / not found);
learning a claim is O = identity over its states. Conditioning on each state of the target (and,
for a set, on each joint state of the variables already chosen) in ONE batched calibration gives
P(V | those, e) for every V at once, hence the joint P(target, V | e) that serves every clue on V.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from argmap._results import data_frame, format_decibels, html_note, html_table, json_number
from argmap.analysis.sensitivity import Target, target as parse_target
from argmap.engine.compile import Network, network_of
from argmap.engine.infer import as_of_date, calibrate, evidence_assignment, item_marginal
from argmap.errors import ArgmapError, Location, did_you_mean
from argmap.model import TESTS, Model, Observation, VanEveraTest

__all__ = [
    "BEARING_CLAIMS",
    "DESIGNED_TESTS",
    "MAX_SET",
    "Candidate",
    "ConclusionFlip",
    "Flip",
    "NextPlan",
    "SetStep",
    "conclusion_flip",
    "flip_weights",
    "look_for_next",
    "next_evidence",
    "parse_pair",
    "parse_test_likelihoods",
]

#: the tests argmap designs for each state, with the §4 conventions P(found | H), P(found | not H)
DESIGNED_TESTS: dict[str, tuple[float, float]] = {"hoop": TESTS["hoop"], "smoking_gun": TESTS["smoking_gun"]}
#: besides the target, hypothetical clues are designed for at most this many claims: those whose
#: state tells the most about the target (an upper bound on what any clue about them can tell)
BEARING_CLAIMS = 6
BEARING_MIN_BITS = 1e-9  # a claim that tells less is independent of the target given the evidence
MAX_SET = 6  # --set K: the joint outcomes of K binary clues are enumerated exactly (2^K)
_CHUNK = 256  # scenarios per calibration
HTML_ROWS = 15  # candidates a notebook shows, as ``argmap next --top``'s default
_KIND_ORDER = {"declared": 0, "hypothetical": 1, "claim": 2}


@attrs.frozen
class Candidate:
    """A finding one could look for, and what it would do to the target."""

    id: str
    kind: str  # declared (an expected item) | hypothetical (a designed clue) | claim (learn its state)
    text: str
    mutual_information: float  # bits: expected reduction of the target's entropy
    outcomes: Mapping[str, float]  # outcome → its probability now
    posteriors: Mapping[str, Mapping[str, float]]  # outcome → the target's posterior after it
    bears_on: tuple[str, ...] = ()
    state: str | None = None  # the state a test is for
    test: str | None = None  # hoop | smoking_gun | … (a declared item: the test it was written as)
    likelihood: Mapping[str, float] | None = None  # P(found | each state of bears_on)
    pair_shift: Mapping[str, float] | None = None  # --pair: outcome → change of 10·log10 odds A:B (dB)
    expected_shift: float | None = None  # --pair: Σ P(outcome)·|pair_shift| (dB)
    overturns: tuple[str, ...] = ()  # outcomes after which the conclusion no longer holds

    @property
    def p_found(self) -> float | None:
        """P(found) for an item or clue, P(true) for a binary claim."""
        return self.outcomes.get("found", self.outcomes.get("true"))

    @property
    def if_found(self) -> Mapping[str, float] | None:
        return self.posteriors.get("found")

    @property
    def if_absent(self) -> Mapping[str, float] | None:
        return self.posteriors.get("not found")

    @property
    def score(self) -> float:
        return self.mutual_information if self.expected_shift is None else self.expected_shift


@attrs.frozen
class Flip:
    """The weight (dB) one new item favouring ``state`` against every other state by the same
    likelihood ratio must have for ``state`` to become the most probable."""

    state: str
    decibels: float
    sufficient: tuple[str, ...] = ()  # the designed tests whose finding alone would be heavy enough

    @property
    def likelihood_ratio(self) -> float:
        return 10 ** (self.decibels / 10)


@attrs.frozen
class ConclusionFlip:
    """The weight (dB, + for ``state``, − against it) one new item must have on ``state`` against
    all the others to overturn the conclusion as ``argmap sensitivity`` states it."""

    conclusion: str
    state: str
    decibels: float


@attrs.frozen
class SetStep:
    """One pick of the greedy set: the clue, what it tells alone, and what the set tells so far."""

    id: str
    alone: float  # its own score (bits, or dB with --pair)
    total: float  # the score of the set up to and including it, computed jointly
    gain: float  # total minus the previous total


@attrs.frozen
class NextPlan:
    """Everything ``argmap next`` says about one target."""

    target: str
    states: tuple[str, ...]
    followed: str  # the state whose probability tables show
    conclusion: str
    posterior: Mapping[str, float]
    fixed: str | None  # the observed state, when hard evidence fixes the target
    tests: Mapping[str, tuple[float, float]]
    bearing: tuple[str, ...]  # the claims (besides the target) hypothetical clues are designed for
    candidates: tuple[Candidate, ...]
    flips: tuple[Flip, ...]
    conclusion_flip: ConclusionFlip | None
    pair: tuple[str, str] | None = None
    set: tuple[SetStep, ...] = ()
    fixed_by: str | None = None  # the item that fixes the target, with where it is written

    @property
    def set_independent_sum(self) -> float:
        """What the set's members would add up to if their values were independent (they are not)."""
        return sum(s.alone for s in self.set)

    def to_dict(self) -> dict[str, Any]:
        """``next --format json``."""
        number = json_number
        return {
            "target": self.target, "followed": self.followed, "posterior": dict(self.posterior), "fixed": self.fixed,
            "fixed_by": self.fixed_by,
            "conclusion": self.conclusion,
            "tests": {name: {"if_state": p, "if_other": q} for name, (p, q) in self.tests.items()},
            "bearing": list(self.bearing),
            "pair": list(self.pair) if self.pair else None,
            "candidates": [{
                "id": c.id, "kind": c.kind, "text": c.text, "bears_on": list(c.bears_on), "state": c.state,
                "test": c.test, "likelihood": dict(c.likelihood) if c.likelihood is not None else None,
                "bits": c.mutual_information,
                "p_found": c.p_found if c.if_found is not None or c.if_absent is not None else None,
                "if_found": dict(c.if_found) if c.if_found is not None else None,
                "if_absent": dict(c.if_absent) if c.if_absent is not None else None,
                "outcomes": dict(c.outcomes), "posterior_after": {o: dict(p) for o, p in c.posteriors.items()},
                "overturns": list(c.overturns),
                **({"pair_decibels": {o: number(d) for o, d in c.pair_shift.items()},
                    "expected_decibels": number(c.expected_shift)} if c.pair_shift is not None else {}),
            } for c in self.candidates],
            "flip": [{"state": f.state, "decibels": number(f.decibels), "likelihood_ratio": number(f.likelihood_ratio)}
                     for f in self.flips],
            "conclusion_flip": None if self.conclusion_flip is None else {
                "conclusion": self.conclusion_flip.conclusion, "state": self.conclusion_flip.state,
                "decibels": number(self.conclusion_flip.decibels)},
            "set": None if not self.set else {
                "unit": "decibels" if self.pair else "bits", "total": self.set[-1].total,
                "independent_sum": self.set_independent_sum,
                "steps": [{"id": s.id, "alone": s.alone, "total": s.total, "gain": s.gain} for s in self.set]},
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per candidate, best first: what finding it (or each outcome) would do to P(followed)."""
        follow = self.followed
        return [{"id": c.id, "kind": c.kind, "bears_on": ", ".join(c.bears_on), "state": c.state, "test": c.test,
                 "bits": c.mutual_information, "expected_decibels": c.expected_shift,
                 "p_found": c.p_found if c.if_found is not None or c.if_absent is not None else None,
                 "if_found": None if c.if_found is None else c.if_found[follow],
                 "if_absent": None if c.if_absent is None else c.if_absent[follow],
                 "overturns": ", ".join(c.overturns)} for c in self.candidates]

    def to_pandas(self) -> Any:
        """The candidates, best first (see :meth:`rows`; ``if_found``/``if_absent``: P(followed state) after)."""
        return data_frame(self.rows(), ("id", "kind", "bears_on", "state", "test", "bits", "expected_decibels",
                                        "p_found", "if_found", "if_absent", "overturns"))

    def _repr_html_(self) -> str:
        shown = self.target if self.followed == "true" else f"{self.target}={self.followed}"
        if self.fixed is not None:
            return html_note(f"{self.target} is fixed by hard evidence ({self.target} = {self.fixed}"
                             + (f", item {self.fixed_by}" if self.fixed_by else "")
                             + "): there is nothing more to learn about it")
        score = "bits" if self.pair is None else f"E|Δ| {self.pair[0]}:{self.pair[1]} (dB)"

        def p(x: float | None) -> str:
            return "" if x is None else f"{x:.3f}"

        rows = self.rows()[:HTML_ROWS]
        parts = [html_table(["candidate", "kind", "bears on", score, "P(found)", f"P({shown}) if found", "if absent",
                             "overturns it if"],
                            [[r["id"], r["kind"], r["bears_on"],
                              f"{r['bits']:.4f}" if self.pair is None else f"{r['expected_decibels']:.1f}",
                              p(r["p_found"]), p(r["if_found"]), p(r["if_absent"]), r["overturns"]] for r in rows],
                            f"What to look for next about {self.target}: P({shown}) now "
                            f"{self.posterior[self.followed]:.3f}; conclusion: {self.conclusion}")]
        if len(self.candidates) > len(rows):
            parts.append(html_note(f"{len(self.candidates) - len(rows)} more candidates are in to_pandas()"))
        if self.flips:
            parts.append(html_table(["state", "weight one new item needs", "likelihood ratio", "a designed test that would do"],
                                    [[f.state, format_decibels(f.decibels), f"{f.likelihood_ratio:.3g}",
                                      " or ".join(t.replace("_", " ") for t in f.sufficient)] for f in self.flips],
                                    f"What would flip it: the least weight for each state of {self.target} to "
                                    "become the most probable"))
        return "".join(parts)


@attrs.frozen
class _Finding:
    """A finding before it is valued: a network variable and P(outcome | its state)."""

    id: str
    kind: str
    text: str
    variable: str
    outcome_names: tuple[str, ...]
    matrix: np.ndarray = attrs.field(eq=False)  # (card variable, outcomes)
    bears_on: tuple[str, ...]
    state: str | None = None
    test: str | None = None
    likelihood: Mapping[str, float] | None = None


# ----------------------------------------------------------------------------- the user's options


def parse_test_likelihoods(text: str | None) -> dict[str, tuple[float, float]]:
    """``hoop=0.95/0.6,smoking_gun=0.3/0.03`` → the tests to design; named tests override the
    defaults, other names of §4 (straw_in_the_wind, doubly_decisive) are designed as well."""
    tests = dict(DESIGNED_TESTS)
    if not text:
        return tests
    where = Location("--test-likelihoods")
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, eq, values = part.partition("=")
        name = name.strip()
        if name not in TESTS:
            raise ArgmapError.at(where, f"unknown test '{name}'" + did_you_mean(name, TESTS)
                                 + f"; write NAME=P/Q with NAME one of {', '.join(TESTS)}")
        p_text, slash, q_text = values.partition("/")
        try:
            if not eq or not slash:
                raise ValueError
            p, q = float(p_text), float(q_text)
        except ValueError:
            raise ArgmapError.at(where, f"'{part}': write {name}=P/Q, P = P(found | the state it is for) and "
                                        f"Q = P(found | any other state), e.g. {name}={TESTS[name][0]}/{TESTS[name][1]}") from None
        if not (0 <= q < p <= 1):
            raise ArgmapError.at(where, f"'{part}': need 0 ≤ Q < P ≤ 1 (a test is more often passed when its "
                                        "state holds)")
        tests[name] = (p, q)
    return tests


def parse_pair(model: Model, claim: str, text: str | None) -> tuple[str, str] | None:
    """``A,B`` → two distinct states of the target."""
    if not text:
        return None
    states = model.claims[claim].states
    parts = [p.strip() for p in text.split(",")]
    where = Location("--pair")
    if len(parts) != 2 or parts[0] == parts[1]:
        raise ArgmapError.at(where, f"'{text}': write two different states of '{claim}' as A,B (its states: {', '.join(states)})")
    for s in parts:
        if s not in states:
            raise ArgmapError.at(where, f"'{s}' is not a state of '{claim}'" + did_you_mean(s, states))
    return parts[0], parts[1]


# ----------------------------------------------------------------------------- what would flip it


def flip_weights(posterior: Mapping[str, float], tests: Mapping[str, tuple[float, float]] | None = None) -> list[Flip]:
    """For each state that is not the most probable: the least weight w (dB) of one new item with
    P(found | that state) = λ·q and P(found | every other state) = q (λ = 10^(w/10)) after which
    it is the most probable. The item multiplies that state's odds against each other state by
    λ and leaves the others' odds among themselves alone, so it ties the leader exactly at
    λ = max_t P(t) / P(state): w = 10·log10 of that ratio, and any heavier item overturns."""
    top = max(posterior.values())
    flips = []
    for state, p in posterior.items():
        rival_max = max(q for s, q in posterior.items() if s != state)
        if p >= top:  # already the most probable (or tied for it)
            continue
        needed = math.inf if p <= 0 else 10 * math.log10(rival_max / p)
        enough = tuple(n for n, (if_h, if_not) in (tests or {}).items()
                       if if_not == 0 or 10 * math.log10(if_h / if_not) > needed)
        flips.append(Flip(state, needed, enough))
    return sorted(flips, key=lambda f: (f.decibels, list(posterior).index(f.state)))


def conclusion_flip(posterior: Mapping[str, float], wanted: Target) -> ConclusionFlip:
    """The weight on ``wanted.state`` (against all the others) one item needs to overturn the
    sensitivity conclusion: "P(state) ≥ 0.5" (or "< 0.5") where a state is followed, else "the
    most probable state stays the mode" (the least weight that makes any rival the mode)."""
    if wanted.by_mode:
        mode = max(posterior, key=posterior.get)
        first = flip_weights(posterior)
        if not first:
            return ConclusionFlip(_conclusion_text(wanted, posterior), mode, 0.0)
        return ConclusionFlip(_conclusion_text(wanted, posterior), first[0].state, first[0].decibels)
    p = posterior[wanted.state]
    # posterior odds p:(1 − p) times λ reach 1 at λ = (1 − p)/p
    db = (math.inf if p <= 0 else -math.inf if p >= 1 else 10 * math.log10((1 - p) / p))
    return ConclusionFlip(_conclusion_text(wanted, posterior), wanted.state, db)


def _conclusion_text(wanted: Target, posterior: Mapping[str, float]) -> str:
    if wanted.by_mode:
        return f"'{max(posterior, key=posterior.get)}' is the most probable state of {wanted.claim}"
    p = posterior[wanted.state]
    return f"P({wanted.claim}{'' if wanted.state == 'true' else '=' + wanted.state}) {'≥' if p >= 0.5 else '<'} 0.5"


def _holds(posterior: np.ndarray, wanted: Target, now: np.ndarray) -> bool:
    """Whether the conclusion at ``now`` still holds at ``posterior``."""
    if wanted.by_mode:
        mode = int(np.argmax(now))
        return bool(posterior[mode] >= posterior.max())
    i = wanted.index
    return bool((posterior[i] >= 0.5) == (now[i] >= 0.5))


# ----------------------------------------------------------------------------- the analysis


def next_evidence(model: Model, target: str, as_of=None) -> tuple[dict[str, float], list[Candidate]]:
    """The target's posterior now, and every candidate ranked by mutual information."""
    plan = look_for_next(model, target, as_of)
    return dict(plan.posterior), list(plan.candidates)


def look_for_next(model: Model, target: str | Target, as_of=None, *,
                  tests: Mapping[str, tuple[float, float]] | None = None,
                  pair: tuple[str, str] | None = None, set_size: int = 0) -> NextPlan:
    """Rank every candidate finding about ``target`` (``CLAIM`` or ``CLAIM=STATE``, as for
    sensitivity), say what one item would need to overturn the verdict, and, with ``set_size``,
    pick the best set of that many clues greedily, each valued jointly with those before it."""
    wanted = target if isinstance(target, Target) else parse_target(model, target)
    claim = wanted.claim
    tests = dict(DESIGNED_TESTS if tests is None else tests)
    if not 0 <= set_size <= MAX_SET:
        raise ArgmapError.at(Location("--set"), f"--set takes 1 to {MAX_SET} (the outcomes of the set are enumerated)")
    cutoff = as_of_date(as_of)
    network = network_of(model)
    evidence = evidence_assignment(model, network, [i for i in model.evidence if i.counts_at(cutoff)])
    states = model.claims[claim].states
    if claim in evidence:
        fixed = states[evidence[claim]]
        post = {s: float(s == fixed) for s in states}
        if wanted.by_mode:
            wanted = attrs.evolve(wanted, state=fixed)
        by = next((f"'{i.id}' ({i.location})" for i in model.evidence if i.counts_at(cutoff)
                   and isinstance(i.bearing, Observation) and claim in i.bearing.states), None)
        return NextPlan(claim, states, wanted.state, _conclusion_text(wanted, post), post, fixed, tests, (), (),
                        (), None, pair, fixed_by=by)

    # one pass conditioned on each state of the target: P(V | target = t, e) for every V
    free_claims = [c for c in model.claims if c not in evidence]
    declared = [i for i in model.evidence if i.expected and i.id in network.variables]
    queries = [*free_claims, *(i.id for i in declared)]
    weights, given = _conditioned(model, network, evidence, [claim], queries)
    now = weights.copy()
    if wanted.by_mode:
        wanted = attrs.evolve(wanted, state=states[int(np.argmax(now))])
    posterior = dict(zip(states, now.tolist()))
    if pair is not None:
        for s in pair:
            if posterior[s] <= 0:
                raise ArgmapError.at(Location("--pair"), f"'{s}' has probability 0 now; no odds against it to change")

    findings: list[_Finding] = []
    for item in declared:
        findings.append(_Finding(item.id, "declared", item.text, item.id, ("found", "not found"), np.eye(2),
                                 item.targets, *_declared_test(item), _declared_likelihood(model, network, item)))
    claim_findings = []
    for cid in free_claims:
        if cid == claim:
            continue
        cstates = model.claims[cid].states
        claim_findings.append(_Finding(cid, "claim", model.claims[cid].text, cid, cstates,
                                       np.eye(len(cstates)), (cid,)))
    # which claims bear on the target: learning them tells something (bits > 0), most first
    told = {f.id: _score(_joint_outcomes(weights, given, [claim], claim, [f]), states, None) for f in claim_findings}
    bearing = [c for c in sorted(told, key=lambda c: (-told[c], list(model.claims).index(c)))
               if told[c] > BEARING_MIN_BITS][:BEARING_CLAIMS]
    for cid in [claim, *bearing]:
        findings += _designed(model, cid, tests)
    findings += claim_findings

    candidates = [_value(f, weights, given, claim, states, now, wanted, pair) for f in findings]
    candidates.sort(key=lambda c: (-c.score, _KIND_ORDER[c.kind], c.id))
    flips = tuple(flip_weights(posterior, tests))
    steps = _greedy_set(model, network, evidence, claim, states, findings, candidates, set_size, pair) if set_size else ()
    return NextPlan(claim, states, wanted.state, _conclusion_text(wanted, posterior), posterior, None, tests,
                    tuple(bearing), tuple(candidates), flips, conclusion_flip(posterior, wanted), pair, steps)


def _designed(model: Model, cid: str, tests: Mapping[str, tuple[float, float]]) -> list[_Finding]:
    """A clue of each test for each state of the claim: found with P if the state holds, Q if not."""
    claim = model.claims[cid]
    out = []
    for state in claim.states:
        for test, (p, q) in tests.items():
            likelihood = np.array([p if s == state else q for s in claim.states])
            words = test.replace("_", " ")
            shown = cid if claim.is_binary and state == "true" else f"{cid}={state}"
            text = (f"a {words} for {cid} = {state}: found with probability {p:g} if so, {q:g} otherwise")
            out.append(_Finding(f"{test}({shown})", "hypothetical", text, cid, ("found", "not found"),
                                np.stack([likelihood, 1 - likelihood], axis=1), (cid,), state, test,
                                dict(zip(claim.states, likelihood.tolist()))))
    return out


def _declared_test(item) -> tuple[str | None, str | None]:
    b = item.bearing
    return (b.for_state, b.test) if isinstance(b, VanEveraTest) else (None, None)


def _declared_likelihood(model: Model, network: Network, item) -> dict[str, float] | None:
    """P(found | state of its one target) as the model states it (a shared source at its prior
    reliability); None for an item that bears on several claims."""
    if len(item.targets) != 1 or isinstance(item.bearing, Observation):
        return None
    var = network.variables[item.id]
    cpt = var.cpt[..., 0]  # (target states[, source])
    if item.source:
        cpt = cpt @ network.variables[item.source].cpt
    return dict(zip(model.claims[item.targets[0]].states, np.asarray(cpt).tolist()))


def _conditioned(model: Model, network: Network, evidence: Mapping[str, int], given: Sequence[str],
                 queries: Sequence[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """P(given = a | e) as an array over the given variables' states, and for each query V
    P(V | given = a, e) of shape (*given cards, card V): one batched calibration over every joint
    state a of ``given``. Impossible joint states get weight 0 (and zero rows)."""
    cards = [len(network.variables[g].states) for g in given]
    assignments = list(itertools.product(*(range(c) for c in cards)))
    logs = np.empty(len(assignments))
    rows: dict[str, list[np.ndarray]] = {q: [] for q in queries if q not in given}
    for start in range(0, len(assignments), _CHUNK):
        chunk = assignments[start:start + _CHUNK]
        cal = calibrate(network, [{**evidence, **dict(zip(given, a))} for a in chunk])
        logs[start:start + len(chunk)] = cal.log_evidence
        for q in rows:
            m = item_marginal(network, cal, q) if network.variables[q].kind == "evidence" else cal.marginal(q)
            rows[q].append(np.nan_to_num(m))
    if not np.isfinite(logs).any():
        raise ArgmapError.at(model.location, "the evidence is impossible under the model; run argmap check")
    peak = logs[np.isfinite(logs)].max()
    weights = np.where(np.isfinite(logs), np.exp(logs - peak), 0.0)
    weights = (weights / weights.sum()).reshape(cards)
    out = {q: np.concatenate(r).reshape(*cards, -1) for q, r in rows.items()}
    for g_axis, g in enumerate(given):  # a given variable is known in each joint state: one-hot
        if g in queries:
            eye = np.eye(cards[g_axis])
            shape = [1] * len(cards) + [cards[g_axis]]
            shape[g_axis] = cards[g_axis]
            out[g] = np.broadcast_to(eye.reshape(shape), (*cards, cards[g_axis]))
    return weights, out


def _joint_outcomes(weights: np.ndarray, given_probs: Mapping[str, np.ndarray], given: Sequence[str],
                    target: str, findings: Sequence[_Finding]) -> np.ndarray:
    """P(target, o_1, …, o_k | e): (card target, outcomes of each finding). Every finding's
    variable but at most one (the last) must be among ``given``."""
    n = len(given)
    label = {g: i for i, g in enumerate(given)}
    operands: list = [weights, list(range(n))]
    outs = []
    extra = n
    for k, f in enumerate(findings):
        out_label = n + 1 + len(findings) + k
        if f.variable in label:
            operands += [f.matrix, [label[f.variable], out_label]]
        else:
            if extra != n:
                raise ValueError("at most one finding's variable may be outside the conditioning set")
            extra = n + 1 + 2 * len(findings) + 1
            operands += [given_probs[f.variable], [*range(n), extra], f.matrix, [extra, out_label]]
        outs.append(out_label)
    return np.einsum(*operands, [label[target], *outs])


def _score(joint: np.ndarray, states: Sequence[str], pair: tuple[str, str] | None) -> float:
    """Mutual information (bits) between the target (axis 0) and the outcomes (other axes) — or,
    with ``pair``, the expected |change of the A:B log-odds| in dB."""
    table = joint.reshape(joint.shape[0], -1)  # (target, joint outcome)
    p_t = table.sum(axis=1)
    p_o = table.sum(axis=0)
    if pair is None:
        outer = p_t[:, None] * p_o[None, :]
        mask = table > 0
        return max(float((table[mask] * np.log2(table[mask] / outer[mask])).sum()), 0.0)
    a, b = (list(states).index(s) for s in pair)
    return float(sum(p * abs(d) for p, d in zip(p_o, _shifts(table, a, b)) if p > 0))


def _shifts(table: np.ndarray, a: int, b: int) -> list[float]:
    """For each outcome: 10·log10 of the A:B odds after it minus before it."""
    before = 10 * math.log10(table[a].sum() / table[b].sum())
    out = []
    for pa, pb in zip(table[a], table[b]):
        if pa + pb <= 0:
            out.append(0.0)  # the outcome cannot occur: it is weighted 0
        elif pb <= 0:
            out.append(math.inf)
        elif pa <= 0:
            out.append(-math.inf)
        else:
            out.append(10 * math.log10(pa / pb) - before)
    return out


def _value(f: _Finding, weights: np.ndarray, given: Mapping[str, np.ndarray], claim: str, states: Sequence[str],
           now: np.ndarray, wanted: Target, pair: tuple[str, str] | None) -> Candidate:
    joint = _joint_outcomes(weights, given, [claim], claim, [f])  # (target, outcomes)
    p_o = joint.sum(axis=0)
    outcomes = {o: float(p) for o, p in zip(f.outcome_names, p_o)}
    posteriors = {}
    overturns = []
    for k, o in enumerate(f.outcome_names):
        if p_o[k] > 0:
            post = joint[:, k] / p_o[k]
            posteriors[o] = dict(zip(states, post.tolist()))
            if not _holds(post, wanted, now):
                overturns.append(o)
    bits = _score(joint, states, None)
    shift = expected = None
    if pair is not None:
        a, b = (list(states).index(s) for s in pair)
        shift = {o: d for o, d, p in zip(f.outcome_names, _shifts(joint, a, b), p_o) if p > 0}
        expected = _score(joint, states, pair)
    return Candidate(f.id, f.kind, f.text, bits, outcomes, posteriors, f.bears_on, f.state, f.test,
                     f.likelihood, shift, expected, tuple(overturns))


def _greedy_set(model: Model, network: Network, evidence: Mapping[str, int], claim: str, states: Sequence[str],
                findings: Sequence[_Finding], ranked: Sequence[Candidate], k: int,
                pair: tuple[str, str] | None) -> tuple[SetStep, ...]:
    """Pick k clues (declared or hypothetical: things one can look for) one at a time, each the
    one that adds most to the set's value computed jointly — I(target; all their outcomes), by
    exact enumeration over the joint states of the variables the set depends on — so two clues
    that tell the same thing are not counted twice."""
    pool = [f for f in findings if f.kind != "claim"]
    alone = {c.id: c.score for c in ranked}
    order = {c.id: i for i, c in enumerate(ranked)}
    chosen: list[_Finding] = []
    steps: list[SetStep] = []
    total = 0.0
    for _ in range(min(k, len(pool))):
        given = [claim, *dict.fromkeys(f.variable for f in chosen if f.variable != claim)]
        queries = list(dict.fromkeys(f.variable for f in pool))
        weights, probs = _conditioned(model, network, evidence, given, queries)
        best = None
        for f in pool:
            if f in chosen:
                continue
            value = _score(_joint_outcomes(weights, probs, given, claim, [*chosen, f]), states, pair)
            key = (-value, order[f.id])
            if best is None or key < best[0]:
                best = (key, f, value)
        if best is None:
            break
        _, f, value = best
        chosen.append(f)
        steps.append(SetStep(f.id, alone[f.id], value, value - total))
        total = value
    return tuple(steps)
