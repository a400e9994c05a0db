"""Model and evidence files (YAML) → :class:`~argmap.model.Model`, every part with its file:line.

This stage reads what each key says and checks what can be checked inside one file (types,
words, ranges, dates, sums). Checks that need the whole model — ids across files, cycles,
complete tables — belong to :mod:`argmap.loader.validate`. Problems are collected, not raised one by
one, so that ``argmap check`` can list them all.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import math
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs

from argmap._files import read_text, walk_files
from argmap._limits import MAX_STATES
from argmap.loader.yaml_lines import LocDict, LocList, read_yaml, scalar_text
from argmap.errors import ArgmapError, Location, Problem, did_you_mean
from argmap.model import (
    BINARY,
    ROLES,
    TESTS,
    Account,
    Claim,
    EvidenceDate,
    EvidenceItem,
    Likelihood,
    Milestone,
    Model,
    NoisyOr,
    Observation,
    PriorDist,
    Prob,
    Source,
    Table,
    VanEveraTest,
)
from argmap.scales import ADMIRALTY, SCALES, Scale

__all__ = ["LoadResult", "collector_paused", "load_model", "parse_date", "read_model"]

FORMAT_VERSION = 1
ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*\Z")
SUM_TOLERANCE = 1e-9
EVIDENCE_SUFFIXES = (".yaml", ".yml")

DEFAULT_UNCERTAINTY = 0.5  # log-odds: 0.5 reads as 0.38–0.62, 0.9 as 0.85–0.94
MAX_UNCERTAINTY = 5.0  # ±5 log-odds already spans 0.007–0.993 from 0.5

MODEL_KEYS = (
    "argmap", "title", "question", "hypothesis", "theory", "authors", "description",
    "bibliography", "evidence", "scale", "causal_claims", "sources", "claims", "uncertainty", "accounts",
    "milestones",
)  # fmt: skip
CLAIM_KEYS = (
    "text", "label", "role", "states", "prior", "supported_by", "attacked_by", "leak",
    "given", "table", "supports", "attacks", "coupling", "note",
)  # fmt: skip
SOURCE_KEYS = ("text", "reliability", "random_yes", "url", "note")
ITEM_KEYS = (
    "id", "date", "text", "cite", "url", "quote", "page", "source", "reliability", "bears_on",
    "likelihood", "lr", "test", "for", "given", "table", "observed", "expected", "observe",
    "note",
)  # fmt: skip


class InvalidValue(Exception):
    """One problem that stops the current claim or item from being read further."""

    def __init__(self, location: Location, message: str):
        super().__init__(message)
        self.problem = Problem(location, message)


class LoadResult:
    """What loading gave: the model as far as it could be read, and every problem met."""

    def __init__(self, model: Model | None, problems: list[Problem], unreadable: set[str]):
        self.model = model
        self.problems = problems
        self.unreadable = unreadable  # ids whose definition had a problem; don't report them twice


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a model is built. A network's load makes
    hundreds of thousands of small objects and no garbage cycles, and the collector's passes over
    the growing heap took a third to a half of it (diabetes: 0.57 s with, 0.30 s without); the
    collector runs again as soon as the block ends."""
    if not gc.isenabled():  # the caller has it off already: leave it so
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def load_model(path: str, evidence: Sequence[str] | None = None) -> LoadResult:
    """Read a model file and its evidence files (``evidence`` overrides the model's list)."""
    try:
        document = read_yaml(read_text(path), path)
    except ArgmapError as exc:
        return LoadResult(None, exc.problems, set())
    return read_model(document, path, evidence)


def read_model(document: Any, path: str, evidence: Sequence[str] | None = None) -> LoadResult:
    """As :func:`load_model`, for the document of the model file at ``path`` already read."""
    problems: list[Problem] = []
    unreadable: set[str] = set()
    reader = _ModelReader(path, problems, unreadable)
    model = reader.read(document)
    if model is None:
        return LoadResult(None, problems, unreadable)
    if evidence is None:
        paths = [(p, loc) for p, loc in reader.evidence_paths]
    else:
        paths = [(os.path.abspath(p), Location(p)) for p in evidence]
    items: list[EvidenceItem] = []
    files = _evidence_files(paths, explicit=evidence is not None or reader.evidence_written, problems=problems)
    for file in files:
        items.extend(_read_evidence_file(file, model, problems, unreadable))
    model = attrs.evolve(model, evidence=tuple(items), evidence_paths=tuple(p for p, _ in paths),
                         evidence_files=tuple(files))
    return LoadResult(model, problems, unreadable)


def _evidence_files(
    paths: Iterable[tuple[str, Location]], *, explicit: bool, problems: list[Problem]
) -> list[str]:
    files: list[str] = []
    for path, location in paths:
        if os.path.isdir(path):
            try:
                files.extend(walk_files(path, EVIDENCE_SUFFIXES, location))
            except ArgmapError as exc:
                problems.extend(exc.problems)
        elif os.path.exists(path):  # a device or FIFO too: read_text says it is not a regular file
            files.append(path)
        elif explicit:
            problems.append(Problem(location, f"evidence path not found: {path}"))
    seen: set[str] = set()
    return [f for f in files if not (os.path.realpath(f) in seen or seen.add(os.path.realpath(f)))]


