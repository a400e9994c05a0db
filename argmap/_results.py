"""Rows of a result → the forms the Python API hands out: a compact HTML table for Jupyter, a
pandas DataFrame (pandas imported only when asked for), JSON-ready numbers and odds as text.

Every result class of the analyses (:class:`~argmap.engine.infer.Beliefs`, sensitivity, Monte
Carlo, comparisons, …) builds its ``_repr_html_`` and ``to_pandas`` from these, so that the
tables look alike and every id, label and statement is escaped in one place.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

__all__ = ["Listing", "data_frame", "fmt_answer", "format_decibels", "html_note", "html_table", "json_number", "odds_text", "probability_text", "shown_states", "span_text", "state_name", "states_text"]


class Listing:
    """A result that counts, iterates and indexes as the tuple it holds in the field named by
    ``listed`` (the list an API function returned before it had a result class)."""

    __slots__ = ()
    listed: ClassVar[str]

    def __len__(self) -> int:
        return len(getattr(self, self.listed))

    def __iter__(self) -> Iterator[Any]:
        return iter(getattr(self, self.listed))

    def __getitem__(self, k: int) -> Any:
        return getattr(self, self.listed)[k]


def html_table(head: Sequence[str], rows: Iterable[Sequence[Any]], caption: str = "") -> str:
    """One compact ``<table>``: an optional caption, a header row and a body; every cell is text
    (None shows empty), escaped. No styling: the notebook's own table style applies (Jupyter
    right-aligns cells, which suits the numbers)."""
    from html import escape  # for notebooks only: not at every start

    top = f"<caption>{escape(caption)}</caption>" if caption else ""
    header = "".join(f"<th>{escape(str(h))}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape('' if c is None else str(c))}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table>{top}<thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def html_note(text: str) -> str:
    """A line of text under (or between) tables, escaped."""
    from html import escape

    return f"<p>{escape(text)}</p>"


def data_frame(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> Any:
    """The rows as a pandas DataFrame with exactly ``columns`` (also when there are no rows).
    pandas comes with pgmpy; it is imported here, on first use, so ``import argmap`` stays light."""
    import pandas as pd

    return pd.DataFrame(list(rows), columns=list(columns))


def json_number(x: float) -> float | str | None:
    """A float as JSON takes it: infinities as "inf" / "-inf", NaN as null (as report.json does)."""
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def odds_text(x: float) -> str:
    """Odds or a Bayes factor: three significant figures; ∞, 0 and undefined as such."""
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "∞"
    if x == 0:
        return "0"
    return f"{x:,.0f}" if x >= 1000 else f"{x:.3g}"


def probability_text(p: float | None) -> str:
    """A probability in a table: three decimals; None (not defined) as "n/a"."""
    return "n/a" if p is None or math.isnan(p) else f"{p:.3f}"


def states_text(states: Mapping[str, str]) -> str:
    """An account's claim states: "cooperation = true, driver = balance_us"."""
    return ", ".join(f"{c} = {s}" for c, s in states.items())


def shown_states(states: Sequence[str]) -> tuple[str, ...]:
    """The states a table shows of a claim: P(true) alone for a true/false claim (P(false) is
    its complement), every state otherwise."""
    return ("true",) if tuple(states) == ("true", "false") else tuple(states)


def format_decibels(db: float) -> str:
    """+4.8 dB, −2.0 dB (a true minus sign), ±∞ dB; nan (impossible evidence) as 'n/a'."""
    if math.isnan(db):
        return "n/a"
    if math.isinf(db):
        return ("+" if db > 0 else "−") + "∞ dB"
    text = f"{abs(db):.1f}"
    if text == "0.0":
        return "0.0 dB"
    return ("+" if db > 0 else "−") + text + " dB"


def state_name(claim: str, state: str, binary: bool = True) -> str:
    """h, ¬h for a true/false claim's states; driver=balance_us otherwise."""
    if binary and state in ("true", "false"):
        return claim if state == "true" else f"¬{claim}"
    return f"{claim}={state}"


def fmt_answer(value: float | None, bounds: tuple[float, float] | None) -> str:
    """0.631, or [0.750, 1.000] where only bounds are known, or 'undefined'."""
    if value is not None:
        return f"{value:.3f}"
    if bounds is None:
        return "undefined"
    return f"[{bounds[0]:.3f}, {bounds[1]:.3f}]"


def span_text(pair: tuple[float | None, float | None]) -> str:
    """0.250–0.750, or 'undefined' when either end is."""
    a, b = pair
    return "undefined" if a is None or b is None else f"{a:.3f}–{b:.3f}"
