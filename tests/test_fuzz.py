"""Mutated model and evidence documents: the only outcomes allowed are success or argmap's own
error, with a file for every problem — never another exception."""

from __future__ import annotations

import copy
import math
import tempfile

from hypothesis import given, settings
from hypothesis import strategies as st

import argmap
from argmap.testing import CaseDocuments, case_documents

ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "likely", "sure", "true", "2014-13", "[0.2, 0.1]", "c0", "e0", "lo", "../x", "30%", "1e-300"]),
    st.lists(st.floats(-1, 2), max_size=3), st.dictionaries(st.sampled_from(["true", "false", "lo", "x"]), st.floats(-1, 2), max_size=3),
    st.just(math.nan), st.just(1e-300),
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


KEYS = st.sampled_from(["id", "text", "prior", "given", "table", "bears_on", "likelihood", "lr", "test", "for",
                        "observe", "source", "reliability", "date", "states", "supported_by", "attacked_by",
                        "leak", "observed", "expected", "cite", "claims", "sources", "evidence", "c0", "true",
                        "false", "lo", "x"])


@st.composite
def mutated_cases(draw):
    case = copy.deepcopy(draw(case_documents(max_claims=5, max_parents=2)).as_dict())
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(case) if len(p) >= 2]
        path = draw(st.sampled_from(paths))
        parent = case
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["drop", "replace", "rename", "add"]))
        if action == "drop" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(KEYS)] = parent.pop(path[-1])
        elif action == "add" and isinstance(parent, dict):
            parent[draw(KEYS)] = draw(ODD_VALUES)
        else:
            parent[path[-1]] = draw(ODD_VALUES)
    return case


@settings(max_examples=2000)
@given(mutated_cases())
def test_mutated_documents_give_success_or_located_errors(case):
    try:
        path = CaseDocuments.from_dict(case).write(tempfile.mkdtemp())
    except Exception:  # the mutation made something YAML cannot even write (e.g. a dict key)
        return
    try:
        argmap.load(path).update()
    except argmap.ArgmapError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.location.file and problem.message
