"""The Jiangsu plugin, tested the way a locality's CI would: through its entry point, with the kit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from importlib.resources import files
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.testing import events, ruleset_tests
from gridpoints_jiangsu import NightPatrolCheck, jiangsu_ruleset, jiangsu_versions

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 6, 1, tzinfo=SHANGHAI)


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=SHANGHAI)


def month_of_work(member: str) -> list[gp.Event]:
    """The article's example month: 20 patrols on 20 days, 2 mediations, 1 late report."""
    work = [gp.Event(f"{member}-p{d}", member, "patrol", at(d)) for d in range(1, 21)]
    work += [gp.Event(f"{member}-m{n}", member, "mediation", at(5 + n, 15), attributes={"evidence": "photo"})
             for n in (1, 2)]
    return [*work, gp.Event(f"{member}-late", member, "late_report", at(12, 10))]


@pytest.fixture
def jiangsu(gp_make_engine: Callable[..., gp.Engine]) -> gp.Engine:
    """An engine that finds the rule set only through the installed entry point (no plugins= given)."""
    engine = gp_make_engine(ruleset="jiangsu", clock=lambda: NOW)
    engine.add_members([gp.Member(id="city", region="urban"), gp.Member(id="village", region="rural")])
    return engine


def test_found_through_its_entry_point(jiangsu: gp.Engine) -> None:
    assert "jiangsu" in jiangsu.plugins.plugin_names()
    assert jiangsu.rulebook.latest.ruleset == jiangsu_ruleset()


def test_the_rules_are_the_toml_file_the_package_ships() -> None:
    shipped = files("gridpoints_jiangsu") / "jiangsu.toml"
    assert shipped.is_file()  # declared as package data: it travels in the wheel
    assert jiangsu_versions() == gp.load_rules(shipped)
    assert "cap = { day = 10 }" in shipped.read_text(encoding="utf-8")


def test_the_article_month_scores_by_the_city_table_and_rural_coefficient(jiangsu: gp.Engine) -> None:
    result = jiangsu.ingest(month_of_work("city") + month_of_work("village"))
    assert not result.rejected and not result.held
    assert jiangsu.score("city", "2026-11") == Decimal("117.00")  # 100 + 2×10 − 3
    assert jiangsu.score("village", "2026-11") == Decimal("141.00")  # (100 + 20)×1.2 − 3: deductions unscaled


def test_patrols_are_capped_at_ten_points_a_day(jiangsu: gp.Engine) -> None:
    jiangsu.ingest([gp.Event(f"p{h}", "city", "patrol", at(3, h)) for h in (8, 10, 14)])
    assert jiangsu.score("city", "2026-11") == 10
    assert [e.reason for e in jiangsu.explain("city", "2026-11")] == ["rule", "rule", "cap"]


def test_a_late_hazard_report_books_the_deduction(jiangsu: gp.Engine) -> None:
    late = gp.Event("h1", "city", "hazard", at(4), reported_at=at(6))
    jiangsu.ingest([late])
    assert jiangsu.score("city", "2026-11") == 10 - 3


def test_night_patrols_wait_for_review(jiangsu: gp.Engine) -> None:
    night, day = gp.Event("night", "city", "patrol", at(2, 3)), gp.Event("day", "city", "patrol", at(2, 9))
    result = jiangsu.ingest([night, day])
    assert result.held == ("night",) and result.accepted == ("day",)
    (held,) = jiangsu.review.pending()
    assert held.check == "night_patrol" and "03h" in held.reason


def test_the_check_refuses_a_nonsense_window() -> None:
    with pytest.raises(ValueError, match="start_hour/end_hour"):
        NightPatrolCheck(6, 2)


class DoubleMediation:
    @gp.hookimpl
    def gridpoints_coefficient(self, kind: str) -> Decimal | None:
        return Decimal(2) if kind == "mediation" else None


@pytest.mark.gridpoints_plugins(DoubleMediation())
def test_a_test_plugin_rides_beside_the_entry_point(jiangsu: gp.Engine) -> None:
    jiangsu.ingest(month_of_work("city"))
    assert jiangsu.score("city", "2026-11") == 100 + 40 - 3


@settings(max_examples=25, deadline=None)
@given(st.lists(events(members=["city", "village"], ruleset=jiangsu_ruleset(), period="2026-11"), max_size=15,
                unique_by=lambda e: e.id))
def test_every_generated_event_is_scored(batch: list[gp.Event]) -> None:
    with gp.Engine(ruleset="jiangsu", checks=False, clock=lambda: NOW) as engine:
        engine.add_members([gp.Member(id="city", region="urban"), gp.Member(id="village", region="rural")])
        result = engine.ingest(batch)
        assert not result.rejected and len(result.accepted) == len(batch)


# The kit's property suite over the installed rule set, one pytest item per property.
test_jiangsu_properties = ruleset_tests("jiangsu", max_examples=15, max_events=15)
