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
primary keys and unique constraints). ``merged:ORDER`` and ``pg-merged:ORDER`` write one row
per event instead of two — a layout the store does not have: the entry's columns and the event
row's in one table, a unique index on the event id as the rows go in, and the indexes the reads
need (seq, the report sums, member and month and time, ref, held) created after. Each variant
prints µs per event of the workload.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.dense import PLAIN_INDEX, PLAIN_TABLE, DenseWorkload, drop_schema, postgres_url, remove_database
from gridpoints.schema import ENTRY_COLUMNS
from gridpoints.stores.sql import EVENT_WRITE_COLUMNS
from gridpoints.stores.sqlite import DEFAULT_CACHE_MIB, SQLiteStore

__all__ = [
    "MERGED_AFTER", "MERGED_COLUMNS", "MERGED_KEY", "build", "insert_statement", "main", "merged_rows", "merged_table",
    "time_postgres_variant", "time_variant",
]  # fmt: skip

#: The store's indexes beyond its tables' primary keys (``bare:`` and ``late:`` drop them).
SECONDARY_INDEXES = (
    "entries_period_member_kind", "entries_member_period", "entries_event", "entries_ref",
    "events_member_time", "events_status",
)  # fmt: skip
_ORDERS = ("member", "input", "id")

Row = tuple[Any, ...]

#: One row per event: the entry's columns, then the event row's own (a held event's entry columns
#: empty). The unique event id index goes in with the rows, as the floor's; the rest after them.
MERGED_COLUMNS = (
    *ENTRY_COLUMNS, "occurred_us", "event_period", "status", "payload", "hold_check", "hold_reason", "hold_ref",
    "intake_seq",
)  # fmt: skip
_MERGED_INTEGERS = frozenset({"seq", "points_cents", "occurred_us", "intake_seq"})
MERGED_KEY = "CREATE UNIQUE INDEX merged_event ON merged (event_id)"
MERGED_AFTER = (
    "CREATE UNIQUE INDEX merged_seq ON merged (seq)",
    "CREATE INDEX merged_period_member_kind ON merged (period, member_id, kind, points_cents)",
    "CREATE INDEX merged_member_period_time ON merged (member_id, period, occurred_us)",
    "CREATE INDEX merged_ref ON merged (ref) WHERE ref != ''",
    "CREATE INDEX merged_held ON merged (status) WHERE status = 'held'",
)


def merged_table(integer: str) -> str:
    """The one-row-per-event table, its whole numbers as ``integer`` (SQLite's or PostgreSQL's)."""
    columns = ", ".join(f"{name} {integer if name in _MERGED_INTEGERS else 'TEXT'}" for name in MERGED_COLUMNS)
    return f"CREATE TABLE merged ({columns})"


def merged_rows(entries: Sequence[Row], events: Sequence[Row]) -> list[Row]:
    """Each event row (in its order) with its entry in one row; refused when an event has more
    than one entry (the one-row layout measured here has no place for the others)."""
    by_event: dict[Any, Row] = {}
    for entry in entries:
        if by_event.setdefault(entry[2], entry) is not entry:
            raise SystemExit(f"event {entry[2]!r} has more than one entry: the merged layout cannot hold it")
    rows: list[Row] = []
    for event in events:
        event_id, member_id, kind, occurred_us, period, *rest = event
        own = by_event.pop(event_id, None)
        head = own if own is not None else (None, member_id, event_id, kind, *([None] * 13))
        rows.append((*head, occurred_us, period, *rest))
    if by_event:
        raise SystemExit(f"{len(by_event)} entries have no event row: the merged layout cannot hold them")
    return rows


def _workload(path: str) -> DenseWorkload:
    with open(path + ".events", encoding="ascii") as size:
        return DenseWorkload(int(size.read()))


def build(path: str, events: int) -> str:
    """Ingest the dense workload of ``events`` events into a new store file, in one call."""
    remove_database(path)
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


def insert_statement(table: str, columns: Sequence[str]) -> str:
    """``INSERT INTO table (columns) VALUES (?, …)``: one row of ``columns``."""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def time_variant(source: str, variant: str, scratch: str) -> str:
    """One timed write of ``source``'s rows into ``scratch`` (see the module docstring)."""
    events_in_workload = _workload(source).events
    remove_database(scratch)
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
    if schema == "merged" and order in _ORDERS:
        entries, events = _rows(source, order)
        rows = merged_rows(entries, events)
        conn = sqlite3.connect(scratch, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute(f"PRAGMA cache_size = -{DEFAULT_CACHE_MIB * 1024}")
        conn.execute(merged_table("INTEGER"))
        conn.execute(MERGED_KEY)

        def write_merged() -> None:
            conn.executemany(insert_statement("merged", MERGED_COLUMNS), rows)
            for statement in MERGED_AFTER:
                conn.execute(statement)

        seconds = _timed(conn, write_merged)
        conn.close()
        return (
            f"{variant}: {seconds / events_in_workload * 1e6:.2f} µs/event ({len(rows):,} rows, "
            f"{len(MERGED_AFTER)} indexes created after)"
        )
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
    entry_insert = insert_statement("entries", ENTRY_COLUMNS)
    event_insert = insert_statement("events", EVENT_WRITE_COLUMNS)

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
    if variant != "pg-floor" and (layout not in ("store", "bare", "late", "merged") or order not in _ORDERS):
        raise SystemExit(f"unknown variant {variant!r}: pg-floor, pg-store:ORDER, pg-bare:ORDER or pg-late:ORDER")
    entries, events = _rows(source, order or "id")
    base = os.environ.get("GRIDPOINTS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        with psycopg.connect(base) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema_name)))
            conn.commit()
        if variant != "pg-floor" and layout != "merged":
            PostgresStore(url).close()
        with psycopg.connect(base) as conn:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema_name)))
            created: list[str] = []
            copies: list[tuple[str, Sequence[str], Sequence[Row]]]
            if variant == "pg-floor":
                conn.execute(PLAIN_TABLE.replace("INTEGER", "BIGINT"))
                conn.execute(PLAIN_INDEX)
                copies = [("plain", ENTRY_COLUMNS, entries)]
            elif layout == "merged":
                conn.execute(merged_table("BIGINT"))
                conn.execute(MERGED_KEY)
                created = list(MERGED_AFTER)
                copies = [("merged", MERGED_COLUMNS, merged_rows(entries, events))]
            else:
                created = _postgres_layout(conn, schema_name, layout)
                copies = [("entries", ENTRY_COLUMNS, entries), ("events", EVENT_WRITE_COLUMNS, events)]
            conn.commit()
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
        remove_database(scratch)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
