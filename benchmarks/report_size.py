"""How long a monthly report takes on a big SQLite ledger, and how much memory it needs.

Builds (once) a SQLite ledger of ``--entries`` entries for ``--members`` members in one month
(2026-10), through the ordinary ingest path, then builds that month's report in a fresh
process and prints the seconds and the peak RSS of that process. Standalone: run it by hand,
it is not part of the test suite.

    python benchmarks/report_size.py                      # 10,000 members, 1,000,000 entries
    python benchmarks/report_size.py --members 1000 --entries 100000 --db /tmp/small.db
    python benchmarks/report_size.py --scorecard          # the same month under a scorecard

With ``--scorecard`` the ledger is booked under the benchmark scorecard
(``benchmarks.workload.scorecard_ruleset``: sections, a tally, a count limit, a veto, four
grades) and the report is the scheme's derived one; give it its own ``--db``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import gridpoints as gp
from gridpoints.demo import demo_members

try:  # run as a script (python benchmarks/report_size.py) or as a module
    from benchmarks.workload import SCORECARD, ScorecardRules
except ImportError:  # pragma: no cover - the script's directory is on the path, not the root
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from benchmarks.workload import SCORECARD, ScorecardRules

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH = "2026-10"
#: Kinds cycled through per member; mostly patrols, like a real month. None has conditions that
#: need attributes, and none is reportable, so every event books exactly one entry.
KINDS = ("patrol",) * 6 + ("service", "activity", "late_report", "rating")


def events(members: list[gp.Member], per_member: int) -> Iterator[gp.Event]:
    """``per_member`` events for each member, spread over October 2026, deterministic."""
    first = datetime(2026, 10, 1, 8, tzinfo=SHANGHAI)
    for number, member in enumerate(members):
        for i in range(per_member):
            kind = KINDS[(i + number) % len(KINDS)]
            moment = first + timedelta(days=i % 30, minutes=(i * 7 + number) % 600)
            attributes = {"stars": 1 + (number + i) % 5} if kind == "rating" else {}
            yield gp.Event(f"{member.id}-{i:05d}", member.id, kind, moment, attributes=attributes)


def _status_mib(field: str) -> float | None:
    """A ``VmHWM``/``VmRSS`` line of /proc/self/status in MiB (None off Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mib() -> float:
    """This process's peak resident set size in MiB.

    VmHWM, not ``ru_maxrss``: Linux carries the parent's high-water mark into ``ru_maxrss``
    across fork and exec, which would charge the build's memory to the report.
    """
    found = _status_mib("VmHWM")
    return found if found is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> None:
    """Restart the high-water mark at the current RSS (Linux ≥ 4.0), so the peak is the report's."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        pass


def open_engine(path: str, scorecard: bool) -> gp.Engine:
    """The standard rules, or the benchmark scorecard; checks off (the data is clean)."""
    if scorecard:
        return gp.Engine(path, checks=False, load_entrypoints=False, ruleset=SCORECARD, plugins=[ScorecardRules()])
    return gp.Engine(path, checks=False, load_entrypoints=False)


def build(path: str, members: int, entries: int, scorecard: bool = False) -> None:
    """Create the ledger at ``path`` through ``Engine.ingest``."""
    start = time.perf_counter()
    with open_engine(path, scorecard) as engine:
        people = demo_members(members)
        engine.add_members(people)
        result = engine.ingest(events(people, entries // members))
        assert not result.rejected and not result.held, result.rejected[:3]
        print(
            f"built {engine.ledger.head()[0]:,} entries in {time.perf_counter() - start:.1f} s "
            f"(peak RSS of the build {peak_rss_mib():.0f} MiB)"
        )


def report(path: str, extras: bool, scorecard: bool = False) -> dict[str, float]:
    """Open the ledger and build the month's report; return timings and memory (in this process).

    With ``extras``, then also explain one member and simulate the month under the standard rules
    (read-only; the peak is reset before each).
    """
    with open_engine(path, scorecard) as engine:
        reset_peak()
        before = _status_mib("VmRSS") or peak_rss_mib()
        start = time.perf_counter()
        rows = engine.report(MONTH)
        seconds = time.perf_counter() - start
        summary = rows.summary()
        figures = {
            "rows": len(rows),
            "seconds": seconds,
            "rss_before_mib": before,
            "peak_rss_mib": peak_rss_mib(),
            "entries": engine.ledger.head()[0],
            "mean": float(summary.mean or 0),
        }
        if extras:
            start = time.perf_counter()
            explained = engine.explain(rows.rows[0].member_id, MONTH)
            figures["explain_seconds"] = time.perf_counter() - start
            figures["explain_entries"] = len(explained)
            reset_peak()
            start = time.perf_counter()
            what_if = engine.simulate(engine.rulebook.latest.ruleset, MONTH)
            figures["simulate_seconds"] = time.perf_counter() - start
            figures["simulate_peak_rss_mib"] = peak_rss_mib()
            figures["simulate_changed"] = len(what_if.changed())
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--db", help="ledger file (built if missing; default a temporary file)")
    parser.add_argument("--extras", action="store_true", help="also time explain and simulate (what-if)")
    parser.add_argument("--scorecard", action="store_true", help="book and report under the benchmark scorecard")
    parser.add_argument("--report-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.report_only:
        print(json.dumps(report(args.db, args.extras, args.scorecard)))
        return
    path = args.db or os.path.join(tempfile.mkdtemp(prefix="gp-bench-"), "ledger.db")
    if not os.path.exists(path):
        build(path, args.members, args.entries, args.scorecard)
    # A fresh process, so its peak RSS is the report's alone, not the build's.
    flags = (["--extras"] if args.extras else []) + (["--scorecard"] if args.scorecard else [])
    command = [sys.executable, __file__, "--report-only", "--db", path, *flags]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    figures = json.loads(out.stdout)
    print(
        f"report {MONTH}{' (scorecard)' if args.scorecard else ''}: "
        f"{figures['rows']:,} members from a ledger of {figures['entries']:,} entries "
        f"in {figures['seconds']:.2f} s; RSS {figures['rss_before_mib']:.0f} MiB before the report, "
        f"peak {figures['peak_rss_mib']:.0f} MiB during it"
    )
    if args.extras:
        print(f"explain: {figures['explain_entries']:.0f} entries in {figures['explain_seconds'] * 1000:.1f} ms")
        print(
            f"simulate under the same rules: {figures['simulate_seconds']:.1f} s, peak RSS "
            f"{figures['simulate_peak_rss_mib']:.0f} MiB, {figures['simulate_changed']:.0f} rows changed"
        )


if __name__ == "__main__":
    main()
