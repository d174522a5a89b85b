"""``gridpoints demo``: a realistic month for 500 grid workers, then the report (or only its CSV)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gridpoints.cli.commands import Subparsers
from gridpoints.cli.context import Context, UsageError, parse_period
from gridpoints.cli.demo import (
    PROPOSED_KIND,
    demo_database,
    demo_roster,
    run_demo,
    write_demo_csv,
    write_demo_proposal,
)
from gridpoints.cli.options import positive
from gridpoints.demo import demo_events
from gridpoints.engine import DEFAULT_TZ
from gridpoints.periods import Period

__all__ = ["add_parser", "run"]


def add_parser(commands: Subparsers) -> None:
    demo = commands.add_parser("demo", help="a realistic month for 500 grid workers, then the report")
    demo.add_argument("--members", type=positive, default=500, help="how many grid workers (default 500)")
    demo.add_argument(
        "--period", default=None, help="the month to generate (default: the last complete month in --tz)"
    )
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    demo.add_argument(
        "--write-csv",
        metavar="DIR",
        help="only write files into DIR: members.csv and events.csv to import, proposal.toml and epidemic.csv "
        "for a what-if",
    )
    demo.set_defaults(handler=run)


def run(ctx: Context) -> int:
    args = ctx.args
    try:
        zone = ZoneInfo(args.tz or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--tz: {args.tz!r} is not a known time zone (try Asia/Shanghai)") from None
    period = parse_period(args.period) if args.period else Period.month_of(datetime.now(zone), zone).shift(-1)
    if period.kind != "month":
        raise UsageError(f"--period: {period} is not a month; the demo generates one month (2026-11)")
    members = demo_roster(args.members, args.seed, period)
    if args.write_csv:
        directory = Path(args.write_csv)
        count_members, count_events = write_demo_csv(
            directory, members, demo_events(members, str(period), seed=args.seed, tz=zone), zone
        )
        proposed = write_demo_proposal(directory, members, str(period), seed=args.seed, tz=zone)
        ctx.out.write(
            f"wrote {directory / 'members.csv'} ({count_members} members) and "
            f"{directory / 'events.csv'} ({count_events:,} events); import them with\n"
            f"  gridpoints --ruleset demo members {directory / 'members.csv'}   # the new store records the rule set\n"
            f"  gridpoints ingest {directory / 'events.csv'}\n"
            f"and {directory / 'proposal.toml'} (a proposal: mediation +10, new kind {PROPOSED_KIND} +8) with "
            f"{directory / 'epidemic.csv'} ({proposed:,} events of the new kind) for a what-if:\n"
            f"  gridpoints simulate --proposed {directory / 'proposal.toml'} "
            f"--events {directory / 'epidemic.csv'} {period}\n"
        )
        return 0
    db = demo_database(args.db)
    engine = ctx.engine(db, fallback_ruleset="demo")
    result = run_demo(engine, members, period=str(period), seed=args.seed, lang=ctx.lang, out=ctx.out, db=db)
    return 1 if result.rejected else 0
