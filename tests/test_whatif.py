"""What-if: the Jiangsu table against the standard one changes exactly the members it should."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import gridpoints as gp
from tests.conftest import at
from tests.test_toml_rules import PythonRules

Make = Callable[..., gp.Engine]
E, Q, U = gp.Grade.EXCELLENT, gp.Grade.QUALIFIED, gp.Grade.UNQUALIFIED


def jiangsu(effective_from: date = date(2027, 1, 1)) -> gp.RuleSet:
    """The article's Jiangsu table: patrol +5, mediation +10, complaint −10 (any severity)."""
    rules = [
        gp.Rule("mediation", 10, label="调解纠纷", label_en="dispute mediated", id="mediation.1")
        if r.kind == "mediation"
        else gp.Rule("complaint", -10, label="有效投诉", label_en="valid complaint", id="complaint.1")
        if r.id == "complaint.1"
        else r
        for r in gp.standard_ruleset().rules
        if r.id != "complaint.2"
    ]
    return gp.RuleSet("jiangsu", "2027.1", effective_from, rules)


def _events(member: str, kind: str, count: int, **attributes: object) -> list[gp.Event]:
    return [gp.Event(f"{member}-{kind}-{i}", member, kind, at(1 + i), attributes=attributes) for i in range(count)]


@pytest.fixture
def engine(make_engine: Make) -> gp.Engine:
    engine = make_engine(checks=False)
    engine.add_members([gp.Member(id=m, region="urban") for m in ("P", "MED", "CS", "CG", "SAT")])
    engine.ingest(
        [
            *_events("P", "patrol", 20),
            *_events("MED", "patrol", 10),
            *_events("MED", "mediation", 2, evidence="x"),
            *_events("CS", "patrol", 14),
            *_events("CS", "complaint", 1, severity="serious"),
            *_events("CG", "patrol", 16),
            *_events("CG", "complaint", 1, severity="general"),
            *_events("SAT", "patrol", 13),
            *_events("SAT", "rating", 5, stars=5),
        ]
    )
    engine.settle("2026-11")
    return engine


def test_jiangsu_changes_exactly_the_mediators_and_the_serious_complaint(engine: gp.Engine) -> None:
    head = engine.ledger.head()
    before = engine.report("2026-11")
    result = engine.simulate(jiangsu(), "2026-11")
    table = {r.member_id: (r.old_score, r.new_score, r.old_grade, r.new_grade, r.old_rank, r.new_rank) for r in result}
    assert table == {
        "P": (Decimal(100), Decimal(100), E, E, 1, 1),
        "MED": (Decimal(80), Decimal(70), E, Q, 2, 3),  # mediation 15 → 10
        "SAT": (Decimal(75), Decimal(75), Q, Q, 3, 2),  # 65 + satisfaction 10, carried over
        "CG": (Decimal(70), Decimal(70), Q, Q, 4, 3),  # a general complaint is −10 in both
        "CS": (Decimal(50), Decimal(60), U, Q, 5, 5),  # serious complaint −20 → −10
    }
    assert [r.member_id for r in result] == ["P", "SAT", "CG", "MED", "CS"]  # by new rank, then id
    assert {r.member_id for r in result if r.delta} == {"MED", "CS"}
    assert [r.member_id for r in result.grade_changes()] == ["MED", "CS"]
    assert (result.ruleset, result.version, result.unscored) == ("jiangsu", "2027.1", ())
    # The ledger and the real report are untouched.
    assert engine.ledger.head() == head and engine.ledger.verify()
    assert engine.report("2026-11") == before


def test_the_same_rules_change_nothing(engine: gp.Engine) -> None:
    result = engine.simulate(gp.standard_ruleset(), "2026-11")
    assert not result.changed() and len(result) == 5


def test_events_the_proposal_cannot_score_are_listed(engine: gp.Engine) -> None:
    bare = gp.RuleSet("bare", "1", date(2026, 1, 1), [gp.Rule("patrol", 6)])
    result = engine.simulate(bare, "2026-Q4")
    assert {r.code for r in result.unscored} == {"unknown_kind"}
    assert len(result.unscored) == 2 + 1 + 1 + 5  # mediations, complaints, ratings
    assert result.row("P").new_score == Decimal(120)
    assert result.row("SAT").new_score == Decimal(13 * 6 + 10)


JIANGSU_FILE = Path(__file__).parents[1] / "examples" / "rules" / "jiangsu.toml"


def test_the_jiangsu_rule_file_as_a_proposal(engine: gp.Engine) -> None:
    result = engine.simulate(JIANGSU_FILE, "2026-11")
    assert {r.member_id for r in result if r.delta} == {"MED", "CS"}
    assert (result.row("MED").new_score, result.row("CS").new_score) == (Decimal(70), Decimal(60))
    # The file has no rule for ratings: they are listed, and they scored 0 anyway.
    assert {r.code for r in result.unscored} <= {"unknown_kind"}
    assert result.row("SAT").new_score == Decimal(75)


def test_a_proposal_must_be_rule_sets(engine: gp.Engine) -> None:
    with pytest.raises(TypeError, match="proposed"):
        engine.simulate([], "2026-11")  # type: ignore[arg-type]


