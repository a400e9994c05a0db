"""`python -m argmap` → the command line."""

from .cli import main

main()
