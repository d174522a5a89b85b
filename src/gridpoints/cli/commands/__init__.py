"""One module per command (or per family of subcommands, like ``review list|approve|reject``).

Each module has ``add_parser(commands)``, which adds its subparser(s) to the ``gridpoints``
parser and binds each to its handler with ``set_defaults(handler=…)``, and the handler(s): a
function of the command's ``Context`` returning the exit code. ``gridpoints.cli.args.COMMANDS``
lists the modules in the order ``gridpoints --help`` shows them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Protocol, TypeAlias

from gridpoints.cli.context import Context

__all__ = ["Command", "Handler", "Subparsers"]

#: What ``ArgumentParser.add_subparsers`` returns: commands are added to it.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

#: Runs one command: reads ``ctx.args``, calls the engine, writes, returns the exit code.
Handler = Callable[[Context], int]


class Command(Protocol):
    """A command module."""

    def add_parser(self, commands: Subparsers) -> None:
        """Add this module's subparser(s) to ``commands``, each with ``handler`` set."""
