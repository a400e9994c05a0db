"""argmap's own BIF reader (regular expressions) gives exactly pgmpy's tables, and hands every
file outside its common shape to pgmpy (which reads it or reports it with a line)."""

from __future__ import annotations

import gzip
import os

import numpy as np
import pytest

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
