"""Bounds → Hypothesis strategies for valid argmap models, claims and evidence: the private
implementation behind the public facade :mod:`argmap.testing`.

Models are generated as documents (the plain data a model file and its evidence files hold),
written to a scratch folder and read back with :func:`argmap.loader.reader`, so that every generated
:class:`~argmap.Model` went through the same loader and validator as a user's files. Evidence
items for a given model are read by the loader's item reader and checked by the validator
against that model. Every choice is ordered simplest first, so that a failing example shrinks
to a small model a researcher can read: few binary claims with priors, round numbers, few items.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import yaml
from hypothesis import note
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from argmap.errors import ArgmapError, did_you_mean
from argmap.model import (
    BINARY,
    ROLES,
    TESTS,
    Claim,
    EvidenceItem,
    Likelihood,
    Model,
    NoisyOr,
    Observation,
    PriorDist,
    Prob,
    Source,
    Table,
)
from argmap.scales import ADMIRALTY, SCALES

PLACES = 4  # probabilities are drawn with at most four decimals, as a researcher writes them
_UNIT = 10**PLACES
#: round values tried first, so that shrunk examples read 0.5, 0.4, 0.6 … rather than 0.0137
_ROUND = (5000, 4000, 6000, 3000, 7000, 2000, 8000, 1000, 9000)
#: probabilities inside generated models stay away from 0 and 1: no evidence is ever impossible
MODEL_LOW, MODEL_HIGH = 0.01, 0.99
STATE_NAMES = {2: ("yes", "no"), 3: ("lo", "mid", "hi")}
TEST_NAMES = tuple(TESTS)
ITEM_KINDS = ("likelihood", "lr", "test", "table", "observe")
GENERATED_FILE = "<argmap.testing>"


# ----------------------------------------------------------------------------- argument checks


def check_type(value: Any, kinds: type | tuple[type, ...], name: str) -> None:
    if not isinstance(value, kinds) or (isinstance(value, bool) and kinds is int):
        wanted = " or ".join(k.__name__ for k in (kinds if isinstance(kinds, tuple) else (kinds,)))
        raise InvalidArgument(f"{name}={value!r} must be of type {wanted}, not {type(value).__name__}")


def check_count(value: Any, name: str, *, at_least: int = 0) -> None:
    check_type(value, int, name)
    if value < at_least:
        raise InvalidArgument(f"{name}={value} must be at least {at_least}")


def check_order(low: int | float, high: int | float, low_name: str, high_name: str) -> None:
    if low > high:
        raise InvalidArgument(f"{low_name}={low} is greater than {high_name}={high}; "
                              f"{low_name} must not exceed {high_name}")


def check_unit(value: Any, name: str) -> float:
    check_type(value, (int, float), name)
    if isinstance(value, bool) or not math.isfinite(value) or not 0 <= value <= 1:
        raise InvalidArgument(f"{name}={value!r} must be a probability, a number from 0 to 1")
    return float(value)


def check_scale(scale: Any) -> str:
    check_type(scale, str, "scale")
    if scale.lower() not in SCALES:
        raise InvalidArgument(f"scale={scale!r} is not a verbal scale of argmap"
                              + (did_you_mean(scale.lower(), SCALES) or f"; use one of {', '.join(SCALES)}"))
    return scale.lower()


def check_model(model: Any) -> Model:
    if not isinstance(model, Model):
        raise InvalidArgument(f"model={model!r} must be an argmap.Model (from argmap.loader.reader), "
                              f"not {type(model).__name__}")
    return model


def check_strategy(value: Any, name: str) -> None:
    if not isinstance(value, SearchStrategy):
        raise InvalidArgument(f"{name}={value!r} must be a Hypothesis strategy (wrap a fixed value "
                              f"in hypothesis.strategies.just), not {type(value).__name__}")


# ----------------------------------------------------------------------------- probabilities


@functools.lru_cache(maxsize=None)
def probabilities(min_value: float = 0.0, max_value: float = 1.0) -> SearchStrategy[float]:
    low, high = check_unit(min_value, "min_value"), check_unit(max_value, "max_value")
    check_order(low, high, "min_value", "max_value")
    first, last = math.ceil(low * _UNIT - 1e-9), math.floor(high * _UNIT + 1e-9)
    if first > last:
        raise InvalidArgument(f"no probability with {PLACES} decimals lies in [{min_value}, {max_value}]; "
                              "widen the bounds")
    round_ones = [k for k in _ROUND if first <= k <= last]
    units = st.integers(first, last)
    if round_ones:
        units = st.one_of(st.sampled_from(round_ones), units)
    return units.map(lambda k: k / _UNIT)


@functools.lru_cache(maxsize=None)
def verbal_probabilities(scale: str = "icd203") -> SearchStrategy[str]:
    return st.sampled_from(SCALES[check_scale(scale)].words)


@functools.lru_cache(maxsize=None)
def probability_ranges(min_value: float = 0.0, max_value: float = 1.0) -> SearchStrategy[list[float]]:
    ends = probabilities(min_value, max_value)
    return st.tuples(ends, ends).map(lambda pair: sorted(pair))


@functools.lru_cache(maxsize=None)
def _written_probabilities(scale: str, low: float = MODEL_LOW, high: float = MODEL_HIGH) -> SearchStrategy[Any]:
    """A probability as a model file may write it: a number, a word of the scale, a range or a
    percentage (numbers first: they shrink to the most readable files)."""
    return st.one_of(
        probabilities(low, high),
        verbal_probabilities(scale),
        probability_ranges(low, high),
        st.integers(math.ceil(low * 100), math.floor(high * 100)).map(lambda k: f"{k}%"),
    )


@functools.lru_cache(maxsize=None)
def _reliabilities(scale: str) -> SearchStrategy[Any]:
    return st.one_of(st.sampled_from(sorted(ADMIRALTY)), _written_probabilities(scale))


# ----------------------------------------------------------------------------- documents


@attrs.define
class CaseDocuments:
    """A generated case as the files a user would write: the model document, the evidence items
    and, when items cite, the BibTeX text of the bibliography."""

    model: dict[str, Any]
    evidence: list[dict[str, Any]]
    bibliography: str | None = None

    def write(self, root: str, *, files: int = 1) -> str:
        """Write ``root/models/case.yaml`` and the items over ``files`` files in
        ``root/evidence/case/``; return the model file's path."""
        check_count(files, "files", at_least=1)
        os.makedirs(os.path.join(root, "models"), exist_ok=True)
        folder = os.path.join(root, "evidence", "case")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(root, "models", "case.yaml")
        with open(path, "w", encoding="utf-8") as out:
            out.write(_yaml(self.model))
        for index in range(files):
            with open(os.path.join(folder, f"part{index}.yaml"), "w", encoding="utf-8") as out:
                out.write(_yaml(self.evidence[index::files]))
        if self.bibliography is not None:
            with open(os.path.join(folder, "references.bib"), "w", encoding="utf-8") as out:
                out.write(self.bibliography)
        return path

    def load(self) -> Model:
        """The case through :func:`argmap.loader.reader`, from a folder that lives as long as the process
        (so that ``model.path`` stays a real, loadable file)."""
        from argmap.loader.validate import load

        root = tempfile.mkdtemp(dir=_scratch())
        try:
            return load(self.write(root))
        except ArgmapError as exc:  # the generator promised a valid model
            raise RuntimeError("argmap.testing generated a case that argmap cannot load (a bug in "
                               f"argmap.testing; please report it):\n{exc}\n\n{self.text()}") from None

    def text(self) -> str:
        """The files as a researcher would read them."""
        parts = ["# models/case.yaml", _yaml(self.model).rstrip(), "# evidence/case/part0.yaml",
                 _yaml(self.evidence).rstrip()]
        if self.bibliography is not None:
            parts += ["# evidence/case/references.bib", self.bibliography.rstrip()]
        return "\n".join(parts)

    def as_dict(self) -> dict[str, Any]:
        case: dict[str, Any] = {"model": self.model, "evidence": self.evidence}
        if self.bibliography is not None:
            case["bibliography"] = self.bibliography
        return case

    @classmethod
    def from_dict(cls, case: Mapping[str, Any]) -> CaseDocuments:
        return cls(dict(case["model"]), list(case["evidence"]), case.get("bibliography"))


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter is several times faster


