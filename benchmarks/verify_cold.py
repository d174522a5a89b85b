"""``verify()`` of a demo-month SQLite ledger in a cold process, for before/after comparisons.

    python -m benchmarks.verify_cold build ledger.db 5000   # the demo month of 5,000 members
    python -m benchmarks.verify_cold verify ledger.db after  # one timed verify, one line
    python -m benchmarks.verify_cold verify ledger.db before --shared-statement
    python -m benchmarks.verify_cold verify 'postgresql://postgres@127.0.0.1/test?schema=s' after

``--shared-statement``: the event bindings read by the statement the SQL stores share
(``SQLStore.event_bindings``, a grouped join) instead of the SQLite store's two ordered reads
merged in Python, or PostgreSQL's own statement — what ``verify()`` ran before either. A
``postgresql://`` URL in place of the file verifies that PostgreSQL schema instead.

Run both with ``PYTHONPATH`` at another checkout's ``src`` to measure that version (build its
own file: a store opened by a newer version is migrated). Alternate the versions a few times:
the development machine is shared (docs/performance.md).
"""

from __future__ import annotations

import resource
import sys
import time
from datetime import UTC, datetime
from typing import Any

import gridpoints as gp
from gridpoints.demo import demo_events, demo_members
from gridpoints.ledger import Ledger
from gridpoints.stores.sql import SQLStore
from gridpoints.stores.sqlite import SQLiteStore

__all__ = ["build", "main", "verify"]

_BATCH = 10_000


def build(path: str, members: int) -> str:
    """Ingest the demo month of ``members`` members into a new SQLite file, in calls of 10,000."""
    people = demo_members(members)
    with gp.Engine(path, load_entrypoints=False, clock=lambda: datetime(2027, 1, 1, tzinfo=UTC)) as engine:
        engine.add_members(people)
        batch: list[gp.Event] = []
        for event in demo_events(people):
            batch.append(event)
            if len(batch) == _BATCH:
                engine.ingest(batch)
                batch = []
        engine.ingest(batch)
        events = engine.store.event_rows()
        held = sum(1 for row in events if row.status == "held")
        return f"{gp.__file__}: {engine.ledger.head()[0]} entries, {len(events)} events, {held} held"


def verify(path: str, label: str, *, shared_statement: bool = False) -> str:
    """Time ``Ledger(store).verify()`` in this process (``path``: a SQLite file or a PostgreSQL
    URL); its peak RSS."""
    store: SQLStore[Any, Any]
    if path.startswith(("postgresql://", "postgres://")):
        from gridpoints.stores.postgres import PostgresStore

        store = PostgresStore(path)
    else:
        store = SQLiteStore(path)
    if shared_statement:
        shared = SQLStore.event_bindings
        store.event_bindings = lambda: shared(store)  # type: ignore[method-assign, misc]
    start = time.perf_counter()
    result = Ledger(store).verify()
    elapsed = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    store.close()
    return f"{label} ok={result.ok} entries={result.entries} verify={elapsed:.3f}s rss={rss:.1f}MB"


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "build" and argv[2].isdigit():
        print(build(argv[1], int(argv[2])))
        return 0
    if len(argv) in (3, 4) and argv[0] == "verify" and argv[3:] in ([], ["--shared-statement"]):
        print(verify(argv[1], argv[2], shared_statement=len(argv) == 4))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
