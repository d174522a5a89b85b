"""The benchmark harness runs, and its baselines score the same rule table as the engine.

Both run in a child process, as CI runs the harness: Hypothesis draws constants from every local
module loaded in the test process, so importing the harness here would shift the examples of
unrelated derandomized property tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env=env, check=True)


DENSE = [
    "dense-naive", "dense-peer", "dense-random", "dense-nochecks", "dense-native", "dense-native-4n",
    "dense-native-columns", "dense-native-checked", "dense-native-checked-member", "dense-native-checked-grouped",
    "dense-native-checked-gpi2", "dense-native-checked-threads", "dense-time", "dense-member",
    "dense-random-n4",
    "dense-random-4n", "dense-raw-sqlite", "dense-sqlite", "dense-native-sqlite", "dense-native-writer",
    "dense-verify", "dense-native-verify",
    "dense-raw-postgres", "dense-postgres", "dense-native-postgres",
]  # fmt: skip


AGREEMENT = """
import json
from decimal import Decimal
import gridpoints as gp
from benchmarks.baselines import naive_scores, peer_scorers
from benchmarks.workload import LAST_MONTH, NOW, Workload

workload = Workload(members=12)
members = workload.member_list()
events = list(workload.events(members))
# No coefficients and no checks: the baselines score only the rule table.
engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW, checks=False)
engine.add_members(members)
assert len(engine.ingest(events).accepted) == len(events)
expected = {}
for member in members:
    entries = engine.explain(member.id, LAST_MONTH)
    derived = sum((e.points for e in entries if e.reason == "derived"), Decimal(0))
    expected[member.id] = str(engine.score(member.id, LAST_MONTH) - derived)
scores = {"engine": expected, "naive": {k: str(Decimal(v.score)) for k, v in naive_scores(events).items()}}
for name, scorer in peer_scorers().items():
    if scorer is not None:
        scores[name] = {k: str(Decimal(v)) for k, v in scorer(events).items()}
