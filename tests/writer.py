"""A writer process for the crash and concurrency tests: imports a deterministic range of events.

Run as ``python tests/writer.py STORE FIRST COUNT [options]``. It prints ``ready`` once the store
is open, ``ack B`` after batch B's ``ingest`` returned (so the batch is durable), and finally
``done busy=N waited=S`` (N StoreBusyErrors retried; S the shortest time one of them took to
arrive). Any other exception ends the process with a traceback and a non-zero status.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import gridpoints as gp

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 1, 6, tzinfo=SHANGHAI)
NOW = datetime(2027, 1, 1, tzinfo=SHANGHAI)
MEMBERS = 50
T = TypeVar("T")


def members() -> list[gp.Member]:
    return [gp.Member(id=f"M{n:02d}", region="rural" if n % 3 else "urban") for n in range(MEMBERS)]


def event(index: int) -> gp.Event:
    """Event ``index``: mostly patrols, some services, mediations and late-reported hazards."""
    occurred = START + timedelta(seconds=41 * index)
    member = f"M{index % MEMBERS:02d}"
    kind = ("patrol",) * 6 + ("service", "mediation", "hazard", "hazard")
    chosen = kind[index % 10]
    if chosen == "hazard" and index % 20 == 8:  # reported 30 hours late: a derived deduction too
        return gp.Event(f"e{index}", member, chosen, occurred, reported_at=occurred + timedelta(hours=30))
    return gp.Event(f"e{index}", member, chosen, occurred)


def entries_for(first: int, count: int) -> int:
    """How many ledger entries events ``first … first + count - 1`` book."""
    return count + sum(1 for i in range(first, first + count) if i % 20 == 8)


def open_engine(store: str, busy_timeout: float | None) -> gp.Engine:
    """An engine on a SQLite path or a PostgreSQL URL, with the given lock timeout."""
    target: gp.Store | str = store
    if store.startswith(("postgresql://", "postgres://")):
        if busy_timeout is not None:
            target = f"{store}{'&' if '?' in store else '?'}lock_timeout={busy_timeout}"
    elif busy_timeout is not None:
        target = gp.SQLiteStore(store, timeout=busy_timeout)
    # Built-in checks off: these imports test storage, and 41 s apart every event would be a burst.
    return gp.Engine(target, load_entrypoints=False, checks=False, clock=lambda: NOW)


class Busy:
    """Retries an action on StoreBusyError, counting them and the shortest time one took."""

    def __init__(self) -> None:
        self.count = 0
        self.shortest = float("inf")

    def retry(self, action: Callable[[], T]) -> T:
        while True:
            began = time.monotonic()
            try:
                return action()
            except gp.StoreBusyError:
                self.count += 1
                self.shortest = min(self.shortest, time.monotonic() - began)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("first", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("--batch", type=int, default=400)
    parser.add_argument("--chunk", type=int, default=100, help="pipeline chunk: appends per batch = batch/chunk")
    parser.add_argument("--busy-timeout", type=float, default=None)
    args = parser.parse_args()

    busy = Busy()
    engine = busy.retry(lambda: open_engine(args.store, args.busy_timeout))
    engine.pipeline.chunk_size = args.chunk
    busy.retry(lambda: engine.add_members(members()))
    print("ready", flush=True)
    for number, start in enumerate(range(args.first, args.first + args.count, args.batch)):
        batch = [event(i) for i in range(start, min(start + args.batch, args.first + args.count))]
        result = busy.retry(lambda batch=batch: engine.ingest(batch))  # type: ignore[misc]
        if result.rejected or result.held or len(result.accepted) + len(result.duplicates) != len(batch):
            sys.exit(f"batch {number}: unexpected outcome {result!r}")
        print(f"ack {number}", flush=True)
    engine.close()
    print(f"done busy={busy.count} waited={busy.shortest if busy.count else 0:.3f}", flush=True)


if __name__ == "__main__":
    main()
