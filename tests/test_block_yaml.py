"""The line-by-line YAML reader (argmap.loader.block_yaml) gives exactly what libyaml gives —
values, types and every location — or declines; it never reads a text libyaml refuses. And
argmap's YAML writer (argmap.interop.yaml_writer) writes text that reads back as the data."""

from __future__ import annotations

import glob
import math
import os

import pytest
import yaml
from conftest import ROOT
from hypothesis import example, given, settings
from hypothesis import strategies as st

from argmap.errors import ArgmapError
from argmap.interop.yaml_writer import dump
from argmap.loader import yaml_lines
from argmap.loader.block_yaml import NOT_PLAIN


def libyaml(text: str):
    """What read_yaml gives through libyaml alone (or the ArgmapError it raises)."""
    try:
        yaml_lines._count_values(text, "f.yaml")
        node = yaml.compose(text, Loader=yaml_lines._Loader)
        return None if node is None else yaml_lines._Converter("f.yaml").convert(node, 0)
    except (ArgmapError, yaml.YAMLError, RecursionError) as exc:
        return exc


def difference(a, b, path: str = "$") -> str | None:
    """Where two read documents differ (values, types or locations); None when they do not."""
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} vs {type(b).__name__} ({a!r} vs {b!r})"
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"{path}: keys {list(a)} vs {list(b)}"
        if a.location != b.location or dict(a.key_locations) != dict(b.key_locations):
            return f"{path}: locations {a.location} {dict(a.key_locations)} vs {b.location} {dict(b.key_locations)}"
        return next((d for k in a if (d := difference(a[k], b[k], f"{path}.{k}"))), None)
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        if a.location != b.location or list(a.item_locations) != list(b.item_locations):
            return f"{path}: locations {a.location} {a.item_locations} vs {b.location} {b.item_locations}"
        return next((d for i, (x, y) in enumerate(zip(a, b)) if (d := difference(x, y, f"{path}[{i}]"))), None)
    if isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return None
    return None if a == b else f"{path}: {a!r} vs {b!r}"


def check(text: str) -> object:
    """The fast reader declines or agrees with libyaml; returns what it read."""
    fast = yaml_lines._read_plain(text, "f.yaml")
    if fast is NOT_PLAIN:
        return fast
    slow = libyaml(text)
    assert not isinstance(slow, Exception), f"libyaml refuses what the fast reader read: {slow}\n{text}"
    found = difference(fast, slow)
    assert found is None, f"{found}\n{text}"
    return fast


# text with the characters that mean something to YAML, and some that do not
TRICKY = st.lists(st.sampled_from(list("ab xyz09_.-:#,'\"[]{}&*!|>%@`?~<=+/\\\tü\n") + ["true", "no", "1e3", "0x1F", "null"]),
                  max_size=6).map("".join)
SCALARS = st.one_of(TRICKY, st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.booleans(), st.none(),
                    st.sampled_from(["yes", "No", "~", "2014-05-01", "1_000", "0o17", ".inf", "1:30", "=", "<<", "-", "a: b"]))
DATA = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(TRICKY.filter(bool), inner, max_size=4),
    # a table's rows: numbers, with the ones that compare equal but are written apart (0.0, -0.0, 1, 1.0)
    st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), st.one_of(st.floats(0, 1), st.sampled_from([-0.0, 0, 1])),
                    min_size=1, max_size=4)), max_leaves=20)


