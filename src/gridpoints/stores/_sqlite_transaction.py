"""The SQLite dialect: its spelling, its write transaction's bulk append, its read transaction,
and error translation."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from gridpoints.errors import StoreBusyError, StoreError
from gridpoints.schema import ENTRY_COLUMNS, CapKey, EntryValues, EventValues
from gridpoints.stores import chained_head
from gridpoints.stores.sql import EVENT_WRITE_COLUMNS, Dialect, SQLTransaction

__all__ = ["SQLITE", "SQLiteDialect", "SQLiteTransaction", "read_transaction", "translate"]


class SQLiteDialect(Dialect):
    """``?`` marks and ``IN (?, …)`` lists; ``INSERT OR IGNORE`` / ``INSERT OR REPLACE``."""

    # Look-ups bind at most 500 ids per statement: old SQLite builds allow only 999 variables.
    max_list = 500

    def insert_or_ignore(self, table: str, count: int) -> str:
        return f"INSERT OR IGNORE INTO {table} VALUES ({self.marks(count)})"

    def upsert(self, table: str, columns: Sequence[str], key: str) -> str:
        # Every column is given, so replacing the row is an update (no table refers to these rows).
        return f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({self.marks(len(columns))})"


SQLITE = SQLiteDialect()

_ENTRY_INSERT = f"INSERT INTO entries ({', '.join(ENTRY_COLUMNS)}) VALUES ({SQLITE.marks(len(ENTRY_COLUMNS))})"
_EVENT_INSERT = (
    f"INSERT INTO events ({', '.join(EVENT_WRITE_COLUMNS)}) VALUES ({SQLITE.marks(len(EVENT_WRITE_COLUMNS))})"
)


def translate(error: sqlite3.OperationalError) -> StoreError:
    """A locked or busy file is ``StoreBusyError`` (retry); anything else ``StoreError``."""
    text = str(error)
    if "locked" in text or "busy" in text:
        return StoreBusyError(f"the SQLite file is locked by another writer ({text}); retry later")
    return StoreError(f"SQLite: {text}")


@contextmanager
def read_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """Reads on ``conn`` inside see one snapshot of the file, whatever other connections commit
    meanwhile: one read transaction (WAL keeps it; writers are not blocked). Inside a
    transaction already, that one serves."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


class SQLiteTransaction(SQLTransaction[sqlite3.Connection]):
    """Reads and appends inside ``BEGIN IMMEDIATE``: the file's write lock is held throughout."""

    dialect = SQLITE

    def cap_totals(self, keys: Iterable[CapKey]) -> dict[CapKey, int]:
        # One indexed sum per key: SQLite runs in-process, so many small queries cost little.
        totals: dict[CapKey, int] = {}
        for key in keys:
            member_id, ruleset, rule, scope, value = key
            column = "day" if scope == "day" else "period"
            (total,) = self._conn.execute(
                "SELECT COALESCE(SUM(points_cents), 0) FROM entries WHERE member_id = ? "
                f"AND ruleset = ? AND rule = ? AND {column} = ?",
                (member_id, ruleset, rule, value),
            ).fetchone()
            if total:
                totals[key] = int(total)
        return totals

    def append(self, entries: Sequence[EntryValues], events: Sequence[EventValues]) -> None:
        head = chained_head(self.head, entries)
        if entries:
            self._conn.executemany(_ENTRY_INSERT, entries)
            self.head = head
        if events:
            intake = self._intake(events)
            self._conn.executemany(_EVENT_INSERT, [(*values, intake) for values in events])

    def mark_settled(self, period: str, head_seq: int) -> None:
        self._conn.execute(
            "INSERT INTO settlements VALUES (?, ?, ?)", (period, head_seq, datetime.now(UTC).isoformat())
        )
