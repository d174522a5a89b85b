"""``gridpoints simulate``: the summary first, then who changes; --changed-only, --all, --events;
and the demo's proposal kit (``demo --write-csv`` writes proposal.toml and epidemic.csv)."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest

import gridpoints as gp
from gridpoints.cli.demo import PROPOSED_KIND, demo_ruleset
from tests.conftest import NOW, Run

PERIOD = "2026-09"


@pytest.fixture
def demo_month(run: Run, tmp_path: Path) -> Path:
    """60 demo members and their September in ``gridpoints.db``; the kit's files in ``data/``."""
    assert run("demo", "--members", "60", "--period", PERIOD, "--write-csv", "data")[0] == 0
    assert run("--ruleset", "demo", "members", "data/members.csv")[0] == 0
    assert run("--ruleset", "demo", "ingest", "data/events.csv")[0] == 0
    return tmp_path / "data"


def what_if(tmp_path: Path, events: bool = False) -> gp.WhatIf:
    """The same what-if through the Python API, to compare the command's output with."""
    from gridpoints.cli.demo import DemoRules

    with gp.Engine(tmp_path / "gridpoints.db", ruleset="demo", plugins=[DemoRules()], clock=lambda: NOW) as engine:
        extra = None
        if events:
            with (tmp_path / "data" / "epidemic.csv").open(encoding="utf-8") as handle:
                extra = [gp.Event(row["id"], row["member_id"], row["kind"], datetime.fromisoformat(row["occurred_at"]))
                         for row in csv.DictReader(handle)]
        return engine.simulate(tmp_path / "data" / "proposal.toml", PERIOD, events=extra)


def listed(out: str) -> list[str]:
    """Member ids of the table after the summary."""
    return [line.split()[0] for line in out.splitlines() if line[:1] == "G" and line.split()[0][1:].isdigit()]


def test_the_demo_kit_holds_a_proposal_and_events_of_its_new_kind(demo_month: Path) -> None:
    (proposed,) = gp.load_rules(demo_month / "proposal.toml")
    current = demo_ruleset()
    changed = {r.kind for r in proposed.rules} ^ {r.kind for r in current.rules}
    assert changed == {PROPOSED_KIND}
    kept = [r for r in proposed.rules if r.kind != PROPOSED_KIND]
    different = [(a.kind, a.points, b.points) for a, b in zip(current.rules, kept, strict=True) if a.key() != b.key()]
    assert different == [("mediation", 15, 10)]
    assert proposed.coefficients == current.coefficients
    with (demo_month / "epidemic.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {row["kind"] for row in rows} == {PROPOSED_KIND}
    assert all(row["occurred_at"].startswith(PERIOD) for row in rows)


def test_simulate_prints_the_summary_then_the_grade_changes(run: Run, demo_month: Path, tmp_path: Path) -> None:
    code, out, err = run("--ruleset", "demo", "--lang", "en", "simulate", "--proposed", "data/proposal.toml", PERIOD)
    assert (code, err) == (0, "")
    expected = what_if(tmp_path)
    summary = expected.summary()
    assert out.startswith(summary.text("en"))
    assert f"grade changes: {summary.grade_changes}" in out
    assert "\nmembers whose grade changes:" in out
    assert listed(out) == [r.member_id for r in expected.grade_changes()]
    assert "not scorable under the proposal: 0 events" in out


def test_changed_only_and_all_choose_the_rows(run: Run, demo_month: Path, tmp_path: Path) -> None:
    expected = what_if(tmp_path)
    base = ("--ruleset", "demo", "simulate", "--proposed", "data/proposal.toml", PERIOD)
    out = run(*base, "--changed-only")[1]
    assert listed(out) == [r.member_id for r in expected.changed()] and "得分、等级或排名变化的网格员：" in out
    out = run(*base, "--all")[1]
    assert listed(out) == [r.member_id for r in expected] and "全部网格员：" in out
    code, _, err = run(*base, "--all", "--changed-only")
    assert code == 2 and "not allowed with argument" in err


def test_exports_hold_every_member_or_only_the_changed(run: Run, demo_month: Path, tmp_path: Path) -> None:
    expected = what_if(tmp_path)
    base = ("--ruleset", "demo", "simulate", "--proposed", "data/proposal.toml", PERIOD, "--format", "json")
    assert len(json.loads(run(*base)[1])["rows"]) == len(expected) == 60
    rows = json.loads(run(*base, "--changed-only")[1])["rows"]
    assert [row["member_id"] for row in rows] == [r.member_id for r in expected.changed()]


def test_events_from_a_file_show_the_new_kind(run: Run, demo_month: Path, tmp_path: Path) -> None:
    base = ("--ruleset", "demo", "--lang", "en", "simulate", "--proposed", "data/proposal.toml", PERIOD)
    code, out, err = run(*base, "--events", "data/epidemic.csv")
    assert (code, err) == (0, "")
    expected = what_if(tmp_path, events=True)
    assert expected.events is not None and expected.events.rescored > 0
    assert out.startswith(expected.summary().text("en"))
    count = expected.events.given
    assert f"events given: {count}; rescored {count}, already in the ledger 0, outside {PERIOD} 0" in out
    assert f"not scorable under the current rules: {count} events" in out
    assert f"  {PROPOSED_KIND}  unknown_kind  " in out
    one_by_one = "not scorable under the current rules: 2026-09-"
    assert "list the unscorable events one by one with --all" in out and one_by_one not in out
    every = run(*base, "--events", "data/epidemic.csv", "--all")[1]
    lines = [line for line in every.splitlines() if line.startswith(one_by_one)]
    assert len(lines) == count and f" {PROPOSED_KIND} [unknown_kind] kind: " in lines[0]
    assert run("--ruleset", "demo", "verify")[0] == 0


def test_a_bad_row_in_the_events_file_is_located_and_left_out(run: Run, demo_month: Path) -> None:
    events = demo_month / "epidemic.csv"
    events.write_text(events.read_text(encoding="utf-8") + "x1,G00001,epidemic_prevention,not a time,,,,,,,\n",
                      encoding="utf-8")
    lines = events.read_text(encoding="utf-8").count("\n")
    code, out, err = run("--ruleset", "demo", "simulate", "--proposed", "data/proposal.toml", PERIOD,
                         "--events", "data/epidemic.csv")
    assert code == 1
    assert f"data/epidemic.csv:{lines}: occurred_at: 'not a time' is not a date-time" in err
    assert "1 rows of data/epidemic.csv could not be read and were left out" in err
    assert out.startswith(f"{PERIOD}：方案 demo 2027.1-proposal")


def test_paths_are_relative_to_the_working_directory(
    run: Run, demo_month: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    meeting = tmp_path / "meeting"
    meeting.mkdir()
    (meeting / "idea.toml").write_bytes((demo_month / "proposal.toml").read_bytes())
    monkeypatch.chdir(meeting)
    code, out, _ = run("--db", "../gridpoints.db", "--ruleset", "demo", "simulate", "--proposed", "idea.toml",
                       "--events", "../data/epidemic.csv", PERIOD)
    assert code == 0 and "另附事件" in out
    code, _, err = run("--db", "../gridpoints.db", "--ruleset", "demo", "simulate", "--proposed",
                       "data/proposal.toml", PERIOD)
    assert code == 2 and "data/proposal.toml: no such file" in err
