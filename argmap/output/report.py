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
    """One formatted bibliography entry (pybtex, plain style) in each output format."""

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
    leave_one_out: float | None  # logit P(state | all) − logit P(state | all but this item)
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
    references: tuple[Reference, ...]
    inputs: tuple[InputFile, ...]
    versions: Mapping[str, str]
    command: str

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

    def to_dict(self) -> dict:
        """The numbers of the report as plain JSON values (infinities as strings)."""
        data = attrs.asdict(self, filter=lambda a, _: a.name not in ("model", "html", "markdown", "latex"))
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


def build(model: Model, as_of: Any = None, *, command: str | None = None, robustness: bool = True) -> Report:
    """Compute everything a report of ``model`` shows, with the evidence that counts at ``as_of``."""
    from argmap.analysis.weights import leave_one_out, weight_of_evidence
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
    loo_cache: dict[tuple[str, str], dict[str, float]] = {}

    def loo(claim: str, state: str) -> dict[str, float]:
        if (claim, state) not in loo_cache:
            loo_cache[claim, state] = leave_one_out(model, claim, state, cutoff)
        return loo_cache[claim, state]

    rows: list[EvidenceRow] = []
    for item in counted:
        common = _item_fields(model, item, labels)
        if isinstance(item.bearing, Observation):
            for cid, state in item.bearing.states.items():
                claim = model.claims[cid]
                rows.append(EvidenceRow(**common, target=cid, target_name=claim.label or cid, state=state,
                                        binary=claim.is_binary, hard=True, written="observe",
                                        likelihood_ratio=None, decibels=None, van_evera=None, leave_one_out=None,
                                        p_if=None, p_if_not=None))
            continue
        for target in item.targets:
            claim = model.claims[target]
            weighed = [weight_of_evidence(model, item, target, s, network) for s in claim.states]
            weight = weighed[0] if claim.is_binary else max(
                weighed, key=lambda w: (_finite_abs(w.decibels), -claim.states.index(w.state)))
            rows.append(EvidenceRow(
                **common, target=target, target_name=claim.label or target, state=weight.state,
                binary=claim.is_binary, hard=False, written=_written(item),
                likelihood_ratio=weight.likelihood_ratio, decibels=weight.decibels, van_evera=weight.van_evera,
                leave_one_out=loo(target, weight.state).get(item.id), p_if=weight.p_if, p_if_not=weight.p_if_not))

    used = [s for s in model.sources.values() if any(i.source == s.id for i in counted if not i.is_observation)]
    sources = tuple(SourceRow(s.id, s.text, _reliability_text(s.reliability), s.random_yes.value,
                              tuple(i.id for i in counted if i.source == s.id)) for s in used)
    ach = tuple(_ach(model, network, c, counted) for c in hypotheses if not c.observed)
    robust = tuple(_robustness(model, network, c, cutoff) for c in hypotheses if not c.observed) if robustness else ()
    dated = [i.date for i in counted if i.date]
    return Report(
        model=model, name=model.name, title=model.title or model.name, question=model.question,
        hypothesis=model.hypothesis, theory=model.theory, authors=tuple(model.authors), scale=scale.name,
        scale_words=tuple(scale.terms), scale_citation=scale.citation,
        as_of=str(cutoff) if cutoff else None, latest=str(max(dated, key=lambda d: (d.first_day, d.last_day))) if dated else None,
        counted=len(counted), total=len(model.evidence),
        later=tuple(i.id for i in date_order(model.evidence) if not i.expected and not i.counts_at(cutoff)),
        expected=tuple(i.id for i in model.evidence if i.expected),
        claims=claims, series=series, trajectory=path, evidence=tuple(rows), sources=sources, ach=ach,
        robustness=robust,
        references=references, inputs=tuple(_input_files(model)), versions=versions(),
        command=command or regenerate_command(model.path, as_of=str(cutoff) if cutoff else None),
    )


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


def _ach(model: Model, network: Any, claim: ClaimRow, counted: Sequence[EvidenceItem]) -> AchTable:
    from argmap.analysis.weights import weight_of_evidence

    states = tuple(s.state for s in claim.states)
    rows: list[AchRow] = []
    omitted = 0
    for item in counted:
        if isinstance(item.bearing, Observation):
            continue
        weighed = [weight_of_evidence(model, item, claim.id, s, network) for s in states]
        likelihoods = tuple(w.p_if for w in weighed)
        diagnosticity = _ratio_db(max(likelihoods), min(likelihoods))
        if not diagnosticity >= ACH_MIN_DB:
            omitted += 1
            continue
        rows.append(AchRow(item.id, _date(item), item.text, tuple(w.likelihood_ratio for w in weighed),
                           tuple(w.decibels for w in weighed), likelihoods, diagnosticity))
    rows.sort(key=lambda r: -r.diagnosticity)  # stable: date order among equals
    against = tuple(sum(max(0.0, -r.decibels[k]) for r in rows if not math.isnan(r.decibels[k]))
                    for k in range(len(states)))
    least = states[min(range(len(states)), key=lambda k: (against[k], k))]
    top = claim.observed or max(claim.states, key=lambda s: s.posterior).state
    return AchTable(claim.id, claim.name, states, tuple(rows), against, least,
                    tuple(s.prior for s in claim.states), tuple(s.posterior for s in claim.states), omitted, top)


