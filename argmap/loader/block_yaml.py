"""YAML text in the plain block style argmap writes and people type → the located values that
:func:`argmap.loader.yaml_lines.read_yaml` gives, read line by line; or :data:`NOT_PLAIN` where
the text leaves that style, and libyaml reads it instead.

An imported network is hundreds of thousands of one-line ``key: value`` entries; libyaml parses
them in C but hands every node to Python with its marks, and composing the document took 6–7 s
for pathfinder. This reader splits lines and keeps one location per key and item instead.

What it reads: block mappings and sequences (sequences indented or not under their key), plain
scalars (one line, or continued on more indented lines), single- and double-quoted scalars on
one line, full-line and trailing comments, and one-line flow collections: a flow mapping in the
shape argmap's writer gives a table's row (``{true: 0.8, false: 0.2}``: "key: value" entries
separated by ", ", plain or simply single-quoted, no other colon, comma or indicator) is read
here, once per distinct text (:class:`FlowRow`); any other flow collection is handed to the
caller's ``flow`` reader (libyaml) with its line. Anything else — a tab, a
block scalar (``|``, ``>``), an anchor, alias or tag outside a flow collection, a document
marker, a quoted key, a duplicate key, a multi-line quoted or flow value, a line it cannot
place — gives NOT_PLAIN, and the caller reads the text with libyaml (which then also reports
any error, at its line). Plain scalars resolve exactly as PyYAML resolves them: the caller's
``scalar`` is given their text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

from argmap.errors import Location

__all__ = ["FlowRow", "NOT_PLAIN", "NotPlain", "plain_type", "read_block", "scalar_text"]


class NotPlain(Exception):
    """The text leaves the plain block style (raised inside, and by the caller's callbacks)."""


NOT_PLAIN: Any = object()  # the answer when the text leaves the style this module reads


class FlowRow:
    """The keys and values of a one-line flow mapping, read once per distinct text and shared by
    every mapping written so (an imported table's rows repeat: pathfinder's 25,772 rows have 1,060
    texts). ``derived`` holds what a consumer made of them, so that it too is made once."""

    __slots__ = ("keys", "values", "derived", "cells")

    def __init__(self, keys: tuple[str, ...], values: tuple[Any, ...]):
        self.keys, self.values = keys, values
        self.derived: dict[Any, Any] = {}
        self.cells = dict(zip(keys, values))  # copied into each mapping: a dict copies faster than a zip

# characters that YAML reads as something other than plain text at the start of a scalar
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
# characters YAML does not allow in a stream, line breaks other than \n, tabs and a stray BOM:
# where any appears, libyaml reads the text (and says what is wrong)
_ODD = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]")
_SINGLE = re.compile(r"'((?:[^']|'')*)'(?:\s+#.*)?")
_DOUBLE = re.compile(r'"([^"\\]*)"(?:\s+#.*)?')
# inside a flow mapping read here: no nesting, comments, double quotes, anchors, aliases or tags
# (one character class: the regular expression engine scans for it far faster than for an alternation)
_FLOW_ODD = re.compile(r"[\[\]{}#\"&*!|>%@`?]")
_FLOW_EMPTY_QUOTE = re.compile(r"' *'")
# a flow mapping's entries: "key: value" separated by ", ", texts with no comma, colon or edge space
# (the shape _flow_entries checks without it: tests/test_block_yaml.py checks they agree)
_FLOW_TEXT = r"[^ ,:](?:[^,:]*[^ ,:])?"
_FLOW_ENTRIES = re.compile(f"{_FLOW_TEXT}: {_FLOW_TEXT}(?:, {_FLOW_TEXT}: {_FLOW_TEXT})*")
_FLOW_ODD_CHARS = tuple("[]{}#\"&*!|>%@`?")


def _flow_odd(text: str) -> bool:
    """Whether ``_FLOW_ODD`` is found in ``text``: a scan for each character (memchr) is many
    times faster on a long row than the expression's scan."""
    return any(map(text.__contains__, _FLOW_ODD_CHARS))


