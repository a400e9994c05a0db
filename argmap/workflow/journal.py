"""A model + what a researcher does while writing → new evidence files, a belief log and its history.

- :func:`prepare_item` / :func:`write_item` (``argmap add``): the fields of a new item → a new,
  checked evidence file named from its date and id, and how the target's belief moved.
- :func:`log_beliefs` (``argmap update --log``): beliefs → one more line of
  ``reports/NAME/beliefs.csv``; :func:`read_log` and :func:`history_table` read it back.

Input files are never modified: ``add`` writes a new file (refusing to overwrite) only after the
whole model has been loaded, validated and updated with the new item in a temporary place.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import math
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs
import yaml

from argmap._io import write_atomic
from argmap._text import text_table
from argmap.errors import ArgmapError, Location, Problem, display_path
from argmap.interop.export import item_document, model_document
from argmap.engine.infer import Beliefs
from argmap.model import EvidenceItem, Likelihood, Model, Observation

__all__ = [
    "LOG_NAME",
    "Added",
    "LogRow",
    "belief_columns",
    "derive_id",
    "evidence_folder",
    "evidence_hash",
    "history_plot",
    "history_table",
    "log_beliefs",
    "log_path",
    "prepare_item",
    "read_log",
    "report_dir",
    "resolve_model",
    "sparkline",
    "write_item",
]

LOG_NAME = "beliefs.csv"
LOG_FIXED = ("timestamp", "commit", "as_of", "model", "evidence", "items")  # then one column per hypothesis state
_NOT_BELIEFS = frozenset(LOG_FIXED) | {"date"}  # "date": the commit date of a history read from git


# ----------------------------------------------------------------------------- where things are


def resolve_model(case_or_model: str) -> str:
    """A model file path, or a case name NAME meaning ``models/NAME.yaml`` in the current folder."""
    if os.path.isfile(case_or_model):
        return case_or_model
    if os.path.isdir(case_or_model):
        raise ArgmapError.at(Location(case_or_model), f"{case_or_model} is a folder; give the model file "
                                                      "(models/NAME.yaml) or the case NAME")
    candidate = os.path.join("models", case_or_model + ".yaml")
    if not case_or_model.endswith((".yaml", ".yml")) and os.path.isfile(candidate):
        return candidate
    raise ArgmapError.at(Location(case_or_model), f"no model file {case_or_model} (nor {candidate}); give the "
                                                  "model file's path, or a case NAME from the folder that holds models/")


def report_dir(model_path: str) -> str:
    """Where a model's report and belief log live by default: the report stage's folder,
    ``reports/NAME/`` beside the ``models/`` folder (else under the current folder)."""
    try:
        from argmap.output.report import default_folder
    except ImportError:  # an argmap without the report stage: the same rule
        name = os.path.splitext(os.path.basename(model_path))[0]
        folder = os.path.dirname(os.path.abspath(model_path))
        root = os.path.dirname(folder) if os.path.basename(folder) == "models" else os.getcwd()
        return display_path(os.path.join(root, "reports", name))
    return display_path(default_folder(model_path))


def log_path(model: Model, output_dir: str | None = None) -> str:
    return os.path.join(output_dir or report_dir(model.path), LOG_NAME)


def evidence_folder(model: Model, into: str | None = None) -> str:
    """The folder a new evidence file goes to: ``into`` if the model reads it, else the model's
    first evidence folder (created when it does not exist yet)."""
    folders = [p for p in model.evidence_paths if os.path.isdir(p) or not os.path.splitext(p)[1]]
    if into is not None:
        wanted = os.path.realpath(into)
        for folder in folders:
            root = os.path.realpath(folder)
            if wanted == root or wanted.startswith(root + os.sep):
                return into
        listed = ", ".join(display_path(f) for f in folders) or "only files"
        raise ArgmapError.at(Location("--into"), f"the model does not read evidence from {into} (it reads "
                                                 f"{listed}); choose one of those folders, or add {into} to "
                                                 "the model's 'evidence:' list")
    if not folders:
        raise ArgmapError.at(model.where("evidence"), "the model's 'evidence:' lists only files, so a new file "
                                                      "would not be read; add a folder to 'evidence:' (or give "
                                                      "--into FOLDER once it is listed)")
    return display_path(folders[0])


# ----------------------------------------------------------------------------- argmap add

_WORD = re.compile(r"[a-z0-9]+")
_STOP_WORDS = frozenset("a an the of to in on and or for by with from at is are was were be its it as that "
                        "this these those has have had not no".split())


def derive_id(text: str, taken: Iterable[str], *, common: str = "") -> str:
    """A short id from the first meaningful words of ``text`` (``us_sanctions_crimea``), unique
    among ``taken``; words of ``common`` (the model's title: in every item) are skipped if possible."""
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOP_WORDS] or ["item"]
    usual = set(_WORD.findall(common.lower()))
    words = [w for w in words if w not in usual] or words
    base = "_".join(words[:3])[:40].strip("_")
    if not base[0].isalpha():
        base = "e_" + base
    taken = set(taken)
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    return candidate


