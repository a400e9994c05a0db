"""A validated model → problems for tables too large to build, found before anything is allocated.

A conditional table holds one number per state of its variable and combination of its parents'
states, so a claim with 30 true/false parents needs 2**31 numbers (16 GiB) although its file is
1.6 kB. Sizes are products of state counts, known as soon as the model is read; this module
refuses them with the size and what to do, instead of letting numpy run out of memory.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from argmap.errors import Location, Problem

__all__ = ["MAX_TABLE_ENTRIES", "MAX_STATES", "table_problem", "table_problems"]

#: numbers in one conditional table (4,194,304 float64 = 32 MiB); a noisy-OR claim may have 21 parents
MAX_TABLE_ENTRIES = 1 << 22
#: states of one claim; the report and the diagram show each state, so thousands are not readable
MAX_STATES = 200


def _size(entries: int) -> str:
    size = entries * 8
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if size < 1024 or unit == "EiB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    raise AssertionError  # pragma: no cover


def table_problem(at: Location, what: str, states: int, parent_states: Sequence[int]) -> Problem | None:
    """A problem when a table of ``states`` × the product of ``parent_states`` is too large."""
    combinations = math.prod(parent_states)
    entries = states * combinations
    if entries <= MAX_TABLE_ENTRIES:
        return None
    return Problem(at, f"{what}: its table would hold {entries:,} numbers ({states} states × {combinations:,} "
                       f"combinations of its {len(parent_states)} parents' states, {_size(entries)}); argmap "
                       f"builds tables of up to {MAX_TABLE_ENTRIES:,} numbers. Give it fewer parents: group "
                       "related parents under an intermediate claim, and link that claim instead")


def table_problems(model, skip: Iterable[str] = ()) -> list[Problem]:
    """Every claim and evidence item of ``model`` whose table would exceed the limit (parents
    that are unknown or failed to load are left to the other checks)."""
    skip = set(skip)
    claims = model.claims
    found: list[Problem] = []

    def cards(ids: Iterable[str]) -> list[int] | None:
        out = []
        for pid in ids:
            if pid not in claims:
                if pid in model.sources:
                    out.append(2)
                    continue
                return None
            out.append(len(claims[pid].states))
        return out

    for claim in claims.values():
        parents = cards(claim.parents)
        key = "given" if "given" in claim.key_locations else (
            "supported_by" if "supported_by" in claim.key_locations else "attacked_by")
        if parents is not None and (problem := table_problem(claim.where(key), f"claim '{claim.id}'",
                                                              len(claim.states), parents)):
            found.append(problem)
    for item in model.evidence:
        if item.is_observation or item.id in skip:
            continue
        parents = cards(item.targets + ((item.source,) if item.source else ()))
        key = "given" if "given" in item.key_locations else "bears_on"
        if parents is not None and (problem := table_problem(item.where(key), f"evidence '{item.id}'", 2, parents)):
            found.append(problem)
    return found
