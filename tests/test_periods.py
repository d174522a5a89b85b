"""Periods in the engine's zone: months, quarters, years and their boundaries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

import gridpoints as gp
from tests.conftest import SHANGHAI

UTC = ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("moment", "month"),
    [
        (datetime(2026, 11, 30, 23, 30, tzinfo=SHANGHAI), "2026-11"),
        (datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI), "2026-12"),
        # The same instants written in UTC: the engine zone decides, not UTC.
        (datetime(2026, 11, 30, 15, 30, tzinfo=UTC), "2026-11"),
        (datetime(2026, 11, 30, 16, 30, tzinfo=UTC), "2026-12"),
    ],
)
def test_month_boundaries_follow_the_engine_zone(
    make_engine: Callable[..., gp.Engine], moment: datetime, month: str
) -> None:
    engine = make_engine()
    engine.add_members([gp.Member(id="M1", region="urban")])
    engine.ingest([gp.Event("e1", "M1", "patrol", moment)])
    assert engine.score("M1", month) == Decimal(5)
    other = "2026-12" if month == "2026-11" else "2026-11"
    assert engine.score("M1", other) == 0
    assert [e.period for e in engine.explain("M1", month)] == [month]


def test_naive_datetimes_are_rejected_as_invalid(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine()
    engine.add_members([gp.Member(id="M1", region="urban")])
    result = engine.ingest([{"id": "e1", "member_id": "M1", "kind": "patrol", "occurred_at": datetime(2026, 11, 3)}])
    assert [(r.event_id, r.code) for r in result.rejected] == [("e1", "invalid")]
    assert "occurred_at" in result.rejected[0].message and "no time zone" in result.rejected[0].message
    with pytest.raises(ValueError, match=r"occurred_at: .* has no time zone"):
        gp.Event("e1", "M1", "patrol", datetime(2026, 11, 3))


def test_parse_and_months() -> None:
    assert str(gp.Period.parse("2026-11")) == "2026-11"
    quarter = gp.Period.parse("2026-q4")
    assert [str(m) for m in quarter.months()] == ["2026-10", "2026-11", "2026-12"]
    year = gp.Period.parse("2026")
    assert len(year.months()) == 12 and year.last_day == date(2026, 12, 31)
    assert gp.Period.parse("2024-02").last_day == date(2024, 2, 29)
    assert str(gp.Period.parse("2026-01").shift(-2)) == "2025-11"
    assert gp.Period.parse("2026-11").start(SHANGHAI) == datetime(2026, 11, 1, tzinfo=SHANGHAI)
    assert gp.Period.parse("2026-12").end(SHANGHAI) == datetime(2027, 1, 1, tzinfo=SHANGHAI)


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "26-11", "November", "2026/11", ""])
def test_bad_periods_are_named(text: str) -> None:
    with pytest.raises(ValueError, match="period: "):
        gp.Period.parse(text)


def test_quarter_and_year_scores_are_sums_of_months(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine()
    engine.add_members([gp.Member(id="M1", region="urban")])
    engine.ingest([
        gp.Event("a", "M1", "patrol", datetime(2026, 10, 5, tzinfo=SHANGHAI)),
        gp.Event("b", "M1", "service", datetime(2026, 12, 5, tzinfo=SHANGHAI)),
        gp.Event("c", "M1", "patrol", datetime(2026, 7, 5, tzinfo=SHANGHAI)),
    ])
    assert engine.score("M1", "2026-Q4") == 15
    assert engine.score("M1", "2026") == 20