# ----------------------------------------------------------------------------- values


def read_prob(value: Any, at: Location, scale: Scale, what: str) -> Prob:
    """A probability: number, percentage, verbal word of the model's scale, or [low, high]."""
    if isinstance(value, bool) or value is None:
        raise InvalidValue(at, f"{what}: expected a probability, got {scalar_text(value)!r}; "
                       f"write a number from 0 to 1, a word such as 'likely', or [low, high]")
    if isinstance(value, int | float):
        return Prob(*([_unit(value, at, what)] * 2), scalar_text(value))
    if isinstance(value, str):
        text = value.strip()
        try:  # YAML 1.1 reads 1e-3 (no dot) as text
            number = float(text)
        except ValueError:
            pass
        else:
            return Prob(*([_unit(number, at, what)] * 2), text)
        if text.endswith("%"):
            try:
                number = float(text[:-1]) / 100
            except ValueError:
                pass
            else:
                return Prob(*([_unit(number, at, what)] * 2), text)
        span = scale.range_of(text)
        if span is not None:
            return Prob(span[0], span[1], text)
        raise InvalidValue(
            at,
            f"{what}: '{text}' is not a word of the {scale.name} scale"
            + did_you_mean(text.lower(), scale.words)
            + " (or write a number from 0 to 1, or [low, high])",
        )
    if isinstance(value, list):
        if len(value) != 2 or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            raise InvalidValue(at, f"{what}: a range is two numbers [low, high], e.g. [0.6, 0.8]")
        low, high = (_unit(v, at, what) for v in value)
        if low > high:
            raise InvalidValue(at, f"{what}: range [{value[0]}, {value[1]}] runs backwards; write [{value[1]}, {value[0]}]")
        return Prob(low, high, f"[{scalar_text(value[0])}, {scalar_text(value[1])}]")
    raise InvalidValue(at, f"{what}: expected a probability, got a mapping")


def _unit(number: float, at: Location, what: str) -> float:
    number = float(number)
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise InvalidValue(at, f"{what}: {number:g} is not a probability; write a number from 0 to 1")
    return number


def _complement(p: Prob) -> Prob:
    return Prob(1 - p.high, 1 - p.low, f"1 − {p}")


def _distribution(
    value: Any, states: tuple[str, ...], at: Location, scale: Scale, what: str
) -> dict[str, Prob]:
    """P(state) for every state: a single number means P(first state) of a binary claim."""
    if not isinstance(value, dict):
        if len(states) != 2:
            raise InvalidValue(
                at, f"{what}: a claim with states {list(states)} needs a mapping "
                    f"{{{', '.join(f'{s}: p' for s in states)}}} summing to 1",
            )
        first = read_prob(value, at, scale, what)
        return {states[0]: first, states[1]: _complement(first)}
    fast = _plain_numbers(value, states)
    if fast is not None:
        return fast
    probs = _state_mapping(value, states, at, scale, what)
    missing = [s for s in states if s not in probs]
    if missing:
        raise InvalidValue(at, f"{what}: no probability for state(s) {', '.join(missing)}; "
                           f"give every state of {list(states)}")
    total = sum(p.value for p in probs.values())
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise InvalidValue(at, f"{what}: probabilities sum to {total:.6g}, not 1; argmap does not "
                           "normalise silently, so adjust them to sum to 1")
    return probs


def _state_mapping(value: LocDict, states: tuple[str, ...] | None, at: Location, scale: Scale,
                   what: str) -> dict[str, Prob]:
    probs: dict[str, Prob] = {}
    for key, raw in value.items():
        if states is not None and key not in states:
            raise InvalidValue(value.where(key), f"{what}: unknown state '{key}'" + did_you_mean(key, states))
        probs[key] = read_prob(raw, value.where(key), scale, f"{what}, state '{key}'")
    return probs


def _plain_numbers(value: dict, states: tuple[str, ...]) -> dict[str, Prob] | None:
    """A table row or prior of plain numbers for exactly the given states, summing to 1 — an
    imported network's every row — read without the general path; None for anything else
    (which the general path reads, and reports)."""
    cells = list(value.values())
    if len(cells) != len(states) or set(map(type, cells)) != _FLOATS:
        return None
    known = _STATE_SETS.get(states)
    if known is None:
        known = _STATE_SETS[states] = frozenset(states)
        if len(_STATE_SETS) > 4096:
            _STATE_SETS.clear()
    if not value.keys() <= known or not (0.0 <= min(cells) and max(cells) <= 1.0):
        return None
    if abs(sum(cells) - 1.0) > SUM_TOLERANCE:  # a NaN fails here too
        return None
    if 0.0 in cells and min(map(math.copysign, itertools.repeat(1.0), cells)) < 0:
        # -0.0, which the cache cannot tell from its 0.0 (equal keys), written apart
        return {key: (_EXACT.get(v) or _exact(v)) if v else Prob(v, v, scalar_text(v)) for key, v in value.items()}
    found = list(map(_EXACT.get, cells))  # in C: a cell a dictionary look-up
    if not all(found):  # (a Prob is true, a miss None)
        found = [p or _exact(v) for p, v in zip(found, cells)]
    return dict(zip(value, found))


