"""Argdown or BIF files → argmap model files (YAML), checked by argmap's own loader before
anything is written.

Argdown: the subset argmap writes (statements, arguments, ``+>``/``->``/``<+``/``<-`` in
indentation trees, ``{...}`` metadata, front matter, comments and headings). Statements become
claims and arguments carrying evidence metadata become evidence items; ``argmap export --to
argdown`` followed by this import gives back the same model. BIF (also gzipped) and XMLBIF:
every variable becomes a claim with ``given`` + ``table`` (or ``prior``).

Names that are not argmap ids are made into ids (lower case, ``[a-z][a-z0-9_]*``, made unique
with ``_2``, ``_3`` …) and the original name is kept as the claim's ``label``.
"""

from __future__ import annotations

import gzip
import itertools
import math
import os
import re
import tempfile
from typing import Any

import attrs
import yaml

from argmap.loader.yaml_lines import read_yaml
from argmap.errors import ArgmapError, Location, Problem

__all__ = ["IMPORT_SUFFIXES", "Imported", "import_file", "parse_argdown", "sanitise_id"]

IMPORT_SUFFIXES = {".argdown": "argdown", ".ad": "argdown", ".bif": "bif", ".bif.gz": "bif",
                   ".xmlbif": "xmlbif", ".bifxml": "xmlbif", ".xml": "xmlbif"}
SUM_TOLERANCE = 1e-9  # as argmap.loader.reader: a row further from 1 than this is renormalised, and said so
DEFAULT_STRENGTH = 0.5  # Argdown relations without numbers: a middling noisy-OR strength
COMPUTED_KEYS = ("prior_p", "posterior_p", "verbal", "db", "counted")  # argmap's outputs, not inputs
CLAIM_META_KEYS = ("label", "role", "states", "prior", "supported_by", "attacked_by", "leak", "given",
                   "table", "supports", "attacks", "note", "text")
ITEM_BEARING_KEYS = ("bears_on", "likelihood", "lr", "test", "observe", "given", "table")


@attrs.frozen
class Imported:
    """A model ready to write: its document, its evidence items, and notes for the user."""

    model: dict[str, Any]
    items: list[dict[str, Any]]
    notes: list[str]
    header: list[str]  # comment lines for the top of the model file


def sanitise_id(name: str, taken: set[str]) -> str:
    """A valid, unused argmap id for ``name``; adds it to ``taken``."""
    base = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    if not base or not base[0].isalpha():
        base = "v_" + base if base else "v"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    taken.add(candidate)
    return candidate


def import_file(source: str, output: str, *, force: bool = False) -> list[str]:
    """Read ``source`` (Argdown, BIF or XMLBIF), write ``output`` (a model file) and, when there is
    evidence, its evidence file beside it; return the paths written. Nothing is written unless
    the result passes ``argmap check``; existing files are kept unless ``force``."""
    from argmap.loader.reader import collector_paused

    with collector_paused():
        return _import(source, output, force=force)


def _import(source: str, output: str, *, force: bool) -> list[str]:
    kind = _kind(source)
    from argmap._files import read_text

    if kind == "bif" and source.endswith(".gz"):
        text = _read_gzip(source)
    else:
        text = read_text(source)
    imported = parse_argdown(text, source, output) if kind == "argdown" else parse_bif(text, source, xml=kind == "xmlbif")
    return _write(imported, source, output, force=force, rows=kind != "argdown")


def _kind(source: str) -> str:
    lower = source.lower()
    for suffix in sorted(IMPORT_SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return IMPORT_SUFFIXES[suffix]
    raise ArgmapError.at(Location(source), "argmap imports Argdown (.argdown), BIF (.bif, .bif.gz) and XMLBIF "
                                           "(.xmlbif, .bifxml, .xml) files; rename the file with one of these "
                                           "endings if it is one of them")


def _read_gzip(path: str) -> str:
    import io

    from argmap._files import read_bytes
    from argmap._files import MAX_FILE_BYTES

    packed = read_bytes(path)
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(packed)) as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # bounded: a gzip bomb unpacks 1000 to 1
        if len(data) > MAX_FILE_BYTES:
            raise ArgmapError.at(Location(path), f"unpacks to more than {MAX_FILE_BYTES // 10**6} MB; argmap "
                                                 f"reads files up to {MAX_FILE_BYTES // 10**6} MB")
        return data.decode("utf-8").replace("\r\n", "\n")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise ArgmapError.at(Location(path), f"cannot read {path} as gzipped UTF-8 text ({exc}); "
                                             "give a .bif file or a .bif.gz made with gzip") from None


