"""The PostgreSQL store: one ledger shared by several servers (psycopg 3, extra ``postgres``).

Every write locks the single row of table ``chain_head`` (``SELECT … FOR UPDATE``) first, so
appends from any number of connections on any number of hosts are serialised and the chain
head is read under the lock; ``entries.seq`` (primary key) and ``entries.prev_hash`` (unique)
make a fork impossible even for a writer that bypassed the lock. See docs/stores.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import psycopg
from psycopg import sql

from gridpoints.errors import ConfigurationError, StoreError
from gridpoints.schema import EventBinding, named
from gridpoints.stores._pg_connect import PgOptions, connection_source, parse_url, session_setup, translate_errors
from gridpoints.stores._pg_schema import MIGRATIONS
from gridpoints.stores._pg_transaction import POSTGRES, Connection, PostgresTransaction
from gridpoints.stores.sql import EVENT_REASONS_SQL, SQLStore

__all__ = ["PostgresStore"]

_STREAM_ROWS = 10_000

#: ``Store.event_bindings`` in PostgreSQL's own words: each event id's first own entry by
#: ``DISTINCT ON`` and its awards (own entries not derived from it: ``schema.is_derived``) by a
#: window over the same sort, then one full join to the event rows, so rows without entries and
#: entries without rows come out of the same join. One statement: one snapshot.
EVENT_BINDINGS = f"""
    WITH own AS (
        SELECT DISTINCT ON (event_id) event_id, seq, member_id, kind, quantity, reason,
               SUM(CASE WHEN reason = 'derived' OR ref = event_id THEN 0 ELSE 1 END)
                   OVER (PARTITION BY event_id) AS awards
        FROM entries WHERE reason IN ({EVENT_REASONS_SQL})
        ORDER BY event_id, seq)
    SELECT COALESCE(ev.event_id, own.event_id), ev.member_id, ev.kind, ev.occurred_us, ev.status, ev.payload,
           own.seq, own.member_id, own.kind, own.quantity, own.reason, COALESCE(own.awards, 0)
    FROM events ev FULL JOIN own ON own.event_id = ev.event_id"""

#: The PostgreSQL schema's own version: the last migration's number (not ``stores.SCHEMA_VERSION``,
#: which numbers the SQLite file's schema).
LATEST = MIGRATIONS[-1].version


class PostgresStore(SQLStore[Connection, PostgresTransaction]):
    """A ledger in one PostgreSQL schema, shared safely by any number of writers on any hosts.

    ``url``: ``postgresql://user@host:port/db``; gridpoints' own query options (``schema``,
    ``lock_timeout``, ``statement_timeout`` in seconds, ``pool_size``) may also be given as
    keyword arguments, which win. The schema is created and migrated on open.
    """

    dialect = POSTGRES
    transaction_type = PostgresTransaction

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        lock_timeout: float | None = None,
        statement_timeout: float | None = None,
        pool_size: int | None = None,
    ) -> None:
        self.options: PgOptions = parse_url(
            url, schema=schema, lock_timeout=lock_timeout, statement_timeout=statement_timeout, pool_size=pool_size
        )
        self.url = self.options.display
        self._migrate()
        self._connections = connection_source(self.options)
        #: The connection ``snapshot`` holds, per thread or task (None outside one).
        self._snapshot_connection: ContextVar[Connection | None] = ContextVar("gridpoints_snapshot", default=None)

    # -- schema --------------------------------------------------------------------------

    def _migrate(self) -> None:
        """Create or upgrade the schema on a connection of its own, under an advisory lock."""
        with translate_errors(self.url), psycopg.connect(self.options.conninfo, autocommit=True) as conn:
            session_setup(self.options)(conn)
            found = conn.execute("SELECT current_schema()").fetchone()
            schema = self.options.schema or (None if found is None else found[0])
            if schema is None:
                raise ConfigurationError(
                    f"{self.url}: search_path names no existing schema; give one with ?schema=NAME"
                )
            self.schema = str(schema)
            key = int.from_bytes(hashlib.sha256(f"gridpoints:{schema}".encode()).digest()[:8], "big", signed=True)
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                    "description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
                (current,) = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchall()[0]
                if current > LATEST:
                    raise StoreError(
                        f"{self.url}: schema {self.schema!r} is at version {current}, newer than this "
                        f"gridpoints ({LATEST}); upgrade gridpoints"
                    )
                for migration in MIGRATIONS:
                    if migration.version <= current:
                        continue
                    for statement in migration.statements:
                        conn.execute(statement)
                    conn.execute(
                        "INSERT INTO schema_migrations (version, description) VALUES (%s, %s)",
                        (migration.version, migration.description),
                    )

    def schema_version(self) -> int:
        """The highest migration applied to this schema."""
        with self._read() as conn:
            (version,) = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchall()[0]
            return int(version)

    # -- connections ---------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        pinned = self._snapshot_connection.get()
        if pinned is not None:
            with translate_errors(self.url):
                yield pinned
            return
        with self._connections.connection() as conn, translate_errors(self.url):
            yield conn

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside (in this thread or task) see one snapshot of the schema, whatever other
        connections commit meanwhile: one connection held in a ``REPEATABLE READ``, read-only
        transaction. Inside a snapshot already, that one serves."""
        if self._snapshot_connection.get() is not None:
            yield
            return
        with self._connections.connection() as conn, translate_errors(self.url), conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            token = self._snapshot_connection.set(conn)
            try:
                yield
            finally:
                self._snapshot_connection.reset(token)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._connections.connection() as conn, translate_errors(self.url), conn.transaction():
            yield conn

    def _stream(self, query: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        """Rows through a server-side cursor, so a long ledger is never held in memory at once
        (it needs a transaction: the snapshot's, or one of its own)."""
        in_snapshot = self._snapshot_connection.get() is not None
        with self._read() if in_snapshot else self._write() as conn, conn.cursor(name="gridpoints_stream") as cursor:
            cursor.itersize = _STREAM_ROWS
            cursor.execute(query, params)
            yield from cursor

    def event_bindings(self) -> Iterator[EventBinding]:
        # Not the shared statement: its grouped join, second look-up of each first entry and
        # anti-join take PostgreSQL twice as long as one sort and one hash full join.
        return named(EventBinding, self._stream(EVENT_BINDINGS, []))

    def close(self) -> None:
        self._connections.close()

    # -- locks -----------------------------------------------------------------------------

    def _lock_settings(self, conn: Connection) -> None:
        # Two servers opening a new schema at once must not both record different settings.
        conn.execute("LOCK TABLE meta IN SHARE ROW EXCLUSIVE MODE")

    def _lock_head(self, conn: Connection) -> tuple[int, str]:
        """Lock the chain head row and check it against the last entry."""
        locked = conn.execute("SELECT seq, hash FROM chain_head WHERE id = 1 FOR UPDATE").fetchone()
        head = self._last_entry(conn)
        if locked is None or (int(locked[0]), str(locked[1])) != head:
            raise StoreError(
                f"{self.url}: chain_head says {locked!r} but the last entry is {head!r}; "
                "the ledger was written around gridpoints — run verify()"
            )
        return head

    def _move_head(self, conn: Connection, head: tuple[int, str]) -> None:
        conn.execute("UPDATE chain_head SET seq = %s, hash = %s WHERE id = 1", head)