def _yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=100)


_SCRATCH: list[str] = []


def _scratch() -> str:
    """One scratch folder per process for generated cases, removed at exit."""
    if not _SCRATCH:
        _SCRATCH.append(tempfile.mkdtemp(prefix="argmap-testing-"))
        atexit.register(shutil.rmtree, _SCRATCH[0], True)
    return _SCRATCH[0]


@functools.lru_cache(maxsize=None)
def _ints(low: int, high: int) -> SearchStrategy[int]:
    return st.integers(low, high)


@functools.lru_cache(maxsize=None)
def _choices(options: tuple[Any, ...]) -> SearchStrategy[Any]:
    return st.sampled_from(options)


# strategies are built once: building one per draw costs more than drawing from it
_BOOLS = st.booleans()
_SHIFTS = st.floats(-1, 1, allow_nan=False)


def _sometimes(draw: st.DrawFn, one_in: int) -> bool:
    """True about once in ``one_in`` draws; False when shrunk, so that shrinking removes features."""
    return draw(_ints(1, one_in)) == one_in


def _note(text: str) -> None:
    try:
        note(text)
    except InvalidArgument:  # drawn outside a test, e.g. by .example()
        pass


# ----------------------------------------------------------------------------- claims
#
# A case is drawn as lists of context-free specs (one per claim, source and item), then resolved
# into documents. Lists let the shrinker delete a claim or an item outright; parents are
# distances back to earlier claims and targets are indices, so what follows a deleted element
# still resolves, and every number is drawn as a list that rows and parents cycle through.