def _flow_entries(inner: str) -> list[str] | None:
    """The texts key, value, key, value … of ``inner`` when ``_FLOW_ENTRIES`` matches all of it
    (and it has no double space), else None: checked by counting and rebuilding, in C, where the
    expression took a third of an imported network's load on long rows (mildew)."""
    if "  " in inner or " :" in inner or " ," in inner:
        return None  # a text with an edge space
    texts = inner.replace(": ", ", ").split(", ")
    half = len(texts) // 2
    if (len(texts) % 2 or "" in texts or inner.count(":") != half or inner.count(",") != half - 1
            or ", ".join(map(": ".join, zip(texts[0::2], texts[1::2]))) != inner):
        return None  # a colon or comma inside a text, an empty text, or the separators out of turn
    return texts


_SINGLE_KEY = re.compile(r"'((?:[^']|'')*)' *:(?= |$)")
_DOUBLE_KEY = re.compile(r'"([^"\\]*)" *:(?= |$)')

# token fields: indent, line number, key (None: a dash or a bare scalar), value kind, value text,
# whether a blank or comment line came before it
_DASH, _EMPTY, _PLAIN, _QUOTED, _FLOW, _PLAIN_ENDED = range(6)  # ended: by a comment, not continued


def read_block(text: str, file: str, *, mapping: type, sequence: type,
               scalar: Callable[[str], Any], flow: Callable[[str, int], Any],
               max_nodes: int, max_depth: int) -> Any:
    """The document's value, or NOT_PLAIN. ``mapping``/``sequence`` are the located container
    types (``location``, ``key_locations`` / ``item_locations``); ``scalar(text)`` is a plain
    scalar's value; ``flow(text, line)`` a one-line flow collection's (or raises NotPlain)."""
    if _ODD.search(text) or "\n---" in text or text.startswith(("---", "%")) or "\n..." in text:
        return NOT_PLAIN
    if 2 * (text.count("\n") + text.count(",")) + 2 > max_nodes:
        return NOT_PLAIN  # libyaml's path counts values and says where the limit is passed
    try:
        tokens = _tokens(text, scalar)
        if not tokens:
            return None
        reader = _Reader(tokens, file, mapping, sequence, scalar, flow, max_depth)
        value, end = reader.block(0, tokens[0][0], 0)
        if end != len(tokens) or tokens[0][0] != 0:
            return NOT_PLAIN
        return value
    except NotPlain:
        return NOT_PLAIN
    except RecursionError:  # pragma: no cover - depth is bounded below
        return NOT_PLAIN


def _tokens(text: str, scalar: Callable[[str], Any]) -> list[tuple]:
    tokens: list[tuple] = []
    gap = False
    append = tokens.append
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.lstrip(" ")
        if not stripped or stripped[0] == "#":
            gap = True
            continue
        indent = len(line) - len(stripped)
        stripped = stripped.rstrip(" ")
        after_dash = False
        while stripped[0] == "-" and (len(stripped) == 1 or stripped[1] == " "):
            append((indent, number, None, _DASH, "", gap))
            gap = False
            after_dash = True
            rest = stripped[1:].lstrip(" ")
            if not rest:
                stripped = ""
                break
            indent += len(stripped) - len(rest)
            stripped = rest
        if not stripped or stripped[0] == "#":
            continue  # "-" or "- # comment": an empty item, which the dash token stands for
        first = stripped[0]
        if first in "'\"":
            found = (_SINGLE_KEY if first == "'" else _DOUBLE_KEY).match(stripped)
            if found:  # a quoted key: its text as written
                key = found.group(1).replace("''", "'") if first == "'" else found.group(1)
                kind, value = _value(stripped[found.end():].lstrip(" "))
                append((indent, number, key, kind, value, gap))
                gap = False
                continue
        if first in "'\"[{":
            if not after_dash:
                raise NotPlain  # a quoted or flow scalar on a line of its own
            kind, value = _value(stripped)  # a quoted or flow sequence item
            append((indent, number, None, kind, value, gap))
            gap = False
            continue
        colon = stripped.find(": ")
        if colon < 0:
            if stripped[-1] == ":":
                colon = len(stripped) - 1
            else:  # a bare scalar: a sequence item or the continuation of a plain scalar
                kind, value = _value(stripped)
                if kind != _PLAIN and kind != _PLAIN_ENDED:
                    raise NotPlain
                append((indent, number, None, kind, value, gap))
                gap = False
                continue
        key = stripped[:colon].rstrip(" ")
        if not key or first in _INDICATORS or " #" in key or key == "<<":
            raise NotPlain
        kind, value = _value(stripped[colon + 1:].lstrip(" "))
        append((indent, number, scalar_text(scalar(key)), kind, value, gap))
        gap = False
    return tokens


