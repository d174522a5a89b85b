"""The ``gridpoints`` command line (docs/cli.md): one module per concern.

``args`` builds the parser, ``main`` runs a command and maps errors to exit codes,
``commands`` holds one function per subcommand, ``sources``/``records``/``importing`` stream
files into the engine, ``formatting`` prints tables, CSV and JSON, ``demo`` runs the demo month.
"""

from gridpoints.cli.main import main

__all__ = ["main"]