def file_name(document: Mapping[str, Any]) -> str:
    """``2014-11-20_s400_contract.yaml``: the date first, so a folder lists items in date order."""
    date = document.get("date")
    return f"{date}_{document['id']}.yaml" if date else f"{document['id']}.yaml"


class _ItemDumper(yaml.SafeDumper):
    """Block style with keys in the order given; small mappings (likelihoods) on one line."""


class _Flow(dict):
    pass


_SPECIAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    # Unicode line separators and control characters only survive in double quotes (escaped);
    # elsewhere YAML folds them into spaces or refuses them.
    style = '"' if _SPECIAL.search(text) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_ItemDumper.add_representer(str, _represent_text)


_ItemDumper.add_representer(
    _Flow, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True))


def _state(value: Any) -> Any:
    """A state name: 'true'/'false' as YAML booleans (the loader reads them back as those strings)."""
    return value == "true" if value in ("true", "false") else value


def _yaml_value(value: Any, key: str = "") -> Any:
    """Plain data → what reads back the same: state names true/false as YAML booleans, a full
    date unquoted, one-line mappings for likelihoods; every other text stays text."""
    if key in ("likelihood", "observe") and isinstance(value, Mapping):
        return _Flow({_state(k): _state(v) if key == "observe" else v for k, v in value.items()})
    if key == "table" and isinstance(value, Mapping):
        return {k: ({_state(s): p for s, p in v.items()} if isinstance(v, Mapping) else v) for k, v in value.items()}
    if key == "for":
        return _state(value)
    if key == "date" and isinstance(value, str):
        parts = value.split("-")
        if len(parts) == 3:
            return dt.date(*map(int, parts))
        if len(parts) == 1:
            return int(value)
    return value


def item_yaml(document: Mapping[str, Any]) -> str:
    """An evidence file holding one item, in the style of the shipped files (``- id: ...``)."""
    data = {k: _yaml_value(v, k) for k, v in document.items()}
    return yaml.dump([data], Dumper=_ItemDumper, sort_keys=False, allow_unicode=True, width=92,
                     default_flow_style=False)


@attrs.frozen
class Movement:
    """How one claim state moved when the item was added, and the item's own weight on it."""

    claim: str
    state: str
    before: float
    after: float
    decibels: float | None  # weight of the item alone (None for hard evidence)


@attrs.frozen
class Added:
    """A new evidence item, checked against the whole model and not yet written."""

    path: str  # where it will be written
    text: str  # the file's YAML
    item: EvidenceItem
    before: Beliefs
    after: Beliefs
    movements: tuple[Movement, ...]  # the target's states, then hypotheses that moved

    @property
    def counted(self) -> bool:
        return self.item.id in self.after.counted


def prepare_item(model_path: str, document: Mapping[str, Any], *, into: str | None = None,
                 model: Model | None = None) -> Added:
    """Check the item ``document`` (plain data as an evidence file says it) against the model at
    ``model_path``; nothing is written. Problems in the item are reported at the option that
    gave the value (``--likelihood: ...``)."""
    from argmap.engine.infer import update
    from argmap.loader.validate import load

    model = model or load(model_path)
    _check_new_id(model, document.get("id"))
    folder = evidence_folder(model, into)
    destination = os.path.join(folder, file_name(document))
    if os.path.exists(destination):
        raise ArgmapError.at(Location(destination), f"{destination} exists; argmap add never overwrites a "
                                                    "file; choose another --id")
    text = item_yaml(document)
    loaded = _load_with(model_path, model, text, document)
    item = loaded.item(document["id"])
    # Write it as the exporter would (the inverse of the loader), keeping an lr as the user wrote it.
    canonical = item_document(item)
    if "lr" in document and isinstance(item.bearing, Likelihood):
        canonical = {("lr" if k == "likelihood" else k): (document["lr"] if k == "likelihood" else v)
                     for k, v in canonical.items()}
    text = item_yaml(canonical)
    loaded = _load_with(model_path, model, text, document)
    item = loaded.item(document["id"])
    # both sides on the one network of the model with the item: before, the item is unobserved
    before = update(loaded, leave_out={item.id})
    after = update(loaded)  # evidence that cannot all hold is refused here, before writing
    return Added(destination, text, item, before, after, _movements(loaded, item, before, after))


