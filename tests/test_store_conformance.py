"""The conformance suite (gridpoints.testing.stores) on every built-in store."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

import gridpoints as gp
from gridpoints.schema import EntryRow
from gridpoints.testing.stores import StoreConformance
from tests.conftest import PG_URL


class TestMemoryStore(StoreConformance):
    durable = False

    def open_store(self) -> gp.Store:
        return gp.MemoryStore()

    def tamper(self, store: gp.Store, seq: int, column: str, value: object) -> None:
        assert isinstance(store, gp.MemoryStore)
        row = EntryRow._make(store._entries[seq - 1])
        store._replace_entry(seq - 1, row._replace(**{column: value}))


def _tamper_sqlite(conn: sqlite3.Connection, seq: int, column: str, value: object) -> None:
    conn.execute("DROP TRIGGER IF EXISTS entries_no_update")
    conn.execute(f"UPDATE entries SET {column} = ? WHERE seq = ?", (value, seq))
    conn.commit()


class TestSQLiteFileStore(StoreConformance):
    def open_store(self) -> gp.Store:
        return gp.SQLiteStore(str(self.tmp_path / "points.db"))

    def tamper(self, store: gp.Store, seq: int, column: str, value: object) -> None:
        conn = sqlite3.connect(self.tmp_path / "points.db")
        _tamper_sqlite(conn, seq, column, value)
        conn.close()


class TestSQLiteMemoryStore(StoreConformance):
    durable = False

    def open_store(self) -> gp.Store:
        return gp.SQLiteStore(":memory:")

    def tamper(self, store: gp.Store, seq: int, column: str, value: object) -> None:
        assert isinstance(store, gp.SQLiteStore)
        _tamper_sqlite(store._conn, seq, column, value)


@pytest.mark.postgres
class TestPostgresStore(StoreConformance):
    @pytest.fixture(autouse=True)
    def _schema(self, pg_url: str, pg_schema: str) -> None:
        self.url = pg_url
        self.schema = pg_schema

    def open_store(self) -> gp.Store:
        from gridpoints.stores.postgres import PostgresStore

        return PostgresStore(self.url)

    def tamper(self, store: gp.Store, seq: int, column: str, value: Any) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
            conn.execute("ALTER TABLE entries DISABLE TRIGGER entries_no_update")
            update = sql.SQL("UPDATE entries SET {} = %s WHERE seq = %s").format(sql.Identifier(column))
            conn.execute(update, (value, seq))
