"""The command line's shape: each command module owns its parser and its handler."""

from __future__ import annotations

import argparse
import sys
import types

from gridpoints.cli.args import COMMANDS, build_parser
from gridpoints.cli.commands import Command


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _added_by(module: Command) -> list[str]:
    parser = argparse.ArgumentParser()
    module.add_parser(parser.add_subparsers(dest="command"))
    return list(_subcommands(parser))


def test_every_command_is_run_by_the_module_that_parses_it() -> None:
    for name, parser in _subcommands(build_parser()).items():
        handler = parser.get_default("handler")
        assert callable(handler), f"{name}: no handler bound"
        owner = sys.modules[handler.__module__]
        assert owner in COMMANDS, f"{name}: handled by {owner.__name__}, not a command module"
        command = COMMANDS[COMMANDS.index(owner)]
        assert name in _added_by(command), f"{name}: handled by {owner.__name__}, parsed elsewhere"


def test_the_command_modules_add_every_command_once_in_help_order() -> None:
    assert all(isinstance(module, types.ModuleType) for module in COMMANDS)
    added = [name for module in COMMANDS for name in _added_by(module)]
    assert added == list(_subcommands(build_parser()))
    assert added == [
        "members", "ingest", "review", "report", "settle", "simulate", "explain", "appeal", "correct", "close",
        "verify", "checkpoint", "plugins", "rules", "demo",
    ]
