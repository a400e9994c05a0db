"""Rows of cells → an aligned plain-text table (the terminal output of several commands)."""

from __future__ import annotations

import textwrap
from collections.abc import Collection, Mapping, Sequence

__all__ = ["plural", "prose", "text_table"]


def text_table(titles: Sequence[str], rows: Sequence[Sequence[str]], *, right: Collection[int] = (),
               max_widths: Mapping[int, int] | None = None, width: int | None = None,
               wrap: Collection[int] = (), below: Collection[int] = ()) -> list[str]:
    """The title line, a rule of ─ and one line per row; columns in ``right`` are right-aligned,
    and a cell longer than its column's ``max_widths`` entry is cut with "…".

    With ``width`` (the terminal's), a table wider than that is narrowed without losing a
    character: first the ``below`` columns leave the table, each cell on a line of its own under
    its row ("  written at: models/m.yaml:12"), then titles wider than their column's cells are
    set on two or more lines ("Bayes" over "factor"), then the cells of the ``wrap`` columns are
    wrapped at spaces, the widest column first, down to its longest word."""
    kept = list(range(len(titles)))
    if width is not None and below and len(_aligned(titles, rows, right, max_widths, None, wrap)[0][-1]) > width:
        kept = [k for k in kept if k not in below]
    head, body = _aligned([titles[k] for k in kept], [[r[k] for k in kept] for r in rows],
                          [kept.index(k) for k in right if k in kept],
                          {kept.index(k): w for k, w in (max_widths or {}).items() if k in kept}, width,
                          [kept.index(k) for k in wrap if k in kept])
    out = list(head)
    for row, lines in zip(rows, body):
        out += lines + [f"  {titles[k]}: {row[k]}" for k in range(len(titles)) if k not in kept and row[k]]
    return out


def _aligned(titles: Sequence[str], rows: Sequence[Sequence[str]], right: Collection[int],
             max_widths: Mapping[int, int] | None, width: int | None,
             wrap: Collection[int]) -> tuple[list[str], list[list[str]]]:
    """The title lines and the rule, and each row's lines."""
    widths = [max(len(t), *(len(r[i]) for r in rows)) if rows else len(t) for i, t in enumerate(titles)]
    for column, limit in (max_widths or {}).items():
        widths[column] = min(widths[column], limit)
    if width is not None:
        _narrow(widths, titles, rows, width, wrap)

    def lines(cells: Sequence[str], wrapping: Collection[int], *, bottom: bool = False) -> list[str]:
        stacks = [_fitted(c, w, k in wrapping) for k, (c, w) in enumerate(zip(cells, widths))]
        depth = max(len(stack) for stack in stacks)
        # a title's lines sit at the bottom of the header (on the rule), a cell's at the top of its row
        stacks = [([""] * (depth - len(s)) + s if bottom else s + [""] * (depth - len(s))) for s in stacks]
        return ["  ".join(stack[n].rjust(w) if i in right else stack[n].ljust(w)
                          for i, (stack, w) in enumerate(zip(stacks, widths))).rstrip() for n in range(depth)]

    head = lines(titles, range(len(titles)), bottom=True)
    rule = lines(["─" * w for w in widths], ())
    return [*head, *rule], [lines(row, wrap) for row in rows]


def _fitted(cell: str, width: int, wrapping: bool) -> list[str]:
    """A cell's lines in a column ``width`` wide: if ``wrapping``, a list ("a = x, b = y") is
    broken after its commas, anything still too long at spaces; else it is cut with "…"."""
    if len(cell) <= width:
        return [cell]
    if not wrapping:
        return [cell[: width - 1] + "…"]
    pieces = cell.split(", ")
    out: list[str] = []
    for piece in [p + "," for p in pieces[:-1]] + pieces[-1:]:
        if out and len(out[-1]) + 1 + len(piece) <= width:
            out[-1] += " " + piece
        else:
            out.append(piece)
    return [line for text in out for line in
            (textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""])]


def _narrow(widths: list[int], titles: Sequence[str], rows: Sequence[Sequence[str]], width: int,
            wrap: Collection[int]) -> None:
    def total() -> int:
        return sum(widths) + 2 * (len(widths) - 1)

    def longest_word(texts: Sequence[str]) -> int:
        return max((len(word) for text in texts for word in text.split()), default=1)

    if total() <= width:
        return
    for k, title in enumerate(titles):  # every title over two lines where its cells are narrower
        cells = max((len(r[k]) for r in rows), default=0)
        if len(title) > cells and " " in title and k not in wrap:
            widths[k] = max(cells, longest_word([title]))
    for k in sorted(wrap, key=lambda k: -widths[k]):  # then the wrappable cells, widest column first
        excess = total() - width
        if excess <= 0:
            return
        widths[k] = max(widths[k] - excess, longest_word([titles[k], *(r[k] for r in rows)]))


def plural(count: int, noun: str, many: str | None = None) -> str:
    """"1 claim", "2 claims", "0 evidence items": the count with its noun in the right number."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def prose(lines: Sequence[str], width: int) -> list[str]:
    """Lines of running text wrapped at spaces to ``width``, each continuation indented as its
    line is (a word longer than the width stays whole)."""
    out: list[str] = []
    for line in lines:
        indent = line[: len(line) - len(line.lstrip())]
        out += textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=False,
                             break_on_hyphens=False) or [""]
    return out
