"""`python -m argmap` → the command line."""

import sys

try:  # Ctrl-C while the imports run: one line and 130, as in the commands themselves
    from argmap.cli import run

    run()
except KeyboardInterrupt:
    sys.stderr.write("\nargmap: interrupted\n")
    sys.exit(130)
