"""The SQLite store: the embedded default (WAL, synchronous=FULL, BEGIN IMMEDIATE appends).

The SQLite dialect of ``gridpoints.stores.sql``: one connection, ``BEGIN IMMEDIATE`` as the
write lock, cursors iterated directly for long reads, the schema created by one script.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

from gridpoints.errors import StoreBusyError, StoreError
from gridpoints.schema import EventBinding
from gridpoints.stores import SCHEMA_VERSION
from gridpoints.stores._sqlite_bindings import event_bindings
from gridpoints.stores._sqlite_transaction import SQLITE, SQLiteTransaction, read_transaction, translate
from gridpoints.stores.sql import SQLStore

__all__ = ["DEFAULT_CACHE_MIB", "SQLiteStore", "path_from_url"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY, member_id TEXT NOT NULL, event_id TEXT NOT NULL,
    kind TEXT NOT NULL, period TEXT NOT NULL, day TEXT NOT NULL,
    points_cents INTEGER NOT NULL, coefficient TEXT NOT NULL, quantity TEXT NOT NULL,
    rule TEXT NOT NULL, ruleset TEXT NOT NULL, version TEXT NOT NULL, digest TEXT NOT NULL,
    reason TEXT NOT NULL, ref TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS entries_period_member_kind ON entries (period, member_id, kind, points_cents);
CREATE INDEX IF NOT EXISTS entries_member_period ON entries (member_id, period);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
    BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY, member_id TEXT NOT NULL, kind TEXT NOT NULL,
    occurred_us INTEGER NOT NULL, period TEXT NOT NULL, status TEXT NOT NULL,
    payload TEXT NOT NULL, hold_check TEXT NOT NULL, hold_reason TEXT NOT NULL,
    hold_ref TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_member_time ON events (member_id, occurred_us);
CREATE INDEX IF NOT EXISTS events_status ON events (status) WHERE status = 'held';
CREATE TABLE IF NOT EXISTS settlements (
    period TEXT PRIMARY KEY, head_seq INTEGER NOT NULL, settled_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (
    id TEXT PRIMARY KEY, region TEXT NOT NULL, grid TEXT, name TEXT,
    joined TEXT, left_on TEXT, attributes TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS entries_event ON entries (event_id);
CREATE INDEX IF NOT EXISTS entries_ref ON entries (ref) WHERE ref != '';
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY, action TEXT NOT NULL, subject TEXT NOT NULL, actor TEXT NOT NULL,
    at TEXT NOT NULL, note TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS decisions_subject ON decisions (subject);
CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
    BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
    BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TABLE IF NOT EXISTS period_closes (
    period TEXT PRIMARY KEY, decision_seq INTEGER NOT NULL, head_seq INTEGER NOT NULL,
    head_hash TEXT NOT NULL, report TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS period_closes_no_update BEFORE UPDATE ON period_closes
    BEGIN SELECT RAISE(ABORT, 'a closed period cannot be reopened'); END;
CREATE TRIGGER IF NOT EXISTS period_closes_no_delete BEFORE DELETE ON period_closes
    BEGIN SELECT RAISE(ABORT, 'a closed period cannot be reopened'); END;
CREATE TABLE IF NOT EXISTS intakes (
    seq INTEGER PRIMARY KEY, events INTEGER NOT NULL, digest TEXT NOT NULL,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS intakes_no_update BEFORE UPDATE ON intakes
    BEGIN SELECT RAISE(ABORT, 'the intake log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS intakes_no_delete BEFORE DELETE ON intakes
    BEGIN SELECT RAISE(ABORT, 'the intake log is append-only'); END;
CREATE TABLE IF NOT EXISTS ruleset_versions (
    ruleset TEXT NOT NULL, version TEXT NOT NULL, digest TEXT NOT NULL,
    PRIMARY KEY (ruleset, version));
"""

#: SQLite's page cache per store, in MiB: taken as pages are read, up to this.
DEFAULT_CACHE_MIB = 32