def _write(imported: Imported, source: str, output: str, *, force: bool, rows: bool = False) -> list[str]:
    from argmap.loader.validate import load_document
    from argmap.loader.yaml_lines import located

    evidence_name = f"{os.path.splitext(os.path.basename(output))[0]}.evidence.yaml"
    model = dict(imported.model)
    model["evidence"] = [evidence_name] if imported.items else []
    # a network's tables: one line a row, written and read back line by line (argmap.interop.yaml_writer)
    model_text = yaml_text(model, imported.header, rows=rows)
    evidence_text = yaml_text(imported.items, [f"Evidence imported by argmap from {os.path.basename(source)}"],
                              rows=rows)
    targets = [(output, model_text)]
    if imported.items:
        targets.append((os.path.join(os.path.dirname(output), evidence_name), evidence_text))
    # a file that argmap cannot load is never written
    if len(targets) == 1 and "bibliography" not in model:
        # a model alone (an imported network) is checked as the document it is, not written and
        # read back: what the writer writes reads back as the data (tests/test_block_yaml.py,
        # tests/test_import.py)
        _check(lambda: load_document(located(model, output), output), source)
    else:
        _check_written(model, imported.header, source, output, [model_text, evidence_text, evidence_name], rows)
    return _write_files(targets, force=force)


def _check(load: Any, source: str) -> None:
    """The problems of ``load()``, raised as the imported file's."""
    try:
        load()
    except ArgmapError as exc:
        raise ArgmapError([Problem(Location(source), f"the model imported from it does not check: "
                                                     f"{p.message}") for p in exc.problems]) from None


def _check_written(model: dict[str, Any], header: list[str], source: str, output: str, texts: list[str],
                   rows: bool) -> None:
    """Load the model and its evidence file (texts: model, evidence, the evidence file's name) as
    written, in a scratch folder; a relative bibliography found from where ``output`` will be."""
    from argmap.loader.validate import load

    model_text, evidence_text, evidence_name = texts
    with tempfile.TemporaryDirectory() as scratch:
        trial = os.path.join(scratch, os.path.basename(output))
        with open(trial, "w", encoding="utf-8") as out:
            out.write(model_text)
        with open(os.path.join(scratch, evidence_name), "w", encoding="utf-8") as out:
            out.write(evidence_text)
        if "bibliography" in model and not os.path.isabs(model["bibliography"]):
            # make the relative path resolve from the scratch folder as it will from output
            model_for_trial = dict(model, bibliography=os.path.normpath(
                os.path.join(os.path.dirname(os.path.abspath(output)), model["bibliography"])))
            with open(trial, "w", encoding="utf-8") as out:
                out.write(yaml_text(model_for_trial, header, rows=rows))
        _check(lambda: load(trial), source)