def write_item(added: Added) -> None:
    """Write the new evidence file; an existing file is never replaced. Under a lock on the
    model's folder the evidence is read again first, so two concurrent `add --id x` cannot both
    write an item x."""
    from argmap.loader.reader import load_model

    model = added.before.model
    try:
        with folder_lock(os.path.dirname(os.path.abspath(model.path)), Location(added.path)):
            fresh = load_model(model.path).model
            if fresh is not None:
                _check_new_id(fresh, added.item.id)
            write_atomic(added.path, added.text, overwrite=False)
    except FileExistsError:
        raise ArgmapError.at(Location(added.path), f"{added.path} exists; argmap add never overwrites a file; "
                                                   "choose another --id") from None
    except OSError as exc:
        raise ArgmapError.at(Location(added.path), f"cannot write {added.path}: {exc.strerror or exc}") from None


def _check_new_id(model: Model, identifier: Any) -> None:
    from argmap.loader.reader import ID_PATTERN

    at = Location("--id")
    if not isinstance(identifier, str) or not ID_PATTERN.match(identifier):
        raise ArgmapError.at(at, f"'{identifier}' is not a valid id: use lower-case letters, digits and _, "
                                 "starting with a letter (e.g. s400_contract)")
    taken: dict[str, tuple[str, Location]] = {c.id: ("a claim", c.location) for c in model.claims.values()}
    taken.update({s.id: ("a source", s.location) for s in model.sources.values()})
    taken.update({e.id: ("an evidence item", e.location) for e in model.evidence})
    if identifier in taken:
        kind, where = taken[identifier]
        raise ArgmapError.at(at, f"id '{identifier}' is taken by {kind} at {where}; ids are unique across the "
                                 "model and its evidence, so choose another --id")


def _load_with(model_path: str, model: Model, text: str, document: Mapping[str, Any]) -> Model:
    """The model loaded with its own evidence plus ``text`` as one more file."""
    from argmap.loader.yaml_lines import read_yaml
    from argmap.loader.validate import load

    with tempfile.TemporaryDirectory(prefix="argmap-add-") as folder:
        path = os.path.join(folder, file_name(document))
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
        existing = [p for p in model.evidence_paths if os.path.exists(p)]
        try:
            return load(model_path, evidence=[*existing, path])
        except ArgmapError as exc:
            keys = read_yaml(text, path)[0]
            key_at_line = {loc.line: key for key, loc in keys.key_locations.items()}
            raise ArgmapError([_at_option(p, path, key_at_line) for p in exc.problems]) from None


def _at_option(problem: Problem, temporary: str, key_at_line: Mapping[int, str]) -> Problem:
    if os.path.realpath(problem.location.file) != os.path.realpath(temporary):
        return problem
    key = key_at_line.get(problem.location.line, "id")
    return Problem(Location(f"--{key.replace('_', '-')}"), problem.message)


def _movements(model: Model, item: EvidenceItem, before: Beliefs, after: Beliefs) -> tuple[Movement, ...]:
    from argmap.analysis.weights import weight_of_evidence
    from argmap.engine.compile import network_of

    network = network_of(model)
    moves: list[Movement] = []
    seen: set[tuple[str, str]] = set()
    for target in item.targets:
        claim = model.claims[target]
        for state in ("true",) if claim.is_binary else claim.states:
            weight = None
            if not isinstance(item.bearing, Observation):
                weight = weight_of_evidence(model, item, target, state, network).decibels
            moves.append(Movement(target, state, before.posterior(target, state), after.posterior(target, state), weight))
            seen.add((target, state))
    for cid in model.hypotheses:
        claim = model.claims[cid]
        for state in ("true",) if claim.is_binary else claim.states:
            was, now = before.posterior(cid, state), after.posterior(cid, state)
            if (cid, state) not in seen and abs(now - was) >= 0.0005:
                moves.append(Movement(cid, state, was, now, None))
    return tuple(moves)