def same_data(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isnan(b) if math.isnan(a) else a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same_data(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same_data(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@settings(max_examples=300)
@given(DATA)
@example({"k": {"a": 0.0}, "m": {"a": -0.0}, "n": {"a": 0}, "p": {"a": 1}, "q": {"a": 1.0}})
def test_what_the_writer_writes_reads_back_as_the_data(data):
    text = dump(data)
    assert same_data(yaml.safe_load(text), data), text
    check(text)


@settings(max_examples=300)
@given(DATA, st.sampled_from([None, False]), st.sampled_from([20, 100]))
def test_the_fast_reader_agrees_with_libyaml_on_what_pyyaml_writes(data, flow, width):
    check(yaml.dump(data, default_flow_style=flow, width=width, allow_unicode=True, sort_keys=False))


EDITS = st.sampled_from(list(" -:#'\"[]{},&*!|>?\n\t") + ["  ", "- ", ": ", " #", "\n  ", "\n- ", "---\n", "key: ", "<<: "])


@settings(max_examples=500)
@given(DATA, st.data())
@example({"a": {"b": 1}}, None)
def test_edited_text_is_declined_or_read_as_libyaml_reads_it(data, draw):
    """Random edits of a good document: whatever the fast reader accepts, libyaml reads the same."""
    text = dump(data)
    if draw is not None:
        for _ in range(draw.draw(st.integers(1, 3))):
            at = draw.draw(st.integers(0, len(text)))
            if draw.draw(st.booleans()):
                text = text[:at] + draw.draw(EDITS) + text[at:]
            else:
                text = text[:at] + text[at + 1:]
    check(text)


@given(st.lists(st.sampled_from(["a: 1", "  b: 2", "- x", "  - y", "c:", "    d: e", "# note", "", "f: g  # h",
                                 "- k: v", "  m: 'q'", "n: {p: 0.5, 'r': 0.5}", "s: [1, 2]", "t: \"u\"",
                                 "  continued", "a: 2", "'q': 1", "-", "- - z", "  more # c", "{: 1}", "- {a: }"]),
                max_size=8))
@example(["f: g  # h", "  continued"])  # a comment ends a plain scalar: the next line is an error
@example(["- {a: 0.0}", "- {: 0.0}"])
def test_line_soup_is_declined_or_read_as_libyaml_reads_it(lines):
    check("\n".join(lines) + "\n")


# an imported network's shape: claims with text, states and table rows, any printable text
PRINTABLE = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_categories=("Cc", "Zl", "Zp"),
                                  exclude_characters="\xa0"), min_size=1, max_size=8)
ROWS = st.dictionaries(PRINTABLE, st.floats(0, 1), min_size=1, max_size=4)
NETWORKS = st.dictionaries(PRINTABLE, st.fixed_dictionaries(
    {"text": PRINTABLE, "states": st.lists(PRINTABLE, min_size=1, max_size=3),
     "table": st.dictionaries(PRINTABLE, ROWS, min_size=1, max_size=3)}), min_size=1, max_size=3).map(
    lambda claims: {"argmap": 1, "claims": claims, "evidence": []})


@settings(max_examples=300)
@given(NETWORKS)
def test_the_fast_reader_reads_all_the_writer_writes_of_printable_text(data):
    """Declining is always safe, but a reader that declined what argmap writes would be no use."""
    assert check(dump(data)) is not NOT_PLAIN


def test_a_flow_row_that_leaves_the_simple_shape_is_read_by_libyaml():
    """block_yaml reads a row itself only in the shape argmap writes ("key: value, ..."); any
    other goes to libyaml, whole (a repeated text too)."""
    for row in ["{a: 1, b}", "{a, b: c: d}", "{a: 1,b: 2}", "{a:  1}", "{a : 1}", "{a: [1]}", "{a: 'x''y'}",
                "{a: -1}", "{a: 1, a: 2}", "{'a': 1, a: 2}", "{a: b:c}", "{a: 1 }x", "{? a: 1}", "{a: 1, }"]:
        found = check(f"k: {row}\nm: {row}\n")
        assert found is NOT_PLAIN or all(isinstance(v, dict) and v.flow_row is None for v in found.values()), row
    found = check("k: {a: 0.5, 'b c': 0.5}\nm: {a: 0.5, 'b c': 0.5}\n")
    assert found["k"].flow_row is found["m"].flow_row and found["k"] == {"a": 0.5, "b c": 0.5}


@settings(max_examples=300)
@given(st.one_of(DATA, NETWORKS))
def test_located_data_is_what_reading_its_yaml_gives(data):
    """import checks ``located(data)`` in place of reading ``dump(data)`` back: the two agree."""
    read = yaml_lines.read_yaml(dump(data), "f.yaml")
    found = yaml_lines.located(data, "f.yaml")
    assert same_data(read, found) and type(read) is type(found)

    def rows_agree(value):
        if isinstance(value, dict):
            if value.flow_row is not None:
                assert value.flow_row.keys == tuple(value) and value.flow_row.values == tuple(value.values())
            for inner in value.values():
                rows_agree(inner)
        elif isinstance(value, list):
            for inner in value:
                rows_agree(inner)

    rows_agree(found)


def test_an_imported_network_is_read_by_the_fast_reader(tmp_path):
    from argmap.interop.importer import import_file

    source = os.path.join(os.path.dirname(__import__("pgmpy").__file__), "utils", "example_models", "alarm.bif.gz")
    written = import_file(source, str(tmp_path / "alarm.yaml"))
    text = open(written[0], encoding="utf-8").read()
    assert "{" in text  # table rows written one a line
    assert check(text) is not NOT_PLAIN


def test_the_repositorys_yaml_files_are_declined_or_read_alike():
    files = [f for f in glob.glob(os.path.join(ROOT, "**", "*.yaml"), recursive=True) if ".venv" not in f]
    assert files
    for path in files:
        check(open(path, encoding="utf-8").read())


def test_errors_keep_their_line_when_the_fast_reader_declines():
    text = "argmap: 1\nclaims:\n  a:\n    text: A\n    prior: 0.5\n  a:\n    text: again\n"
    try:
        yaml_lines.read_yaml(text, "m.yaml")
    except ArgmapError as exc:
        assert "duplicate key 'a'" in str(exc) and "m.yaml:6" in str(exc) and "line 3" in str(exc)
    else:
        raise AssertionError("a duplicate key is an error")


# ---------------------------------------------------------------- fast paths against the slow ones

ROW_TEXT = st.lists(st.sampled_from(list("ab0 :,'-.") + [": ", ", ", "  ", "''", "' '", "1.5", "0.25e-05"]),
                    max_size=10).map("".join)


@settings(max_examples=1000)
@given(ROW_TEXT)
@example("a: b: c, d")
@example("a, b: c: d")
@example("a: 1, b: 2")
@example("a : 1")
@example(",: x")
def test_a_rows_shape_is_checked_as_the_regular_expression_checks_it(inner):
    """_flow_entries (counting and rebuilding) accepts exactly what "no double space and
    _FLOW_ENTRIES matching all" accepted, and splits it into the same texts."""
    from argmap.loader import block_yaml

    inner = inner.strip(" ")
    expected = "  " not in inner and block_yaml._FLOW_ENTRIES.fullmatch(inner) is not None
    found = block_yaml._flow_entries(inner)
    assert (found is not None) == expected, inner
    if found is not None:
        assert found == inner.replace(": ", ", ").split(", ")


@given(st.text(st.sampled_from(list("ab {}[]#\"&*!|>%@`?'-:,")), max_size=12))
def test_odd_characters_in_a_row_are_found_as_the_regular_expression_finds_them(text):
    from argmap.loader import block_yaml

    assert block_yaml._flow_odd(text) == (block_yaml._FLOW_ODD.search(text) is not None)
    # the empty-quote test: what it lets through that ' *' would have caught holds a double space
    quick = "'" in text and ("''" in text or "' '" in text)
    if block_yaml._FLOW_EMPTY_QUOTE.search(text) and not quick:
        assert "  " in text


NUMBER_TEXTS = st.one_of(st.floats(0, 1).map(repr), st.floats(allow_nan=True).map(repr),
                         st.sampled_from(["0.5", "1.", ".5", "1e-05", "1.0e-05", "1.0E+3", "-0.5", "+0.5", "0.5e3",
                                          "00.5", "0.5x", "1_0.5", ".inf", "1", "'0.5'", "x", "0.1 # c"]))


@settings(max_examples=500)
@given(st.lists(st.lists(NUMBER_TEXTS, min_size=1, max_size=4), min_size=1, max_size=5))
def test_rows_of_numbers_read_at_once_read_as_libyaml_reads_them(rows):
    """A row whose numbers are all plain decimals is read in one go (one match, float() over
    all): the values, their types and every line are libyaml's; a row with any other text
    goes cell by cell or to libyaml, which says what is wrong and where."""
    lines = ["table:"]
    for index, numbers in enumerate(rows):
        cells = ", ".join(f"{'abcd'[k]}: {text}" for k, text in enumerate(numbers))
        lines.append(f"  r{index}: {{{cells}}}")
    text = "\n".join(lines) + "\n"
    fast = check(text)  # declines, or agrees with libyaml in values, types and lines
    slow = libyaml(text)
    if isinstance(slow, Exception):
        assert fast is NOT_PLAIN
        with pytest.raises(ArgmapError) as raised:
            yaml_lines.read_yaml(text, "f.yaml")
        assert "f.yaml:" in str(raised.value)  # the error keeps its line


ROW_FLOATS = st.one_of(st.floats(allow_nan=True), st.sampled_from([0.0, -0.0, 1e-05, 0.5, 1.0, -1.0, math.inf]))


@settings(max_examples=500)
@given(st.lists(st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), ROW_FLOATS, min_size=1, max_size=4),
                min_size=1, max_size=6))
@example([{"a": 0.0, "b": 1.0}, {"a": -0.0, "b": 1.0}, {"a": 0.0, "b": -0.0}])
def test_a_rows_numbers_are_written_each_as_scalar_writes_it(rows):
    """The writer keeps each number's text for the next row that holds it; a -0.0 (equal to 0.0,
    so the same key) and a NaN are still written as they are."""
    from argmap.interop import yaml_writer

    data = {f"r{i}": row for i, row in enumerate(rows)}
    for _ in range(2):  # the second time from the texts kept
        written = dump(data).splitlines()
        assert written == [f"r{i}: {{" + ", ".join(f"{k}: {yaml_writer._scalar(v)}" for k, v in row.items()) + "}"
                           for i, row in enumerate(rows)]
    assert same_data(yaml.safe_load("\n".join(written)), data)
