"""The ``gridpoints`` argument parser: general options, then one subcommand (docs/cli.md)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from gridpoints import __version__

__all__ = ["build_parser"]

DEFAULT_DB = "gridpoints.db"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def _general(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=None,
        help=f"the SQLite file (or store URL); default ${{GRIDPOINTS_DB}} or {DEFAULT_DB}",
    )
    parser.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="FILE",
        help="a TOML rule file (docs/rules.md); repeat for several",
    )
    parser.add_argument(
        "--ruleset",
        default=None,
        help="the rule set to score with; default: the one in --rules if it names one, else standard",
    )
    parser.add_argument("--tz", default="Asia/Shanghai", help="the engine's time zone (default Asia/Shanghai)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="labels in output (default zh)")
    parser.add_argument("--by", default=None, metavar="NAME", help="who acts in review decisions; default login name")
    parser.add_argument("--version", action="version", version=f"gridpoints {__version__}")


def _import_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--encoding",
        default=None,
        help="the files' encoding; default: detected (UTF-8, UTF-8 with BOM, or GB18030)",
    )


def _decision_parsers(commands: Any) -> None:
    """``appeal``, ``correct`` and ``close``."""
    appeal = commands.add_parser("appeal", help="appeals (申诉) against ledger entries: open, list, uphold, dismiss")
    actions = appeal.add_subparsers(dest="action", metavar="ACTION", required=True)
    opened = actions.add_parser("open", help="contest a ledger entry (see `explain` for seq numbers)")
    opened.add_argument("seq", type=int, help="the entry's sequence number")
    opened.add_argument("--reason", required=True, help="why the entry is wrong (required)")
    listing = actions.add_parser("list", help="appeals, oldest first")
    listing.add_argument("--status", choices=("open", "reviewed", "upheld", "dismissed"))
    listing.add_argument("--member", help="only this member's appeals")
    uphold = actions.add_parser("uphold", help="uphold: book a reversal entry cancelling the contested entry")
    uphold.add_argument("appeal_id", type=int)
    uphold.add_argument("--note", default="", help="a note kept with the decision")
    dismiss = actions.add_parser("dismiss", help="dismiss: the entry stands")
    dismiss.add_argument("appeal_id", type=int)
    dismiss.add_argument("--reason", required=True, help="why (required)")

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

    close = commands.add_parser("close", help="close a month (结账): settle it, freeze its report")
    close.add_argument("period", help="a month, 2026-11")
    close.add_argument("--note", default="", help="a note kept with the decision")


def build_parser() -> argparse.ArgumentParser:
    """The full parser; ``args.command`` names the subcommand chosen."""
    parser = argparse.ArgumentParser(
        prog="gridpoints",
        description="Points-based performance assessment (积分制考核) of grid workers on a SQLite file.",
        epilog="Exit codes: 0 ok (held events are not an error), 1 rows rejected or verify failed, 2 usage errors.",
    )
    _general(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    members = commands.add_parser("members", help="import members from CSV (id, region, name, grid, joined, left)")
    members.add_argument("file")
    _import_options(members)

    ingest = commands.add_parser("ingest", help="import events from CSV or JSON Lines files")
    ingest.add_argument("files", nargs="+", metavar="FILE")
    _import_options(ingest)
    ingest.add_argument(
        "--assume-tz",
        action="store_true",
        help="read timestamps without a zone in the engine's zone (--tz); otherwise they are errors",
    )
    ingest.add_argument("--rejects", metavar="FILE", help="write bad rows here, with a reject_reason column")
    ingest.add_argument(
        "--batch-size", type=_positive, default=10_000, help="rows per atomic ingest call (default 10000)"
    )

    review = commands.add_parser("review", help="held events: list, approve, reject")
    actions = review.add_subparsers(dest="action", metavar="ACTION", required=True)
    pending = actions.add_parser("list", help="events waiting for review")
    pending.add_argument("--member", help="only this member's events")
    pending.add_argument("--kind", help="only events of this kind")
    pending.add_argument("--check", help="only events this check held")
    pending.add_argument("--period", help="only events in this month, quarter or year")
    approve = actions.add_parser("approve", help="book a held event")
    approve.add_argument("event_id")
    approve.add_argument("--note", default="", help="a note kept with the decision")
    reject = actions.add_parser("reject", help="refuse a held event")
    reject.add_argument("event_id")
    reject.add_argument("--reason", required=True, help="why (required)")

    report = commands.add_parser("report", help="a period's report: score, grade, rank, titles, flags")
    report.add_argument("period", help="2026-11, 2026-Q4 or 2026")
    report.add_argument("--format", choices=("table", "csv", "json", "xlsx"), default="table")
    report.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    report.add_argument("--mask-names", action="store_true", help="show names as 张* (privacy)")

    settle = commands.add_parser("settle", help="book an ended month's period awards (resident satisfaction), once")
    settle.add_argument("period", help="a month, 2026-11")

    simulate = commands.add_parser("simulate", help="what-if: who would change score, grade, rank under new rules")
    simulate.add_argument("--proposed", required=True, metavar="FILE", help="the proposed rules (TOML)")
    simulate.add_argument("period", help="2026-11, 2026-Q4 or 2026")
    simulate.add_argument("--format", choices=("table", "csv", "json", "xlsx"), default="table")
    simulate.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    simulate.add_argument("--all", action="store_true", help="list every member, not only those who change")
    simulate.add_argument("--mask-names", action="store_true", help="show names as 张* (privacy)")

    explain = commands.add_parser("explain", help="the ledger entries behind a member's score")
    explain.add_argument("member")
    explain.add_argument("period")
    explain.add_argument("--format", choices=("table", "json"), default="table")

    _decision_parsers(commands)

    verify = commands.add_parser("verify", help="recompute the ledger's hash chain (and check a checkpoint)")
    verify.add_argument("--checkpoint", metavar="TEXT", help="a checkpoint printed earlier by `checkpoint`")
    verify.add_argument("--key-file", metavar="FILE", help="the key a sealed checkpoint was sealed with")
    checkpoint = commands.add_parser("checkpoint", help="print the ledger's current position, to keep elsewhere")
    checkpoint.add_argument("--key-file", metavar="FILE", help="seal it with HMAC-SHA256 under the key in FILE")
    commands.add_parser("plugins", help="loaded plugins, rule sets with versions, checks, and where each came from")

    demo = commands.add_parser("demo", help="a realistic month for 500 grid workers, then the report")
    demo.add_argument("--members", type=_positive, default=500, help="how many grid workers (default 500)")
    demo.add_argument(
        "--period", default=None, help="the month to generate (default: the last complete month in --tz)"
    )
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    demo.add_argument("--write-csv", metavar="DIR", help="only write members.csv and events.csv into DIR")
    return parser


def database(args: argparse.Namespace, fallback: str = DEFAULT_DB) -> str:
    """--db, else $GRIDPOINTS_DB, else ``fallback``."""
    return str(args.db or os.environ.get("GRIDPOINTS_DB") or fallback)
