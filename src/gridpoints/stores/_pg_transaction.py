"""The PostgreSQL dialect: its spelling, and its write transaction's COPY append and cap totals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg import sql

from gridpoints.schema import ENTRY_COLUMNS, CapKey, EntryValues, EventValues
from gridpoints.stores import chained_head
from gridpoints.stores.sql import EVENT_WRITE_COLUMNS, Dialect, SQLTransaction

__all__ = ["POSTGRES", "Connection", "PostgresDialect", "PostgresTransaction"]

Connection = psycopg.Connection[tuple[Any, ...]]

_ENTRY_COPY = f"COPY entries ({', '.join(ENTRY_COLUMNS)}) FROM STDIN"
_EVENT_COPY = f"COPY events ({', '.join(EVENT_WRITE_COLUMNS)}) FROM STDIN"


class PostgresDialect(Dialect):
    """``%s`` marks; a list filter is ``column = ANY(%s)`` with the list as one array parameter
    (one statement whatever its length); ``ON CONFLICT`` for insert-or-ignore and upsert."""

    mark = "%s"

    def any_of(self, column: str, values: list[Any]) -> tuple[str, list[Any]]:
        return f"{column} = ANY(%s)", [values]

    def insert_or_ignore(self, table: str, count: int) -> str:
        return f"INSERT INTO {table} VALUES ({self.marks(count)}) ON CONFLICT DO NOTHING"

    def upsert(self, table: str, columns: Sequence[str], key: str) -> str:
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != key)
        return (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({self.marks(len(columns))}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
        )


POSTGRES = PostgresDialect()


class PostgresTransaction(SQLTransaction[Connection]):
    """Reads and appends inside one database transaction that holds the chain-head row lock."""

    dialect = POSTGRES

    def cap_totals(self, keys: Iterable[CapKey]) -> dict[CapKey, int]:
        # One joined sum per scope: each query is a round trip to the server.
        totals: dict[CapKey, int] = {}
        unique = list(dict.fromkeys(keys))
        for scope in ("day", "period"):
            wanted = [key for key in unique if key.scope == scope]
            if not wanted:
                continue
            query = sql.SQL(
                "SELECT e.member_id, e.ruleset, e.rule, e.{col}, SUM(e.points_cents) FROM entries e "
                "JOIN unnest(%s::text[], %s::text[], %s::text[], %s::text[]) AS k(m, rs, r, v) "
                "ON e.member_id = k.m AND e.ruleset = k.rs AND e.rule = k.r AND e.{col} = k.v "
                "GROUP BY 1, 2, 3, 4"
            ).format(col=sql.Identifier(scope))
            members, rulesets, rules, _, values = (list(column) for column in zip(*wanted, strict=True))
            for member, ruleset, rule, value, total in self._conn.execute(query, [members, rulesets, rules, values]):
                if total:
                    totals[CapKey(member, ruleset, rule, scope, value)] = int(total)
        return totals

    def append(self, entries: Sequence[EntryValues], events: Sequence[EventValues]) -> None:
        with self._conn.cursor() as cursor:
            head = chained_head(self.head, entries)
            if entries:
                with cursor.copy(_ENTRY_COPY) as copy:
                    for entry in entries:
                        copy.write_row(entry)
                self.head = head
            if events:
                intake = self._intake(events)
                with cursor.copy(_EVENT_COPY) as copy:
                    for event in events:
                        copy.write_row((*event, intake))

    def mark_settled(self, period: str, head_seq: int) -> None:
        self._conn.execute("INSERT INTO settlements (period, head_seq) VALUES (%s, %s)", (period, head_seq))
