"""A SQLite file from before the decision tables gains them (the store methods for decisions,
reversals and closes are in the conformance suite, gridpoints.testing.stores)."""

from __future__ import annotations

from pathlib import Path

import gridpoints as gp


def test_a_version_1_sqlite_file_gains_the_decision_tables_and_the_report_index(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "v1.db"
    gp.SQLiteStore(str(path)).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript("DROP TABLE decisions; DROP TABLE period_closes; DROP TABLE intakes;"
                       "ALTER TABLE events DROP COLUMN intake_seq; DELETE FROM schema_migrations;"
                       "INSERT INTO schema_migrations VALUES (1, '2026-11-01');"
                       # version 1's report index
                       "DROP INDEX entries_period_member_kind;"
                       "CREATE INDEX entries_period_member ON entries (period, member_id, points_cents);")
    conn.close()
    engine = gp.Engine(str(path), load_entrypoints=False)
    assert engine.store.decision_rows() == [] and engine.store.period_closes() == []
    assert engine.store.intake_head() == (0, "0" * 64) and engine.ledger.verify()
    engine.close()
    conn = sqlite3.connect(path)
    versions = [v for (v,) in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [1, gp.stores.SCHEMA_VERSION]
    indexes = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "entries_period_member_kind" in indexes and "entries_period_member" not in indexes
    conn.close()
