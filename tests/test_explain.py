"""Explain: entries with event, rule, version, coefficient and reason, and sentences in zh/en."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import attrs
import pytest

import gridpoints as gp
from gridpoints.results.explain import explain_entries
from tests.conftest import NOW, at, xiao_li_month

Make = Callable[..., gp.Engine]


def test_worked_example_reads_as_one_line_per_rule(make_engine: Make) -> None:
    engine = make_engine(checks=False)
    engine.add_members([gp.Member(id="M001", region="urban", name="小李")])
    engine.ingest(xiao_li_month())
    explanation = engine.explain("M001", "2026-11")
    assert len(explanation) == 23 and explanation.total == Decimal("127.00") == engine.score("M001", "2026-11")
    assert [line.sentence("zh") for line in explanation.lines()] == [
        "巡查 ×20 = +100（规则 standard 2026.1）",
        "调解纠纷 ×2 = +30（规则 standard 2026.1）",
        "迟报 ×1 = -3（规则 standard 2026.1）",
    ]
    assert explanation.lines()[0].sentence("en") == "patrol ×20 = +100 (rule standard 2026.1)"
    assert explanation.text("zh").splitlines()[-1] == "合计 +127"
    first = explanation[0]
    assert first.sentence("zh") == "2026-11-01 巡查 ×1 = +5（规则 standard 2026.1）"
    assert first.event is not None and first.event.kind == "patrol" and first.event.id == first.event_id
    assert (first.ruleset, first.version, first.digest) == ("standard", "2026.1", gp.standard_ruleset().digest())
    mediation = next(e for e in explanation if e.kind == "mediation")
    assert mediation.event is not None and mediation.event.attributes["evidence"] == "photo-1.jpg"
    # Still the ledger's entries: seq, hash and points are the stored ones.
    assert [e.hash for e in explanation] == [e.hash for e in engine.ledger.entries(member_id="M001")]
    assert all(isinstance(e, gp.Entry) for e in explanation)


def test_coefficient_derived_deduction_and_period_award_are_explained(make_engine: Make) -> None:
    engine = make_engine(checks=False, coefficients={"rural": "1.2"})
    engine.add_members([gp.Member(id="R", region="rural")])
    engine.ingest(
        [
            gp.Event("p", "R", "patrol", at(3), quantity=3),
            gp.Event("h", "R", "hazard", at(4), reported_at=at(7), attributes={"severity": "major"}),
            *[gp.Event(f"s{i}", "R", "rating", at(5), attributes={"stars": 5}) for i in range(6)],
        ]
    )
    engine.settle("2026-11")
    explanation = engine.explain("R", "2026-11")
    sentences = {e.reason: e.sentence("zh") for e in explanation if e.kind != "rating"}
    assert sentences["derived"] == "2026-11-04 迟报 = -3（事件 h 超过上报时限，规则 standard 2026.1）"
    assert sentences["period_award"] == "2026-11-30 群众满意度 = +10（周期奖励：6 次评价，平均 5.00 星）"
    patrol = next(e for e in explanation if e.kind == "patrol")
    assert patrol.sentence("zh") == "2026-11-03 巡查 ×3 ×系数1.2 = +18（规则 standard 2026.1）"
    assert patrol.sentence("en") == "2026-11-03 patrol ×3 ×coefficient 1.2 = +18 (rule standard 2026.1)"
    lines = {line.reason: line.sentence("en") for line in explanation.lines()}
    assert lines["period_award"] == "resident satisfaction = +10 (period award: 6 ratings, average 5.00 stars)"
    assert lines["derived"] == "late report ×1 = -3 (derived deduction, rule standard 2026.1)"
    # 18 (patrols ×1.2) + 24 (major hazard ×1.2) − 3 (late, unscaled) + 10 (satisfaction, unscaled)
    assert explanation.total == Decimal("49.00") == engine.score("R", "2026-11")


def test_cap_entries_say_so() -> None:
    rule = gp.Rule("patrol", 5, label="巡查", label_en="patrol", cap={"day": 8})
    capped = attrs.evolve(gp.standard_ruleset(), id="capped", rules=[rule])

    class Plugin:
        @gp.hookimpl
        def gridpoints_rulesets(self) -> list[gp.RuleSet]:
            return [capped]

    engine = gp.Engine(ruleset="capped", plugins=[Plugin()], load_entrypoints=False, checks=False, clock=lambda: NOW)
    engine.add_members([gp.Member(id="A", region="urban")])
    engine.ingest([gp.Event(f"p{i}", "A", "patrol", at(3, 8 + i)) for i in range(3)])
    explanation = engine.explain("A", "2026-11")
    assert [(e.points, e.reason) for e in explanation] == [
        (Decimal("5.00"), "rule"),
        (Decimal("3.00"), "cap"),
        (Decimal("0.00"), "cap"),
    ]
    assert explanation[2].sentence("zh") == "2026-11-03 巡查 ×1 = 0（超出上限 day 8，规则 capped 2026.1）"
    assert explanation[2].sentence("en") == "2026-11-03 patrol ×1 = 0 (over the cap of day 8, rule capped 2026.1)"
    assert [line.sentence("zh") for line in explanation.lines()] == [
        "巡查 ×1 = +5（规则 capped 2026.1）",
        "巡查 ×2 = +3（超出上限，规则 capped 2026.1）",
    ]


def test_explain_checks_its_arguments(make_engine: Make) -> None:
    engine = make_engine()
    engine.add_members([gp.Member(id="A", region="urban")])
    with pytest.raises(gp.NotFoundError, match="member_id"):
        engine.explain("nobody", "2026-11")
    with pytest.raises(ValueError, match="period"):
        engine.explain("A", "2026-13")
    with pytest.raises(ValueError, match="lang"):
        engine.explain("A", "2026-11").text("fr")
    assert engine.explain("A", "2026-Q4").text("en") == "A 2026-Q4\ntotal 0"


def test_appeals_corrections_decisions_and_late_bookings_read_as_sentences(make_engine: Make) -> None:
    engine = make_engine(checks=False)
    engine.add_members([gp.Member(id="A", region="urban")])
    engine.ingest([gp.Event("p", "A", "patrol", at(3)), gp.Event("m", "A", "mediation", at(4))])
    mediation = next(e for e in engine.explain("A", "2026-11") if e.event_id == "m")
    engine.appeal(mediation.seq, by="A", reason="not mine").uphold(by="office")
    engine.correct("p", gp.Event("ps", "A", "service", at(3)), by="office", reason="was a service")
    engine.close_period("2026-11", by="office")
    engine.ingest([gp.Event("late", "A", "patrol", at(20))])
    november = engine.explain("A", "2026-11")
    assert november.text("zh", detail=True).splitlines()[1:] == [
        "2026-11-03 巡查 ×1 = +5（规则 standard 2026.1）",
        "2026-11-04 调解纠纷 ×1 = +15（规则 standard 2026.1）",
        "2027-06-01 决定：提出申诉 = 0（决定，事件 m）",
        f"2026-11-04 调解纠纷 = -15（冲正：冲销第 {mediation.seq} 条记录）",
        "2027-06-01 决定：申诉成立 = 0（决定，事件 m）",
        "2026-11-03 巡查 = -5（冲正：冲销第 1 条记录）",
        "2026-11-03 民生服务 ×1 = +10（更正，替换事件 p，规则 standard 2026.1）",
        "2027-06-01 决定：更正 = 0（决定，事件 p）",
        "合计 +10",
    ]
    # Lines add up points; decisions (zero points, the audit trail) are left out of them.
    assert [line.reason for line in november.lines()] == ["rule", "rule", "reversal", "reversal", "correction"]
    assert november.lines()[2].sentence("en") == "dispute mediated ×1 = -15 (reversal, rule standard 2026.1)"
    (late,) = engine.explain("A", "2026-12")
    assert late.sentence("zh") == "2026-11-20 巡查 ×1 = +5（规则 standard 2026.1，补记 2026-11 月）"
    assert late.sentence("en") == "2026-11-20 patrol ×1 = +5 (rule standard 2026.1, booked late for 2026-11)"
    # Still usable like the list explain used to return.
    both = engine.explain("A", "2026-11") + engine.explain("A", "2026-12")
    assert isinstance(both, list) and len(both) == len(november) + 1 and both[-1].event_id == "late"
    assert november[1:3] == tuple(november)[1:3]


# -- what a count limit and a cap did, when both act or act on a late report's deduction ---------

BOTH = gp.RuleSet("both", "1", "2000-01-01", [
    gp.Rule("visit", 2, limit={"day": 2}, cap={"day": 3}, label="入户走访", label_en="visit"),
    gp.Rule("hazard", 10, label="发现隐患", label_en="hazard"),
    gp.Rule("late_report", -3, limit={"day": 2}, cap={"day": 4}, label="迟报", label_en="late report"),
])  # fmt: skip


class BothRules:
    @gp.hookimpl
    def gridpoints_rulesets(self) -> list[gp.RuleSet]:
        return [BOTH]


def both_month(make_engine: Make) -> gp.Engine:
    """Visits on the 3rd (the second sends 3 units: the limit counts 1, the cap clips its 2
    points to 1); three hazards reported 30 hours late on the 3rd (their deductions: one
    derived, one the cap clips, one beyond the limit); a late_report event of 3 units on the 4th
    (an award of the rule, not derived: the limit counts 2, the cap clips 6 points to 4)."""
    engine = make_engine(ruleset="both", plugins=[BothRules()], checks=False)
    engine.add_members([gp.Member("U", "urban")])
    late = timedelta(hours=30)
    engine.ingest([
        gp.Event("v1", "U", "visit", at(3, 8)), gp.Event("v2", "U", "visit", at(3, 9), quantity=3),
        *[gp.Event(f"h{n}", "U", "hazard", at(3, 9 + n), reported_at=at(3, 9 + n) + late) for n in (1, 2, 3)],
        gp.Event("lr", "U", "late_report", at(4), quantity=3),
    ])  # fmt: skip
    return engine


def test_a_cap_entry_the_count_limit_cut_first_says_both(make_engine: Make) -> None:
    explanation = both_month(make_engine).explain("U", "2026-11")
    visit = next(e for e in explanation if e.event_id == "v2")
    assert (visit.reason, visit.quantity, visit.points) == ("cap", "1", Decimal("1.00"))
    assert visit.sentence("zh") == (
        "2026-11-03 入户走访 ×1 = +1（超出次数上限 day 2，事件数量 3 只计 1；再超出上限 day 3，规则 both 1）"
    )
    assert visit.sentence("en") == (
        "2026-11-03 visit ×1 = +1 (over the count limit of day 2, 1 of the event's 3 units counted; "
        "then over the cap of day 3, rule both 1)"
    )
    own = next(e for e in explanation if e.event_id == "lr")  # the rule's own event: an award, not derived
    assert (own.reason, own.quantity, own.points) == ("cap", "2", Decimal("-4.00"))
    assert own.sentence("en") == (
        "2026-11-04 late report ×2 = -4 (over the count limit of day 2, 2 of the event's 3 units counted; "
        "then over the cap of day 4, rule both 1)"
    )
    assert (visit.limit_cut, own.limit_cut, own.derived) == (True, True, False)
    lines = {(line.rule, line.reason, line.derived): line for line in explanation.lines()}
    assert lines["visit.1", "cap", False].sentence("zh") == "入户走访 ×1 = +1（超出次数上限和上限，规则 both 1）"
    assert lines["late_report.1", "cap", False].sentence("en") == (
        "late report ×2 = -4 (over the count limit and the cap, rule both 1)"
    )


def test_a_late_reports_deduction_cut_or_clipped_still_says_it_was_late(make_engine: Make) -> None:
    explanation = both_month(make_engine).explain("U", "2026-11")
    deductions = [e for e in explanation if e.kind == "late_report" and e.ref == e.event_id]
    assert [(e.ref, e.reason, e.quantity, e.points) for e in deductions] == [
        ("h1", "derived", "1", Decimal("-3.00")), ("h2", "cap", "1", Decimal("-1.00")),
        ("h3", "limit", "0", Decimal("0.00"))]  # fmt: skip
    derived, clipped, cut = deductions
    assert derived.sentence("zh") == "2026-11-03 迟报 = -3（事件 h1 超过上报时限，规则 both 1）"
    assert clipped.sentence("zh") == "2026-11-03 迟报 ×1 = -1（事件 h2 超过上报时限，超出上限 day 4，规则 both 1）"
    assert clipped.sentence("en") == (
        "2026-11-03 late report ×1 = -1 (event h2 reported after the deadline, over the cap of day 4, rule both 1)"
    )
    assert cut.sentence("zh") == "2026-11-03 迟报 ×0 = 0（事件 h3 超过上报时限，超出次数上限 day 2，规则 both 1）"
    assert cut.sentence("en") == (
        "2026-11-03 late report ×0 = 0 (event h3 reported after the deadline, over the count limit of day 2, "
        "rule both 1)"
    )
    assert all(e.derived for e in deductions) and not any(e.limit_cut for e in deductions)
    # Lines keep the derived deductions apart from the rule's own award, which the cap clipped too.
    assert [line.sentence("en") for line in explanation.lines() if line.rule == "late_report.1"] == [
        "late report ×1 = -3 (derived deduction, rule both 1)",
        "late report ×1 = -1 (derived deduction, over the cap, rule both 1)",
        "late report ×0 = 0 (derived deduction, over the count limit, rule both 1)",
        "late report ×2 = -4 (over the count limit and the cap, rule both 1)",
    ]
    assert [line.sentence("zh") for line in explanation.lines() if line.derived][1:] == [
        "迟报 ×1 = -1（派生扣分，超出上限，规则 both 1）",
        "迟报 ×0 = 0（派生扣分，超出次数上限，规则 both 1）",
    ]


def test_a_late_reports_deduction_cut_in_part_and_clipped_says_all_three(make_engine: Make) -> None:
    half = gp.RuleSet("half", "1", "2000-01-01", [
        gp.Rule("hazard", 10),
        gp.Rule("late_report", -4, limit={"day": "1.5"}, cap={"day": 3}, label_en="late"),
    ])  # fmt: skip
    contributes = type("Contributes", (), {"gridpoints_rulesets": gp.hookimpl(lambda self: [half])})
    engine = make_engine(ruleset="half", plugins=[contributes()], checks=False)
    engine.add_members([gp.Member("U", "urban")])
    late = timedelta(hours=30)
    engine.ingest([gp.Event(f"h{n}", "U", "hazard", at(3, 8 + n), reported_at=at(3, 8 + n) + late) for n in (1, 2)])
    second = [e for e in engine.explain("U", "2026-11") if e.kind == "late_report"][1]
    # h1's -4 is clipped to the cap's -3; for h2 the limit leaves 0.5 of its one late report
    # (-2), and the cap has nothing left: 0.
    assert (second.reason, second.quantity, second.ref) == ("cap", "0.5", "h2")
    assert second.sentence("en") == (
        "2026-11-03 late ×0.5 = 0 (event h2 reported after the deadline, over the count limit of day 1.5, "
        "0.5 of 1 unit counted; then over the cap of day 3, rule half 1)"
    )


def test_without_its_event_a_cap_entry_reads_as_before(make_engine: Make) -> None:
    engine = both_month(make_engine)
    entries = engine.ledger.entries(member_id="U")
    bare = explain_entries("U", "2026-11", entries, {}, engine.rulebook)
    visit = next(e for e in bare if e.event_id == "v2")
    assert visit.sentence("en") == "2026-11-03 visit ×1 = +1 (over the cap of day 3, rule both 1)"
    assert visit.event is None and not visit.limit_cut
    # A derived deduction needs no event to be told: its ref is its own event's id.
    assert (
        next(e for e in bare if e.ref == "h3")
        .sentence("en")
        .endswith("(event h3 reported after the deadline, over the count limit of day 2, rule both 1)")
    )


def test_a_correction_the_cap_or_count_limit_acted_on_still_says_what_it_replaced(make_engine: Make) -> None:
    engine = make_engine(ruleset="both", plugins=[BothRules()], checks=False)
    engine.add_members([gp.Member("U", "urban")])
    engine.ingest([
        gp.Event("v3", "U", "visit", at(3, 8)), gp.Event("x", "U", "hazard", at(3, 9)),
        gp.Event("v4", "U", "visit", at(4, 8), quantity=2), gp.Event("y", "U", "hazard", at(4, 9)),
        gp.Event("v5", "U", "visit", at(5, 8)), gp.Event("z", "U", "hazard", at(5, 9)),
    ])  # fmt: skip
    # Each hazard was a visit: on the 3rd the cap clips the replacement's 2 points to 1; on the
    # 4th the count limit is used up (reason limit, 0 units); on the 5th it counts 1 of 3 units
    # and the cap clips their points.
    engine.correct("x", gp.Event("xv", "U", "visit", at(3, 9)), by="office", reason="was a visit")
    engine.correct("y", gp.Event("yv", "U", "visit", at(4, 9)), by="office", reason="was a visit")
    engine.correct("z", gp.Event("zv", "U", "visit", at(5, 9), quantity=3), by="office", reason="was a visit")
    explanation = engine.explain("U", "2026-11")
    clipped, cut, both = (next(e for e in explanation if e.event_id == id_) for id_ in ("xv", "yv", "zv"))
    assert [(e.reason, e.ref, e.quantity, e.points) for e in (clipped, cut, both)] == [
        ("cap", "x", "1", Decimal("1.00")),
        ("limit", "y", "0", Decimal("0.00")),
        ("cap", "z", "1", Decimal("1.00")),
    ]
    assert clipped.sentence("zh") == "2026-11-03 入户走访 ×1 = +1（更正，替换事件 x，超出上限 day 3，规则 both 1）"
    assert clipped.sentence("en") == (
        "2026-11-03 visit ×1 = +1 (correction of event x, over the cap of day 3, rule both 1)"
    )
    assert cut.sentence("zh") == "2026-11-04 入户走访 ×0 = 0（更正，替换事件 y，超出次数上限 day 2，规则 both 1）"
    assert cut.sentence("en") == (
        "2026-11-04 visit ×0 = 0 (correction of event y, over the count limit of day 2, rule both 1)"
    )
    assert both.sentence("en") == (
        "2026-11-05 visit ×1 = +1 (correction of event z, over the count limit of day 2, 1 of the event's 3 units "
        "counted; then over the cap of day 3, rule both 1)"
    )
    assert [e.replaces for e in (clipped, cut, both)] == ["x", "y", "z"]
    v4 = next(e for e in explanation if e.event_id == "v4")  # the rule's own capped entry: no correction
    assert (v4.reason, v4.replaces) == ("cap", "")
    # Lines keep the replacements apart from the rule's other capped entries, and say so.
    assert [line.sentence("en") for line in explanation.lines() if line.rule == "visit.1"] == [
        "visit ×2 = +4 (rule both 1)",
        "visit ×2 = +3 (over the cap, rule both 1)",
        "visit ×2 = +2 (correction, over the count limit and the cap, rule both 1)",
        "visit ×0 = 0 (correction, over the count limit, rule both 1)",
    ]
    assert [line.sentence("zh") for line in explanation.lines() if line.correction] == [
        "入户走访 ×2 = +2（更正，超出次数上限和上限，规则 both 1）",
        "入户走访 ×0 = 0（更正，超出次数上限，规则 both 1）",
    ]
