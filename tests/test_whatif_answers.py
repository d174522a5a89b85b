"""What-if that answers the 积分分析会's question: a summary (grade and rank changes, points moved,
unscorable events by kind and reason) and events handed in beside the booked ones, so a
proposed new kind shows its effect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.results.simulation import EventsGiven
from gridpoints.results.whatif_summary import GradeMove, UnscoredCount
from tests.conftest import NOW, at

Make = Callable[..., gp.Engine]
E, Q, U = gp.Grade.EXCELLENT, gp.Grade.QUALIFIED, gp.Grade.UNQUALIFIED
NEW_KIND = "epidemic_prevention"


def proposal(*, mediation: int = 10, new_kind: int | None = 8, drop: tuple[str, ...] = ()) -> gp.RuleSet:
    """The standard table with mediation changed, optionally a new kind, optionally kinds dropped."""
    rules = [
        gp.Rule("mediation", mediation, id="mediation.1") if r.kind == "mediation" else r
        for r in gp.standard_ruleset().rules
        if r.kind not in drop
    ]
    if new_kind is not None:
        rules.append(gp.Rule(NEW_KIND, new_kind, label="疫情防控", label_en="epidemic prevention"))
    return gp.RuleSet("proposal", "2027.1", date(2027, 1, 1), rules)


def patrols(member: str, count: int, first_day: int = 1) -> list[gp.Event]:
    return [gp.Event(f"{member}-p{d}", member, "patrol", at(d)) for d in range(first_day, first_day + count)]


@pytest.fixture
def engine(make_engine: Make) -> gp.Engine:
    """November: A 100 (excellent), MED 80 with two mediations (excellent), B 60 (qualified), C 55."""
    engine = make_engine(checks=False)
    engine.add_members([gp.Member(id=m, region="urban") for m in ("A", "MED", "B", "C")])
    mediations = [gp.Event(f"MED-m{n}", "MED", "mediation", at(20 + n), attributes={"evidence": "x"}) for n in (1, 2)]
    result = engine.ingest([*patrols("A", 20), *patrols("MED", 10), *mediations, *patrols("B", 12),
                            *patrols("C", 11), gp.Event("B-s", "B", "service", at(25))])
    assert not result.rejected
    return engine


def test_the_summary_counts_grade_and_rank_changes_and_points_moved(engine: gp.Engine) -> None:
    head = engine.ledger.head()
    result = engine.simulate(proposal(new_kind=None, drop=("service",)), "2026-11")
    summary = result.summary()
    # MED: 50 + 2×15 = 80 → 50 + 2×10 = 70 (excellent → qualified); B: 60 + 10 → 60 (the service is unscorable).
    assert (summary.members, summary.grade_changes) == (4, 1)
    assert summary.grade_moves == (GradeMove(E, Q, 1),)
    assert (summary.score_changes, summary.up, summary.down) == (2, 0, 2)
    assert summary.rank_changes == sum(1 for r in result if r.old_rank != r.new_rank)
    assert (summary.old_total, summary.new_total, summary.moved) == (Decimal(305), Decimal(285), Decimal(20))
    assert summary.unscored == (UnscoredCount("service", "unknown_kind", 1),)
    assert summary.unscored[0].meaning == "the active rule set has no rule for this kind"
    assert summary.unscored_total == 1 and summary.events is None and summary.unscored_now == ()
    assert result.unscored_kinds == {"B-s": "service"}
    assert engine.ledger.head() == head


def test_the_summary_prints_in_either_language(engine: gp.Engine) -> None:
    summary = engine.simulate(proposal(new_kind=None, drop=("service",)), "2026-11").summary()
    english = summary.text("en").splitlines()
    assert english[0] == "2026-11: proposal proposal 2027.1 against the ledger, 4 members assessed"
    assert english[1] == "grade changes: 1 (excellent → qualified 1)"
    assert english[3] == ("points: 305.00 now, 285.00 under the proposal (-20.00); "
                          "20.00 moved (sum of every member's change)")
    assert english[-2:] == ["not scorable under the proposal: 1 events",
                            "  service  unknown_kind        1  (the active rule set has no rule for this kind)"]
    chinese = summary.text("zh").splitlines()
    assert chinese[1] == "等级变化：1 人（优秀 → 合格 1 人）" and chinese[-2] == "方案无法计分：1 条事件"


def test_events_handed_in_show_a_proposed_new_kind(engine: gp.Engine) -> None:
    head = engine.ledger.head()
    extra = [gp.Event(f"C-e{d}", "C", NEW_KIND, at(d)) for d in (3, 4)]
    assert engine.ingest(extra).rejected[0].code == "unknown_kind"  # today they score nothing
    result = engine.simulate(proposal(mediation=15), "2026-11", events=extra)
    assert result.events == EventsGiven(given=2, rescored=2, in_ledger=0, outside=0)
    c = result.row("C")
    assert (c.old_score, c.new_score, c.old_grade, c.new_grade) == (Decimal(55), Decimal(71), U, Q)
    assert {r.member_id for r in result.changed()} >= {"C"} and result.row("A").delta == 0
    summary = result.summary()
    assert summary.unscored_now == (UnscoredCount(NEW_KIND, "unknown_kind", 2),) and summary.unscored == ()
    assert summary.grade_moves == (GradeMove(U, Q, 1),)
    assert engine.ledger.head() == head and engine.ledger.verify()


def test_events_the_ledger_holds_or_of_other_months_are_left_out(engine: gp.Engine) -> None:
    booked_again = gp.Event("A-p1", "A", "patrol", at(1), quantity=3)  # the ledger's copy (quantity 1) counts
    december = gp.Event("C-dec", "C", NEW_KIND, at(2, month=12))
    as_mapping = {"id": "C-map", "member_id": "C", "kind": NEW_KIND, "occurred_at": at(9)}
    result = engine.simulate(proposal(mediation=15), "2026-11", events=[booked_again, december, as_mapping])
    assert result.events == EventsGiven(given=3, rescored=1, in_ledger=1, outside=1)
    assert result.row("A").new_score == result.row("A").old_score == Decimal(100)
    assert result.row("C").new_score == Decimal(63)


def test_a_bad_event_handed_in_is_refused_naming_its_position(engine: gp.Engine) -> None:
    head = engine.ledger.head()
    good = gp.Event("C-e1", "C", NEW_KIND, at(3))
    with pytest.raises(ValueError, match=r"events\[1\] \('x'\): .*occurred_at"):
        engine.simulate(proposal(), "2026-11", events=[good, {"id": "x", "member_id": "C", "kind": NEW_KIND}])
    with pytest.raises(TypeError, match=r"events\[0\]: 'nope' is a str"):
        engine.simulate(proposal(), "2026-11", events=["nope"])  # type: ignore[list-item]
    assert engine.ledger.head() == head


def test_events_not_scorable_either_way_are_counted_on_both_sides(engine: gp.Engine) -> None:
    stranger = gp.Event("Z-p", "Z", "patrol", at(5))  # no such member
    summary = engine.simulate(proposal(), "2026-11", events=[stranger]).summary()
    assert summary.unscored_now == summary.unscored == (UnscoredCount("patrol", "unknown_member", 1),)


# -- properties --------------------------------------------------------------------------------

MEMBERS = ("A", "B", "C", "D")
KINDS = ("patrol", "mediation", "service", "complaint", NEW_KIND)


@st.composite
def months_of_work(draw: st.DrawFn) -> list[gp.Event]:
    picks = draw(st.lists(st.tuples(st.sampled_from(MEMBERS), st.sampled_from(KINDS), st.integers(1, 28)),
                          max_size=40))
    return [gp.Event(f"e{i}", member, kind, at(day)) for i, (member, kind, day) in enumerate(picks)]


def fresh_engine() -> gp.Engine:
    engine = gp.Engine(checks=False, load_entrypoints=False, clock=lambda: NOW)
    engine.add_members([gp.Member(id=m, region="rural" if m == "D" else "urban") for m in MEMBERS])
    return engine


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(work=months_of_work(), mediation=st.integers(-5, 40), new_kind=st.none() | st.integers(0, 20),
       split=st.integers(0, 40))
def test_the_summary_adds_up(work: list[gp.Event], mediation: int, new_kind: int | None, split: int) -> None:
    engine = fresh_engine()
    engine.ingest(work[:split])
    result = engine.simulate(proposal(mediation=mediation, new_kind=new_kind), "2026-11", events=work[split:])
    summary = result.summary()
    rows = list(result)
    assert summary.old_total == sum(r.old_score for r in rows) and summary.new_total == sum(r.new_score for r in rows)
    assert summary.moved == sum(abs(r.delta) for r in rows) >= abs(summary.new_total - summary.old_total)
    assert summary.grade_changes == len(result.grade_changes()) == sum(m.count for m in summary.grade_moves)
    assert summary.up + summary.down == summary.score_changes == sum(1 for r in rows if r.delta)
    assert summary.unscored_total == len(result.unscored)
    assert sum(c.count for c in summary.unscored_now) == len(result.unscored_now)
    events = summary.events
    assert events is not None and events.given == events.rescored + events.in_ledger + events.outside
    assert events.given == len(work[split:])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(work=months_of_work(), split=st.integers(0, 40))
def test_the_current_rules_with_events_handed_in_change_nothing(work: list[gp.Event], split: int) -> None:
    engine = fresh_engine()
    engine.ingest(work[:split])
    result = engine.simulate(gp.standard_ruleset(), "2026-11", events=work[split:])
    summary = result.summary()
    assert not result.changed() and summary.moved == 0 and summary.grade_changes == 0
    assert sorted(r.event_id or "" for r in result.unscored) == sorted(r.event_id or "" for r in result.unscored_now)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(work=months_of_work())
def test_events_handed_in_score_as_if_they_had_been_booked(work: list[gp.Event]) -> None:
    """Rescoring events handed in gives the proposal's scores of booking them all under it."""
    rules = proposal(mediation=12, new_kind=7)
    handed = fresh_engine().simulate(rules, "2026-11", events=work)
    booked = gp.Engine(ruleset="proposal", plugins=[Proposal(rules)], checks=False, load_entrypoints=False,
                       clock=lambda: NOW)
    booked.add_members(fresh_engine().members)
    booked.ingest(work)
    assert {r.member_id: r.new_score for r in handed} == {row.member_id: row.score for row in booked.report("2026-11")}


class Proposal:
    def __init__(self, ruleset: gp.RuleSet) -> None:
        self.ruleset = gp.RuleSet(ruleset.id, ruleset.version, date(2000, 1, 1), ruleset.rules)

    @gp.hookimpl
    def gridpoints_rulesets(self) -> list[gp.RuleSet]:
        return [self.ruleset]
