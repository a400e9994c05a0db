"""Model + beliefs + analyses → reports (Jinja2): HTML, Markdown and LaTeX.

    build(model, as_of) → Report           every number a report shows, computed once from the
                                            network: beliefs, the trajectory, each item's weight
                                            and leave-one-out effect, the ACH view, robustness
    render(report, formats) → {name: bytes} the templates (``argmap/output/templates/``, or a user's
                                            folder first) and the figures (diagram, trajectory)
    write(files, folder)                    every file atomically

The ACH view is a view of the network's numbers (:func:`argmap.analysis.weights.weight_of_evidence`),
never a second engine. User text is escaped for each format by default: HTML by Jinja's
autoescaping; Markdown and LaTeX by a ``finalize`` hook that escapes every value a template
prints unless the template marks it ``|raw``. Nothing here reads the clock: the same model,
evidence and argmap give the same report.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import os
import re
import sys
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from argmap.analysis.weights import odds_change_db
from argmap.loader.bibliography import ARTICLE, BOOKS, IN_BOOK, Bibliography, Fields, plain, sort_text
from argmap.errors import ArgmapError, Location
from argmap.model import EvidenceItem, Model, Observation, VanEveraTest
from argmap.analysis.relations import format_decibels
from argmap.scales import SCALES

__all__ = [
    "FORMATS",
    "Report",
    "build",
    "default_folder",
    "latex_escape",
    "make_report",
    "markdown_escape",
    "render",
    "write",
]

FORMATS = ("html", "md", "tex")
ACH_MIN_DB = 0.5  # an item whose likelihoods differ by less than this (dB) across the states is left out of the ACH view
TOP_INPUTS = 5  # rows of the robustness section per hypothesis
REPORT_DRAWS = 1000  # Monte Carlo draws per hypothesis and mode (seed 0): reproducible, and cheap enough for watch
TOP_CANDIDATES = 5
SET_SIZE = 3  # the best set of clues the report values jointly
SAFE_SCHEMES = ("http", "https", "ftp", "mailto")
SMOKING_GUN_LR = 5  # DESIGN §4: an item whose finding multiplies the odds by ≥ 5 is a smoking gun


# ----------------------------------------------------------------------------- what a report holds


@attrs.frozen
class StateBelief:
    """One state of a claim: prior, posterior, the verbal word for the posterior, and the change
    in decibels (10·log10 of posterior odds / prior odds of this state against the others)."""

    state: str
    prior: float
    posterior: float
    word: str
    decibels: float


@attrs.frozen
class ClaimRow:
    id: str
    name: str  # the claim's label, else its id
    text: str
    role: str
    binary: bool
    hypothesis: bool  # role hypothesis or rival
    observed: str | None  # the state hard evidence fixes
    most_probable: str
    verbal: str
    states: tuple[StateBelief, ...]

    @property
    def true(self) -> StateBelief:
        return self.states[0]


@attrs.frozen
class Reference:
    """One formatted bibliography entry in each output format."""

    key: str
    label: str
    text: str
    html: str
    markdown: str
    latex: str


@attrs.frozen
class EvidenceRow:
    """An item that counts, and what it does to one of its targets (an item bearing on several
    claims has a row for each)."""

    item: str
    date: str | None
    text: str
    quote: str | None
    page: str | None
    url: str | None
    observed: bool  # False: looked for and not found
    source: str | None  # the shared source's id
    reliability: str | None  # as written, with its probability
    refs: tuple[str, ...]  # bibliography labels of the item's citations
    cites: tuple[str, ...]
    target: str
    target_name: str
    state: str  # the state the numbers are about (binary: true)
    binary: bool
    hard: bool  # `observe:`: fixes the target's state
    written: str  # how the strength was written: likelihood, lr, a test's name, table, observe
    likelihood_ratio: float | None
    decibels: float | None
    van_evera: str | None
    van_evera_for: str | None  # the side the label's test is for: the state, or the other side
    leave_one_out_db: float | None  # 10·log10 of odds(state | all) / odds(state | all but this item)
    p_if: float | None
    p_if_not: float | None


@attrs.frozen
class AchRow:
    item: str
    date: str | None
    text: str
    likelihood_ratios: tuple[float, ...]  # per state: P(E | state) / P(E | other states)
    decibels: tuple[float, ...]
    likelihoods: tuple[float, ...]  # P(E | state)
    diagnosticity: float  # dB: 10·log10(max P(E | state) / min P(E | state))
    pair_decibels: tuple[float, ...] = ()  # per pair of AchTable.pairs: 10·log10 P(E | a) / P(E | b)


@attrs.frozen
class PairRow:
    """State (or account) a against b: the odds before and after the evidence and their ratio."""

    of: str  # a claim id, or "accounts"
    a: str
    b: str
    prior_odds: float
    posterior_odds: float
    bayes_factor: float
    decibels: float
    naive_db: float | None = None  # ACH: the sum of the items' own weights on the pair
    carried_by: tuple[tuple[str, float], ...] = ()  # ACH: the items that weigh most on it, (id, dB)


@attrs.frozen
class AccountRow:
    """A complete story (a conjunction of claim states): P(it holds) before and after the evidence."""

    name: str
    states: tuple[tuple[str, str], ...]  # (claim, state)
    prior: float
    posterior: float
    decibels: float  # 10·log10 of the account's posterior odds over its prior odds


@attrs.frozen
class AchTable:
    """Hypotheses (the states of one claim) × evidence, read off the network."""

    claim: str
    name: str
    states: tuple[str, ...]
    rows: tuple[AchRow, ...]
    against: tuple[float, ...]  # per state: the decibels of the evidence against it, summed
    least_inconsistent: str
    prior: tuple[float, ...]
    posterior: tuple[float, ...]
    omitted: int  # items whose likelihoods differ by less than ACH_MIN_DB across the states
    most_probable: str  # by the network's posterior
    pairs: tuple[PairRow, ...] = ()  # every pair of states, with the items that carry it (argmap weigh)

    @property
    def agrees(self) -> bool:
        """Whether the least inconsistent state is also the most probable one."""
        return self.least_inconsistent == self.most_probable


@attrs.frozen
class Series:
    claim: str
    state: str
    label: str


@attrs.frozen
class TrajectoryStep:
    item: str | None  # None: before any evidence
    date: str | None
    values: tuple[float, ...]  # one per series


@attrs.frozen
class InputRow:
    label: str
    written_at: str
    value: float
    low: float
    high: float
    at_low: float
    at_high: float
    swing: float
    holds_from: float
    holds_to: float
    flips: bool


@attrs.frozen
class Candidate:
    id: str
    kind: str  # declared | hypothetical | claim
    text: str
    bits: float
    outcomes: tuple[tuple[str, float, float], ...]  # outcome, its probability now, P(followed state) after it
    overturns: tuple[str, ...] = ()  # outcomes after which the conclusion no longer holds


@attrs.frozen
class FlipRow:
    """What one new item would need to make ``state`` the most probable (or overturn the conclusion)."""

    state: str
    side: str  # for | against (a binary claim's "false")
    label: str  # the claim's name, or the state in words
    decibels: float
    likelihood_ratio: float
    sufficient: tuple[str, ...]  # designed tests whose finding alone would be enough
    smoking_gun: bool  # that weight is a smoking gun's by the §4 labels (found: LR ≥ 5)


@attrs.frozen
class Robustness:
    claim: str
    name: str
    state: str  # the state followed
    posterior: float
    conclusion: str
    inputs: tuple[InputRow, ...]
    total_inputs: int
    flipping: int  # inputs whose range crosses the point where the conclusion flips
    candidates: tuple[Candidate, ...]
    tipping: tuple[str, ...] = ()  # the tipping points in words (analysis.tipping.sentences)
    evidence_tempering: float | None = None
    prior_shift_db: float | None = None
    monte_carlo: tuple[float, float, float, float] | None = None  # 2.5%, 50%, 97.5%, share of draws flipped
    monte_carlo_correlated: tuple[float, float, float, float] | None = None
    draws: int = 0
    flips: tuple[FlipRow, ...] = ()  # one row per rival state, or the conclusion's flip
    tests: tuple[tuple[str, float, float], ...] = ()  # the designed clues' conventions
    best_set: tuple[str, ...] = ()  # the best clues to look for together (greedy, valued jointly)
    set_bits: float = 0.0
    set_sum_bits: float = 0.0  # their single values added up, as if independent


@attrs.frozen
class SourceRow:
    """A shared source the counted items cite: its items share one reliability node."""

    id: str
    text: str
    reliability: str
    random_yes: float
    items: tuple[str, ...]


@attrs.frozen
class CausalRow:
    """One support or attack arrow into a hypothesis, read causally (argmap cause)."""

    cause: str
    effect: str
    cause_name: str
    effect_name: str
    effect_state: str
    arrow: str  # support | attack
    necessity: str  # "0.631", "[0.750, 1.000]" where only bounds are known, or "undefined"
    sufficiency: str
    do_true: str  # P(effect | do(cause true)), P(effect | do(cause false)), as text likewise (for a
    # multi-state cause: its state and the contrast state)
    do_false: str
    exact: bool
    warnings: tuple[str, ...]


@attrs.frozen
class InputFile:
    path: str
    role: str  # model | evidence | bibliography
    sha256: str


@attrs.frozen
class Report:
    """Everything a report shows; templates read it, ``to_dict`` is the JSON sidecar."""

    model: Model = attrs.field(eq=False, repr=False)
    name: str
    title: str
    question: str
    hypothesis: str
    theory: str
    authors: tuple[str, ...]
    scale: str
    scale_words: tuple[tuple[str, float, float], ...]
    scale_citation: str
    as_of: str | None
    latest: str | None  # the date of the latest counted item
    counted: int
    total: int
    later: tuple[str, ...]  # items dated after the cut-off
    expected: tuple[str, ...]  # items not yet looked for
    claims: tuple[ClaimRow, ...]
    series: tuple[Series, ...]
    trajectory: tuple[TrajectoryStep, ...]
    evidence: tuple[EvidenceRow, ...]
    sources: tuple[SourceRow, ...]
    ach: tuple[AchTable, ...]
    robustness: tuple[Robustness, ...]
    uncertainty: str  # the model's uncertainty (log-odds half-width of a bare number's range), as text
    accounts: tuple[AccountRow, ...]
    comparisons: tuple[PairRow, ...]  # rivals in pairs: every pair of states of a multi-state hypothesis, then of accounts
    references: tuple[Reference, ...]
    inputs: tuple[InputFile, ...]
    versions: Mapping[str, str]
    command: str
    comparison: Any = None  # analysis.comparison.Comparison with the models of `report --compare`
    causal: tuple[CausalRow, ...] = ()

    @property
    def hypotheses(self) -> tuple[ClaimRow, ...]:
        return tuple(c for c in self.claims if c.hypothesis)

    @property
    def cutoff(self) -> str:
        """The evidence cut-off, in words."""
        if self.as_of:
            return f"evidence dated up to {self.as_of}"
        if self.latest:
            return f"all evidence (the latest item is dated {self.latest})"
        return "all evidence"

    def claim(self, cid: str) -> ClaimRow:
        return next(c for c in self.claims if c.id == cid)

    #: the beliefs the numbers were read from; the figures draw these, computing nothing again
    beliefs: Any = attrs.field(default=None, eq=False, repr=False)

    def to_dict(self) -> dict:
        """The numbers of the report as plain JSON values (infinities as strings)."""
        data = attrs.asdict(self, filter=lambda a, _: a.name not in ("model", "beliefs", "html", "markdown", "latex"))
        return _jsonable(data)


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# ----------------------------------------------------------------------------- building it


def build(model: Model, as_of: Any = None, *, command: str | None = None, robustness: bool = True,
          compare: Sequence[Model] = ()) -> Report:
    """Compute everything a report of ``model`` shows, with the evidence that counts at ``as_of``."""
    from argmap.analysis.pairwise import comparisons, item_weights, leave_one_out_marginals
    from argmap.engine.compile import network_of
    from argmap.engine.infer import date_order, trajectory

    beliefs = model.update(as_of=as_of)
    cutoff = beliefs.as_of
    network = network_of(model)
    scale = SCALES[model.scale]
    counted = [model.item(i) for i in beliefs.counted]

    claims = tuple(_claim_row(model, beliefs, cid, scale) for cid in model.claims)
    hypotheses = [c for c in claims if c.hypothesis]
    followed = hypotheses or [c for c in claims if not c.observed] or list(claims)
    series = tuple(Series(c.id, s.state, c.name if c.binary else f"{c.name}: {_words(s.state)}")
                   for c in followed for s in (c.states[:1] if c.binary else c.states))
    steps = trajectory(model, cutoff, claims=sorted({s.claim for s in series}, key=list(model.claims).index))
    path = tuple(TrajectoryStep(step.item.id if step.item else None, _date(step.item) if step.item else None,
                      tuple(step.posteriors[s.claim][s.state] for s in series)) for step in steps)

    references = _references(model, _cited_keys(model))
    labels = {r.key.lower(): r.label for r in references}
    # every number per claim in batched calibrations: all items × states at once, then all
    # leave-one-out sets at once (not a calibration per item and state)
    soft = [i for i in counted if not isinstance(i.bearing, Observation)]
    weight_cache: dict[str, dict[str, Any]] = {}
    loo_cache: dict[str, tuple[Any, dict[str, Any]]] = {}

    def weights_on(claim: str) -> dict[str, Any]:
        if claim not in weight_cache:
            weight_cache[claim] = item_weights(model, claim, soft, network)
        return weight_cache[claim]

    def loo_db(claim: str, state: str, item_id: str) -> float:
        if claim not in loo_cache:
            everything, without = leave_one_out_marginals(model, claim, counted, network)
            loo_cache[claim] = everything, dict(zip((i.id for i in counted), without))
        everything, without = loo_cache[claim]
        k = model.claims[claim].states.index(state)
        return odds_change_db(float(without[item_id][k]), float(everything[k]))

    rows: list[EvidenceRow] = []
    for item in counted:
        common = _item_fields(model, item, labels)
        if isinstance(item.bearing, Observation):
            for cid, state in item.bearing.states.items():
                claim = model.claims[cid]
                rows.append(EvidenceRow(**common, target=cid, target_name=claim.label or cid, state=state,
                                        binary=claim.is_binary, hard=True, written="observe",
                                        likelihood_ratio=None, decibels=None, van_evera=None, van_evera_for=None,
                                        leave_one_out_db=None,
                                        p_if=None, p_if_not=None))
            continue
        for target in item.targets:
            claim = model.claims[target]
            weighed = weights_on(target)[item.id]
            weight = weighed[0] if claim.is_binary else max(
                weighed, key=lambda w: (_finite_abs(w.decibels), -claim.states.index(w.state)))
            rows.append(EvidenceRow(
                **common, target=target, target_name=claim.label or target, state=weight.state,
                binary=claim.is_binary, hard=False, written=_written(item),
                likelihood_ratio=weight.likelihood_ratio, decibels=weight.decibels, van_evera=weight.van_evera,
                van_evera_for=weight.van_evera_for,
                leave_one_out_db=loo_db(target, weight.state, item.id), p_if=weight.p_if, p_if_not=weight.p_if_not))

    used = [s for s in model.sources.values() if any(i.source == s.id for i in counted if not i.is_observation)]
    sources = tuple(SourceRow(s.id, s.text, _reliability_text(s.reliability), s.random_yes.value,
                              tuple(i.id for i in counted if i.source == s.id)) for s in used)
    ach = tuple(_ach(model, c, cutoff) for c in hypotheses if not c.observed)
    accounts = tuple(AccountRow(a.name, tuple(a.states.items()), a.prior, a.posterior,
                                odds_change_db(a.prior, a.posterior)) for a in beliefs.accounts.values())
    pairs = tuple(PairRow(c.of, c.a, c.b, c.prior_odds, c.posterior_odds, c.bayes_factor, c.decibels)
                  for c in comparisons(beliefs))
    robust = tuple(_robustness(model, network, c, cutoff) for c in hypotheses if not c.observed) if robustness else ()
    causal = _causal(model, cutoff) if robustness else ()
    dated = [i.date for i in counted if i.date]
    return Report(
        model=model, beliefs=beliefs, name=model.name, title=model.title or model.name, question=model.question,
        hypothesis=model.hypothesis, theory=model.theory, authors=tuple(model.authors), scale=scale.name,
        scale_words=tuple(scale.terms), scale_citation=scale.citation,
        as_of=str(cutoff) if cutoff else None, latest=str(max(dated, key=lambda d: (d.first_day, d.last_day))) if dated else None,
        counted=len(counted), total=len(model.evidence),
        later=tuple(i.id for i in date_order(model.evidence) if not i.expected and not i.counts_at(cutoff)),
        expected=tuple(i.id for i in model.evidence if i.expected),
        claims=claims, series=series, trajectory=path, evidence=tuple(rows), sources=sources, ach=ach,
        robustness=robust, uncertainty=f"{model.uncertainty:g}", causal=causal, accounts=accounts, comparisons=pairs,
        references=references, inputs=tuple(_input_files(model)), versions=versions(),
        command=command or regenerate_command(model.path, as_of=str(cutoff) if cutoff else None),
        comparison=_comparison(model, beliefs, compare, cutoff) if compare else None,
    )


def _comparison(model: Model, beliefs: Any, others: Sequence[Model], cutoff: Any) -> Any:
    from argmap.analysis.comparison import compare

    return compare([model, *others], cutoff, beliefs=[beliefs, *(m.update(as_of=cutoff) for m in others)])


def _claim_row(model: Model, beliefs: Any, cid: str, scale: Any) -> ClaimRow:
    claim = model.claims[cid]
    b = beliefs[cid]
    states = tuple(StateBelief(s, b.prior[s], b.posterior[s], scale.word_for(b.posterior[s]),
                               odds_change_db(b.prior[s], b.posterior[s])) for s in claim.states)
    return ClaimRow(cid, claim.label or cid, claim.text, claim.role, claim.is_binary,
                    claim.role in ("hypothesis", "rival"), b.observed, b.most_probable, b.verbal, states)




def _finite_abs(x: float) -> float:
    return -1.0 if math.isnan(x) else abs(x)


def _words(state: str) -> str:
    return state.replace("_", " ")


def _date(item: EvidenceItem) -> str | None:
    return str(item.date) if item.date else None


def _written(item: EvidenceItem) -> str:
    b = item.bearing
    if isinstance(b, VanEveraTest):
        return b.test
    return getattr(b, "stated_as", "table")


def _item_fields(model: Model, item: EvidenceItem, labels: Mapping[str, str]) -> dict[str, Any]:
    source = model.sources.get(item.source) if item.source else None
    reliability = item.reliability if item.reliability is not None else source.reliability if source else None
    return {"item": item.id, "date": _date(item), "text": item.text, "quote": item.quote, "page": item.page,
            "url": item.url, "observed": item.observed, "source": source.id if source else None,
            "reliability": _reliability_text(reliability) if reliability is not None else None, "refs": tuple(labels.get(k.lower(), "?") for k in item.cite),
            "cites": tuple(item.cite)}


def _reliability_text(reliability: Any) -> str:
    """A reliability as written, with its probability: 'C (0.6)', or '0.9'."""
    number = f"{reliability.value:.3g}"
    return number if reliability.written in ("", number) else f"{reliability.written} ({number})"


def _ach(model: Model, claim: ClaimRow, cutoff: Any) -> AchTable:
    """The ACH matrix of one hypothesis, with every pair of its states — the numbers of
    ``argmap weigh`` (:func:`argmap.analysis.pairwise.weigh`), computed once."""
    from argmap.analysis.pairwise import weigh

    weighing = weigh(model, claim.id, cutoff)
    states = tuple(s.state for s in claim.states)
    rows: list[AchRow] = []
    omitted = 0
    for row in weighing.rows:
        if model.item(row.item).is_observation:
            continue
        weighed = row.by_state
        likelihoods = tuple(w.p_if for w in weighed)
        diagnosticity = _ratio_db(max(likelihoods), min(likelihoods))
        if not diagnosticity >= ACH_MIN_DB:
            omitted += 1
            continue
        rows.append(AchRow(row.item, row.date, row.text, tuple(w.likelihood_ratio for w in weighed),
                           tuple(w.decibels for w in weighed), likelihoods, diagnosticity,
                           tuple(p.decibels for p in row.pairs)))
    rows.sort(key=lambda r: -r.diagnosticity)  # stable: date order among equals
    against = tuple(sum(max(0.0, -r.decibels[k]) for r in rows if not math.isnan(r.decibels[k]))
                    for k in range(len(states)))
    least = states[min(range(len(states)), key=lambda k: (against[k], k))]
    top = claim.observed or max(claim.states, key=lambda s: s.posterior).state
    pairs = []
    for k, total in enumerate(weighing.totals):
        c = total.comparison
        carriers = sorted(((r.item, r.pairs[k].decibels) for r in weighing.rows
                           if not math.isnan(r.pairs[k].decibels) and abs(r.pairs[k].decibels) >= 0.05),
                          key=lambda x: -abs(x[1]))[:3]
        pairs.append(PairRow(claim.id, total.a, total.b, c.prior_odds, c.posterior_odds, c.bayes_factor,
                             c.decibels, total.naive_db, tuple(carriers)))
    return AchTable(claim.id, claim.name, states, tuple(rows), against, least,
                    tuple(s.prior for s in claim.states), tuple(s.posterior for s in claim.states), omitted, top,
                    tuple(pairs))


def _ratio_db(high: float, low: float) -> float:
    if high <= 0:
        return 0.0
    if low <= 0:
        return math.inf
    return 10 * math.log10(high / low)


def _robustness(model: Model, network: Any, claim: ClaimRow, cutoff: Any) -> Robustness:
    from argmap.analysis.sensitivity import monte_carlo, sensitivity
    from argmap.analysis.tipping import sentences, tipping_points
    from argmap.analysis.voi import look_for_next

    wanted, results = sensitivity(model, claim.id, cutoff, network=network)
    posterior = next(s.posterior for s in claim.states if s.state == wanted.state)
    if wanted.by_mode:
        conclusion = f"'{wanted.state}' is the most probable state"
    else:
        conclusion = f"P({claim.id}) {'≥' if posterior >= 0.5 else '<'} 0.5"
    inputs = tuple(InputRow(r.input.label, str(r.input.location), r.input.value, r.input.low, r.input.high,
                            r.at_low, r.at_high, r.swing, r.holds_from, r.holds_to, r.flips_within_range)
                   for r in results[:TOP_INPUTS])
    plan = look_for_next(model, wanted, cutoff, set_size=SET_SIZE)
    shown = tuple(Candidate(c.id, c.kind, c.text, c.mutual_information,
                            tuple((o, c.outcomes[o], c.posteriors[o][wanted.state]) for o in c.posteriors),
                            c.overturns)
                  for c in plan.candidates[:TOP_CANDIDATES] if c.mutual_information > 1e-6)
    flips = tuple(FlipRow(f.state, "against" if claim.binary and f.state == "false" else "for",
                          claim.name if claim.binary else _words(f.state), f.decibels, f.likelihood_ratio,
                          tuple(_words(t) for t in f.sufficient), f.likelihood_ratio >= SMOKING_GUN_LR)
                  for f in plan.flips)
    # the report follows P(true) of a binary claim and the mode of a multi-state one, so the
    # sensitivity conclusion's flip is the flip of the rival state(s) listed here
    tests = tuple((name, p, q) for name, (p, q) in plan.tests.items())
    tipping = tipping_points(model, wanted, cutoff, network=network)
    spread = {mode: monte_carlo(model, wanted, cutoff, draws=REPORT_DRAWS, seed=0, correlated=mode, one_way=results)
              for mode in (False, True)}

    def summary(carlo: Any) -> tuple[float, float, float, float]:
        return (*carlo.quantiles[claim.id][wanted.state], carlo.flip_probability)

    return Robustness(claim.id, claim.name, wanted.state, posterior, conclusion, inputs, len(results),
                      sum(r.flips_within_range for r in results), shown, tuple(sentences(tipping)),
                      tipping.evidence_tempering, tipping.prior_shift_db, summary(spread[False]),
                      summary(spread[True]), REPORT_DRAWS, flips=flips, tests=tests,
                      best_set=tuple(step.id for step in plan.set), set_bits=plan.set[-1].total if plan.set else 0.0,
                      set_sum_bits=plan.set_independent_sum)


def _causal(model: Model, cutoff: Any) -> tuple[CausalRow, ...]:
    """PN, PS and do() of every support and attack arrow into a hypothesis (docs/causal.md)."""
    from argmap.analysis.cause import cause, causal_arrows
    from argmap.model import NoisyOr
    from argmap.output.causal_text import fmt_answer

    rows = []
    if model.causal_claims:  # the author's own list (docs/causal.md)
        questions = [(c.partition("=")[0], e.partition("=")[0], c, e, False) for c, e, _ in model.causal_claims]
    else:
        questions = []
        for source, target in causal_arrows(model):
            d = model.claims[target].distribution
            attack = source in (d.attackers if isinstance(d, NoisyOr) else d.attacks)  # type: ignore[union-attr]
            # an attack is a claim about the effect's absence: did the attacker make it not happen?
            effect = f"{target}=false" if attack and model.claims[target].is_binary else target
            questions.append((source, target, source, effect, attack))
    for source, target, cause_spec, effect, attack in questions:
        try:
            r = cause(model, cause_spec, effect, cutoff)
        except ArgmapError as exc:  # e.g. too many couplings to bound: say so in the row
            warning = "; ".join(p.message for p in exc.problems)
            rows.append(CausalRow(source, target, model.claims[source].label or source, model.claims[target].label
                                  or target, "", "attack" if attack else "support", "—", "—", "—", "—", False,
                                  (warning,)))
            continue
        bounds = r.bounds
        rows.append(CausalRow(
            source, target, model.claims[source].label or source, model.claims[target].label or target,
            r.effect_state, "attack" if attack else "support",
            fmt_answer(r.necessity, bounds["necessity"]), fmt_answer(r.sufficiency, bounds["sufficiency"]),
            fmt_answer(r.do[r.cause_state], r.do_bounds[r.cause_state]),  # true (or the cause's state) …
            fmt_answer(r.do[r.contrast], r.do_bounds[r.contrast]),  # … and false (or the contrast)
            r.exact, r.warnings))
    return tuple(rows)


# ----------------------------------------------------------------------------- bibliography


def _cited_keys(model: Model) -> list[str]:
    keys: dict[str, str] = {}
    for item in model.evidence:
        for key in item.cite:
            keys.setdefault(key.lower(), key)
    return list(keys.values())


def _references(model: Model, keys: Sequence[str]) -> tuple[Reference, ...]:
    """The cited entries of the model's BibTeX file, sorted by author, year and title, numbered,
    and rendered below (every field escaped as user text)."""
    if not model.bibliography or not keys:
        return ()
    from argmap.loader.bibliography import read

    bib = model.bib if model.bib is not None else read(model.bibliography)
    return references(bib, keys)


# ----------------------------------------------------------------------------- references
# A bibliography's cited entries → numbered references in plain text, HTML, Markdown and LaTeX,
# every field escaped as user text for its format (no TeX from a .bib file reaches report.tex).

# ----------------------------------------------------------------------------- rendering


@attrs.frozen
class _Piece:
    text: str
    style: str = ""  # "" | "em" | "url" (text is the URL) | "doi"


def pieces(f: Fields) -> list[list[_Piece]]:
    """The reference as sentences of pieces: names. title. where, when. note. URL."""
    sentences: list[list[_Piece]] = []
    names = f.authors or f.editors
    if names:
        listed = [n for n in names if n != "others"]
        if len(listed) == 1:
            who = listed[0]
        elif len(listed) == 2:
            who = f"{listed[0]} and {listed[1]}"
        else:
            who = ", ".join(listed[:-1]) + ", and " + listed[-1]
        if "others" in names:
            who += " et al."
        if not f.authors:
            who += ", editors" if len(names) > 1 else ", editor"
        sentences.append([_Piece(who)])
    book = f.type in BOOKS
    if f.title:
        sentences.append([_Piece(f.title, "em" if book else "")])
    where: list[_Piece] = []
    if f.container:
        styled = "em" if f.type in ARTICLE | IN_BOOK else ""
        where.append(_Piece(("In " if f.type in IN_BOOK else "") + f.container, styled))
    detail = []
    if f.type in ARTICLE:
        volume = (f.volume or "") + (f"({f.number})" if f.number else "")
        if volume:
            detail.append(volume + (f":{f.pages}" if f.pages else ""))
        elif f.pages:
            detail.append(f"pages {f.pages}")
    else:
        if f.volume:
            detail.append(f"volume {f.volume}")
        if f.kind or f.number:
            detail.append(" ".join(p for p in (f.kind, f.number) if p))
        if f.pages:
            detail.append(f"pages {f.pages}")
    if f.edition:
        detail.append(_ordinal(f.edition) + " edition" if f.edition.isdigit() else f.edition)
    for part in (f.howpublished, f.publisher, f.address):
        if part:
            detail.append(part)
    when = " ".join(p for p in (f.month, f.year) if p)
    if when:
        detail.append(when)
    if detail:
        if where:
            where.append(_Piece(", " + ", ".join(detail)))
        else:
            where.append(_Piece(", ".join(detail)))
    if where:
        sentences.append(where)
    if f.note:
        sentences.append([_Piece(f.note)])
    if f.doi:
        sentences.append([_Piece("DOI: "), _Piece(f.doi, "doi")])
    if f.url:
        link = [_Piece("URL: "), _Piece(f.url, "url")]
        if f.urldate:
            link.append(_Piece(f" (accessed {f.urldate})"))
        sentences.append(link)
    return sentences


def _ordinal(number: str) -> str:
    n = int(number)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _joined(sentences: list[list[_Piece]], piece: Callable[[_Piece], str], escape: Callable[[str], str]) -> str:
    """Sentences → one line: each piece through ``piece``, the spaces and full stops between them
    through ``escape``."""
    out = []
    for sentence in sentences:
        text = "".join(_spaced(p.text, piece(p), escape) for p in sentence)
        last = sentence[-1].text
        end = "" if last.endswith((".", "?", "!")) and sentence[-1].style not in ("url", "doi") else escape(".")
        out.append(text + end)
    return " ".join(out)


def _spaced(raw: str, rendered: str, escape: Callable[[str], str]) -> str:
    # the escapers trim their text; a piece's own leading and trailing space is kept here
    lead = " " if raw[:1].isspace() else ""
    trail = " " if raw[-1:].isspace() else ""
    return lead + rendered + trail


def _doi_url(doi: str) -> str:
    return "https://doi.org/" + re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", "", doi.strip(), flags=re.I)


def render_text(sentences: list[list[_Piece]]) -> str:
    return _joined(sentences, lambda p: p.text.strip(), str)


def render_html(sentences: list[list[_Piece]]) -> str:

    def piece(p: _Piece) -> str:
        if p.style == "em":
            return f"<em>{html.escape(p.text)}</em>"
        if p.style in ("url", "doi"):
            url = safe_url(_doi_url(p.text) if p.style == "doi" else p.text)
            if url:
                return f'<a href="{html.escape(_quoted_url(url), quote=True)}">{html.escape(p.text)}</a>'
        return html.escape(p.text.strip())

    return _joined(sentences, piece, html.escape)


def render_markdown(sentences: list[list[_Piece]]) -> str:

    def piece(p: _Piece) -> str:
        if p.style == "em":
            return f"*{markdown_escape(p.text)}*"
        if p.style in ("url", "doi"):
            url = safe_url(_doi_url(p.text) if p.style == "doi" else p.text)
            if url:
                return f"[{markdown_escape(p.text)}]({markdown_url(url)})"
        return markdown_escape(p.text)

    return _joined(sentences, piece, markdown_escape)


def render_latex(sentences: list[list[_Piece]]) -> str:
    """LaTeX where every piece of text is escaped (\\, {, }, $, ^ … as commands); URLs only inside
    \\url{…} with braces, backslashes and % percent-encoded. Non-ASCII text is left for the
    report's finalize step, which sets it (Cyrillic in T2A) or replaces it."""

    def piece(p: _Piece) -> str:
        if p.style == "em":
            return "\\emph{" + latex_text(p.text) + "}"
        if p.style in ("url", "doi"):
            url = safe_url(_doi_url(p.text) if p.style == "doi" else p.text)
            if url:
                return latex_url(url)
        return latex_text(p.text)

    return _joined(sentences, piece, latex_text)


