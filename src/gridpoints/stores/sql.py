"""What every SQL store shares: the statements, reads, report aggregates, settings and versions.

A SQL store is this base plus a dialect of three small parts (see docs/stores.md, "A new SQL
database"):

- a ``Dialect`` (``gridpoints.stores._sql_dialect``, exported here): how the database spells
  what differs — its parameter mark, a list filter (``IN (?, …)`` or ``= ANY(%s)``),
  insert-or-ignore and upsert;
- a ``SQLStore`` subclass: connections (``_read``, ``_write``), locking the chain head,
  streaming long reads, migrations, closing;
- a ``SQLTransaction`` subclass: the bulk append (``executemany``, ``COPY``…), cap totals and
  recording a settled month.

Everything else — the WHERE builder, the SELECT lists, duplicate look-ups, check history, reads,
the report aggregates, the settings check and version registration — is written once, here.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

from gridpoints.errors import StoreError
from gridpoints.model import Member
from gridpoints.schema import (
    DECISION_COLUMNS,
    ENTRY_COLUMNS,
    EVENT_COLUMNS,
    EVENT_REASONS,
    GENESIS,
    PERIOD_CLOSE_COLUMNS,
    CapKey,
    DecisionRow,
    EntryRow,
    EntryValues,
    EventBinding,
    EventRow,
    EventValues,
    IntakeBinding,
    PeriodCloseRow,
    RuleKey,
    named,
)
from gridpoints.stores import checked_settings, checked_versions, limit_scope, limit_units
from gridpoints.stores._sql_dialect import C, Connection, Cursor, Dialect
from gridpoints.stores.intakes import IntakeLog, intake_genesis

__all__ = ["EVENT_WRITE_COLUMNS", "Connection", "Cursor", "Dialect", "SQLStore", "SQLTransaction"]

#: ``EVENT_REASONS`` in a fixed order, for statements.
EVENT_REASON_LIST = sorted(EVENT_REASONS)
#: ``EVENT_REASONS`` as an SQL list of literals, for statements that name them inline.
EVENT_REASONS_SQL = ", ".join(f"'{reason}'" for reason in EVENT_REASON_LIST)
ENTRY_SELECT = f"SELECT {', '.join(ENTRY_COLUMNS)} FROM entries"
EVENT_SELECT = f"SELECT {', '.join(EVENT_COLUMNS)} FROM events"
DECISION_SELECT = f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions"
CLOSE_SELECT = f"SELECT {', '.join(PERIOD_CLOSE_COLUMNS)} FROM period_closes"
MEMBER_COLUMNS = ("id", "region", "grid", "name", "joined", "left_on", "attributes")
#: Columns an event row is written with: its own, then the seq of the intake that wrote it.
EVENT_WRITE_COLUMNS = (*EVENT_COLUMNS, "intake_seq")
#: The intake log and every event row under its intake seq, intake rows first (one statement,
#: so one snapshot); rows of intake 0 were written before the log.
#: ``Store.event_bindings`` as one statement, so the rows and the entries come from one snapshot
#: even while others write: events with their first own entry, then own entries whose event has
#: no row. Awards: own entries not derived from the event (``schema.is_derived``, the same test).
#: SQLite and PostgreSQL each read the same bindings their own way (``_sqlite_bindings``,
#: ``postgres.EVENT_BINDINGS``); a new SQL store starts from this one.
EVENT_BINDINGS = f"""
    WITH own AS (
        SELECT event_id, MIN(seq) AS first_seq,
               SUM(CASE WHEN reason = 'derived' OR ref = event_id THEN 0 ELSE 1 END) AS awards
        FROM entries WHERE reason IN ({EVENT_REASONS_SQL}) GROUP BY event_id)
    SELECT ev.event_id, ev.member_id, ev.kind, ev.occurred_us, ev.status, ev.payload,
           own.first_seq, en.member_id, en.kind, en.quantity, en.reason, COALESCE(own.awards, 0)
    FROM events ev LEFT JOIN own ON own.event_id = ev.event_id
         LEFT JOIN entries en ON en.seq = own.first_seq
    UNION ALL
    SELECT own.event_id, NULL, NULL, NULL, NULL, NULL,
           own.first_seq, en.member_id, en.kind, en.quantity, en.reason, own.awards
    FROM own JOIN entries en ON en.seq = own.first_seq
    WHERE NOT EXISTS (SELECT 1 FROM events ev WHERE ev.event_id = own.event_id)"""
INTAKE_BINDINGS = f"""
    SELECT seq, events, digest, prev_hash, hash, {", ".join(["NULL"] * len(EVENT_COLUMNS))} FROM intakes
    UNION ALL
    SELECT intake_seq, NULL, NULL, NULL, NULL, {", ".join(EVENT_COLUMNS)} FROM events
    ORDER BY 1, 2 NULLS LAST"""


class SQLTransaction(abc.ABC, Generic[C]):
    """One write transaction's reads and writes; the dialect adds the bulk append."""

    dialect: ClassVar[Dialect]

    def __init__(self, conn: C, head: tuple[int, str]) -> None:
        self._conn = conn
        self.head = head
        self._intakes: IntakeLog | None = None

    # -- what differs -------------------------------------------------------------------

    @abc.abstractmethod
    def append(self, entries: Sequence[EntryValues], events: Sequence[EventValues]) -> None:
        """Write the rows (after ``chained_head`` accepted the entries) and move ``head``."""

    @abc.abstractmethod
    def cap_totals(self, keys: Iterable[CapKey]) -> dict[CapKey, int]:
        """Points (in hundredths) already booked per cap key."""

    @abc.abstractmethod
    def mark_settled(self, period: str, head_seq: int) -> None:
        """Record month ``period`` as settled, with the chain head after its awards."""

    # -- shared -------------------------------------------------------------------------

    def _intake(self, events: Sequence[EventValues]) -> int:
        """The intake seq this transaction's event rows carry (the intake head is read under the
        write lock on first use), noting ``events`` for its intake row."""
        if self._intakes is None:
            row = self._conn.execute("SELECT seq, hash FROM intakes ORDER BY seq DESC LIMIT 1", ()).fetchone()
            if row is None:  # the first intake: it commits to how many rows were written before the log
                (unbound,) = self._conn.execute("SELECT COUNT(*) FROM events WHERE intake_seq = 0", ()).fetchone()
                row = (0, intake_genesis(int(unbound)))
            self._intakes = IntakeLog((int(row[0]), str(row[1])))
        self._intakes.add(events)
        return self._intakes.seq

    def finish(self) -> None:
        """Append the intake row of the event rows written (called once, before commit)."""
        row = None if self._intakes is None else self._intakes.row()
        if row is not None:
            self._conn.execute(f"INSERT INTO intakes VALUES ({self.dialect.marks(len(row))})", row)

    def _execute(self, query: str, params: Sequence[Any] = ()) -> Cursor:
        return self._conn.execute(self.dialect.sql(query), params)

    def lookup(self, event_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        for chunk in self.dialect.chunks(event_ids):
            clause, params = self.dialect.where([("event_id", chunk)])
            for event_id, payload, status in self._conn.execute(
                f"SELECT event_id, payload, status FROM events{clause}", params
            ):
                found[event_id] = (payload, status)
        return found

    def history(self, member_ids: Sequence[str], start_us: int, end_us: int) -> list[tuple[str, str]]:
        # In index order (member, time, id): each member's events come by time, ties by id.
        rows: list[tuple[str, str]] = []
        for chunk in self.dialect.chunks(member_ids):
            clause, params = self.dialect.where([("member_id", chunk)])
            rows.extend(
                self._conn.execute(
                    f"SELECT event_id, payload FROM events{clause} AND occurred_us BETWEEN {self.dialect.mark} "
                    f"AND {self.dialect.mark} AND status IN ('booked', 'held') ORDER BY member_id, occurred_us, "
                    "event_id",
                    [*params, start_us, end_us],
                )
            )
        return rows

    def set_status(self, event_id: str, status: str) -> None:
        self._execute("UPDATE events SET status = ? WHERE event_id = ?", (status, event_id))

    def entry_rows(
        self,
        *,
        seqs: Sequence[int] | None = None,
        event_ids: Sequence[str] | None = None,
        refs: Sequence[str] | None = None,
    ) -> list[EntryRow]:
        clause, params = self.dialect.where([("seq", seqs), ("event_id", event_ids), ("ref", refs)])
        return list(named(EntryRow, self._conn.execute(f"{ENTRY_SELECT}{clause} ORDER BY seq", params)))

    def add_decisions(self, rows: Sequence[DecisionRow]) -> None:
        if rows:
            self._conn.cursor().executemany(
                f"INSERT INTO decisions ({', '.join(DECISION_COLUMNS)}) VALUES ({self.dialect.marks(7)})", rows
            )

    def decision_rows(self, *, subjects: Sequence[str]) -> list[DecisionRow]:
        clause, params = self.dialect.where([("subject", subjects)])
        return list(named(DecisionRow, self._conn.execute(f"{DECISION_SELECT}{clause} ORDER BY seq", params)))

    def closed_periods(self) -> set[str]:
        return {period for (period,) in self._execute("SELECT period FROM period_closes")}

    def add_period_close(self, row: PeriodCloseRow) -> None:
        # Insert-or-ignore and the row count, not a caught unique violation: on PostgreSQL an
        # error aborts the whole transaction, not just the statement.
        cursor = self._conn.execute(self.dialect.insert_or_ignore("period_closes", 5), row)
        if cursor.rowcount == 0:
            raise StoreError(f"period {PeriodCloseRow._make(row).period} is already closed")

    def limit_totals(self, keys: Iterable[CapKey]) -> dict[CapKey, Decimal]:
        totals: dict[CapKey, Decimal] = {}
        for key in dict.fromkeys(keys):
            column, values = limit_scope(key)
            clause, params = self.dialect.where(
                [("member_id", [key.member_id]), ("ruleset", [key.ruleset]), ("rule", [key.rule]), (column, values)]
            )
            query = f"SELECT reason, quantity, COUNT(*) FROM entries{clause} GROUP BY reason, quantity"
            rows = [(str(r), str(q), int(n)) for r, q, n in self._conn.execute(query, params)]
            if rows:
                totals[key] = limit_units(rows)
        return totals

    def is_settled(self, period: str) -> bool:
        return self._execute("SELECT 1 FROM settlements WHERE period = ?", (period,)).fetchone() is not None


T = TypeVar("T", bound=SQLTransaction[Any])


class SQLStore(abc.ABC, Generic[C, T]):
    """The Store protocol on a SQL database; a dialect says how to connect, lock and stream."""

    dialect: ClassVar[Dialect]
    #: The dialect's transaction class.
    transaction_type: type[T]
    url: str

    # -- what differs -------------------------------------------------------------------

    @abc.abstractmethod
    def _read(self) -> AbstractContextManager[C]:
        """A connection for reads (no transaction needed)."""

    @abc.abstractmethod
    def _write(self) -> AbstractContextManager[C]:
        """A connection inside a write transaction: committed at exit, rolled back on error."""

    @abc.abstractmethod
    def _stream(self, query: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        """The rows of a long read, without holding them all in memory."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections."""

    def _lock_head(self, conn: C) -> tuple[int, str]:
        """The chain head, read under the write lock ``_write`` took (override to lock more)."""
        return self._last_entry(conn)

    def _move_head(self, conn: C, head: tuple[int, str]) -> None:
        """Called before commit when a transaction appended entries (nothing to do by default)."""

    def _lock_settings(self, conn: C) -> None:
        """Called before the settings are read under ``_write`` (nothing to do by default)."""

    # -- settings, versions, members -----------------------------------------------------

    def check_settings(self, tz: str, ruleset: str, *, migrate: bool = False, rule_files: str | None = None) -> None:
        with self._write() as conn:
            self._lock_settings(conn)
            stored = dict(conn.execute("SELECT key, value FROM meta", ()).fetchall())
            wanted = checked_settings(self.url, stored, tz, ruleset, migrate=migrate, rule_files=rule_files)
            for key, value in wanted.items():
                conn.execute(self.dialect.upsert("meta", ("key", "value"), "key"), (key, value))

    def settings(self) -> dict[str, str]:
        with self._read() as conn:
            return dict(conn.execute("SELECT key, value FROM meta", ()).fetchall())

    def register_versions(self, versions: Iterable[tuple[str, str, str]]) -> None:
        rows = list(versions)
        if not rows:
            return
        insert = self.dialect.insert_or_ignore("ruleset_versions", 3)
        with self._write() as conn:
            # Insert first, then compare: a concurrent writer's new version is then seen, not missed.
            conn.cursor().executemany(insert, rows)
            clause, params = self.dialect.where([("ruleset", sorted({r for r, _, _ in rows}))])
            stored = conn.execute(f"SELECT ruleset, version, digest FROM ruleset_versions{clause}", params)
            checked_versions(rows, {(r, v): d for r, v, d in stored})

    def upsert_members(self, members: Sequence[Member]) -> None:
        rows = [
            (
                m.id,
                m.region,
                m.grid,
                m.name,
                None if m.joined is None else m.joined.isoformat(),
                None if m.left is None else m.left.isoformat(),
                json.dumps(dict(m.attributes), ensure_ascii=False, sort_keys=True, default=str),
            )
            for m in sorted(members, key=lambda m: m.id)  # one lock order: concurrent upserts cannot deadlock
        ]
        upsert = self.dialect.upsert("members", MEMBER_COLUMNS, "id")
        with self._write() as conn:
            conn.cursor().executemany(upsert, rows)

    def members(self) -> list[Member]:
        with self._read() as conn:
            rows = conn.execute(f"SELECT {', '.join(MEMBER_COLUMNS)} FROM members ORDER BY id", ()).fetchall()
        return [
            Member(id=i, region=r, grid=g, name=n, joined=j, left=lft, attributes=json.loads(a))
            for i, r, g, n, j, lft, a in rows
        ]

    # -- the chain -----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[T]:
        with self._write() as conn:
            head = self._lock_head(conn)
            tx = self.transaction_type(conn, head)
            yield tx
            tx.finish()
            if tx.head != head:
                self._move_head(conn, tx.head)

    @staticmethod
    def _last_entry(conn: Connection) -> tuple[int, str]:
        row = conn.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1", ()).fetchone()
        if row is None:
            return (0, GENESIS)
        seq, head_hash = row
        return (int(seq), str(head_hash))

    def head(self) -> tuple[int, str]:
        with self._read() as conn:
            return self._last_entry(conn)

    def entry_rows(
        self,
        *,
        member_id: str | None = None,
        periods: Iterable[str] | None = None,
        seqs: Iterable[int] | None = None,
        event_ids: Iterable[str] | None = None,
        refs: Iterable[str] | None = None,
    ) -> Iterator[EntryRow]:
        clause, params = self.dialect.where(
            [
                ("member_id", None if member_id is None else [member_id]),
                ("period", periods),
                ("seq", seqs),
                ("event_id", event_ids),
                ("ref", refs),
            ]
        )
        yield from named(EntryRow, self._stream(f"{ENTRY_SELECT}{clause} ORDER BY seq", params))

    def chain_rows(self) -> Iterator[EntryValues]:
        return self._stream(f"{ENTRY_SELECT} ORDER BY seq", [])

    # -- report aggregates ---------------------------------------------------------------

    def _grouped(self, query: str, params: Sequence[Any]) -> dict[str, dict[str, Any]]:
        """``first column → second column → third`` from a two-key GROUP BY."""
        grouped: dict[str, dict[str, Any]] = {}
        # Rows mostly come grouped by the first key: its dict is looked up once per run of rows.
        last: str | None = None
        inner: dict[str, Any] = {}
        with self._read() as conn:
            for outer, key, value in conn.execute(query, params):
                if outer != last:
                    last = outer
                    inner = grouped.setdefault(outer, {})
                inner[key] = value
        return grouped

    def totals(self, periods: Iterable[str], *, member_id: str | None = None) -> dict[str, int]:
        clause, params = self.dialect.where(
            [("period", periods), ("member_id", None if member_id is None else [member_id])]
        )
        query = f"SELECT member_id, CAST(SUM(points_cents) AS BIGINT) FROM entries{clause} GROUP BY member_id"
        with self._read() as conn:
            return dict(conn.execute(query, params).fetchall())

    def totals_by_kind(self, periods: Iterable[str], *, member_id: str | None = None) -> dict[str, dict[str, int]]:
        clause, params = self.dialect.where(
            [("period", periods), ("member_id", None if member_id is None else [member_id])]
        )
        return self._grouped(
            f"SELECT member_id, kind, CAST(SUM(points_cents) AS BIGINT) FROM entries{clause} GROUP BY member_id, kind",
            params,
        )

    def totals_by_month(self, periods: Iterable[str]) -> dict[str, dict[str, int]]:
        clause, params = self.dialect.where([("period", periods)])
        return self._grouped(
            f"SELECT member_id, period, CAST(SUM(points_cents) AS BIGINT) FROM entries{clause} "
            "GROUP BY member_id, period",
            params,
        )

    def totals_by_rule(
        self, periods: Iterable[str], *, member_id: str | None = None
    ) -> dict[str, dict[RuleKey, tuple[int, int]]]:
        clause, params = self.dialect.where(
            [("period", periods), ("member_id", None if member_id is None else [member_id])]
        )
        # Grouped in the order of the (period, member_id, kind) index, so an index extended by
        # (ruleset, version, rule, reason, points_cents) would serve it without a sort.
        query = (
            "SELECT member_id, kind, ruleset, version, rule, reason, CAST(SUM(points_cents) AS BIGINT), COUNT(*) "
            f"FROM entries{clause} GROUP BY member_id, kind, ruleset, version, rule, reason"
        )
        totals: dict[str, dict[RuleKey, tuple[int, int]]] = {}
        with self._read() as conn:
            for member, kind, ruleset, version, rule, reason, cents, count in conn.execute(query, params):
                totals.setdefault(member, {})[RuleKey(ruleset, version, rule, kind, reason)] = (int(cents), int(count))
        return totals

    def quantities_by_kind(self, periods: Iterable[str]) -> dict[str, dict[str, Decimal]]:
        # Quantities are exact decimal text: group by the text, multiply by the count in Python.
        clause, params = self.dialect.where([("period", periods), ("reason", EVENT_REASON_LIST)])
        query = f"SELECT member_id, kind, quantity, COUNT(*) FROM entries{clause} GROUP BY member_id, kind, quantity"
        totals: dict[str, dict[str, Decimal]] = {}
        with self._read() as conn:
            for member, kind, quantity, count in conn.execute(query, params):
                kinds = totals.setdefault(member, {})
                kinds[kind] = kinds.get(kind, Decimal(0)) + Decimal(quantity) * count
        return totals

    def booked_events(self, periods: Iterable[str], *, kinds: Iterable[str] | None = None) -> Iterator[tuple[str, str]]:
        # By where the event's own entries were booked, not by its own month: a late event of a
        # closed month belongs to the open month it was booked in.
        inner, params = self.dialect.where([("period", periods), ("reason", EVENT_REASON_LIST)])
        query = (
            "SELECT event_id, payload FROM events WHERE status = 'booked' "
            f"AND event_id IN (SELECT event_id FROM entries{inner})"
        )
        if kinds is not None:
            clause, more = self.dialect.any_of("kind", list(kinds))
            query += f" AND {clause}"
            params.extend(more)
        yield from self._stream(query + " ORDER BY occurred_us, event_id", params)

    # -- other reads ---------------------------------------------------------------------

    def settled_periods(self) -> set[str]:
        with self._read() as conn:
            return {period for (period,) in conn.execute("SELECT period FROM settlements", ())}

    def event_bindings(self) -> Iterator[EventBinding]:
        return named(EventBinding, self._stream(EVENT_BINDINGS, []))

    def intake_bindings(self) -> Iterator[IntakeBinding]:
        return named(IntakeBinding, self._stream(INTAKE_BINDINGS, []))

    def intake_head(self) -> tuple[int, str]:
        with self._read() as conn:
            row = conn.execute("SELECT seq, hash FROM intakes ORDER BY seq DESC LIMIT 1", ()).fetchone()
        return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))

    def settlements(self) -> dict[str, int]:
        with self._read() as conn:
            return dict(conn.execute("SELECT period, head_seq FROM settlements", ()).fetchall())

    def ruleset_versions(self) -> dict[tuple[str, str], str]:
        with self._read() as conn:
            rows = conn.execute("SELECT ruleset, version, digest FROM ruleset_versions", ()).fetchall()
        return {(ruleset, version): digest for ruleset, version, digest in rows}

    def event_rows(self, *, status: str | None = None, event_ids: Iterable[str] | None = None) -> list[EventRow]:
        clause, params = self.dialect.where([("status", None if status is None else [status]), ("event_id", event_ids)])
        with self._read() as conn:
            return list(named(EventRow, conn.execute(f"{EVENT_SELECT}{clause} ORDER BY occurred_us, event_id", params)))

    def decision_rows(
        self, *, subjects: Iterable[str] | None = None, actions: Iterable[str] | None = None
    ) -> list[DecisionRow]:
        clause, params = self.dialect.where([("subject", subjects), ("action", actions)])
        with self._read() as conn:
            return list(named(DecisionRow, conn.execute(f"{DECISION_SELECT}{clause} ORDER BY seq", params)))

    def period_closes(self, *, periods: Iterable[str] | None = None) -> list[PeriodCloseRow]:
        clause, params = self.dialect.where([("period", periods)])
        with self._read() as conn:
            return list(named(PeriodCloseRow, conn.execute(f"{CLOSE_SELECT}{clause} ORDER BY period", params)))
