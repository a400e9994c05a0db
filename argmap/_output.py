"""A command's results and status → the process's streams, one convention for every command.

- data (tables, JSON, CSV, a file's bytes with ``-o -``) goes to standard output; status
  ("wrote …", what is missing, progress) and problems go to standard error;
- JSON is UTF-8 bytes whatever the terminal's encoding (a consumer parses UTF-8); text that
  the stream's encoding cannot show degrades (→ becomes ->, an unknown letter ?) instead of
  raising UnicodeEncodeError, e.g. on a Windows console or under PYTHONIOENCODING=cp1252;
- ``-o -`` means standard output;
- Python warnings of the libraries underneath never reach a user of the command line (a
  developer who asks with -W or PYTHONWARNINGS still sees them).
"""

from __future__ import annotations

import codecs
import sys
import warnings
from typing import Any

import click

from argmap._terminal import visible

__all__ = ["STDOUT", "data", "data_bytes", "is_stdout", "json_data", "quiet_warnings", "setup_streams", "status"]

STDOUT = "-"
ERRORS = "argmap-degrade"

# What a character no legacy code page has is written as instead (else "?").
_PLAIN = {
    "→": "->", "←": "<-", "↑": "^", "↓": "v", "↔": "<->", "—": "-", "–": "-", "−": "-", "…": "...",
    "≥": ">=", "≤": "<=", "≠": "!=", "≈": "~", "∈": "in", "±": "+/-", "×": "x", "·": ".", "•": "*",
    "“": '"', "”": '"', "‘": "'", "’": "'", "«": '"', "»": '"', "✓": "ok", "✗": "x", "\u00a0": " ",
    "─": "-", "│": "|", "█": "#", "░": ".",
}


def _degrade(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    bad = error.object[error.start:error.end]
    shown = []
    for char in bad:
        plain = _PLAIN.get(char, "?")
        try:  # the stand-in must itself be encodable (it is ASCII, so always is in practice)
            plain.encode(error.encoding)
        except (UnicodeEncodeError, LookupError):
            plain = "?"
        shown.append(plain)
    return "".join(shown), error.end


codecs.register_error(ERRORS, _degrade)


def setup_streams() -> None:
    """Make stdout and stderr degrade unencodable characters instead of raising."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors=ERRORS)
            except (ValueError, OSError):  # a closed or detached stream: leave it be
                pass


def quiet_warnings() -> None:
    """Library warnings (pgmpy's FutureWarning, …) are for developers, not for the command's user."""
    if not sys.warnoptions:
        warnings.simplefilter("ignore")


def is_stdout(path: str | None) -> bool:
    return path == STDOUT


def data(text: str, *, nl: bool = True, raw: bool = False) -> None:
    """Text results on stdout (degraded where the encoding cannot show a character), control
    characters from input files shown, not obeyed by a terminal; ``raw`` text (CSV) is written as
    it is unless stdout is a terminal."""
    if not raw or sys.stdout.isatty():
        text = visible(text)
    click.echo(text, nl=nl)


def data_bytes(payload: bytes) -> None:
    """Bytes on stdout as they are: JSON, SVG, PDF, a CSV written by -o -."""
    sys.stdout.flush()
    binary = click.get_binary_stream("stdout")
    binary.write(payload)
    binary.flush()


def json_data(value: Any, *, indent: int | None = 2) -> None:
    """``value`` as JSON on stdout, UTF-8 bytes whatever the terminal's encoding."""
    import json

    data_bytes((json.dumps(value, indent=indent, ensure_ascii=False) + "\n").encode("utf-8"))


def status(message: str) -> None:
    """A status line ("wrote …") on stderr, never mixed into the data; control characters shown."""
    click.echo(visible(message), err=True)
