"""Terminal tables (argmap._text.text_table): narrowed to a terminal's width without losing a
character — wrapped cells, titles over two lines, and columns moved under their rows."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from argmap._text import text_table

WORD = st.text(alphabet="abcdefgh_=|.:/0123456789", min_size=1, max_size=12)
CELL = st.lists(WORD, min_size=0, max_size=4).map(" ".join)


@st.composite
def tables(draw):
    columns = draw(st.integers(1, 5))
    titles = [draw(st.lists(WORD, min_size=1, max_size=3).map(" ".join)) for _ in range(columns)]
    rows = draw(st.lists(st.lists(CELL, min_size=columns, max_size=columns), min_size=1, max_size=5))
    wrap = draw(st.sets(st.integers(0, columns - 1)))
    below = draw(st.sets(st.integers(0, columns - 1), max_size=columns - 1))
    return titles, rows, wrap, below


@settings(max_examples=300, deadline=None)
@given(tables(), st.integers(10, 120))
def test_a_narrowed_table_loses_no_word(table, width):
    """Narrowed, a table has exactly the words it had: its titles and cells, and for a column
    moved under its rows, "title: cell" once per row with that cell filled."""
    titles, rows, wrap, below = table
    wide = text_table(titles, rows)
    narrow = text_table(titles, rows, width=width, wrap=wrap, below=below)
    if len(wide[len(wide) - len(rows) - 1]) <= width:  # it fits: nothing changes
        assert narrow == wide
        return

    def words(texts) -> Counter:
        return Counter(word for text in texts for word in text.split() if set(word) != {"─"})

    as_is = words([*titles, *(cell for row in rows for cell in row)])
    kept = [k for k in range(len(titles)) if k not in below]
    moved = words([*(titles[k] for k in kept), *(row[k] for row in rows for k in kept),
                   *(f"{titles[k]}: {row[k]}" for row in rows for k in sorted(below) if row[k])])
    assert words(narrow) in (as_is, moved)


def test_a_column_too_wide_for_the_terminal_goes_under_its_row():
    titles = ("input", "value", "written at")
    rows = [("P(a | b)", "0.4", "evidence/some/long/path/to/items.yaml:12"), ("P(c)", "0.1", "models/m.yaml:3")]
    lines = text_table(titles, rows, width=30, below={2})
    assert lines == ["input     value",
                     "────────  ─────",
                     "P(a | b)  0.4",
                     "  written at: evidence/some/long/path/to/items.yaml:12",
                     "P(c)      0.1",
                     "  written at: models/m.yaml:3"]
    assert text_table(titles, rows, width=200, below={2}) == text_table(titles, rows)