def _value(text: str) -> tuple[int, str]:
    """A value's kind and text (plain, quoted or flow; comments cut off)."""
    if not text or text[0] == "#":
        return _EMPTY, ""
    first = text[0]
    if first == "'":
        found = _SINGLE.fullmatch(text)
        if not found:
            raise NotPlain
        return _QUOTED, found.group(1).replace("''", "'")
    if first == '"':
        found = _DOUBLE.fullmatch(text)
        if not found:
            return _FLOW, text  # with escapes: the caller's flow reader (libyaml) decodes it
        return _QUOTED, found.group(1)
    if first in "[{":
        return _FLOW, text
    if first in _INDICATORS and not (first in "-?:" and len(text) > 1 and text[1] != " "):
        raise NotPlain
    cut = text.find(" #")
    kind = _PLAIN
    if cut >= 0:
        text = text[:cut].rstrip(" ")
        kind = _PLAIN_ENDED
    if ": " in text or text[-1] == ":":
        raise NotPlain
    return kind, text


class _Reader:
    def __init__(self, tokens: list[tuple], file: str, mapping: type, sequence: type,
                 scalar: Callable[[str], Any], flow: Callable[[str, int], Any], max_depth: int):
        self.tokens, self.file = tokens, file
        self.mapping, self.sequence, self.scalar, self.flow = mapping, sequence, scalar, flow
        self.max_depth = max_depth
        self.count = len(tokens)
        self.where: dict[int, Location] = {}
        self.rows: dict[str, Any] = {}
        self.keys: dict[str, str] = {}
        self.key_rows: dict[tuple[str, ...], Any] = {}  # a row's key texts → its keys (or NOT_PLAIN)
        self.cells: dict[str, Any] = getattr(scalar, "cache", {})  # the caller's plain scalars, read
        # texts (unsigned: a flow value may not start with "-") that the caller's scalar reads as
        # float(text), as an expression; a row of them separated by spaces is read in one go
        decimal = getattr(scalar, "decimal", None)
        self.decimals = re.compile(f"(?:{decimal})(?: (?:{decimal}))*") if decimal else None

    def loc(self, number: int) -> Location:
        found = self.where.get(number)
        if found is None:
            found = self.where[number] = Location(self.file, number)
        return found

    def block(self, i: int, indent: int, depth: int) -> tuple[Any, int]:
        """The collection starting at token ``i`` (at ``indent``)."""
        if depth > self.max_depth:
            raise NotPlain
        token = self.tokens[i]
        if token[3] == _DASH:
            return self.items(i, indent, depth)
        if token[2] is None:
            raise NotPlain  # a scalar where a collection starts
        return self.entries(i, indent, depth)

    def entries(self, i: int, indent: int, depth: int) -> tuple[Any, int]:
        tokens, count = self.tokens, self.count
        result = self.mapping()
        result.location = self.loc(tokens[i][1])
        where: dict[str, Location] = {}
        result.key_locations = where
        while i < count:
            token = tokens[i]
            if token[0] != indent:
                if token[0] > indent:
                    raise NotPlain
                break
            key = token[2]
            if key is None:
                raise NotPlain  # a dash or a scalar where the next key was due
            if key in result:
                raise NotPlain  # duplicate keys: libyaml's path says which, with both lines
            at = where[key] = self.loc(token[1])
            i += 1
            kind = token[3]
            if kind == _FLOW and token[4][0] == "{" and not (i < count and tokens[i][0] > indent):
                value = self.simple_flow(token[4], at)  # a table's row, the bulk of an imported network
                if value is not NOT_PLAIN:
                    result[key] = value
                    continue
            if kind == _EMPTY:
                if i < count and tokens[i][0] > indent:
                    value, i = self.block(i, tokens[i][0], depth + 1)
                elif i < count and tokens[i][0] == indent and tokens[i][3] == _DASH:
                    value, i = self.items(i, indent, depth + 1)  # a sequence not indented under its key
                else:
                    value = self.scalar("")
            else:
                value, i = self.value(token, i, indent)
            result[key] = value
        return result, i

    def items(self, i: int, indent: int, depth: int) -> tuple[Any, int]:
        tokens, count = self.tokens, self.count
        result = self.sequence()
        result.location = self.loc(tokens[i][1])
        locations: list[Location] = []
        result.item_locations = locations
        while i < count and tokens[i][0] == indent and tokens[i][3] == _DASH:
            number = tokens[i][1]
            i += 1
            if i < count and tokens[i][1] == number:  # the item starts on the dash's line
                token = tokens[i]
                if token[3] == _DASH or token[2] is not None:
                    item, i = self.block(i, token[0], depth + 1)
                else:
                    item, i = self.value(token, i + 1, indent)
            elif i < count and tokens[i][0] > indent:
                if tokens[i][3] != _DASH and tokens[i][2] is None:
                    raise NotPlain
                number = tokens[i][1]
                item, i = self.block(i, tokens[i][0], depth + 1)
            else:
                raise NotPlain  # an empty item: libyaml knows where its null starts
            result.append(item)
            locations.append(self.loc(number))
        if i < count and tokens[i][0] > indent:
            raise NotPlain
        return result, i

    def value(self, token: tuple, i: int, indent: int) -> tuple[Any, int]:
        """The scalar or flow value of ``token`` (its continuation lines from token ``i`` on,
        those more indented than ``indent``)."""
        kind, text = token[3], token[4]
        tokens, count = self.tokens, self.count
        if i < count and tokens[i][0] > indent and tokens[i][2] is None and tokens[i][3] in (_PLAIN, _PLAIN_ENDED):
            if kind != _PLAIN:
                raise NotPlain  # a quoted, flow or commented value does not continue
            parts = [text]
            while i < count and tokens[i][0] > indent:
                more = tokens[i]
                if more[2] is not None or more[3] not in (_PLAIN, _PLAIN_ENDED) or more[5] or kind != _PLAIN:
                    raise NotPlain  # a key, dash, quote, comment or blank line inside a continued scalar
                parts.append(more[4])
                kind = more[3]
                i += 1
            return self.scalar(" ".join(parts)), i
        if kind == _PLAIN or kind == _PLAIN_ENDED:
            return self.scalar(text), i
        if kind == _QUOTED:
            return text, i
        if text == "[]":  # an empty list (an imported model's evidence: [])
            found = self.sequence()
            found.location, found.item_locations = self.loc(token[1]), []
            return found, i
        found = self.simple_flow(text, self.loc(token[1])) if text[0] == "{" else NOT_PLAIN
        return (self.flow(text, token[1]) if found is NOT_PLAIN else found), i

    def simple_flow(self, text: str, at: Location) -> Any:
        """A one-line flow mapping of plain or simply quoted keys and values (``{a: 0.2, 'b':
        0.8}``, a table's row), read here; NOT_PLAIN for any other, which libyaml reads."""
        found = self.rows.get(text)
        if found is None:
            found = self.rows[text] = self.row(text)
        if found is NOT_PLAIN:
            return NOT_PLAIN
        result = self.mapping(found.cells)
        result.location, result.key_locations, result.flow_row = at, dict.fromkeys(found.keys, at), found
        return result

    def row(self, text: str) -> Any:
        """The FlowRow of a simple flow mapping's text (rows repeat: each text is read once):
        entries "key: value" separated by ", ", one space each, no other colon or comma."""
        # ("''" or "' '": _FLOW_EMPTY_QUOTE, whose other matches hold a double space, declined below)
        if text[-1] != "}" or _flow_odd(text[1:-1]) or ("'" in text and ("''" in text or "' '" in text)):
            return NOT_PLAIN
        inner = text[1:-1].strip(" ")
        if not inner:
            return FlowRow((), ())
        texts = _flow_entries(inner)
        if texts is None:
            return NOT_PLAIN
        # every ", " and ": " is a separator: the texts alternate key, value
        key_texts = tuple(texts[0::2])
        keys = self.key_rows.get(key_texts)
        if keys is None:
            keys = self.key_rows[key_texts] = self.row_keys(key_texts)
        if keys is NOT_PLAIN:
            return NOT_PLAIN
        value_texts = texts[1::2]
        values = list(map(self.cells.get, value_texts, itertools.repeat(NOT_PLAIN)))  # a table's numbers repeat
        if NOT_PLAIN in values:
            if self.decimals is not None and self.decimals.fullmatch(" ".join(value_texts)):
                # every value a plain decimal, which the caller's scalar reads as float(text): all at once
                values = list(map(float, value_texts))
                self.cells.update(zip(value_texts, values))
            else:
                try:
                    values = [self.cell(raw) if value is NOT_PLAIN else value for value, raw in zip(values, value_texts)]
                except NotPlain:
                    return NOT_PLAIN
        return FlowRow(keys, tuple(values))

    def row_keys(self, texts: tuple[str, ...]) -> Any:
        """A row's keys as read, or NOT_PLAIN (a key libyaml should read, or a repeated key)."""
        known = self.keys
        try:
            keys = tuple([known[k] if k in known else self.key(k) for k in texts])
        except NotPlain:
            return NOT_PLAIN
        return keys if len(set(keys)) == len(keys) else NOT_PLAIN

    def key(self, text: str) -> str:
        found = self.keys[text] = scalar_text(_flow_scalar(text, self.scalar))
        return found

    def cell(self, text: str) -> Any:
        return _flow_scalar(text, self.scalar)