def _write_files(targets: list[tuple[str, str]], *, force: bool) -> list[str]:
    """Write (path, text) atomically; never over an input of this command, nor over an existing
    file unless ``force``."""
    from argmap._files import refuse_input
    from argmap._io import write_atomic

    for path, _ in targets:
        refuse_input(path)  # even with --force: never the file imported from
    if not force:
        for path, _ in targets:
            if os.path.exists(path):
                raise ArgmapError.at(Location(path), f"{path} exists; argmap does not overwrite files "
                                                     "unless you add --force (or choose another -o path)")
    written = []
    for path, text in targets:
        try:
            write_atomic(path, text, overwrite=force)
        except FileExistsError:
            raise ArgmapError.at(Location(path), f"{path} exists; add --force to overwrite it") from None
        except OSError as exc:
            raise ArgmapError.at(Location(path), f"cannot write {path}: {exc.strerror or exc}; choose an -o "
                                                 "path in a folder you can write to") from None
        written.append(path)
    return written


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Block style, keys in the order given, long text folded at 100 columns."""


def yaml_text(data: Any, header: list[str], *, rows: bool = False) -> str:
    """The data as YAML under comment lines; ``rows``: mappings of numbers as one flow line each,
    written by argmap's own writer (PyYAML's representer is pure Python, and slow on tables)."""
    if rows:
        from argmap.interop.yaml_writer import dump

        body = dump(data)
    else:
        body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                         default_flow_style=False)
    return "".join(f"# {line}\n" for line in header) + body


# ----------------------------------------------------------------------------- BIF


def parse_bif(text: str, source: str, *, xml: bool = False) -> Imported:
    """A BIF / XMLBIF network → a model: one claim per variable, in topological order."""
    network = _read_network(text, source, xml=xml)
    taken: set[str] = set()
    ids = {name: sanitise_id(name, taken) for name in sorted(network.nodes())}
    order = _topological(network)
    claims: dict[str, Any] = {}
    renamed_states: list[str] = []
    normalised: list[float] = []
    states_of: dict[str, list[str]] = {}
    for name in order:
        cpd = network.get_cpds(name)
        raw = [str(s) for s in cpd.state_names[name]]
        states_of[name] = _state_names(raw)
        if states_of[name] != raw:
            renamed_states.append(f"{name}: " + ", ".join(f"{a!r} → {b!r}" for a, b in zip(raw, states_of[name]) if a != b))
    for name in order:
        cpd = network.get_cpds(name)
        states = states_of[name]
        parents = [str(p) for p in cpd.variables[1:]]
        values = cpd.get_values()  # (states, parent rows); first parent varies slowest
        body: dict[str, Any] = {"text": name, "label": name} if ids[name] != name else {"text": name}
        body["role"] = "factor"
        if states != ["true", "false"]:
            body["states"] = states
        columns = []
        # rows alike (bit for bit) become one mapping, made once: a table's rows repeat, and the
        # writer and the check then meet each once (pathfinder: 25,772 rows, 1,060 alike)
        keys = _row_keys(values)
        seen: dict[bytes, tuple[dict[str, float], float | None]] = {}
        for index, probs in enumerate(values.T.tolist()):  # one list of Python floats per parent row
            found = seen.get(keys[index]) if keys is not None else None
            if found is None:
                total = sum(probs)
                off = None
                if abs(total - 1) > SUM_TOLERANCE:
                    off = abs(total - 1)
                    probs = [p / total for p in probs]
                found = (dict(zip(states, probs)), off)
                if keys is not None:
                    seen[keys[index]] = found
            if found[1] is not None:
                normalised.append(found[1])
            columns.append(found[0])
        if not parents:
            body["prior"] = columns[0]
        else:
            body["given"] = [ids[p] for p in parents]
            rows = itertools.product(*(states_of[p] for p in parents))
            body["table"] = {", ".join(row): column for row, column in zip(rows, columns)}
        claims[ids[name]] = body
    notes, header = [], [f"Imported by argmap from {os.path.basename(source)} ({'XMLBIF' if xml else 'BIF'}); "
                         "every variable is a claim, its name kept as the label where the id differs."]
    renamed = [f"{name} → {cid}" for name, cid in ids.items() if name != cid]
    if renamed:
        notes.append(f"{len(renamed)} variable name(s) made into argmap ids: " + "; ".join(renamed))
        header.append("ids: " + "; ".join(renamed))
    if renamed_states:
        notes.append("state names made valid (no commas or edge spaces): " + "; ".join(renamed_states))
        header.append("states: " + "; ".join(renamed_states))
    if normalised:
        notes.append(f"{len(normalised)} table row(s) did not sum to 1 (off by up to {max(normalised):.2g}) "
                     "and were divided by their sum")
        header.append(notes[-1])
    name = str(getattr(network, "name", "") or "")
    model = {"argmap": 1, "title": name if name not in ("", "unknown") else os.path.basename(source),
             "claims": claims}
    return Imported(model, [], notes, header)


def _row_keys(values: Any) -> list[bytes] | None:
    """Each parent row's numbers as bytes (equal exactly when the row's floats are alike bit for
    bit, 0.0 and -0.0 apart), or None for a table that is not a 2-D array of float64."""
    import numpy as np

    if not isinstance(values, np.ndarray) or values.dtype != np.float64 or values.ndim != 2 or not values.shape[0]:
        return None
    packed = np.ascontiguousarray(values.T)
    return packed.view(np.dtype((np.void, packed.shape[1] * packed.itemsize))).ravel().tolist()


# the word first and "no letter before it" after it, not r"\bvariable": an expression that opens
# with its literal text is scanned for it in C (on mildew's 10 MB, 1 ms instead of 80)
_BIF_VARIABLE = re.compile(r"variable(?<!\wvariable)\s+([^\s{]+)\s*\{[^}]*?\[\s*(\d+)\s*\]")
_BIF_FAMILY = re.compile(r"probability(?<!\wprobability)\s*\(\s*([^|)\s]+)\s*(?:\|([^)]*))?\)")
_XML_VARIABLE = re.compile(r"<VARIABLE\b.*?</VARIABLE>", re.S | re.I)
_XML_DEFINITION = re.compile(r"<(?:DEFINITION|PROBABILITY)\b.*?</(?:DEFINITION|PROBABILITY)>", re.S | re.I)
_XML_TAG = {tag: re.compile(rf"<{tag}>\s*(.*?)\s*</{tag}>", re.S | re.I) for tag in ("NAME", "OUTCOME", "FOR", "GIVEN")}


def _check_sizes(text: str, source: str, *, xml: bool) -> None:
    """Refuse tables too large to build before pgmpy allocates them: a 2.6 kB BIF whose variable
    has 26 parents asks for 2**27 numbers. Sizes come from the declared state counts."""
    from argmap._limits import MAX_STATES, table_problem

    cards: dict[str, int] = {}
    families: list[tuple[str, list[str], int]] = []
    if xml:
        for match in _XML_VARIABLE.finditer(text):
            name = _XML_TAG["NAME"].search(match.group(0))
            if name:
                cards[name.group(1)] = len(_XML_TAG["OUTCOME"].findall(match.group(0)))
        for match in _XML_DEFINITION.finditer(text):
            child = _XML_TAG["FOR"].search(match.group(0))
            if child:
                families.append((child.group(1), _XML_TAG["GIVEN"].findall(match.group(0)),
                                 text.count("\n", 0, match.start()) + 1))
    else:
        for match in _BIF_VARIABLE.finditer(text):
            cards[match.group(1)] = int(match.group(2))
        line, seen = 1, 0
        for match in _BIF_FAMILY.finditer(text):
            parents = [p.strip() for p in (match.group(2) or "").split(",") if p.strip()]
            line += text.count("\n", seen, match.start())
            seen = match.start()
            families.append((match.group(1), parents, line))
    wide = [(name, count) for name, count in cards.items() if count > MAX_STATES]
    if wide:
        raise ArgmapError.at(Location(source), f"variable '{wide[0][0]}' has {wide[0][1]:,} states; argmap claims "
                                               f"have up to {MAX_STATES:,} states (merge states, or model the "
                                               "quantity in ranges)")
    problems = [problem for child, parents, line in families
                if (problem := table_problem(Location(source, line), f"variable '{child}'", max(cards.get(child, 1), 1),
                                             [max(cards.get(p, 1), 1) for p in parents]))]
    if problems:
        raise ArgmapError(problems)


def _read_network(text: str, source: str, *, xml: bool) -> Any:
    _check_sizes(text, source, xml=xml)  # before either reader allocates a table
    if not xml:
        fast = _read_plain_bif(text)
        if fast is not None:
            return fast
    return _read_with_pgmpy(text, source, xml=xml)


class _Cpd:
    """The part of pgmpy's TabularCPD that :func:`parse_bif` reads."""

    def __init__(self, name: str, parents: list[str], states: dict[str, list[str]], values: Any):
        self.variables = [name, *parents]
        self.state_names = {v: states[v] for v in self.variables}
        self._values = values

    def get_values(self) -> Any:
        return self._values


