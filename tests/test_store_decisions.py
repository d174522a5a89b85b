"""The Store protocol methods for decisions, reversals and closes, on every built-in store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import gridpoints as gp
from gridpoints.ingest.booking import Booking
from tests.conftest import open_store


@pytest.fixture
def store(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[gp.Store]:
    opened = open_store(store_kind, tmp_path, request)
    yield opened
    opened.close()


def stage(store: gp.Store) -> None:
    """Two entries, a reversal of the first, a decision and a close, in one transaction."""
    with store.transaction() as tx:
        booking = Booking(tx)
        first = booking.chain(("M1", "e1", "patrol", "2026-11", "2026-11-03", 500, "1", "1", "patrol.1",
                               "standard", "1", "d" * 64, "rule", ""))
        booking.chain(("M1", "e2", "patrol", "2026-11", "2026-11-04", 500, "1", "1", "patrol.1",
                       "standard", "1", "d" * 64, "rule", ""))
        booking.flush()
        # Staged rows are visible to the same transaction.
        assert [r[0] for r in tx.entry_rows(event_ids=["e1"])] == [first]
        booking.reverse(tx.entry_rows(seqs=[first])[0])
        booking.decide("uphold", "appeal:9", by="主任", at=datetime(2026, 12, 1, tzinfo=UTC), note="ok",
                       detail={"reversal": 3}, member_id="M1", event_id="e1", month="2026-11", day="2026-12-01")
        booking.flush()
        assert [r[0] for r in tx.entry_rows(refs=[f"seq:{first}"])] == [3]
        assert [r[1] for r in tx.decision_rows(subjects=["appeal:9"])] == ["uphold"]
        assert tx.closed_periods() == set()
        tx.add_period_close(("2026-10", 4, 0, "0" * 64, "{}"))
        assert tx.closed_periods() == {"2026-10"}


def test_rows_written_in_a_transaction_read_back(store: gp.Store) -> None:
    stage(store)
    assert [r[0] for r in store.entry_rows(refs=["seq:1"])] == [3]
    assert [r[0] for r in store.entry_rows(event_ids=["e1"], refs=["seq:1"])] == [3]
    assert [r[0] for r in store.entry_rows(seqs=[2, 4])] == [2, 4]
    assert [r[0] for r in store.entry_rows(member_id="M1", periods=["2026-11"], seqs=[1])] == [1]
    (decision,) = store.decision_rows(actions=["uphold"])
    assert decision[:5] == (4, "uphold", "appeal:9", "主任", "2026-12-01T00:00:00+00:00")
    assert store.decision_rows(subjects=["appeal:8"]) == []
    assert store.period_closes() == [("2026-10", 4, 0, "0" * 64, "{}")]
    assert store.period_closes(periods=["2026-11"]) == []
    # The chain holds, but that close row was never committed to by a close decision.
    result = gp.Engine(store, load_entrypoints=False).ledger.verify()
    assert not result and "the close of 2026-10 does not match its decision" in result.problem


def test_a_failed_transaction_stores_no_decision_and_no_close(store: gp.Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        booking = Booking(tx)
        booking.decide("close", "period:2026-10", by="a", at=datetime(2026, 11, 1, tzinfo=UTC),
                       month="2026-10", day="2026-11-01")
        booking.flush()
        tx.add_period_close(("2026-10", 1, 0, "0" * 64, "{}"))
        raise RuntimeError("crash before commit")
    assert store.head()[0] == 0 and store.decision_rows() == [] and store.period_closes() == []


def test_a_version_1_sqlite_file_gains_the_decision_tables_and_the_report_index(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "v1.db"
    gp.SQLiteStore(str(path)).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript("DROP TABLE decisions; DROP TABLE period_closes; DELETE FROM schema_migrations;"
                       "INSERT INTO schema_migrations VALUES (1, '2026-11-01');"
                       # version 1's report index
                       "DROP INDEX entries_period_member_kind;"
                       "CREATE INDEX entries_period_member ON entries (period, member_id, points_cents);")
    conn.close()
    engine = gp.Engine(str(path), load_entrypoints=False)
    assert engine.store.decision_rows() == [] and engine.store.period_closes() == []
    engine.close()
    conn = sqlite3.connect(path)
    assert [v for (v,) in conn.execute("SELECT version FROM schema_migrations ORDER BY version")] == [1, 3]
    indexes = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "entries_period_member_kind" in indexes and "entries_period_member" not in indexes
    conn.close()
