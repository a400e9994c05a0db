"""A :class:`~argmap.analysis.cause.CauseResult` → the plain-text answer of ``argmap cause``."""

from __future__ import annotations

from argmap._results import fmt_answer, state_name
from argmap._text import text_table
from argmap.analysis.cause import CauseResult

__all__ = ["cause_table", "fmt_answer", "state_name"]


def cause_table(r: CauseResult) -> str:
    intervention, contrasts, *links = r.answer_tables()
    factual, meaning, exact = r.notes()
    lines = [r.headline(), factual, ""]
    lines += text_table(*intervention, right={1})
    lines.append("")
    lines += text_table(*contrasts, right={1, 2})
    lines += [meaning, exact]
    for head, rows in links:
        lines.append("")
        lines += text_table(head, rows, max_widths={0: 44})
    for warning in r.warnings:
        lines.append(f"warning: {warning}")
    return "\n".join(lines)