def movement_lines(added: Added) -> list[str]:
    """What ``argmap add`` prints after writing: the target's belief before → after, in dB."""
    if added.item.expected:
        return [f"'{added.item.id}' is expected (not looked for yet): it does not count until you set "
                "observed; `argmap next` ranks what finding it would tell"]
    lines = []
    if not added.counted:
        lines.append(f"'{added.item.id}' does not count (yet): {added.item.date} is after the evidence cutoff")
    targets = set(added.item.targets)
    own = [m for m in added.movements if m.claim in targets]
    others = [m for m in added.movements if m.claim not in targets]
    lines.append("the item's claim" + ("s:" if len(targets) > 1 else ":"))
    lines += [_movement_line(m) for m in own]
    if others:
        lines.append("hypotheses it moved:")
        lines += [_movement_line(m) for m in others]
    accounts = [Movement(name, "true", added.before.accounts[name].posterior, a.posterior, None)
                for name, a in added.after.accounts.items()
                if name in added.before.accounts and abs(a.posterior - added.before.accounts[name].posterior) >= 0.0005]
    if accounts:
        lines.append("accounts it moved:")
        lines += [_movement_line(m) for m in accounts]
    return lines


def _movement_line(m: Movement) -> str:
    from argmap.analysis.weights import odds_change_db
    from argmap.analysis.relations import format_decibels

    name = m.claim if m.state == "true" else f"{m.claim}={m.state}"
    digits = 3 if f"{m.before:.3f}" != f"{m.after:.3f}" or m.before == m.after else 4
    line = (f"  P({name}) {m.before:.{digits}f} → {m.after:.{digits}f} "
            f"({format_decibels(odds_change_db(m.before, m.after))})")
    if m.decibels is not None:
        line += f"; the item alone weighs {format_decibels(m.decibels)}"
    return line



# ----------------------------------------------------------------------------- fields of argmap add

STRENGTH_WAYS = ("likelihood", "lr", "test", "observe")


@attrs.define
class ItemFields:
    """What ``argmap add`` was told, by options or answers, before it becomes a document."""

    id: str | None = None
    text: str | None = None
    date: str | None = None
    bears_on: str | None = None
    likelihood: tuple[str, ...] = ()  # STATE=P
    lr: float | None = None
    test: str | None = None
    for_state: str | None = None
    observe: tuple[str, ...] = ()  # CLAIM=STATE
    absent: bool = False
    expected: bool = False
    cite: tuple[str, ...] = ()
    url: str | None = None
    quote: str | None = None
    page: str | None = None
    source: str | None = None
    reliability: str | None = None

    def ways(self) -> list[str]:
        return [w for w in STRENGTH_WAYS if getattr(self, w) not in (None, ())]

    def missing(self) -> list[str]:
        """The fields without which no item can be written."""
        missing = [] if self.text else ["text"]
        if not self.observe and not self.bears_on:
            missing.append("bears_on")
        if not self.ways():
            missing.append("strength")
        return missing


def _number_or_text(text: str) -> Any:
    """An option's value as YAML would read it: 0.7 → a number, [0.6, 0.8] → a range, else text."""
    from argmap.loader.yaml_lines import read_yaml  # its limits: an option is no place for an alias bomb either

    try:
        value = read_yaml(text, "<option>")
    except ArgmapError:
        return text.strip()
    if isinstance(value, list):
        value = list(value)
    return value if isinstance(value, int | float | list) and not isinstance(value, bool) else text.strip()


