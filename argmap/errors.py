"""Problems found in user input → one exception that lists them all, each with file:line."""

from __future__ import annotations

import os
from collections.abc import Iterable

import attrs

__all__ = ["ArgmapError", "Location", "Problem", "did_you_mean"]


@attrs.frozen(order=True)
class Location:
    """Where something was written: a file and a 1-based line (0 when the whole file is meant)."""

    file: str
    line: int = 0

    def __str__(self) -> str:
        shown = display_path(self.file)
        return f"{shown}:{self.line}" if self.line else shown


@attrs.frozen
class Problem:
    """One thing wrong with the input, said so that the user can fix it."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class ArgmapError(Exception):
    """Bad input. Carries every problem found, not only the first."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = sorted(set(problems), key=lambda p: (p.location, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple:
        # pickled with its problems (a Dask worker's error reaches the command whole), not its text
        return type(self), (self.problems,)

    @classmethod
    def at(cls, location: Location, message: str) -> ArgmapError:
        return cls([Problem(location, message)])


#: string comparisons "did you mean" may still make in this load: 3,000 misspelt ids among 3,000
#: claims would take minutes of difflib; past the budget the hints are left out
SUGGESTION_BUDGET = 50_000
_budget = [SUGGESTION_BUDGET]


def reset_suggestions() -> None:
    """A new load: a fresh budget of comparisons for did_you_mean."""
    _budget[0] = SUGGESTION_BUDGET


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint naming the closest known spelling, or the known ones when few."""
    choices = choices if isinstance(choices, frozenset) else set(choices)
    if len(choices) > 8:
        if _budget[0] < len(choices):
            return ""
        _budget[0] -= len(choices)
    import difflib  # only on a misspelling: not at every start

    choices = sorted(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    if 0 < len(choices) <= 8:
        return "; known: " + ", ".join(choices)
    return ""


def display_path(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if rel.startswith(".." + os.sep + "..") else rel
