"""Where one in-memory ``ingest`` spends its time, stage by stage (docs/performance.md):

    python -m benchmarks.ingest_phases 1000000 [--order random|time|member] [--no-collect]

Builds issue 13's dense workload (``benchmarks.dense``) in the given order, then times one
``ingest`` call into the in-memory store with a timer around each stage of the pipeline —
methods called once per chunk or per call, never per event, so the timers cost nothing
measurable. Prints each stage's seconds and µs per event (stages nest: ``_judge_and_book``
includes the judging order, the state load and the chaining of staged entries), what the
store's commit took after the pipeline returned, and the peak RSS. By default the collector
runs a full collection after the input is built, so the call does not pay for the input's
construction; ``--no-collect`` leaves that to the call, as the harness does.
"""

from __future__ import annotations

import argparse
import functools
import gc
import resource
import time
from collections.abc import Callable
from typing import Any

from benchmarks.dense import ORDERS, DenseWorkload
from gridpoints.ingest import _call, _ready, pipeline
from gridpoints.stores import intakes, memory

__all__ = ["STAGES", "main", "timed_stages"]

#: (owner, method name): each stage timed, called once per chunk or per call.
STAGES: tuple[tuple[type, str], ...] = (
    (pipeline.Pipeline, "ingest"),
    (pipeline.Pipeline, "_chunk"),
    (pipeline.Pipeline, "_judge_and_book"),
    (pipeline.Pipeline, "_load_state"),
    (_ready.Ready, "extend"),
    (_ready.Ready, "judging_order"),
    (_call.Call, "chain_deferred"),
    (_call.Call, "flush_chunks"),
    (memory._MemoryTransaction, "append"),
    (intakes.IntakeLog, "add"),
)


def timed_stages(seconds: dict[str, float]) -> None:
    """Wrap every stage in ``STAGES`` with a timer adding to ``seconds[owner.method]``."""
    for owner, name in STAGES:
        method: Callable[..., Any] = getattr(owner, name)
        label = f"{owner.__name__}.{name}"

        def timer(*args: Any, __method: Callable[..., Any] = method, __label: str = label, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return __method(*args, **kwargs)
            finally:
                seconds[__label] = seconds.get(__label, 0.0) + time.perf_counter() - start

        setattr(owner, name, functools.wraps(method)(timer))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest_phases", description=__doc__.splitlines()[0])
    parser.add_argument("events", type=int, help="dense events in the call (members = events / 200)")
    parser.add_argument("--order", choices=ORDERS, default="random", help="input order (default random)")
    parser.add_argument("--no-collect", action="store_true", help="no full collection before the timed call")
    args = parser.parse_args(argv)
    seconds: dict[str, float] = {}
    timed_stages(seconds)
    engine, events = DenseWorkload(args.events, args.order).booked_by()
    if not args.no_collect:
        gc.collect()
    start = time.perf_counter()
    result = engine.ingest(events)
    total = time.perf_counter() - start
    n = len(events)
    print(f"{n:,} events, {args.order} order: {total:.2f} s, {total / n * 1e6:.2f} µs/event "
          f"(accepted {len(result.accepted):,}, held {len(result.held):,})")  # fmt: skip
    for label, spent in sorted(seconds.items(), key=lambda item: -item[1]):
        print(f"  {label:38s} {spent:8.2f} s {spent / n * 1e6:7.2f} µs/event")
    commit = total - seconds.get("Pipeline.ingest", 0.0)
    print(f"  {'commit (after the pipeline)':38s} {commit:8.2f} s {commit / n * 1e6:7.2f} µs/event")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024:,} MB")


if __name__ == "__main__":
    main()
