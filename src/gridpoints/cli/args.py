"""The ``gridpoints`` argument parser: the general options, then one command (docs/cli.md).

Each command's module (``gridpoints.cli.commands``) adds its own parser and binds its handler;
``COMMANDS`` lists them in the order ``gridpoints --help`` shows them. The general options (``--db``,
``--lang``…) may go before the command or anywhere after it: ``merge_general`` folds them in.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

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
    rules,
    settle,
    simulate,
)
from gridpoints.cli.context import DEFAULT_DB

__all__ = ["COMMANDS", "build_parser", "merge_general"]

#: The command modules, in help order.
COMMANDS: tuple[Command, ...] = (
    members, ingest, review, report, settle, simulate, explain, appeal, correct, close, integrity, plugins, rules,
    demo,
)


#: The general options that take a list (repeatable) and that are plain switches; the others
#: hold one value (given twice, the later one counts).
_LISTS = frozenset({"rules", "plugin"})
_SWITCHES = frozenset({"no_plugins", "migrate"})
#: Where a general option given after the command is kept until ``merge_general``: the depth
#: of the parser that read it (1: the command, 2: its action, as in ``review approve``).
_LATE = re.compile(r"^_late(?P<depth>\d+)_(?P<name>\w+)$")


def _general(parser: argparse.ArgumentParser | argparse._ArgumentGroup, depth: int = 0) -> None:
    """The general options. At depth 0 (before the command) with their defaults; deeper (after
    the command) with no default and a dest of their own, so ``merge_general`` can tell what was
    given where (argparse parses a command's arguments into a fresh namespace)."""

    def option(*flags: str, dest: str, default: object = None, **kwargs: Any) -> None:
        if depth:
            if kwargs.get("action") != "store_true" and "choices" not in kwargs:
                kwargs.setdefault("metavar", dest.upper())  # not the internal dest
            kwargs.update(dest=f"_late{depth}_{dest}", default=argparse.SUPPRESS)
        else:
            kwargs.update(dest=dest, default=default)
        parser.add_argument(*flags, **kwargs)

    option("--db", dest="db", help=f"the SQLite file (or store URL); default ${{GRIDPOINTS_DB}} or {DEFAULT_DB}")
    option("--rules", dest="rules", default=[], action="append", metavar="FILE",
           help="a TOML rule file (docs/rules.md); repeat for several")
    option("--ruleset", dest="ruleset",
           help="the rule set to score with; default: the one in --rules if it names one, else the one the "
           "store was created with, else standard")
    option("--tz", dest="tz",
           help="the engine's time zone; default: the store's, else Asia/Shanghai")
    option("--migrate", dest="migrate", default=False, action="store_true",
           help="record a changed --ruleset, --tz or --rules in the store (otherwise refused)")
    option("--lang", dest="lang", default="zh", choices=("zh", "en"), help="labels in output (default zh)")
    option("--by", dest="by", metavar="NAME", help="who acts in review decisions; default login name")
    option("--no-plugins", dest="no_plugins", default=False, action="store_true",
           help="load no installed plugin (entry point); built-ins and --rules files still apply")
    option("--plugin", dest="plugin", default=[], action="append", metavar="NAME",
           help="load only this installed plugin (entry-point name); repeat for several")


def _late_general(parser: argparse.ArgumentParser, depth: int = 1) -> None:
    """Let every command (and action, as in ``review approve``) take the general options too."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                group = sub.add_argument_group("general options (also accepted before the command)")
                _general(group, depth)
                _late_general(sub, depth + 1)


def merge_general(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """Fold general options given after the command into ``args``: lists are extended, switches
    turned on, single values replaced (the later one counts). Then check they fit together."""
    late = sorted(
        (int(match["depth"]), match["name"], key)
        for key in vars(args)
        if (match := _LATE.match(key)) is not None
    )
    for _depth, name, key in late:
        value = getattr(args, key)
        delattr(args, key)
        if name in _LISTS:
            setattr(args, name, [*getattr(args, name), *value])
        elif name in _SWITCHES:
            setattr(args, name, getattr(args, name) or value)
        else:
            setattr(args, name, value)
    if args.no_plugins and args.plugin:
        parser.error("--no-plugins and --plugin exclude each other: --plugin NAME alone loads only the plugins named")
    return args


def build_parser() -> argparse.ArgumentParser:
    """The full parser; ``args.command`` names the command chosen, ``args.handler`` runs it."""
    parser = argparse.ArgumentParser(
        prog="gridpoints",
        description="Points-based performance assessment (积分制考核) of grid workers on a SQLite file.",
        epilog="Exit codes: 0 ok (held events are not an error), 1 rows rejected or verify failed, 2 usage errors.",
    )
    _general(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parser.add_argument("--version", action="version", version=f"gridpoints {__version__}")
    for command in COMMANDS:
        command.add_parser(commands)
    _late_general(parser)
    return parser
