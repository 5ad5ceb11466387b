"""``python -m stripper`` runs the command-line interface."""

from .cli import main

main()
