"""``gridpoints demo``: a realistic month for 500 grid workers through the whole pipeline.

The data come from ``gridpoints.demo`` (deterministic by seed). They are scored by the rule set
``demo``: the standard table plus regional coefficients (urban 1, suburban 1.1, rural 1.2),
which the CLI always offers, so later commands on the demo file can name it (``--ruleset demo``).
"""

from __future__ import annotations

import csv
import os
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import timedelta, tzinfo
from decimal import Decimal
from importlib.resources import files
from itertools import islice
from pathlib import Path
from typing import TextIO

import attrs

from gridpoints._markers import hookimpl
from gridpoints.cli.formatting import held_table, report_table
from gridpoints.demo import demo_events, demo_members
from gridpoints.engine import Engine
from gridpoints.ingest.outcomes import IngestResult, Rejection
from gridpoints.model import Event, Member
from gridpoints.periods import Period
from gridpoints.results.reports import Report
from gridpoints.rules import RuleSet, standard_ruleset

__all__ = [
    "DEMO_COEFFICIENTS",
    "PROPOSAL",
    "PROPOSED_KIND",
    "DemoRules",
    "demo_ruleset",
    "proposal_events",
    "run_demo",
    "write_demo_csv",
    "write_demo_proposal",
]

#: Regional difficulty coefficients of the demo (区域系数); they scale positive awards only.
DEMO_COEFFICIENTS = {"urban": Decimal(1), "suburban": Decimal("1.1"), "rural": Decimal("1.2")}
#: Attribute columns the demo generator uses, in the order events.csv writes them.
DEMO_ATTRIBUTES = ("location", "severity", "evidence", "verified", "stars")
BATCH = 10_000
#: The demo's proposal for ``simulate`` (a rule file shipped in the package) and the kind it adds.
PROPOSAL = files("gridpoints.cli") / "demo_proposal.toml"
PROPOSED_KIND = "epidemic_prevention"


def demo_ruleset() -> RuleSet:
    """The standard rule set with the demo's regional coefficients, as rule set ``demo``."""
    return attrs.evolve(
        standard_ruleset(), id="demo", coefficients=DEMO_COEFFICIENTS, label="标准积分规则（演示：城乡系数）"
    )


class DemoRules:
    """Contributes rule set ``demo`` to every engine the command line builds."""

    @hookimpl
    def gridpoints_rulesets(self) -> list[RuleSet]:
        """The demo rule set (one version)."""
        return [demo_ruleset()]


def _batches(events: Iterable[Event]) -> Iterator[list[Event]]:
    iterator = iter(events)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def write_demo_csv(directory: Path, members: list[Member], events: Iterable[Event], tz: tzinfo) -> tuple[int, int]:
    """Write ``members.csv`` and ``events.csv`` (UTF-8) that ``members`` / ``ingest`` import."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "members.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "region", "name", "grid", "joined"])
        for member in members:
            joined = "" if member.joined is None else member.joined.isoformat()
            writer.writerow([member.id, member.region, member.name or "", member.grid or "", joined])
    return len(members), _write_events(directory / "events.csv", events, tz)


def _write_events(path: Path, events: Iterable[Event], tz: tzinfo) -> int:
    """Events as CSV with the ``ingest`` columns and the demo's attribute columns; how many."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "member_id", "kind", "occurred_at", "quantity", "reported_at", *DEMO_ATTRIBUTES])
        for event in events:
            unknown = set(event.attributes) - set(DEMO_ATTRIBUTES)
            if unknown:
                raise ValueError(f"demo event {event.id} has attributes {sorted(unknown)} events.csv has no column for")
            reported = "" if event.reported_at is None else event.reported_at.astimezone(tz).isoformat()
            writer.writerow(
                [
                    event.id,
                    event.member_id,
                    event.kind,
                    event.occurred_at.astimezone(tz).isoformat(),
                    str(event.quantity),
                    reported,
                    *("" if event.attributes.get(k) is None else str(event.attributes[k]) for k in DEMO_ATTRIBUTES),
                ]
            )
            count += 1
    return count


def proposal_events(members: list[Member], period: str, *, seed: int, tz: tzinfo) -> Iterator[Event]:
    """A month of ``epidemic_prevention`` (疫情防控) work, the kind the demo proposal adds: about a
    third of the members, one to three days each, deterministically."""
    month = Period.parse(period)
    first = month.start(tz)
    days = (month.last_day - month.first_day).days + 1
    for member in members:
        rng = random.Random(f"{seed}:{period}:{member.id}:{PROPOSED_KIND}")
        if rng.random() >= 1 / 3:
            continue
        for number, day in enumerate(sorted(rng.sample(range(days), k=rng.randint(1, 3))), start=1):
            at = first + timedelta(days=day, hours=rng.randint(8, 17), minutes=rng.randrange(60))
            yield Event(f"{period}-{member.id}-E{number}", member.id, PROPOSED_KIND, at)


