"""Run every scenario in its own process and print one table, the ratios and the targets."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.dense import DENSE_EVENTS
from benchmarks.workload import SIZES, Workload

__all__ = ["machine", "main", "ratios", "render", "result_entries", "run_scenario"]

Result = dict[str, Any]
ROOT = Path(__file__).resolve().parents[1]

#: The targets. Each is judged against the full size; smaller runs show the same ratios. The
#: "dense" ones are issue 13's (a month's export of 200 events a member, in random order).
TARGETS = (
    ("pipeline ÷ business-rules throughput", "≥", 5.0),
    ("pipeline time ÷ naive loop time", "≤", 15.0),
    ("SQLite ingest time ÷ raw executemany time", "≤", 3.0),
    ("SQLite ingest events/s", "≥", 100_000.0),
    ("verify entries/s", "≥", 500_000.0),
    ("monthly report seconds", "<", 5.0),
    ("streaming CSV import peak RSS MB", "<", 150.0),
    ("dense, random order: pipeline ÷ business-rules throughput", "≥", 5.0),
    ("dense, random order: pipeline time ÷ naive loop time", "≤", 15.0),
    ("dense: random order ÷ sorted by time", "≤", 1.3),
    ("dense, random order: µs/event at 4N ÷ at N", "≤", 1.25),
    ("dense: SQLite ingest ÷ raw executemany into a plain table", "≤", 3.0),
    ("dense: PostgreSQL ingest ÷ raw COPY into a plain table", "≤", 3.0),
)


def run_scenario(name: str, workload: Workload, extra: Sequence[str] = ()) -> Result:
    """Run one scenario in a fresh interpreter and return its JSON result."""
    command = [
        sys.executable,
        "-m",
        "benchmarks.scenarios",
        name,
        "--members",
        str(workload.members),
        "--months",
        str(workload.months),
        *extra,
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"scenario {name} failed:\n{done.stderr}")
    result: Result = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def machine() -> dict[str, str]:
    """What the figures were measured on, and how busy it was."""
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load": load,
    }


def result_entries(result: Result) -> str:
    """The ledger size a result reports, formatted."""
    return f"{int(result.get('ledger_entries', 0)):,}"


def _rate(result: Result) -> float:
    return float(result["count"]) / float(result["seconds"]) if result.get("seconds") else 0.0


def _per(result: Result) -> float:
    """Seconds per item."""
    return float(result["seconds"]) / float(result["count"])


def _row(label: str, result: Result) -> str:
    if "skipped" in result:
        return f"| {label} | – | – | – | – | – | – |  {result['skipped']}"
    count, seconds = int(result["count"]), float(result["seconds"])
    rate = _rate(result)
    per = 1e6 * seconds / count if count else 0.0
    return (
        f"| {label} | {count:,} {result['unit']} | {seconds:.3f} | {rate:,.0f} | {per:.2f} | "
        f"{result['start_rss_mb']:.0f} | {result['peak_rss_mb']:.0f} |"
    )


def ratios(results: dict[str, Result]) -> list[tuple[str, str, float, float | None]]:
    """``(target, comparison, threshold, measured or None)`` for every target."""

    def got(name: str) -> Result | None:
        result = results.get(name)
        return None if result is None or "skipped" in result else result

    memory, naive, peer = got("memory"), got("naive"), got("business-rules")
    sqlite, raw, verify = got("sqlite"), got("raw-sqlite"), got("verify")
    report, csv_import = got("report"), got("csv")
    dense, dense_time, dense_peer, dense_naive = (
        got("dense-random"), got("dense-time"), got("dense-peer"), got("dense-naive")
    )
    dense_4n = got("dense-random-4n")
    dense_sqlite, dense_raw, dense_pg, dense_copy = (
        got("dense-sqlite"), got("dense-raw-sqlite"), got("dense-postgres"), got("dense-raw-postgres")
    )
    verify = got("dense-verify") or verify
    measured: list[float | None] = [
        _rate(memory) / _rate(peer) if memory and peer else None,
        float(memory["seconds"]) / float(naive["seconds"]) * naive["count"] / memory["count"]
        if memory and naive
        else None,
        float(sqlite["seconds"]) / float(raw["seconds"]) * raw["count"] / sqlite["count"] if sqlite and raw else None,
        _rate(sqlite) if sqlite else None,
        _rate(verify) if verify else None,
        float(report["seconds"]) if report else None,
        float(csv_import["peak_rss_mb"]) if csv_import else None,
        _rate(dense) / _rate(dense_peer) if dense and dense_peer else None,
        _per(dense) / _per(dense_naive) if dense and dense_naive else None,
        _per(dense) / _per(dense_time) if dense and dense_time else None,
        _per(dense_4n) / _per(dense) if dense and dense_4n else None,
        _per(dense_sqlite) / _per(dense_raw) if dense_sqlite and dense_raw else None,
        _per(dense_pg) / _per(dense_copy) if dense_pg and dense_copy else None,
    ]
    return [(name, op, limit, value) for (name, op, limit), value in zip(TARGETS, measured, strict=True)]


def _met(op: str, limit: float, value: float) -> bool:
    return value >= limit if op == "≥" else value <= limit if op == "≤" else value < limit


def _against_in_memory(per: float, naive: Result, peer: Result | None) -> str:
    """``per`` (seconds an event) as the two in-memory targets read it: its ratio to the naive
    loop's time, and business-rules' throughput over it where business-rules ran."""
    peer_per = _per(peer) if peer is not None and "skipped" not in peer else None
    return f"{per / _per(naive):,.1f}× the naive loop's time" + (
        f" and {peer_per / per:,.2f}× business-rules' throughput" if peer_per else ""
    )


def _native_line(native: Result, naive: Result, peer: Result | None) -> str:
    """How the native-core skeleton (a trial, checks off) stands against the two in-memory
    targets: whole call (with the store's work), and its C pass alone (business-rules' ratio
    only where business-rules ran)."""
    whole, alone = _per(native), float(native["native_seconds"]) / native["count"]
    append, commit, lines = (float(native[k]) / native["count"] for k in ("append_seconds", "commit_seconds",
                                                                         "intake_lines_seconds"))  # fmt: skip
    peer_per = _per(peer) if peer is not None and "skipped" not in peer else None
    return (
        f"Native-core skeleton (trial, checks off): {whole / _per(naive):,.1f}× the naive loop's time"
        + (f" and {peer_per / whole:,.2f}× business-rules' throughput" if peer_per else "")
        + f" with the store's work; its C pass alone {1e6 * alone:.2f} µs/event, {alone / _per(naive):,.1f}× the "
        "naive loop"
        + (f", {peer_per / alone:,.2f}× business-rules" if peer_per else "")
        + f". The store: append {1e6 * append:.2f} µs/event, commit {1e6 * commit:.2f} "
        f"(its intake-log hashing of the rows, event_line, alone {1e6 * lines:.2f})."
    )


def _native_columns_line(columns: Result, naive: Result, peer: Result | None) -> str:
    """How the per-event core over columns (a trial, checks off: its C pass alone over packed
    columns, packing untimed) stands against the two in-memory targets."""
    alone, tails = _per(columns), float(columns["tail_seconds"]) / columns["count"]
    return (
        f"Per-event core over columns (trial, checks off, its C pass alone, packing untimed): {1e6 * alone:.2f} "
        f"µs/event, {_against_in_memory(alone, naive, peer)}"
        + f"; of it the tail cache's {int(columns['tail_misses']):,} misses (calls into Python) {1e6 * tails:.2f} "
        f"µs/event, the rest {1e6 * (alone - tails):.2f}."
    )


def _native_checked_line(checked: Result, naive: Result, peer: Result | None, what: str = "Core") -> str:
    """How the core with its checks and a native in-memory store (a trial, packing untimed) stands
    against the two in-memory targets: the whole call, and its C pass alone. ``what`` starts the
    line (another order's row says which)."""
    whole, alone = _per(checked), float(checked["native_seconds"]) / checked["count"]
    stages = ", ".join(f"{stage} {1e6 * float(seconds) / checked['count']:.2f}"
                       for stage, seconds in checked["stage_seconds"].items())  # fmt: skip
    return (
        f"{what} with checks and a native in-memory store (trial, packing untimed): {1e6 * whole:.2f} µs/event, "
        f"{_against_in_memory(whole, naive, peer)}"
        + f"; its C pass {1e6 * alone:.2f} µs/event ({stages}; the tail cache's misses "
        f"{1e6 * float(checked['tail_seconds']) / checked['count']:.2f})."
    )


def _native_writer_line(written: Result, floor: Result) -> str:
    """How the skeleton with its rows written natively (a trial) stands against the SQLite floor."""
    per_event = {
        k: 1e6 * float(written[k]) / written["count"]
        for k in ("native_seconds", "sort_seconds", "writer_seconds", "writer_insert_seconds",
                  "writer_intake_seconds", "writer_index_seconds", "writer_commit_seconds")
    }  # fmt: skip
    return (
        f"Native-core skeleton + native writer on SQLite (trial, checks off, late indexes): "
        f"{_per(written) / _per(floor):,.2f}× the raw executemany floor; µs/event: its C pass "
        f"{per_event['native_seconds']:.2f}, the event rows sorted {per_event['sort_seconds']:.2f}, the writer "
        f"{per_event['writer_seconds']:.2f} (rows {per_event['writer_insert_seconds']:.2f}, intake row "
        f"{per_event['writer_intake_seconds']:.2f}, indexes {per_event['writer_index_seconds']:.2f}, commit "
        f"{per_event['writer_commit_seconds']:.2f})."
    )


def _native_postgres_line(native: Result, floor: Result) -> str:
    """How one row per event on PostgreSQL, natively (a trial), stands against the COPY floor."""
    per_event = {
        k: 1e6 * float(native[f"{k}_seconds"]) / native["count"]
        for k in ("reads", "drop", "pass", "native", "build", "send", "intake", "indexes", "commit", "pack")
    }
    return (
        f"One row per event on PostgreSQL, natively (trial, checks off, packing untimed): "
        f"{_per(native) / _per(floor):,.2f}× the raw COPY floor; µs/event: reads {per_event['reads']:.2f}, "
        f"indexes dropped {per_event['drop']:.2f}, the pass {per_event['pass']:.2f} (its C pass "
        f"{per_event['native']:.2f}), COPY data built {per_event['build']:.2f}, sent {per_event['send']:.2f}, "
        f"intake row and head {per_event['intake']:.2f}, read indexes created {per_event['indexes']:.2f}, commit "
        f"{per_event['commit']:.2f} ({int(native['copy_bytes']) / max(native['entries'], 1):,.0f} bytes of COPY "
        f"data a row; the packing, untimed, {per_event['pack']:.2f})."
    )


def _native_verify_line(native: Result) -> str:
    """What verify()'s reads cost in C (a trial): the bound any verify making them has."""
    entries = native["count"]
    chain, bindings, intakes, events = (
        1e6 * float(native[f"{k}_seconds"]) / entries for k in ("chain", "bindings", "intakes", "events")
    )
    once = _once_line(native) if "once_seconds" in native else ""
    once += _split_line(native) if "split_seconds" in native else ""
    return (
        f"Native verify (trial): the chain pass in C {chain:.2f} µs/entry; the bindings' statement stepped "
        f"{bindings:.2f}, the intake log's {intakes:.2f} (no checks made): at most "
        f"{1e6 / (chain + bindings + intakes):,.0f} entries/s for any verify that makes these reads. "
        f"A plain scan of the events instead of the bindings' statement: {events:.2f} µs/entry, at most "
        f"{1e6 / (chain + events + intakes):,.0f} entries/s.{once}"
    )


def _split_line(native: Result) -> str:
    """What the one-read design split by event id over processes (``NativeVerifySplit``) took."""
    entries, workers = native["split_entries"], native["split_workers"]
    whole = 1e6 * float(native["split_seconds"]) / entries
    shares, in_turn = (
        ", ".join(f"{float(seconds):.2f}" for seconds in native[key])
        for key in ("split_share_seconds", "split_in_turn_share_seconds")
    )
    return (
        f" Split by event id over {workers} processes (trial, verified as verify() verifies): {whole:.2f} µs/entry, "
        f"{1e6 / whole:,.0f} entries/s with {workers} processes; each process's C pass {shares} s side by side, "
        f"{in_turn} s one after another (the first verifies the chain); the entries read alone "
        f"{float(native['split_entries_read_seconds']):.2f} s.{_balanced_split_line(native)}"
    )


def _balanced_split_line(native: Result) -> str:
    """The split again with the first range cut so that the processes' work comes out even."""
    if "split_balanced_seconds" not in native:
        return ""
    whole = 1e6 * float(native["split_balanced_seconds"]) / native["split_entries"]
    shares = ", ".join(f"{float(seconds):.2f}" for seconds in native["split_balanced_share_seconds"])
    return (
        f" Balanced (the first range {float(native['split_balanced_first_share']):.1%} of the ids): "
        f"{whole:.2f} µs/entry, {1e6 / whole:,.0f} entries/s; each process's C pass {shares} s."
    )


def _once_line(native: Result) -> str:
    """What the one-read design (``NativeVerifyOnce``) verified, and at what cost."""
    entries = native["once_entries"]
    whole, alone, entries_pass, events_pass = (
        1e6 * float(native[k]) / entries
        for k in ("once_seconds", "once_native_seconds", "once_entries_pass_seconds", "once_events_pass_seconds")
    )
    table = int(native["once_table_bytes"])
    return (
        f" Each table read once (trial, verified as verify() verifies): {whole:.2f} µs/entry, "
        f"{1e6 / whole:,.0f} entries/s; its C pass alone {alone:.2f} (the entries in seq order {entries_pass:.2f}, "
        f"the events in id order {events_pass:.2f}); its hash table {table / 2**20:,.1f} MiB "
        f"({table / max(int(native['once_table_events']), 1):.0f} bytes per event)."
    )


def render(results: dict[str, Result], labels: dict[str, str], info: dict[str, str], command: str) -> str:
    """The markdown table, ratios and targets of one run."""
    lines = [
        f"Command: `{command}`",
        f"Machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, {info['platform']}; "
        f"load average before the run: {info['load']}",
        "",
        "| scenario | items | seconds | items/s | µs/item | RSS at start MB | peak RSS MB |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [_row(labels[name], result) for name, result in results.items()]
    dispatch, peer, naive = (results.get(k) for k in ("dispatch", "business-rules", "naive"))
    article, memory = results.get("article"), results.get("memory")
    report, scorecard = results.get("report"), results.get("report-scorecard")
    if dispatch or (article and memory) or (report and scorecard):
        lines.append("")
    if dispatch and peer and "skipped" not in peer:
        lines.append(f"Rule dispatch alone vs business-rules: {_rate(dispatch) / _rate(peer):,.1f}× the throughput.")
    if dispatch and naive:
        lines.append(f"Rule dispatch alone vs the naive loop: {_rate(naive) / _rate(dispatch):,.1f}× the time.")
    if article and memory:
        lines.append(
            f"In-memory pipeline vs the article's class as written: {_rate(article) / _rate(memory):,.1f}× the time."
        )
    native = results.get("dense-native")
    dense_naive, dense_peer = results.get("dense-naive"), results.get("dense-peer")
    if native and "skipped" not in native and dense_naive:
        lines.append(_native_line(native, dense_naive, dense_peer))
    native_columns = results.get("dense-native-columns")
    if native_columns and "skipped" not in native_columns and dense_naive:
        lines.append(_native_columns_line(native_columns, dense_naive, dense_peer))
    checked_rows = (
        ("dense-native-checked", "Core"), ("dense-native-checked-member", "By member, the core"),
        ("dense-native-checked-grouped", "Grouped in its pass, the core"),
        ("dense-native-checked-gpi2", "Grouped, with a one-digest intake (gpi2), the core"),
        ("dense-native-checked-threads", "Grouped, gpi2, chaining and commit on two threads, the core"),
    )  # fmt: skip
    for key, what in checked_rows:
        checked = results.get(key)
        if checked and "skipped" not in checked and dense_naive:
            lines.append(_native_checked_line(checked, dense_naive, dense_peer, what))
    native_4n = results.get("dense-native-4n")
    if native and native_4n and "skipped" not in native and "skipped" not in native_4n:
        alone, alone_4n = (float(r["native_seconds"]) / r["count"] for r in (native, native_4n))
        lines.append(
            f"Native-core skeleton at 4N ÷ at N: {_per(native_4n) / _per(native):.2f} (whole call), "
            f"{alone_4n / alone:.2f} (its C pass alone)."
        )
    native_verify = results.get("dense-native-verify")
    if native_verify and "skipped" not in native_verify:
        lines.append(_native_verify_line(native_verify))
    native_sqlite, floor = results.get("dense-native-sqlite"), results.get("dense-raw-sqlite")
    if native_sqlite and "skipped" not in native_sqlite and floor:
        alone = float(native_sqlite["native_seconds"]) / native_sqlite["count"]
        lines.append(
            f"Native-core skeleton on SQLite (trial, checks off): {_per(native_sqlite) / _per(floor):,.2f}× the raw "
            f"executemany floor; its C pass alone {1e6 * alone:.2f} µs/event, append "
            f"{1e6 * float(native_sqlite['append_seconds']) / native_sqlite['count']:.2f}, commit "
            f"{1e6 * float(native_sqlite['commit_seconds']) / native_sqlite['count']:.2f}."
        )
    native_writer = results.get("dense-native-writer")
    if native_writer and "skipped" not in native_writer and floor:
        lines.append(_native_writer_line(native_writer, floor))
    native_postgres, copy_floor = results.get("dense-native-postgres"), results.get("dense-raw-postgres")
    if native_postgres and "skipped" not in native_postgres and copy_floor and "skipped" not in copy_floor:
        lines.append(_native_postgres_line(native_postgres, copy_floor))
    if report and scorecard and float(report["seconds"]):
        ratio = float(scorecard["seconds"]) / float(report["seconds"])
        lines.append(f"Monthly report under the scorecard vs the standard rule set: {ratio:,.2f}× the time.")
    lines += [
        "",
        "Targets are set for the full size (1,000,000 events; report: 100,000 members, 10,000,000 entries);",
        "at other sizes the verdicts only say where this run stands.",
        "",
        "| target | measured | met? |",
        "|---|---|---|",
    ]
    for name, op, limit, value in ratios(results):
        shown = "not measured" if value is None else f"{value:,.2f}"
        verdict = "–" if value is None else ("met" if _met(op, limit, value) else "missed")
        lines.append(f"| {name} {op} {limit:,g} | {shown} | {verdict} |")
    return "\n".join(lines)


def _with_prerequisites(
    only: Sequence[str] | None, *, building_report: bool, building_scorecard: bool = True
) -> set[str] | None:
    """The scenarios to run for ``--only`` (None: all), with the ones that build their ledgers.

    ``verify`` reads the ledger ``sqlite`` writes; ``report`` reads the report ledger, built by
    ``report-build`` or, when it is the same workload, by ``sqlite``; ``report-scorecard`` reads
    the scorecard ledger ``scorecard-build`` writes. Without them those scenarios would time an
    empty ledger.
    """
    if not only:
        return None
    selected = set(only)
    if "verify" in selected:
        selected.add("sqlite")
    if "dense-verify" in selected or "dense-native-verify" in selected:
        selected.add("dense-sqlite")
    if "report" in selected:
        selected.add("report-build" if building_report else "sqlite")
    if "report-scorecard" in selected and building_scorecard:
        selected.add("scorecard-build")
    return selected


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="quick", help="named workload size (default quick)")
    parser.add_argument("--members", type=int, help="members in the workload (overrides --size)")
    parser.add_argument("--months", type=int, help="months of events per member (default 1)")
    parser.add_argument("--report-members", type=int, help="members of the report ledger (default: the workload's)")
    parser.add_argument("--report-months", type=int, help="months in the report ledger (default: the workload's)")
    parser.add_argument("--peer-limit", type=int, default=50_000, help="events peers score (0 = all; default 50000)")
    parser.add_argument("--batch", type=int, default=10_000, help="events per ingest call when streaming")
    parser.add_argument("--only", nargs="*", help="run only these scenarios")
    parser.add_argument("--dir", help="where to put the SQLite files (default: a temporary directory)")
    parser.add_argument(
        "--report-db",
        help="keep the report ledger in this SQLite file and reuse it when an earlier run completed it "
        "(building 10,000,000 entries takes minutes)",
    )
    parser.add_argument("--json", help="also write the raw results to this file")
    parser.add_argument(
        "--events", type=int, help="events N of the dense workload (10,000 quick, 100,000 medium, 1,000,000 full)"
    )
    opts = parser.parse_args(argv)

    base = SIZES[opts.size]
    workload = Workload(opts.members or base.members, opts.months or base.months)
    report_workload = Workload(opts.report_members or workload.members, opts.report_months or workload.months)
    info = machine()
    command = "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])
    with tempfile.TemporaryDirectory(dir=opts.dir) as tmp:
        ingest_db, raw_db = os.path.join(tmp, "ingest.db"), os.path.join(tmp, "raw.db")
        report_db = opts.report_db or (ingest_db if report_workload == workload else os.path.join(tmp, "report.db"))
        # A kept report ledger is complete once its marker exists; its workload is in the marker.
        marker = Path(f"{report_db}.done")
        reuse = opts.report_db is not None and marker.exists()
        size = f"{report_workload.members}x{report_workload.months}"
        if reuse and marker.read_text().strip() != size:
            raise SystemExit(f"{report_db} holds {marker.read_text().strip()} (members x months), not the report size")
        # The scorecard ledger: the same workload booked under the benchmark scorecard, kept beside
        # a kept report ledger (and reused the same way).
        scorecard_db = f"{opts.report_db}-scorecard.db" if opts.report_db else os.path.join(tmp, "scorecard.db")
        scorecard_marker = Path(f"{scorecard_db}.done")
        scorecard_reuse = opts.report_db is not None and scorecard_marker.exists()
        if scorecard_reuse and scorecard_marker.read_text().strip() != size:
            raise SystemExit(f"{scorecard_db} holds {scorecard_marker.read_text().strip()}, not the report size")
        events = f"{workload.members:,} members × {workload.months} month(s)"
        n = opts.events or DENSE_EVENTS[opts.size]
        dense_db = os.path.join(tmp, "dense.db")

        def dense(events: int, order: str = "random", *extra: str) -> list[str]:
            return ["--events", str(events), "--order", order, *extra]

        dense_members = f"{max(1, n // 200):,} members, {n:,} events / 29 days"
        peers = ["--peer-limit", str(opts.peer_limit)]
        stream = ["--batch", str(opts.batch)]
        # (key in the results, scenario, label, workload, extra arguments)
        plan: list[tuple[str, str, str, Workload, list[str]]] = [
            ("generate", "generate", "demo generator (Event construction)", workload, []),
            ("naive", "naive", "naive dict-lookup loop", workload, []),
            ("article", "article", "the article's GridMember class as written", workload, []),
            ("business-rules", "business-rules", "business-rules, rule table only", workload, peers),
            ("rule-engine", "rule-engine", "rule-engine, rule table only", workload, peers),
            ("dispatch", "dispatch", "gridpoints rule dispatch only", workload, []),
            ("memory", "memory", "pipeline, in-memory store", workload, []),
            ("memory-nochecks", "memory-nochecks", "pipeline, in-memory, checks off", workload, []),
            ("raw-sqlite", "raw-sqlite", "raw SQLite executemany (floor)", workload, ["--db", raw_db]),
            ("sqlite", "sqlite", "pipeline, SQLite ingest (1 call)", workload, ["--db", ingest_db]),
            ("verify", "verify", "verify() of the SQLite ledger", workload, ["--db", ingest_db]),
        ]
        if report_db != ingest_db and not reuse:
            plan.append(
                (
                    "report-build",
                    "stream",
                    "build the report ledger (streamed)",
                    report_workload,
                    ["--db", report_db, *stream],
                )
            )
        plan.append(("report", "report", "monthly report (last month)", report_workload, ["--db", report_db]))
        if not scorecard_reuse:
            plan.append(
                (
                    "scorecard-build",
                    "stream",
                    "build the scorecard ledger (streamed)",
                    report_workload,
                    ["--db", scorecard_db, "--scorecard", *stream],
                )
            )
        plan += [
            (
                "report-scorecard",
                "report",
                "monthly report under a scorecard (last month)",
                report_workload,
                ["--db", scorecard_db, "--scorecard"],
            ),
            (
                "stream",
                "stream",
                f"streaming ingest, SQLite, {opts.batch:,}/call",
                workload,
                ["--db", os.path.join(tmp, "stream.db"), *stream],
            ),
            (
                "csv",
                "csv",
                f"CSV import (gridpoints ingest), {opts.batch:,} rows/call",
                workload,
                ["--db", os.path.join(tmp, "csv.db"), *stream],
            ),
        ]
        # Issue 13's dense workload: one month's export, 200 events a member, in three orders.
        plan += [
            ("dense-naive", "dense-naive", "dense: naive dict-lookup loop", workload, dense(n)),
            ("dense-peer", "dense-peer", "dense: business-rules, rule table only", workload,
             dense(n, "random", *peers)),
            ("dense-random", "dense-memory", "dense: pipeline, in-memory, random order", workload, dense(n)),
            ("dense-nochecks", "dense-nochecks", "dense: pipeline, in-memory, random order, checks off", workload,
             dense(n)),
            ("dense-native", "dense-native", "dense: native-core skeleton (trial), in-memory, random, checks off",
             workload, dense(n)),
            ("dense-native-4n", "dense-native",
             f"dense: native-core skeleton (trial), in-memory, random, checks off, 4N = {4 * n:,}", workload,
             dense(4 * n)),
            ("dense-native-columns", "dense-native-columns",
             "dense: per-event core over columns (trial), in-memory, random, checks off, C pass alone", workload,
             dense(n)),
            ("dense-native-checked", "dense-native-checked",
             "dense: core with checks and a native in-memory store (trial), random, checks on, packing untimed",
             workload, dense(n)),
            ("dense-native-checked-member", "dense-native-checked",
             "dense: core with checks and a native in-memory store (trial), by member, checks on, packing untimed",
             workload, dense(n, "member")),
            ("dense-native-checked-grouped", "dense-native-checked-grouped",
             "dense: core with checks and a native in-memory store (trial), random, grouped in its pass", workload,
             dense(n)),
            ("dense-native-checked-gpi2", "dense-native-checked-gpi2",
             "dense: core with checks and a native in-memory store (trial), random, grouped, gpi2 intake", workload,
             dense(n)),
            ("dense-native-checked-threads", "dense-native-checked-threads",
             "dense: core with checks and a native in-memory store (trial), random, grouped, gpi2, two threads",
             workload, dense(n)),
            ("dense-time", "dense-memory", "dense: pipeline, in-memory, sorted by time", workload, dense(n, "time")),
            ("dense-member", "dense-memory", "dense: pipeline, in-memory, by member", workload, dense(n, "member")),
            ("dense-random-n4", "dense-memory", f"dense: in-memory, random, N/4 = {n // 4:,}", workload, dense(n // 4)),
            ("dense-random-4n", "dense-memory", f"dense: in-memory, random, 4N = {4 * n:,}", workload, dense(4 * n)),
            ("dense-raw-sqlite", "dense-raw-sqlite", "dense: raw SQLite executemany, plain table (floor)", workload,
             dense(n, "random", "--db", raw_db)),
            ("dense-sqlite", "dense-sqlite", "dense: pipeline, SQLite, random order (1 call)", workload,
             dense(n, "random", "--db", dense_db)),
            ("dense-native-sqlite", "dense-native-sqlite",
             "dense: native-core skeleton (trial), SQLite, random, checks off (1 call)", workload,
             dense(n, "random", "--db", os.path.join(tmp, "native.db"))),
            ("dense-native-writer", "dense-native-writer",
             "dense: native-core skeleton + native writer (trial), SQLite, random, checks off, late indexes (1 call)",
             workload, dense(n, "random", "--db", os.path.join(tmp, "writer.db"))),
            ("dense-verify", "verify", "dense: verify() of that SQLite ledger", workload, ["--db", dense_db]),
            ("dense-native-verify", "dense-native-verify",
             "dense: verify()'s reads of that ledger in C (trial: chain verified, bindings and intakes stepped; "
             "then each table read once)",
             workload, ["--db", dense_db]),
            ("dense-raw-postgres", "dense-raw-postgres", "dense: raw PostgreSQL COPY, plain table (floor)", workload,
             dense(n)),
            ("dense-postgres", "dense-postgres", "dense: pipeline, PostgreSQL, random order (1 call)", workload,
             dense(n)),
            ("dense-native-postgres", "dense-native-postgres",
             "dense: core over columns + native COPY (trial), PostgreSQL, one row per event, random, checks off, "
             "read indexes after (1 call)", workload, dense(n)),
        ]  # fmt: skip
        selected = _with_prerequisites(
            opts.only, building_report=report_db != ingest_db and not reuse, building_scorecard=not scorecard_reuse
        )
        results: dict[str, Result] = {}
        labels: dict[str, str] = {}
        for key, name, label, w, extra in plan:
            if selected is not None and key not in selected:
                continue
            scope = dense_members if key.startswith("dense") else f"{w.members:,} members × {w.months} month(s)"
            print(f"… {label} ({scope})", file=sys.stderr, flush=True)
            results[key] = run_scenario(name, w, extra)
            labels[key] = label if key.startswith("dense") else f"{label} [{w.members:,}×{w.months}]"
            if key == "report-build" and opts.report_db:
                marker.write_text(f"{w.members}x{w.months}")
            if key == "scorecard-build" and opts.report_db:
                scorecard_marker.write_text(f"{w.members}x{w.months}")
            if key in ("report", "report-scorecard"):
                built = reuse if key == "report" else scorecard_reuse
                reused = ", ledger built by an earlier run" if built else ""
                labels[key] = f"{label} [{w.members:,}×{w.months}, {result_entries(results[key])} entries{reused}]"
    print(f"Workload: {events} (demo generator, seed 2026); dense: {dense_members} (benchmarks/dense.py)")
    print(render(results, labels, info, command))
    if opts.json:
        Path(opts.json).write_text(json.dumps({"machine": info, "command": command, "results": results}, indent=2))
    return 0
