"""argmap's own BIF reader (regular expressions) gives exactly pgmpy's tables, and hands every
file outside its common shape to pgmpy (which reads it or reports it with a line)."""

from __future__ import annotations

import gzip
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from argmap.interop.importer import _read_plain_bif, _read_with_pgmpy

EXAMPLES = os.path.join(os.path.dirname(__import__("pgmpy").__file__), "utils", "example_models")


@pytest.mark.parametrize("name", ["asia", "cancer", "child", "alarm", "insurance", "hailfinder", "water"])
def test_the_fast_reader_gives_pgmpys_tables_exactly(name):
    with gzip.open(os.path.join(EXAMPLES, f"{name}.bif.gz"), "rb") as handle:
        text = handle.read().decode()
    fast = _read_plain_bif(text)
    assert fast is not None
    slow = _read_with_pgmpy(text, name, xml=False)
    assert sorted(fast.nodes()) == sorted(slow.nodes()) and sorted(fast.edges()) == sorted(slow.edges())
    for node in slow.nodes():
        ours, theirs = fast.get_cpds(node), slow.get_cpds(node)
        assert ours.variables == theirs.variables and ours.state_names == theirs.state_names
        assert np.array_equal(ours.get_values(), theirs.get_values())


SMALL = """network test {
}
variable a {
  type discrete [ 2 ] { yes, no };
}
variable b {
  type discrete [ 2 ] { yes, no };
}
probability ( a ) {
  table 0.3, 0.7;
}
probability ( b | a ) {
  (yes) 0.9, 0.1;
  default 0.2, 0.8;
}
"""


def test_default_rows_and_tables():
    net = _read_plain_bif(SMALL)
    assert net.name == "test"
    np.testing.assert_array_equal(net.get_cpds("b").get_values(), [[0.9, 0.2], [0.1, 0.8]])


@pytest.mark.parametrize("change", [
    ("table 0.3, 0.7;", "table 0.3, 0.6;"),          # a column that does not add up
    ("(yes) 0.9, 0.1;", "(maybe) 0.9, 0.1;"),        # a state never declared
    ("network test {", "// a comment\nnetwork test {"),
    ("probability ( b | a )", "probability ( b | c )"),
    ("variable b {", "variable b {\n  property weight = 1;"),
])
def test_anything_else_goes_to_pgmpy(change):
    assert _read_plain_bif(SMALL.replace(*change)) is None


# ---------------------------------------------------------------- a table read at once, or row by row

ROW_NUMBERS = st.one_of(
    st.lists(st.floats(0, 1), min_size=2, max_size=2).map(lambda xs: [xs[0], 1 - xs[0]] if xs[1] < 0.9 else xs),
    st.lists(st.sampled_from(["0.5", "0.25", "0.75", "1e-05", "0.99999", "x", "1.0.0", "", "-0.5", "0.5,"]),
             min_size=1, max_size=3))


@st.composite
def bif_networks(draw):
    """A network of two parents and a child, its rows in any order, spaced any way, with numbers
    that add up or not, rows missing or twice, numbers malformed."""
    parents = {"p": ["a", "b"], "q": ["x", "y", "z"][:draw(st.integers(1, 3))]}
    lines = ["network n {", "}"]
    for name, states in [("c", ["yes", "no"]), *parents.items()]:
        lines += [f"variable {name} {{", f"  type discrete [ {len(states)} ] {{ {', '.join(states)} }};", "}"]
    for name, states in parents.items():
        lines += [f"probability ( {name} ) {{", f"  table {', '.join(['%r' % (1 / len(states))] * len(states))};", "}"]
    rows = [(s, t) for s in parents["p"] for t in parents["q"]]
    rows = draw(st.permutations(rows))
    change = draw(st.sampled_from(["none", "none", "a row twice", "a row missing"]))
    if change == "a row twice":
        rows = [*rows, draw(st.sampled_from(rows))]
    elif change == "a row missing":
        rows = rows[1:]
    lines.append("probability ( c | p, q ) {")
    for s, t in rows:
        numbers = draw(ROW_NUMBERS)
        texts = [repr(n) if isinstance(n, float) else n for n in numbers]
        head = draw(st.sampled_from(["({}, {})", "({},{})", "( {} , {} )", "({},  {})"])).format(s, t)
        lines.append(f"  {head} " + draw(st.sampled_from([", ", ",", " , "])).join(texts) + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


@settings(max_examples=400, deadline=None)
@given(bif_networks())
def test_a_table_read_at_once_is_the_table_read_row_by_row(text):
    """_rows_at_once gives the table the entry-by-entry reader gives (the same values, from the
    same texts through float), or declines and leaves it to that reader; either way a file
    that reader hands to pgmpy (which reports it, with a line) goes to pgmpy."""
    from unittest import mock

    from argmap.interop import importer

    fast = _read_plain_bif(text)
    with mock.patch.object(importer, "_rows_at_once", lambda *args: None):
        slow = _read_plain_bif(text)
    assert (fast is None) == (slow is None)
    if fast is not None:
        ours, theirs = fast.get_cpds("c").get_values(), slow.get_cpds("c").get_values()
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        assert np.array_equal(ours, theirs) and np.array_equal(np.signbit(ours), np.signbit(theirs))
        assert ours.T.tolist() == theirs.T.tolist()


@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(0.98, 1.02),
                          st.sampled_from([0.99, 1.01, 0.99 - 1e-05, 1.01 + 1e-05, 1.0100100000000001])),
                min_size=1, max_size=6))
def test_a_tables_sums_are_checked_as_allclose_checks_them(sums):
    from argmap.interop.importer import _adds_up

    values = np.array([sums])  # one state: its sums are the numbers themselves
    with np.errstate(all="ignore"):
        assert _adds_up(values) == np.allclose(values.sum(axis=0), 1, atol=0.01)
