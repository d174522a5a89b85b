"""``gridpoints members FILE``: import members from CSV, all or none."""

from __future__ import annotations

from gridpoints.cli.bad_rows import bad_row_reporter
from gridpoints.cli.commands import Subparsers
from gridpoints.cli.context import Context
from gridpoints.cli.importing import REQUIRED_FOR, import_members, open_all
from gridpoints.cli.options import add_encoding_option

__all__ = ["add_parser", "run"]


def add_parser(commands: Subparsers) -> None:
    members = commands.add_parser("members", help="import members from CSV (id, region, name, grid, joined, left)")
    members.add_argument("file")
    add_encoding_option(members)
    members.set_defaults(handler=run)


def run(ctx: Context) -> int:
    source = open_all([ctx.args.file], REQUIRED_FOR["members"], ctx.args.encoding)[0]
    report, _ = bad_row_reporter(ctx, None)
    rows, bad = import_members(ctx.engine(), source, report)
    if bad:
        ctx.err.write(f"{source.path}: {rows:,} rows, {bad:,} bad: no members imported; fix them and run again\n")
        return 1
    ctx.out.write(f"{source.path}: {rows:,} members imported\n")
    return 0
