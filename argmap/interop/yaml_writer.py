"""Python data (mappings, lists, text, numbers) → YAML text in the plain block style that argmap's
loader reads line by line; a mapping of numbers (a prior, a table's row) as one flow line.

An imported network's tables are most of its file: written as ``row: {a: 0.2, b: 0.8}`` they
take a line a row instead of a line a number, and PyYAML's (pure Python) representer, which
took 6 s for pathfinder's, is not needed. Text is written plain where YAML reads it back as the
same text, single-quoted where it would not (``'yes'``, ``'0.5'``, ``'a: b'``), double-quoted
with escapes where it holds line breaks or characters YAML does not allow raw. What is written
reads back, with PyYAML's safe loader as with argmap's, as the data given.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

import yaml

from argmap.loader.yaml_lines import float_row_key

__all__ = ["dump"]

_INDICATORS = "-?:,[]{}#&*!|>'\"%@`"
_FLOW_CHARS = re.compile(r"[,\[\]{}#:'\"?]")
# characters written raw inside quotes: YAML's printable set less its line breaks and the BOM
_UNPRINTABLE = re.compile("[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_ESCAPES = {"\0": "\\0", "\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f",
            "\r": "\\r", "\x1b": "\\e", '"': '\\"', "\\": "\\\\", "\x85": "\\N", "\xa0": "\\_",
            "\u2028": "\\L", "\u2029": "\\P"}
_STR = "tag:yaml.org,2002:str"


class _Resolver(yaml.resolver.Resolver):
    """PyYAML's implicit resolver: which plain texts it reads back as text."""


_RESOLVER = _Resolver()
_PLAIN: dict[str, bool] = {}


def dump(data: Any) -> str:
    """``data`` as a YAML document (block style, keys in the order given)."""
    lines: list[str] = []
    if _nested_mapping(data):
        _mapping(data, 0, lines)
    elif isinstance(data, list) and data:
        _sequence(data, 0, lines)
    else:
        lines.append(_inline(data))
    return "\n".join(lines) + "\n"


def _nested_mapping(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and not _numbers(value)


def _mapping(data: dict, indent: int, lines: list[str], first: str | None = None) -> None:
    """Entries at ``indent``; the first one after ``first`` (``- ``) when it shares a dash's line."""
    pad = " " * indent
    for key, value in data.items():
        head = (pad if first is None else first) + _text(str(key)) + ":"
        first = None
        if type(value) is dict and value and set(map(type, value.values())) == _FLOATS:
            lines.append(f"{head} {_flow_text(value)}")  # a table's row, the bulk of a network
            continue
        if _nested_mapping(value):
            lines.append(head)
            _mapping(value, indent + 2, lines)
        elif isinstance(value, list) and value:
            lines.append(head)
            _sequence(value, indent, lines)  # a list under a key is not indented (as PyYAML writes it)
        else:
            lines.append(f"{head} {_inline(value)}")


def _sequence(data: list, indent: int, lines: list[str], first: str | None = None) -> None:
    pad = " " * indent
    for item in data:
        dash = (pad if first is None else first) + "- "
        first = None
        if _nested_mapping(item):
            _mapping(item, indent + 2, lines, dash)
        elif isinstance(item, list) and item:
            _sequence(item, indent + 2, lines, dash)
        else:
            lines.append(dash + _inline(item))


def _inline(value: Any) -> str:
    if isinstance(value, dict) and value:
        return _flow(value)
    return _scalar(value)


def _numbers(data: dict) -> bool:
    if set(map(type, data.values())) <= _NUMBER_TYPES:  # a table's row: checked without a Python loop
        return True
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in data.values())


_NUMBER_TYPES = {int, float}


def _flow(data: dict) -> str:
    cells = float_row_key(data)
    if cells is None:
        return _flow_text(data)
    found = _FLOW_ROWS.get(cells)  # a table's rows repeat (pathfinder: 25,772 rows, 1,060 texts)
    if found is None:
        found = _flow_text(data)
        if len(_FLOW_ROWS) > 10_000:
            _FLOW_ROWS.clear()
        _FLOW_ROWS[cells] = found
    return found


def _flow_text(data: dict) -> str:
    keys = tuple(data)
    template = _FLOW_KEYS.get(keys)  # a table's rows share their keys: each set written once
    if template is None:
        # "{a: %s, b: %s}": a row is then one formatting, not a text per cell
        template = "{" + ", ".join(_text(str(key), flow=True).replace("%", "%%") + ": %s" for key in keys) + "}"
        if len(_FLOW_KEYS) < 10_000:
            _FLOW_KEYS[keys] = template
    values = tuple(data.values())
    if set(map(type, values)) == _FLOATS:
        numbers = tuple(map(_NUMBER_TEXTS.get, values))  # a table's numbers repeat: each written once
        if None in numbers or ("0.0" in numbers and min(map(math.copysign, itertools.repeat(1.0), values)) < 0):
            # a number not written yet, or a -0.0 (which the cache, finding 0.0, would write as 0.0)
            numbers = _float_texts(values)
    else:
        numbers = tuple([repr(v) if type(v) is float and "e" not in repr(v) and "n" not in repr(v) else _scalar(v)
                         for v in values])
    return template % numbers


def _float_texts(values: tuple[float, ...]) -> tuple[str, ...]:
    """Floats as :func:`_scalar` writes them, each text kept for the next row that holds the same
    number, unless the row may hold a -0.0 (equal to 0.0 as a key: the cache holds 0.0's text)."""
    numbers = list(map(repr, values))
    written = "".join(numbers)
    if "e" in written or "n" in written:  # an exponent, inf or nan: as _scalar writes them
        numbers = [_scalar(v) if "e" in n or "n" in n else n for v, n in zip(values, numbers)]
    if 0.0 not in values or min(map(math.copysign, itertools.repeat(1.0), values)) > 0:
        if len(_NUMBER_TEXTS) > 1 << 17:
            _NUMBER_TEXTS.clear()
            _NUMBER_TEXTS[0.0] = "0.0"
        _NUMBER_TEXTS.update(zip(values, numbers))
    return tuple(numbers)


_FLOATS = {float}
_NUMBER_TEXTS: dict[float, str] = {0.0: "0.0"}
_FLOW_ROWS: dict[tuple, str] = {}
_FLOW_KEYS: dict[tuple, str] = {}  # a table's states, written once each: the row's template


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value).lower()
        if "." not in text and "e" in text:  # 1e-05 is text to YAML 1.1; 1.0e-05 a number
            text = text.replace("e", ".0e", 1)
        return text
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list | tuple):
        return "[]"
    return _text(str(value))


def _text(text: str, flow: bool = False) -> str:
    if _plain(text) and not (flow and _FLOW_CHARS.search(text)):
        return text
    if not _UNPRINTABLE.search(text):
        return "'" + text.replace("'", "''") + "'"
    return '"' + "".join(_ESCAPES.get(c) or (c if not _UNPRINTABLE.match(c) else _escape(c)) for c in text) + '"'


def _escape(c: str) -> str:
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _plain(text: str) -> bool:
    """Whether YAML reads ``text`` written bare as this very text."""
    found = _PLAIN.get(text)
    if found is None:
        found = bool(text) and text == text.strip(" ") and text[0] not in _INDICATORS \
            and ": " not in text and " #" not in text and not text.endswith(":") \
            and not _UNPRINTABLE.search(text) and not text.startswith(("---", "...")) \
            and _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR
        if len(_PLAIN) < 100_000:
            _PLAIN[text] = found
    return found
