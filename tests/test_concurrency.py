"""Concurrent writers: 4 processes on one SQLite file, 8 on one PostgreSQL schema.

Writers import overlapping ranges of events with a short lock timeout and retry
``StoreBusyError`` (any other error fails the writer). Afterwards: no fork (no two entries
share a ``prev_hash``), one booking per unique id, ``verify()`` ok, and every busy error arrived
only after the configured timeout. Figures are printed (``-s`` or ``-rP``).
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import gridpoints as gp
from tests import writer
from tests.conftest import NOW, PG_URL, xiao_li_month

# Several writer processes each: the fast loop (pytest -m "not slow") skips them; CI runs them.
pytestmark = pytest.mark.slow

WRITER = str(Path(__file__).with_name("writer.py"))


def run_writers(store: str, ranges: list[tuple[int, int]], busy_timeout: float) -> tuple[int, float]:
    """Run one writer process per range at once; return (busy errors retried, shortest busy wait)."""
    processes = [
        subprocess.Popen(
            [sys.executable, WRITER, store, str(first), str(count), "--batch", "300", "--chunk", "100",
             "--busy-timeout", str(busy_timeout)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for first, count in ranges
    ]
    busy, shortest = 0, float("inf")
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        found = re.search(r"done busy=(\d+) waited=([\d.]+)", out)
        assert found, out
        if int(found[1]):
            busy += int(found[1])
            shortest = min(shortest, float(found[2]))
    return busy, shortest


def overlapping(writers: int, each: int) -> tuple[list[tuple[int, int]], int]:
    """Writer k imports ids [k·each/2, k·each/2 + each): each id is sent by one or two writers."""
    step = each // 2
    return [(k * step, each) for k in range(writers)], (writers - 1) * step + each


def check_chain(rows: Callable[[str], list[tuple[Any, ...]]], unique: int) -> tuple[int, int]:
    """Assert no fork and one booking per id; return (entries, forks)."""
    ((entries, parents, events),) = rows(
        "SELECT COUNT(*), COUNT(DISTINCT prev_hash), COUNT(DISTINCT event_id) FROM entries"
    )
    ((booked,),) = rows("SELECT COUNT(*) FROM events WHERE status = 'booked'")
    assert (events, booked) == (unique, unique)
    assert entries == writer.entries_for(0, unique)
    return entries, entries - parents


def test_four_processes_import_overlapping_sets_into_one_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    gp.Engine(str(path), load_entrypoints=False).close()
    ranges, unique = overlapping(4, 6000)
    began = time.monotonic()
    busy, shortest = run_writers(str(path), ranges, busy_timeout=0.05)
    elapsed = time.monotonic() - began
    conn = sqlite3.connect(path)
    entries, forks = check_chain(lambda q: conn.execute(q).fetchall(), unique)
    assert forks == 0
    with gp.Engine(str(path), load_entrypoints=False) as engine:
        assert engine.ledger.verify().entries == entries
    print(f"\nsqlite concurrency: writers=4 events-sent={sum(c for _, c in ranges)} unique={unique} "
          f"entries={entries} forks={forks} lost=0 busy-retried={busy} "
          f"shortest-busy-wait={shortest if busy else 0:.3f}s (timeout 0.05s) time={elapsed:.1f}s")
    if busy:
        assert shortest >= 0.05


def test_a_busy_sqlite_file_is_store_busy_after_the_timeout_and_books_nothing(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    engine = gp.Engine(gp.SQLiteStore(str(path), timeout=0.3), load_entrypoints=False, clock=lambda: NOW)
    engine.add_members([gp.Member(id="M001", region="urban")])
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    for attempt in (lambda: engine.ingest(xiao_li_month()),
                    lambda: gp.Engine(gp.SQLiteStore(str(path), timeout=0.3), load_entrypoints=False)):
        began = time.monotonic()
        with pytest.raises(gp.StoreBusyError, match="locked by another writer"):
            attempt()
        assert 0.3 <= time.monotonic() - began < 3
    other.execute("ROLLBACK")
    assert engine.ledger.head()[0] == 0
    assert len(engine.ingest(xiao_li_month()).accepted) == 23
    engine.close()


@pytest.mark.postgres
def test_eight_processes_import_overlapping_sets_into_one_postgres_schema(pg_url: str, pg_schema: str) -> None:
    gp.Engine(pg_url, load_entrypoints=False).close()
    ranges, unique = overlapping(8, 3000)
    began = time.monotonic()
    busy, shortest = run_writers(pg_url, ranges, busy_timeout=0.05)
    elapsed = time.monotonic() - began
    import psycopg
    from psycopg import sql

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(pg_schema)))
        entries, forks = check_chain(lambda q: conn.execute(q).fetchall(), unique)  # type: ignore[arg-type]
        ((shared_parents,),) = conn.execute(
            "SELECT COUNT(*) FROM (SELECT prev_hash FROM entries GROUP BY prev_hash HAVING COUNT(*) > 1) AS f"
        ).fetchall()
    assert forks == shared_parents == 0
    with gp.Engine(pg_url, load_entrypoints=False) as engine:
        assert engine.ledger.verify().entries == entries
    print(f"\npostgres concurrency: writers=8 events-sent={sum(c for _, c in ranges)} unique={unique} "
          f"entries={entries} forks={forks} lost=0 busy-retried={busy} "
          f"shortest-busy-wait={shortest if busy else 0:.3f}s (lock_timeout 0.05s) time={elapsed:.1f}s")
    if busy:
        assert shortest >= 0.05
