"""``gridpoints appeal open|list|uphold|dismiss``: appeals (申诉) against ledger entries."""

from __future__ import annotations

import argparse

from gridpoints.cli import formatting
from gridpoints.cli.commands import Subparsers
from gridpoints.cli.context import Context
from gridpoints.desk.appeals import Appeal, appeal_number

__all__ = ["add_parser", "run"]


def add_parser(commands: Subparsers) -> None:
    appeal = commands.add_parser("appeal", help="appeals (申诉) against ledger entries: open, list, uphold, dismiss")
    actions = appeal.add_subparsers(dest="action", metavar="ACTION", required=True)
    opened = actions.add_parser("open", help="contest a ledger entry (see `explain` for seq numbers)")
    opened.add_argument("seq", type=int, help="the entry's sequence number")
    opened.add_argument("--reason", required=True, help="why the entry is wrong (required)")
    listing = actions.add_parser("list", help="appeals, oldest first")
    listing.add_argument("--status", choices=("open", "reviewed", "upheld", "dismissed"))
    listing.add_argument("--member", help="only this member's appeals")
    uphold = actions.add_parser("uphold", help="uphold: book a reversal entry cancelling the contested entry")
    uphold.add_argument("appeal_id", type=_appeal_id, help=_ID_HELP)
    uphold.add_argument("--note", default="", help="a note kept with the decision")
    dismiss = actions.add_parser("dismiss", help="dismiss: the entry stands")
    dismiss.add_argument("appeal_id", type=_appeal_id, help=_ID_HELP)
    dismiss.add_argument("--reason", required=True, help="why (required)")
    appeal.set_defaults(handler=run)


_ID_HELP = "the appeal's id, as `open` printed it (A-12)"


def _appeal_id(text: str) -> str | int:
    """``A-12``; a plain number is the seq of the decision that opened an appeal, which is what
    appeal ids were before appeals had their own numbers."""
    text = text.strip()
    if text.isascii() and text.isdigit():
        return int(text)
    try:
        appeal_number(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _appeal_rows(appeals: list[Appeal]) -> list[list[str]]:
    return [
        [str(a.id), str(a.entry_seq), a.member_id, a.status, a.opened_by, a.reason, a.decided_by or ""]
        for a in appeals
    ]


def run(ctx: Context) -> int:
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