def test_a_proposed_cap_holds_across_the_pipeline_chunks() -> None:
    from datetime import timedelta

    from tests.conftest import NOW

    engine = gp.Engine(checks=False, load_entrypoints=False, clock=lambda: NOW)
    engine.add_members([gp.Member(id="A", region="urban"), gp.Member(id="B", region="urban")])
    start = at(1, 0)
    # 6,000 patrols: more than one pipeline chunk (5,000), all in November.
    engine.ingest(gp.Event(f"p{i}", "A", "patrol", start + timedelta(minutes=6 * i)) for i in range(6000))
    engine.ingest([gp.Event("b", "B", "patrol", at(2))])
    capped = [
        gp.Rule("patrol", 5, cap={"month": 1000}, id="patrol.1") if r.kind == "patrol" else r
        for r in gp.standard_ruleset().rules
    ]
    result = engine.simulate(gp.RuleSet("capped", "1", date(2026, 1, 1), capped), "2026-11")
    assert (result.row("A").old_score, result.row("A").new_score) == (Decimal(30000), Decimal(1000))
    assert result.row("B").new_score == Decimal(5)


def test_reversals_cancel_the_simulated_points_not_the_old_ones(make_engine: Make) -> None:
    engine = make_engine(checks=False)
    engine.add_members([gp.Member(id="A", region="urban"), gp.Member(id="B", region="urban")])
    engine.ingest(
        [
            *_events("A", "patrol", 10),
            gp.Event("am", "A", "mediation", at(12)),
            gp.Event("ah", "A", "hazard", at(13), reported_at=at(16)),  # +10 and a derived −3
            gp.Event("bm", "B", "mediation", at(12)),
        ]
    )
    # An upheld appeal against A's mediation and against A's derived late-report deduction.
    entries = {(e.event_id, e.reason): e for e in engine.explain("A", "2026-11")}
    engine.appeal(entries["am", "rule"].seq, by="A", reason="not mine").uphold(by="office")
    engine.appeal(entries["ah", "derived"].seq, by="A", reason="reported in time").uphold(by="office")
    # B's mediation was really a service: corrected.
    engine.correct("bm", gp.Event("bs", "B", "service", at(12)), by="office", reason="a service")
    assert (engine.score("A", "2026-11"), engine.score("B", "2026-11")) == (60, 10)
    same = engine.simulate(gp.standard_ruleset(), "2026-11")
    assert not same.changed()
    result = engine.simulate(jiangsu(), "2026-11")
    # Neither the reversed mediation nor the corrected one counts under the proposal either.
    assert (result.row("A").new_score, result.row("B").new_score) == (Decimal(60), Decimal(10))


@pytest.mark.parametrize("acts", [{"cap": {"day": 4}}, {"limit": {"day": 1}}])
@pytest.mark.parametrize("appealed", ["award", "deduction"])
def test_a_reversal_cancels_a_late_reports_deduction_cut_or_clipped(
    make_engine: Make, acts: dict[str, dict[str, int]], appealed: str
) -> None:
    # The second late report's deduction is clipped to −1 by the cap (reason cap) or cut to 0 by
    # the limit (reason limit); its ref, the event, marks it as derived, not as h9's award.
    rules = gp.RuleSet("late", "1", date(2000, 1, 1), [gp.Rule("hazard", 10), gp.Rule("late_report", -3, **acts)])
    engine = make_engine(ruleset="late", plugins=[PythonRules(rules)], checks=False)
    engine.add_members([gp.Member(id="A", region="urban")])
    engine.ingest([gp.Event(f"h{n}", "A", "hazard", at(3, n), reported_at=at(4, n + 6)) for n in (8, 9)])
    *_, award, deduction = engine.explain("A", "2026-11")
    assert (award.reason, deduction.reason, deduction.ref) == ("rule", next(iter(acts)), "h9")
    target = award if appealed == "award" else deduction
    engine.appeal(target.seq, by="A", reason="r").uphold(by="office")
    assert engine.ledger.verify()
    # The same rules change nothing: the reversal cancels the simulated points of that one entry.
    assert engine.simulate(rules, "2026-11").row("A").new_score == engine.score("A", "2026-11")


def test_a_closed_month_and_the_late_events_booked_after_it(make_engine: Make) -> None:
    engine = make_engine(checks=False)
    engine.add_members([gp.Member(id="A", region="urban")])
    engine.ingest([*_events("A", "patrol", 4), gp.Event("m", "A", "mediation", at(8))])
    engine.close_period("2026-11", by="office")
    engine.ingest([gp.Event("late", "A", "mediation", at(20)), gp.Event("dec", "A", "patrol", at(3, month=12))])
    assert (engine.score("A", "2026-11"), engine.score("A", "2026-12")) == (35, 20)
    for month in ("2026-11", "2026-12", "2026-Q4"):
        assert not engine.simulate(gp.standard_ruleset(), month).changed(), month
    november = engine.simulate(jiangsu(), "2026-11").row("A")
    december = engine.simulate(jiangsu(), "2026-12").row("A")
    assert (november.old_score, november.new_score) == (Decimal(35), Decimal(30))
    assert (december.old_score, december.new_score) == (Decimal(20), Decimal(15))  # the late mediation


def test_a_what_if_exports_side_by_side(engine: gp.Engine, tmp_path: Path) -> None:
    import csv

    result = engine.simulate(jiangsu(), "2026-11")
    gp.export(gp.whatif_table(result, lang="zh"), tmp_path / "w.csv")
    with open(tmp_path / "w.csv", encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    assert header[:6] == ["编号", "姓名", "区域", "现积分", "新积分", "变化"]
    med = next(r for r in rows if r[0] == "MED")
    assert (med[3], med[4], med[5], med[6], med[7]) == ("80.00", "70.00", "-10.00", "优秀", "合格")
    assert [r[0] for r in rows] == [r.member_id for r in result]
    pytest.importorskip("openpyxl")
    gp.export(gp.whatif_table(result, lang="en"), tmp_path / "w.xlsx")
    import openpyxl

    sheet = openpyxl.load_workbook(tmp_path / "w.xlsx").active
    assert sheet is not None and sheet.title == "2026-11 jiangsu 2027.1"
