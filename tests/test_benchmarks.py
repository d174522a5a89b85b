"""The benchmark harness runs, and its baselines score the same rule table as the engine."""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path

import pytest
from benchmarks.baselines import naive_scores, peer_scorers
from benchmarks.runner import ratios, render
from benchmarks.scenarios import SCENARIOS, run
from benchmarks.workload import LAST_MONTH, NOW, Workload

import gridpoints as gp

TINY = Workload(members=12)


def _engine_scores(events: list[gp.Event], members: list[gp.Member]) -> dict[str, Decimal]:
    # No coefficients and no checks: the baselines score only the rule table.
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW, checks=False)
    engine.add_members(members)
    result = engine.ingest(events)
    assert len(result.accepted) == len(events)
    # Derived late-report deductions are engine semantics the bare table does not have.
    derived = {}
    for member in members:
        entries = engine.explain(member.id, LAST_MONTH)
        derived[member.id] = sum((e.points for e in entries if e.reason == "derived"), Decimal(0))
    return {m.id: engine.score(m.id, LAST_MONTH) - derived[m.id] for m in members}


def test_naive_and_peer_baselines_agree_with_the_engine() -> None:
    members = TINY.member_list()
    events = list(TINY.events(members))
    expected = _engine_scores(events, members)
    naive = {k: Decimal(v.score) for k, v in naive_scores(events).items()}
    assert naive == {k: v for k, v in expected.items() if k in naive}
    for name, scorer in peer_scorers().items():
        if scorer is None:
            continue
        assert {k: Decimal(v) for k, v in scorer(events).items()} == naive, name


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenario_runs_in_process(name: str, tmp_path: Path) -> None:
    opts = argparse.Namespace(db=str(tmp_path / "bench.db"), batch=100, peer_limit=50)
    if name in ("verify", "report"):
        run("sqlite", TINY, opts)
    result = run(name, TINY, opts)
    if "skipped" in result:
        pytest.skip(result["skipped"])
    assert result["count"] > 0 and result["seconds"] > 0 and result["peak_rss_mb"] > 0


def test_the_table_names_every_target(tmp_path: Path) -> None:
    opts = argparse.Namespace(db=str(tmp_path / "bench.db"), batch=100, peer_limit=50)
    results = {name: run(name, TINY, opts) for name in ("naive", "memory")}
    by_target = {target: measured for target, _, _, measured in ratios(results)}
    slower = by_target["pipeline time ÷ naive loop time"]
    assert slower is not None and slower > 1  # the pipeline does more than the naive loop
    assert by_target["verify entries/s"] is None
    text = render(
        results, {k: k for k in results}, {"cpu": "x", "cores": "2", "python": "3", "platform": "p", "load": "0"}, "cmd"
    )
    assert "not measured" in text and "pipeline time ÷ naive loop time" in text
