"""``gridpoints explain MEMBER PERIOD``: the ledger entries behind a member's score (and, under
an assessment scheme, how the score was derived from them)."""

from __future__ import annotations

from gridpoints.cli import formatting
from gridpoints.cli.commands import Subparsers
from gridpoints.cli.context import Context, parse_period

__all__ = ["add_parser", "run"]


def add_parser(commands: Subparsers) -> None:
    explain = commands.add_parser("explain", help="the ledger entries behind a member's score")
    explain.add_argument("member")
    explain.add_argument("period")
    explain.add_argument("--format", choices=("table", "json"), default="table")
    explain.set_defaults(handler=run)


def run(ctx: Context) -> int:
    period = parse_period(ctx.args.period)
    engine = ctx.engine()
    entries = engine.explain(ctx.args.member, period)
    score = engine.score(ctx.args.member, period)
    if ctx.args.format == "json":
        ctx.out.write(formatting.entries_json(engine, entries, ctx.lang))
        return 0
    member = engine.member(ctx.args.member)
    region = engine.region_labels(ctx.lang).get(member.region, member.region)
    title = f"{member.id}{' ' + member.name if member.name else ''} ({region}) {period}: {score}"
    ctx.out.write(title + "\n")
    if entries:
        ctx.out.write(formatting.entries_table(engine, entries, ctx.lang) + "\n")
    else:
        ctx.out.write("no entries in this period\n")
    if entries.assessment is not None:  # an assessment scheme: how the score was derived
        ctx.out.write(entries.text(ctx.lang).split("\n", 1)[1] + "\n")
    return 0