# YAML 1.1's implicit types of a plain scalar, as PyYAML's resolver has them: tried in this
# order among those registered for the text's first character; text when none matches
_IMPLICIT = [
    ("bool", re.compile(r"yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"), "yYnNtTfFoO"),
    ("float", re.compile(r"[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
                         r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"),
     "-+0123456789."),
    ("int", re.compile(r"[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
                       r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+"), "-+0123456789"),
    ("merge", re.compile(r"<<"), "<"),
    ("null", re.compile(r"~|null|Null|NULL"), "~nN"),
    ("timestamp", re.compile(r"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
                             r"(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?"
                             r"(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?"), "0123456789"),
    ("value", re.compile(r"="), "="),
]
_BY_FIRST: dict[str, list[tuple[str, Any]]] = {}
for _kind, _pattern, _firsts in _IMPLICIT:
    for _c in _firsts:
        _BY_FIRST.setdefault(_c, []).append((_kind, _pattern))


def plain_type(text: str) -> str:
    """The YAML type a plain scalar's text resolves to: str, bool, float, int, null, timestamp,
    merge or value (PyYAML's resolver, without PyYAML)."""
    if not text:
        return "null"
    for kind, pattern in _BY_FIRST.get(text[0], ()):
        if pattern.fullmatch(text):
            return kind
    return "str"


def _flow_scalar(text: str, scalar: Callable[[str], Any]) -> Any:
    if not text:
        raise NotPlain  # "{: 1}" or "{a: }": libyaml knows what an empty key or value is
    first = text[0]
    if first == "'":
        if len(text) < 2 or text[-1] != "'" or "'" in text[1:-1]:
            raise NotPlain
        return text[1:-1]
    if first in _INDICATORS:
        raise NotPlain
    return scalar(text)


def scalar_text(value: Any) -> str:
    """A scalar as the text a user meant: YAML booleans become 'true'/'false'."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return str(value)
