"""The line-by-line YAML reader (argmap.loader.block_yaml) gives exactly what libyaml gives —
values, types and every location — or declines; it never reads a text libyaml refuses. And
argmap's YAML writer (argmap.interop.yaml_writer) writes text that reads back as the data."""

from __future__ import annotations

import glob
import math
import os

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
