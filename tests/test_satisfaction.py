"""Resident satisfaction (群众满意度): period awards booked by settle, once, at the boundaries."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

import gridpoints as gp
from tests.conftest import NOW, at

Make = Callable[..., gp.Engine]
_ids = itertools.count()


def _rate(engine: gp.Engine, member_id: str, stars: list[int | str], month: int = 11) -> None:
    events = [
        gp.Event(f"r{next(_ids)}", member_id, "rating", at(1 + i, month=month), attributes={"stars": s})
        for i, s in enumerate(stars)
    ]
    result = engine.ingest(events)
    assert len(result.accepted) == len(stars), result


@pytest.mark.parametrize(
    ("stars", "award"),
    [
        ([5, 5, 5, 4, 4, 4], Decimal(10)),  # exactly 4.5
        ([5, 5, 5, 4, 4, 3], None),  # 4.33
        ([5, 5, 5, 5, 4], Decimal(10)),  # 4.8 with exactly 5 ratings
        ([5, 5, 5, 5], None),  # only 4 ratings
        ([3, 3, 3, 3, 3], None),  # exactly 3.0 is not below 3.0
        ([3, 3, 3, 3, 2], Decimal(-10)),  # 2.8
        ([1, 1, 1, 1], None),  # only 4 ratings
        (["1", "1", "2", "1", "1"], Decimal(-10)),  # stars as CSV text
    ],
)
def test_satisfaction_award_at_the_boundaries(make_engine: Make, stars: list[int | str], award: Decimal | None) -> None:
    engine = make_engine(checks=False)
    engine.add_members([gp.Member(id="M", region="urban")])
    _rate(engine, "M", stars)
    assert engine.score("M", "2026-11") == 0  # ratings score nothing by themselves
    result = engine.settle("2026-11")
    expected = [] if award is None else [award]
    assert [a.points for _, a in result.awards] == expected
    assert engine.score("M", "2026-11") == (award or 0)
    entries = [e for e in engine.explain("M", "2026-11") if e.reason == "period_award"]
    assert [(e.kind, e.points, e.coefficient) for e in entries] == [("satisfaction", a, 1) for a in expected]
    assert engine.ledger.verify()


def test_settling_twice_books_once_and_the_report_shows_awards_only_after(make_engine: Make) -> None:
    engine = make_engine(checks=False, coefficients={"rural": "1.2"})
    engine.add_members([gp.Member(id="A", region="rural"), gp.Member(id="B", region="urban")])
    _rate(engine, "A", [5] * 5)
    _rate(engine, "B", [2] * 6)
    before = engine.report("2026-11")
    assert not before.settled and before.row("A").score == 0
    first = engine.settle("2026-11")
    assert (first.already_settled, first.entries) == (False, 2)
    head = engine.ledger.head()
    second = engine.settle("2026-11")
    assert (second.already_settled, second.entries, second.awards) == (True, 0, ())
    assert engine.ledger.head() == head
    after = engine.report("2026-11")
    assert after.settled
    # Period awards are not scaled by the regional coefficient.
    assert (after.row("A").score, after.row("B").score) == (Decimal("10.00"), Decimal("-10.00"))
    assert after.row("A").breakdown == {"rating": Decimal("0.00"), "satisfaction": Decimal("10.00")}


def test_settled_months_are_remembered_by_the_file(tmp_path: Path) -> None:
    path = str(tmp_path / "points.db")
    with gp.Engine(path, load_entrypoints=False, checks=False, clock=lambda: NOW) as engine:
        engine.add_members([gp.Member(id="A", region="urban")])
        _rate(engine, "A", [5] * 5)
        assert engine.settle("2026-11").entries == 1
    with gp.Engine(path, load_entrypoints=False, checks=False, clock=lambda: NOW) as engine:
        assert engine.settle("2026-11").already_settled
        assert engine.score("A", "2026-11") == 10
        assert engine.store.settled_periods() == {"2026-11"}


def test_awards_are_asked_once_per_active_member_not_per_event(make_engine: Make) -> None:
    calls: list[tuple[str, str, tuple[int, ...]]] = []

    class Counting:
        @gp.hookimpl
        def gridpoints_period_awards(self, member: gp.Member, period: gp.Period, summary: gp.PeriodSummary) -> list:
            calls.append((member.id, str(period), summary.ratings))
            return []

    engine = make_engine(checks=False, plugins=[Counting()])
    engine.add_members(
        [
            gp.Member(id="A", region="urban"),
            gp.Member(id="B", region="urban"),
            gp.Member(id="GONE", region="urban", left="2026-10-01"),
        ]
    )
    _rate(engine, "A", [4, 5, 3])
    engine.ingest([gp.Event("p1", "A", "patrol", at(2), quantity=3), gp.Event("p2", "B", "patrol", at(2))])
    engine.settle("2026-11")
    assert sorted(calls) == [("A", "2026-11", (4, 5, 3)), ("B", "2026-11", ())]


def test_summary_gives_points_and_quantities_per_kind(make_engine: Make) -> None:
    seen: dict[str, gp.PeriodSummary] = {}

    class Recorder:
        @gp.hookimpl
        def gridpoints_period_awards(self, summary: gp.PeriodSummary) -> list[gp.Award]:
            seen[summary.member_id] = summary
            return [gp.Award("attendance", 5, note="full attendance")] if summary.quantities.get("patrol") else []

    engine = make_engine(checks=False, plugins=[Recorder()])
    engine.add_members([gp.Member(id="A", region="urban")])
    engine.ingest(
        [
            gp.Event("p1", "A", "patrol", at(2), quantity=3),
            gp.Event("p2", "A", "patrol", at(3), quantity=2),
            gp.Event("l1", "A", "late_report", at(4)),
        ]
    )
    engine.settle("2026-11")
    summary = seen["A"]
    assert summary.score == Decimal("22.00")
    assert dict(summary.quantities) == {"patrol": Decimal(5), "late_report": Decimal(1)}
    assert dict(summary.points) == {"patrol": Decimal("25.00"), "late_report": Decimal("-3.00")}
    award = next(e for e in engine.explain("A", "2026-11") if e.reason == "period_award")
    assert (award.kind, award.points, award.ref) == ("attendance", Decimal("5.00"), "full attendance")


def test_thresholds_are_configurable_and_replace_the_default(make_engine: Make) -> None:
    engine = make_engine(checks=False, plugins=[gp.SatisfactionAward(high="4.8", low="3.5", minimum=3, bonus=20)])
    engine.add_members([gp.Member(id="A", region="urban"), gp.Member(id="B", region="urban")])
    _rate(engine, "A", [5, 5, 4, 5, 4])  # 4.6: default would award, 4.8 does not
    _rate(engine, "B", [3, 4, 3])  # 3.33 < 3.5 with 3 ratings
    result = engine.settle("2026-11")
    assert [(m, a.points) for m, a in result.awards] == [("B", Decimal(-10))]
    with pytest.raises(ValueError, match="low/high"):
        gp.SatisfactionAward(high="3", low="4")
    with pytest.raises(ValueError, match="minimum"):
        gp.SatisfactionAward(minimum=0)


def test_ratings_without_valid_stars_are_rejected(make_engine: Make) -> None:
    engine = make_engine(checks=False)
    engine.add_members([gp.Member(id="A", region="urban")])
    result = engine.ingest(
        [
            gp.Event("r0", "A", "rating", at(2)),
            gp.Event("r6", "A", "rating", at(2), attributes={"stars": 6}),
            gp.Event("rx", "A", "rating", at(2), attributes={"stars": "4.5"}),
            gp.Event("ok", "A", "rating", at(2), attributes={"stars": 4}),
        ]
    )
    assert result.accepted == ("ok",)
    assert [(r.event_id, r.code) for r in result.rejected] == [("r0", "invalid"), ("r6", "invalid"), ("rx", "invalid")]
    assert "attributes.stars" in result.rejected[1].message


def test_only_ended_months_settle(make_engine: Make) -> None:
    engine = make_engine()
    with pytest.raises(ValueError, match="settle months"):
        engine.settle("2026-Q4")
    with pytest.raises(ValueError, match="not ended"):
        engine.settle("2027-06")  # NOW is 2027-06-01 00:00 Shanghai
    assert engine.settle("2027-05").entries == 0
    assert engine.store.settled_periods() == {"2027-05"}


SETTLER = """
import sys
from datetime import datetime
from zoneinfo import ZoneInfo
import gridpoints as gp
now = datetime(2027, 1, 1, tzinfo=ZoneInfo("UTC"))
with gp.Engine(sys.argv[1], load_entrypoints=False, checks=False, clock=lambda: now) as engine:
    print(engine.settle("2026-11").entries)
"""


def test_processes_settling_at_once_book_the_awards_once(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = str(tmp_path / "points.db")
    with gp.Engine(path, load_entrypoints=False, checks=False, clock=lambda: NOW) as engine:
        engine.add_members([gp.Member(id=f"M{i}", region="urban") for i in range(20)])
        for i in range(20):
            _rate(engine, f"M{i}", [5] * 5)
    command = [sys.executable, "-c", SETTLER, path]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(3)]
    booked = sorted(int(run.communicate(timeout=120)[0]) for run in runs)
    assert booked == [0, 0, 20]
    with gp.Engine(path, load_entrypoints=False, checks=False, clock=lambda: NOW) as engine:
        assert engine.ledger.verify() and engine.ledger.head()[0] == 100 + 20 + 1  # the awards, one settle decision
        assert [d.action for d in engine.decisions()] == ["settle"]
