"""Closing a month: frozen report with the ledger head, later changes booked forward, no reopening."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

import gridpoints as gp
from tests.conftest import NOW, at, open_store

OCT = 10


def october(engine: gp.Engine) -> None:
    engine.add_members([gp.Member(id="M1", region="urban", grid="G1"), gp.Member(id="M2", region="urban")])
    result = engine.ingest([
        gp.Event("p1", "M1", "patrol", at(3, month=OCT)),
        gp.Event("s1", "M1", "service", at(4, month=OCT)),
        gp.Event("p2", "M2", "patrol", at(5, month=OCT)),
        gp.Event("m1", "M2", "mediation", at(6, month=OCT)),  # held: no evidence
    ])
    assert result.held == ("m1",)


def test_closing_freezes_the_report_with_the_ledger_head(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine()
    october(engine)
    before = engine.report("2026-10")
    head = engine.ledger.head()
    closed = engine.close_period("2026-10", by="考核办", note="October assessment")
    assert (closed.period, closed.by, closed.head_seq, closed.head_hash) == ("2026-10", "考核办", *head)
    assert closed.report.rows == before.rows
    assert engine.report("2026-10").rows == before.rows
    (decision,) = engine.decisions(action="close")
    assert decision.subject == "period:2026-10" and decision.seq == closed.decision_seq == head[0] + 1
    assert decision.detail["head_hash"] == head[1]
    assert engine.closed_periods() == [closed]
    assert engine.ledger.verify()
    assert closed.checkpoint == gp.Checkpoint(*head) and engine.ledger.verify(checkpoint=closed.checkpoint)


def test_a_month_is_closed_once_and_only_when_it_has_ended(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine()
    october(engine)
    engine.close_period("2026-10", by="a")
    head = engine.ledger.head()
    with pytest.raises(gp.LedgerError, match=r"2026-10 was closed by a at .*; a closed month is never reopened"):
        engine.close_period("2026-10", by="b")
    with pytest.raises(ValueError, match="only a month can be closed, not 2026-Q4"):
        engine.close_period("2026-Q4", by="a")
    with pytest.raises(ValueError, match=r"2027-06 has not ended yet \(now 2027-06-01T00:00:00\+08:00\)"):
        engine.close_period("2027-06", by="a")
    with pytest.raises(ValueError, match="by: must not be empty"):
        engine.close_period("2026-09", by="")
    assert engine.ledger.head() == head


def test_later_changes_to_a_closed_month_are_booked_in_the_next_open_month(
    make_engine: Callable[..., gp.Engine],
) -> None:
    engine = make_engine()
    october(engine)
    frozen = engine.close_period("2026-10", by="a").report
    oct_scores = {m: engine.score(m, "2026-10") for m in ("M1", "M2")}
    # A late event, an approval, an upheld appeal and a correction, all about October.
    assert engine.ingest([gp.Event("late", "M1", "patrol", at(20, month=OCT))]).accepted == ("late",)
    engine.review.approve("m1", by="r")
    service = next(e for e in engine.explain("M1", "2026-10") if e.event_id == "s1")
    engine.appeal(service.seq, by="M1", reason="x").uphold(by="r")
    engine.correct("p2", gp.Event("p2b", "M2", "service", at(5, month=OCT)), by="r", reason="was a service")
    assert engine.report("2026-10").rows == frozen.rows
    assert {m: engine.score(m, "2026-10") for m in ("M1", "M2")} == oct_scores
    november = engine.explain("M1", "2026-11") + engine.explain("M2", "2026-11")
    moved = {(e.event_id, e.reason): e for e in november if e.reason != "decision"}
    assert (moved["late", "rule"].day, moved["late", "rule"].ref) == ("2026-10-20", "period:2026-10")
    assert moved["m1", "rule"].ref == "period:2026-10" and moved["m1", "rule"].points == 15
    assert moved["s1", "reversal"].ref == f"seq:{service.seq}" and moved["s1", "reversal"].day == "2026-10-04"
    assert moved["p2", "reversal"].points == -5 and moved["p2b", "correction"].ref == "p2"
    assert engine.score("M1", "2026-11") == 5 - 10 and engine.score("M2", "2026-11") == 15 - 5 + 10
    assert engine.ledger.verify()


def test_with_several_months_closed_the_first_open_one_takes_the_change() -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW)
    october(engine)
    engine.close_period("2026-10", by="a")
    engine.close_period("2026-11", by="a")
    engine.ingest([gp.Event("late", "M1", "patrol", at(9, month=OCT))])
    (entry,) = [e for e in engine.explain("M1", "2026-12") if e.event_id == "late"]
    assert (entry.period, entry.day, entry.ref) == ("2026-12", "2026-10-09", "period:2026-10")


def test_a_closed_report_does_not_follow_member_changes(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine()
    october(engine)
    engine.close_period("2026-10", by="a")
    engine.add_members([gp.Member(id="M1", region="rural", grid="G9"), gp.Member(id="M3", region="urban")])
    rows = {r.member_id: r for r in engine.report("2026-10")}
    assert set(rows) == {"M1", "M2"} and (rows["M1"].region, rows["M1"].grid) == ("urban", "G1")
    assert rows["M1"].score == Decimal("15.00") and rows["M1"].grade is gp.Grade.UNQUALIFIED


def test_closing_settles_first_when_the_engine_can_settle() -> None:
    settled: list[str] = []

    class SettlingEngine(gp.Engine):
        def settle(self, period: str) -> None:
            settled.append(period)
            self.ingest([gp.Event("bonus", "M1", "activity", at(31, month=OCT))])

    engine = SettlingEngine(load_entrypoints=False, clock=lambda: NOW)
    october(engine)
    closed = engine.close_period("2026-10", by="a")
    assert settled == ["2026-10"]
    assert closed.report.row("M1").score == 20 and closed.head_seq == engine.ledger.head()[0] - 1


def test_closes_survive_reopening_and_sqlite_refuses_to_reopen(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    clock = datetime(2026, 11, 5, tzinfo=UTC)
    with gp.Engine(str(path), load_entrypoints=False, clock=lambda: clock) as engine:
        october(engine)
        closed = engine.close_period("2026-10", by="a")
    with gp.Engine(str(path), load_entrypoints=False, clock=lambda: clock) as engine:
        assert engine.closed_periods() == [closed]
        assert engine.report("2026-10").rows == closed.report.rows
        with pytest.raises(gp.LedgerError, match="never reopened"):
            engine.close_period("2026-10", by="b")
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="a closed period cannot be reopened"):
        conn.execute("DELETE FROM period_closes")
    conn.close()


def test_the_store_refuses_a_second_close_of_a_month(
    store_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    engine = gp.Engine(open_store(store_kind, tmp_path, request), load_entrypoints=False)
    with engine.store.transaction() as tx:
        tx.add_period_close(("2026-10", 1, 0, "0" * 64, "{}"))
    with pytest.raises(gp.StoreError, match="period 2026-10 is already closed"), engine.store.transaction() as tx:
        tx.add_period_close(("2026-10", 2, 0, "0" * 64, "{}"))
    engine.close()
