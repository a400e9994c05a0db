"""The file formats (DESIGN §3–4) → JSON Schema documents for editors and validators.

:func:`model_schema` describes a model file, :func:`evidence_schema` an evidence file (one item
or a list of items). Editors that speak JSON Schema (VS Code's YAML extension, JetBrains IDEs)
show each property's ``description`` as hover help, complete keys, enums and words, and
underline structural mistakes as you type.

The schema is a first line of checking, not the loader: it sees one file at a time, so ids
that must exist elsewhere, complete tables, sums to 1 and cycles are left to ``argmap check``.
It is meant to accept every file the loader accepts. The documents declare draft 2020-12 but
use only keywords that mean the same in draft-07, which is what most editors implement
(no ``prefixItems``, ``dependentRequired`` or ``unevaluatedProperties``).
"""

from __future__ import annotations

from typing import Any

from argmap.loader.reader import FORMAT_VERSION
from argmap.model import ROLES, TESTS
from argmap.scales import ADMIRALTY, SCALES

__all__ = ["evidence_schema", "model_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
ID_REGEX = "^[a-z][a-z0-9_]*$"
Schema = dict[str, Any]

_ROLE_HELP = {
    "hypothesis": "the claim the case is about",
    "rival": "a competing explanation of the same outcome",
    "factor": "a cause or condition (the default)",
    "mechanism": "a step through which a cause acts",
    "assumption": "something the argument takes for granted",
    "outcome": "what is to be explained",
}
_TEST_HELP = {
    "straw_in_the_wind": "weakly suggestive either way",
    "hoop": "must be found if the hypothesis holds; failing it hurts, passing helps little",
    "smoking_gun": "rarely found unless the hypothesis holds; finding it helps a lot",
    "doubly_decisive": "both a hoop and a smoking gun",
}


# ----------------------------------------------------------------------------- small builders


def _ref(name: str, description: str, **extra: Any) -> Schema:
    """A reference to ``$defs/name`` with its own hover text (editors prefer the sibling)."""
    return {"$ref": f"#/$defs/{name}", "description": description, **extra}


def _text(description: str, *, nullable: bool = False) -> Schema:
    kinds = ["string", "number"] + (["null"] if nullable else [])
    return {"type": kinds, "description": description}


def _free(description: str) -> Schema:
    """Anything: argmap keeps the value but never reads it."""
    return {"description": description}


def _mapping(description: str, values: Schema, *, keys: Schema | None = None, **extra: Any) -> Schema:
    schema: Schema = {"type": "object", "description": description, "additionalProperties": values}
    if keys is not None:
        schema["propertyNames"] = keys
    schema.update(extra)
    return schema


def _record(description: str, properties: dict[str, Schema], *, required: tuple[str, ...] = (),
            rules: list[Schema] | None = None) -> Schema:
    """A mapping with known keys only; ``rules`` are constraints between its keys."""
    schema: Schema = {
        "type": "object",
        "description": description,
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    if rules:
        schema["allOf"] = rules
    return schema


def _has(*keys: str) -> Schema:
    """Matches a mapping that has any of ``keys``."""
    if len(keys) == 1:
        return {"required": [keys[0]]}
    return {"anyOf": [{"required": [k]} for k in keys]}


def _when(condition: Schema, then: Schema) -> Schema:
    return {"if": condition, "then": then}


def _exactly_one_way(ways: dict[str, tuple[str, ...]]) -> Schema:
    return {"oneOf": [_has(*keys) for keys in ways.values()]}


def _forbids(keys: tuple[str, ...]) -> Schema:
    return {"not": _has(*keys)}


def _case_insensitive(word: str) -> str:
    """A regex for ``word`` in any letter case, words separated by spaces or underscores — the
    spellings :meth:`argmap.scales.Scale.range_of` accepts."""
    parts = []
    for char in word:
        if char.isalpha():
            parts.append(f"[{char.lower()}{char.upper()}]")
        elif char == " ":
            parts.append("[\\s_]+")
        else:
            parts.append("\\" + char if not char.isalnum() else char)
    return "".join(parts)


# ----------------------------------------------------------------------------- shared definitions


def _scale_words() -> list[str]:
    words: list[str] = []
    for scale in SCALES.values():
        words.extend(w for w in scale.words if w not in words)
    return words


def _word_table() -> str:
    return "; ".join(
        f"{name}: " + ", ".join(f"{w} {lo:g}–{hi:g}" for w, lo, hi in scale.terms)
        for name, scale in SCALES.items()
    )


def _probability() -> Schema:
    words = _scale_words()
    return {
        "description": (
            "A probability: a number from 0 to 1 (0.3), a percentage ('30%'), a word of the model's "
            "verbal scale (a word stands for its range), or a range [low, high]. Inference uses the "
            "midpoint; sensitivity analysis moves it across the range. Words by scale — "
            + _word_table()
        ),
        "anyOf": [
            {"type": "number", "minimum": 0, "maximum": 1, "description": "a probability from 0 to 1"},
            {
                "type": "string",
                "pattern": r"^\s*\+?0*(100(\.0*)?|\d{1,2}(\.\d*)?|\.\d+)\s*%\s*$",
                "description": "a percentage from 0% to 100%, e.g. '30%'",
            },
            {
                "type": "string",
                "pattern": r"^\s*\+?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$",
                "description": "a number written in a way YAML reads as text, e.g. 1e-3",
            },
            {"enum": words, "description": "a word of the model's verbal scale (icd203, kent or ipcc)"},
            {
                "type": "string",
                "pattern": r"^[\s_]*(" + "|".join(_case_insensitive(w) for w in words) + r")[\s_]*$",
                "description": "a word of the verbal scale in any letter case, spaces or underscores",
            },
            {
                "type": "array",
                "items": {"type": "number", "minimum": 0, "maximum": 1},
                "minItems": 2,
                "maxItems": 2,
                "description": "a range [low, high], low ≤ high, e.g. [0.6, 0.8]",
            },
        ],
    }


def _distribution() -> Schema:
    return {
        "description": (
            "P(state): one probability (for a true/false claim it is P(true); for a two-state claim "
            "P(first state)), or a mapping {state: probability} with every state, summing to 1."
        ),
        "anyOf": [
            {"$ref": "#/$defs/probability"},
            _mapping("a probability for every state, summing to 1", {"$ref": "#/$defs/probability"},
                     minProperties=2),
        ],
    }


def _table(what: str) -> Schema:
    return _mapping(
        f"One row for every combination of the states of the claims in 'given'. The key lists "
        f"their states in the order of 'given', separated by commas (e.g. \"true, false\"; quote "
        f"it); the value is {what}.",
        {"$ref": "#/$defs/distribution"},
        minProperties=1,
    )


def _state_name() -> Schema:
    return {
        "type": ["string", "number", "boolean"],
        "pattern": r"^[^,\s]([^,]*[^,\s])?$",
        "description": "a state name: no commas, no spaces at either end. YAML reads true/false "
                       "(and yes/no, on/off) as the states 'true'/'false'.",
    }


def _definitions() -> dict[str, Schema]:
    letters = sorted(ADMIRALTY)
    return {
        "id": {
            "type": "string",
            "pattern": ID_REGEX,
            "description": "an id: lower-case letters, digits and _, starting with a letter",
            "patternErrorMessage": "an id is lower-case letters, digits and _, starting with a letter",
        },
        "ids": {
            "description": "a claim id or a list of claim ids, e.g. [a, b]",
            "anyOf": [
                {"$ref": "#/$defs/id"},
                {"type": "array", "items": {"$ref": "#/$defs/id"}, "uniqueItems": True},
            ],
        },
        "probability": _probability(),
        "distribution": _distribution(),
        "reliability": {
            "description": (
                "P(the source is reliable): a probability (number, percentage, word or range) or an "
                "Admiralty letter — " + ", ".join(f"{k} {ADMIRALTY[k]:g}" for k in letters)
                + " (F: reliability cannot be judged)."
            ),
            "anyOf": [
                {"enum": letters, "description": "an Admiralty source-reliability letter"},
                {"type": "string", "pattern": r"^\s*[A-Fa-f]\s*$"},
                {"$ref": "#/$defs/probability"},
            ],
        },
        "date": {
            "description": (
                "When it happened: YYYY, YYYY-MM or YYYY-MM-DD. With --as-of an item counts once its "
                "whole dated period has passed (2014-11 counts from --as-of 2014-11-30); undated items "
                "always count."
            ),
            "anyOf": [
                {"type": "integer", "minimum": 1000, "maximum": 9999, "description": "a year"},
                {
                    "type": "string",
                    "pattern": r"^\s*\d{4}(-(0?[1-9]|1[0-2])(-(0?[1-9]|[12]\d|3[01]))?)?\s*$",
                    "description": "YYYY, YYYY-MM or YYYY-MM-DD",
                    "patternErrorMessage": "write a date as YYYY, YYYY-MM or YYYY-MM-DD, e.g. 2014-11",
                },
                {"type": "null"},
            ],
        },
    }


# ----------------------------------------------------------------------------- the model file


def _source() -> Schema:
    return _record(
        "A source several evidence items come from; items naming it share its reliability "
        "(Bovens–Hartmann: P(report | s) = ρ·L(s) + (1 − ρ)·random_yes).",
        {
            "text": _text("What the source is, e.g. 'Russian state news agencies (TASS, RIA)'."),
            "reliability": _ref("reliability", "P(the source is reliable): a number, word, range, "
                                               "or an Admiralty letter A–F. Required.", examples=[0.7, "B"]),
            "random_yes": _ref("probability", "P(an unreliable source reports the item anyway). "
                                              "Default 0.5.", default=0.5),
            "url": _text("A link describing the source (optional)."),
            "note": _free("A note for yourself, in any form (text, a list, …); never used in calculations."),
        },
        required=("reliability",),
    )


def _claim() -> Schema:
    noisy_or = ("supported_by", "attacked_by")
    binary_states = {
        "enum": [[a, b] for a in (True, "true") for b in (False, "false")],
        "description": "noisy-OR needs a true/false claim: leave 'states' out (or write [true, false])",
    }
    return _record(
        "A claim: true or false, or one of several exclusive states. Its probability is given in "
        "exactly one way: 'prior' (no parents), 'supported_by'/'attacked_by' (+ 'leak'; noisy-OR) "
        "or 'given' + 'table'.",
        {
            "text": _text("The claim as one sentence, e.g. 'Russia expands military cooperation with "
                          "China.'"),
            "label": _text("An optional short name for diagrams."),
            "role": {
                "enum": list(ROLES),
                "default": "factor",
                "description": "What part the claim plays: "
                               + "; ".join(f"{r}: {_ROLE_HELP[r]}" for r in ROLES) + ". Default factor.",
                "enumDescriptions": [_ROLE_HELP[r] for r in ROLES],
            },
            "states": {
                "type": "array",
                "items": {"$ref": "#/$defs/state"},
                "minItems": 2,
                "uniqueItems": True,
                "default": ["true", "false"],
                "description": "The claim's exclusive, exhaustive states; default [true, false]. Exclusive "
                               "rivals are one claim with several states, e.g. [threat_balancing, alliance].",
            },
            "prior": _ref("distribution", "P(state) of a claim with no parents: a probability (P(true) of a "
                                          "true/false claim) or {state: p, ...} summing to 1.",
                          examples=[0.3, "likely", [0.6, 0.8], {"true": 0.3, "false": 0.7}]),
            "supported_by": _mapping(
                "Noisy-OR supporters: claim id → strength. A supporter that is true makes this claim "
                "true with its strength: P(true) = [1 − (1 − leak)·Π(1 − s)]·Π(1 − a) over the true "
                "supporters s and attackers a. True/false claims only.",
                {"$ref": "#/$defs/probability"}, keys={"$ref": "#/$defs/id"},
            ),
            "attacked_by": _mapping(
                "Noisy-OR attackers (inhibitors): claim id → strength. An attacker that is true "
                "multiplies P(true) by (1 − strength).",
                {"$ref": "#/$defs/probability"}, keys={"$ref": "#/$defs/id"},
            ),
            "leak": _ref("probability", "P(true) when no supporter is true (causes left out of the model); "
                                        "only with supported_by/attacked_by. Default 0.05.", default=0.05),
            "given": _ref("ids", "The parents of an explicit table, in the order the table's row keys "
                                 "list their states.", minItems=1, examples=[["bronc", "either"]]),
            "table": _ref("claim_table", "The explicit conditional table; goes with 'given'."),
            "supports": _ref("ids", "Parents in 'given' (true/false claims) whose being true raises this "
                                    "claim: the map draws them as support; the table should agree."),
            "attacks": _ref("ids", "Parents in 'given' (true/false claims) whose being true lowers this "
                                   "claim: the map draws them as attack; the table should agree."),
            "coupling": {"enum": ["comonotone"], "description": "Only with given + table: assume how the "
                         "actual and the counterfactual world couple through this table, so that argmap "
                         "cause gives exact PN/PS instead of bounds (docs/causal.md)."},
            "note": _free("A note for yourself, in any form (text, a list, …); never used in calculations."),
        },
        rules=[
            _exactly_one_way({"prior": ("prior",), "noisy-OR": noisy_or, "table": ("given", "table")}),
            _when(_has("coupling"), {"required": ["table"]}),
            _when(_has("given"), {"required": ["table"]}),
            _when(_has("table"), {"required": ["given"]}),
            _when(_has("leak"), _has(*noisy_or)),
            _when(_has("supports", "attacks"), {"required": ["given"]}),
            _when(_has(*noisy_or), {"properties": {"states": binary_states}}),
            _when({"required": ["states"], "properties": {"states": {
                      "minItems": 3, "description": "more than two states"}}},
                  {"properties": {"prior": {
                      "type": "object",
                      "description": "a claim with more than two states needs a prior for every state: "
                                     "{state: p, ...}"}}}),
        ],
    )


def _scale() -> Schema:
    names = list(SCALES)
    return {
        "description": "The verbal probability scale for words in this model and in output: "
                       + "; ".join(f"{n} ({SCALES[n].citation})" for n in names) + ". Default icd203.",
        "default": "icd203",
        "anyOf": [
            {"enum": names},
            {"type": "string", "pattern": "^(" + "|".join(_case_insensitive(n) for n in names) + ")$"},
        ],
    }


def model_schema() -> Schema:
    """JSON Schema (draft 2020-12) of a model file, ``models/NAME.yaml`` (DESIGN §3)."""
    properties: dict[str, Schema] = {
        "argmap": {"const": FORMAT_VERSION,
                   "description": f"The format version; required: argmap: {FORMAT_VERSION}."},
        "title": _text("The case's title, shown in reports."),
        "question": _text("The research question."),
        "hypothesis": _text("The hypothesis in one sentence."),
        "theory": _text("The theory the hypothesis comes from."),
        "authors": {
            "description": "Author name(s): a name or a list of names.",
            "anyOf": [{"type": "string"}, {"type": "array", "items": _text("an author")}],
        },
        "description": _free("A longer description of the case; not used in calculations."),
        "bibliography": {"type": "string", "description": "A BibTeX file whose keys evidence items 'cite', "
                                                          "relative to the model file."},
        "evidence": {
            "description": "Evidence files or folders, relative to the model file; folders are read "
                           "recursively (*.yaml, *.yml, sorted). Default ../evidence/NAME/. "
                           "'--evidence PATH' on the command line replaces this list.",
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        },
        "scale": _scale(),
        "causal_claims": {
            "description": "The causal claims argmap report assesses (argmap cause), instead of every "
                           "support and attack arrow into a hypothesis; see docs/causal.md.",
            "type": "array",
            "items": {"type": "object", "additionalProperties": False, "required": ["cause", "effect"],
                      "properties": {"cause": {"type": "string", "description": "CLAIM or CLAIM=STATE"},
                                     "effect": {"type": "string", "description": "CLAIM or CLAIM=STATE"}}},
        },
        "sources": {
            "description": "Shared sources: source id → {text, reliability, random_yes}.",
            "anyOf": [_mapping("source id → source", {"$ref": "#/$defs/source"}, keys={"$ref": "#/$defs/id"}),
                      {"type": "null"}],
        },
        "claims": _mapping(
            "The claims: claim id → claim. Ids are lower-case letters, digits and _, starting with a "
            "letter, and unique across claims, sources and evidence items.",
            {"$ref": "#/$defs/claim"}, keys={"$ref": "#/$defs/id"}, minProperties=1,
        ),
        "uncertainty": {
            "type": "number", "minimum": 0, "maximum": 5, "default": 0.5,
            "description": "Half-width, in log-odds, of the range a bare number stands for in sensitivity "
                           "analysis and Monte Carlo: p reads as logit(p) ± uncertainty (0.5: 0.5 reads as "
                           "0.38–0.62, 0.9 as 0.85–0.94). 0 makes bare numbers exact. Inference always uses "
                           "the number itself; words and written ranges keep their own ranges.",
        },
        "accounts": _mapping(
            "The complete stories the study weighs: account name → the conjunction of claim states it "
            "asserts, e.g. paper: {cooperation: true, driver: threat_balancing}. argmap reports each "
            "account's prior and posterior and the Bayes factor between every pair; accounts need not be "
            "exhaustive, and 'check' warns of two that can both hold.",
            _mapping("claim id → the state the account says it is in", {"$ref": "#/$defs/state"},
                     keys={"$ref": "#/$defs/id"}, minProperties=1),
            keys={"$ref": "#/$defs/id"},
        ),
        "milestones": {
            "description": "Dates the study looks back from, e.g. when the paper was written: argmap report "
                           "shows what the evidence dated up to each one supported beside what all of it "
                           "supports (the as-of split); see docs/reports.md.",
            "type": "array",
            "items": {"type": "object", "additionalProperties": False, "required": ["date", "label"],
                      "properties": {"date": _ref("date", "The date looked back from: YYYY, YYYY-MM or YYYY-MM-DD"),
                                     "label": {"type": "string", "minLength": 1,
                                               "description": "what the date is, e.g. when the paper was written"}}},
        },
    }
    schema = _record("An argmap model file: the claims of an argument and how they depend on each "
                     "other (see docs/model-format.md).", properties, required=("argmap", "claims"))
    defs = _definitions()
    defs.update({
        "state": _state_name(),
        "claim_table": _table("P(first state) — P(true) of a true/false claim — or {state: p, ...} "
                              "summing to 1"),
        "source": _source(),
        "claim": _claim(),
    })
    return {"$schema": DIALECT, "title": "argmap model", **schema, "$defs": defs}


# ----------------------------------------------------------------------------- evidence files


def _item() -> Schema:
    targeted = ("likelihood", "lr", "test")
    tests = list(TESTS)
    return _record(
        "An evidence item: what was observed, when, where it is from, and how strongly it bears on "
        "which claim — in exactly one way: likelihood, lr, test, given + table, or observe.",
        {
            "id": _ref("id", "A unique id (unique across claims, sources and all evidence items), "
                             "e.g. s400_contract."),
            "date": _ref("date", "When it happened: YYYY, YYYY-MM or YYYY-MM-DD; undated items always "
                                 "count."),
            "text": _text("What was observed, in one or two sentences."),
            "cite": {
                "description": "A BibTeX key of the model's bibliography, or a list of keys.",
                "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
            },
            "url": _text("A link to the source (optional).", nullable=True),
            "quote": _text("An excerpt from the source (optional).", nullable=True),
            "page": _text("The page of the quote (optional).", nullable=True),
            "source": {"type": ["string", "null"],
                       "description": "A shared source declared under the model's 'sources:'; the item "
                                      "shares its reliability. Not with 'reliability'."},
            "reliability": _ref("reliability", "This item's own reliability (a number, word, range or "
                                               "Admiralty letter A–F); an unreliable report counts as a "
                                               "coin flip (0.5). Not with 'source'."),
            "bears_on": _ref("id", "The claim this item is evidence about (with likelihood, lr or test)."),
            "likelihood": _mapping(
                "P(this observation | state) for every state of the target claim, e.g. "
                "{true: 0.7, false: 0.15}; need not sum to 1.",
                {"$ref": "#/$defs/probability"}, minProperties=1,
            ),
            "lr": {
                "type": "number",
                "exclusiveMinimum": 0,
                "description": "Likelihood ratio P(E | true) / P(E | false) of a true/false target, observed "
                               "items without reliability or source only; read as likelihood {true: lr/(1+lr), false: 1/(1+lr)}.",
            },
            "test": {
                "enum": tests,
                "description": "A Van Evera process-tracing test with conventional P(E | H) / P(E | not H): "
                               + ", ".join(f"{t} {h:g}/{n:g}" for t, (h, n) in TESTS.items()) + ".",
                "enumDescriptions": [f"{_TEST_HELP[t]} (P(E|H) {h:g}, P(E|not H) {n:g})"
                                     for t, (h, n) in TESTS.items()],
            },
            "for": {"$ref": "#/$defs/state",
                    "description": "The state of a multi-state target that the test is for (plays H); "
                                   "default true."},
            "given": _ref("ids", "The claims an item bearing on several claims depends on, in the order its "
                                 "table's row keys list their states.", minItems=1),
            "table": _ref("item_table", "P(this observation | the row's states); goes with 'given'."),
            "observed": {"type": "boolean", "default": True,
                         "description": "true (default): looked for and found; false: looked for and "
                                        "NOT found."},
            "expected": {"type": "boolean", "default": False,
                         "description": "true: not looked for yet — never counted by update, a candidate for "
                                        "'argmap next'."},
            "observe": _mapping(
                "Hard evidence: claim id → the state it is known to be in, e.g. {trade_war: true}.",
                {"$ref": "#/$defs/state"}, keys={"$ref": "#/$defs/id"}, minProperties=1,
            ),
            "note": _free("A note for yourself, in any form (text, a list, …); never used in calculations."),
        },
        required=("id",),
        rules=[
            _exactly_one_way({"likelihood": ("likelihood",), "lr": ("lr",), "test": ("test",),
                              "table": ("given", "table"), "observe": ("observe",)}),
            _when(_has("given"), {"required": ["table"]}),
            _when(_has("table"), {"required": ["given"]}),
            _when(_has(*targeted), {"required": ["bears_on"]}),
            _when(_has("given", "table"), _forbids(("bears_on",))),
            _when(_has("for"), {"required": ["test"]}),
            _when(_has("lr"), {"properties": {"observed": {
                "const": True, "description": "lr says nothing about an absent item; for observed: false "
                                             "write likelihood: {true: p, false: q}"}}}),
            _when(_has("observe"), _forbids(("bears_on", "reliability", "source", "observed", "for"))),
            # an unreliable report mixes the levels P(E|true), P(E|false), which lr does not state
            _when(_has("lr"), _forbids(("reliability", "source"))),
            {"not": {"required": ["source", "reliability"]}},
        ],
    )


def evidence_schema() -> Schema:
    """JSON Schema (draft 2020-12) of an evidence file, ``evidence/CASE/*.yaml`` (DESIGN §4):
    one item, a list of items, or nothing."""
    item = _item()
    defs = _definitions()
    defs.update({
        "state": _state_name(),
        "item_table": _table("P(this observation), or {true: p, false: q}"),
        "item": item,
    })
    return {
        "$schema": DIALECT,
        "title": "argmap evidence file",
        "description": "An argmap evidence file: one item or a list of items (see docs/evidence-format.md).",
        "anyOf": [
            {"$ref": "#/$defs/item"},
            {"type": "array", "items": {"$ref": "#/$defs/item"}, "description": "a list of evidence items"},
            {"type": "null", "description": "an empty file"},
        ],
        "$defs": defs,
    }