def _ratio_db(high: float, low: float) -> float:
    if high <= 0:
        return 0.0
    if low <= 0:
        return math.inf
    return 10 * math.log10(high / low)


def _robustness(model: Model, network: Any, claim: ClaimRow, cutoff: Any) -> Robustness:
    from argmap.analysis.sensitivity import sensitivity
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
    return Robustness(claim.id, claim.name, wanted.state, posterior, conclusion, inputs, len(results),
                      sum(r.flips_within_range for r in results), shown, flips, tests,
                      tuple(step.id for step in plan.set), plan.set[-1].total if plan.set else 0.0,
                      plan.set_independent_sum)


# ----------------------------------------------------------------------------- bibliography


def _cited_keys(model: Model) -> list[str]:
    keys: dict[str, str] = {}
    for item in model.evidence:
        for key in item.cite:
            keys.setdefault(key.lower(), key)
    return list(keys.values())


def _references(model: Model, keys: Sequence[str]) -> tuple[Reference, ...]:
    """The cited entries of the model's BibTeX file, formatted by pybtex's plain style (sorted
    by author, year and title, numbered) and rendered by pybtex's backends."""
    if not model.bibliography or not keys:
        return ()
    from pybtex.database import parse_file
    from pybtex.plugin import find_plugin

    try:
        data = parse_file(model.bibliography, "bibtex")
    except Exception as exc:  # pybtex raises plain exceptions; load.py has reported them already
        raise ArgmapError.at(Location(model.bibliography), f"BibTeX error: {exc}") from None
    style = find_plugin("pybtex.style.formatting", "plain")()
    entries = [data.entries[k] for k in keys if k in data.entries]
    ordered = style.sort(entries)
    backends = _backends()
    found = []
    for label, entry in zip(style.format_labels(ordered), ordered):
        try:
            text = style.format_entry(label, entry, bib_data=data).text
        except Exception as exc:  # an entry the style cannot format (a required field is missing)
            from pybtex.richtext import Text

            title = entry.fields.get("title", "")
            text = Text(f"{entry.key}: {title} ({exc})".strip())
        found.append(Reference(
            key=entry.key, label=label, text=text.render(backends["text"]),
            html=text.render(backends["html"]), markdown=" ".join(text.render(backends["md"]).split("\n")),
            latex=_tex_unicode(text.render(backends["tex"]), set()),
        ))
    return tuple(found)


def _backends() -> dict[str, Any]:
    """pybtex's output backends with links made safe: only http(s)/ftp/mailto URLs become links,
    and each URL is quoted for the format it is written in."""
    from pybtex.backends.html import Backend as HtmlBackend
    from pybtex.backends.latex import Backend as LatexBackend
    from pybtex.backends.markdown import Backend as MarkdownBackend
    from pybtex.backends.plaintext import Backend as TextBackend

    class Html(HtmlBackend):
        def format_href(self, url: str, text: str, external: bool = False) -> str:
            safe = safe_url(url)
            return f'<a href="{html.escape(safe, quote=True)}">{text}</a>' if safe and text else text

    class Markdown(MarkdownBackend):
        def format_href(self, url: str, text: str, external: bool = False) -> str:
            safe = safe_url(url)
            return f"[{text}]({markdown_url(safe)})" if safe and text else text

    class Latex(LatexBackend):
        def format_href(self, url: str, text: str, external: bool = False) -> str:
            safe = safe_url(url)
            return latex_url(safe) if safe else text

    return {"html": Html(), "md": Markdown(), "tex": Latex(), "text": TextBackend()}


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
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


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
    return " ".join(shlex.quote(p) for p in parts)


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
    host = urllib.parse.urlsplit(url).netloc or url
    return "\\href{" + _quoted_url(url).replace("$", "%24") + "}{" + latex_escape(host.removeprefix("www.")) + "}"


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


_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|<>&~^$=\"':")  # ':' too: GitHub autolinks http:// in raw text


def markdown_escape(text: Any) -> str:
    """User text → GitHub-flavoured Markdown that shows it verbatim: every Markdown (and HTML)
    character backslash-escaped (CommonMark lets any ASCII punctuation be escaped), line
    breaks as <br> so that text can sit in a table cell."""
    text = _clean(text).strip()
    escaped = "".join("\\" + c if c in _MARKDOWN_SPECIAL else c for c in text)
    return escaped.replace("\n", "<br>")


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


def _tex_allowed(code: int) -> bool:
    return any(low <= code <= high for low, high in _TEX_RANGES)


