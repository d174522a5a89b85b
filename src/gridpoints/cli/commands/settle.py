"""``gridpoints settle PERIOD``: book an ended month's period awards, once."""

from __future__ import annotations

from gridpoints.cli.commands import Subparsers
from gridpoints.cli.context import Context, UsageError, parse_period

__all__ = ["add_parser", "run"]


def add_parser(commands: Subparsers) -> None:
    settle = commands.add_parser("settle", help="book an ended month's period awards (resident satisfaction), once")
    settle.add_argument("period", help="a month, 2026-11")
    settle.set_defaults(handler=run)


def run(ctx: Context) -> int:
    period = parse_period(ctx.args.period)
    if period.kind != "month":
        raise UsageError(f"period: {period} is not a month; settle one month at a time")
    result = ctx.engine().settle(period)
    if result.already_settled:
        ctx.out.write(f"{period} was settled before: nothing booked\n")
        return 0
    ctx.out.write(f"{period} settled: {len(result.awards)} period awards, {result.entries} entries\n")
    for member_id, award in result.awards:
        ctx.out.write(f"  {member_id} {award.kind} {award.points:+} {award.note}\n")
    return 0