_BIF_BLOCK = re.compile(r"\b(network|variable|probability)\b(.*?)\{(.*?)\}\s*(?=\b(?:network|variable|probability)\b|\Z)",
                        re.DOTALL)
_BIF_TYPE = re.compile(r"type\s+discrete\s*\[\s*(\d+)\s*\]\s*\{([^}]*)\}\s*;")
_BIF_ENTRY = re.compile(r"\s*(?:\(([^)]*)\)|(table)|(default))\s*([^;()]*);")
_BIF_NAME = re.compile(r"[\w.-]+")
_BIF_STATE = re.compile(r"[^\s,;{}()]+(?: [^\s,;{}()]+)*")  # as pgmpy reads them: "<5", "Asy/Patch"


def _read_plain_bif(text: str) -> Any:
    """A BIF file of the common shape (bnlearn's, pgmpy's and argmap's own) read with regular
    expressions, 20–50× faster than pgmpy's pyparsing reader; None for anything else — comments,
    quotes, properties, a table that does not add up — which pgmpy then reads (and reports)."""
    import numpy as np

    if "/*" in text or "//" in text or '"' in text:
        return None
    states: dict[str, list[str]] = {}
    blocks: list[tuple[str, list[str], str]] = []
    name = ""
    end = 0
    for match in _BIF_BLOCK.finditer(text):
        if text[end:match.start()].strip():
            return None
        end = match.end()
        kind, head, body = match.group(1), match.group(2).strip(), match.group(3)
        if kind == "network":
            name = head
        elif kind == "variable":
            found = _BIF_TYPE.fullmatch(body.strip())
            if not _BIF_NAME.fullmatch(head) or not found:
                return None
            names = [x.strip() for x in found.group(2).split(",")]
            if len(names) != int(found.group(1)) or not all(_BIF_STATE.fullmatch(x) for x in names):
                return None
            states[head] = names
        else:
            inner = re.fullmatch(r"\(\s*([\w.-]+)\s*(?:\|\s*([^)]*))?\)", head)
            if not inner:
                return None
            parents = [x.strip() for x in inner.group(2).split(",")] if inner.group(2) else []
            blocks.append((inner.group(1), parents, body))
    if text[end:].strip() or not states:
        return None
    cpds: dict[str, _Cpd] = {}
    for child, parents, body in blocks:
        if child not in states or child in cpds or any(p not in states for p in parents):
            return None
        cards = [len(states[p]) for p in parents]
        rows = math.prod(cards)
        found = _rows_at_once(body, parents, states, rows, len(states[child])) if parents else None
        if found is not None:
            if np.isnan(found).any() or (found < 0).any() or not _adds_up(found):
                return None  # as below
            cpds[child] = _Cpd(child, parents, states, found)
            continue
        values = np.full((len(states[child]), rows), np.nan)
        index = {p: {s: i for i, s in enumerate(states[p])} for p in parents}
        pos = 0
        entries = []
        for entry in _BIF_ENTRY.finditer(body):
            if entry.start() != pos:
                return None
            pos = entry.end()
            try:
                numbers = [float(x) for x in entry.group(4).replace(",", " ").split()]
            except ValueError:
                return None
            entries.append((entry, numbers))
        if parents and all(entry.group(1) is not None for entry, _ in entries):
            # only "(states) numbers;" rows, the usual shape: a list a row, one array at the end
            found = _rows_only(entries, parents, states, index, rows, values.shape[0])
            if found is None:
                return None
            values = found
            entries = []
        for entry, numbers in entries:
            if entry.group(2):  # table: the child's states slowest
                if len(numbers) != values.size:
                    return None
                values[:] = np.array(numbers).reshape(values.shape)
            elif entry.group(3):  # default: every row not given
                if len(numbers) != values.shape[0]:
                    return None
                missing = np.isnan(values).all(axis=0)
                values[:, missing] = np.array(numbers)[:, None]
            else:
                row = [x.strip() for x in entry.group(1).split(",")]
                if len(row) != len(parents) or len(numbers) != values.shape[0]:
                    return None
                try:
                    column = 0
                    for p, state in zip(parents, row):
                        column = column * len(states[p]) + index[p][state]
                except KeyError:
                    return None
                values[:, column] = numbers
        if body[pos:].strip() or np.isnan(values).any() or (values < 0).any():
            return None
        if not _adds_up(values):  # as pgmpy's check_model
            return None
        cpds[child] = _Cpd(child, parents, states, values)
    if set(cpds) != set(states):
        return None
    order = _lexicographic_order({c: cpd.variables[1:] for c, cpd in cpds.items()})
    if order is None:
        return None  # a cycle: pgmpy's reader says so
    return _PlainNetwork(name, cpds, order)


