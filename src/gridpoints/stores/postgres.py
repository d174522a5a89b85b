"""The PostgreSQL store: one ledger shared by several servers (psycopg 3, extra ``postgres``).

Every write locks the single row of table ``chain_head`` (``SELECT … FOR UPDATE``) first, so
appends from any number of connections on any number of hosts are serialised and the chain
head is read under the lock; ``entries.seq`` (primary key) and ``entries.prev_hash`` (unique)
make a fork impossible even for a writer that bypassed the lock. See docs/stores.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

from gridpoints.errors import ConfigurationError, StoreError
from gridpoints.ledger.chain import GENESIS
from gridpoints.model import Member
from gridpoints.stores import (
    EVENT_COLUMNS,
    EVENT_REASONS,
    PERIOD_CLOSE_COLUMNS,
    DecisionRow,
    EntryRow,
    EventRow,
    PeriodCloseRow,
    RuleKey,
)
from gridpoints.stores._pg_connect import PgOptions, connection_source, parse_url, session_setup, translate_errors
from gridpoints.stores._pg_schema import MIGRATIONS
from gridpoints.stores._pg_transaction import DECISION_SELECT, ENTRY_SELECT, PostgresTransaction, where

__all__ = ["PostgresStore"]

Connection = psycopg.Connection[tuple[Any, ...]]

_EVENT_SELECT = f"SELECT {', '.join(EVENT_COLUMNS)} FROM events"
_CLOSE_SELECT = f"SELECT {', '.join(PERIOD_CLOSE_COLUMNS)} FROM period_closes"
_STREAM_ROWS = 10_000

#: The PostgreSQL schema's own version: the last migration's number (not ``stores.SCHEMA_VERSION``,
#: which numbers the SQLite file's schema).
LATEST = MIGRATIONS[-1].version


class PostgresStore:
    """A ledger in one PostgreSQL schema, shared safely by any number of writers on any hosts.

    ``url``: ``postgresql://user@host:port/db``; gridpoints' own query options (``schema``,
    ``lock_timeout``, ``statement_timeout`` in seconds, ``pool_size``) may also be given as
    keyword arguments, which win. The schema is created and migrated on open.
    """

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

    # -- schema --------------------------------------------------------------------------

    def _migrate(self) -> None:
        """Create or upgrade the schema on a connection of its own, under an advisory lock."""
        with translate_errors(self.url), psycopg.connect(self.options.conninfo, autocommit=True) as conn:
            session_setup(self.options)(conn)
            schema = self.options.schema or conn.execute("SELECT current_schema()").fetchone()[0]  # type: ignore[index]
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
                (current,) = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()  # type: ignore[misc]
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
            (version,) = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()  # type: ignore[misc]
            return int(version)

    # -- connections ---------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._connections.connection() as conn, translate_errors(self.url):
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._connections.connection() as conn, translate_errors(self.url), conn.transaction():
            yield conn

    # -- settings and members ------------------------------------------------------------

    def check_settings(self, tz: str, ruleset: str, *, migrate: bool = False) -> None:
        with self._write() as conn:
            conn.execute("LOCK TABLE meta IN SHARE ROW EXCLUSIVE MODE")
            stored = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            for key, value in (("tz", tz), ("ruleset", ruleset)):
                old = stored.get(key)
                if old is not None and old != value and not migrate:
                    raise ConfigurationError(
                        f"store {self.url} was created with {key}={old!r}, not {value!r} "
                        "(pass migrate=True to change it)"
                    )
                conn.execute(
                    "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    (key, value),
                )

    def register_versions(self, versions: Iterable[tuple[str, str, str]]) -> None:
        rows = list(versions)
        with self._write() as conn:
            conn.cursor().executemany("INSERT INTO ruleset_versions VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", rows)
            stored = {
                (r, v): d
                for r, v, d in conn.execute(
                    "SELECT ruleset, version, digest FROM ruleset_versions WHERE ruleset = ANY(%s)",
                    (sorted({r for r, _, _ in rows}),),
                )
            }
            for ruleset, version, digest in rows:
                old = stored[(ruleset, version)]
                if old != digest:
                    raise ConfigurationError(
                        f"rule set {ruleset} version {version} changed in place (digest "
                        f"{old[:12]} → {digest[:12]}); give the changed rules a new version"
                    )

    def upsert_members(self, members: Sequence[Member]) -> None:
        rows = [
            (
                m.id,
                m.region,
                m.grid,
                m.name,
                m.joined,
                m.left,
                json.dumps(dict(m.attributes), ensure_ascii=False, sort_keys=True, default=str),
            )
            for m in sorted(members, key=lambda m: m.id)  # one lock order: concurrent upserts cannot deadlock
        ]
        with self._write() as conn:
            conn.cursor().executemany(
                "INSERT INTO members VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET "
                "region = EXCLUDED.region, grid = EXCLUDED.grid, name = EXCLUDED.name, joined = EXCLUDED.joined, "
                "left_on = EXCLUDED.left_on, attributes = EXCLUDED.attributes",
                rows,
            )

    def members(self) -> list[Member]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, region, grid, name, joined, left_on, attributes FROM members ORDER BY id"
            ).fetchall()
        return [
            Member(id=i, region=r, grid=g, name=n, joined=j, left=lft, attributes=json.loads(a))
            for i, r, g, n, j, lft, a in rows
        ]

    # -- the chain -----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[PostgresTransaction]:
        """Lock the chain head row, check it against the last entry, yield; commit at exit."""
        with self._write() as conn:
            locked = conn.execute("SELECT seq, hash FROM chain_head WHERE id = 1 FOR UPDATE").fetchone()
            head = self._last_entry(conn)
            if locked is None or (int(locked[0]), str(locked[1])) != head:
                raise StoreError(
                    f"{self.url}: chain_head says {locked!r} but the last entry is {head!r}; "
                    "the ledger was written around gridpoints — run verify()"
                )
            tx = PostgresTransaction(conn, head)
            yield tx
            if tx.head != head:
                conn.execute("UPDATE chain_head SET seq = %s, hash = %s WHERE id = 1", tx.head)

    @staticmethod
    def _last_entry(conn: Connection) -> tuple[int, str]:
        row = conn.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
        return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))

    def head(self) -> tuple[int, str]:
        with self._read() as conn:
            return self._last_entry(conn)

    def _stream(self, query: str, params: Sequence[object]) -> Iterator[tuple[Any, ...]]:
        """Rows through a server-side cursor, so a long ledger is never held in memory at once."""
        with self._write() as conn, conn.cursor(name="gridpoints_stream") as cursor:
            cursor.itersize = _STREAM_ROWS
            cursor.execute(query, params)
            yield from cursor

    def entry_rows(
        self,
        *,
        member_id: str | None = None,
        periods: Iterable[str] | None = None,
        seqs: Iterable[int] | None = None,
        event_ids: Iterable[str] | None = None,
        refs: Iterable[str] | None = None,
    ) -> Iterator[EntryRow]:
        clause, params = where(
            [
                ("member_id", None if member_id is None else [member_id]),
                ("period", periods),
                ("seq", seqs),
                ("event_id", event_ids),
                ("ref", refs),
            ]
        )
        return self._stream(f"{ENTRY_SELECT}{clause} ORDER BY seq", params)

    def chain_rows(self) -> Iterator[EntryRow]:
        return self._stream(f"{ENTRY_SELECT} ORDER BY seq", [])

    def totals(self, periods: Iterable[str], *, member_id: str | None = None) -> dict[str, int]:
        query = "SELECT member_id, SUM(points_cents) FROM entries WHERE period = ANY(%s)"
        params: list[object] = [list(periods)]
        if member_id is not None:
            query += " AND member_id = %s"
            params.append(member_id)
        with self._read() as conn:
            return {m: int(t) for m, t in conn.execute(query + " GROUP BY member_id", params)}

    def _grouped(self, query: str, params: Sequence[object]) -> dict[str, dict[str, Any]]:
        """``first column → second column → third`` from a two-key GROUP BY."""
        grouped: dict[str, dict[str, Any]] = {}
        with self._read() as conn:
            for outer, inner, value in conn.execute(query, params):
                grouped.setdefault(outer, {})[inner] = value
        return grouped

    def totals_by_kind(self, periods: Iterable[str], *, member_id: str | None = None) -> dict[str, dict[str, int]]:
        clause, params = where([("period", periods), ("member_id", None if member_id is None else [member_id])])
        query = f"SELECT member_id, kind, SUM(points_cents) FROM entries{clause} GROUP BY 1, 2"
        grouped = self._grouped(query, params)
        return {m: {k: int(v) for k, v in kinds.items()} for m, kinds in grouped.items()}

    def totals_by_month(self, periods: Iterable[str]) -> dict[str, dict[str, int]]:
        clause, params = where([("period", periods)])
        query = f"SELECT member_id, period, SUM(points_cents) FROM entries{clause} GROUP BY 1, 2"
        grouped = self._grouped(query, params)
        return {m: {p: int(v) for p, v in months.items()} for m, months in grouped.items()}

    def totals_by_rule(
        self, periods: Iterable[str], *, member_id: str | None = None
    ) -> dict[str, dict[RuleKey, tuple[int, int]]]:
        clause, params = where([("period", periods), ("member_id", None if member_id is None else [member_id])])
        query = (
            "SELECT member_id, ruleset, version, rule, kind, reason, SUM(points_cents), COUNT(*) "
            f"FROM entries{clause} GROUP BY 1, 2, 3, 4, 5, 6"
        )
        totals: dict[str, dict[RuleKey, tuple[int, int]]] = {}
        with self._read() as conn:
            for member, ruleset, version, rule, kind, reason, cents, count in conn.execute(query, params):
                totals.setdefault(member, {})[(ruleset, version, rule, kind, reason)] = (int(cents), int(count))
        return totals

    def quantities_by_kind(self, periods: Iterable[str]) -> dict[str, dict[str, Decimal]]:
        # Quantities are exact decimal text; numeric sums them exactly in the database.
        clause, params = where([("period", periods), ("reason", sorted(EVENT_REASONS))])
        query = f"SELECT member_id, kind, SUM(quantity::numeric) FROM entries{clause} GROUP BY 1, 2"
        return {m: {k: Decimal(v) for k, v in kinds.items()} for m, kinds in self._grouped(query, params).items()}

    def booked_events(self, periods: Iterable[str], *, kinds: Iterable[str] | None = None) -> Iterator[tuple[str, str]]:
        # By where the event's own entries were booked, not by its own month: a late event of a
        # closed month belongs to the open month it was booked in.
        inner, params = where([("period", periods), ("reason", sorted(EVENT_REASONS))])
        query = (
            "SELECT event_id, payload FROM events WHERE status = 'booked' "
            f"AND event_id IN (SELECT event_id FROM entries{inner})"
        )
        if kinds is not None:
            query += " AND kind = ANY(%s)"
            params.append(list(kinds))
        return self._stream(query + " ORDER BY occurred_us, event_id", params)

    def settled_periods(self) -> set[str]:
        with self._read() as conn:
            return {str(period) for (period,) in conn.execute("SELECT period FROM settlements")}

    def event_rows(self, *, status: str | None = None, event_ids: Iterable[str] | None = None) -> list[EventRow]:
        where: list[str] = []
        params: list[object] = []
        if status is not None:
            where.append("status = %s")
            params.append(status)
        if event_ids is not None:
            where.append("event_id = ANY(%s)")
            params.append(list(event_ids))
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with self._read() as conn:
            rows = conn.execute(f"{_EVENT_SELECT}{clause} ORDER BY occurred_us, event_id", params).fetchall()
        return rows

    def decision_rows(
        self, *, subjects: Iterable[str] | None = None, actions: Iterable[str] | None = None
    ) -> list[DecisionRow]:
        clause, params = where([("subject", subjects), ("action", actions)])
        with self._read() as conn:
            return conn.execute(f"{DECISION_SELECT}{clause} ORDER BY seq", params).fetchall()

    def period_closes(self, *, periods: Iterable[str] | None = None) -> list[PeriodCloseRow]:
        clause, params = where([("period", periods)])
        with self._read() as conn:
            return conn.execute(f"{_CLOSE_SELECT}{clause} ORDER BY period", params).fetchall()

    def close(self) -> None:
        self._connections.close()
