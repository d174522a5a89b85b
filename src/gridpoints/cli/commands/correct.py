"""``gridpoints correct EVENT_ID``: replace a wrongly recorded booked event (更正)."""

from __future__ import annotations

import argparse
from typing import Any

from gridpoints.cli.commands import Subparsers
from gridpoints.cli.context import Context, UsageError
from gridpoints.cli.records import FieldError, parse_instant
from gridpoints.model import Event

__all__ = ["add_parser", "run"]


def add_parser(commands: Subparsers) -> None:
    correct = commands.add_parser("correct", help="replace a wrongly recorded booked event (更正)")
    correct.add_argument("event_id")
    correct.add_argument("--reason", required=True, help="why the event is corrected (required)")
    correct.add_argument("--new-id", help="the replacement's event id (default: EVENT_ID.c1)")
    correct.add_argument("--member", dest="member_id", help="the right member id")
    correct.add_argument("--kind", help="the right kind")
    correct.add_argument("--occurred-at", help="the right time (with zone, or use --assume-tz)")
    correct.add_argument("--reported-at", help="the right report time")
    correct.add_argument("--quantity", help="the right quantity")
    correct.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="set an attribute")
    correct.add_argument("--unset", action="append", default=[], metavar="KEY", help="remove an attribute")
    correct.add_argument("--assume-tz", action="store_true", help="read times without zone in --tz")
    correct.set_defaults(handler=run)


def _replacement(ctx: Context, original: Event) -> dict[str, Any]:
    args: argparse.Namespace = ctx.args
    engine = ctx.engine()
    assume = engine.tz if args.assume_tz else None
    data = original.to_mapping()
    data["id"] = args.new_id or f"{original.id}.c1"
    for field in ("member_id", "kind", "quantity"):
        if getattr(args, field):
            data[field] = getattr(args, field)
    try:
        if args.occurred_at:
            data["occurred_at"] = parse_instant(args.occurred_at, "occurred_at", assume, engine.tz_name)
        if args.reported_at:
            data["reported_at"] = parse_instant(args.reported_at, "reported_at", assume, engine.tz_name)
    except FieldError as error:
        raise UsageError(f"--{error.field.replace('_', '-')}: {error.reason}") from None
    attributes = dict(data["attributes"])
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--set: {item!r} is not KEY=VALUE")
        attributes[key] = value
    for key in args.unset:
        if key not in attributes:
            raise UsageError(f"--unset: the event has no attribute {key!r}")
        del attributes[key]
    data["attributes"] = attributes
    return data


def run(ctx: Context) -> int:
    engine = ctx.engine()
    rows = engine.store.event_rows(event_ids=[ctx.args.event_id])
    if not rows:
        raise UsageError(f"event_id: no event {ctx.args.event_id!r}")
    original = Event.from_payload(rows[0].event_id, rows[0].payload)
    replacement = _replacement(ctx, original)
    decision = engine.correct(original.id, replacement, by=ctx.by, reason=ctx.args.reason)
    ctx.out.write(
        f"corrected {original.id} → {replacement['id']} (by {ctx.by}, decision {decision.seq}): {ctx.args.reason}\n"
    )
    return 0