def latex_text(text: str) -> str:
    """Text → LaTeX: report.latex_escape's escaping of ASCII, non-ASCII kept (see render_latex)."""

    text = " ".join(_clean(text).split())  # one line: the report puts each reference on one
    return _LIGATURES.sub("{}", "".join(_TEX_ASCII.get(char, char) for char in text))


def references(bib: Bibliography, keys: Iterable[str]) -> tuple[Reference, ...]:
    """The entries of ``keys`` (unknown keys skipped), sorted by first author's last name, year and
    title, numbered from 1, each rendered in every format."""
    chosen: dict[str, Fields] = {}
    for key in keys:
        entry = bib.get(key)
        if entry is not None and entry.key.lower() not in chosen:
            chosen[entry.key.lower()] = plain(entry)

    def order(f: Fields) -> tuple:
        who = f.sort_names[0] if f.sort_names else sort_text(f.title or f.key)
        return (who, f.year or "", sort_text(f.title or ""), f.key.lower())

    found = []
    for number, fields in enumerate(sorted(chosen.values(), key=order), start=1):
        if not fields.title:  # check reports it; the report still lists what there is
            fields = attrs.evolve(fields, title=f"[{fields.key}: no title]")
        sentences = pieces(fields)
        found.append(Reference(key=fields.key, label=str(number), text=render_text(sentences),
                               html=render_html(sentences), markdown=render_markdown(sentences),
                               latex=render_latex(sentences)))
    return tuple(found)


