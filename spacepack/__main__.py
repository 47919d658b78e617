"""`python -m spacepack` runs the command-line interface."""

from spacepack.cli import main

main()
