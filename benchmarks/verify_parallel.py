"""A trial: ``verify()``'s passes run side by side in processes (docs/performance.md).

    python -m benchmarks.verify_cold build ledger.db 5000       # a demo-month ledger
    python -m benchmarks.verify_parallel ledger.db --workers 2 --stretches 2

Times, on one SQLite file: ``Ledger.verify()`` as shipped; the trial's jobs one after the other
in this process; the same jobs in a pool of ``--workers`` forked processes. The jobs are the
passes that take nearly all of ``verify()``'s time: the chain cut into ``--stretches`` stretches
of seq (``verify_rows`` with ``start``: a stretch starts after the stored hash of the entry before
it, which its own first row must link to and the stretch before must have recomputed), the event
rows against their entries and decisions, and the intake log. Left out, being a few rows each:
the closes, settlements and rule-set versions (``check_bindings``' other parts) and anchors.
Every job must pass for the trial to count; the file must not be written to while it runs.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from gridpoints.ledger import Ledger
from gridpoints.ledger.bindings import _events, event_acts
from gridpoints.ledger.chain import verify_rows
from gridpoints.ledger.intake_check import check_intakes
from gridpoints.schema import GENESIS, DecisionRow
from gridpoints.stores.sql import ENTRY_SELECT
from gridpoints.stores.sqlite import SQLiteStore

__all__ = ["main", "plan"]

T = TypeVar("T")

#: A job: its name and whether its pass found the file intact.
Outcome = tuple[str, bool]
#: ``event id → action → decision seq``, read once by ``plan`` for the jobs that need it.
Acts = dict[str, dict[str, int]]


def chain_stretch(path: str, first: int, last: int, after: str, decisions: dict[int, DecisionRow]) -> Outcome:
    """Entries ``first``…``last`` recomputed from their columns, starting after hash ``after``;
    ``decisions`` are the decision rows of those seqs."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute(f"{ENTRY_SELECT} WHERE seq BETWEEN ? AND ? ORDER BY seq", (first, last))
        result = verify_rows(rows, decisions, start=(first, after))
        return f"chain {first}–{last}", bool(result) and result.entries == last - first + 1
    finally:
        conn.close()


def event_rows(path: str, acts: Acts) -> Outcome:
    """Every event row against its own entries and decisions (``bindings._events``)."""
    store = SQLiteStore(path)
    try:
        return "events", _events(store, acts) is None
    finally:
        store.close()


def intake_log(path: str, acts: Acts) -> Outcome:
    """The intake log's chain and each intake's digest over its event rows."""
    store = SQLiteStore(path)
    try:
        return "intakes", check_intakes(store, acts, None, []) is None
    finally:
        store.close()


def plan(path: str, stretches: int) -> list[tuple[Callable[..., Outcome], tuple[object, ...]]]:
    """The jobs: the chain in ``stretches`` stretches, the event rows, the intake log. Each
    stretch starts after the stored hash of the entry before it (read here, one row each); the
    decision rows are read here once for all of them."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        head = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM entries").fetchone()[0]
        size = -(-head // stretches)
        bounds = [(first, min(first + size - 1, head)) for first in range(1, head + 1, size)]
        afters = [GENESIS] + [
            conn.execute("SELECT hash FROM entries WHERE seq = ?", (first - 1,)).fetchone()[0]
            for first, _ in bounds[1:]
        ]
    finally:
        conn.close()
    store = SQLiteStore(path)
    try:
        decisions = {row.seq: row for row in store.decision_rows()}
    finally:
        store.close()
    acts = event_acts(decisions.values())
    jobs: list[tuple[Callable[..., Outcome], tuple[object, ...]]] = [
        (chain_stretch, (path, first, last, after, {s: row for s, row in decisions.items() if first <= s <= last}))
        for (first, last), after in zip(bounds, afters, strict=True)
    ]
    return [*jobs, (event_rows, (path, acts)), (intake_log, (path, acts))]


def _in_turn(path: str, stretches: int) -> list[Outcome]:
    return [job(*args) for job, args in plan(path, stretches)]


def _in_pool(path: str, stretches: int, workers: int) -> list[Outcome]:
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(job, *args) for job, args in plan(path, stretches)]
        return [future.result() for future in futures]


def _timed(work: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.verify_parallel", description=__doc__.splitlines()[0])
    parser.add_argument("ledger", help="an SQLite ledger (python -m benchmarks.verify_cold build …)")
    parser.add_argument("--workers", type=int, default=2, help="processes in the pool (default 2)")
    parser.add_argument("--stretches", type=int, default=2, help="stretches the chain is cut into (default 2)")
    args = parser.parse_args(argv)
    path, stretches, workers = args.ledger, args.stretches, args.workers
    store = SQLiteStore(path)
    entries = store.head()[0]
    seconds, verified = _timed(lambda: Ledger(store).verify())
    store.close()
    print(f"{'Ledger.verify()':30s} {seconds:7.3f} s {entries / seconds:10,.0f} entries/s  ok={bool(verified)}")
    runs: list[tuple[str, Callable[[], list[Outcome]]]] = [
        ("trial jobs, in turn", lambda: _in_turn(path, stretches)),
        (f"trial jobs, {workers} processes", lambda: _in_pool(path, stretches, workers)),
    ]
    for label, run in runs:
        seconds, outcomes = _timed(run)
        ok = all(passed for _, passed in outcomes)
        print(f"{label:30s} {seconds:7.3f} s {entries / seconds:10,.0f} entries/s  ok={ok}")
    for job, job_args in plan(path, stretches):
        start = time.perf_counter()
        name, _ = job(*job_args)
        print(f"  {name:28s} {time.perf_counter() - start:7.3f} s alone")


if __name__ == "__main__":
    main()
