"""What every subcommand shares: parsed arguments, output streams, the engine, usage errors."""

from __future__ import annotations

import argparse
import getpass
import os
from typing import TextIO

from gridpoints.cli.demo import DemoRules
from gridpoints.engine import Engine
from gridpoints.periods import Period
from gridpoints.plugin_manager import check_installed
from gridpoints.rules.toml_file import load_rules

__all__ = ["DEFAULT_DB", "Context", "UsageError", "database", "parse_period"]

DEFAULT_DB = "gridpoints.db"


class UsageError(Exception):
    """The command cannot run as asked (exit code 2); the message says why."""


class Context:
    """Parsed arguments, output streams and the engine (built on first use)."""

    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
        self.args = args
        self.out = out
        self.err = err
        self._engine: Engine | None = None

    @property
    def lang(self) -> str:
        return str(self.args.lang)

    @property
    def by(self) -> str:
        if self.args.by:
            return str(self.args.by)
        try:
            return getpass.getuser()
        except (OSError, KeyError):  # no login name (some containers)
            return "operator"

    @property
    def plugins_enabled(self) -> list[str] | None:
        """The installed plugins to load: none with --no-plugins, the --plugin names, else all (None)."""
        if self.args.no_plugins:
            return []
        check_installed(self.args.plugin, "--plugin")
        return list(self.args.plugin) or None

    def ruleset(self) -> str | None:
        """--ruleset, else the one rule set the --rules files define, else None (the store's)."""
        if self.args.ruleset:
            return str(self.args.ruleset)
        ids = {version.id for path in self.args.rules for version in load_rules(path)}
        if len(ids) > 1:
            raise UsageError(f"--rules files define rule sets {', '.join(sorted(ids))}; choose one with --ruleset")
        return ids.pop() if ids else None

    def engine(self, db: str | None = None, fallback_ruleset: str = "standard") -> Engine:
        """The engine on --db; what --ruleset, --tz and --rules leave out, the store recorded
        (``fallback_ruleset`` is the rule set of a new store)."""
        if self._engine is None:
            self._engine = Engine(
                db or database(self.args),
                ruleset=self.ruleset(),
                default_ruleset=fallback_ruleset,
                tz=self.args.tz,
                rules_files=self.args.rules or None,
                plugins=[DemoRules()],
                plugins_enabled=self.plugins_enabled,
                migrate=self.args.migrate,
            )
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()


def parse_period(text: str) -> Period:
    """A period from the command line; a UsageError naming the formats otherwise."""
    try:
        return Period.parse(text)
    except ValueError as error:
        raise UsageError(str(error)) from None


def database(args: argparse.Namespace, fallback: str = DEFAULT_DB) -> str:
    """--db, else $GRIDPOINTS_DB, else ``fallback``."""
    return str(args.db or os.environ.get("GRIDPOINTS_DB") or fallback)