def _tex_unicode(text: str, fallbacks: set[str]) -> str:
    """LaTeX source → the same with every non-ASCII character pdfLaTeX cannot set replaced:
    symbols by their math commands, Cyrillic transliterated, anything else (Chinese, Arabic…) by
    its code point [U+XXXX]. ``fallbacks`` collects which replacements were needed."""
    out: list[str] = []
    codes: list[str] = []

    def flush() -> None:
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
            flush()
            latin = _CYRILLIC[char.lower()]
            out.append(latin.capitalize() if char != char.lower() else latin)
            fallbacks.add("cyrillic")
        elif unicodedata.category(char).startswith("Z"):
            flush()
            out.append(" ")
        else:
            codes.append(f"U+{code:04X}")
            fallbacks.add("codepoints")
    flush()
    return "".join(out)


_LIGATURES = re.compile(r"(?<=-)(?=-)|(?<=')(?=')|(?<=,)(?=,)")  # -- '' ,, would become – ” „


def latex_escape(text: Any, fallbacks: set[str] | None = None, *, newlines: bool = True) -> str:
    """User text → LaTeX that pdfLaTeX sets verbatim: the ten special characters and < > | "
    as commands, ligatures (-- '' ,,) broken, line breaks as \\newline (or spaces with
    ``newlines=False``), and non-Latin text replaced as :func:`_tex_unicode` says."""
    text = _clean(text).strip()
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


def loo_decibels(delta_logit: float | None) -> str:
    """A leave-one-out effect (natural log-odds) in decibels, like the weights beside it."""
    if delta_logit is None or math.isnan(delta_logit):
        return "—"
    return format_decibels(10 * delta_logit / math.log(10))


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
        "p": probability, "lr": ratio, "db": decibels, "loo": loo_decibels, "sortkey": sort_key,
        "words": _words, "raw": _raw, "safe_url": safe_url, "oneline": _oneline,
        "markdown_url": markdown_url, "tex_url": lambda url: Raw(latex_url(url)),
        "tex_link": lambda url: Raw(latex_link(url)), "host": _host, "tex_id": _tex_id, "web_url": _quoted_url, "code_block": _code_block,
    })
    return env


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


# ----------------------------------------------------------------------------- rendering


def render(report: Report, formats: Sequence[str] = FORMATS, *, templates: str | None = None) -> dict[str, bytes]:
    """Every file of the report in ``formats``, by file name; report.json always."""
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
    figures = _Figures(report, report.model.update(as_of=report.as_of))
    try:
        if "html" in formats:
            files["report.html"] = _render_html(report, figures, templates).encode("utf-8")
        if "md" in formats:
            env = _environment("md", templates, _markdown_finalize)
            files["report.md"] = env.get_template("report.md.j2").render(**_context(report)).encode("utf-8")
            files["diagram.svg"] = figures.get("diagram.svg")
            files["trajectory.svg"] = figures.get("trajectory.svg")
        if "tex" in formats:
            finalize = _LatexFinalize()
            env = _environment("tex", templates, finalize)
            context = _context(report) | {"fallbacks": finalize.fallbacks}
            files["beliefs-table.tex"] = env.get_template("beliefs-table.tex.j2").render(**context).encode("utf-8")
            files["report.tex"] = env.get_template("report.tex.j2").render(**context).encode("utf-8")
            files["diagram.pdf"] = figures.get("diagram.pdf")
            files["trajectory.pdf"] = figures.get("trajectory.pdf")
    except TemplateError as exc:
        raise _template_error(exc, templates) from None
    files["report.json"] = (json.dumps(report.to_dict(), indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    return files


class _Figures:
    """The report's figures, each drawn once when first asked for."""

    def __init__(self, report: Report, beliefs: Any):
        self.report = report
        self.beliefs = beliefs
        self.made: dict[str, bytes] = {}

    def get(self, name: str) -> bytes:
        if name not in self.made:
            self.made[name] = self._draw(name)
        return self.made[name]

    def _draw(self, name: str) -> bytes:
        from argmap.output import plots
        from argmap.engine.infer import trajectory
        from argmap.output.diagram import diagram

        stem, fmt = name.rsplit(".", 1)
        report = self.report
        if stem == "diagram":
            return diagram(report.model, format=fmt, style="paper", evidence="summary", beliefs=self.beliefs)
        if stem == "diagram-screen":
            return diagram(report.model, format=fmt, style="screen", evidence="summary", beliefs=self.beliefs)
        steps = trajectory(report.model, report.as_of, claims=sorted({s.claim for s in report.series}))
        series = [(s.claim, s.state, s.label) for s in report.series]
        return plots.trajectory(steps, series, fmt=fmt, title=f"Belief trajectory: {report.title}")


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
        "diagram_svg": Markup(inline_svg(figures.get("diagram-screen.svg"), "diagram",
                                         "The argument map: every claim with its prior and posterior")),
        "trajectory_svg": Markup(inline_svg(figures.get("trajectory.svg"), "trajectory",
                                            "The belief trajectory: each hypothesis' posterior after each item")),
    }
    return env.get_template("report.html.j2").render(**context)


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
                as_of: Any = None, templates: str | None = None, command: str | None = None) -> list[str]:
    """Build, render (everything in memory first) and write a report; the paths written."""
    formats = tuple(dict.fromkeys(formats))
    report = build(model, as_of, command=command)
    files = render(report, formats, templates=templates)
    return write(files, folder or default_folder(model.path))