print(json.dumps(scores))
"""


def test_naive_and_peer_baselines_agree_with_the_engine() -> None:
    scores = json.loads(_python("-c", AGREEMENT).stdout)
    engine = {k: float(v) for k, v in scores.pop("engine").items()}
    naive = {k: float(v) for k, v in scores["naive"].items()}
    assert naive and naive == {k: v for k, v in engine.items() if k in naive}
    for name, found in scores.items():
        assert {k: float(v) for k, v in found.items()} == naive, name


@pytest.mark.slow
def test_the_harness_runs_every_scenario_and_names_every_target(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = _python("-m", "benchmarks", "--members", "12", "--events", "400", "--peer-limit", "50", "--batch", "100",
                   "--json", str(out))  # fmt: skip
    results = json.loads(out.read_text())["results"]
    expected = {
        "generate",
        "naive",
        "article",
        "business-rules",
        "rule-engine",
        "dispatch",
        "memory",
        "memory-nochecks",
        "raw-sqlite",
        "sqlite",
        "verify",
        "report",
        "scorecard-build",
        "report-scorecard",
        "stream",
        "csv",
        *DENSE,
    }
    assert set(results) == expected
    for name, result in results.items():
        assert "skipped" in result or (result["count"] > 0 and result["seconds"] > 0 and result["peak_rss_mb"] > 0), (
            name
        )
    assert results["verify"]["count"] == results["sqlite"]["entries"]
    assert results["csv"]["count"] == results["stream"]["count"] == results["sqlite"]["count"]
    assert results["csv"]["accepted"] + results["csv"]["held"] == results["csv"]["count"]
    assert results["csv"]["ledger_entries"] == results["sqlite"]["entries"]
    for target in ("pipeline time ÷ naive loop time", "verify entries/s", "streaming CSV import peak RSS MB"):
        assert target in done.stdout
    assert "the article's class as written" in done.stdout
    # The scorecard month is measured beside the standard one, over the same members.
    assert results["report-scorecard"]["count"] == results["report"]["count"] == 12
    assert "Monthly report under the scorecard vs the standard rule set" in done.stdout


@pytest.mark.slow
def test_only_runs_the_scenarios_that_build_a_timed_ledger(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    _python("-m", "benchmarks", "--members", "12", "--only", "verify", "report", "--json", str(out))
    results = json.loads(out.read_text())["results"]
    assert set(results) == {"sqlite", "verify", "report"}
    assert results["verify"]["count"] == results["sqlite"]["entries"] > 0
    assert results["report"]["count"] == 12


def test_only_report_scorecard_builds_its_scorecard_ledger(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    _python("-m", "benchmarks", "--members", "12", "--only", "report-scorecard", "--json", str(out))
    results = json.loads(out.read_text())["results"]
    assert set(results) == {"scorecard-build", "report-scorecard"}
    assert results["report-scorecard"]["count"] == 12 and results["report-scorecard"]["ledger_entries"] > 0


def test_a_scenario_refuses_to_time_a_missing_ledger(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for scenario in ("verify", "report"):
        command = ["-m", "benchmarks.scenarios", scenario, "--members", "5", "--db", str(tmp_path / "none.db")]
        done = subprocess.run(
            [sys.executable, *command], capture_output=True, text=True, cwd=ROOT, env=env, check=False
        )
        assert done.returncode != 0 and "no ledger" in done.stderr, scenario


def test_the_instruction_counting_work_runs_and_refuses_a_missing_ledger(tmp_path: Path) -> None:
    from benchmarks.baselines import peer_scorers
    from benchmarks.instructions import main

    ledger = tmp_path / "ledger.db"
    _python("-m", "benchmarks.scenarios", "sqlite", "--members", "6", "--db", str(ledger))
    for argv in (["memory", "--baseline"], ["report", "--ledger", str(ledger)], ["dense", "--events", "40"]):
        main(argv)
    for work in ("dense-nochecks", "dense-naive"):
        main([work, "--events", "40"])
    if peer_scorers()["business-rules"] is not None:
        main(["dense-peer", "--events", "40"])
    else:  # the extra bench is not installed (.ci/run installs dev and docs only)
        with pytest.raises(SystemExit, match="business-rules is not installed"):
            main(["dense-peer", "--events", "40"])
    with pytest.raises(SystemExit):
        main(["report", "--ledger", str(tmp_path / "none.db")])


@pytest.mark.slow  # the dense workload three times over, in subprocesses
def test_the_dense_workload_runs_in_every_order_with_the_same_outcome(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = _python("-m", "benchmarks", "--members", "12", "--events", "400", "--peer-limit", "50",
                   "--only", *DENSE, "--json", str(out))  # fmt: skip
    results = json.loads(out.read_text())["results"]
    assert set(results) == set(DENSE)
    for name, result in results.items():
        assert "skipped" in result or (result["count"] > 0 and result["seconds"] > 0), name
    # The same events in three orders: the same verdicts (judged by occurred_at, then id).
    outcomes = {
        order: tuple(results[f"dense-{order}"][k] for k in ("accepted", "held", "rejected", "entries"))
        for order in ("random", "time", "member")
    }
    assert len(set(outcomes.values())) == 1 and outcomes["random"][1] > 0, outcomes
    assert results["dense-random-n4"]["count"] == 100 and results["dense-random-4n"]["count"] == 1600
    # The native-core skeleton books what the pipeline books with checks off.
    native, nochecks = results["dense-native"], results["dense-nochecks"]
    if "skipped" not in native:
        assert [native[k] for k in ("accepted", "rejected", "entries")] == [
            nochecks[k] for k in ("accepted", "rejected", "entries")
        ]
        assert native["native_seconds"] > 0 and "Native-core skeleton (trial, checks off)" in done.stdout
        assert results["dense-native-sqlite"]["entries"] == native["entries"]
        assert "Native-core skeleton on SQLite" in done.stdout and "Native-core skeleton at 4N ÷ at N" in done.stdout
        assert results["dense-native-4n"]["count"] == 1600
        # The core over columns books what the skeleton books.
        columns = results["dense-native-columns"]
        assert [columns[k] for k in ("accepted", "rejected", "duplicates", "entries")] == [
            native[k] for k in ("accepted", "rejected", "duplicates", "entries")
        ]
        assert 0 < columns["tail_seconds"] < columns["seconds"] and "Per-event core over columns" in done.stdout
        # The core with its checks books what the pipeline books with checks on.
        checked = results["dense-native-checked"]
        assert [checked[k] for k in ("accepted", "held", "rejected", "duplicates", "entries")] == [
            results["dense-random"][k] for k in ("accepted", "held", "rejected", "duplicates", "entries")
        ]
        assert 0 < checked["native_seconds"] <= checked["seconds"] and "Core with checks and a native" in done.stdout
        # The same events by member: the same verdicts (judged by occurred_at, not by arrival).
        by_member = results["dense-native-checked-member"]
        assert [by_member[k] for k in ("accepted", "held", "rejected", "duplicates", "entries")] == [
            checked[k] for k in ("accepted", "held", "rejected", "duplicates", "entries")
        ]
        assert "By member, the core with checks" in done.stdout
        # Gathered by member in the pass, and with the gpi2 intake: the same verdicts again.
        trials = {"dense-native-checked-grouped": "Grouped in its pass, the core with checks",
                  "dense-native-checked-gpi2": "Grouped, with a one-digest intake (gpi2), the core",
                  "dense-native-checked-threads": "Grouped, gpi2, chaining and commit on two threads"}  # fmt: skip
        for key, line in trials.items():
            trial = results[key]
            assert [trial[k] for k in ("accepted", "held", "rejected", "duplicates", "entries")] == [
                checked[k] for k in ("accepted", "held", "rejected", "duplicates", "entries")
            ]
            assert "gather" in trial["stage_seconds"] and line in done.stdout
        assert "side_by_side" in results["dense-native-checked-threads"]["stage_seconds"]
        written = results["dense-native-writer"]
        assert [written[k] for k in ("accepted", "rejected", "entries")] == [
            nochecks[k] for k in ("accepted", "rejected", "entries")
        ]
        assert written["writer_seconds"] > 0 and "Native-core skeleton + native writer on SQLite" in done.stdout
        # One row per event on PostgreSQL, natively: what the pipeline books with checks off.
        copied = results["dense-native-postgres"]
        if "skipped" not in copied:
            assert [copied[k] for k in ("accepted", "rejected", "entries")] == [
                nochecks[k] for k in ("accepted", "rejected", "entries")
            ]
            assert copied["send_seconds"] > 0 and copied["copy_bytes"] > 0
            assert "One row per event on PostgreSQL, natively" in done.stdout
    native_verify = results["dense-native-verify"]
    if "skipped" not in native_verify:
        assert native_verify["count"] == results["dense-sqlite"]["entries"]
        assert native_verify["bindings_rows"] == results["dense-sqlite"]["count"] and "Native verify" in done.stdout
        assert native_verify["once_entries"] == native_verify["count"] and native_verify["once_table_bytes"] > 0
        assert "Each table read once" in done.stdout
        assert native_verify["split_entries"] == native_verify["count"] and native_verify["split_workers"] == 2
        assert len(native_verify["split_share_seconds"]) == len(native_verify["split_in_turn_share_seconds"]) == 2
        assert 0 <= native_verify["split_balanced_first_share"] <= 1 and "Balanced (the first range" in done.stdout
        assert "with 2 processes" in done.stdout
    assert results["dense-verify"]["count"] == results["dense-sqlite"]["entries"]
    for target in ("random order ÷ sorted by time", "µs/event at 4N ÷ at N", "raw COPY into a plain table"):
        assert target in done.stdout


def test_the_cold_verify_times_either_way_of_reading_the_event_bindings(tmp_path: Path) -> None:
    ledger = str(tmp_path / "ledger.db")
    _python("-m", "benchmarks.verify_cold", "build", ledger, "20")
    merged = _python("-m", "benchmarks.verify_cold", "verify", ledger, "after").stdout
    shared = _python("-m", "benchmarks.verify_cold", "verify", ledger, "before", "--shared-statement").stdout
    assert merged.startswith("after ok=True") and shared.startswith("before ok=True")
    assert merged.split()[2] == shared.split()[2]  # the same entries
    with pytest.raises(subprocess.CalledProcessError):  # an unknown option is not taken as a label
        _python("-m", "benchmarks.verify_cold", "verify", ledger, "x", "--shared")


def test_the_parallel_verify_trial_passes_an_intact_ledger_and_fails_a_tampered_one(tmp_path: Path) -> None:
    import sqlite3

    ledger = str(tmp_path / "ledger.db")
    _python("-m", "benchmarks.verify_cold", "build", ledger, "20")
    lines = _python("-m", "benchmarks.verify_parallel", ledger, "--stretches", "3").stdout.splitlines()
    assert [line.split()[0] for line in lines[:3]] == ["Ledger.verify()", "trial", "trial"]
    assert all(line.endswith("ok=True") for line in lines[:3]), lines
    assert sum(line.lstrip().startswith("chain ") for line in lines) == 3
    # One entry's points changed in the last stretch: every run of the trial must fail.
    conn = sqlite3.connect(ledger)
    conn.execute("DROP TRIGGER entries_no_update")
    conn.execute("UPDATE entries SET points_cents = points_cents + 100 WHERE seq = (SELECT MAX(seq) - 1 FROM entries)")
    conn.commit()
    conn.close()
    lines = _python("-m", "benchmarks.verify_parallel", ledger, "--stretches", "3").stdout.splitlines()
    assert all(line.endswith("ok=False") for line in lines[:3]), lines


def test_the_phase_timer_times_every_stage_of_one_ingest() -> None:
    done = _python("-m", "benchmarks.ingest_phases", "2000", "--order", "member")
    assert done.stdout.startswith("2,000 events, member order:"), done.stdout
    for stage in ("Pipeline.ingest", "Pipeline._judge_and_book", "Ready.judging_order", "Call.chain_deferred",
                  "IntakeLog.add", "commit (after the pipeline)", "peak RSS"):  # fmt: skip
        assert stage in done.stdout, stage


def test_the_store_rows_timer_writes_every_row_of_the_ledger_again(tmp_path: Path) -> None:
    import sqlite3

    ledger = str(tmp_path / "ledger.db")
    _python("-m", "benchmarks.store_rows", "build", ledger, "600")
    conn = sqlite3.connect(ledger)
    entries, events = (conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in ("entries", "events"))
    conn.close()
    variants = ["floor", "store:member", "store:input", "store:id", "bare:member", "late:member"]
    lines = _python("-m", "benchmarks.store_rows", "time", ledger, *variants).stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["floor", "store", "store", "store", "bare", "late"], lines
    assert lines[0].endswith(f"({entries:,} rows)"), lines[0]
    for line in lines[1:-1]:
        assert line.endswith(f"({entries:,} entry rows, {events:,} event rows)"), line
    assert lines[-1].endswith(f"({entries:,} entry rows, {events:,} event rows, 6 indexes created after)"), lines[-1]
    merged = _python("-m", "benchmarks.store_rows", "time", ledger, "merged:member").stdout.strip()
    assert merged.startswith("merged:member: ") and merged.endswith(f"({events:,} rows, 5 indexes created after)")
    assert not os.path.exists(ledger + ".scratch")
    if os.environ.get("CI") == "true" or "skipped" not in _python(
        "-m", "benchmarks.store_rows", "time", ledger, "pg-floor"
    ).stdout:  # fmt: skip
        variants = ["pg-floor", "pg-store:member", "pg-bare:member", "pg-late:member", "pg-merged:member"]
        lines = _python("-m", "benchmarks.store_rows", "time", ledger, *variants).stdout.splitlines()
        assert [line.split(":")[0] for line in lines] == ["pg-floor", "pg-store", "pg-bare", "pg-late", "pg-merged"]
        assert all(f"({entries:,} entry rows" in line for line in lines), lines
        assert lines[-1].endswith("indexes created after)"), lines[-1]
