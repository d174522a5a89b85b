"""``gridpoints close PERIOD``: close a month (结账), settle it and freeze its report."""

from __future__ import annotations

from gridpoints.cli.commands import Subparsers
from gridpoints.cli.context import Context, parse_period
from gridpoints.cli.notes import empty_report_note

__all__ = ["add_parser", "run"]


def add_parser(commands: Subparsers) -> None:
    close = commands.add_parser("close", help="close a month (结账): settle it, freeze its report")
    close.add_argument("period", help="a month, 2026-11")
    close.add_argument("--note", default="", help="a note kept with the decision")
    close.set_defaults(handler=run)


def run(ctx: Context) -> int:
    period = parse_period(ctx.args.period)
    closed = ctx.engine().close_period(period, by=ctx.by, note=ctx.args.note)
    ctx.out.write(
        f"closed {closed.period} (by {closed.by}): report frozen at ledger entry {closed.head_seq} "
        f"({closed.head_hash[:12]}); later changes are booked in the first open month\n"
    )
    note = empty_report_note(closed.report, ctx.lang)
    if note is not None:  # closed all the same: an empty month may be closed on purpose
        ctx.err.write(note + "\n")
    return 0
