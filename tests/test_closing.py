"""Closing a month: frozen report with the ledger head, later changes booked forward, no reopening."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

import gridpoints as gp
from gridpoints.testing.stores import OCT, october
from tests.conftest import NOW, at


def test_closing_freezes_the_report_with_the_ledger_head(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine()
    october(engine)
    before = engine.report("2026-10")
    engine.settle("2026-10")  # closing settles first; the settle decision is then already on the chain
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