def _state_tuples(draw: st.DrawFn, min_states: int, max_states: int) -> tuple[str, ...]:
    """true/false first; then two named states (not a true/false claim, so no noisy-OR); then more."""
    count = draw(_ints(min_states, max_states))
    if count == 2:
        return STATE_NAMES[2] if _sometimes(draw, 4) else BINARY
    return STATE_NAMES.get(count) or tuple(f"s{i + 1}" for i in range(count))


def _distribution_documents(draw: st.DrawFn, states: tuple[str, ...], scale: str) -> Any:
    """P(state) for every state as a model file writes it: P(first state) of a two-state claim
    (any written form), or a mapping of numbers or ranges that sums to 1."""
    if len(states) == 2 and not _sometimes(draw, 3):
        return draw(_written_probabilities(scale))
    weights = [draw(_ints(1, 20)) for _ in states]
    probs = [round(w / sum(weights), PLACES) for w in weights[:-1]]
    probs.append(round(1 - math.fsum(probs), PLACES))
    document: dict[str, Any] = {}
    for state, p in zip(states, probs):
        spread = round(draw(_ints(1, 9)) * min(p, 1 - p) / 10, PLACES) if _sometimes(draw, 4) else 0
        # a range centred on p (its midpoint is what inference uses), or p itself
        document[state] = [round(p - spread, PLACES), round(p + spread, PLACES)] if spread else p
    return document


@functools.lru_cache(maxsize=None)
def _distributions(states: tuple[str, ...], scale: str) -> SearchStrategy[Any]:
    return st.composite(lambda draw: _distribution_documents(draw, states, scale))()


