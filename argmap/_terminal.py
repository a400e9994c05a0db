"""Text from input files → text safe to print on a terminal, and CSV cells safe to open in a spreadsheet;
the terminal's width, for tables that wrap to it.

Titles, ids, state names and belief-log cells come from files others wrote. An escape sequence
among them (OSC to set the title or the clipboard, CSI to move the cursor or hide text) would be
obeyed by the terminal; a cell starting with ``=`` would be run by a spreadsheet as a formula.
"""

from __future__ import annotations

import re

__all__ = ["safe_cell", "terminal_width", "visible"]

# C0 controls but tab and newline, DEL, C1 controls; and the bidirectional overrides that can
# make a line read differently from its bytes
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """``text`` with every control character shown as ``\\xNN`` / ``\\uNNNN`` instead of obeyed."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


def safe_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text: one starting with = + - @ (or a tab or
    carriage return) gets a leading apostrophe, OWASP's advice; numbers such as -0.25 stay as written."""
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def terminal_width() -> int:
    """Columns of the terminal standard output goes to ($COLUMNS first); 80 when it is not a terminal."""
    # shutil.get_terminal_size's rule for the columns, without importing shutil (and the
    # compression modules it imports) at the start of every command that prints a table
    import os
    import sys

    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80
