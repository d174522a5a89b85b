"""``appeal``, ``correct`` and ``close``: decisions on booked entries and on months."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from gridpoints.cli import formatting
from gridpoints.cli.context import Context, UsageError, parse_period
from gridpoints.cli.records import FieldError, parse_instant
from gridpoints.desk.appeals import Appeal
from gridpoints.model import Event

__all__ = ["DECISION_COMMANDS", "cmd_appeal", "cmd_close", "cmd_correct"]


def _appeal_rows(appeals: list[Appeal]) -> list[list[str]]:
    return [
        [str(a.id), str(a.entry_seq), a.member_id, a.status, a.opened_by, a.reason, a.decided_by or ""]
        for a in appeals
    ]


def cmd_appeal(ctx: Context) -> int:
    engine = ctx.engine()
    args = ctx.args
    if args.action == "open":
        appeal = engine.appeal(args.seq, by=ctx.by, reason=args.reason)
        ctx.out.write(
            f"appeal {appeal.id} opened against entry {appeal.entry_seq} of {appeal.member_id} (by {ctx.by})\n"
        )
        return 0
    if args.action == "list":
        appeals = engine.appeals(status=args.status, member=args.member)
        if not appeals:
            ctx.out.write("no appeals\n")
            return 0
        headers = ["appeal", "entry", "member", "status", "opened by", "reason", "decided by"]
        ctx.out.write(formatting.table(headers, _appeal_rows(appeals), right=(0, 1)) + "\n")
        return 0
    appeal = engine.get_appeal(args.appeal_id)
    if args.action == "uphold":
        appeal = appeal.uphold(by=ctx.by, note=args.note)
        done = f"reversal entry {appeal.reversal_seq}" if appeal.reversal_seq else f"status {appeal.status}"
        ctx.out.write(f"appeal {appeal.id} upheld (by {ctx.by}): {done}\n")
        return 0
    appeal = appeal.dismiss(by=ctx.by, reason=args.reason)
    ctx.out.write(f"appeal {appeal.id} dismissed (by {ctx.by}): {args.reason}\n")
    return 0


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


def cmd_correct(ctx: Context) -> int:
    engine = ctx.engine()
    rows = engine.store.event_rows(event_ids=[ctx.args.event_id])
    if not rows:
        raise UsageError(f"event_id: no event {ctx.args.event_id!r}")
    original = Event.from_payload(rows[0][0], rows[0][6])
    replacement = _replacement(ctx, original)
    decision = engine.correct(original.id, replacement, by=ctx.by, reason=ctx.args.reason)
    ctx.out.write(
        f"corrected {original.id} → {replacement['id']} (by {ctx.by}, decision {decision.seq}): {ctx.args.reason}\n"
    )
    return 0


def cmd_close(ctx: Context) -> int:
    period = parse_period(ctx.args.period)
    closed = ctx.engine().close_period(period, by=ctx.by, note=ctx.args.note)
    ctx.out.write(
        f"closed {closed.period} (by {closed.by}): report frozen at ledger entry {closed.head_seq} "
        f"({closed.head_hash[:12]}); later changes are booked in the first open month\n"
    )
    return 0


DECISION_COMMANDS: dict[str, Callable[[Context], int]] = {
    "appeal": cmd_appeal,
    "correct": cmd_correct,
    "close": cmd_close,
}
