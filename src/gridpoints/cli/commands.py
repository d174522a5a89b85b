"""One function per subcommand: read the arguments, call the engine, print, return the exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gridpoints.cli import formatting
from gridpoints.cli.context import Context, UsageError, parse_period
from gridpoints.cli.demo import DemoRules, demo_database, demo_roster, run_demo, write_demo_csv
from gridpoints.cli.importing import (
    REQUIRED_FOR,
    BadRow,
    Counts,
    RejectsWriter,
    import_events,
    import_members,
    open_all,
)
from gridpoints.cli.plugins_listing import describe_plugins
from gridpoints.cli.progress import Progress
from gridpoints.demo import demo_events
from gridpoints.periods import Period

__all__ = ["COMMANDS"]

#: Bad rows listed on stderr before the rest are only counted (all go to --rejects).
MAX_LISTED = 50


def _reporter(ctx: Context, rejects: RejectsWriter | None) -> tuple[Callable[[BadRow], None], list[int]]:
    listed = [0]

    def report(bad: BadRow) -> None:
        if listed[0] < MAX_LISTED:
            ctx.err.write(bad.text() + "\n")
        listed[0] += 1
        if rejects is not None:
            rejects.write(bad)

    return report, listed


def cmd_members(ctx: Context) -> int:
    source = open_all([ctx.args.file], REQUIRED_FOR["members"], ctx.args.encoding)[0]
    report, _ = _reporter(ctx, None)
    rows, bad = import_members(ctx.engine(), source, report)
    if bad:
        ctx.err.write(f"{source.path}: {rows:,} rows, {bad:,} bad: no members imported; fix them and run again\n")
        return 1
    ctx.out.write(f"{source.path}: {rows:,} members imported\n")
    return 0


def cmd_ingest(ctx: Context) -> int:
    args = ctx.args
    sources = open_all(args.files, REQUIRED_FOR["events"], args.encoding)
    rejects = RejectsWriter(Path(args.rejects)) if args.rejects else None
    if rejects is not None:
        RejectsWriter.check_compatible(sources)
    engine = ctx.engine()
    report, listed = _reporter(ctx, rejects)
    progress = Progress(ctx.err)
    total = Counts()
    try:
        for source, counts in import_events(
            engine,
            sources,
            assume=engine.tz if args.assume_tz else None,
            report=report,
            progress=progress,
            batch_size=args.batch_size,
        ):
            progress.finish()
            ctx.out.write(f"{source.path}: {counts.line()}\n")
            total.add(counts)
    finally:
        if rejects is not None:
            rejects.close()
    if len(sources) > 1:
        ctx.out.write(f"total: {total.line()}\n")
    if listed[0] > MAX_LISTED:
        where = f"all are in {rejects.path}" if rejects is not None else "write them all with --rejects FILE"
        ctx.err.write(f"… {listed[0] - MAX_LISTED:,} more bad rows not listed; {where}\n")
    if rejects is not None and total.rejected:
        ctx.err.write(f"{total.rejected:,} bad rows written to {rejects.path}; fix them and ingest that file\n")
    return 1 if total.rejected else 0


def cmd_review(ctx: Context) -> int:
    engine = ctx.engine()
    action = ctx.args.action
    if action == "list":
        args = ctx.args
        if args.period:
            parse_period(args.period)
        pending = engine.review.pending(member=args.member, kind=args.kind, check=args.check, period=args.period)
        if not pending:
            ctx.out.write("no events waiting for review\n")
        else:
            ctx.out.write(formatting.held_table(pending, ctx.lang, engine.tz) + "\n")
        return 0
    if action == "approve":
        booked = engine.review.approve(ctx.args.event_id, by=ctx.by, note=ctx.args.note)
        ctx.out.write(f"approved {ctx.args.event_id} (by {ctx.by}): {booked} entries booked\n")
        return 0
    engine.review.reject(ctx.args.event_id, by=ctx.by, reason=ctx.args.reason)
    ctx.out.write(f"rejected {ctx.args.event_id} (by {ctx.by}): {ctx.args.reason}\n")
    return 0


def cmd_explain(ctx: Context) -> int:
    period = parse_period(ctx.args.period)
    engine = ctx.engine()
    entries = engine.explain(ctx.args.member, period)
    score = engine.score(ctx.args.member, period)
    if ctx.args.format == "json":
        ctx.out.write(formatting.entries_json(engine, entries, ctx.lang))
        return 0
    member = engine.member(ctx.args.member)
    title = f"{member.id}{' ' + member.name if member.name else ''} ({member.region}) {period}: {score}"
    ctx.out.write(title + "\n")
    if entries:
        ctx.out.write(formatting.entries_table(engine, entries, ctx.lang) + "\n")
    else:
        ctx.out.write("no entries in this period\n")
    return 0


def _key(ctx: Context) -> bytes | None:
    """The key in --key-file (its bytes, without a trailing line break), or None."""
    if not ctx.args.key_file:
        return None
    try:
        return Path(ctx.args.key_file).read_bytes().rstrip(b"\r\n")
    except OSError as error:
        raise UsageError(f"--key-file: {ctx.args.key_file}: {error.strerror}") from None


def cmd_checkpoint(ctx: Context) -> int:
    ctx.out.write(f"{ctx.engine().ledger.checkpoint(_key(ctx))}\n")
    return 0


def cmd_verify(ctx: Context) -> int:
    try:
        result = ctx.engine().ledger.verify(checkpoint=ctx.args.checkpoint, key=_key(ctx))
    except ValueError as error:  # a malformed checkpoint, or a sealed one without its key
        raise UsageError(f"--checkpoint: {error}") from None
    if result:
        against = " (checkpoint matches)" if ctx.args.checkpoint else ""
        ctx.out.write(f"ledger intact: {result.entries:,} entries{against}\n")
        return 0
    ctx.out.write(f"ledger BROKEN at seq {result.first_bad_seq}: {result.problem}\n")
    return 1


def cmd_plugins(ctx: Context) -> int:
    ctx.out.write(describe_plugins(ctx.args.rules, ctx.ruleset(), [DemoRules()]))
    return 0


def cmd_demo(ctx: Context) -> int:
    args = ctx.args
    try:
        zone = ZoneInfo(args.tz)
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
        ctx.out.write(
            f"wrote {directory / 'members.csv'} ({count_members} members) and "
            f"{directory / 'events.csv'} ({count_events:,} events); import them with\n"
            f"  gridpoints --ruleset demo members {directory / 'members.csv'}\n"
            f"  gridpoints --ruleset demo ingest {directory / 'events.csv'}\n"
        )
        return 0
    db = demo_database(args.db)
    engine = ctx.engine(db, fallback_ruleset="demo")
    result = run_demo(engine, members, period=str(period), seed=args.seed, lang=ctx.lang, out=ctx.out, db=db)
    return 1 if result.rejected else 0


COMMANDS: dict[str, Callable[[Context], int]] = {
    "members": cmd_members,
    "ingest": cmd_ingest,
    "review": cmd_review,
    "explain": cmd_explain,
    "verify": cmd_verify,
    "checkpoint": cmd_checkpoint,
    "plugins": cmd_plugins,
    "demo": cmd_demo,
}


def default_streams() -> tuple[TextIO, TextIO]:
    """Standard output and error, looked up at call time (so tests can capture them)."""
    return sys.stdout, sys.stderr