def _pairs(values: Sequence[str], option: str, example: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip() or not rest.strip():
            raise ArgmapError.at(Location(option), f"'{value}' is not KEY=VALUE; write e.g. {option} {example}")
        pairs.append((key.strip(), rest.strip()))
    return pairs


def build_document(model: Model, fields: ItemFields) -> dict[str, Any]:
    """The item as an evidence file would say it; problems the loader cannot name well (which
    option is missing, two ways of stating strength) are reported here at the option."""
    from argmap.loader.reader import InvalidValue, parse_date

    missing = fields.missing()
    if missing:
        named = {"text": "--text", "bears_on": "--bears-on CLAIM (or --observe CLAIM=STATE)",
                 "strength": "one of --likelihood STATE=P, --lr X, --test NAME or --observe CLAIM=STATE"}
        raise ArgmapError([Problem(Location("argmap add"), f"missing {named[m]} (on a terminal, argmap add "
                                                           "asks for what is missing)") for m in missing])
    ways = fields.ways()
    if len(ways) > 1:
        raise ArgmapError.at(Location("--" + ways[1]), f"give one way of saying how strongly the item bears on "
                                                       f"its claim; found {' and '.join('--' + w for w in ways)}")
    if fields.observe and fields.bears_on:
        raise ArgmapError.at(Location("--bears-on"), "--observe states what is known; it takes no --bears-on "
                                                     "(for uncertain evidence give --bears-on with --likelihood, "
                                                     "--lr or --test)")
    if fields.for_state and not fields.test:
        raise ArgmapError.at(Location("--for"), "--for names the state a --test is for; give --test too")
    taken = [*model.claims, *model.sources, *(i.id for i in model.evidence)]
    document: dict[str, Any] = {"id": fields.id or derive_id(fields.text or "", taken, common=model.title)}
    if fields.date:
        try:
            document["date"] = str(parse_date(fields.date, Location("--date")))
        except InvalidValue as exc:
            raise ArgmapError([exc.problem]) from None
    document["text"] = " ".join((fields.text or "").split())
    if fields.cite:
        document["cite"] = list(fields.cite) if len(fields.cite) > 1 else fields.cite[0]
    for key in ("url", "quote", "page", "source"):
        if getattr(fields, key):
            document[key] = getattr(fields, key)
    if fields.reliability:
        document["reliability"] = _number_or_text(fields.reliability)
    if fields.observe:
        document["observe"] = dict(_pairs(fields.observe, "--observe", "us_china_rivalry=true"))
    else:
        document["bears_on"] = fields.bears_on
        if fields.likelihood:
            document["likelihood"] = {k: _number_or_text(v)
                                      for k, v in _pairs(fields.likelihood, "--likelihood", "true=0.7")}
        elif fields.lr is not None:
            document["lr"] = fields.lr
        else:
            document["test"] = fields.test
            if fields.for_state:
                document["for"] = fields.for_state
    if fields.absent:
        document["observed"] = False
    if fields.expected:
        document["expected"] = True
    return document


def ask_fields(model: Model, fields: ItemFields, *, everything: bool) -> ItemFields:
    """Ask on the terminal for what ``fields`` lacks, with defaults and choices; with
    ``everything`` the optional fields (date, citation, source, ...) are asked too."""
    import click

    from argmap.loader.reader import ID_PATTERN, InvalidValue, read_prob, parse_date, reliability
    from argmap.model import TESTS
    from argmap.scales import SCALES

    scale = SCALES[model.scale]
    beliefs = model.update()
    click.echo(f"New evidence for {model.title or model.name} (Enter keeps the [default]; Ctrl-C cancels)")

    def check(convert):
        def value_proc(text: str) -> Any:
            try:
                return convert(text.strip())
            except InvalidValue as exc:
                raise click.UsageError(exc.problem.message) from None
        return value_proc

    if not fields.text:
        fields.text = click.prompt("What was observed (a sentence or two)", value_proc=check(_non_empty))
    if everything and fields.date is None:
        fields.date = click.prompt("Date (YYYY, YYYY-MM or YYYY-MM-DD; empty: undated)", default="",
                                   show_default=False,
                                   value_proc=check(lambda t: str(parse_date(t, Location("date"))) if t else ""))
    if not fields.bears_on and not fields.observe:
        ids = list(model.claims)
        click.echo("Claims:")
        for number, cid in enumerate(ids, start=1):
            b = beliefs[cid]
            now = f"P = {b.posterior['true']:.2f}" if b.is_binary else f"most probable: {b.most_probable}"
            click.echo(f"  {number:>2}. {cid} ({model.claims[cid].role}; {now})")
        default = (model.hypotheses or tuple(ids))[0]
        fields.bears_on = click.prompt("Which claim does it bear on (name or number)", default=default,
                                       value_proc=check(lambda t: _choose(t, ids, "claim")))
    if everything and not fields.absent and not fields.expected:
        found = click.prompt("Found, looked for and absent, or expected (not looked for yet)",
                             type=click.Choice(["found", "absent", "expected"]), default="found")
        fields.absent, fields.expected = found == "absent", found == "expected"
    if not fields.ways():
        target = model.claims[fields.bears_on] if fields.bears_on else None
        ways = ["test", "likelihood"] + (["lr"] if target and target.is_binary and not fields.absent
                                          and not fields.source and not fields.reliability else [])  # DESIGN §4
        ways += ["observe"] if target and not fields.absent and not fields.source and not fields.reliability else []
        click.echo("How strongly does it bear on the claim?  test: a process-tracing test (hoop, smoking gun, ...); "
                   "likelihood: P(observation | each state)" + ("; lr: a likelihood ratio" if "lr" in ways else "")
                   + ("; observe: the claim's state is simply known (hard evidence)" if "observe" in ways else ""))
        way = click.prompt("Way", type=click.Choice(ways), default="test")
        if way == "observe" and target:
            known = click.prompt(f"Which state of {target.id} is known", type=click.Choice(list(target.states)),
                                 default=target.states[0])
            fields.observe, fields.bears_on = (f"{target.id}={known}",), None
        elif way == "test":
            for name, (if_h, if_not) in TESTS.items():
                click.echo(f"  {name:<18} P(E | H) {if_h}, P(E | not H) {if_not}")
            fields.test = click.prompt("Test", type=click.Choice(list(TESTS)), default="straw_in_the_wind",
                                       show_choices=False)
            if target and not target.is_binary and not fields.for_state:
                fields.for_state = click.prompt("Which state is the test for", type=click.Choice(list(target.states)),
                                                default=target.states[0])
        elif way == "lr":
            fields.lr = click.prompt("P(E | true) / P(E | false)", type=click.FloatRange(min=0, min_open=True))
        else:
            states = target.states if target else ("true", "false")
            fields.likelihood = tuple(
                f"{s}=" + click.prompt(f"P(this observation | {fields.bears_on} = {s})",
                                       value_proc=check(lambda t: read_prob(_number_or_text(t), Location("likelihood"),
                                                                        scale, "likelihood") and t))
                for s in states)
    if everything and not fields.observe and fields.lr is None:  # hard evidence has no reliability: it is
        # known; an lr states no levels for a reliability to mix (DESIGN §4)
        if model.sources and not fields.source and not fields.reliability:
            choice = click.prompt("Shared source", type=click.Choice(["none", *model.sources]), default="none")
            fields.source = None if choice == "none" else choice
        if not fields.source and not fields.reliability:
            fields.reliability = click.prompt(
                "Reliability (A–F or 0–1; empty: fully reliable)", default="", show_default=False,
                value_proc=check(lambda t: reliability(_number_or_text(t), Location("reliability"), scale) and t
                                 if t else "")) or None
    if everything:
        if not fields.cite and model.bib_keys:
            keys = click.prompt("BibTeX key(s), separated by spaces (empty: none)", default="", show_default=False,
                                value_proc=check(lambda t: [_choose(k, sorted(model.bib_keys or ()), "BibTeX key")
                                                            for k in t.split()]))
            fields.cite = tuple(keys)
        if not fields.url:
            fields.url = click.prompt("URL (empty: none)", default="", show_default=False) or None
        if not fields.quote:
            fields.quote = click.prompt("Quote (empty: none)", default="", show_default=False) or None
            if fields.quote and not fields.page:
                fields.page = click.prompt("Page (empty: none)", default="", show_default=False) or None
    if not fields.id:
        taken = {*model.claims, *model.sources, *(i.id for i in model.evidence)}

        def new_id(text: str) -> str:
            if not ID_PATTERN.match(text):
                raise InvalidValue(Location("id"), f"'{text}' is not a valid id: lower-case letters, digits and _, "
                                               "starting with a letter")
            if text in taken:
                raise InvalidValue(Location("id"), f"'{text}' is taken; choose another id")
            return text

        fields.id = click.prompt("Id", default=derive_id(fields.text or "", taken, common=model.title),
                                 value_proc=check(new_id))
    return fields


def _non_empty(text: str) -> str:
    from argmap.loader.reader import InvalidValue

    if not text:
        raise InvalidValue(Location("text"), "say what was observed")
    return text


def _choose(text: str, choices: Sequence[str], what: str) -> str:
    """``text`` if it is one of ``choices``, or the choice it numbers (1-based)."""
    from argmap.errors import did_you_mean
    from argmap.loader.reader import InvalidValue

    if text in choices:
        return text
    if text.isdigit() and 1 <= int(text) <= len(choices):
        return choices[int(text) - 1]
    raise InvalidValue(Location(what), f"unknown {what} '{text}'" + did_you_mean(text, choices))


# ----------------------------------------------------------------------------- the belief log


def belief_columns(model: Model) -> list[tuple[str, str]]:
    """(claim, state) pairs the log follows: P(true) of each binary hypothesis or rival, every
    state of a multi-state one; every claim when the model marks none as hypothesis."""
    claims = model.hypotheses or tuple(model.claims)
    columns = []
    for cid in claims:
        claim = model.claims[cid]
        columns += [(cid, "true")] if claim.is_binary else [(cid, s) for s in claim.states]
    return columns


def column_name(claim: str, state: str) -> str:
    return claim if state == "true" else f"{claim}={state}"


def _digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def evidence_hash(model: Model) -> str:
    """A fingerprint of what the evidence says (ids, dates, numbers, citations), blind to
    comments, layout and which file an item is in: it changes exactly when an item does."""
    return _digest(sorted((item_document(i) for i in model.evidence), key=lambda d: d["id"]))


def model_hash(model: Model) -> str:
    """A fingerprint of the model file's claims, sources and numbers (not of its comments)."""
    return _digest(model_document(model))


def git_commit(model: Model) -> str:
    """The short commit of the repository holding the model, + when the model, its evidence or
    its bibliography has uncommitted changes; empty outside git."""
    folder = os.path.dirname(os.path.abspath(model.path))
    paths = [os.path.abspath(p) for p in (model.path, *model.evidence_paths, model.bibliography or "") if p
             and os.path.exists(p)]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=folder, capture_output=True,
                              text=True, timeout=10)
        if head.returncode != 0:
            return ""
        dirty = subprocess.run(["git", "status", "--porcelain", "--", *paths], cwd=folder, capture_output=True,
                               text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return head.stdout.strip() + ("+" if dirty.stdout.strip() else "")


@attrs.frozen
class LogRow:
    """One line of the belief log."""

    values: Mapping[str, str]  # column → cell, as written

    def posterior(self, column: str) -> float | None:
        cell = self.values.get(column, "")
        try:
            return float(cell)
        except ValueError:
            return None


def read_log(path: str) -> tuple[list[str], list[LogRow]]:
    """The log's columns and rows; a missing or malformed file is a clear problem."""
    from argmap._files import read_text

    text = read_text(path)
    reader = csv.reader(io.StringIO(text))
    rows = list(reader)
    if not rows or tuple(rows[0][: len(LOG_FIXED)]) != LOG_FIXED:
        raise ArgmapError.at(Location(path, 1), f"not an argmap belief log: the first line should start with "
                                                f"{','.join(LOG_FIXED)}; write the log with argmap update --log")
    header = rows[0]
    out = []
    for number, cells in enumerate(rows[1:], start=2):
        if len(cells) != len(header):
            raise ArgmapError.at(Location(path, number), f"{len(cells)} cells where the header has {len(header)}; "
                                                         "repair or remove this line (the log is plain CSV)")
        out.append(LogRow(dict(zip(header, cells))))
    return header, out


def log_beliefs(beliefs: Beliefs, path: str | None = None, *, now: dt.datetime | None = None) -> tuple[str, bool]:
    """Append one line for ``beliefs`` to the belief log; returns (path, appended). A run whose
    model, evidence and cutoff equal the last line's adds nothing (the log records changes).

    New hypotheses add columns at the end (the file is then rewritten, old lines left empty
    there); everything is written atomically."""
    from argmap._terminal import safe_cell  # a state named '=cmd|…' is a formula in a spreadsheet

    model = beliefs.model
    path = path or log_path(model)
    columns = [safe_cell(column_name(c, s)) for c, s in belief_columns(model)]
    row = {
        "timestamp": (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": git_commit(model),
        "as_of": str(beliefs.as_of) if beliefs.as_of else "",
        "model": model_hash(model),
        "evidence": evidence_hash(model),
        "items": str(len(beliefs.counted)),
    }
    for (cid, state), name in zip(belief_columns(model), columns):
        row[name] = f"{beliefs.posterior(cid, state):.4f}"
    with folder_lock(os.path.dirname(os.path.abspath(path)), Location(path)):  # two runs: both lines kept
        header, rows = read_log(path) if os.path.exists(path) else (list(LOG_FIXED), [])
        if rows and all(rows[-1].values.get(k) == row[k] for k in ("model", "evidence", "as_of")):
            return path, False
        header = header + [c for c in columns if c not in header]
        records = [r.values for r in rows] + [row]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for record in records:
            writer.writerow([record.get(c, "") for c in header])
        try:
            write_atomic(path, out.getvalue())
        except OSError as exc:
            raise ArgmapError.at(Location(path), f"cannot write the belief log {path}: {exc.strerror or exc}") from None
    return path, True


@contextlib.contextmanager
def folder_lock(folder: str, at: Location) -> Iterator[None]:
    """An exclusive lock on ``folder`` (flock on the folder itself: no lock file is left behind),
    held while a file in it is read, changed and replaced."""
    try:
        os.makedirs(folder, exist_ok=True)
        handle = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        raise ArgmapError.at(at, f"cannot open the folder {folder}: {exc.strerror or exc}") from None
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory locks, as before
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


# ----------------------------------------------------------------------------- history

_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None]) -> str:
    """One character per value on the fixed scale 0–1 (so lines of different claims compare);
    a gap for a missing value."""
    return "".join(" " if v is None or math.isnan(v) else _BARS[min(int(v * len(_BARS)), len(_BARS) - 1)]
                   for v in values)


