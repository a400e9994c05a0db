"""A handled Ctrl-C → the process's end with status 130 and one line, never a signal death."""

from __future__ import annotations

import sys

__all__ = ["exit_interrupted", "interrupted"]


def interrupted(exc: BaseException | None) -> bool:
    """Whether ``exc`` was caused by a Ctrl-C: a KeyboardInterrupt in its chain of causes (Python
    wraps one that struck while a class was being made, in an import, in a RuntimeError)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def exit_interrupted(message: str | None = None) -> None:
    """Exit 130 (after writing ``message``). CPython remembers a KeyboardInterrupt that struck
    code it ran on an extension's behalf even when argmap handled it, and would then end the
    process by SIGINT at exit (status -2) instead of 130: so the exit handlers run here
    (temporary files, threads), the streams are flushed, and the process ends with 130."""
    import atexit
    import os
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C while cleaning up: still 130
    if message:
        sys.stderr.write(message)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # a closed pipe: nothing more can be said on it
            pass
    os._exit(130)