# ----------------------------------------------------------------------------- reproducibility


def versions() -> dict[str, str]:
    """Versions of argmap and of what its numbers depend on (pgmpy is not imported)."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("argmap", "pgmpy", "numpy"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    found["python"] = ".".join(map(str, sys.version_info[:3]))
    return found


def _input_files(model: Model) -> list[InputFile]:
    files = [InputFile(_shown(model.path), "model", _sha256(model.path))]
    files += [InputFile(_shown(p), "evidence", _sha256(p)) for p in model.evidence_files]
    if model.bibliography:
        files.append(InputFile(_shown(model.bibliography), "bibliography", _sha256(model.bibliography)))
    return files


def _sha256(path: str) -> str:
    from argmap._files import digest_of  # the hash of the bytes loaded, so a file changed since cannot disagree

    return digest_of(path)


def _shown(path: str) -> str:
    """A path relative to the current folder when it lies under it (so that a report made in a
    clone of the repository names the same files), else absolute; always with '/'."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    shown = absolute if relative.startswith("..") else relative
    return shown.replace(os.sep, "/")


def regenerate_command(model_path: str, *, as_of: str | None = None, output: str | None = None,
                       formats: Sequence[str] | None = None, templates: str | None = None) -> str:
    """The command line that makes this report again (run from the current folder)."""
    import shlex

    parts = ["argmap", "report", _shown(model_path)]
    if output:
        parts += ["-o", _shown(output)]
    if formats and tuple(formats) != FORMATS:
        parts += ["--format", ",".join(formats)]
    if as_of:
        parts += ["--as-of", as_of]
    if templates:
        parts += ["--templates", _shown(templates)]
    command = " ".join(shlex.quote(p) for p in parts)
    if templates:  # a reader handed this line runs the templates' code: say so
        command += (f"  # {_shown(templates)} holds Jinja templates, which are code: read them before "
                    "running this, or leave out --templates for argmap's own")
    return command