def history_table(header: Sequence[str], rows: Sequence[LogRow], *, label: str = "timestamp") -> str:
    """The log as text: a row per run with each followed posterior, then a sparkline per column."""
    columns = [c for c in header if c not in _NOT_BELIEFS]
    titles = [label, "commit", "as_of", "items", *columns]
    cells = []
    previous: dict[str, float | None] = {}
    for row in rows:
        line = [row.values.get(label, ""), row.values.get("commit", ""), row.values.get("as_of", "") or "all",
                row.values.get("items", "")]
        for c in columns:
            p = row.posterior(c)
            arrow = ""
            if p is not None and previous.get(c) is not None:
                arrow = " ↑" if p > previous[c] + 0.005 else " ↓" if p < previous[c] - 0.005 else "  "
            line.append("" if p is None else f"{p:.3f}{arrow or '  '}")
            previous[c] = p
        cells.append(line)
    lines = text_table(titles, cells, right=set(range(4, len(titles))))
    if rows and columns:
        lines += ["", "evolution (▁ = 0 … █ = 1, one mark per line above):"]
        width = max(len(c) for c in columns)
        for c in columns:
            values = [r.posterior(c) for r in rows]
            known = [v for v in values if v is not None]
            span = f"{known[0]:.3f} → {known[-1]:.3f}" if known else ""
            lines.append(f"  {c.ljust(width)}  {sparkline(values)}  {span}")
    return "\n".join(lines)


