"""The dense workload of issue 13 and its scenarios: a month's export in any order.

``DenseWorkload(events)``: ``events // 200`` demo members, 200 events each over 29 days of
November 2026 (patrols, services, hazards, activities, mediations with locations), in one of
three orders — ``random`` (shuffled), ``time`` (by occurred_at, then id) or ``member`` (by
member, then time), as district platforms export them. Deterministic for a seed.

The floors are stricter than ``raw_sqlite_insert``: one row per event into a *plain* table with
the entry's columns and only a unique index on the event id (WAL, synchronous=FULL), and for
PostgreSQL a ``COPY`` of the same rows into the same plain table.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

import gridpoints as gp
from benchmarks.baselines import ledger_shaped_rows, naive_scores, peer_scorers
from benchmarks.workload import SHANGHAI, make_engine
from gridpoints.demo import demo_members

if TYPE_CHECKING:
    from types import ModuleType

    from benchmarks.native_core import NativeVerifyOnce, NativeVerifySplit, SkeletonResult
    from gridpoints.ledger.chain import Verification

__all__ = [
    "DENSE_EVENTS", "DENSE_SCENARIOS", "ORDERS", "PLAIN_INDEX", "PLAIN_TABLE", "DenseWorkload", "drop_schema",
    "postgres_url", "remove_database",
]  # fmt: skip

Result = dict[str, Any]
Timer = Callable[..., tuple[Result, Any]]

#: Events of the dense workload per named size (the issue: 100,000 at medium, 1,000,000 at full).
DENSE_EVENTS = {"quick": 10_000, "medium": 100_000, "full": 1_000_000}
ORDERS = ("random", "time", "member")
EVENTS_PER_MEMBER = 200
DAYS = 29
_KINDS = (("patrol", 60), ("service", 20), ("hazard", 10), ("activity", 6), ("mediation", 4))

#: The floor's table: the entry's columns, no other index than the unique event id.
PLAIN_TABLE = (
    "CREATE TABLE plain (seq INTEGER, member_id TEXT, event_id TEXT, kind TEXT, period TEXT, day TEXT, "
    "points_cents INTEGER, coefficient TEXT, quantity TEXT, rule TEXT, ruleset TEXT, version TEXT, "
    "digest TEXT, reason TEXT, ref TEXT, prev_hash TEXT, hash TEXT)"
)
PLAIN_INDEX = "CREATE UNIQUE INDEX plain_event ON plain (event_id)"


@attrs.frozen
class DenseWorkload:
    """``events`` events of ``events // 200`` members over 29 days, in ``order``; ``booked_by``
    gives them with a benchmark engine that knows their members."""

    events: int
    order: str = "random"
    seed: int = 2026

    @property
    def members(self) -> int:
        return max(1, self.events // EVENTS_PER_MEMBER)

    def member_list(self) -> list[gp.Member]:
        return demo_members(self.members, seed=self.seed)

    def booked_by(self, store: str | None = None, *, checks: bool = True) -> tuple[gp.Engine, list[gp.Event]]:
        """A benchmark engine on ``store`` (None: in memory) with the workload's members, and
        the events to ingest into it."""
        engine = make_engine(store, checks=checks)
        members = self.member_list()
        engine.add_members(members)
        return engine, self.build(members)

    def build(self, members: list[gp.Member] | None = None) -> list[gp.Event]:
        """The events, materialized, in the workload's order."""
        members = self.member_list() if members is None else members
        rng = random.Random(f"dense:{self.seed}")
        kinds = [k for k, _ in _KINDS]
        weights = [w for _, w in _KINDS]
        first = datetime(2026, 11, 1, tzinfo=SHANGHAI)
        events: list[gp.Event] = []
        for n in range(self.events):
            member = members[n % len(members)]
            kind = rng.choices(kinds, weights)[0]
            at = first + timedelta(days=rng.randrange(DAYS), hours=rng.randint(7, 20), minutes=rng.randrange(60))
            attributes: dict[str, object] = {"location": f"{member.grid or member.region}-P{rng.randint(1, 12)}"}
            if kind == "hazard":
                attributes["severity"] = "major" if rng.random() < 0.2 else "general"
            if kind in ("hazard", "mediation") and rng.random() < 0.9:
                attributes["evidence"] = f"ev-{n}.jpg"
            events.append(gp.Event(f"d{n:07d}", member.id, kind, at, attributes=attributes))
        if self.order == "random":
            rng.shuffle(events)
        elif self.order == "time":
            events.sort(key=lambda e: (e.occurred_at, e.id))
        else:
            events.sort(key=lambda e: (e.member_id, e.occurred_at, e.id))
        return events


