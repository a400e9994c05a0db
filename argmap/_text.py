"""Rows of cells → an aligned plain-text table (the terminal output of several commands)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

__all__ = ["plural", "text_table"]


def text_table(titles: Sequence[str], rows: Sequence[Sequence[str]], *, right: Collection[int] = (),
               max_widths: Mapping[int, int] | None = None) -> list[str]:
    """The title line, a rule of ─ and one line per row; columns in ``right`` are right-aligned,
    and a cell longer than its column's ``max_widths`` entry is cut with "…"."""
    widths = [max(len(t), *(len(r[i]) for r in rows)) if rows else len(t) for i, t in enumerate(titles)]
    for column, limit in (max_widths or {}).items():
        widths[column] = min(widths[column], limit)

    def line(cells: Sequence[str]) -> str:
        shown = [c if len(c) <= w else c[: w - 1] + "…" for c, w in zip(cells, widths)]
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(shown, widths))).rstrip()

    return [line(titles), line(["─" * w for w in widths]), *map(line, rows)]


def plural(count: int, noun: str, many: str | None = None) -> str:
    """"1 claim", "2 claims", "0 evidence items": the count with its noun in the right number."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"
