"""The conformance suite (gridpoints.testing.stores) on every built-in store."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

import gridpoints as gp
from gridpoints.schema import EntryRow, EventRow
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

    def tamper_row(self, store: gp.Store, table: str, key: str, column: str | None, value: object = None) -> None:
        assert isinstance(store, gp.MemoryStore)
        if table == "intakes":
            assert column is None
            store._intakes[:] = [row for row in store._intakes if row.seq != int(key)]
            return
        tables: dict[str, dict[str, Any]] = {"period_closes": store._closes, "settlements": store._settled,
                                             "events": store._events}  # fmt: skip
        rows = tables[table]
        if column == "event_id":  # a renamed row keeps its intake seq, as in a SQL table
            renamed = str(value)
            store._intake_of[renamed] = store._intake_of[key]
            rows[renamed] = EventRow._make(rows.pop(key))._replace(event_id=renamed)
        elif column is None:
            del rows[key]
        else:
            assert table == "events"
            rows[key] = EventRow._make(rows[key])._replace(**{column: value})


def _tamper_sqlite(conn: sqlite3.Connection, seq: int, column: str, value: object) -> None:
    conn.execute("DROP TRIGGER IF EXISTS entries_no_update")
    conn.execute(f"UPDATE entries SET {column} = ? WHERE seq = ?", (value, seq))
    conn.commit()


#: The column that keys each table beside the chain, for tamper_row.
KEYS = {"period_closes": "period", "settlements": "period", "events": "event_id", "intakes": "seq"}


def _tamper_sqlite_row(conn: sqlite3.Connection, table: str, key: str, column: str | None, value: object) -> None:
    conn.execute("DROP TRIGGER IF EXISTS period_closes_no_delete")
    conn.execute("DROP TRIGGER IF EXISTS intakes_no_delete")
    if column is None:
        conn.execute(f"DELETE FROM {table} WHERE {KEYS[table]} = ?", (key,))
    else:
        conn.execute(f"UPDATE {table} SET {column} = ? WHERE {KEYS[table]} = ?", (value, key))
    conn.commit()


class TestSQLiteFileStore(StoreConformance):
    def open_store(self) -> gp.Store:
        return gp.SQLiteStore(str(self.tmp_path / "points.db"))

    def tamper(self, store: gp.Store, seq: int, column: str, value: object) -> None:
        conn = sqlite3.connect(self.tmp_path / "points.db")
        _tamper_sqlite(conn, seq, column, value)
        conn.close()

    def tamper_row(self, store: gp.Store, table: str, key: str, column: str | None, value: object = None) -> None:
        conn = sqlite3.connect(self.tmp_path / "points.db")
        _tamper_sqlite_row(conn, table, key, column, value)
        conn.close()


class TestSQLiteMemoryStore(StoreConformance):
    durable = False

    def open_store(self) -> gp.Store:
        return gp.SQLiteStore(":memory:")

    def tamper(self, store: gp.Store, seq: int, column: str, value: object) -> None:
        assert isinstance(store, gp.SQLiteStore)
        _tamper_sqlite(store._conn, seq, column, value)

    def tamper_row(self, store: gp.Store, table: str, key: str, column: str | None, value: object = None) -> None:
        assert isinstance(store, gp.SQLiteStore)
        _tamper_sqlite_row(store._conn, table, key, column, value)


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

    def tamper_row(self, store: gp.Store, table: str, key: str, column: str | None, value: Any = None) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
            conn.execute("ALTER TABLE period_closes DISABLE TRIGGER period_closes_no_update")
            conn.execute("ALTER TABLE intakes DISABLE TRIGGER intakes_no_update")
            where = sql.SQL("{} = %s").format(sql.Identifier(KEYS[table]))
            if column is None:
                conn.execute(sql.SQL("DELETE FROM {} WHERE ").format(sql.Identifier(table)) + where, (key,))
            else:
                update = sql.SQL("UPDATE {} SET {} = %s WHERE ").format(sql.Identifier(table), sql.Identifier(column))
                conn.execute(update + where, (value, key))