def _row_keys(state_lists: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
    return list(itertools.product(*state_lists))


@attrs.frozen
class _ClaimSpec:
    """One claim before it knows its neighbours; :func:`_claim_document` places it."""

    states: tuple[str, ...]
    role: str
    label: bool
    # parents as (distance back to an earlier claim, polarity, noisy-OR strength); polarity −1
    # attacks (noisy-OR) or is a declared attack (table), +1 a declared support, 0 neither
    parents: tuple[tuple[int, int, Any], ...]
    noisy: bool  # noisy-OR where the claim and its parents are true/false
    leak: Any
    rows: tuple[Any, ...]  # distribution documents, cycled over the rows (the first is the prior)
    bases: tuple[int, ...]  # a declared table: logit P(first state) ×10, cycled over rows
    steps: tuple[int, ...]  # … and each declared parent's push ×10, cycled


@st.composite
def _claim_specs(draw: st.DrawFn, max_parents: int, max_states: int, reach: int, scale: str,
                 roles: tuple[str, ...], min_states: int = 2) -> _ClaimSpec:
    # only what the spec will use is drawn, and what belongs to a parent is drawn with it, so
    # that the shrinker can delete a parent, or a claim, as one piece
    states = _state_tuples(draw, min_states, max_states)
    written = _written_probabilities(scale)
    role = draw(_choices(roles))
    label = _sometimes(draw, 5)
    entries = st.tuples(_ints(1, max(reach, 1)), _choices((0, 1, -1)), written)
    parents = tuple(draw(st.lists(entries, unique_by=lambda e: e[0], max_size=max_parents)))
    noisy = bool(parents) and not _sometimes(draw, 2)
    leak = draw(written) if noisy and draw(_BOOLS) else None
    bases: tuple[int, ...] = (0,)
    steps: tuple[int, ...] = (3,)
    if parents and not noisy and any(polarity for _, polarity, _ in parents):
        bases = tuple(draw(st.lists(_ints(-15, 15), min_size=1, max_size=4)))
        steps = tuple(draw(st.lists(_ints(3, 10), min_size=1, max_size=max(max_parents, 1))))
    rows = tuple(draw(st.lists(_distributions(states, scale), min_size=1, max_size=4)))
    return _ClaimSpec(states, role, label, parents, noisy, leak, rows, bases, steps)


def _cycled(values: Sequence[Any], index: int) -> Any:
    return values[index % len(values)]


def _claim_document(spec: _ClaimSpec, cid: str, index: int, earlier: Sequence[str],
                    states_of: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    """A claim spec as the claim ``cid`` of a model whose earlier claims are ``earlier``."""
    body: dict[str, Any] = {"text": f"Claim {cid}", "role": spec.role}
    if spec.label:
        body["label"] = f"{cid} label"
    if spec.states != BINARY:
        body["states"] = list(spec.states)
    entries = {earlier[index - d]: (polarity, strength) for d, polarity, strength in spec.parents if index - d >= 0}
    parents = list(entries)
    if not parents:
        body["prior"] = spec.rows[0]
        return body
    if spec.noisy and spec.states == BINARY and all(states_of[p] == BINARY for p in parents):
        supporters = {p: s for p, (polarity, s) in entries.items() if polarity >= 0}
        attackers = {p: s for p, (polarity, s) in entries.items() if polarity < 0}
        if supporters:
            body["supported_by"] = supporters
        if attackers:
            body["attacked_by"] = attackers
        if spec.leak is not None:
            body["leak"] = spec.leak
        return body
    signs = {p: polarity for p, (polarity, _) in entries.items() if polarity and states_of[p] == BINARY}
    body["given"] = parents
    body["table"] = _table_rows(spec, parents, signs, states_of)
    if any(s > 0 for s in signs.values()):
        body["supports"] = [p for p in parents if signs.get(p) == 1]
    if any(s < 0 for s in signs.values()):
        body["attacks"] = [p for p in parents if signs.get(p) == -1]
    return body


def _table_rows(spec: _ClaimSpec, parents: Sequence[str], signs: Mapping[str, int],
                states_of: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    """Every row of a table; parents in ``signs`` push P(first state) up (+1) or down (−1) in
    every configuration of the others, so that declared supports/attacks hold."""
    rows = _row_keys([states_of[p] for p in parents])
    if not signs:
        return {", ".join(row): _cycled(spec.rows, k) for k, row in enumerate(rows)}
    # logit P(first state) = base (per configuration of the undeclared parents) + Σ sign·step
    free = [i for i, p in enumerate(parents) if p not in signs]
    configurations: dict[tuple[str, ...], int] = {}
    steps = {p: _cycled(spec.steps, k) / 10 for k, p in enumerate(signs)}
    states = spec.states
    table: dict[str, Any] = {}
    for row in rows:
        key = tuple(row[i] for i in free)
        base = _cycled(spec.bases, configurations.setdefault(key, len(configurations))) / 10
        logit = base + sum(signs[p] * steps[p] for p, s in zip(parents, row) if p in signs and s == "true")
        first = round(1 / (1 + math.exp(-logit)), PLACES)
        if len(states) == 2:
            table[", ".join(row)] = first
            continue
        rest = [round((1 - first) / (len(states) - 1), PLACES)] * (len(states) - 2)
        rest.append(round(1 - first - math.fsum(rest), PLACES))
        table[", ".join(row)] = dict(zip(states, [first, *rest]))
    return table


# ----------------------------------------------------------------------------- evidence items


@attrs.define
class _ItemContext:
    """What an item may refer to: the claims and their states, sources, citation keys."""

    claims: Mapping[str, tuple[str, ...]]
    sources: Sequence[str]
    cite_keys: Sequence[str]
    scale: str


@functools.lru_cache(maxsize=None)
def _dates() -> SearchStrategy[str]:
    years = st.integers(1990, 2030)
    return st.one_of(
        years.map(str),
        st.tuples(years, st.integers(1, 12)).map(lambda ym: f"{ym[0]}-{ym[1]:02d}"),
        st.tuples(years, st.integers(1, 12), st.integers(1, 28)).map(lambda d: f"{d[0]}-{d[1]:02d}-{d[2]:02d}"),
    )


_RATIOS = st.one_of(st.integers(1, 20), st.integers(1, 99).map(lambda k: k / 100),
                    st.integers(101, 2000).map(lambda k: k / 100))


@attrs.frozen
class _ItemSpec:
    """One evidence item before it knows the model; :func:`_item_document` places it."""

    kind: str
    target: int  # an index into the claims (or the allowed targets), taken modulo their number
    given: tuple[int, ...]  # a table item: the further claims it is given
    state: int  # observe / test `for`: an index into the target's states
    test_for: bool  # write `for` on a true/false target too
    values: tuple[Any, ...]  # written probabilities, cycled over likelihoods and table rows
    ratio: float
    test: str
    date: str | None
    absent: bool
    expected: bool
    source: int | None  # an index into the sources
    reliability: Any
    cite: int | None  # an index into the citation keys
    page: int | None
    url: bool
    quote: bool


@st.composite
def _item_specs(draw: st.DrawFn, scale: str, kinds: tuple[str, ...] = ITEM_KINDS) -> _ItemSpec:
    # only what the kind of item uses is drawn: fewer choices make shrinking faster
    kind = draw(_choices(kinds))
    target = draw(_ints(0, 50))
    given: tuple[int, ...] = ()
    state, test_for, ratio, test = 0, False, 1.0, TEST_NAMES[0]
    values: tuple[Any, ...] = (0.5,)
    if kind in ("observe", "test"):
        state = draw(_ints(0, 50))
    if kind == "test":
        test, test_for = draw(_choices(TEST_NAMES)), _sometimes(draw, 4)
    elif kind == "lr":
        ratio = draw(_RATIOS)
    if kind in ("likelihood", "table", "lr"):  # lr on a target that is not true/false: a likelihood
        values = tuple(draw(st.lists(_written_probabilities(scale), min_size=1, max_size=4)))
    if kind == "table":
        given = tuple(draw(st.lists(_ints(1, 50), max_size=1)))
    hard = kind == "observe"
    return _ItemSpec(
        kind=kind, target=target, given=given, state=state, test_for=test_for, values=values, ratio=ratio,
        test=test,
        date=draw(_dates()) if draw(_BOOLS) else None,
        absent=not hard and _sometimes(draw, 4),
        expected=not hard and _sometimes(draw, 8),
        source=draw(_ints(0, 50)) if not hard and draw(_BOOLS) else None,
        reliability=draw(_reliabilities(scale)) if not hard and _sometimes(draw, 3) else None,
        cite=draw(_ints(0, 50)) if draw(_BOOLS) else None,
        page=draw(_ints(1, 400)) if _sometimes(draw, 3) else None,
        url=_sometimes(draw, 3),
        quote=_sometimes(draw, 4),
    )


def _item_document(spec: _ItemSpec, iid: str, context: _ItemContext, pool: Sequence[str],
                   observed: dict[str, str]) -> dict[str, Any] | None:
    """An item spec as the item ``iid`` bearing on claims of ``pool``; None where it would observe
    a claim already in ``observed`` (claim → state, kept across one evidence set)."""
    claims = context.claims
    target = pool[spec.target % len(pool)]
    states = claims[target]
    item: dict[str, Any] = {"id": iid, "text": f"Item {iid}"}
    if spec.date:
        item["date"] = spec.date
    if spec.kind == "observe":
        if target in observed:
            return None
        observed[target] = states[spec.state % len(states)]
        item["observe"] = {target: observed[target]}
        _provenance(spec, item, context)
        return item
    if spec.kind == "lr" and states == BINARY:
        item["bears_on"] = target
        item["lr"] = spec.ratio
    elif spec.kind == "test":
        item["bears_on"] = target
        item["test"] = spec.test
        if states != BINARY or spec.test_for:
            item["for"] = states[spec.state % len(states)]
    elif spec.kind == "table":
        given = list(dict.fromkeys([target, *(pool[(spec.target + d) % len(pool)] for d in spec.given)]))
        item["given"] = given
        item["table"] = {", ".join(row): _cycled(spec.values, k)
                         for k, row in enumerate(_row_keys([claims[p] for p in given]))}
    else:
        item["bears_on"] = target
        item["likelihood"] = {s: _cycled(spec.values, k) for k, s in enumerate(states)}
    if "lr" not in item and spec.absent:
        item["observed"] = False  # looked for and not found
    if spec.expected:
        item["expected"] = True  # not looked for yet: a candidate for `argmap next`
    if "lr" in item:
        pass  # an lr states no levels for a reliability to mix with: never with a source (DESIGN §4)
    elif context.sources and spec.source is not None:
        item["source"] = context.sources[spec.source % len(context.sources)]
    elif spec.reliability is not None:
        item["reliability"] = spec.reliability
    _provenance(spec, item, context)
    return item


def _provenance(spec: _ItemSpec, item: dict[str, Any], context: _ItemContext) -> None:
    """Citation, URL, quote and page: each item its own, so that none looks like a duplicate."""
    if context.cite_keys and spec.cite is not None:
        item["cite"] = context.cite_keys[spec.cite % len(context.cite_keys)]
        if spec.page is not None:
            item["page"] = str(spec.page)
    if spec.url:
        item["url"] = f"https://example.org/{item['id']}"
    if spec.quote:
        item["quote"] = f"Quoted from the source of {item['id']}."


# ----------------------------------------------------------------------------- cases and models


def check_model_bounds(min_claims: int, max_claims: int, max_parents: int, max_states: int, min_items: int,
                       max_items: int, max_sources: int, scale: str | None) -> None:
    check_count(min_claims, "min_claims", at_least=1)
    check_count(max_claims, "max_claims", at_least=1)
    check_order(min_claims, max_claims, "min_claims", "max_claims")
    check_count(max_parents, "max_parents")
    check_count(max_states, "max_states", at_least=2)
    check_count(min_items, "min_items")
    check_count(max_items, "max_items")
    check_order(min_items, max_items, "min_items", "max_items")
    check_count(max_sources, "max_sources")
    if scale is not None:
        check_scale(scale)


_ROLES = ("hypothesis", "factor", "rival", *ROLES[3:])


@st.composite
def case_documents(draw: st.DrawFn, *, min_claims: int = 1, max_claims: int = 6, max_parents: int = 3,
                   max_states: int = 3, min_items: int = 0, max_items: int = 6, max_sources: int = 2,
                   scale: str | None = None) -> CaseDocuments:
    chosen_scale = scale.lower() if scale else draw(_choices(tuple(SCALES)))
    specs = draw(st.lists(_claim_specs(max_parents, max_states, max_claims - 1, chosen_scale, _ROLES),
                          min_size=min_claims, max_size=max_claims))
    claims: dict[str, dict[str, Any]] = {}
    states_of: dict[str, tuple[str, ...]] = {}
    for index, spec in enumerate(specs):
        cid = f"c{index}"
        states_of[cid] = spec.states
        claims[cid] = _claim_document(spec, cid, index, list(claims), states_of)
    sources: dict[str, dict[str, Any]] = {}
    for index in range(draw(_ints(0, max_sources))):
        sources[f"src{index}"] = {"text": f"Source {index}", "reliability": draw(_reliabilities(chosen_scale))}
        if draw(_BOOLS):
            sources[f"src{index}"]["random_yes"] = draw(_written_probabilities(chosen_scale))
    cite_keys = [f"ref{i}" for i in range(draw(_ints(1, 2)))] if _sometimes(draw, 3) else []
    context = _ItemContext(states_of, sorted(sources), cite_keys, chosen_scale)
    items: list[dict[str, Any]] = []
    observed: dict[str, str] = {}
    for index, item_spec in enumerate(draw(st.lists(_item_specs(chosen_scale), min_size=min_items,
                                                    max_size=max_items))):
        item = _item_document(item_spec, f"e{index}", context, list(states_of), observed)
        if item is not None:
            items.append(item)
    for index in range(len(items), min_items):  # observations that repeated a claim were left out
        target = list(states_of)[index % len(states_of)]
        items.append({"id": f"e{max_items + index}", "text": "Item", "bears_on": target,
                      "likelihood": {s: 0.5 for s in states_of[target]}})
    model: dict[str, Any] = {"argmap": 1, "title": "A generated case"}
    if chosen_scale != "icd203" or draw(_BOOLS):
        model["scale"] = chosen_scale
    bibliography = None
    if cite_keys:
        model["bibliography"] = "../evidence/case/references.bib"
        bibliography = "".join(f"@misc{{{k},\n  title = {{Reference {k}}},\n  year = {{2020}}\n}}\n"
                               for k in cite_keys)
    model["evidence"] = ["../evidence/case/"]
    if sources:
        model["sources"] = sources
    model["claims"] = claims
    return CaseDocuments(model, items, bibliography)


def _loaded(documents: CaseDocuments) -> Model:
    _note("argmap.testing drew this case:\n" + documents.text())
    return documents.load()


def models(**bounds: Any) -> SearchStrategy[Model]:
    return case_documents(**bounds).map(_loaded)


def claims(*, min_states: int, max_states: int, role: str | None, scale: str) -> SearchStrategy[Claim]:
    """Claims without parents (a prior), read through the loader as a one-claim model."""

    def loaded(spec: _ClaimSpec) -> Claim:
        body = _claim_document(spec, "c0", 0, [], {})
        _note("argmap.testing drew this claim:\n" + _yaml({"c0": body}))
        documents = CaseDocuments({"argmap": 1, "scale": scale, "evidence": [], "claims": {"c0": body}}, [])
        return documents.load().claims["c0"]

    roles = (role,) if role else _ROLES
    return _claim_specs(0, max_states, 0, scale, roles, min_states).map(loaded)


# ----------------------------------------------------------------------------- evidence for a model


def _model_ids(model: Model) -> set[str]:
    return {*model.claims, *model.sources, *(i.id for i in model.evidence)}


def _context(model: Model) -> _ItemContext:
    keys = sorted(model.bib_keys) if model.bibliography and model.bib_keys else []
    return _ItemContext({c.id: c.states for c in model.claims.values()}, sorted(model.sources), keys, model.scale)


def read_items(model: Model, documents: Sequence[Mapping[str, Any]]) -> tuple[EvidenceItem, ...]:
    """Item documents → EvidenceItems through the loader's item reader, checked by the
    validator against ``model`` (as if they were its only evidence)."""
    from argmap.loader.yaml_lines import read_yaml
    from argmap.loader.reader import InvalidValue, ItemReader
    from argmap.loader.validate import validate

    parsed = read_yaml(_yaml(list(documents)), GENERATED_FILE) or []
    problems: list = []
    reader = ItemReader(model, problems)
    items = []
    for index, body in enumerate(parsed):
        try:
            items.append(reader.read(body, parsed.where(index)))
        except InvalidValue as exc:
            problems.append(exc.problem)
    problems += validate(attrs.evolve(model, evidence=tuple(items)))
    if problems:
        raise RuntimeError("argmap.testing generated evidence the loader rejects (a bug in argmap.testing; "
                           "please report it):\n" + "\n".join(map(str, problems)) + "\n\n" + _yaml(list(documents)))
    return tuple(items)


def evidence_items(model: Model, *, targets: Sequence[str] | None = None, kinds: Sequence[str] = ITEM_KINDS,
                   shared_sources: bool = True) -> SearchStrategy[EvidenceItem]:
    context = _context(model)
    if not shared_sources:
        context = attrs.evolve(context, sources=())
    kinds = tuple(kinds)
    taken = _model_ids(model)
    pool = list(targets or model.claims)

    @st.composite
    def one(draw: st.DrawFn) -> EvidenceItem:
        number = draw(_ints(1, 999))
        iid = f"new{number}"
        while iid in taken:
            number += 1000
            iid = f"new{number}"
        # each item stands alone (evidence_sets keeps observations consistent), so none is None
        document = _item_document(draw(_item_specs(model.scale, kinds)), iid, context, pool, {})
        assert document is not None
        _note(f"argmap.testing drew this evidence item for {model.name}:\n" + _yaml([document]))
        return read_items(model, [document])[0]

    return one()


def observed_states(item: EvidenceItem) -> Mapping[str, str]:
    return item.bearing.states if isinstance(item.bearing, Observation) else {}


def evidence_sets(model: Model, *, elements: SearchStrategy[EvidenceItem] | None, min_size: int,
                  max_size: int | None) -> SearchStrategy[tuple[EvidenceItem, ...]]:
    if elements is None:
        elements = evidence_items(model)
        if model.evidence:
            elements = st.one_of(st.sampled_from(model.evidence), elements)

    @st.composite
    def one(draw: st.DrawFn) -> tuple[EvidenceItem, ...]:
        drawn = draw(st.lists(elements, unique_by=lambda i: i.id, min_size=min_size, max_size=max_size))
        kept: list[EvidenceItem] = []
        known: dict[str, str] = {}
        for item in drawn:  # two observations of one claim must agree: the later one is dropped
            states = observed_states(item)
            if any(known.get(c, s) != s for c, s in states.items()):
                continue
            known.update(states)
            kept.append(item)
        if len(kept) < min_size:
            from hypothesis import reject

            reject()
        _note(f"argmap.testing drew the evidence set [{', '.join(i.id for i in kept)}]")
        return tuple(kept)

    return one()


# ----------------------------------------------------------------------------- perturbed models


@attrs.frozen
class _Mover:
    """Moves each probability of a model within its range: a word or a written range anywhere
    inside it, a bare number up to ``log_odds`` either way on the log-odds scale; 0 and 1 stay."""

    draw: st.DrawFn
    log_odds: float
    moved: list[str]

    def prob(self, p: Prob, label: str) -> Prob:
        shift = self.draw(_SHIFTS)  # shrinks to 0: the value as written
        if shift == 0 or (p.is_point and p.value in (0.0, 1.0)):
            return p
        if not p.is_point:
            value = p.value + shift * (p.high - p.low) / 2
        else:
            logit = math.log(p.value / (1 - p.value)) + shift * self.log_odds
            value = 1 / (1 + math.exp(-logit))
        value = min(max(value, 0.0), 1.0)
        if value == p.value:
            return p
        self.moved.append(f"{label}: {p} → {value:.4g}")
        return Prob.exactly(value)

    def distribution(self, probs: Mapping[str, Prob], states: Sequence[str], label: str) -> dict[str, Prob]:
        if len(states) == 2:
            first = self.prob(probs[states[0]], f"{label} P({states[0]})")
            if first is probs[states[0]]:
                return dict(probs)
            return {states[0]: first, states[1]: Prob.exactly(1 - first.value)}
        moved = {s: self.prob(probs[s], f"{label} P({s})") for s in states}
        if all(moved[s] is probs[s] for s in states):
            return dict(probs)
        total = math.fsum(p.value for p in moved.values())  # renormalised after moving
        return {s: Prob.exactly(p.value / total) for s, p in moved.items()}

    def claim(self, claim: Claim) -> Claim:
        d = claim.distribution
        if isinstance(d, PriorDist):
            new: Any = PriorDist(self.distribution(d.probs, claim.states, f"{claim.id} prior"))
        elif isinstance(d, NoisyOr):
            new = NoisyOr({p: self.prob(s, f"{claim.id} supported_by {p}") for p, s in d.supporters.items()},
                          {p: self.prob(s, f"{claim.id} attacked_by {p}") for p, s in d.attackers.items()},
                          self.prob(d.leak, f"{claim.id} leak"))
        else:
            new = self.table(d, claim.states, claim.id)
        return attrs.evolve(claim, distribution=new)

    def table(self, table: Table, states: Sequence[str], owner: str) -> Table:
        rows = {row: self.distribution(probs, states, f"{owner} row '{', '.join(row)}'")
                for row, probs in table.rows.items()}
        return attrs.evolve(table, rows=rows)

    def source(self, source: Source) -> Source:
        return attrs.evolve(source, reliability=self.prob(source.reliability, f"{source.id} reliability"),
                            random_yes=self.prob(source.random_yes, f"{source.id} random_yes"))

    def item(self, item: EvidenceItem) -> EvidenceItem:
        b = item.bearing
        if isinstance(b, Likelihood):
            b = attrs.evolve(b, probs={s: self.prob(p, f"{item.id} likelihood {s}") for s, p in b.probs.items()})
        elif isinstance(b, Table):
            b = self.table(b, BINARY, item.id)
        reliability = item.reliability and self.prob(item.reliability, f"{item.id} reliability")
        return attrs.evolve(item, bearing=b, reliability=reliability)


def from_model(model: Model, *, evidence: SearchStrategy[tuple[EvidenceItem, ...]] | None, perturb: bool,
               log_odds: float) -> SearchStrategy[Model]:
    evidence = evidence if evidence is not None else evidence_sets(model, elements=None, min_size=0, max_size=None)

    @st.composite
    def one(draw: st.DrawFn) -> Model:
        items = tuple(draw(evidence))
        if not perturb:
            return attrs.evolve(model, evidence=items)
        mover = _Mover(draw, log_odds, [])
        variant = attrs.evolve(
            model,
            claims={cid: mover.claim(c) for cid, c in model.claims.items()},
            sources={sid: mover.source(s) for sid, s in model.sources.items()},
            evidence=tuple(mover.item(i) for i in items),
        )
        _note(f"argmap.testing moved {len(mover.moved)} input(s) of {model.name}"
              + "".join(f"\n  {line}" for line in mover.moved))
        return variant

    return one()


def register_types(register: Callable[[type, SearchStrategy], Any]) -> None:
    register(Model, models())
    register(Claim, claims(min_states=2, max_states=3, role=None, scale="icd203"))
    register(EvidenceItem, models().flatmap(lambda m: evidence_items(m)))