def _exact(number: float) -> Prob:
    found = Prob(number, number, scalar_text(number))
    if len(_EXACT) < 1 << 16:
        _EXACT[number] = found
    return found


_EXACT: dict[float, Prob] = {0.0: Prob(0.0, 0.0, "0.0")}  # Prob is immutable: one per distinct number of an imported table
_STATE_SETS: dict[tuple[str, ...], frozenset[str]] = {}
_FLOATS = {float}
_ROW_KEYS: dict[str, tuple[str, ...]] = {}  # a table row's key → its parents' states

def _id_list(value: Any, at: Location, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidValue(at, f"{what}: expected a list of claim ids, e.g. [a, b]")
    if len(set(value)) != len(value):
        raise InvalidValue(at, f"{what}: an id is listed twice")
    return tuple(value)


def _text(value: Any, at: Location, what: str) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return scalar_text(value)
    raise InvalidValue(at, f"{what}: expected text")


def _check_keys(mapping: LocDict, allowed: Sequence[str], what: str) -> list[Problem]:
    return [
        Problem(mapping.where(key), f"unknown key '{key}' in {what}" + did_you_mean(key, allowed))
        for key in mapping
        if key not in allowed
    ]


def _check_id(identifier: str, at: Location, what: str) -> None:
    if not ID_PATTERN.match(identifier):
        suggestion = re.sub(r"[^a-z0-9_]+", "_", identifier.lower()).strip("_")
        if not suggestion or not suggestion[0].isalpha():
            suggestion = "x_" + suggestion
        raise InvalidValue(at, f"{what} '{identifier}' is not a valid id: use lower-case letters, "
                           f"digits and _, starting with a letter (e.g. '{suggestion}')")


_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\Z")


def parse_date(value: Any, at: Location | None = None) -> EvidenceDate:
    """``2014``, ``2014-11`` or ``2014-11-20`` → EvidenceDate; a problem names the bad date."""
    import datetime as dt

    at = at or Location("<argument>")
    if isinstance(value, dt.date):
        return EvidenceDate(value.year, value.month, value.day)
    text = scalar_text(value).strip()
    match = _DATE.match(text)
    hint = "write YYYY, YYYY-MM or YYYY-MM-DD, e.g. 2014-11 or 2014-11-20"
    if not match:
        raise InvalidValue(at, f"bad date '{text}': {hint}")
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        dt.date(year, 1 if month is None else month, 1 if day is None else day)
    except ValueError as exc:
        raise InvalidValue(at, f"bad date '{text}': {exc}; {hint}") from None
    return EvidenceDate(year, month, day)


# ----------------------------------------------------------------------------- the model file


class _ModelReader:
    def __init__(self, path: str, problems: list[Problem], unreadable: set[str]):
        self.path = os.path.abspath(path)
        self.shown_path = path
        self.problems = problems
        self.unreadable = unreadable
        self.scale = SCALES["icd203"]
        self.evidence_paths: list[tuple[str, Location]] = []
        self.evidence_written = False

    def read(self, doc: Any) -> Model | None:
        top = Location(self.shown_path, 1)
        if not isinstance(doc, dict):
            self.problems.append(Problem(top, "a model file is a mapping with keys 'argmap: 1' and "
                                              "'claims:'; see docs/model-format.md"))
            return None
        self.problems.extend(_check_keys(doc, MODEL_KEYS, "the model"))
        version = doc.get("argmap")
        if version is None:
            self.problems.append(Problem(top, "missing 'argmap: 1' (the format version) at the top"))
        elif version != FORMAT_VERSION or isinstance(version, bool):
            self.problems.append(Problem(doc.where("argmap"), f"format version {version!r} is not "
                                         f"supported; this argmap reads 'argmap: {FORMAT_VERSION}'"))
        self._scale(doc)
        uncertainty = self._uncertainty(doc)
        meta = {k: self._guard(lambda k=k: _text(doc[k], doc.where(k), k), default="")
                for k in ("title", "question", "hypothesis", "theory") if k in doc}
        authors = doc.get("authors", ())
        if isinstance(authors, str):
            authors = [authors]
        if not isinstance(authors, list | tuple) or not all(isinstance(a, str) for a in authors):
            self.problems.append(Problem(doc.where("authors"), "'authors' is a name or a list of names, "
                                                               "e.g. [Ada Lovelace, Alan Turing]"))
            authors = ()
        sources = self._sources(doc)
        claims = self._claims(doc)
        accounts = self._accounts(doc)
        self._evidence_paths(doc)
        bibliography, bib = self._bibliography(doc)
        return Model(
            path=self.shown_path,
            claims=claims,
            sources=sources,
            authors=tuple(authors),
            scale=self.scale.name,
            uncertainty=uncertainty,
            bibliography=bibliography,
            location=top,
            key_locations=doc.key_locations,
            bib_keys=bib.keys if bib is not None else None,
            bib=bib,
            causal_claims=self._guard(lambda: _causal_claims(doc), default=()),
            accounts=accounts,
            milestones=self._guard(lambda: _milestones(doc), default=()),
            **meta,
        )

    def _guard(self, read: Any, default: Any = None) -> Any:
        try:
            return read()
        except InvalidValue as exc:
            self.problems.append(exc.problem)
            return default

    def _uncertainty(self, doc: LocDict) -> float:
        """The half-width in log-odds of a bare number's range (DESIGN §3); default 0.5."""
        value = doc.get("uncertainty", DEFAULT_UNCERTAINTY)
        if (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
                or not 0 <= value <= MAX_UNCERTAINTY):
            self.problems.append(Problem(doc.where("uncertainty"), f"uncertainty: {scalar_text(value)!r} is not a "
                                         f"half-width in log-odds; write a number from 0 (bare numbers exact) to "
                                         f"{MAX_UNCERTAINTY:g}, e.g. uncertainty: 0.5 (0.5 reads as 0.38–0.62)"))
            return DEFAULT_UNCERTAINTY
        return float(value)

    def _scale(self, doc: LocDict) -> None:
        name = doc.get("scale", "icd203")
        if isinstance(name, str) and name.lower() in SCALES:
            self.scale = SCALES[name.lower()]
        else:
            self.problems.append(Problem(doc.where("scale"), f"unknown scale '{name}'"
                                         + did_you_mean(str(name), SCALES)))

    def _sources(self, doc: LocDict) -> dict[str, Source]:
        raw = doc.get("sources") or {}
        if not isinstance(raw, dict):
            self.problems.append(Problem(doc.where("sources"), "'sources' is a mapping: id → {text, reliability}"))
            return {}
        sources: dict[str, Source] = {}
        for sid, body in raw.items():
            at = raw.where(sid)
            try:
                _check_id(sid, at, "source id")
                if not isinstance(body, dict):
                    raise InvalidValue(at, f"source '{sid}' must be a mapping with 'text' and 'reliability'")
                self.problems.extend(_check_keys(body, SOURCE_KEYS, f"source '{sid}'"))
                if "reliability" not in body:
                    raise InvalidValue(at, f"source '{sid}' has no 'reliability'; write e.g. 'reliability: 0.7' or 'reliability: B'")
                sources[sid] = Source(
                    id=sid,
                    text=_text(body.get("text", ""), body.where("text"), "text"),
                    reliability=reliability(body["reliability"], body.where("reliability"), self.scale),
                    random_yes=read_prob(body.get("random_yes", 0.5), body.where("random_yes"), self.scale,
                                     f"source '{sid}': random_yes"),
                    location=at,
                )
            except InvalidValue as exc:
                self.problems.append(exc.problem)
                self.unreadable.add(sid)
        return sources

    def _accounts(self, doc: LocDict) -> dict[str, Account]:
        """``accounts:`` name → {claim: state}; which claims and states exist is checked by validate."""
        raw = doc.get("accounts")
        if raw is None:
            return {}
        hint = "e.g. accounts: {paper: {cooperation: true, driver: threat_balancing}}"
        if not isinstance(raw, dict):
            self.problems.append(Problem(doc.where("accounts"), f"'accounts' is a mapping: name → {{claim: state}}; {hint}"))
            return {}
        accounts: dict[str, Account] = {}
        for name, body in raw.items():
            at = raw.where(name)
            try:
                _check_id(str(name), at, "account name")
                if not isinstance(body, dict) or not body:
                    raise InvalidValue(at, f"account '{name}' is a mapping claim → state, the conjunction the "
                                           f"story asserts; {hint}")
                states = {}
                for cid, state in body.items():
                    if isinstance(state, dict | list) or state is None:
                        raise InvalidValue(body.where(cid), f"account '{name}': '{cid}' takes one state, e.g. "
                                                            f"{cid}: true")
                    states[str(cid)] = scalar_text(state)
                accounts[name] = Account(name, states, at, body.key_locations)
            except InvalidValue as exc:
                self.problems.append(exc.problem)
        return accounts

    def _claims(self, doc: LocDict) -> dict[str, Claim]:
        raw = doc.get("claims")
        if not isinstance(raw, dict) or not raw:
            self.problems.append(Problem(doc.where("claims"), "a model needs 'claims:', a mapping of "
                                         "claim id → {text, role, prior | supported_by | given+table}"))
            return {}
        claims: dict[str, Claim] = {}
        for cid, body in raw.items():
            try:
                claims[cid] = self._claim(cid, body, raw.where(cid))
            except InvalidValue as exc:
                self.problems.append(exc.problem)
                self.unreadable.add(cid)
        return claims

    def _claim(self, cid: str, body: Any, at: Location) -> Claim:
        _check_id(cid, at, "claim id")
        if not isinstance(body, dict):
            raise InvalidValue(at, f"claim '{cid}' must be a mapping with at least 'text' and a prior")
        self.problems.extend(_check_keys(body, CLAIM_KEYS, f"claim '{cid}'"))
        role = body.get("role", "factor")
        if not isinstance(role, str) or role not in ROLES:
            raise InvalidValue(body.where("role"), f"claim '{cid}': unknown role '{role}'" + did_you_mean(str(role), ROLES))
        states = read_states(body, cid)
        return Claim(
            id=cid,
            text=_text(body.get("text", ""), body.where("text"), f"claim '{cid}': text"),
            role=role,
            states=states,
            distribution=self._claim_distribution(cid, body, states, at),
            location=at,
            key_locations=body.key_locations,
            label=_text(body.get("label", ""), body.where("label"), f"claim '{cid}': label"),
            coupling=_coupling(body, cid),
        )

    def _claim_distribution(self, cid: str, body: LocDict, states: tuple[str, ...], at: Location):
        ways = [w for w, keys in (("prior", ("prior",)), ("supported_by/attacked_by", ("supported_by", "attacked_by")),
                                  ("given+table", ("given", "table"))) if any(k in body for k in keys)]
        if len(ways) != 1:
            found = " and ".join(ways) if ways else "none"
            raise InvalidValue(at, f"claim '{cid}' needs exactly one of prior, supported_by/attacked_by "
                               f"(noisy-OR) or given+table; found {found}")
        if "leak" in body and ways[0] != "supported_by/attacked_by":
            raise InvalidValue(body.where("leak"), f"claim '{cid}': 'leak' belongs with supported_by/attacked_by")
        for key in ("supports", "attacks"):
            if key in body and ways[0] != "given+table":
                raise InvalidValue(body.where(key), f"claim '{cid}': '{key}' declares the direction of a "
                                                f"table's parents; it belongs with given+table")
        if ways[0] == "prior":
            return PriorDist(_distribution(body["prior"], states, body.where("prior"), self.scale, f"claim '{cid}': prior"))
        if ways[0] == "given+table":
            table = read_table(body, states, self.scale, f"claim '{cid}'")
            supports = _id_list(body.get("supports", []), body.where("supports"), "supports")
            attacks = _id_list(body.get("attacks", []), body.where("attacks"), "attacks")
            return attrs.evolve(table, supports=supports, attacks=attacks)
        if states != BINARY:
            raise InvalidValue(at, f"claim '{cid}': supported_by/attacked_by (noisy-OR) needs a true/false "
                               f"claim; for states {list(states)} write given + table")
        strengths = {}
        for key in ("supported_by", "attacked_by"):
            value = body.get(key, {})
            if not isinstance(value, dict):
                raise InvalidValue(body.where(key), f"claim '{cid}': {key} is a mapping claim id → strength, "
                                                f"e.g. {{us_threat: 0.6}}")
            strengths[key] = {pid: read_prob(s, value.where(pid), self.scale, f"claim '{cid}': {key} {pid}")
                              for pid, s in value.items()}
        both = set(strengths["supported_by"]) & set(strengths["attacked_by"])
        if both:
            raise InvalidValue(at, f"claim '{cid}': {', '.join(sorted(both))} both supports and attacks it; "
                               "keep one (for a mixed effect write given + table)")
        leak = read_prob(body.get("leak", 0.05), body.where("leak"), self.scale, f"claim '{cid}': leak")
        return NoisyOr(strengths["supported_by"], strengths["attacked_by"], leak)

    def _evidence_paths(self, doc: LocDict) -> None:
        base = os.path.dirname(self.path)
        if "evidence" in doc:
            self.evidence_written = True
            value = doc["evidence"]
            at = doc.where("evidence")
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self.problems.append(Problem(at, "'evidence' is a list of files or folders"))
                return
            self.evidence_paths = [
                (os.path.normpath(os.path.join(base, v)), value.where(i) if isinstance(value, LocList) else at)
                for i, v in enumerate(value)
            ]
        else:
            name = os.path.splitext(os.path.basename(self.path))[0]
            self.evidence_paths = [(os.path.normpath(os.path.join(base, "..", "evidence", name)), Location(self.shown_path))]

    def _bibliography(self, doc: LocDict) -> tuple[str | None, Any]:
        if "bibliography" not in doc:
            return None, None
        at = doc.where("bibliography")
        value = doc["bibliography"]
        if not isinstance(value, str):
            self.problems.append(Problem(at, "'bibliography' is the path of a BibTeX file"))
            return None, None
        path = os.path.normpath(os.path.join(os.path.dirname(self.path), value))
        try:
            from argmap.loader.bibliography import read

            return path, read(path, at)
        except ArgmapError as exc:
            self.problems.extend(exc.problems)
            return path, None


def _causal_claims(doc: LocDict) -> tuple[tuple[str, str, Location], ...]:
    """``causal_claims: [{cause: X[=STATE], effect: Y[=STATE]}, ...]`` (docs/causal.md)."""
    raw = doc.get("causal_claims", [])
    shape = ("'causal_claims' is a list of {cause: CLAIM[=STATE], effect: CLAIM[=STATE]}, e.g. "
             "[{cause: us_threat, effect: cooperation}]")
    if not isinstance(raw, list):
        raise InvalidValue(doc.where("causal_claims"), shape)
    out = []
    for entry in raw:
        at = getattr(entry, "location", None) or doc.where("causal_claims")
        if not isinstance(entry, dict) or set(entry) != {"cause", "effect"} or not all(
                isinstance(entry[k], str) for k in ("cause", "effect")):
            raise InvalidValue(at, shape)
        out.append((entry["cause"], entry["effect"], entry.where("cause")))
    return tuple(out)


def _milestones(doc: LocDict) -> tuple[Milestone, ...]:
    """``milestones: [{date: DATE, label: TEXT}, ...]`` → in date order (docs/model-format.md)."""
    raw = doc.get("milestones", [])
    shape = ("'milestones' is a list of {date: YYYY[-MM[-DD]], label: TEXT}, e.g. "
             "[{date: 2017-12, label: when the paper was written}]")
    if not isinstance(raw, list):
        raise InvalidValue(doc.where("milestones"), shape)
    found: dict[EvidenceDate, Milestone] = {}
    for entry in raw:
        at = getattr(entry, "location", None) or doc.where("milestones")
        if isinstance(entry, dict) and {"date", "label"} < set(entry):
            extra = ", ".join(f"'{k}'" for k in entry if k not in ("date", "label"))
            raise InvalidValue(at, f"a milestone has only 'date' and 'label', not {extra}; a label with a comma "
                                   "or a colon needs quotes, e.g. {date: 2017-12, label: \"up to 2017, the paper's "
                                   "period\"}")
        if not isinstance(entry, dict) or set(entry) != {"date", "label"} or not isinstance(entry["label"], str) \
                or not entry["label"].strip():
            raise InvalidValue(at, shape)
        date = parse_date(entry["date"], entry.where("date"))
        if date in found:
            raise InvalidValue(entry.where("date"), f"milestone {date} is written twice (first on line "
                                                    f"{found[date].location.line}); give each date once")
        found[date] = Milestone(date, " ".join(entry["label"].split()), entry.where("date"))
    return tuple(sorted(found.values(), key=lambda m: (m.date.first_day, m.date.last_day)))


COUPLINGS = ("comonotone",)


def _coupling(body: LocDict, cid: str) -> str:
    """A table claim's assumed counterfactual coupling (docs/causal.md); '' when none is assumed."""
    if "coupling" not in body:
        return ""
    value = body["coupling"]
    if "table" not in body:
        raise InvalidValue(body.where("coupling"), f"claim '{cid}': 'coupling' belongs with given + table (a "
                           "noisy-OR claim's mechanisms are already defined)")
    if value not in COUPLINGS:
        raise InvalidValue(body.where("coupling"), f"claim '{cid}': unknown coupling '{value}'; write "
                           "'coupling: comonotone' (the only assumption argmap knows) or leave it out")
    return value


def read_states(body: LocDict, cid: str) -> tuple[str, ...]:
    if "states" not in body:
        return BINARY
    raw = body["states"]
    at = body.where("states")
    if not isinstance(raw, list) or len(raw) < 2:
        raise InvalidValue(at, f"claim '{cid}': states is a list of two or more names, e.g. [low, medium, high]")
    if len(raw) > MAX_STATES:
        raise InvalidValue(at, f"claim '{cid}': {len(raw):,} states; a claim has up to {MAX_STATES:,} states "
                           "(merge states, or model the quantity in ranges)")
    states = tuple(scalar_text(s) for s in raw)
    for s in states:
        if not s or "," in s or s != s.strip():
            raise InvalidValue(at, f"claim '{cid}': state name {s!r} must be non-empty, without commas "
                               "or surrounding spaces")
    if len(set(states)) != len(states):
        raise InvalidValue(at, f"claim '{cid}': a state is listed twice in {list(states)}")
    return states


def read_table(body: LocDict, states: tuple[str, ...], scale: Scale, what: str) -> Table:
    """``given: [a, b]`` + ``table: {"s_a, s_b": P(first state) | {state: p}}``."""
    if "given" not in body or "table" not in body:
        missing = "table" if "given" in body else "given"
        raise InvalidValue(body.location, f"{what}: 'given' and 'table' go together; '{missing}' is missing")
    parents = _id_list(body["given"], body.where("given"), f"{what}: given")
    if not parents:
        raise InvalidValue(body.where("given"), f"{what}: 'given' names no parent; for no parents write prior")
    raw = body["table"]
    if not isinstance(raw, dict) or not raw:
        raise InvalidValue(body.where("table"), f"{what}: 'table' is a mapping from parent states, e.g. "
                                            f"\"true, false\": 0.8")
    rows: dict[tuple[str, ...], dict[str, Prob]] = {}
    locations: dict[tuple[str, ...], Location] = {}
    written_at = raw.key_locations
    for key, value in raw.items():
        at = written_at.get(key) or raw.location
        row = _ROW_KEYS.get(key)
        if row is None:  # the same rows head table after table
            row = tuple(map(str.strip, key.split(",")))
            if len(_ROW_KEYS) < 1 << 16:
                _ROW_KEYS[key] = row
        if len(row) != len(parents):
            raise InvalidValue(at, f"{what}: row '{key}' names {len(row)} state(s) but given has "
                               f"{len(parents)} ({', '.join(parents)}); write the parents' states in "
                               f"that order, separated by commas")
        if row in rows:
            raise InvalidValue(at, f"{what}: row '{key}' is written twice (first on line {locations[row].line})")
        shared = getattr(value, "flow_row", None)
        probs = shared.derived.get(states) if shared is not None else None
        if probs is None:
            probs = _plain_numbers(value, states) if shared is not None else None
            if probs is not None:  # plain numbers mean the same on every row and under every scale
                shared.derived[states] = probs
            else:
                probs = _distribution(value, states, at, scale, f"{what}, row '{key}'")
        rows[row] = dict(probs)  # each row its own mapping, as when read one by one
        locations[row] = at
    return Table(parents, rows, locations)


def reliability(value: Any, at: Location, scale: Scale) -> Prob:
    """A reliability: a probability, or an Admiralty letter A–F."""
    if isinstance(value, str) and value.strip().upper() in ADMIRALTY and len(value.strip()) == 1:
        letter = value.strip().upper()
        return Prob(ADMIRALTY[letter], ADMIRALTY[letter], letter)
    try:
        return read_prob(value, at, scale, "reliability")
    except InvalidValue as exc:
        raise InvalidValue(at, exc.problem.message + "; or an Admiralty letter A–F") from None


def bibtex_keys(path: str, at: Location) -> frozenset[str]:
    """The entry keys of a BibTeX file (:mod:`argmap.loader.bibliography` parses it; its errors are problems)."""
    from argmap.loader.bibliography import read

    return read(path, at).keys


# ----------------------------------------------------------------------------- evidence files


def _read_evidence_file(path: str, model: Model, problems: list[Problem], unreadable: set[str]) -> list[EvidenceItem]:
    shown = os.path.relpath(path) if not os.path.isabs(model.path) else path
    try:
        doc = read_yaml(read_text(path), shown)
    except ArgmapError as exc:
        problems.extend(exc.problems)
        return []
    if doc is None:
        return []
    if isinstance(doc, dict):
        entries = LocList([doc])
        entries.location = doc.location
        entries.item_locations = [doc.location]
        doc = entries
    if not isinstance(doc, list):
        problems.append(Problem(Location(shown, 1), "an evidence file holds one item (a mapping) or a list of items"))
        return []
    reader = ItemReader(model, problems)
    items = []
    for index, body in enumerate(doc):
        at = doc.where(index)
        try:
            items.append(reader.read(body, at))
        except InvalidValue as exc:
            problems.append(exc.problem)
            if isinstance(body, dict) and isinstance(body.get("id"), str):
                unreadable.add(body["id"])
    return items


class ItemReader:
    def __init__(self, model: Model, problems: list[Problem]):
        self.model = model
        self.scale = SCALES[model.scale]
        self.problems = problems

    def read(self, body: Any, at: Location) -> EvidenceItem:
        if not isinstance(body, dict):
            raise InvalidValue(at, "an evidence item is a mapping with id, text, bears_on and likelihood (or observe)")
        if "id" not in body:
            raise InvalidValue(at, "evidence item without 'id'; give each item a unique id such as s400_contract")
        iid = _text(body["id"], body.where("id"), "id")
        _check_id(iid, body.where("id"), "evidence id")
        at = body.where("id")
        self.problems.extend(_check_keys(body, ITEM_KEYS, f"evidence item '{iid}'"))
        what = f"evidence '{iid}'"
        observed = self._flag(body, "observed", True, what)
        expected = self._flag(body, "expected", False, what)
        if "source" in body and "reliability" in body:
            raise InvalidValue(body.where("reliability"), f"{what}: give either 'source' (whose reliability it "
                                                      f"shares) or its own 'reliability', not both")
        if "lr" in body and ("reliability" in body or "source" in body):
            # mixing with an unreliable source uses the levels P(E|H), P(E|not H), which a ratio
            # does not state (DESIGN §4): lr 3 is {0.75, 0.25} or {0.03, 0.01}, and they differ
            key = "reliability" if "reliability" in body else "source"
            ratio = body["lr"]
            example = (f"{{true: {ratio / (1 + ratio):.3g}, false: {1 / (1 + ratio):.3g}}}"
                       if isinstance(ratio, int | float) and not isinstance(ratio, bool) and ratio > 0 else "{true: 0.75, false: 0.25}")
            raise InvalidValue(body.where("lr"), f"{what}: lr does not go with '{key}': an unreliable report mixes "
                               "the levels P(E|true) and P(E|false), which a ratio does not state; write "
                               f"likelihood: {{true: P(E|true), false: P(E|false)}} instead (e.g. {example})")
        cite = body.get("cite", ())
        cite = (cite,) if isinstance(cite, str) else cite
        if not isinstance(cite, list | tuple) or not all(isinstance(c, str) for c in cite):
            raise InvalidValue(body.where("cite"), f"{what}: cite is a BibTeX key or a list of keys")
        return EvidenceItem(
            id=iid,
            text=_text(body.get("text", ""), body.where("text"), f"{what}: text"),
            bearing=self._bearing(body, iid, observed, what),
            location=at,
            date=parse_date(body["date"], body.where("date")) if body.get("date") is not None else None,
            cite=tuple(cite),
            url=self._optional_text(body, "url", what),
            quote=self._optional_text(body, "quote", what),
            page=self._optional_text(body, "page", what),
            source=self._optional_text(body, "source", what),
            reliability=reliability(body["reliability"], body.where("reliability"), self.scale)
            if "reliability" in body else None,
            observed=observed,
            expected=expected,
            key_locations=body.key_locations,
        )

    def _flag(self, body: LocDict, key: str, default: bool, what: str) -> bool:
        value = body.get(key, default)
        if not isinstance(value, bool):
            raise InvalidValue(body.where(key), f"{what}: {key} is true or false, not {scalar_text(value)!r}")
        return value

    def _optional_text(self, body: LocDict, key: str, what: str) -> str | None:
        return _text(body[key], body.where(key), f"{what}: {key}") if body.get(key) is not None else None

    def _bearing(self, body: LocDict, iid: str, observed: bool, what: str):
        ways = [k for k in ("likelihood", "lr", "test", "table", "observe") if k in body]
        if "given" in body and "table" not in body:
            ways.append("given")
        if len(ways) != 1:
            found = " and ".join(ways) if ways else "none"
            raise InvalidValue(body.where("id"), f"{what} needs exactly one of likelihood, lr, test, "
                                             f"given+table or observe; found {found}")
        way = ways[0]
        if way == "observe":
            return self._observe(body, what)
        if "for" in body and way != "test":
            raise InvalidValue(body.where("for"), f"{what}: 'for' names the state a test is for; it goes with 'test'")
        if way in ("table", "given"):
            if "bears_on" in body:
                raise InvalidValue(body.where("bears_on"), f"{what}: a table item names its claims in "
                                                       f"'given', not 'bears_on'")
            return read_table(body, BINARY, self.scale, what)
        if "bears_on" not in body:
            raise InvalidValue(body.where("id"), f"{what}: which claim does it bear on? add 'bears_on: CLAIM'")
        target = _text(body["bears_on"], body.where("bears_on"), f"{what}: bears_on")
        if way == "likelihood":
            raw = body["likelihood"]
            if not isinstance(raw, dict):
                raise InvalidValue(body.where("likelihood"), f"{what}: likelihood is a mapping "
                                                         "state → P(this observation | state), e.g. {true: 0.7, false: 0.2}")
            return Likelihood(target, _state_mapping(raw, None, body.where("likelihood"), self.scale,
                                                     f"{what}: likelihood"))
        if way == "lr":
            return self._lr(body, target, observed, what)
        test = body["test"]
        if not isinstance(test, str) or test not in TESTS:
            raise InvalidValue(body.where("test"), f"{what}: unknown test '{test}'" + did_you_mean(str(test), TESTS))
        for_state = scalar_text(body["for"]) if "for" in body else "true"
        return VanEveraTest(target, test, for_state)

    def _lr(self, body: LocDict, target: str, observed: bool, what: str) -> Likelihood:
        ratio = body["lr"]
        at = body.where("lr")
        if not observed:
            raise InvalidValue(at, f"{what}: lr fixes only P(E|true)/P(E|false), which says nothing about an "
                               "absent item; write likelihood: {true: P(E|true), false: P(E|false)}")
        if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not math.isfinite(ratio) or ratio <= 0:
            raise InvalidValue(at, f"{what}: lr is a positive number P(E|true)/P(E|false), e.g. 8 or 0.25")
        ratio = float(ratio)
        return Likelihood(target, {"true": Prob.exactly(ratio / (1 + ratio)),
                                   "false": Prob.exactly(1 / (1 + ratio))}, stated_as="lr")

    def _observe(self, body: LocDict, what: str) -> Observation:
        raw = body["observe"]
        for key in ("bears_on", "reliability", "source", "observed", "for"):
            if key in body:
                raise InvalidValue(body.where(key), f"{what}: '{key}' does not go with 'observe' (hard evidence "
                                                "states what is known); for uncertain evidence write bears_on + likelihood")
        if not isinstance(raw, dict) or not raw:
            raise InvalidValue(body.where("observe"), f"{what}: observe is a mapping claim → state, e.g. {{sanctions: true}}")
        return Observation({cid: scalar_text(state) for cid, state in raw.items()})
