"""gridpoints.testing strategies: valid by default, refused on request, registered for from_type."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.testing import DEFAULT_MEMBER_IDS, events, members, periods, rulesets
from tests.conftest import NOW, SHANGHAI

few = settings(max_examples=30, deadline=None)
MEMBERS = [gp.Member(id="A1", region="urban"), gp.Member(id="B2", region="rural")]


def fresh(**kwargs: Any) -> gp.Engine:
    eng = gp.Engine(load_entrypoints=False, clock=lambda: NOW, checks=False, **kwargs)
    eng.add_members(MEMBERS)
    return eng


@few
@given(periods(kinds=["month", "quarter"], min_year=2020, max_year=2022))
def test_periods_respect_kinds_and_years(period: gp.Period) -> None:
    assert period.kind in ("month", "quarter") and 2020 <= period.year <= 2022
    assert gp.Period.parse(str(period)) == period


@few
@given(periods(invalid=True))
def test_invalid_periods_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="period"):
        gp.Period.parse(text)


def test_strategy_bounds_are_checked() -> None:
    with pytest.raises(ValueError, match="kinds"):
        periods(kinds=["week"])
    with pytest.raises(ValueError, match="members"):
        events(members=[])
    with pytest.raises(ValueError, match="days"):
        events(days=0)


@few
@given(members(ids=["X1", "X2"], regions=["mountain"]))
def test_members_use_the_given_ids_and_regions(member: gp.Member) -> None:
    assert member.id in ("X1", "X2") and member.region == "mountain"
    assert member.left is None or (member.joined is not None and member.left >= member.joined)


@few
@given(members(invalid=True))
def test_invalid_members_are_refused_by_add_members(data: dict[str, Any]) -> None:
    eng = fresh()
    with pytest.raises((TypeError, ValueError)):
        eng.add_members([data])
    assert {m.id for m in eng.members} == {"A1", "B2"}


@few
@given(st.lists(events(members=MEMBERS, period="2026-11", max_quantity=2), max_size=15, unique_by=lambda e: e.id))
def test_events_are_valid_in_their_period_and_all_booked(batch: list[gp.Event]) -> None:
    for event in batch:
        assert event.member_id in ("A1", "B2")
        assert str(gp.Period.month_of(event.occurred_at, SHANGHAI)) == "2026-11"
        assert 0 < event.quantity <= 2
    result = fresh().ingest(batch)
    assert not result.rejected and len(result.accepted) == len(batch)


def test_events_draw_attribute_values_the_rule_set_tests() -> None:
    rules = gp.RuleSet("r", "1", "2000-01-01", [gp.Rule("flood", 9, when={"depth": {"gte": 3}}), gp.Rule("flood", 1)])
    drawn = events(ruleset=rules)
    assert find(drawn, lambda e: True).kind == "flood"
    # The boundary and both sides of it are all drawn.
    for depth in (2, 3, 4):
        assert find(drawn, lambda e, d=depth: e.attributes.get("depth") == d, settings=settings(max_examples=2000))


@few
@given(st.lists(events(members=MEMBERS, invalid=True), min_size=1, max_size=10))
def test_invalid_events_are_each_rejected_and_nothing_is_booked(batch: list[dict[str, Any]]) -> None:
    eng = fresh()
    result = eng.ingest(batch)
    assert len(result.rejected) == len(batch) and not result.accepted and not result.held
    assert eng.ledger.head()[0] == 0


@few
@given(rulesets(caps=True, coefficients=True), st.data())
def test_generated_rule_sets_score_the_events_drawn_for_them(rules: gp.RuleSet, data: st.DataObject) -> None:
    contributes = type("Contributes", (), {"gridpoints_rulesets": gp.hookimpl(lambda self: [rules])})
    eng = fresh(ruleset="generated", plugins=[contributes()])
    batch = data.draw(st.lists(events(members=MEMBERS, ruleset=rules, period="2026-11"), max_size=8,
                               unique_by=lambda e: e.id))
    result = eng.ingest(batch)
    # An attribute-conditional rule always has an unconditional one after it: nothing is unmatched.
    assert not result.rejected and len(result.accepted) == len(batch)


def test_rule_sets_with_caps_and_coefficients_are_drawn() -> None:
    capped = find(rulesets(caps=True), lambda r: any(rule.cap is not None for rule in r.rules))
    assert capped.id == "generated"
    assert find(rulesets(coefficients=True), lambda r: bool(r.coefficients)).coefficients
    assert find(rulesets(), lambda r: True).coefficients == {}


@few
@given(rulesets(caps=True, limits=True), st.data())
def test_generated_rule_sets_with_count_limits_book_ledgers_that_verify(rules: gp.RuleSet, data: st.DataObject) -> None:
    contributes = type("Contributes", (), {"gridpoints_rulesets": gp.hookimpl(lambda self: [rules])})
    eng = fresh(ruleset="generated", plugins=[contributes()])
    batch = data.draw(st.lists(events(members=MEMBERS, ruleset=rules, period="2026-11", days=2), max_size=10,
                               unique_by=lambda e: e.id))  # fmt: skip
    result = eng.ingest(batch)
    assert not result.rejected and len(result.accepted) == len(batch)
    assert eng.ledger.verify()


def test_rule_sets_with_count_limits_are_drawn_only_when_asked_for() -> None:
    limited = find(rulesets(limits=True), lambda r: any(rule.limit is not None for rule in r.rules))
    assert limited.id == "generated"
    for per in ("day", "month", "period"):  # find raises NoSuchExample if none is drawn
        find(rulesets(limits=True), lambda r, p=per: any(rule.limit and rule.limit.per == p for rule in r.rules))
    both = find(rulesets(caps=True, limits=True), lambda r: any(rule.cap and rule.limit for rule in r.rules))
    assert any(rule.cap and rule.limit for rule in both.rules)

    # Without limits=True no rule gets one (and the draws are those of before the option).
    @few
    @given(rulesets(caps=True, coefficients=True))
    def unlimited(rules: gp.RuleSet) -> None:
        assert all(rule.limit is None for rule in rules.rules)

    unlimited()


@few
@given(rulesets(invalid=True))
def test_invalid_rule_set_arguments_are_refused(arguments: dict[str, Any]) -> None:
    with pytest.raises((TypeError, ValueError)):
        gp.RuleSet(**arguments)


def test_default_events_are_accepted_by_an_engine_on_the_real_clock() -> None:
    @settings(max_examples=15, deadline=None)
    @given(st.lists(events(), max_size=6, unique_by=lambda e: e.id))
    def ingest(batch: list[gp.Event]) -> None:
        eng = gp.Engine(load_entrypoints=False, checks=False)
        eng.add_members([gp.Member(id=m, region="urban") for m in DEFAULT_MEMBER_IDS])
        result = eng.ingest(batch)
        assert not result.rejected, result.rejected

    ingest()


def test_the_hypothesis_entry_point_registers_member_and_event() -> None:
    names = {ep.value for ep in entry_points(group="hypothesis")}
    assert "gridpoints.testing._hypothesis:_hypothesis_setup_hook" in names
    drawn: list[object] = []

    @settings(max_examples=10, deadline=None)
    @given(st.from_type(gp.Member), st.from_type(gp.Event))
    def collect(member: gp.Member, event: gp.Event) -> None:
        drawn.append((member, event))
        # The kit's strategies, not Hypothesis' guess from the type hints.
        assert member.id in DEFAULT_MEMBER_IDS and event.member_id in DEFAULT_MEMBER_IDS

    collect()
    assert drawn


@pytest.mark.parametrize(
    "make",
    [
        lambda: events(max_quantity=1_000_001),
        lambda: rulesets(max_points=1_000_001),
        lambda: rulesets(min_points=-1_000_001),
    ],
)
def test_strategies_refuse_ranges_beyond_the_library_bounds(make: Callable[[], object]) -> None:
    # Drawing beyond the bounds would make the kit produce values the library refuses.
    with pytest.raises(ValueError, match="bound"):
        make()
