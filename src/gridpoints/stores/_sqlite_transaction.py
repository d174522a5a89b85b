"""The SQLite store's statements and its write transaction."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from gridpoints.errors import StoreBusyError, StoreError
from gridpoints.ledger.chain import ENTRY_COLUMNS
from gridpoints.ledger.decisions import DECISION_COLUMNS
from gridpoints.stores import (
    EVENT_COLUMNS,
    EVENT_REASONS,
    PERIOD_CLOSE_COLUMNS,
    CapKey,
    DecisionRow,
    EntryRow,
    EventRow,
    PeriodCloseRow,
    chained_head,
    limit_scope,
    limit_units,
)

__all__ = [
    "CLOSE_SELECT",
    "DECISION_SELECT",
    "ENTRY_SELECT",
    "EVENT_REASON_LIST",
    "EVENT_SELECT",
    "SQLiteTransaction",
    "marks",
    "translate",
    "where",
]

_CHUNK = 500
EVENT_REASON_LIST = sorted(EVENT_REASONS)
_ENTRY_INSERT = f"INSERT INTO entries ({', '.join(ENTRY_COLUMNS)}) VALUES ({', '.join('?' * len(ENTRY_COLUMNS))})"
_EVENT_INSERT = f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
ENTRY_SELECT = f"SELECT {', '.join(ENTRY_COLUMNS)} FROM entries"
EVENT_SELECT = f"SELECT {', '.join(EVENT_COLUMNS)} FROM events"
_DECISION_INSERT = f"INSERT INTO decisions ({', '.join(DECISION_COLUMNS)}) VALUES ({', '.join('?' * 7)})"
DECISION_SELECT = f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions"
CLOSE_SELECT = f"SELECT {', '.join(PERIOD_CLOSE_COLUMNS)} FROM period_closes"


def where(filters: Sequence[tuple[str, Iterable[object] | None]]) -> tuple[str, list[object]]:
    """A WHERE clause (``column IN (…)`` per filter given, joined by AND) and its parameters."""
    clauses: list[str] = []
    params: list[object] = []
    for column, values in filters:
        if values is None:
            continue
        items = list(values)
        clauses.append(f"{column} IN ({','.join('?' * len(items))})" if items else "0")
        params.extend(items)
    return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), params


def marks(values: Sequence[object]) -> str:
    """``?, ?, …`` for an IN list."""
    return ",".join("?" * len(values))


def translate(error: sqlite3.OperationalError) -> StoreError:
    text = str(error)
    if "locked" in text or "busy" in text:
        return StoreBusyError(f"the SQLite file is locked by another writer ({text}); retry later")
    return StoreError(f"SQLite: {text}")


class SQLiteTransaction:
    def __init__(self, conn: sqlite3.Connection, head: tuple[int, str]) -> None:
        self._conn = conn
        self.head = head

    def lookup(self, event_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(event_ids), _CHUNK):
            chunk = event_ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for event_id, payload, status in self._conn.execute(
                f"SELECT event_id, payload, status FROM events WHERE event_id IN ({marks})", chunk
            ):
                found[event_id] = (payload, status)
        return found

    def history(self, member_ids: Sequence[str], start_us: int, end_us: int) -> list[tuple[str, str]]:
        rows: list[tuple[str, str]] = []
        for first in range(0, len(member_ids), _CHUNK):
            chunk = member_ids[first : first + _CHUNK]
            rows.extend(
                self._conn.execute(
                    f"SELECT event_id, payload FROM events WHERE member_id IN ({','.join('?' * len(chunk))}) "
                    "AND occurred_us BETWEEN ? AND ? AND status IN ('booked', 'held')",
                    (*chunk, start_us, end_us),
                )
            )
        return rows

    def cap_totals(self, keys: Iterable[CapKey]) -> dict[CapKey, int]:
        totals: dict[CapKey, int] = {}
        for key in keys:
            member, ruleset, rule, scope, value = key
            column = "day" if scope == "day" else "period"
            (total,) = self._conn.execute(
                "SELECT COALESCE(SUM(points_cents), 0) FROM entries WHERE member_id = ? "
                f"AND ruleset = ? AND rule = ? AND {column} = ?",
                (member, ruleset, rule, value),
            ).fetchone()
            if total:
                totals[key] = int(total)
        return totals

    def limit_totals(self, keys: Iterable[CapKey]) -> dict[CapKey, Decimal]:
        totals: dict[CapKey, Decimal] = {}
        for key in keys:
            column, values = limit_scope(key)
            rows = self._conn.execute(
                "SELECT reason, quantity, COUNT(*) FROM entries WHERE member_id = ? AND ruleset = ? AND rule = ? "
                f"AND {column} IN ({marks(values)}) GROUP BY reason, quantity",
                (*key[:3], *values),
            ).fetchall()
            if rows:
                totals[key] = limit_units(rows)
        return totals

    def append(self, entries: Sequence[EntryRow], events: Sequence[EventRow]) -> None:
        head = chained_head(self.head, entries)
        if entries:
            self._conn.executemany(_ENTRY_INSERT, entries)
            self.head = head
        if events:
            self._conn.executemany(_EVENT_INSERT, events)

    def set_status(self, event_id: str, status: str) -> None:
        self._conn.execute("UPDATE events SET status = ? WHERE event_id = ?", (status, event_id))

    def entry_rows(
        self,
        *,
        seqs: Sequence[int] | None = None,
        event_ids: Sequence[str] | None = None,
        refs: Sequence[str] | None = None,
    ) -> list[EntryRow]:
        clause, params = where([("seq", seqs), ("event_id", event_ids), ("ref", refs)])
        if refs is not None:
            clause += " AND ref != ''"  # lets SQLite use the partial index entries_ref
        return list(self._conn.execute(f"{ENTRY_SELECT}{clause} ORDER BY seq", params))

    def add_decisions(self, rows: Sequence[DecisionRow]) -> None:
        self._conn.executemany(_DECISION_INSERT, rows)

    def decision_rows(self, *, subjects: Sequence[str]) -> list[DecisionRow]:
        clause, params = where([("subject", subjects)])
        return list(self._conn.execute(f"{DECISION_SELECT}{clause} ORDER BY seq", params))

    def closed_periods(self) -> set[str]:
        return {row[0] for row in self._conn.execute("SELECT period FROM period_closes")}

    def add_period_close(self, row: PeriodCloseRow) -> None:
        try:
            self._conn.execute(f"INSERT INTO period_closes VALUES ({', '.join('?' * 5)})", row)
        except sqlite3.IntegrityError:
            raise StoreError(f"period {row[0]} is already closed") from None

    def is_settled(self, period: str) -> bool:
        return self._conn.execute("SELECT 1 FROM settlements WHERE period = ?", (period,)).fetchone() is not None

    def mark_settled(self, period: str, head_seq: int) -> None:
        self._conn.execute(
            "INSERT INTO settlements VALUES (?, ?, ?)", (period, head_seq, datetime.now(UTC).isoformat())
        )