def path_from_url(url: str) -> str | None:
    """The file path (or ``:memory:``) a SQLite URL or plain path names; None if not SQLite."""
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///") :] or ":memory:"
    if url in ("sqlite://", "sqlite://:memory:", ":memory:"):
        return ":memory:"
    if "://" in url:
        return None
    return url


class SQLiteStore(SQLStore[sqlite3.Connection, SQLiteTransaction]):
    """A ledger in one SQLite file, safe with several processes writing to it.

    Every append runs inside ``BEGIN IMMEDIATE``, so the chain head is read under the write lock
    and two writers can never fork the chain. ``timeout`` is how long a writer waits for the lock
    before ``StoreBusyError``. ``cache_mib`` bounds SQLite's page cache (32 MiB; SQLite's own
    default is 2): a large import inserts index entries at random keys, which a cache much
    smaller than the indexes reads back from the OS on most inserts; a larger one counts
    against the CSV import's memory bound (docs/stores.md).
    """

    dialect = SQLITE
    transaction_type = SQLiteTransaction

    def __init__(self, path: str, *, timeout: float = 30.0, cache_mib: int = DEFAULT_CACHE_MIB) -> None:
        if type(cache_mib) is not int or cache_mib < 1:
            raise ValueError(f"cache_mib: {cache_mib!r} is not a whole number of MiB ≥ 1")
        self.path = path
        self.url = f"sqlite:///{path}"
        try:
            self._conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if path != ":memory:":
                self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = FULL")
            self._conn.execute(f"PRAGMA cache_size = -{cache_mib * 1024}")  # negative: in KiB
            self._migrate()
        except sqlite3.OperationalError as error:
            translated = translate(error)
            if isinstance(translated, StoreBusyError):
                raise translated from error
            raise StoreError(f"cannot open SQLite store {path!r}: {error}") from error
        except sqlite3.DatabaseError as error:
            raise StoreError(f"cannot open SQLite store {path!r}: {error}") from error

    def _migrate(self) -> None:
        # CREATE ... IF NOT EXISTS is idempotent, so several processes may open a new file at once.
        self._conn.executescript(_SCHEMA)
        with self._write() as conn:
            (current,) = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: schema version {current} is newer than this gridpoints "
                    f"({SCHEMA_VERSION}); upgrade gridpoints"
                )
            if current < 3:
                # Replaced by entries_period_member_kind (created above), which covers its queries.
                conn.execute("DROP INDEX IF EXISTS entries_period_member")
            columns = {row[1] for row in conn.execute("PRAGMA table_info(events)")}
            if "intake_seq" not in columns:
                # 0: written before the intake log (a note in verify, not a failure).
                conn.execute("ALTER TABLE events ADD COLUMN intake_seq INTEGER NOT NULL DEFAULT 0")
            if current < SCHEMA_VERSION:
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?)",
                    (SCHEMA_VERSION, datetime.now(UTC).isoformat()),
                )

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise translate(error) from error
        try:
            yield conn
            conn.execute("COMMIT")
        except sqlite3.OperationalError as error:
            conn.execute("ROLLBACK")
            raise translate(error) from error
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        yield self._conn

    def snapshot(self) -> AbstractContextManager[None]:
        """Reads inside see one snapshot of the file, whatever other connections commit meanwhile
        (one read transaction: ``_sqlite_transaction.read_transaction``)."""
        return read_transaction(self._conn)

    def _stream(self, query: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        # The cursor itself: iterating it in C is ~20 % cheaper per row than fetchmany batches
        # re-yielded by a generator, and verify() reads every row.
        return self._conn.execute(query, params)

    def event_bindings(self) -> Iterator[EventBinding]:
        # Two ordered reads merged in Python: SQLite's nested-loop join of the shared statement
        # reads two random pages per event (gridpoints.stores._sqlite_bindings).
        return event_bindings(self._conn)

    def close(self) -> None:
        self._conn.close()
