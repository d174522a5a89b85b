"""``python -m gridpoints`` runs the command line."""

from gridpoints.cli.main import run

run()
