"""The scenarios, each meant to run alone in a fresh process (``python -m benchmarks.scenarios``).

A scenario builds what it needs (untimed), times one thing, and prints one JSON line: the item
count, the seconds, the resident memory when timing started and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import gridpoints as gp
from benchmarks.baselines import article_scores, ledger_shaped_rows, naive_scores, peer_scorers, raw_sqlite_insert
from benchmarks.dense import DENSE_SCENARIOS, ORDERS
from benchmarks.workload import LAST_MONTH, SHANGHAI, Workload, make_engine
from gridpoints._decimal import ZERO
from gridpoints.cli.demo import write_demo_csv
from gridpoints.cli.importing import BadRow, Counts, import_events, open_all
from gridpoints.cli.progress import Progress
from gridpoints.cli.records import REQUIRED_EVENT_FIELDS

__all__ = ["SCENARIOS", "main", "run"]

Result = dict[str, Any]
T = TypeVar("T")


def _rss_mb() -> float:
    """Current resident set size in MB (Linux /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


def _peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (ru_maxrss is KB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def _timed(unit: str, work: Callable[[], T], count: Callable[[T], int]) -> tuple[Result, T]:
    """Time ``work()`` alone; the result says how many ``unit`` it handled (``count`` of its value)."""
    start_rss = _rss_mb()
    start = time.perf_counter()
    value = work()
    seconds = time.perf_counter() - start
    return {"count": count(value), "unit": unit, "seconds": seconds, "start_rss_mb": start_rss}, value


def _batches(events: Iterator[gp.Event], size: int) -> Iterator[list[gp.Event]]:
    while batch := list(itertools.islice(events, size)):
        yield batch


def generate(w: Workload, opts: argparse.Namespace) -> Result:
    """Stream the demo generator (Event construction and validation included)."""
    members = w.member_list()
    return _timed("events", lambda: sum(1 for _ in w.events(members)), int)[0]


def naive(w: Workload, opts: argparse.Namespace) -> Result:
    """The plain dict-lookup loop over the materialized events."""
    events = list(w.events())
    return _timed("events", lambda: naive_scores(events), lambda _: len(events))[0]


def article(w: Workload, opts: argparse.Namespace) -> Result:
    """The source article's GridMember class as written, one method call per event."""
    events = list(w.events())
    return _timed("events", lambda: article_scores(events), lambda _: len(events))[0]


def peer(name: str) -> Callable[[Workload, argparse.Namespace], Result]:
    def scenario(w: Workload, opts: argparse.Namespace) -> Result:
        scorer = peer_scorers()[name]
        if scorer is None:
            return {"skipped": f"{name} is not installed (pip install -e '.[bench]')"}
        events = list(itertools.islice(w.events(), opts.peer_limit or None))
        return _timed("events", lambda: scorer(events), lambda _: len(events))[0]

    scenario.__doc__ = f"The peer engine {name} evaluating the standard rule table per event."
    return scenario


def dispatch(w: Workload, opts: argparse.Namespace) -> Result:
    """The engine's compiled rule dispatch alone (version by time, first matching rule, Decimal
    points × quantity summed per member): what the peers do, without validation or the ledger."""
    engine = make_engine()
    rulebook = engine.rulebook
    events = list(w.events())

    def score() -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for event in events:
            version = rulebook.version_at(event.occurred_at)
            rule = version.match(event.kind, event.attributes) if version is not None else None
            if rule is not None:
                totals[event.member_id] = totals.get(event.member_id, ZERO) + rule.points * event.quantity
        return totals

    return _timed("events", score, lambda _: len(events))[0]


def memory(w: Workload, opts: argparse.Namespace) -> Result:
    """The full pipeline on the in-memory store, one ingest call over materialized events."""
    return _memory(w, checks=True)


def memory_nochecks(w: Workload, opts: argparse.Namespace) -> Result:
    """As ``memory`` with the anti-gaming checks off: what the checks cost is the difference."""
    return _memory(w, checks=False)


def _memory(w: Workload, *, checks: bool) -> Result:
    engine = make_engine(checks=checks)
    members = w.member_list()
    engine.add_members(members)
    events = list(w.events(members))
    timed, result = _timed("events", lambda: engine.ingest(events), lambda _: len(events))
    return {**timed, "entries": result.entries, "head": engine.ledger.head()[1], **_outcomes(result)}


def _outcomes(result: gp.IngestResult) -> Result:
    return {
        "accepted": len(result.accepted),
        "held": len(result.held),
        "rejected": len(result.rejected),
        "duplicates": len(result.duplicates),
    }


def sqlite(w: Workload, opts: argparse.Namespace) -> Result:
    """The full pipeline on a new SQLite file, one ingest call (one transaction)."""
    _fresh(opts.db)
    engine = make_engine(opts.db)
    members = w.member_list()
    engine.add_members(members)
    events = list(w.events(members))
    timed, result = _timed("events", lambda: engine.ingest(events), lambda _: len(events))
    head = engine.ledger.head()[1]
    engine.close()
    return {**timed, "entries": result.entries, "head": head, **_outcomes(result)}


def raw_sqlite(w: Workload, opts: argparse.Namespace) -> Result:
    """executemany of one ledger-shaped row per event into the store's schema, one transaction."""
    _fresh(opts.db)
    rows = ledger_shaped_rows(w.events())
    return _timed("rows", lambda: raw_sqlite_insert(opts.db, rows), lambda _: len(rows))[0]


def _existing_ledger(path: str, *, scorecard: bool = False) -> gp.Engine:
    """An engine on the ledger at ``path``; exits if there is none (timing it would mean nothing)."""
    if not os.path.exists(path):
        raise SystemExit(f"{path}: no ledger; run the scenario that builds it first")
    engine = make_engine(path, scorecard=scorecard)
    if engine.ledger.head()[0] == 0:
        raise SystemExit(f"{path}: the ledger is empty; run the scenario that builds it first")
    return engine


def verify(w: Workload, opts: argparse.Namespace) -> Result:
    """``ledger.verify()`` of an existing SQLite ledger, from a cold process."""
    engine = _existing_ledger(opts.db)
    timed, outcome = _timed("entries", engine.ledger.verify, lambda v: v.entries)
    if not outcome:
        raise SystemExit(f"verify failed: {outcome}")
    return timed


def report(w: Workload, opts: argparse.Namespace) -> Result:
    """The monthly report of the workload's last month from an existing SQLite ledger (with
    ``--scorecard``, a ledger built under the benchmark scorecard: the derived report)."""
    engine = _existing_ledger(opts.db, scorecard=opts.scorecard)
    timed, _ = _timed("members", lambda: engine.report(LAST_MONTH), len)
    return {**timed, "ledger_entries": engine.ledger.head()[0]}


def stream(w: Workload, opts: argparse.Namespace) -> Result:
    """Stream the generator into a new SQLite file, ``--batch`` events per ingest call.

    Nothing is materialized, so the peak RSS is what a streaming import costs. (The CSV import
    of the command line streams rows the same way once it exists.) With ``--scorecard`` the
    ledger is booked under the benchmark scorecard (for ``report --scorecard``).
    """
    _fresh(opts.db)
    engine = make_engine(opts.db, scorecard=opts.scorecard)
    members = w.member_list()
    engine.add_members(members)

    timed, _ = _timed("events", lambda: _count_stream(engine, w, members, opts.batch), int)
    entries = engine.ledger.head()[0]
    engine.close()
    return {**timed, "ledger_entries": entries}


def _count_stream(engine: gp.Engine, w: Workload, members: list[gp.Member], batch: int) -> int:
    total = 0
    for events in _batches(w.events(members), batch):
        result = engine.ingest(events)
        total += len(result.accepted) + len(result.held) + len(result.rejected) + len(result.duplicates)
    return total


def csv_import(w: Workload, opts: argparse.Namespace) -> Result:
    """The command line's streaming CSV import (the code behind ``gridpoints ingest``).

    The workload is first written to ``events.csv`` the way ``gridpoints demo --write-csv`` writes
    it (untimed, streamed); then the import reads it row by row, ``--batch`` rows per ingest
    call, into a new SQLite file. Peak RSS covers both phases.
    """
    _fresh(opts.db)
    directory = Path(f"{opts.db}.csv")
    members = w.member_list()
    write_demo_csv(directory, members, w.events(members), SHANGHAI)
    engine = make_engine(opts.db)
    engine.add_members(members)
    sources = open_all([directory / "events.csv"], REQUIRED_EVENT_FIELDS, None)
    bad: list[str] = []

    def work() -> Counts:
        total = Counts()
        quiet = Progress(sys.stderr, enabled=False)
        def report(row: BadRow) -> None:
            bad.append(row.text())

        for _, counts in import_events(
            engine, sources, assume=None, report=report, progress=quiet, batch_size=opts.batch
        ):
            total.add(counts)
        return total

    timed, total = _timed("rows", work, lambda counts: counts.rows)
    for source in sources:
        source.close()
    size_mb = (directory / "events.csv").stat().st_size / 2**20
    entries = engine.ledger.head()[0]
    engine.close()
    return {
        **timed,
        "file_mb": round(size_mb, 1),
        "ledger_entries": entries,
        "accepted": total.accepted,
        "held": total.held,
        "rejected": total.rejected,
        "duplicates": total.duplicate,
        "first_bad_rows": bad[:3],
    }


def _fresh(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


SCENARIOS: dict[str, Callable[[Workload, argparse.Namespace], Result]] = {
    "generate": generate,
    "naive": naive,
    "article": article,
    "business-rules": peer("business-rules"),
    "rule-engine": peer("rule-engine"),
    "dispatch": dispatch,
    "memory": memory,
    "memory-nochecks": memory_nochecks,
    "sqlite": sqlite,
    "raw-sqlite": raw_sqlite,
    "verify": verify,
    "report": report,
    "stream": stream,
    "csv": csv_import,
}


def _dense(name: str) -> Callable[[Workload, argparse.Namespace], Result]:
    """A dense-workload scenario (``--events``, ``--order``): the workload is its own."""

    def scenario(w: Workload, opts: argparse.Namespace) -> Result:
        return {**DENSE_SCENARIOS[name](opts, _timed), "order": opts.order, "events": opts.events}

    scenario.__doc__ = DENSE_SCENARIOS[name].__doc__
    return scenario


SCENARIOS.update({name: _dense(name) for name in DENSE_SCENARIOS})


def run(name: str, w: Workload, opts: argparse.Namespace) -> Result:
    """Run one scenario in this process; add the peak RSS."""
    result = SCENARIOS[name](w, opts)
    return {"scenario": name, "members": w.members, "months": w.months, **result, "peak_rss_mb": _peak_rss_mb()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scenarios")
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--members", type=int, required=True)
    parser.add_argument("--months", type=int, default=1)
    parser.add_argument("--db", default="bench.db")
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--peer-limit", type=int, default=0)
    parser.add_argument("--scorecard", action="store_true", help="stream/report: under the benchmark scorecard")
    parser.add_argument("--events", type=int, default=10_000, help="dense-*: events in the dense workload")
    parser.add_argument("--order", choices=ORDERS, default="random", help="dense-*: the order events arrive in")
    opts = parser.parse_args(argv)
    print(json.dumps(run(opts.scenario, Workload(opts.members, opts.months), opts)))


if __name__ == "__main__":
    main()
