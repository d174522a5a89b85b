"""``gridpoints rules check FILE [--events FILE…]``: validate a rule file, dry-run sample events.

The file is checked the way an engine would use it — read, every key validated, then built into
an engine in memory (so versions that clash are found too) — with the file alone: the built-in
plugins, no installed plugins, no checks. Sample events are scored by that throwaway engine and
each one's points printed; no store is opened, ``--db`` included.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import tzinfo
from decimal import Decimal
from pathlib import Path

from gridpoints.cli import formatting
from gridpoints.cli.bad_rows import bad_row_reporter
from gridpoints.cli.commands import Subparsers
from gridpoints.cli.context import Context
from gridpoints.cli.importing import REQUIRED_FOR, BadRow, import_members, open_all, read_events
from gridpoints.cli.messages import explained
from gridpoints.cli.options import add_encoding_option
from gridpoints.cli.rule_summary import describe_versions
from gridpoints.cli.sources import Record, Source, open_source
from gridpoints.engine import DEFAULT_TZ, Engine
from gridpoints.errors import RuleFileError, RuleSetConflictError
from gridpoints.ingest.outcomes import Rejection
from gridpoints.model import Event, Member
from gridpoints.periods import Period
from gridpoints.results.explain import ExplainedEntry, format_points
from gridpoints.rules import RuleSet
from gridpoints.rules.toml_file import load_rules

__all__ = ["add_parser", "run"]

OK, FINDINGS = 0, 1


def add_parser(commands: Subparsers) -> None:
    rules = commands.add_parser("rules", help="rule files: check one, and dry-run sample events under it")
    actions = rules.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check", help="validate a TOML rule file; with --events, print each sample event's points (no store touched)"
    )
    check.add_argument("file", metavar="FILE", help="the TOML rule file (docs/rules.md)")
    check.add_argument("--events", action="append", default=[], metavar="FILE",
                       help="sample events (CSV or JSON Lines, as for ingest) to score; repeat for several")
    check.add_argument("--members", metavar="FILE",
                       help="the members of the sample events (CSV, as for the members command)")
    check.add_argument("--region", default="urban",
                       help="without --members: the region every member of the events is taken to be in "
                            "(default urban)")
    check.add_argument("--assume-tz", action="store_true",
                       help="read timestamps without a zone in --tz; otherwise they are bad rows")
    add_encoding_option(check)
    rules.set_defaults(handler=run)


def run(ctx: Context) -> int:
    args = ctx.args
    path = Path(args.file)
    if not path.exists():
        raise FileNotFoundError(2, "no such file", str(path))
    try:
        versions = load_rules(path)
        engine = Engine(None, ruleset=versions[0].id, tz=args.tz or DEFAULT_TZ, rules_files=[path],
                        load_entrypoints=False, checks=False)
    except (RuleFileError, RuleSetConflictError) as error:
        ctx.err.write(f"gridpoints rules check: error: {explained(error)}\n")
        return FINDINGS
    with engine:
        ctx.out.write(_title(path, versions) + "\n")
        ctx.out.write("\n".join(describe_versions(versions, ctx.lang)) + "\n")
        if not args.events:
            return OK
        return _dry_run(ctx, engine)


def _title(path: Path, versions: Sequence[RuleSet]) -> str:
    first = versions[0]
    label = f" {first.label}" if first.label else ""
    count = f"{len(versions)} version{'s' if len(versions) > 1 else ''}"
    return f"{path}: rule set {first.id}{label}, {count}: valid"


def _members(
    ctx: Context, engine: Engine, events: Sequence[Event], report: Callable[[BadRow], None]
) -> str | None:
    """Add the events' members; the header line saying where they came from, None if the file was bad."""
    args = ctx.args
    if args.members:
        source = open_source(args.members, REQUIRED_FOR["members"], args.encoding)
        rows, bad = import_members(engine, source, report)
        return None if bad else f"members: {rows} from {args.members}"
    ids = sorted({event.member_id for event in events})
    engine.add_members([Member(id=member_id, region=args.region) for member_id in ids])
    return f"members: {len(ids)} (no --members FILE: every one taken to be in region {args.region})"


def _dry_run(ctx: Context, engine: Engine) -> int:
    args = ctx.args
    report, bad_rows = bad_row_reporter(ctx, None)
    sources = open_all(args.events, REQUIRED_FOR["events"], args.encoding)
    read = list(read_events(sources, assume=engine.tz if args.assume_tz else None, assume_name=engine.tz_name,
                            report=report))
    members = _members(ctx, engine, [event for _, _, event in read], report)
    if members is None:
        return FINDINGS
    result = engine.ingest(event for _, _, event in read)
    rejected = {rejection.index: rejection for rejection in result.rejected}
    sentences = _entries_by_event(engine, [event for _, _, event in read])
    first_line: dict[str, str] = {}
    rows = []
    for index, (source, record, event) in enumerate(read):
        row = _event_row(source, record, event, rejected.get(index), sentences.get(event.id, []), ctx.lang, engine.tz)
        if event.id in first_line and index not in rejected:  # booked once: its points are on its first line
            row[5:] = ["-", f"duplicate: the same id as {first_line[event.id]}"]
        first_line.setdefault(event.id, row[0])
        rows.append(row)
    ctx.out.write(f"dry run of {', '.join(args.events)} under {engine.rulebook.id} (no store touched); {members}\n")
    if rows:
        headers = ["line", "event", "member", "kind", "day", "points", "how"]
        ctx.out.write(formatting.table(headers, rows, right=(5,)) + "\n")
    total = sum((entry.points for entries in sentences.values() for entry in entries), start=Decimal(0))
    ctx.out.write(
        f"{len(read):,} events: {len(read) - len(rejected):,} scored ({format_points(total)}), "
        f"{len(rejected):,} not scorable; {bad_rows[0]:,} bad rows\n"
    )
    return FINDINGS if rejected or bad_rows[0] else OK


def _entries_by_event(engine: Engine, events: Sequence[Event]) -> dict[str, list[ExplainedEntry]]:
    """Event id → its entries (award, cap, derived deduction), from one explain per member and month."""
    wanted = {(event.member_id, str(Period.month_of(event.occurred_at, engine.tz))) for event in events}
    found: dict[str, list[ExplainedEntry]] = {}
    for member_id, month in sorted(wanted):
        for entry in engine.explain(member_id, month):
            found.setdefault(entry.event_id, []).append(entry)
    return found


def _event_row(
    source: Source,
    record: Record,
    event: Event,
    rejection: Rejection | None,
    entries: list[ExplainedEntry],
    lang: str,
    tz: tzinfo,
) -> list[str]:
    where = f"{source.path}:{record.line}"
    day = event.occurred_at.astimezone(tz).date().isoformat()
    head = [where, event.id, event.member_id, event.kind, day]
    if rejection is not None:
        return [*head, "-", f"not scorable [{rejection.code}] {rejection.message}"]
    points = sum((entry.points for entry in entries), start=Decimal(0))
    return [*head, format_points(points), "; ".join(entry.sentence(lang, day=False) for entry in entries)]
