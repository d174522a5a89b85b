"""One unit of work to count instructions of: ``python -m benchmarks.instructions WORK [--baseline]``.

On a shared machine, timings minutes apart vary by more than the differences worth showing
between two versions of the code; the instructions a process executes do not. Run each WORK
under ``valgrind --tool=callgrind`` twice — once as is, once with ``--baseline`` (everything but
the measured call: imports, building the engine or the input) — and subtract; do it with each
version of the code on ``PYTHONPATH`` (docs/performance.md, "in instructions"):

    PYTHONPATH=/tmp/old/src:/tmp/old valgrind --tool=callgrind \\
        python -m benchmarks.instructions report --ledger /tmp/gpbench/report.db

WORK is ``memory`` or ``sqlite`` (ingest of the quick workload in one call, into memory or a new
SQLite file), ``dense`` (in-memory ingest of ``--events`` dense events in random order, issue 13's
workload, in one call), ``dense-nochecks`` (the same with checks off), ``dense-native`` (the same
events booked by the native-core skeleton, checks off: benchmarks/native_core), ``dense-native-columns``
(the same events packed into columns, in the baseline too, and booked by the core over columns),
``dense-native-checked`` (the same packed events booked with checks on into the native store),
``dense-naive`` and
``dense-peer`` (the naive loop and business-rules over the same events) or ``report`` (the last
month's report of an existing ledger, ``--ledger``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from functools import partial

from benchmarks.baselines import naive_scores, peer_scorers
from benchmarks.dense import DenseWorkload
from benchmarks.workload import LAST_MONTH, SIZES, make_engine

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instructions", description=__doc__.splitlines()[0])
    parser.add_argument(
        "work", choices=["memory", "sqlite", "dense", "dense-nochecks", "dense-native", "dense-native-columns",
                         "dense-native-checked", "dense-naive", "dense-peer", "report"]
    )  # fmt: skip
    parser.add_argument("--baseline", action="store_true", help="do everything but the measured call")
    parser.add_argument("--ledger", help="the ledger to report on (report)")
    parser.add_argument("--events", type=int, default=40_000, help="dense events to ingest (dense; default 40,000)")
    args = parser.parse_args(argv)
    if args.work == "report":
        if not args.ledger or not os.path.exists(args.ledger):
            parser.error("report needs --ledger, an existing ledger (python -m benchmarks --report-db builds one)")
        engine = make_engine(args.ledger)
        engine.ledger.head()
        if not args.baseline:
            engine.report(LAST_MONTH)
        return
    if args.work.startswith("dense"):
        _dense(args.work, args.events, baseline=args.baseline)
        return
    workload = SIZES["quick"]
    members = workload.member_list()
    events = list(workload.events(members))
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(os.path.join(directory, "ledger.db") if args.work == "sqlite" else None)
        engine.add_members(members)
        if not args.baseline:
            engine.ingest(events)
        engine.close()


def _dense(work: str, events: int, *, baseline: bool) -> None:
    """One dense-workload WORK over ``events`` events in random order (all but the call when
    ``baseline``)."""
    checks = work in ("dense", "dense-native-checked")
    engine, dense_events = DenseWorkload(events, "random").booked_by(checks=checks)
    call: Callable[[], object] = partial(engine.ingest, dense_events)
    if work == "dense-native":
        from benchmarks.native_core import NativeSkeleton

        skeleton = NativeSkeleton(engine)  # built (compiled if need be) before the measured call
        call = partial(skeleton.ingest, dense_events)
    elif work == "dense-native-columns":
        from benchmarks.native_core import NativeColumns, pack

        columns = NativeColumns(engine)  # built, and the events packed, before the measured call
        call = partial(columns.run, pack(dense_events, engine))
    elif work == "dense-native-checked":
        from benchmarks.native_core import NativeChecked, pack

        checked = NativeChecked(engine)  # built, and the events packed, before the measured call
        call = partial(checked.run, pack(dense_events, engine))
    elif work == "dense-naive":
        call = partial(naive_scores, dense_events)
    elif work == "dense-peer":
        scorer = peer_scorers()["business-rules"]
        if scorer is None:
            raise SystemExit("business-rules is not installed (pip install -e '.[bench]')")
        call = partial(scorer, dense_events)
    if not baseline:
        call()


if __name__ == "__main__":
    main()
