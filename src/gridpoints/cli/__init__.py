"""The ``gridpoints`` command line (docs/cli.md): one module per concern.

``args`` holds the general options and the list of commands; each module of ``commands`` owns
one command (or a family of subcommands): its parser and its handler. ``main`` parses, runs the
handler and maps errors to exit codes; ``context`` is what every handler gets (arguments,
streams, the engine). ``sources``/``records``/``importing`` stream files into the engine,
``formatting`` prints tables, ``output`` writes CSV, JSON and xlsx, ``demo`` runs the demo month.
"""

from gridpoints.cli.main import main

__all__ = ["main"]
