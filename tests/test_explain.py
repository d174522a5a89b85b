"""Explain: entries with event, rule, version, coefficient and reason, and sentences in zh/en."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import attrs
import pytest

import gridpoints as gp
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
