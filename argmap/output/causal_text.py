"""A :class:`~argmap.analysis.cause.CauseResult` → the plain-text answer of ``argmap cause``."""

from __future__ import annotations

from argmap._results import fmt_answer, state_name
from argmap._terminal import terminal_width
from argmap._text import prose, text_table
from argmap.analysis.cause import CauseResult

__all__ = ["cause_table", "fmt_answer", "state_name"]


def cause_table(r: CauseResult, width: int | None = None) -> str:
    """``width``: the terminal's (default), to which the tables narrow and the text wraps."""
    width = terminal_width() if width is None else width
    intervention, contrasts, *links = r.answer_tables()
    factual, meaning, exact = r.notes()
    lines = prose([r.headline(), factual], width) + [""]
    lines += text_table(*intervention, right={1}, width=width)
    lines.append("")
    lines += text_table(*contrasts, right={1, 2}, width=width)
    lines += prose([meaning, exact], width)
    for head, rows in links:
        lines.append("")
        lines += text_table(head, rows, width=width, wrap={0})
    lines += prose([f"warning: {warning}" for warning in r.warnings], width)
    return "\n".join(lines)