_BIF_ROW = re.compile(r"(\s*)\(([^)]*)\)(\s*)([^;()]*);")  # every character but "(", ")" and ";" in a group
_ROW_INDEX: dict[tuple[tuple[str, ...], ...], dict[str, int]] = {}


_ADDS_UP = 0.01 + 1e-05 * 1.0  # np.allclose(sums, 1, atol=0.01): |sum - 1| <= atol + rtol * |1|


def _adds_up(values: Any) -> bool:
    """``np.allclose(values.sum(axis=0), 1, atol=0.01)`` (pgmpy's check_model), without its
    fixed cost, a tenth of a small network's import (asia: 8 tables)."""
    import numpy as np

    return bool((np.abs(values.sum(axis=0) - 1) <= _ADDS_UP).all())


def _rows_at_once(body: str, parents: list[str], states: dict[str, list[str]], rows: int, width: int) -> Any:
    """The table of a body of "(states) numbers;" entries, every row once, read with a few calls
    over the whole body instead of a few a row (what :func:`_rows_only` gives for it: the same
    texts through ``float``); None for any other body, which the entry-by-entry path reads."""
    import numpy as np

    entries = _BIF_ROW.findall(body)
    if len(entries) != rows:
        return None
    # one after the other from the start, nothing skipped between them: what they hold adds up
    # to the body (one pass over it, where a match of the whole body took a second)
    if sum(map(len, itertools.chain.from_iterable(entries))) + 3 * rows != len(body.rstrip()):
        return None
    key = tuple(tuple(states[p]) for p in parents)
    index = _ROW_INDEX.get(key)
    if index is None:
        index = {", ".join(row): i for i, row in enumerate(itertools.product(*key))}
        if len(_ROW_INDEX) > 256:
            _ROW_INDEX.clear()
        _ROW_INDEX[key] = index
    heads = [head for _, head, _, _ in entries]
    columns = list(map(index.get, heads))  # "(a, b)" as written most often
    if None in columns:
        heads = [", ".join(map(str.strip, head.split(","))) for head in heads]
        columns = list(map(index.get, heads))
        if None in columns:
            return None
    if len(set(columns)) != rows:
        return None  # a row twice (and so another missing)
    # the rows' numbers in one list, a ";" between rows: each row holds width numbers exactly when
    # the ";" fall every width + 1 texts
    texts = " ; ".join([numbers for _, _, _, numbers in entries]).replace(",", " ").split()
    if len(texts) != rows * (width + 1) - 1 or texts[width::width + 1].count(";") != rows - 1:
        return None
    del texts[width::width + 1]
    try:
        numbers = np.array(list(map(float, texts))).reshape(rows, width)
    except ValueError:
        return None
    values = np.empty((rows, width))
    values[columns] = numbers
    return values.T


def _rows_only(entries: list, parents: list[str], states: dict[str, list[str]], index: dict, rows: int,
               width: int) -> Any:
    """A table given row by row: (child states, rows) with every row given once, or None."""
    import numpy as np

    columns: list[Any] = [None] * rows
    strides = [math.prod(len(states[p]) for p in parents[k + 1:]) for k in range(len(parents))]
    lookups = [index[p] for p in parents]
    for entry, numbers in entries:
        row = entry.group(1).split(",")
        if len(row) != len(parents) or len(numbers) != width:
            return None
        try:
            column = sum(lookup[state.strip()] * stride for lookup, state, stride in zip(lookups, row, strides))
        except KeyError:
            return None
        columns[column] = numbers
    if any(c is None for c in columns):
        return None
    return np.array(columns).T


