"""``gridpoints review list|approve|reject``: the events the checks held."""

from __future__ import annotations

from gridpoints.cli import formatting
from gridpoints.cli.commands import Subparsers
from gridpoints.cli.context import Context, parse_period

__all__ = ["add_parser", "run"]


def add_parser(commands: Subparsers) -> None:
    review = commands.add_parser("review", help="held events: list, approve, reject")
    actions = review.add_subparsers(dest="action", metavar="ACTION", required=True)
    pending = actions.add_parser("list", help="events waiting for review")
    pending.add_argument("--member", help="only this member's events")
    pending.add_argument("--kind", help="only events of this kind")
    pending.add_argument("--check", help="only events this check held")
    pending.add_argument("--period", help="only events in this month, quarter, half-year or year")
    approve = actions.add_parser("approve", help="book a held event")
    approve.add_argument("event_id")
    approve.add_argument("--note", default="", help="a note kept with the decision")
    reject = actions.add_parser("reject", help="refuse a held event")
    reject.add_argument("event_id")
    reject.add_argument("--reason", required=True, help="why (required)")
    review.set_defaults(handler=run)


def run(ctx: Context) -> int:
    engine = ctx.engine()
    action = ctx.args.action
    if action == "list":
        args = ctx.args
        if args.period:
            parse_period(args.period)
        pending = engine.review.pending(member=args.member, kind=args.kind, check=args.check, period=args.period)
        if not pending:
            ctx.out.write("没有待审核的事件\n" if ctx.lang == "zh" else "no events waiting for review\n")
        else:
            labels = engine.check_labels(ctx.lang)
            ctx.out.write(formatting.held_table(pending, ctx.lang, engine.tz, check_labels=labels) + "\n")
        return 0
    if action == "approve":
        booked = engine.review.approve(ctx.args.event_id, by=ctx.by, note=ctx.args.note)
        ctx.out.write(f"approved {ctx.args.event_id} (by {ctx.by}): {booked} entries booked\n")
        return 0
    engine.review.reject(ctx.args.event_id, by=ctx.by, reason=ctx.args.reason)
    ctx.out.write(f"rejected {ctx.args.event_id} (by {ctx.by}): {ctx.args.reason}\n")
    return 0
