"""The desk and the operations on it, each built without an Engine: a Desk on a MemoryStore and a
Pipeline, plus the collaborators the operation names (members, a report function…)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

import gridpoints as gp
from gridpoints.desk.appeals import AppealDesk
from gridpoints.desk.closing import close_period
from gridpoints.desk.corrections import correct
from gridpoints.desk.desk import Desk
from gridpoints.desk.review import ReviewQueue
from gridpoints.desk.settlement import settle_month
from gridpoints.ingest.pipeline import Pipeline
from gridpoints.plugins.grades import grade_by_thresholds
from gridpoints.results.frozen import closed_from_row, report_to_json
from gridpoints.results.reports import Report, build_report
from gridpoints.results.whatif import simulate
from gridpoints.rules.compiled import RuleBook
from gridpoints.rules.standard import standard_ruleset
from tests.conftest import NOW, SHANGHAI, at

SRC = Path(__file__).resolve().parent.parent / "src" / "gridpoints"


class HoldMediations(gp.Check):
    """Holds every mediation, so the desk has something to review."""

    name = "hold_mediations"
    kinds = frozenset({"mediation"})

    def inspect(self, event: gp.Event, context: gp.CheckContext) -> gp.Verdict | None:
        return gp.Verdict.hold(self.name, "a person looks at every mediation")


@dataclass
class Bench:
    """A desk on a memory store and a pipeline of the standard rules, and what it was made of."""

    desk: Desk
    store: gp.MemoryStore
    rulebook: RuleBook
    members: dict[str, gp.Member]

    def ingest(self, *events: gp.Event) -> gp.IngestResult:
        with self.store.transaction() as tx:
            return self.desk.pipeline.ingest(tx, events)

    def grader(self, ruleset: gp.RuleSet) -> Callable[[Decimal, gp.Period], gp.Grade]:
        return lambda score, _period: grade_by_thresholds(score, ruleset)

    def report(self, period: gp.Period) -> Report:
        return build_report(period, list(self.members.values()), self.store, self.grader(self.rulebook.latest.ruleset))


def bench(clock: Callable[[], datetime] = lambda: NOW) -> Bench:
    store = gp.MemoryStore()
    rulebook = RuleBook([standard_ruleset()], SHANGHAI)
    members = {m.id: m for m in (gp.Member("M1", "urban", name="小李"), gp.Member("M2", "urban"))}
    pipeline = Pipeline(
        tz=SHANGHAI, rulebook=rulebook, checks=[(HoldMediations(), "test")],
        coefficient=lambda *_: Decimal(1), members=members, clock=clock,
    )  # fmt: skip
    return Bench(Desk(store, pipeline, SHANGHAI, clock), store, rulebook, members)


def test_decide_flushes_on_success_and_writes_nothing_when_the_block_raises() -> None:
    b = bench(clock=lambda: datetime(2026, 11, 30, 17, tzinfo=UTC))  # 01:00 on Dec 1 in Shanghai
    with b.desk.decide() as sitting:
        row = sitting.record("note", "period:2026-11", by="office", month="2026-11")
    assert b.store.head()[0] == row.seq == 1
    (entry,) = b.store.entry_rows()
    assert (entry.rule, entry.day, entry.period) == ("note", "2026-12-01", "2026-11")  # the day in the desk's zone
    (decision,) = b.store.decision_rows()
    assert decision.at == "2026-11-30T17:00:00+00:00"
    with pytest.raises(RuntimeError), b.desk.decide() as sitting:
        sitting.record("note", "period:2026-11", by="office", month="2026-11")
        raise RuntimeError("the caller changed its mind")
    assert b.store.head()[0] == 1 and len(b.store.decision_rows()) == 1


def test_decide_on_acts_on_what_it_read_and_reads_again_when_the_ledger_moved() -> None:
    b = bench()
    reads: list[int] = []

    def read_while_another_writer_books() -> int:
        head = b.store.head()[0]
        reads.append(head)
        if len(reads) == 1:  # a booking lands between this read and the write transaction
            b.ingest(gp.Event("p1", "M1", "patrol", at(3)))
        return head

    acted = b.desk.decide_on(read_while_another_writer_books, lambda sitting, seen: (sitting.tx.head[0], seen))
    assert reads == [0, 1] and acted == (1, 1)  # acted once, on the second read, at its head


def test_decide_on_gives_up_with_store_busy_when_the_ledger_never_stops_moving() -> None:
    b = bench()
    count = iter(range(100))
    acted: list[object] = []

    def always_moving() -> None:
        b.ingest(gp.Event(f"p{next(count)}", "M1", "patrol", at(3)))

    with pytest.raises(gp.StoreBusyError, match="the ledger moved while it was read, 5 times"):
        b.desk.decide_on(always_moving, lambda sitting, _value: acted.append(sitting))
    assert acted == [] and next(count) == 5


def test_a_desk_refuses_what_is_not_a_store_or_a_zone() -> None:
    b = bench()
    with pytest.raises(TypeError, match=r"store: 'x\.db' is not a Store"):
        Desk("x.db", b.desk.pipeline, SHANGHAI, b.desk.clock)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tz: 'Asia/Shanghai' is not a time zone"):
        Desk(b.store, b.desk.pipeline, "Asia/Shanghai", b.desk.clock)  # type: ignore[arg-type]


def test_review_on_a_desk() -> None:
    b = bench()
    result = b.ingest(gp.Event("m1", "M1", "mediation", at(3)), gp.Event("m2", "M1", "mediation", at(4)))
    assert result.held == ("m1", "m2")
    review = ReviewQueue(b.desk, b.members)
    assert [h.event.id for h in review.pending()] == ["m1", "m2"]
    assert review.approve("m1", by="审核员") == 1
    assert review.reject("m2", by="审核员", reason="no record").action == "reject"
    assert [h.event.id for h in review.pending()] == []
    assert b.store.totals(["2026-11"]) == {"M1": 1500}


def test_appeals_on_a_desk() -> None:
    b = bench()
    b.ingest(gp.Event("c1", "M1", "complaint", at(3)))
    (complaint,) = b.store.entry_rows()
    appeals = AppealDesk(b.desk, b.members)
    appeal = appeals.open(complaint.seq, by="M1", reason="another grid's complaint")
    upheld = appeal.uphold(by="考核办")
    assert (upheld.status, b.store.totals(["2026-11"])) == ("upheld", {"M1": 0})
    assert [a.status for a in appeals.find()] == ["upheld"]


def test_correction_on_a_desk() -> None:
    b = bench()
    b.ingest(gp.Event("p1", "M1", "patrol", at(3)))
    replacement = gp.Event("p1b", "M1", "service", at(3))
    decision = correct(b.desk, b.members, "p1", replacement, by="录入员", reason="a service")
    assert decision.detail["replacement"] == "p1b"
    assert b.store.totals(["2026-11"]) == {"M1": 1000}


def test_settling_and_closing_on_a_desk() -> None:
    b = bench()
    b.ingest(*(gp.Event(f"r{n}", "M1", "rating", at(n), attributes={"stars": 5}) for n in range(1, 6)))

    def five_stars(member: gp.Member, period: gp.Period, summary: gp.PeriodSummary) -> list[tuple[gp.Award, str]]:
        return [(gp.Award("satisfaction", Decimal(10), "5 ratings"), "test")] if summary.ratings else []

    settled = settle_month(b.desk, five_stars, list(b.members.values()), b.rulebook, "2026-11")
    # The settle decision is a zero-point entry with no member.
    assert (settled.entries, b.store.totals(["2026-11"])) == (1, {"M1": 1000, "": 0})
    assert settle_month(b.desk, five_stars, list(b.members.values()), b.rulebook, "2026-11").already_settled
    def freeze(month: gp.Period) -> str:
        return report_to_json(b.report(month))

    row, decision = close_period(b.desk, "2026-11", by="考核办", note="", freeze=freeze)
    closed = closed_from_row(row, decision)
    assert [(row.member_id, row.score) for row in closed.report] == [("M1", 10), ("M2", 0)]
    with pytest.raises(gp.LedgerError, match="2026-11 was closed by 考核办"):
        close_period(b.desk, "2026-11", by="考核办", note="", freeze=freeze)


def test_what_if_on_a_desk() -> None:
    b = bench()
    b.ingest(gp.Event("p1", "M1", "patrol", at(3)))
    proposal = gp.RuleSet("proposal", "1", "2000-01-01", [gp.Rule("patrol", 8)])
    coefficient = b.desk.pipeline.coefficient
    whatif = simulate(
        b.desk, proposal, "2026-11", members=list(b.members.values()), rulebook=b.rulebook, coefficient=coefficient,
        proposed_coefficient=coefficient, grader=b.grader, report=b.report,
    )  # fmt: skip
    assert (whatif.row("M1").old_score, whatif.row("M1").new_score) == (5, 8)


def test_nothing_below_the_engine_imports_it() -> None:
    """engine → operations → desk → pipeline/store: no module but the engine's users (the
    package's re-exports, the command line, the testing kit) imports the engine, not even
    under TYPE_CHECKING."""
    users = {SRC / "__init__.py", SRC / "engine.py"}
    importers = []
    for path in sorted(SRC.rglob("*.py")):
        if path in users or {"cli", "testing"} & set(path.relative_to(SRC).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if any(name == "gridpoints.engine" or name.startswith("gridpoints.engine.") for name in names):
                importers.append(str(path.relative_to(SRC)))
    assert importers == []