def write_demo_proposal(directory: Path, members: list[Member], period: str, *, seed: int, tz: tzinfo) -> int:
    """Write ``proposal.toml`` (the demo proposal) and ``epidemic.csv`` (events of its new kind)
    for ``simulate``; return how many events."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "proposal.toml").write_bytes(PROPOSAL.read_bytes())
    return _write_events(directory / "epidemic.csv", proposal_events(members, period, seed=seed, tz=tz), tz)


def _summary(report: Report, lang: str) -> str:
    rows = report.rows
    if not rows:
        return "no members assessed"
    grades = Counter(row.grade for row in rows if row.grade is not None)
    average = sum((row.score for row in rows), Decimal(0)) / len(rows)
    gold = sum(1 for row in rows if "gold" in row.titles)
    ordered = sorted(grades.items(), key=lambda g: g[0].value)
    parts = ", ".join(f"{grade.label(lang)} {count}" for grade, count in ordered)
    return (
        f"{len(rows)} members assessed, average {average.quantize(Decimal('0.01'))}, "
        f"highest {rows[0].score}, lowest {rows[-1].score}; {parts}; gold titles {gold}"
    )


def demo_roster(count: int, seed: int, period: Period) -> list[Member]:
    """The demo's members, on the books from the first day of the demo month.

    The demo has one month of history, so nobody is flagged for three unqualified months in a
    row on the strength of months in which no data was generated.
    """
    return [attrs.evolve(m, joined=period.first_day) for m in demo_members(count, seed=seed)]


def run_demo(
    engine: Engine, roster: list[Member], *, period: str, seed: int, lang: str, out: TextIO, db: str
) -> IngestResult:
    """Ingest the month's events for ``roster`` and print the results; return the ingest outcome."""
    members = len(roster)
    engine.add_members(roster)
    regions = Counter(m.region for m in roster)
    accepted: list[str] = []
    held: list[str] = []
    rejected: list[Rejection] = []
    duplicates: list[str] = []
    for batch in _batches(demo_events(roster, period, seed=seed, tz=engine.tz)):
        result = engine.ingest(batch)
        accepted += result.accepted
        held += result.held
        rejected += result.rejected
        duplicates += result.duplicates
    total = IngestResult(tuple(accepted), tuple(held), tuple(rejected), tuple(duplicates))
    coefficients = engine.rulebook.latest.ruleset.coefficients
    out.write(
        f"Demo month {period}: {members} grid workers "
        f"({', '.join(f'{r} {regions[r]}' for r in ('urban', 'suburban', 'rural') if regions[r])}), seed {seed}, "
        f"rule set {engine.rulebook.id}"
        + (f" (coefficients {', '.join(f'{k} ×{v}' for k, v in coefficients.items())})" if coefficients else "")
        + f", store {db}\n"
    )
    counts = total.counts()
    out.write(
        f"Events: {total.total:,} read: {counts['accepted']:,} accepted, {counts['held']:,} held, "
        f"{counts['rejected']:,} rejected, {counts['duplicate']:,} duplicate"
        + (" (already imported: re-running adds nothing)" if counts["duplicate"] == total.total else "")
        + "\n"
    )
    for rejection in total.rejected[:5]:
        out.write(f"  rejected {rejection.event_id}: {rejection.code}: {rejection.message}\n")
    report = engine.report(period)
    out.write(f"\nReport {period}: {_summary(report, lang)}\n\nTop 10\n")
    out.write(report_table(engine, [r for r in report.rows if r.rank is not None and r.rank <= 10], lang) + "\n")
    flagged = [row for row in report.rows if row.flags]
    out.write(f"\nFlagged members: {len(flagged)}\n")
    if flagged:
        out.write(report_table(engine, flagged, lang) + "\n")
    pending = engine.review.pending()
    out.write(f"\nHeld events waiting for review: {len(pending)}\n")
    if pending:
        labels = engine.check_labels(lang)
        out.write(held_table(pending[:20], lang, engine.tz, reason_width=60, check_labels=labels) + "\n")
        if len(pending) > 20:
            out.write(f"… and {len(pending) - 20} more (gridpoints review list)\n")
    verification = engine.ledger.verify()
    out.write(f"\nLedger: {verification.entries:,} entries, hash chain {'intact' if verification else 'BROKEN'}\n")
    out.write(
        "\nTry next:\n"
        f"  gridpoints --db {db} --ruleset {engine.rulebook.id} explain {report.rows[0].member_id} {period}\n"
        f"  gridpoints --db {db} --ruleset {engine.rulebook.id} report {period} --format csv -o report.csv\n"
        f"  gridpoints --db {db} --ruleset {engine.rulebook.id} review list\n"
        f"  gridpoints demo --write-csv demo-data   # members.csv + events.csv for `members` and `ingest`\n"
        if report.rows
        else ""
    )
    return total


def demo_database(explicit: str | None) -> str:
    """The demo's store: --db or $GRIDPOINTS_DB when given, else ``gridpoints-demo.db``."""
    return explicit or os.environ.get("GRIDPOINTS_DB") or "gridpoints-demo.db"
