"""`python -m argmap` → the command line."""

import sys

try:  # Ctrl-C while the imports run: one line and 130, as in the commands themselves
    from argmap.cli import run

    run()
except (KeyboardInterrupt, RuntimeError) as exc:
    from argmap._interrupt import exit_interrupted, interrupted

    if not interrupted(exc):
        raise
    exit_interrupted("\nargmap: interrupted\n")