def history_plot(header: Sequence[str], rows: Sequence[LogRow], *, fmt: str = "svg", title: str = "",
                 label: str = "timestamp", width: str | None = None, font: str | None = None) -> bytes:
    """Each followed posterior as a step line over the log's lines (matplotlib, greyscale-safe);
    ``width`` ("3.5in", "7in" …): exactly that wide, no text under 7 pt; ``font``: the family."""
    from argmap.output.plots import TICK_PT, TITLE_PT, figure_width, pyplot, save

    plt = pyplot(font)
    inches, fixed = figure_width(width)
    columns = [c for c in header if c not in _NOT_BELIEFS]
    fig, ax = plt.subplots(figsize=(inches, 3.2 if inches >= 5 else 2.8), layout="constrained")
    styles = ["-", "--", ":", "-."]
    markers = ["o", "s", "^", "D", "v", "x"]
    xs = list(range(len(rows)))
    for k, c in enumerate(columns):
        ys = [math.nan if r.posterior(c) is None else r.posterior(c) for r in rows]
        ax.plot(xs, ys, drawstyle="steps-post", linestyle=styles[k % len(styles)], marker=markers[k % len(markers)],
                markersize=3, color=str(0.15 + 0.5 * (k % 3) / 2), linewidth=1, label=c)
    ax.set_ylim(0, 1)
    ax.set_ylabel("posterior")
    ax.set_xticks(xs, _history_ticks(rows, label, inches))
    ax.tick_params(axis="x", labelsize=TICK_PT, labelrotation=90, length=2, pad=2)
    ax.set_title(title or "How the belief evolved", fontsize=TITLE_PT, loc="left")
    fig.legend(fontsize=TICK_PT, frameon=False, loc="outside lower center",
               ncol=min(len(columns), 3 if inches >= 5 else 2) or 1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return save(fig, fmt, fixed)


def _history_ticks(rows: Sequence[LogRow], label: str, inches: float) -> list[str]:
    """One label per line of the log, rotated: the date (only where it changes) and the commit;
    every k-th when they would touch at 7 pt."""
    from argmap.output.plots import labels_every

    every = labels_every(len(rows), inches * 72 * 0.85)
    ticks: list[str] = []
    last_day = None
    for k, r in enumerate(rows):
        if k % every:
            ticks.append("")
            continue
        day = r.values.get(label, "")[:10]
        parts = [day if day != last_day else "", r.values.get("commit", "")[:7]]
        if r.values.get("as_of"):
            parts.append(f"as of {r.values['as_of']}")
        last_day = day
        ticks.append("  ".join(p for p in parts if p))
    return ticks