def default_folder(model_path: str) -> str:
    """``reports/NAME/`` of the project the model belongs to: beside the ``models/`` folder the
    model sits in, else under the current folder."""
    name = os.path.splitext(os.path.basename(model_path))[0]
    folder = os.path.dirname(os.path.abspath(model_path))
    root = os.path.dirname(folder) if os.path.basename(folder) == "models" else os.getcwd()
    return os.path.join(root, "reports", name)


# ----------------------------------------------------------------------------- escaping


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an http(s), ftp or mailto address (anything else, such as
    ``javascript:``, is shown as text and never linked), else None."""
    if not url:
        return None
    url = url.strip()
    scheme = urllib.parse.urlsplit(url).scheme.lower() if ":" in url else ""
    return url if scheme in SAFE_SCHEMES and not _CONTROL.search(url) else None


def _quoted_url(url: str) -> str:
    # percent-encode what no format can carry verbatim: spaces, quotes, braces, backslashes,
    # angle brackets and non-ASCII; keep the URL's own reserved characters and %-escapes
    return urllib.parse.quote(url, safe="!#$%&'()*+,-./:;=?@[]_~")


def markdown_url(url: str) -> str:
    return _quoted_url(url).replace("(", "%28").replace(")", "%29")


def latex_link(url: str) -> str:
    """``\\href{URL}{host}``: hyperref reads the URL verbatim at the top level of a paragraph or a
    longtable cell (as argmap's templates use it); braces and backslashes are percent-encoded."""
    host = (urllib.parse.urlsplit(url).netloc or url).removeprefix("www.")
    # a plain domain is set by url.sty (typewriter-free, breakable after its dots, never hyphenated)
    shown = "\\nolinkurl{" + host + "}" if _PLAIN_HOST.match(host) else latex_escape(host)
    return "\\href{" + _quoted_url(url).replace("$", "%24") + "}{" + shown + "}"


_PLAIN_HOST = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]+)?$")


