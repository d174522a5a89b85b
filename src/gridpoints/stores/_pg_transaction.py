"""The PostgreSQL store's write transaction: reads and appends under the chain-head row lock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

from gridpoints.errors import StoreError
from gridpoints.ledger.chain import ENTRY_COLUMNS
from gridpoints.ledger.decisions import DECISION_COLUMNS
from gridpoints.stores import (
    EVENT_COLUMNS,
    CapKey,
    DecisionRow,
    EntryRow,
    EventRow,
    PeriodCloseRow,
    chained_head,
    limit_scope,
    limit_units,
)

__all__ = ["ENTRY_SELECT", "PostgresTransaction", "where"]

Connection = psycopg.Connection[tuple[Any, ...]]

_ENTRY_COPY = f"COPY entries ({', '.join(ENTRY_COLUMNS)}) FROM STDIN"
_EVENT_COPY = f"COPY events ({', '.join(EVENT_COLUMNS)}) FROM STDIN"
ENTRY_SELECT = f"SELECT {', '.join(ENTRY_COLUMNS)} FROM entries"
_DECISION_INSERT = f"INSERT INTO decisions ({', '.join(DECISION_COLUMNS)}) VALUES ({', '.join(['%s'] * 7)})"
DECISION_SELECT = f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions"


def where(filters: Sequence[tuple[str, Iterable[object] | None]]) -> tuple[str, list[object]]:
    """A WHERE clause (``column = ANY(…)`` per filter given, joined by AND) and its parameters.

    An empty filter matches nothing, as ``IN ()`` would. ``ref`` filters also say ``ref <> ''``
    so PostgreSQL can use the partial index ``entries_ref``.
    """
    clauses: list[str] = []
    params: list[object] = []
    for column, values in filters:
        if values is None:
            continue
        clauses.append(f"{column} = ANY(%s)")
        params.append(list(values))
        if column == "ref":
            clauses.append("ref <> ''")
    return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), params


class PostgresTransaction:
    """Reads and appends inside one database transaction that holds the chain-head row lock."""

    def __init__(self, conn: Connection, head: tuple[int, str]) -> None:
        self._conn = conn
        self.head = head

    def lookup(self, event_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        rows = self._conn.execute(
            "SELECT event_id, payload, status FROM events WHERE event_id = ANY(%s)", (list(event_ids),)
        )
        return {event_id: (payload, status) for event_id, payload, status in rows}

    def history(self, member_ids: Sequence[str], start_us: int, end_us: int) -> list[tuple[str, str]]:
        rows = self._conn.execute(
            "SELECT event_id, payload FROM events WHERE member_id = ANY(%s) AND occurred_us BETWEEN %s AND %s "
            "AND status IN ('booked', 'held') ORDER BY occurred_us, event_id",
            (list(member_ids), start_us, end_us),
        )
        return [(str(e), str(p)) for e, p in rows]

    def cap_totals(self, keys: Iterable[CapKey]) -> dict[CapKey, int]:
        totals: dict[CapKey, int] = {}
        unique = list(dict.fromkeys(keys))
        for scope, column in (("day", "day"), ("period", "period")):
            wanted = [k for k in unique if k[3] == scope]
            if not wanted:
                continue
            query = sql.SQL(
                "SELECT e.member_id, e.ruleset, e.rule, e.{col}, SUM(e.points_cents) FROM entries e "
                "JOIN unnest(%s::text[], %s::text[], %s::text[], %s::text[]) AS k(m, rs, r, v) "
                "ON e.member_id = k.m AND e.ruleset = k.rs AND e.rule = k.r AND e.{col} = k.v "
                "GROUP BY 1, 2, 3, 4"
            ).format(col=sql.Identifier(column))
            columns = [[k[i] for k in wanted] for i in (0, 1, 2, 4)]
            for member, ruleset, rule, value, total in self._conn.execute(query, columns):
                if total:
                    totals[(member, ruleset, rule, scope, value)] = int(total)
        return totals

    def limit_totals(self, keys: Iterable[CapKey]) -> dict[CapKey, Decimal]:
        totals: dict[CapKey, Decimal] = {}
        for key in dict.fromkeys(keys):
            column, values = limit_scope(key)
            query = sql.SQL(
                "SELECT reason, quantity, COUNT(*) FROM entries WHERE member_id = %s AND ruleset = %s "
                "AND rule = %s AND {col} = ANY(%s) GROUP BY 1, 2"
            ).format(col=sql.Identifier(column))
            rows = [(str(r), str(q), int(n)) for r, q, n in self._conn.execute(query, (*key[:3], values))]
            if rows:
                totals[key] = limit_units(rows)
        return totals

    def append(self, entries: Sequence[EntryRow], events: Sequence[EventRow]) -> None:
        with self._conn.cursor() as cursor:
            head = chained_head(self.head, entries)
            if entries:
                with cursor.copy(_ENTRY_COPY) as copy:
                    for entry in entries:
                        copy.write_row(entry)
                self.head = head
            if events:
                with cursor.copy(_EVENT_COPY) as copy:
                    for event in events:
                        copy.write_row(event)

    def set_status(self, event_id: str, status: str) -> None:
        self._conn.execute("UPDATE events SET status = %s WHERE event_id = %s", (status, event_id))

    def entry_rows(
        self,
        *,
        seqs: Sequence[int] | None = None,
        event_ids: Sequence[str] | None = None,
        refs: Sequence[str] | None = None,
    ) -> list[EntryRow]:
        clause, params = where([("seq", seqs), ("event_id", event_ids), ("ref", refs)])
        return self._conn.execute(f"{ENTRY_SELECT}{clause} ORDER BY seq", params).fetchall()

    def add_decisions(self, rows: Sequence[DecisionRow]) -> None:
        if rows:
            self._conn.cursor().executemany(_DECISION_INSERT, rows)

    def decision_rows(self, *, subjects: Sequence[str]) -> list[DecisionRow]:
        clause, params = where([("subject", subjects)])
        return self._conn.execute(f"{DECISION_SELECT}{clause} ORDER BY seq", params).fetchall()

    def closed_periods(self) -> set[str]:
        return {str(row[0]) for row in self._conn.execute("SELECT period FROM period_closes")}

    def is_settled(self, period: str) -> bool:
        return self._conn.execute("SELECT 1 FROM settlements WHERE period = %s", (period,)).fetchone() is not None

    def mark_settled(self, period: str, head_seq: int) -> None:
        self._conn.execute("INSERT INTO settlements (period, head_seq) VALUES (%s, %s)", (period, head_seq))

    def add_period_close(self, row: PeriodCloseRow) -> None:
        # ON CONFLICT rather than catching the unique violation: an error would abort the
        # whole PostgreSQL transaction, not just this statement.
        cursor = self._conn.execute(
            f"INSERT INTO period_closes VALUES ({', '.join(['%s'] * 5)}) ON CONFLICT (period) DO NOTHING", row
        )
        if cursor.rowcount == 0:
            raise StoreError(f"period {row[0]} is already closed")
