"""The ``gridpoints`` argument parser: the general options, then one command (docs/cli.md).

Each command's module (``gridpoints.cli.commands``) adds its own parser and binds its handler;
``COMMANDS`` lists them in the order ``gridpoints --help`` shows them.
"""

from __future__ import annotations

import argparse

from gridpoints import __version__
from gridpoints.cli.commands import (
    Command,
    appeal,
    close,
    correct,
    demo,
    explain,
    ingest,
    integrity,
    members,
    plugins,
    report,
    review,
    settle,
    simulate,
)
from gridpoints.cli.context import DEFAULT_DB

__all__ = ["COMMANDS", "build_parser"]

#: The command modules, in help order.
COMMANDS: tuple[Command, ...] = (
    members, ingest, review, report, settle, simulate, explain, appeal, correct, close, integrity, plugins, demo,
)


def _general(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=None,
        help=f"the SQLite file (or store URL); default ${{GRIDPOINTS_DB}} or {DEFAULT_DB}",
    )
    parser.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="FILE",
        help="a TOML rule file (docs/rules.md); repeat for several",
    )
    parser.add_argument(
        "--ruleset",
        default=None,
        help="the rule set to score with; default: the one in --rules if it names one, else standard",
    )
    parser.add_argument("--tz", default="Asia/Shanghai", help="the engine's time zone (default Asia/Shanghai)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="labels in output (default zh)")
    parser.add_argument("--by", default=None, metavar="NAME", help="who acts in review decisions; default login name")
    parser.add_argument("--version", action="version", version=f"gridpoints {__version__}")


def build_parser() -> argparse.ArgumentParser:
    """The full parser; ``args.command`` names the command chosen, ``args.handler`` runs it."""
    parser = argparse.ArgumentParser(
        prog="gridpoints",
        description="Points-based performance assessment (积分制考核) of grid workers on a SQLite file.",
        epilog="Exit codes: 0 ok (held events are not an error), 1 rows rejected or verify failed, 2 usage errors.",
    )
    _general(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(commands)
    return parser