def latex_url(url: str) -> str:
    """``\\url{...}``: url.sty reads its argument verbatim (at the top level of a paragraph or a
    longtable cell, as argmap's templates use it); braces and backslashes are percent-encoded."""
    return "\\url{" + _quoted_url(url).replace("$", "%24").replace("[", "%5B").replace("]", "%5D") + "}"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_FORMAT_MARKS = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")


def _clean(text: str) -> str:
    """Control characters out (tabs become spaces), line endings as \\n, NFC."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return unicodedata.normalize("NFC", _CONTROL.sub("", text))


# Markdown: a backslash only where CommonMark/GFM would otherwise read a character as markup
# (so a reader of the raw file, or of the rendered page, sees no stray backslashes).
_MD_ALWAYS = set("\\`*[]|~<")  # code, emphasis, links, table cells, strikethrough, HTML and autolinks
_MD_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")  # & only where it would start an entity
# what a line may start a block with: a quote; a heading, bullet or ordered-list marker only when a
# space (or the line's end) follows, as CommonMark requires ("+14.6 dB" and "0.96" start none);
# a line of = or - (setext underline, thematic break)
_MD_BLOCK = re.compile(r"^(\s*)(>|#{1,6}(?=\s|$)|[+-](?=\s|$)|[=-]+\s*$|\d{1,9}(?=[.)](?:\s|$)))")
_MD_AUTOLINK = re.compile(r"(?i)(:)(?=//)|(?<=www)(\.)")  # GFM's bare autolinks (an e-mail address stays one)
_MD_LEFT = re.compile(r"_(?=\w)|(?<=\w)_")  # _ next to a word character: flanking, could emphasise


def _md_line(line: str) -> str:
    out = []
    for k, char in enumerate(line):
        if char in _MD_ALWAYS and (char != "<" or line[k + 1:k + 2].isalpha() or line[k + 1:k + 2] in ("/", "!", "?")):
            out.append("\\" + char)
        elif char == "_" and (not line[k - 1:k].isalnum() or not line[k + 1:k + 2].isalnum()):
            out.append("\\_")  # intraword _ (snake_case) is never emphasis
        elif char == "$" and line.count("$") > 1:
            out.append("\\$")  # two dollars could make GitHub's inline math
        else:
            out.append(char)
    text = "".join(out)
    text = _MD_ENTITY.sub("\\\\&", text)
    text = _MD_AUTOLINK.sub(lambda m: "\\" + m.group(0), text)
    match = _MD_BLOCK.match(text)
    if match:  # a heading, quote, list item, setext underline or ordered list at the line's start
        lead, mark = match.group(1), match.group(2)
        if mark.isdigit():
            end = match.end()
            text = text[:end] + "\\" + text[end:]
        else:
            text = lead + "\\" + text[len(lead):]
    return text


def markdown_escape(text: Any) -> str:
    """User text → GitHub-flavoured Markdown that shows it verbatim, in a paragraph, a list item
    or a table cell: a backslash only before what CommonMark would read as markup there (code,
    emphasis, links, pipes, HTML, entities, a block marker at a line's start, bare autolinks),
    line breaks as <br>."""
    text = _clean(text).strip()
    return "<br>".join(_md_line(line) for line in text.split("\n"))


# LaTeX: the characters pdfLaTeX sets with the T1 and TS1 encodings (utf8 inputenc declares
# them in t1enc.dfu, ts1enc.dfu, omsenc.dfu); others are replaced (see _tex_unicode).
_TEX_RANGES = (
    (0x00A1, 0x00B7), (0x00B9, 0x00FF), (0x0100, 0x0125), (0x0128, 0x0137), (0x0139, 0x013E), (0x0141, 0x0148),
    (0x014A, 0x0165), (0x0168, 0x017E), (0x0192, 0x0192), (0x0218, 0x021B), (0x0232, 0x0233), (0x02C7, 0x02C7),
    (0x02D8, 0x02D9), (0x02DB, 0x02DB), (0x02DD, 0x02DD), (0x2010, 0x2014), (0x2016, 0x2016), (0x2018, 0x201A),
    (0x201C, 0x201E), (0x2020, 0x2022), (0x2030, 0x2031), (0x2039, 0x203A), (0x203B, 0x203B), (0x203D, 0x203D),
    (0x2044, 0x2044), (0x20AC, 0x20AC), (0x2103, 0x2103), (0x2116, 0x2117), (0x2122, 0x2122), (0x2126, 0x2127),
    (0x2190, 0x2193), (0x27E8, 0x27E9),
)
_TEX_ASCII = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "%": r"\%", "#": r"\#",
    "_": r"\_", "[": "{[}", "]": "{]}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}",
    ">": r"\textgreater{}", "|": r"\textbar{}", '"': r"\textquotedbl{}", "`": r"\textasciigrave{}",
}
_TEX_SYMBOLS = {
    "\u00a0": "~", "\u2026": r"\ldots{}", "\u2212": r"\ensuremath{-}", "\u221e": r"\ensuremath{\infty}",
    "\u2264": r"\ensuremath{\leq}", "\u2265": r"\ensuremath{\geq}", "\u2248": r"\ensuremath{\approx}",
    "\u2260": r"\ensuremath{\neq}", "\u00b1": r"\ensuremath{\pm}", "\u00d7": r"\ensuremath{\times}",
    "\u22a3": r"\ensuremath{\dashv}", "\u2208": r"\ensuremath{\in}", "\u2605": r"\ensuremath{\star}",
    "\u2032": r"\ensuremath{'}", "\u2191": r"\ensuremath{\uparrow}", "\u2193": r"\ensuremath{\downarrow}",
    "\u00ac": r"\ensuremath{\neg}", "\u2015": "---", "\u2011": "-",
}
_GREEK_LOWER = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi o pi rho varsigma " \
               "sigma tau upsilon phi chi psi omega".split()
for _k, _name in enumerate(_GREEK_LOWER):  # α … ω (U+03B1–U+03C9)
    _TEX_SYMBOLS[chr(0x03B1 + _k)] = "o" if _name == "o" else rf"\ensuremath{{\{_name}}}"
for _k, _name in enumerate("A B Gamma Delta E Z H Theta I K Lambda M N Xi O Pi P - Sigma T Upsilon Phi X Psi "
                           "Omega".split()):  # Α … Ω (U+0391–U+03A9); capitals like Latin ones as those
    if _name != "-":
        _TEX_SYMBOLS[chr(0x0391 + _k)] = rf"\ensuremath{{\{_name}}}" if len(_name) > 1 else _name
# Cyrillic (Russian, Ukrainian, Belarusian) → Latin letters (BGN/PCGN-style, without diacritics)
_CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяєіїґў",
    ["a", "b", "v", "g", "d", "e", "yo", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u",
     "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya", "ye", "i", "yi", "g", "w"],
))


_CYRILLIC_DONE = re.compile(r"(\\argmapcyr\{[^{}\\]*\}\{[A-Za-z]*\})")


def _tex_allowed(code: int) -> bool:
    return any(low <= code <= high for low, high in _TEX_RANGES)


def _tex_unicode(text: str, fallbacks: set[str]) -> str:
    """LaTeX source → the same with every non-ASCII character pdfLaTeX cannot set replaced:
    symbols by their math commands, each Cyrillic word as \\argmapcyr{word}{transliteration}
    (report.tex sets the word in T2A when its fonts are installed, else the transliteration),
    anything else (Chinese, Arabic…) by its code point [U+XXXX]. ``fallbacks`` collects which
    replacements were needed."""
    parts = _CYRILLIC_DONE.split(text) if "\\argmapcyr{" in text else [text]
    if len(parts) > 1:  # already converted (a |raw value made by latex_escape): keep those words
        fallbacks.add("cyrillic")
        return "".join(part if n % 2 else _tex_unicode(part, fallbacks) for n, part in enumerate(parts))
    out: list[str] = []
    codes: list[str] = []
    cyrillic: list[str] = []

    def flush() -> None:
        if cyrillic:
            word = "".join(cyrillic)
            latin = "".join(_CYRILLIC[c.lower()].capitalize() if c != c.lower() else _CYRILLIC[c] for c in word)
            out.append("\\argmapcyr{" + word + "}{" + latin + "}")
            cyrillic.clear()
        if codes:
            out.append("{[}" + " ".join(codes) + "{]}")  # braced: a [ after \\\\ is no optional argument
            codes.clear()

    for char in text:
        code = ord(char)
        if code < 0x80 or _tex_allowed(code):
            flush()
            out.append(char)
        elif _FORMAT_MARKS.match(char) or unicodedata.category(char) in ("Cf", "Cc", "Mn"):
            continue  # direction marks, zero-width spaces and stray combining marks are invisible
        elif char in _TEX_SYMBOLS:
            flush()
            out.append(_TEX_SYMBOLS[char])
        elif char.lower() in _CYRILLIC:
            if codes:
                flush()
            cyrillic.append(char)
            fallbacks.add("cyrillic")
        elif unicodedata.category(char).startswith("Z"):
            flush()
            out.append(" ")
        else:
            if cyrillic:
                flush()
            codes.append(f"U+{code:04X}")
            fallbacks.add("codepoints")
    flush()
    return "".join(out)


_LIGATURES = re.compile(r"(?<=-)(?=-)|(?<=')(?=')|(?<=,)(?=,)")  # -- '' ,, would become – ” „


_DOUBLE_QUOTED = re.compile(r'"([^"\n]+)"')
_SINGLE_QUOTED = re.compile(r"(?<![\w'])'([^'\n]+?)'(?![\w'])")


def _typographic_quotes(text: str) -> str:
    """Paired straight quotes → “ ” and ‘ ’ (pdfLaTeX sets them as `` '' and ` '); a lone " stays."""
    return _SINGLE_QUOTED.sub("\u2018\\1\u2019", _DOUBLE_QUOTED.sub("\u201c\\1\u201d", text))


def latex_escape(text: Any, fallbacks: set[str] | None = None, *, newlines: bool = True) -> str:
    """User text → LaTeX that pdfLaTeX sets verbatim: the ten special characters and < > | "
    as commands, ligatures (-- '' ,,) broken, line breaks as \\newline (or spaces with
    ``newlines=False``), and non-Latin text replaced as :func:`_tex_unicode` says."""
    text = _typographic_quotes(_clean(text).strip())
    escaped = _LIGATURES.sub("{}", "".join(_TEX_ASCII.get(char, char) for char in text))
    escaped = _tex_unicode(escaped, fallbacks if fallbacks is not None else set())
    lines = [line.strip() for line in escaped.split("\n")]
    if not newlines:
        return " ".join(line for line in lines if line)
    return "\\newline ".join(line for line in lines if line)


# ----------------------------------------------------------------------------- number formats


def probability(p: float | None) -> str:
    """Two decimals, three near 0 and 1 where two would round a doubt away."""
    if p is None or math.isnan(p):
        return "—"
    if 0 < p < 0.01 or 0.99 < p < 1:
        return f"{p:.3f}"
    return f"{p:.2f}"


def ratio(x: float | None) -> str:
    """A likelihood ratio: three significant figures; ∞ and 0 as such."""
    if x is None or math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞"
    if x == 0:
        return "0"
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 100:
        return f"{x:.0f}"
    return f"{x:.3g}" if x >= 0.01 else f"{x:.2g}"


def decibels(db: float | None) -> str:
    """+4.8 dB, −2.0 dB (a true minus sign), ±∞ dB."""
    if db is None or math.isnan(db):
        return "—"
    return format_decibels(db)


def sort_key(x: float | None) -> str:
    """A number as the HTML tables' sorting reads it."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, float) and math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return repr(float(x))


# ----------------------------------------------------------------------------- templates


class Raw(str):
    """Text a Markdown or LaTeX template prints as it is (already in the target format)."""


def _raw(value: Any) -> Raw:
    return Raw("" if value is None else value)


def _environment(kind: str, templates: str | None, finalize: Callable[[Any], Any] | None = None) -> Any:
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, StrictUndefined

    package = PackageLoader("argmap.output", "templates")
    loaders: list[Any] = [FileSystemLoader(templates)] if templates else []
    # a user's template may extend the shipped one: {% extends "argmap/report.html.j2" %}
    loader = ChoiceLoader([*loaders, package, PrefixLoader({"argmap": package})])
    options: dict[str, Any] = {"loader": loader, "undefined": StrictUndefined, "trim_blocks": True,
                               "lstrip_blocks": True, "keep_trailing_newline": True}
    if kind == "html":
        env = Environment(autoescape=True, **options)
    elif kind == "md":
        env = Environment(autoescape=False, finalize=finalize, **options)
    else:
        env = Environment(
            autoescape=False, finalize=finalize,
            block_start_string=r"\BLOCK{", block_end_string="}",
            variable_start_string=r"\VAR{", variable_end_string="}",
            comment_start_string=r"\#{", comment_end_string="}",
            line_comment_prefix="%#", **options,
        )
    env.filters.update({
        "p": probability, "lr": ratio, "db": decibels, "scale_name": scale_name, "sortkey": sort_key,
        "words": _words, "raw": _raw, "safe_url": safe_url, "oneline": _oneline,
        "markdown_url": markdown_url, "tex_url": lambda url: Raw(latex_url(url)),
        "tex_link": lambda url: Raw(latex_link(url)), "host": _host, "tex_id": _tex_id, "web_url": _quoted_url, "code_block": _code_block,
    })
    return env


def scale_name(scale: str) -> str:
    """A verbal scale's id as a reader writes it: icd203 → ICD 203."""
    from argmap.scales import scale_name

    return scale_name(scale)


def _tex_id(text: Any) -> Raw:
    """An id or a path for \\texttt, with line breaks allowed after _ and /."""
    return Raw(re.sub(r"(\\_|/)", r"\1\\allowbreak{}", latex_escape(text)))


def _host(url: str) -> str:
    return (urllib.parse.urlsplit(url).netloc or url).removeprefix("www.")


def _oneline(text: Any) -> str:
    return " ".join(str(text).split())


def _code_block(text: Any) -> Raw:
    """A fenced code block that holds ``text`` whatever backticks it has."""
    text = _clean(text)
    fence = "```"
    while fence in text:
        fence += "`"
    return Raw(f"{fence}sh\n{text}\n{fence}")


def _markdown_finalize(value: Any) -> Any:
    if isinstance(value, Raw):
        return value
    return markdown_escape("" if value is None else value)


class _LatexFinalize:
    """Escapes every value a LaTeX template prints; remembers which Unicode fallbacks it used."""

    def __init__(self) -> None:
        self.fallbacks: set[str] = set()

    def __call__(self, value: Any) -> Any:
        if isinstance(value, Raw):
            return _tex_unicode(value, self.fallbacks)
        return latex_escape("" if value is None else value, self.fallbacks)


def _template_error(exc: Exception, templates: str | None) -> ArgmapError:
    from jinja2 import TemplateError

    where = getattr(exc, "filename", None) or getattr(exc, "name", None) or templates or "template"
    line = getattr(exc, "lineno", 0) or 0
    what = type(exc).__name__ if isinstance(exc, TemplateError) else "error"
    return ArgmapError.at(Location(where, line), f"{what} in a report template: {exc}; fix the template "
                                                 "(or remove it from --templates to use argmap's own)")


def _template_frame(exc: BaseException, templates: str | None) -> Location | None:
    """The file:line of the innermost frame of ``exc`` in a template of the ``templates`` folder
    (Jinja puts template frames, with their lines, into the traceback), or None."""
    if not templates:
        return None
    root = os.path.realpath(templates) + os.sep
    found = None
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if os.path.realpath(name).startswith(root):
            found = Location(name, tb.tb_lineno)
        tb = tb.tb_next
    return found


# ----------------------------------------------------------------------------- rendering


def render(report: Report, formats: Sequence[str] = FORMATS, *, templates: str | None = None,
           missing: dict[str, str] | None = None) -> dict[str, bytes]:
    """Every file of the report in ``formats``, by file name; report.json always. A figure that
    cannot be drawn here is left out (the text says so in its place) and put in ``missing``,
    name → why."""
    import json

    for fmt in formats:
        if fmt not in FORMATS:
            from argmap.errors import did_you_mean

            raise ArgmapError.at(Location("--format"), f"unknown report format '{fmt}'{did_you_mean(fmt, FORMATS)}; "
                                 f"write some of {', '.join(FORMATS)}, separated by commas")
    if templates is not None and not os.path.isdir(templates):
        raise ArgmapError.at(Location("--templates"), f"{templates} is not a folder; give the folder that holds "
                             "your report.html.j2, report.md.j2 or report.tex.j2")
    from jinja2 import TemplateError

    files: dict[str, bytes] = {}
    figures = _Figures(report, report.beliefs if report.beliefs is not None else report.model.update(as_of=report.as_of))
    drawn: dict[str, bytes | None] = {}
    try:
        if "html" in formats:
            files["report.html"] = _render_html(report, figures, templates).encode("utf-8")
        if "md" in formats:
            drawn |= {name: figures.get(name) for name in ("diagram.svg", "trajectory.svg")}
            env = _environment("md", templates, _markdown_finalize)
            context = _context(report) | {"missing": figures.missing}
            files["report.md"] = env.get_template("report.md.j2").render(**context).encode("utf-8")
        if "tex" in formats:
            drawn |= {name: figures.get(name) for name in ("diagram.pdf", "trajectory.pdf")}
            finalize = _LatexFinalize()
            env = _environment("tex", templates, finalize)
            context = _context(report) | {"fallbacks": finalize.fallbacks, "missing": figures.missing}
            files["beliefs-table.tex"] = env.get_template("beliefs-table.tex.j2").render(**context).encode("utf-8")
            files["beliefs-table-column.tex"] = env.get_template("beliefs-table-column.tex.j2").render(
                **context).encode("utf-8")
            files["report.tex"] = env.get_template("report.tex.j2").render(**context).encode("utf-8")
    except TemplateError as exc:
        raise _template_error(exc, templates) from None
    except Exception as exc:  # {{ 1/0 }}, a type error… in a user's template is bad input, not a bug
        located = _template_frame(exc, templates)
        if located is None:
            raise
        raise ArgmapError.at(located, f"{type(exc).__name__} in a report template: {exc}; fix the template "
                                      "(or remove it from --templates to use argmap's own)") from None
    files |= {name: data for name, data in drawn.items() if data is not None}
    if missing is not None:
        missing.update(figures.missing)
    files["report.json"] = (json.dumps(report.to_dict(), indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    return files


class _Figures:
    """The report's figures, each drawn once when first asked for."""

    def __init__(self, report: Report, beliefs: Any):
        self.report = report
        self.beliefs = beliefs
        self.made: dict[str, bytes | None] = {}
        self.missing: dict[str, str] = {}  # a figure that cannot be drawn on this machine → why

    def get(self, name: str) -> bytes | None:
        if name not in self.made:
            try:
                self.made[name] = self._draw(name)
            except ArgmapError as exc:  # e.g. no Graphviz at all: the rest of the report still stands
                self.made[name] = None
                self.missing[name] = "; ".join(p.message for p in exc.problems)
        return self.made[name]

    def _draw(self, name: str) -> bytes:
        from argmap.output import plots
        from argmap.engine.infer import trajectory
        from argmap.output.diagram import diagram

        stem, fmt = name.rsplit(".", 1)
        report = self.report
        if stem == "diagram":
            return diagram(report.model, format=fmt, style="paper", evidence="summary", beliefs=self.beliefs,
                           width=FIGURE_WIDTH)
        if stem == "diagram-screen":
            return diagram(report.model, format=fmt, style="screen", evidence="summary", beliefs=self.beliefs,
                           width=FIGURE_WIDTH)
        if stem == "diagram-screen-narrow":  # the phone view: one journal column wide
            return diagram(report.model, format=fmt, style="screen", evidence="summary", beliefs=self.beliefs,
                           width=NARROW_WIDTH)
        steps = trajectory(report.model, report.as_of, claims=sorted({s.claim for s in report.series}))
        series = [(s.claim, s.state, s.label) for s in report.series]
        return plots.trajectory(steps, series, fmt=fmt, title=f"Belief trajectory: {report.title}", width=FIGURE_WIDTH)


FIGURE_WIDTH = "7in"  # the report's figures fit a two-column page's full text width
NARROW_WIDTH = "3.5in"  # the map in the HTML report on a phone (one column of a journal page)


def _context(report: Report) -> dict[str, Any]:
    return {"report": report, "r": report}


def _render_html(report: Report, figures: _Figures, templates: str | None) -> str:
    from markupsafe import Markup

    env = _environment("html", templates)
    script = env.get_template("report.js").render()
    style = env.get_template("report.css").render()
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    context = _context(report) | {
        "script": Markup(script), "style": Markup(style.replace("</", "<\\/")),
        "script_hash": f"sha256-{digest}",
        "diagram_svg": _inline_or_why(figures, "diagram-screen.svg", "diagram",
                                      "The argument map: every claim with its prior and posterior"),
        "diagram_narrow_svg": _inline_or_why(figures, "diagram-screen-narrow.svg", "diagram-narrow",
                                             "The argument map, laid out for a narrow screen"),
        "trajectory_svg": _inline_or_why(figures, "trajectory.svg", "trajectory",
                                         "The belief trajectory: each hypothesis' posterior after each item"),
        "missing": figures.missing,
    }
    return env.get_template("report.html.j2").render(**context)


def _inline_or_why(figures: _Figures, name: str, prefix: str, label: str) -> Any:
    from markupsafe import Markup, escape

    data = figures.get(name)
    if data is None:
        return Markup('<p class="missing-figure">This figure could not be drawn here: ') + escape(
            figures.missing[name]) + Markup("</p>")
    return Markup(inline_svg(data, prefix, label))


_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"


def inline_svg(data: bytes, prefix: str, label: str) -> str:
    """An SVG file → markup to put inside HTML: no XML prolog, every id prefixed (two figures
    on one page cannot clash), the figure's own CSS scoped to it, sized by CSS."""
    import xml.etree.ElementTree as ET

    ET.register_namespace("", _SVG)
    ET.register_namespace("xlink", _XLINK)
    root = ET.fromstring(data)
    ids = {el.get("id") for el in root.iter() if el.get("id")}

    def renamed(value: str) -> str:
        value = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})" if m.group(1) in ids else m.group(0), value)
        return value

    for el in root.iter():
        if el.get("id"):
            el.set("id", f"{prefix}-{el.get('id')}")
        for attribute in list(el.attrib):
            value = el.attrib[attribute]
            if attribute in ("href", f"{{{_XLINK}}}href") and value.startswith("#") and value[1:] in ids:
                el.set(attribute, f"#{prefix}-{value[1:]}")
            elif "url(#" in value:
                el.set(attribute, renamed(value))
        if el.tag == f"{{{_SVG}}}style" and el.text:
            el.text = re.sub(r"(^|})\s*([^{}]+)\{", lambda m: f"{m.group(1)}#{prefix} {m.group(2).strip()}{{",
                             renamed(el.text))
    root.set("id", prefix)
    root.set("role", "img")
    root.set("aria-label", label)
    root.set("class", "figure-svg")
    return ET.tostring(root, encoding="unicode")


# ----------------------------------------------------------------------------- writing


def write(files: Mapping[str, bytes], folder: str) -> list[str]:
    """Write each file into ``folder`` atomically (a reader never sees half a file; a failed run
    leaves the previous file); returns the paths written."""
    from argmap._io import write_atomic_bytes

    if os.path.exists(folder) and not os.path.isdir(folder):
        raise ArgmapError.at(Location(folder), f"{folder} is a file; -o names the folder the report is written to")
    from argmap._files import refuse_input

    for name in files:  # all checked before the first is written
        refuse_input(os.path.join(folder, name))
    written = []
    for name, data in files.items():
        path = os.path.join(folder, name)
        try:
            write_atomic_bytes(path, data)
        except OSError as exc:
            raise ArgmapError.at(Location(folder), f"cannot write {path}: {exc.strerror or exc}; choose an -o folder "
                                                   "you can write to") from None
        written.append(path)
    return written


def make_report(model: Model, folder: str | None = None, formats: Iterable[str] = FORMATS, *,
                as_of: Any = None, templates: str | None = None, command: str | None = None,
                missing: dict[str, str] | None = None, compare: Sequence[Model] = ()) -> list[str]:
    """Build, render (everything in memory first) and write a report; the paths written. Figures
    that cannot be drawn here go into ``missing`` (name → why) instead."""
    formats = tuple(dict.fromkeys(formats))
    report = build(model, as_of, command=command, compare=compare)
    files = render(report, formats, templates=templates, missing=missing)
    return write(files, folder or default_folder(model.path))
