"""Model + its one network → Report: every number a report shows (beliefs, trajectory, weights, the ACH view,
robustness, causal attribution), its references and its provenance; computed once, read by the renderers."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from argmap.analysis.weights import odds_change_db
from argmap.errors import ArgmapError
from argmap.model import EvidenceItem, Model, Observation, VanEveraTest
from argmap.output.report.escape import state_words
from argmap.output.report.reference_list import Reference, references
from argmap.scales import SCALES

FORMATS = ("html", "md", "tex")
ACH_MIN_DB = 0.5  # an item whose likelihoods differ by less than this (dB) across the states is left out of the ACH view
TOP_INPUTS = 5  # rows of the robustness section per hypothesis
REPORT_DRAWS = 1000  # Monte Carlo draws per hypothesis and mode (seed 0): reproducible, and cheap enough for watch
TOP_CANDIDATES = 5
SET_SIZE = 3  # the best set of clues the report values jointly
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
class SplitColumn:
    """One column of the as-of split: the evidence dated up to a milestone, or the report's own."""

    date: str | None  # None: the report's cut-off (all evidence, or --as-of)
    label: str
    counted: int  # items that count by then


@attrs.frozen
class SplitRow:
    """A hypothesis' state, an account, or a pair of rivals, at each column of the as-of split."""

    of: str  # the claim id, or "accounts"
    a: str  # the state, or the account; for a pair, the first of the two
    b: str | None  # for a pair, the second (the Bayes factor is of a against b); else None
    name: str  # the claim's name (with its state), the account's name, or "a against b"
    prior: float | None  # a state's or an account's prior probability (None for a pair)
    values: tuple[float, ...]  # per column: the posterior probability, or for a pair the Bayes factor in dB


@attrs.frozen
class AsOfSplit:
    """What the evidence dated up to each of the model's ``milestones:`` supported, beside all of it."""

    columns: tuple[SplitColumn, ...]
    beliefs: tuple[SplitRow, ...]  # the trajectory's hypotheses and their states
    accounts: tuple[SplitRow, ...]
    pairs: tuple[SplitRow, ...]  # rivals in pairs: states of a multi-state hypothesis, then accounts


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
    as_of_split: AsOfSplit | None = None
    #: robustness and causal claims not computed yet (watch writes the beliefs first, then these)
    pending: bool = False

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
          compare: Sequence[Model] = (), pending: bool = False) -> Report:
    """Compute everything a report of ``model`` shows, with the evidence that counts at ``as_of``
    (without the robustness and causal sections when ``robustness`` is false; ``pending`` says
    they are on their way)."""
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
    series = tuple(Series(c.id, s.state, c.name if c.binary else f"{c.name}: {state_words(s.state)}")
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
    dated = [i.date for i in counted if i.date]
    report = Report(
        model=model, beliefs=beliefs, name=model.name, title=model.title or model.name, question=model.question,
        hypothesis=model.hypothesis, theory=model.theory, authors=tuple(model.authors), scale=scale.name,
        scale_words=tuple(scale.terms), scale_citation=scale.citation,
        as_of=str(cutoff) if cutoff else None, latest=str(max(dated, key=lambda d: (d.first_day, d.last_day))) if dated else None,
        counted=len(counted), total=len(model.evidence),
        later=tuple(i.id for i in date_order(model.evidence) if not i.expected and not i.counts_at(cutoff)),
        expected=tuple(i.id for i in model.evidence if i.expected),
        claims=claims, series=series, trajectory=path, evidence=tuple(rows), sources=sources, ach=ach,
        robustness=(), uncertainty=f"{model.uncertainty:g}", accounts=accounts, comparisons=pairs,
        references=references, inputs=tuple(_input_files(model)), versions=versions(),
        command=command or regenerate_command(model.path, as_of=str(cutoff) if cutoff else None),
        comparison=_comparison(model, beliefs, compare, cutoff) if compare else None,
        as_of_split=_as_of_split(model, beliefs, series, {c.id: c.name for c in claims}),
        pending=pending and not robustness,
    )
    return completed(report) if robustness else report


def completed(report: Report) -> Report:
    """``report`` with its slow sections computed: robustness per hypothesis and the causal claims
    (watch writes the report without them first, then this, reusing everything else)."""
    from argmap.engine.compile import network_of

    model, cutoff = report.model, report.beliefs.as_of
    robust = tuple(_robustness(model, network_of(model), c, cutoff) for c in report.hypotheses if not c.observed)
    return attrs.evolve(report, robustness=robust, causal=_causal(model, cutoff), pending=False)


def _as_of_split(model: Model, beliefs: Any, series: Sequence[Series], names: Mapping[str, str]) -> AsOfSplit | None:
    """The beliefs at each milestone before the report's cut-off (on the one network: a
    calibration per milestone), then the report's own beliefs as the last column."""
    from argmap.analysis.pairwise import comparisons

    cutoff = beliefs.as_of
    due = [m for m in model.milestones if cutoff is None or m.date.last_day < cutoff.last_day]
    if not due:
        return None
    stages = [model.update(as_of=m.date) for m in due] + [beliefs]
    columns = tuple(SplitColumn(str(m.date), m.label, len(b.counted)) for m, b in zip(due, stages)) + (
        SplitColumn(None, f"evidence dated up to {cutoff}" if cutoff else "all evidence", len(beliefs.counted)),)
    rows = tuple(SplitRow(s.claim, s.state, None, s.label, beliefs[s.claim].prior[s.state],
                          tuple(b[s.claim].posterior[s.state] for b in stages)) for s in series)
    accounts = tuple(SplitRow("accounts", name, None, name, a.prior, tuple(b.accounts[name].posterior for b in stages))
                     for name, a in beliefs.accounts.items())
    paired = [comparisons(b) for b in stages]
    def pair_name(c: Any) -> str:
        if c.of == "accounts":  # named as the rows of claims are: "what: a against b"
            return f"accounts: {c.a} against {c.b}"
        return f"{names[c.of]}: {state_words(c.a)} against {state_words(c.b)}"

    pairs = tuple(SplitRow(c.of, c.a, c.b, pair_name(c), None, tuple(p[k].decibels for p in paired))
                  for k, c in enumerate(paired[-1]))
    return AsOfSplit(columns, rows, accounts, pairs)


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
                          claim.name if claim.binary else state_words(f.state), f.decibels, f.likelihood_ratio,
                          tuple(state_words(t) for t in f.sufficient), f.likelihood_ratio >= SMOKING_GUN_LR)
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
    from argmap.analysis.cause import causal_arrows, cause
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
    from argmap._files import (
        digest_of,  # the hash of the bytes loaded, so a file changed since cannot disagree
    )

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