class _PlainNetwork:
    """The part of pgmpy's network that :func:`parse_bif` reads, for a BIF read here."""

    def __init__(self, name: str, cpds: dict[str, _Cpd], order: list[str]):
        self.name, self._cpds, self.order = name, cpds, order

    def nodes(self) -> list[str]:
        return list(self._cpds)

    def edges(self) -> list[tuple[str, str]]:
        return [(p, c) for c, cpd in self._cpds.items() for p in cpd.variables[1:]]

    def get_cpds(self, name: str) -> _Cpd:
        return self._cpds[name]


def _lexicographic_order(parents: dict[str, list[str]]) -> list[str] | None:
    """Parents before children, the smallest name first among those ready (networkx's
    lexicographical_topological_sort); None when there is a cycle."""
    import heapq

    waiting = {n: len(set(ps)) for n, ps in parents.items()}
    children: dict[str, list[str]] = {n: [] for n in parents}
    for n, ps in parents.items():
        for p in set(ps):
            children[p].append(n)
    ready = [n for n, k in waiting.items() if k == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        n = heapq.heappop(ready)
        order.append(n)
        for c in children[n]:
            waiting[c] -= 1
            if waiting[c] == 0:
                heapq.heappush(ready, c)
    return order if len(order) == len(parents) else None


def _read_with_pgmpy(text: str, source: str, *, xml: bool) -> Any:
    import warnings

    from pgmpy.readwrite import BIFReader, XMLBIFReader

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if xml:
                reader = XMLBIFReader(string=text)
            else:
                reader = BIFReader(string=text)
            network = reader.get_model()
            if not network.nodes():
                raise ValueError("no variable found")
            network.check_model()
    except Exception as exc:  # pgmpy raises pyparsing, KeyError, ValueError… for a malformed file
        line = getattr(exc, "lineno", 0) or _line_of(exc, text)
        what = "XMLBIF" if xml else "BIF"
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ArgmapError.at(Location(source, line), f"not a valid {what} network: {detail}; check the file "
                                                     f"against the {what} format (each variable declared, "
                                                     "each probability table complete)") from None
    return network


def _line_of(exc: Exception, text: str) -> int:
    """The line of a name the error mentions, when it mentions one found in the text."""
    for word in re.findall(r"'([^']+)'", str(exc)):
        for number, line in enumerate(text.splitlines(), 1):
            if word in line:
                return number
    return 0


def _topological(network: Any) -> list[str]:
    if isinstance(network, _PlainNetwork):
        return list(network.order)
    import networkx as nx

    return [str(n) for n in nx.lexicographical_topological_sort(network)]


def _state_names(raw: list[str]) -> list[str]:
    """argmap states: non-empty, no commas, no surrounding spaces, unique."""
    out: list[str] = []
    seen: set[str] = set()  # a set: a list made 100,000 states take minutes
    for index, name in enumerate(raw):
        clean = re.sub(r"\s*,\s*", "_", name).strip() or f"state{index + 1}"
        while clean in seen:
            clean += "_"
        out.append(clean)
        seen.add(clean)
    return out


# ----------------------------------------------------------------------------- Argdown

_RELATION = re.compile(r"(<\+|<-|\+>|->)\s+")
_UNSUPPORTED = re.compile(r"(><|_>|<_|-\s*-\s*-|\(\d+\)|\*\s|\d+\.\s)")


@attrs.define
class _Node:
    kind: str  # statement | argument
    title: str
    text: str = ""
    meta: dict[str, Any] = attrs.field(factory=dict)
    line: int = 0


@attrs.define
class _Line:
    number: int
    indent: int
    relation: str | None
    kind: str  # statement | argument
    title: str
    text: str | None
    meta: dict[str, Any] | None


def parse_argdown(text: str, source: str, output: str | None = None) -> Imported:
    """Argdown (the subset argmap writes, and hand-written maps within it) → a model."""
    front, body_start = _front_matter(text, source)
    lines = _argdown_lines(text, source, body_start)
    nodes: dict[tuple[str, str], _Node] = {}
    relations: list[tuple[tuple[str, str], tuple[str, str], str, int]] = []  # from, to, support|attack
    stack: list[tuple[int, tuple[str, str]]] = []
    for line in lines:
        key = (line.kind, line.title)
        node = nodes.setdefault(key, _Node(line.kind, line.title, line=line.number))
        if line.text and not node.text:
            node.text = line.text
        if line.meta:
            node.meta.update(line.meta)
        while stack and stack[-1][0] >= line.indent:
            stack.pop()
        if line.relation:
            if not stack:
                raise ArgmapError.at(Location(source, line.number), f"relation '{line.relation}' has no statement "
                                     "above it to attach to; indent it under the statement or argument it relates to")
            parent = stack[-1][1]
            if line.relation in ("<+", "<-"):
                relations.append((key, parent, "support" if line.relation == "<+" else "attack", line.number))
            else:
                relations.append((parent, key, "support" if line.relation == "+>" else "attack", line.number))
        stack.append((line.indent, key))
    return _argdown_model(nodes, relations, front, source, output)


def _front_matter(text: str, source: str) -> tuple[dict[str, Any], int]:
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or lines[first].strip() != "===":
        return {}, 0
    try:
        end = next(i for i in range(first + 1, len(lines)) if lines[i].strip() == "===")
    except StopIteration:
        raise ArgmapError.at(Location(source, first + 1), "front matter opened with '===' is never closed; "
                                                          "end it with a line '==='") from None
    # argmap's own YAML reader, with its limits (aliases, nesting, size); the padding keeps line numbers
    try:
        data = _plain(read_yaml("\n" * (first + 1) + "\n".join(lines[first + 1:end]), source)) or {}
    except ArgmapError as exc:
        raise ArgmapError([Problem(p.location, ("front matter is not valid YAML: " if p.message.startswith("YAML")
                                                else "front matter: ") + p.message)
                           for p in exc.problems]) from None
    if not isinstance(data, dict):
        raise ArgmapError.at(Location(source, first + 1), "front matter must be a YAML mapping (key: value lines)")
    return data, end + 1


def _plain(value: Any) -> Any:
    """LocDict/LocList → dict/list, which yaml.safe_dump can write."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _strip_comments(text: str) -> str:
    """Block comments (/* */, <!-- -->) blanked out, keeping line numbers; // comments are handled
    per line, outside escapes and metadata."""
    def blank(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    return re.sub(r"/\*.*?\*/|<!--.*?-->", blank, text, flags=re.S)


def _argdown_lines(text: str, source: str, start: int) -> list[_Line]:
    result = []
    raw_lines = _strip_comments(text).split("\n")
    for index in range(start, len(raw_lines)):
        number = index + 1
        raw = raw_lines[index].rstrip()
        stripped = raw.lstrip(" \t")
        if not stripped or stripped.startswith("//"):
            continue
        if stripped.startswith("#") and raw == stripped:
            continue  # a heading
        indent = len(raw.expandtabs(4)) - len(raw.expandtabs(4).lstrip(" "))
        at = Location(source, number)
        relation = None
        match = _RELATION.match(stripped)
        if match:
            relation = match.group(1)
            stripped = stripped[match.end():]
        result.append(_element(stripped, relation, indent, number, at))
    return result


def _element(rest: str, relation: str | None, indent: int, number: int, at: Location) -> _Line:
    opener = rest[:1]
    if opener not in "[<":
        hint = ("argmap imports statements '[Title]: text', arguments '<Title>: text', relations "
                "+>, ->, <+, <- and {...} metadata")
        if _UNSUPPORTED.match(rest):
            raise ArgmapError.at(at, f"'{rest[:40]}' is Argdown that argmap does not import (premise–conclusion "
                                     f"structures, lists, undercuts, contradictions); {hint}")
        raise ArgmapError.at(at, f"expected a statement or an argument, found '{rest[:40]}'; {hint}")
    closer = "]" if opener == "[" else ">"
    end = rest.find(closer)
    if end <= 1:
        raise ArgmapError.at(at, f"'{rest[:40]}': a title in {opener}{closer} is missing or not closed; write "
                                 f"{opener}Title{closer}")
    title = " ".join(rest[1:end].split())
    remainder = rest[end + 1:]
    kind = "statement" if opener == "[" else "argument"
    if not remainder.startswith(":"):
        remainder = _without_comment(remainder).strip()
        meta = None
        if remainder.startswith("{"):
            meta, remainder = _metadata(remainder, at)
        if remainder.strip():
            raise ArgmapError.at(at, f"unexpected text after {opener}{title}{closer}: '{remainder.strip()[:40]}'; "
                                     f"to define it write {opener}{title}{closer}: text")
        return _Line(number, indent, relation, kind, title, None, meta)
    body, meta = _text_and_metadata(remainder[1:], at)
    return _Line(number, indent, relation, kind, title, body, meta)


def _without_comment(text: str) -> str:
    index = text.find("//")
    return text if index < 0 else text[:index]


def _text_and_metadata(rest: str, at: Location) -> tuple[str, dict[str, Any] | None]:
    """Statement text (escapes undone) and its trailing {...} block, if any."""
    out: list[str] = []
    index = 0
    meta = None
    while index < len(rest):
        char = rest[index]
        if char == "\\" and index + 1 < len(rest):
            out.append(rest[index + 1])
            index += 2
            continue
        if char == "{":
            meta, tail = _metadata(rest[index:], at)
            if _without_comment(tail).strip():
                raise ArgmapError.at(at, f"text after the metadata block: '{tail.strip()[:40]}'; put {{...}} last")
            break
        if rest.startswith("//", index):
            break
        out.append(char)
        index += 1
    return " ".join("".join(out).split()), meta


def _metadata(rest: str, at: Location) -> tuple[dict[str, Any], str]:
    depth, index, quote = 0, 0, None
    while index < len(rest):
        char = rest[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                break
        index += 1
    if depth != 0:
        raise ArgmapError.at(at, "metadata block '{' is not closed on its line; write {key: value, …} on one line")
    block = rest[: index + 1]
    try:
        data = _plain(read_yaml(block, at.file))
    except ArgmapError as exc:
        raise ArgmapError.at(at, f"metadata {block[:50]} is not valid YAML: "
                                 f"{exc.problems[0].message}; write {{key: value, …}}") from None
    if not isinstance(data, dict):
        raise ArgmapError.at(at, "metadata must be a mapping {key: value, …}")
    return data, rest[index + 1:]


def _argdown_model(nodes: dict[tuple[str, str], _Node], relations: list, front: dict[str, Any],
                   source: str, output: str | None) -> Imported:
    settings = front.get("argmap") if isinstance(front.get("argmap"), dict) else {}
    # an argument that says how it bears on claims is evidence; any other node is a claim
    is_item = {key: n.kind == "argument" and any(k in n.meta for k in ITEM_BEARING_KEYS) for key, n in nodes.items()}
    taken: set[str] = set()
    ids: dict[tuple[str, str], str] = {}
    for key, node in nodes.items():  # ids written in the metadata first: they are referred to by id
        wanted = node.meta.get("id")
        if isinstance(wanted, str) and re.fullmatch(r"[a-z][a-z0-9_]*", wanted) and wanted not in taken:
            ids[key] = wanted
            taken.add(wanted)
    for key, node in nodes.items():
        if key not in ids:
            ids[key] = sanitise_id(node.title, taken)
    incoming: dict[tuple[str, str], list[tuple[tuple[str, str], str]]] = {}
    for source_key, target_key, kind, number in relations:
        if is_item[target_key]:
            raise ArgmapError.at(Location(source, number), f"'{nodes[target_key].title}' is evidence (an "
                                 "argument with likelihood metadata); evidence supports or attacks claims, "
                                 "nothing points to it")
        incoming.setdefault(target_key, []).append((source_key, kind))
    claims: dict[str, Any] = {}
    items: list[dict[str, Any]] = []
    depended_on = {s for s, t, _, _ in relations if not is_item[s]}
    for key, node in nodes.items():
        meta = {k: v for k, v in node.meta.items() if k not in COMPUTED_KEYS and k != "id"}
        text = meta.pop("text", None) or node.text or node.title
        if is_item[key]:
            item: dict[str, Any] = {"id": ids[key], "text": text, **meta}
            if not any(k in item for k in ("bears_on", "observe", "given")):
                targets = [t for s, t, _, _ in relations if s == key]
                if len(targets) != 1:
                    raise ArgmapError.at(Location(source, node.line), f"evidence '{node.title}' needs one claim "
                                         "it bears on: add bears_on to its metadata or one +>/-> relation")
                item["bears_on"] = ids[targets[0]]
            if "date" in item:
                item["date"] = str(item["date"])
            items.append(item)
            continue
        body: dict[str, Any] = {"text": text}
        if node.title != ids[key] and "label" not in meta:
            body["label"] = node.title
        body.update({k: v for k, v in meta.items() if k in CLAIM_META_KEYS})
        body.setdefault("role", "hypothesis" if key not in depended_on and incoming.get(key) else "factor")
        if not any(k in body for k in ("prior", "supported_by", "attacked_by", "given")):
            support = {ids[s]: DEFAULT_STRENGTH for s, kind in incoming.get(key, []) if kind == "support" and not is_item[s]}
            attack = {ids[s]: DEFAULT_STRENGTH for s, kind in incoming.get(key, []) if kind == "attack" and not is_item[s]}
            if support or attack:
                if support:
                    body["supported_by"] = support
                if attack:
                    body["attacked_by"] = attack
            else:
                body["prior"] = 0.5
        claims[ids[key]] = body
    model: dict[str, Any] = {"argmap": 1}
    for field in ("title", "question", "hypothesis", "theory", "authors"):
        value = settings.get(field, front.get(field) if field == "title" else None)
        if value:
            model[field] = value
    if settings.get("bibliography"):
        bib = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(source)), str(settings["bibliography"])))
        model["bibliography"] = os.path.relpath(bib, os.path.dirname(os.path.abspath(output))) if output else bib
    if settings.get("scale"):
        model["scale"] = settings["scale"]
    if isinstance(settings.get("sources"), dict):
        model["sources"] = settings["sources"]
    model["claims"] = claims
    header = [f"Imported by argmap from {os.path.basename(source)} (Argdown)."]
    renamed = [f"{nodes[k].title} → {cid}" for k, cid in ids.items() if nodes[k].title != cid and "id" not in nodes[k].meta]
    notes = [f"titles made into argmap ids: {'; '.join(renamed)}"] if renamed else []
    return Imported(model, items, notes, header)