def postgres_url(schema: str) -> str | None:
    """The benchmark's PostgreSQL store URL (``GRIDPOINTS_BENCH_POSTGRES``, default the local
    test server) on its own schema; None when the server does not answer."""
    base = os.environ.get("GRIDPOINTS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        import psycopg

        with psycopg.connect(base, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception:
        return None
    return f"{base}{'&' if '?' in base else '?'}schema={schema}"


def drop_schema(schema: str) -> None:
    import psycopg
    from psycopg import sql

    base = os.environ.get("GRIDPOINTS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _outcomes(result: gp.IngestResult) -> Result:
    return {"accepted": len(result.accepted), "held": len(result.held), "rejected": len(result.rejected),
            "duplicates": len(result.duplicates), "entries": result.entries}  # fmt: skip


def _workload(opts: argparse.Namespace) -> DenseWorkload:
    return DenseWorkload(opts.events, opts.order)


def dense_naive(opts: argparse.Namespace, timed: Timer) -> Result:
    """The naive dict-lookup loop over the dense events."""
    events = _workload(opts).build()
    return timed("events", lambda: naive_scores(events), lambda _: len(events))[0]


def dense_peer(opts: argparse.Namespace, timed: Timer) -> Result:
    """business-rules evaluating the standard rule table per event (``--peer-limit`` events)."""
    scorer = peer_scorers()["business-rules"]
    if scorer is None:
        return {"skipped": "business-rules is not installed (pip install -e '.[bench]')"}
    events = _workload(opts).build()[: opts.peer_limit or None]
    return timed("events", lambda: scorer(events), lambda _: len(events))[0]


def dense_memory(opts: argparse.Namespace, timed: Timer) -> Result:
    """The pipeline on the in-memory store, one ingest call, built-in checks on."""
    engine, events = _workload(opts).booked_by()
    result, outcome = timed("events", lambda: engine.ingest(events), lambda _: len(events))
    return {**result, **_outcomes(outcome)}


def dense_nochecks(opts: argparse.Namespace, timed: Timer) -> Result:
    """The pipeline on the in-memory store, one ingest call, checks off: what the native-core
    skeleton does, in Python."""
    engine, events = _workload(opts).booked_by(checks=False)
    result, outcome = timed("events", lambda: engine.ingest(events), lambda _: len(events))
    return {**result, **_outcomes(outcome)}


def _native(opts: argparse.Namespace, timed: Timer, store: str | None) -> Result:
    """The native-core skeleton (benchmarks/native_core) on ``store``, one call, checks off;
    ``native_seconds`` is its C pass alone, ``append_seconds`` the store's ``append`` of the rows
    and ``commit_seconds`` the commit; ``intake_lines_seconds`` (measured after the call, over the
    same rows) is the intake log's per-row hashing (``event_line``), part of the store's work."""
    from benchmarks.native_core import NativeSkeleton, build
    from gridpoints.stores.intakes import event_line

    try:
        module = build()
    except RuntimeError as error:
        return {"skipped": f"the native skeleton cannot be built here: {str(error).splitlines()[0]}"}
    engine, events = _workload(opts).booked_by(store, checks=False)
    skeleton = NativeSkeleton(engine, module)
    result, outcome = timed("events", lambda: skeleton.ingest(events), lambda _: len(events))
    engine.close()
    started = time.perf_counter()
    for row in skeleton.last_rows:
        event_line(row)
    lines = time.perf_counter() - started
    return {
        **result, **_skeleton_outcomes(outcome),
        "native_seconds": round(skeleton.native_seconds, 3), "append_seconds": round(skeleton.append_seconds, 3),
        "commit_seconds": round(skeleton.commit_seconds, 3), "intake_lines_seconds": round(lines, 3),
    }  # fmt: skip


def _skeleton_outcomes(outcome: SkeletonResult) -> Result:
    return {"accepted": len(outcome.accepted), "held": 0, "rejected": len(outcome.rejected),
            "duplicates": len(outcome.duplicates), "entries": outcome.entries}  # fmt: skip


def dense_native(opts: argparse.Namespace, timed: Timer) -> Result:
    """The native-core skeleton on the in-memory store (see ``_native``)."""
    return _native(opts, timed, None)


def dense_native_columns(opts: argparse.Namespace, timed: Timer) -> Result:
    """The per-event core over columns (benchmarks/native_core, ``NativeColumns``), in memory, one
    call, checks off: the events packed into columns untimed (as the baselines' inputs are built
    untimed), then timed the C pass alone over them (``seconds`` is the pass as ``columns.c``
    clocks it; its rows stay in C arenas, nothing goes to the store). ``tail_seconds`` of it went
    to the tail cache's misses (a call back into Python per member, rule, month and quantity,
    ``tail_misses`` of them); ``wall_seconds`` is the whole ``run`` (the store's head and known
    ids read, the zone table built, the C pass)."""
    from benchmarks.native_core import NativeColumns, build, pack

    try:
        module = build("columns")
        build("skeleton")  # the columns take the skeleton's rule tables
    except RuntimeError as error:
        return {"skipped": f"the native columns cannot be built here: {str(error).splitlines()[0]}"}
    engine, events = _workload(opts).booked_by(checks=False)
    columns = NativeColumns(engine, module)
    packed = pack(events, engine)
    del events  # no Event object is needed past the packing
    result, done = timed("events", lambda: columns.run(packed), lambda _: packed.count)
    return {
        **result, "seconds": done.seconds, "wall_seconds": round(result["seconds"], 3),
        "accepted": done.booked, "held": 0, "rejected": done.rejected, "duplicates": done.duplicates,
        "entries": done.booked, "tail_seconds": round(done.tail_seconds, 6), "tail_misses": done.tail_misses,
    }  # fmt: skip


def dense_native_checked(
    opts: argparse.Namespace, timed: Timer, grouped: bool = False, intake_format: str = "gpi1", threads: int = 1
) -> Result:
    """The core over columns with the built-in checks on and a native in-memory store
    (benchmarks/native_core, ``NativeChecked``), one call: what ``dense-random`` does — checks on
    running state, the entries, the event rows and the intake log's row — natively, the events
    packed into columns untimed. ``seconds`` is the whole ``run`` (the zone table and the call's
    tables built in Python, the C pass); ``native_seconds`` the C pass as ``checked.c`` clocks it,
    ``stage_seconds`` its stages (gather when grouped, input, judging, chaining, commit);
    ``tail_seconds`` of it went to the tail cache's misses (a call into Python each,
    ``tail_misses``). ``grouped``, ``intake_format`` and ``threads`` are the trial's options."""
    from benchmarks.native_core import NativeChecked, build, pack

    try:
        module = build("checked")
        build("skeleton")  # the core takes the skeleton's rule tables
    except RuntimeError as error:
        return {"skipped": f"the native checked core cannot be built here: {str(error).splitlines()[0]}"}
    engine, events = _workload(opts).booked_by()
    checked = NativeChecked(engine, module, grouped=grouped, intake_format=intake_format, threads=threads)
    packed = pack(events, engine)
    del events  # no Event object is needed past the packing
    result, done = timed("events", lambda: checked.run(packed), lambda _: packed.count)
    return {
        **result, "native_seconds": round(done.seconds, 6),
        "stage_seconds": {stage: round(seconds, 6) for stage, seconds in done.stages.items()},
        "accepted": done.booked, "held": done.held, "rejected": done.rejected, "duplicates": done.duplicates,
        "entries": done.booked, "tail_seconds": round(done.tail_seconds, 6), "tail_misses": done.tail_misses,
    }  # fmt: skip


def dense_native_checked_grouped(opts: argparse.Namespace, timed: Timer) -> Result:
    """``dense-native-checked`` with the call's columns gathered by member in its timed C pass
    (``NativeChecked(grouped=True)``): the same outcomes and store bytes; ``gather`` its first
    stage."""
    return dense_native_checked(opts, timed, grouped=True)


def dense_native_checked_gpi2(opts: argparse.Namespace, timed: Timer) -> Result:
    """``dense-native-checked-grouped`` with the trial intake format gpi2: the intake row's digest
    one SHA-256 over the rows' lines in judging order, no digest per row and no sort by id
    (``NativeChecked(grouped=True, intake_format="gpi2")``)."""
    return dense_native_checked(opts, timed, grouped=True, intake_format="gpi2")


def dense_native_checked_threads(opts: argparse.Namespace, timed: Timer) -> Result:
    """``dense-native-checked-gpi2`` with the commit's rows written on a second thread beside the
    chaining (``NativeChecked(grouped=True, intake_format="gpi2", threads=2)``): ``commit`` is
    that thread's own time, ``side_by_side`` both stages' wall clock."""
    return dense_native_checked(opts, timed, grouped=True, intake_format="gpi2", threads=2)


def dense_native_sqlite(opts: argparse.Namespace, timed: Timer) -> Result:
    """The native-core skeleton on a new SQLite file, one transaction (see ``_native``)."""
    remove_database(opts.db)
    return _native(opts, timed, opts.db)


def dense_native_writer(opts: argparse.Namespace, timed: Timer) -> Result:
    """The native-core skeleton on a new SQLite file, one call, checks off, its rows written by
    the native writer (benchmarks/native_core, ``NativeWriter``) with late indexes: the store's
    secondary indexes dropped before the rows and created after them, in the same transaction.
    ``native_seconds`` is the C pass, ``sort_seconds`` the event rows sorted into the judging
    order (member, time), ``writer_seconds`` the writer's whole write; inside it
    ``writer_insert_seconds`` binding and inserting the rows (each event row's intake line hashed),
    ``writer_intake_seconds`` the intake row, ``writer_index_seconds`` the indexes dropped and
    created, ``writer_commit_seconds`` the commit."""
    from benchmarks.native_core import NativeSkeleton, NativeWriter, build

    remove_database(opts.db)
    try:
        module, writer_module = build(), build("writer")
    except RuntimeError as error:
        return {"skipped": f"the native skeleton or writer cannot be built here: {str(error).splitlines()[0]}"}
    engine, events = _workload(opts).booked_by(opts.db, checks=False)
    skeleton, writer = NativeSkeleton(engine, module), NativeWriter(opts.db, writer_module)
    result, outcome = timed("events", lambda: skeleton.ingest(events, writer, late_indexes=True), lambda _: len(events))
    engine.close()
    write = skeleton.last_write
    assert write is not None  # the call went through the writer
    return {
        **result, **_skeleton_outcomes(outcome),
        "native_seconds": round(skeleton.native_seconds, 3), "sort_seconds": round(skeleton.sort_seconds, 3),
        "writer_seconds": round(skeleton.write_seconds, 3), "writer_insert_seconds": round(write.inserts, 3),
        "writer_intake_seconds": round(write.intake, 3), "writer_index_seconds": round(write.indexes, 3),
        "writer_commit_seconds": round(write.commit, 3),
    }  # fmt: skip


def dense_native_postgres(opts: argparse.Namespace, timed: Timer) -> Result:
    """One row per event on PostgreSQL, natively (benchmarks/native_core, ``NativePgCopy``): the
    core over columns' C pass, then its rows' binary COPY data built in C and sent with psycopg
    into ``store_rows``' merged table in a new schema, the intake row and the chain head written,
    the read indexes created after the rows, one transaction; checks off. The events are packed
    into columns untimed (``pack_seconds``, apart), as the floor's rows are built untimed. Parts:
    ``reads_seconds`` (the chain head locked and checked, the intake head; no look-up in a new
    schema), ``drop_seconds`` (the read indexes dropped: none in a new schema), ``pass_seconds``
    (``run_after``: the zone table and the C pass; ``native_seconds`` the C pass alone),
    ``build_seconds`` (the COPY data and the rows' intake lines, in C), ``send_seconds``
    (psycopg's writes and the end of the COPY), ``intake_seconds``, ``indexes_seconds``,
    ``commit_seconds``."""
    schema = f"gp_bench_native_{os.getpid()}"
    if postgres_url(schema) is None:
        return {"skipped": "no PostgreSQL server answers (GRIDPOINTS_BENCH_POSTGRES)"}
    from benchmarks.native_core import NativeColumns, build, pack
    from benchmarks.native_core.pgcopy import NativePgCopy

    try:
        module, columns_module = build("pgcopy"), build("columns")
        build("skeleton")  # the columns take the skeleton's rule tables
    except RuntimeError as error:
        return {"skipped": f"the native COPY trial cannot be built here: {str(error).splitlines()[0]}"}
    engine, events = _workload(opts).booked_by(checks=False)
    started = time.perf_counter()
    packed = pack(events, engine)
    packing = time.perf_counter() - started
    del events  # no Event object is needed past the packing
    base = os.environ.get("GRIDPOINTS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    trial = NativePgCopy(engine, base, schema, module, NativeColumns(engine, columns_module))
    try:
        trial.create()
        result, call = timed("events", lambda: trial.ingest(packed), lambda _: packed.count)
    finally:
        trial.close()
        drop_schema(schema)
    parts = attrs.asdict(call.seconds)
    done = call.done
    return {
        **result, "accepted": done.booked, "held": 0, "rejected": done.rejected, "duplicates": done.duplicates,
        "entries": done.booked, "pack_seconds": round(packing, 3), "copy_bytes": call.copy_bytes,
        "copy_blocks": call.blocks,
        **{f"{name.rstrip('_')}_seconds": round(seconds, 3) for name, seconds in parts.items()},
    }  # fmt: skip


def dense_native_verify(opts: argparse.Namespace, timed: Timer) -> Result:
    """verify()'s reads of an existing SQLite ledger (``--db``) in C (benchmarks/native_core,
    ``NativeVerify``): the chain pass verified, the bindings' and the intake log's statements
    stepped with no check made, then (apart, not in ``seconds``) one plain scan of the events;
    then (apart too) ``NativeVerifyOnce``, the design that reads each table once, verifying the
    ledger: ``once_seconds`` in all, ``once_native_seconds`` its C pass (``once_entries_pass_seconds``
    reading the entries, ``once_events_pass_seconds`` the events), ``once_table_bytes`` its
    hash table for ``once_table_events`` events, ``once_peak_rss_growth_mb`` how far it raised
    the process's peak RSS; then (apart too) ``NativeVerifySplit``, the same split by event id
    over 2 forked processes: ``split_seconds`` in all (wall), ``split_native_seconds`` from the
    first fork to the last result, per process ``split_share_seconds`` (its C pass),
    ``split_entries_pass_seconds`` and ``split_events_pass_seconds``; the same per share run in
    this process one after another (``split_in_turn_…``: no process beside it), and
    ``split_entries_read_seconds`` what reading the entries alone costs in one process."""
    from benchmarks.native_core import NativeVerify, build

    if not os.path.exists(opts.db):
        raise SystemExit(f"no ledger at {opts.db}: build one first (the dense-sqlite scenario)")
    try:
        module = build("verify")
    except RuntimeError as error:
        return {"skipped": f"the native verify cannot be built here: {str(error).splitlines()[0]}"}
    native = NativeVerify(opts.db, module)
    parts: dict[str, float] = {}

    def passes() -> int:
        started = time.perf_counter()
        entries, bad = native.chain()
        if bad is not None:
            raise SystemExit(f"the native chain pass found seq {bad} broken in {opts.db}")
        parts["chain_seconds"] = time.perf_counter() - started
        for statement in ("bindings", "intakes"):
            step(statement)
        return entries

    def step(statement: str) -> None:
        started = time.perf_counter()
        parts[f"{statement}_rows"] = native.step(statement)
        parts[f"{statement}_seconds"] = time.perf_counter() - started

    result, _ = timed("entries", passes, lambda entries: entries)
    step("events")
    figures = {k: round(v, 3) if k.endswith("seconds") else v for k, v in parts.items()}
    return {**result, **figures, **_once_figures(opts.db, module), **_split_figures(opts.db, module)}


def _once_figures(path: str, module: ModuleType) -> Result:
    """``NativeVerifyOnce`` verifying the ledger at ``path`` (see ``dense_native_verify``)."""
    from benchmarks.native_core import NativeVerifyOnce

    once = NativeVerifyOnce(path, module)
    peak_before = _peak_rss_mb()
    verification, seconds = _verified(once, "the one-read verify", path)
    return {
        "once_seconds": round(seconds, 3), "once_entries": verification.entries,
        "once_native_seconds": round(once.native_seconds, 3),
        "once_entries_pass_seconds": round(once.entries_pass_seconds, 3),
        "once_events_pass_seconds": round(once.events_pass_seconds, 3),
        "once_table_bytes": once.table_bytes, "once_table_events": once.table_events,
        "once_intake_bytes": once.intake_bytes, "once_handed_back": once.handed_back,
        "once_peak_rss_growth_mb": round(_peak_rss_mb() - peak_before, 1),
    }  # fmt: skip


def _split_figures(path: str, module: ModuleType) -> Result:
    """``NativeVerifySplit`` over 2 processes verifying the ledger at ``path``, its shares again
    one after another, and again balanced (see ``dense_native_verify``)."""
    from benchmarks.native_core import NativeVerifySplit

    split = NativeVerifySplit(path, 2, module)
    verification, seconds = _verified(split, "the split verify", path)
    entries_read = split.entries_read_seconds()
    figures: Result = {
        "split_workers": len(split.ranges), "split_entries": verification.entries,
        "split_seconds": round(seconds, 3), "split_native_seconds": round(split.native_seconds, 3),
        "split_share_seconds": [round(seconds, 3) for seconds in split.share_seconds],
        "split_entries_pass_seconds": [round(seconds, 3) for seconds in split.entries_pass_seconds],
        "split_events_pass_seconds": [round(seconds, 3) for seconds in split.events_pass_seconds],
        "split_entries_read_seconds": round(entries_read, 3),
    }  # fmt: skip
    in_turn = split.shares_in_turn()
    for at, name in enumerate(("share", "entries_pass", "events_pass")):
        figures[f"split_in_turn_{name}_seconds"] = [round(share[at], 3) for share in in_turn]
    # Again with the first range cut to the share that evens the processes' work out (the first
    # also verifies the chain), from the shares just timed one after another.
    first_share = split.balanced_first_share(in_turn, entries_read)
    balanced = NativeVerifySplit(path, 2, module, first_share=first_share)
    _, balanced_seconds = _verified(balanced, "the balanced split verify", path)
    return figures | {
        "split_balanced_first_share": round(first_share, 3), "split_balanced_seconds": round(balanced_seconds, 3),
        "split_balanced_share_seconds": [round(seconds, 3) for seconds in balanced.share_seconds],
    }  # fmt: skip


def _verified(verifier: NativeVerifyOnce | NativeVerifySplit, what: str, path: str) -> tuple[Verification, float]:
    """``verifier.verify()`` timed; a ledger it finds broken ends the run (the harness measures
    intact ledgers only)."""
    started = time.perf_counter()
    verification = verifier.verify()
    seconds = time.perf_counter() - started
    if not verification.ok:
        raise SystemExit(f"{what} found {path} broken: {verification.problem}")
    return verification, seconds


def _peak_rss_mb() -> float:
    """This process's peak resident set so far, in MB (Linux reports KiB, macOS bytes)."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def remove_database(path: str) -> None:
    """Remove a SQLite file and its WAL and shared-memory files, where they exist."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def dense_sqlite(opts: argparse.Namespace, timed: Timer) -> Result:
    """The pipeline on a new SQLite file, one ingest call (one transaction)."""
    remove_database(opts.db)
    engine, events = _workload(opts).booked_by(opts.db)
    result, outcome = timed("events", lambda: engine.ingest(events), lambda _: len(events))
    engine.close()
    return {**result, **_outcomes(outcome)}


def dense_postgres(opts: argparse.Namespace, timed: Timer) -> Result:
    """The pipeline on a new PostgreSQL schema, one ingest call (one transaction)."""
    schema = f"gp_bench_{os.getpid()}"
    url = postgres_url(schema)
    if url is None:
        return {"skipped": "no PostgreSQL server answers (GRIDPOINTS_BENCH_POSTGRES)"}
    try:
        engine, events = _workload(opts).booked_by(url)
        result, outcome = timed("events", lambda: engine.ingest(events), lambda _: len(events))
        engine.close()
    finally:
        drop_schema(schema)
    return {**result, **_outcomes(outcome)}


def _plain_rows(opts: argparse.Namespace) -> list[tuple[object, ...]]:
    return ledger_shaped_rows(_workload(opts).build())


def dense_raw_sqlite(opts: argparse.Namespace, timed: Timer) -> Result:
    """The floor: executemany of one entry-shaped row per event into a plain table with a unique
    index on the event id, WAL, synchronous=FULL, one transaction."""
    remove_database(opts.db)
    rows = _plain_rows(opts)
    conn = sqlite3.connect(opts.db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(PLAIN_TABLE)
    conn.execute(PLAIN_INDEX)

    def insert() -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO plain VALUES ({', '.join('?' * 17)})", rows)
        conn.execute("COMMIT")

    try:
        return timed("rows", insert, lambda _: len(rows))[0]
    finally:
        conn.close()


def dense_raw_postgres(opts: argparse.Namespace, timed: Timer) -> Result:
    """The floor: COPY of the same rows into the same plain table, one transaction."""
    schema = f"gp_bench_raw_{os.getpid()}"
    if postgres_url(schema) is None:
        return {"skipped": "no PostgreSQL server answers (GRIDPOINTS_BENCH_POSTGRES)"}
    import psycopg
    from psycopg import sql

    rows = _plain_rows(opts)
    base = os.environ.get("GRIDPOINTS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        with psycopg.connect(base) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            conn.execute(PLAIN_TABLE.replace("INTEGER", "BIGINT"))
            conn.execute(PLAIN_INDEX)
            conn.commit()

            def copy() -> None:
                with conn.cursor() as cursor, cursor.copy("COPY plain FROM STDIN") as writer:
                    for row in rows:
                        writer.write_row(row)
                conn.commit()

            return timed("rows", copy, lambda _: len(rows))[0]
    finally:
        drop_schema(schema)


DENSE_SCENARIOS: dict[str, Callable[[argparse.Namespace, Timer], Result]] = {
    "dense-naive": dense_naive,
    "dense-peer": dense_peer,
    "dense-memory": dense_memory,
    "dense-nochecks": dense_nochecks,
    "dense-native": dense_native,
    "dense-native-columns": dense_native_columns,
    "dense-native-checked": dense_native_checked,
    "dense-native-checked-grouped": dense_native_checked_grouped,
    "dense-native-checked-gpi2": dense_native_checked_gpi2,
    "dense-native-checked-threads": dense_native_checked_threads,
    "dense-native-sqlite": dense_native_sqlite,
    "dense-native-writer": dense_native_writer,
    "dense-native-verify": dense_native_verify,
    "dense-sqlite": dense_sqlite,
    "dense-postgres": dense_postgres,
    "dense-raw-sqlite": dense_raw_sqlite,
    "dense-raw-postgres": dense_raw_postgres,
    "dense-native-postgres": dense_native_postgres,
}
