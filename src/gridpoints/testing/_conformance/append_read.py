"""Append and read back: rows, named rows and transactions read back as the reference stores them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import gridpoints as gp
from gridpoints.schema import (
    DECISION_COLUMNS,
    ENTRY_COLUMNS,
    EVENT_COLUMNS,
    GENESIS,
    PERIOD_CLOSE_COLUMNS,
    DecisionRow,
    EntryRow,
    EventRow,
    PeriodCloseRow,
)
from gridpoints.testing._conformance.base import ConformanceBase
from gridpoints.testing._conformance.fixtures import (
    ChecksPlugin,
    HoldFlagged,
    RowType,
    at,
    chained,
    decision,
    xiao_li_month,
)


class AppendAndRead(ConformanceBase):
    def test_rows_read_back_exactly_as_the_reference_stores_them(self) -> None:
        engine, reference = self.engine(), self.reference()
        for e in (engine, reference):
            e.ingest(xiao_li_month())
            e.ingest([gp.Event("late", "M002", "hazard", at(3), reported_at=at(6),
                                attributes={"severity": "major", "evidence": "photo"})])
        rows = list(engine.store.chain_rows())
        assert rows == list(reference.store.chain_rows()) and len(rows) == 25
        assert [type(v) for v in rows[0]] == [int, *[str] * 5, int, *[str] * 10]
        assert engine.store.head() == reference.store.head() == (25, rows[-1][16])
        assert engine.store.event_rows() == reference.store.event_rows()
        # The intake log hashes the rows as written: the same on every store, 23 then 1 rows.
        assert engine.store.intake_head() == reference.store.intake_head() != (0, GENESIS)
        intakes = [line for line in engine.store.intake_bindings() if line.event_id is None]
        assert [(line.intake_seq, line.events) for line in intakes] == [(1, 23), (2, 1)]
        assert list(engine.store.entry_rows(member_id="M002")) == rows[23:]
        assert list(engine.store.entry_rows(periods=["2026-12"])) == []
        assert list(engine.store.entry_rows(member_id="M001", periods=["2026-11", "2026-12"])) == rows[:23]
        assert engine.score("M001", "2026-11") == 127 and engine.score("M002", "2026-11") == 17

    def test_an_append_that_does_not_continue_the_chain_is_refused_and_books_nothing(self) -> None:
        engine = self.engine()
        engine.ingest(xiao_li_month()[:2])
        row = next(iter(engine.store.chain_rows()))
        refused = "does not continue the chain at seq 3"
        with pytest.raises(gp.StoreError, match=refused), engine.store.transaction() as tx:
            tx.append([row], [])
        with pytest.raises(gp.StoreError, match=refused), engine.store.transaction() as tx:
            tx.append([(3, *row[1:15], GENESIS, row[16])], [])
        assert engine.store.head()[0] == 2 and engine.ledger.verify()

    def test_reads_return_named_rows_whose_fields_are_the_columns(self) -> None:
        engine = self.engine(plugins=[ChecksPlugin(HoldFlagged())])
        engine.ingest([*xiao_li_month()[:3], gp.Event("f", "M002", "patrol", at(2), attributes={"flag": "yes"})])
        engine.review.reject("f", by="auditor", reason="not done")
        engine.close_period("2026-10", by="office")
        store = engine.store
        reads: list[tuple[RowType, tuple[str, ...], list[Any]]] = [
            (EntryRow, ENTRY_COLUMNS, list(store.entry_rows(member_id="M001"))),
            (EventRow, EVENT_COLUMNS, store.event_rows()),
            (DecisionRow, DECISION_COLUMNS, store.decision_rows()),
            (PeriodCloseRow, PERIOD_CLOSE_COLUMNS, store.period_closes()),
        ]
        with store.transaction() as tx:
            reads.append((EntryRow, ENTRY_COLUMNS, tx.entry_rows(event_ids=["M001-patrol-1"])))
            reads.append((DecisionRow, DECISION_COLUMNS, tx.decision_rows(subjects=["event:f"])))
        for row_type, columns, rows in reads:
            assert rows and all(type(row) is row_type for row in rows), (row_type, rows)
            assert row_type._fields == columns
        assert [row.status for row in store.event_rows()] == ["booked", "booked", "rejected", "booked"]
        assert store.period_closes()[0].period == "2026-10" and store.decision_rows()[0].actor == "auditor"
        # chain_rows may stream plain tuples, but in the same column order.
        assert [EntryRow._make(row) for row in store.chain_rows()] == list(store.entry_rows())

    def test_rows_written_in_a_transaction_read_back(self) -> None:
        store = self.bare_store()
        # Two entries, a reversal of the first, a decision and a close, in one transaction.
        with store.transaction() as tx:
            patrols = chained(tx.head, [
                ("M1", "e1", "patrol", "2026-11", "2026-11-03", 500, "1", "1", "patrol.1", "standard", "1", "d" * 64,
                 "rule", ""),
                ("M1", "e2", "patrol", "2026-11", "2026-11-04", 500, "1", "1", "patrol.1", "standard", "1", "d" * 64,
                 "rule", ""),
            ])
            tx.append(patrols, [])
            # Staged rows are visible to the same transaction.
            assert [r.seq for r in tx.entry_rows(event_ids=["e1"])] == [1]
            first = tx.entry_rows(seqs=[1])[0]
            reversal = (first.member_id, first.event_id, first.kind, first.period, first.day, -first.points_cents,
                        first.coefficient, first.quantity, first.rule, first.ruleset, first.version, first.digest,
                        "reversal", "seq:1")
            row, fields = decision(4, "uphold", "appeal:9", datetime(2026, 12, 1, tzinfo=UTC), '{"reversal":3}',
                                   member_id="M1", event_id="e1", month="2026-11", day="2026-12-01")
            tx.append(chained(tx.head, [reversal, fields]), [])
            tx.add_decisions([row])
            assert [r.seq for r in tx.entry_rows(refs=["seq:1"])] == [3]
            assert [r.action for r in tx.decision_rows(subjects=["appeal:9"])] == ["uphold"]
            assert tx.closed_periods() == set()
            tx.add_period_close(PeriodCloseRow("2026-10", 4, 0, GENESIS, "{}"))
            assert tx.closed_periods() == {"2026-10"}
        assert [r.seq for r in store.entry_rows(refs=["seq:1"])] == [3]
        assert [r.seq for r in store.entry_rows(event_ids=["e1"], refs=["seq:1"])] == [3]
        assert [r.seq for r in store.entry_rows(seqs=[2, 4])] == [2, 4]
        assert [r.seq for r in store.entry_rows(member_id="M1", periods=["2026-11"], seqs=[1])] == [1]
        (recorded,) = store.decision_rows(actions=["uphold"])
        assert recorded[:5] == (4, "uphold", "appeal:9", "主任", "2026-12-01T00:00:00+00:00")
        assert store.decision_rows(subjects=["appeal:8"]) == []
        assert store.period_closes() == [("2026-10", 4, 0, GENESIS, "{}")]
        assert store.period_closes(periods=["2026-11"]) == []
        # The chain holds, but that close row was never committed to by a close decision.
        result = self.engine(store, members=False).ledger.verify()
        assert not result and "the close of 2026-10 does not match its decision" in result.problem

    def test_a_failed_transaction_stores_no_decision_and_no_close(self) -> None:
        store = self.bare_store()
        with pytest.raises(RuntimeError), store.transaction() as tx:
            row, fields = decision(1, "close", "period:2026-10", datetime(2026, 11, 1, tzinfo=UTC),
                                   month="2026-10", day="2026-11-01")
            tx.append(chained(tx.head, [fields]), [])
            tx.add_decisions([row])
            tx.add_period_close(PeriodCloseRow("2026-10", 1, 0, GENESIS, "{}"))
            raise RuntimeError("crash before commit")
        assert store.head()[0] == 0 and store.decision_rows() == [] and store.period_closes() == []

    def test_empty_filters_match_nothing_and_long_look_ups_are_answered_whole(self) -> None:
        engine = self.engine(checks=False)
        many = [gp.Member(id=f"L{n:04d}", region="urban") for n in range(1200)]
        engine.add_members(many)
        events = [gp.Event(f"l{n:04d}", m.id, "patrol", at(1 + n % 28)) for n, m in enumerate(many)]
        assert len(engine.ingest(events).accepted) == 1200
        store = engine.store
        assert list(store.entry_rows(seqs=[])) == [] and list(store.entry_rows(event_ids=[], member_id="L0001")) == []
        assert store.event_rows(event_ids=[]) == [] and store.decision_rows(subjects=[]) == []
        assert store.period_closes(periods=[]) == [] and store.totals([]) == {}
        # More ids than SQLite binds in one statement: look-ups, history and reads still see them all.
        again = engine.ingest(events)
        assert len(again.duplicates) == 1200 and again.entries == 0
        assert len(store.event_rows(event_ids=[e.id for e in events])) == 1200
        assert len(list(store.entry_rows(event_ids=[e.id for e in events]))) == 1200
        with store.transaction() as tx:
            assert len(tx.lookup([e.id for e in events])) == 1200
            assert len(tx.history([m.id for m in many], 0, 2**62)) == 1200
            assert len(tx.entry_rows(event_ids=[e.id for e in events])) == 1200
