"""What SQLite alone costs to write the rows a SQLite store writes, whatever computes them.

    python -m benchmarks.store_rows build ledger.db 1000000   # the dense workload, one ingest
    python -m benchmarks.store_rows time ledger.db floor store:member store:input bare:member

``build`` ingests the dense workload (random order, one call, checks on) into a new store file.
``time`` reads that file's entry rows (seq order) and event rows back, then writes them again,
timed, into a fresh store file (the store's schema, WAL, ``synchronous=FULL`` and page cache,
one transaction, ``executemany``, no pipeline): ``store:ORDER`` with every index,
``bare:ORDER`` without the secondary ones (primary keys only), ``late:ORDER`` without them and
then each created over the written rows in the same transaction (what a bulk load into a new
file could do). ``ORDER`` is the order the event rows are written in: ``member`` (by member,
then time: the order the pipeline's judging writes them), ``input`` (the workload's own
order), ``id``. ``floor`` is the harness's floor: one row per entry into a plain table with a
unique event id index. ``pg-floor``, ``pg-store:ORDER``, ``pg-bare:ORDER`` and ``pg-late:ORDER``
are the same on PostgreSQL (``GRIDPOINTS_BENCH_POSTGRES``, default the local test server): ``COPY``
into a new schema the PostgreSQL store created, as its ``append`` writes (``bare`` keeps the
primary keys and unique constraints). Each variant prints µs per event of the workload.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.dense import PLAIN_INDEX, PLAIN_TABLE, DenseWorkload, drop_schema, postgres_url
from gridpoints.schema import ENTRY_COLUMNS
from gridpoints.stores.sql import EVENT_WRITE_COLUMNS
from gridpoints.stores.sqlite import DEFAULT_CACHE_MIB, SQLiteStore

__all__ = ["build", "main", "time_postgres_variant", "time_variant"]

#: The store's indexes beyond its tables' primary keys (``bare:`` and ``late:`` drop them).
SECONDARY_INDEXES = (
    "entries_period_member_kind", "entries_member_period", "entries_event", "entries_ref",
    "events_member_time", "events_status",
)  # fmt: skip
_ORDERS = ("member", "input", "id")

Row = tuple[Any, ...]


def _remove(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def _workload(path: str) -> DenseWorkload:
    with open(path + ".events", encoding="ascii") as size:
        return DenseWorkload(int(size.read()))


def build(path: str, events: int) -> str:
    """Ingest the dense workload of ``events`` events into a new store file, in one call."""
    _remove(path)
    engine, batch = DenseWorkload(events).booked_by(path)
    started = time.perf_counter()
    engine.ingest(batch)
    elapsed = time.perf_counter() - started
    engine.close()
    with open(path + ".events", "w", encoding="ascii") as size:
        size.write(str(events))
    return f"{path}: {events:,} events ingested, {elapsed / events * 1e6:.2f} µs/event"


def _rows(path: str, order: str) -> tuple[list[Row], list[Row]]:
    """The file's entry rows in seq order and its event rows in ``order``."""
    conn = sqlite3.connect(path)
    try:
        entries = conn.execute(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM entries ORDER BY seq").fetchall()
        events = conn.execute(f"SELECT {', '.join(EVENT_WRITE_COLUMNS)} FROM events").fetchall()
    finally:
        conn.close()
    if order == "member":
        events.sort(key=lambda row: (row[1], row[3], row[0]))
    elif order == "id":
        events.sort(key=lambda row: row[0])
    else:
        position = {event.id: index for index, event in enumerate(_workload(path).build())}
        events.sort(key=lambda row: position[row[0]])
    return entries, events


def _timed(conn: sqlite3.Connection, writes: Callable[[], object]) -> float:
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    writes()
    conn.execute("COMMIT")
    return time.perf_counter() - started


def _insert(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def time_variant(source: str, variant: str, scratch: str) -> str:
    """One timed write of ``source``'s rows into ``scratch`` (see the module docstring)."""
    events_in_workload = _workload(source).events
    _remove(scratch)
    if variant == "floor":
        entries, _ = _rows(source, "id")
        conn = sqlite3.connect(scratch, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute(PLAIN_TABLE)
        conn.execute(PLAIN_INDEX)
        seconds = _timed(conn, lambda: conn.executemany(f"INSERT INTO plain VALUES ({', '.join('?' * 17)})", entries))
        conn.close()
        return f"floor: {seconds / events_in_workload * 1e6:.2f} µs/event ({len(entries):,} rows)"
    schema, _, order = variant.partition(":")
    if schema not in ("store", "bare", "late") or order not in _ORDERS:
        orders = ", ".join(_ORDERS)
        raise SystemExit(f"unknown variant {variant!r}: floor, store:ORDER, bare:ORDER or late:ORDER ({orders})")
    entries, events = _rows(source, order)
    SQLiteStore(scratch).close()
    conn = sqlite3.connect(scratch, isolation_level=None)
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(f"PRAGMA cache_size = -{DEFAULT_CACHE_MIB * 1024}")  # the store's own page cache
    created: list[str] = []
    if schema != "store":
        marks = ", ".join("?" * len(SECONDARY_INDEXES))
        query = f"SELECT sql FROM sqlite_master WHERE type = 'index' AND name IN ({marks})"
        created = [sql for (sql,) in conn.execute(query, SECONDARY_INDEXES)]
        for index in SECONDARY_INDEXES:
            conn.execute(f"DROP INDEX {index}")
    entry_insert, event_insert = _insert("entries", ENTRY_COLUMNS), _insert("events", EVENT_WRITE_COLUMNS)

    def writes() -> None:
        conn.executemany(entry_insert, entries)
        conn.executemany(event_insert, events)
        for sql in created if schema == "late" else []:
            conn.execute(sql)

    seconds = _timed(conn, writes)
    conn.close()
    after = f", {len(created)} indexes created after" if schema == "late" else ""
    return (
        f"{variant}: {seconds / events_in_workload * 1e6:.2f} µs/event "
        f"({len(entries):,} entry rows, {len(events):,} event rows{after})"
    )


def time_postgres_variant(source: str, variant: str) -> str:
    """One timed ``COPY`` of ``source``'s rows into a new PostgreSQL schema (see the module
    docstring)."""
    import psycopg
    from psycopg import sql

    from gridpoints.stores.postgres import PostgresStore

    events_in_workload = _workload(source).events
    schema_name = f"gp_store_rows_{os.getpid()}"
    url = postgres_url(schema_name)
    if url is None:
        return f"{variant}: skipped, no PostgreSQL server answers (GRIDPOINTS_BENCH_POSTGRES)"
    layout, _, order = variant.removeprefix("pg-").partition(":")
    if variant != "pg-floor" and (layout not in ("store", "bare", "late") or order not in _ORDERS):
        raise SystemExit(f"unknown variant {variant!r}: pg-floor, pg-store:ORDER, pg-bare:ORDER or pg-late:ORDER")
    entries, events = _rows(source, order or "id")
    base = os.environ.get("GRIDPOINTS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        with psycopg.connect(base) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema_name)))
            conn.commit()
        if variant != "pg-floor":
            PostgresStore(url).close()
        with psycopg.connect(base) as conn:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema_name)))
            if variant == "pg-floor":
                conn.execute(PLAIN_TABLE.replace("INTEGER", "BIGINT"))
                conn.execute(PLAIN_INDEX)
            created = _postgres_layout(conn, schema_name, layout) if variant != "pg-floor" else []
            conn.commit()
            copies = [("plain", ENTRY_COLUMNS, entries)] if variant == "pg-floor" else [
                ("entries", ENTRY_COLUMNS, entries), ("events", EVENT_WRITE_COLUMNS, events)
            ]  # fmt: skip
            started = time.perf_counter()
            with conn.cursor() as cursor:
                for table, columns, rows in copies:
                    names = "" if table == "plain" else f" ({', '.join(columns)})"
                    with cursor.copy(f"COPY {table}{names} FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                for statement in created:
                    cursor.execute(statement)
            conn.commit()
            seconds = time.perf_counter() - started
    finally:
        drop_schema(schema_name)
    after = f", {len(created)} indexes created after" if created else ""
    return f"{variant}: {seconds / events_in_workload * 1e6:.2f} µs/event ({len(entries):,} entry rows{after})"


def _postgres_layout(conn: Any, schema_name: str, layout: str) -> list[str]:
    """The store's secondary indexes on ``entries`` and ``events`` dropped for ``bare`` and
    ``late`` (those that back no constraint); the statements that create them again, for
    ``late``."""
    if layout == "store":
        return []
    dropped = conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname "
        "JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = i.schemaname "
        "WHERE i.schemaname = %s AND i.tablename IN ('entries', 'events') "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)",
        (schema_name,),
    ).fetchall()
    for name, _ in dropped:
        conn.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in dropped] if layout == "late" else []


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "build" and argv[2].isdigit():
        print(build(argv[1], int(argv[2])))
        return 0
    if len(argv) >= 3 and argv[0] == "time":
        scratch = argv[1] + ".scratch"
        for variant in argv[2:]:
            if variant.startswith("pg-"):
                print(time_postgres_variant(argv[1], variant), flush=True)
            else:
                print(time_variant(argv[1], variant, scratch), flush=True)
        _remove(scratch)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
