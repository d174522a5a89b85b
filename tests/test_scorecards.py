"""The three example scorecards under examples/rules/, scored, graded and ranked by hand.

Each test writes out the hand computation of every member (a comment table) and compares the
engine's report with those numbers; nothing here calls the scheme code to get an expected value.
Checks are off: the examples' data are clean, and the built-in evidence check would hold the
self-reported bonus events for a reviewer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

import gridpoints as gp
from tests.conftest import NOW, SHANGHAI

RULES = Path(__file__).resolve().parent.parent / "examples" / "rules"
D = Decimal


def when(month: int, day: int, hour: int = 9, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


class Events:
    """Numbered events: ``add("W1", "visit", (1, 5), times=2)``."""

    def __init__(self) -> None:
        self.items: list[gp.Event] = []

    def add(self, member: str, kind: str, day: tuple[int, int], *, times: int = 1, quantity: int = 1) -> None:
        for n in range(times):
            number = len(self.items) + 1
            moment = when(*day, hour=8 + n % 12)
            self.items.append(gp.Event(f"{member}-{number}", member, kind, moment, quantity=quantity))


@pytest.fixture
def scorecard(make_engine: Callable[..., gp.Engine]) -> Iterator[Callable[[str], gp.Engine]]:
    def build(name: str) -> gp.Engine:
        ruleset = gp.load_rules(RULES / f"{name}.toml")[0].id
        return make_engine(ruleset=ruleset, rules_files=[RULES / f"{name}.toml"], checks=False)

    yield build


def table(report: gp.Report) -> dict[str, tuple[Decimal, str | None, int | None]]:
    return {r.member_id: (r.score, None if r.grade is None else r.grade.code, r.rank) for r in report}


# -- 1. monthly parts, a capped bonus shared by several rules, a tally, a count limit, a veto --------


def street_month(engine: gp.Engine) -> None:
    engine.add_members([
        gp.Member("W1", "urban", grid="G1"), gp.Member("W2", "rural", grid="G1"),
        gp.Member("W3", "urban", grid="G2"), gp.Member("W4", "urban", grid="G2"),
        gp.Member("W5", "urban", grid="G3"),
    ])  # fmt: skip
    ev = Events()
    for day in range(5, 15):
        ev.add("W1", "visit", (1, day), times=2)
    ev.add("W1", "service", (1, 20), times=2)
    ev.add("W1", "late_report", (1, 21))
    ev.add("W1", "suggestion_adopted", (1, 22))
    ev.add("W1", "level3_event", (1, 23), times=3)
    ev.add("W2", "visit", (1, 5), times=3)
    ev.add("W2", "visit", (1, 6), times=2)
    ev.add("W2", "service", (1, 7))
    ev.add("W2", "missed_report", (1, 8))
    ev.add("W2", "complaint", (1, 9))
    ev.add("W2", "absence", (1, 10))
    ev.add("W2", "good_deed", (1, 11))
    ev.add("W2", "suggestion_adopted", (1, 12))
    ev.add("W2", "level3_event", (1, 13), times=4)
    for day in range(5, 10):
        ev.add("W3", "visit", (1, day))
    ev.add("W3", "training_missed", (1, 15), times=2)
    ev.add("W3", "privacy_breach", (1, 16))
    ev.add("W5", "complaint", (1, 3), times=6)
    ev.add("W5", "absence", (1, 4), times=5)
    result = engine.ingest(ev.items)
    assert len(result.accepted) == len(ev.items), result.rejected


def test_street_monthly_scores_grades_ranks_and_titles(scorecard: Callable[[str], gp.Engine]) -> None:
    engine = scorecard("street-monthly")
    street_month(engine)
    # Hand computation. Sections: operation (base 50, ≥ 0), duty (≤ 30), conduct (base 20, ≥ 0),
    # bonus (≤ 10). W2 is rural: positive awards × 1.5; deductions are not scaled.
    #
    # member  operation      duty                                conduct       bonus                              total
    # W1      50 − 2 = 48    20 visits × 2 + 2 × 3 = 46 → 30      20            5 + tally (3 − 1) × 1 = 7          105
    # W2      50 − 15 = 35   4 counted visits × 3 + 4.5 = 16.5   20 − 5 = 15   12 + 7.5 + (4 − 1) × 1 = 22.5 → 10  76.5
    # W3      50             5 visits × 2 = 10                    20 − 4 = 16   0                                  76
    # W4      50             0                                    20            0                                  70
    # W5      50 − 60 → 0    0                                    20 − 25 → 0   0                                  0
    #
    # Grades (≥ 90 优秀, ≥ 60 合格): W1 优秀, W2 合格, W3 veto → 不合格, W4 合格, W5 不合格.
    report = engine.report("2026-01")
    assert table(report) == {
        "W1": (D("105.00"), "excellent", 1),
        "W2": (D("76.50"), "qualified", 2),
        "W3": (D("76.00"), "unqualified", 3),
        "W4": (D("70.00"), "qualified", 4),
        "W5": (D("0.00"), "unqualified", 5),
    }
    assert report.row("W2").sections == {
        "operation": D("35.00"), "duty": D("16.50"), "conduct": D("15.00"), "bonus": D("10.00")}
    assert report.row("W3").flags == ("veto",)
    # Gold: ceil(5 / 10) = 1 member; W1 is excellent.
    assert [r.member_id for r in report if "gold" in r.titles] == ["W1"]
    # Percentile: the share of the 4 others scoring strictly lower.
    assert [r.percentile for r in report] == [D("100.0"), D("75.0"), D("50.0"), D("25.0"), D("0.0")]
    assert [(r.member_id, r.rank_in_region) for r in report] == [("W1", 1), ("W2", 1), ("W3", 2), ("W4", 3), ("W5", 4)]
    # Breakdown stays the raw points as booked: W1's visits are 40 although duty is held at 30.
    assert report.row("W1").breakdown["visit"] == D("40.00")
    assert engine.score("W2", "2026-01") == D("76.50")


def test_a_count_limit_counts_visits_before_the_coefficient(scorecard: Callable[[str], gp.Engine]) -> None:
    engine = scorecard("street-monthly")
    street_month(engine)
    visits = [(e.day, e.points, e.quantity, e.reason) for e in engine.explain("W2", "2026-01") if e.kind == "visit"]
    # 3 visits on the 5th at ×1.5: 2 count (2 × 2 × 1.5 = 6, not 9), the third books 0 with reason "limit".
    assert visits == [
        ("2026-01-05", D("3.00"), "1", "rule"), ("2026-01-05", D("3.00"), "1", "rule"),
        ("2026-01-05", D("0.00"), "0", "limit"),
        ("2026-01-06", D("3.00"), "1", "rule"), ("2026-01-06", D("3.00"), "1", "rule"),
    ]  # fmt: skip
    assert engine.ledger.verify()


def test_the_veto_and_its_reversal_by_an_upheld_appeal(scorecard: Callable[[str], gp.Engine]) -> None:
    engine = scorecard("street-monthly")
    street_month(engine)
    text = engine.explain("W3", "2026-01").text("zh")
    breach = next(e for e in engine.explain("W3", "2026-01") if e.kind == "privacy_breach")
    assert f"一票否决：2026-01-16 泄露群众隐私，事件 {breach.event_id} → 不合格" in text
    engine.appeal(breach.seq, by="W3", reason="the leak was another worker's").uphold(by="考核办")
    row = engine.report("2026-01").row("W3")
    # Without the veto W3 is graded on the score: 76 ≥ 60 → 合格; the score itself never moved.
    assert (row.score, row.grade, row.flags) == (D("76.00"), gp.Grade.QUALIFIED, ())
    assert "一票否决" not in engine.explain("W3", "2026-01").text("zh")
    assert engine.ledger.verify()


def test_report_by_grid_gives_members_mean_and_rank(scorecard: Callable[[str], gp.Engine]) -> None:
    engine = scorecard("street-monthly")
    street_month(engine)
    grids = engine.report("2026-01", by="grid")
    # G1 (105 + 76.5) / 2 = 90.75; G2 (76 + 70) / 2 = 73; G3 0.
    assert [(g.grid, g.members, g.mean, g.rank) for g in grids] == [
        ("G1", 2, D("90.75"), 1), ("G2", 2, D("73.00"), 2), ("G3", 1, D("0.00"), 3)]


def test_explain_shows_sections_clamps_tallies_and_the_base(scorecard: Callable[[str], gp.Engine]) -> None:
    engine = scorecard("street-monthly")
    street_month(engine)
    text = engine.explain("W2", "2026-01").text("zh")
    assert "【奖励加分】" in text
    assert "  上报三级事件加分：4 件，超过 1 件的 3 件 × +1 = +3" in text
    assert "  小计：基础 0 +22.50 = 22.50，封顶（上限 10）→ 10" in text
    assert "  小计：基础 50 -15 = 35" in text
    assert "  入户走访 ×0 ×系数1.5 = 0（超出次数上限，规则 street-monthly 2026.1）" in text
    assert text.endswith("合计 +76.50\n等级 合格")
    english = engine.explain("W5", "2026-01").text("en")
    assert "  subtotal: base 50 -60 = -10, floor 0 → 0" in english and english.endswith("total 0\ngrade unqualified")


def test_the_worked_scorecard_of_docs_rules_md(scorecard: Callable[[str], gp.Engine]) -> None:
    engine = scorecard("street-monthly")
    engine.add_members([gp.Member("R1", "rural")])
    ev = Events()
    ev.add("R1", "complaint", (1, 3))
    ev.add("R1", "visit", (1, 5), times=3)
    ev.add("R1", "visit", (1, 6), times=2)
    ev.add("R1", "good_deed", (1, 8))
    ev.add("R1", "level3_event", (1, 9), times=4)
    engine.ingest(ev.items)
    # 50 − 10 = 40; 4 counted visits × 2 × 1.5 = 12; 20; 12 + (4 − 1) = 15 → 10: 82, 合格.
    row = engine.report("2026-01").row("R1")
    assert (row.score, row.grade) == (D("82.00"), gp.Grade.QUALIFIED)
    docs = (RULES.parent.parent / "docs" / "rules.md").read_text(encoding="utf-8")
    assert "| total | | | 40 + 12 + 20 + 10 = **82** → 合格 |" in docs


def test_accountability_under_a_monthly_scheme(scorecard: Callable[[str], gp.Engine]) -> None:
    engine = scorecard("street-monthly")
    street_month(engine)
    ev = Events()
    for month in (2, 3):  # W5 again: six complaints and five absences → 0, 不合格
        ev.add("W5", "complaint", (month, 3), times=6)
        ev.add("W5", "absence", (month, 4), times=5)
    engine.ingest(ev.items)
    # W3 was vetoed (不合格) only in January; W5 is 不合格 in January, February and March.
    assert [r.member_id for r in engine.report("2026-03") if "accountability" in r.flags] == ["W5"]
    assert not any("accountability" in r.flags for r in engine.report("2026-02"))


# -- 2. half-years, a weighted year, four grades, assessor's marks within bounds -----------------------


def county_year(engine: gp.Engine) -> gp.IngestResult:
    engine.add_members([gp.Member(m, "urban") for m in ("P1", "P2", "P3", "P4")])
    ev = Events()
    ev.add("P1", "late_report", (2, 10))
    ev.add("P1", "quality_mark", (6, 20), quantity=92)
    ev.add("P1", "survey_mark", (6, 25), quantity=88)
    ev.add("P1", "quality_mark", (12, 10), quantity=85)
    ev.add("P1", "survey_mark", (12, 15), quantity=90)
    ev.add("P2", "missed_report", (3, 1), times=2)
    ev.add("P2", "quality_mark", (6, 20), quantity=80)
    ev.add("P2", "survey_mark", (6, 25), quantity=75)
    ev.add("P2", "quality_mark", (12, 10), quantity=90)
    ev.add("P2", "survey_mark", (12, 15), quantity=85)
    ev.add("P3", "late_report", (4, 2), times=3)
    ev.add("P3", "quality_mark", (6, 20), quantity=70)
    ev.add("P3", "survey_mark", (6, 25), quantity=70)
    ev.add("P3", "missed_report", (9, 1), times=6)
    ev.add("P3", "quality_mark", (12, 10), quantity=60)
    ev.add("P3", "survey_mark", (12, 15), quantity=65)
    ev.add("P4", "quality_mark", (6, 20), quantity=95)
    ev.add("P4", "survey_mark", (6, 25), quantity=96)
    ev.add("P4", "quality_mark", (6, 26), quantity=120)  # above the maximum 100: rejected
    ev.add("P4", "quality_mark", (12, 10), quantity=95)
    ev.add("P4", "survey_mark", (12, 15), quantity=96)
    return engine.ingest(ev.items)


def test_county_halfyear_scores_each_half_and_the_weighted_year(scorecard: Callable[[str], gp.Engine]) -> None:
    engine = scorecard("county-halfyear")
    result = county_year(engine)
    assert [(r.code, r.message) for r in result.rejected] == [
        ("quantity", "quantity: 120 is above the maximum 100 of rule quality_mark.1")]
    # score = 0.4 × 基础工作 + 0.3 × 服务质量 + 0.3 × 群众满意度
    # H1  P1: 0.4×95 + 0.3×92 + 0.3×88 = 38 + 27.6 + 26.4 = 92.0    优秀
    #     P2: 0.4×80 + 0.3×80 + 0.3×75 = 32 + 24 + 22.5   = 78.5    合格
    #     P3: 0.4×85 + 0.3×70 + 0.3×70 = 34 + 21 + 21     = 76.0    合格
    #     P4: 0.4×100 + 0.3×95 + 0.3×96 = 40 + 28.5 + 28.8 = 97.3   优秀
    assert table(engine.report("2026-H1")) == {
        "P4": (D("97.30"), "excellent", 1), "P1": (D("92.00"), "excellent", 2),
        "P2": (D("78.50"), "qualified", 3), "P3": (D("76.00"), "qualified", 4)}  # fmt: skip
    # H2  P1: 40 + 25.5 + 27 = 92.5   P2: 40 + 27 + 25.5 = 92.5   P3: 0.4×40 + 18 + 19.5 = 53.5   P4: 97.3
    assert table(engine.report("2026-H2")) == {
        "P4": (D("97.30"), "excellent", 1), "P1": (D("92.50"), "excellent", 2),
        "P2": (D("92.50"), "excellent", 2), "P3": (D("53.50"), "unqualified", 4)}  # fmt: skip
    # Year = 0.4 × H1 + 0.6 × H2: P1 36.8 + 55.5 = 92.3 优秀; P2 31.4 + 55.5 = 86.9 良好;
    #                              P3 30.4 + 32.1 = 62.5 合格; P4 97.3 优秀.
    year = engine.report("2026")
    assert table(year) == {
        "P4": (D("97.30"), "excellent", 1), "P1": (D("92.30"), "excellent", 2),
        "P2": (D("86.90"), "good", 3), "P3": (D("62.50"), "qualified", 4)}  # fmt: skip
    assert year.row("P2").parts == {"2026-H1": D("78.50"), "2026-H2": D("92.50")}
    assert year.row("P2").grade is not None and year.row("P2").grade.label("zh") == "良好"
    assert year.summary().grades == {g: n for g, n in zip(year.scale, (2, 1, 1, 0), strict=True)}
    text = engine.explain("P2", "2026").text("zh")
    assert "2026-H1 78.50 ×0.4 + 2026-H2 92.50 ×0.6 = 86.90" in text and text.endswith("等级 良好")


def test_a_month_of_a_halfyear_scheme_shows_the_running_score_ungraded(
    scorecard: Callable[[str], gp.Engine],
) -> None:
    engine = scorecard("county-halfyear")
    county_year(engine)
    # H1 through March: only 基础工作 so far. P1 0.4×95 = 38; P2 0.4×80 = 32; P3 (late in April) 40; P4 40.
    march = engine.report("2026-03")
    assert table(march) == {
        "P3": (D("40.00"), None, 1), "P4": (D("40.00"), None, 1),
        "P1": (D("38.00"), None, 3), "P2": (D("32.00"), None, 4)}  # fmt: skip
    assert not any(r.titles for r in march)
    assert engine.score("P1", "2026-03") == D("38.00")
    # A quarter is shorter than a half-year too: Q2 is H1 through June, the whole H1, still ungraded.
    assert {r.member_id: (r.score, r.grade) for r in engine.report("2026-Q2")}["P1"] == (D("92.00"), None)
    assert "2026-H1（截至 2026-03）" in engine.explain("P1", "2026-03").text("zh")


# -- 3. quarterly deductions until exhausted, time in post, five grades --------------------------------


def town_quarter(engine: gp.Engine) -> None:
    engine.add_members([
        gp.Member("T1", "urban", joined=date(2025, 6, 1)), gp.Member("T2", "urban", joined=date(2024, 3, 1)),
        gp.Member("T3", "urban", joined=date(2026, 1, 10)), gp.Member("T4", "rural"),
        gp.Member("T5", "rural"), gp.Member("T6", "rural", joined=date(2026, 1, 1)),
    ])  # fmt: skip
    ev = Events()
    ev.add("T1", "info_error", (2, 3))
    ev.add("T1", "patrol_missed", (3, 4), times=2)
    ev.add("T2", "info_error", (1, 5), times=2)
    ev.add("T2", "info_error", (3, 2), times=2)
    ev.add("T2", "overdue_case", (3, 9))
    ev.add("T2", "complaint", (2, 11))
    ev.add("T3", "patrol_missed", (2, 12))
    ev.add("T4", "overdue_case", (1, 20), times=3)
    ev.add("T4", "complaint", (2, 20), times=2)
    ev.add("T4", "patrol_missed", (3, 20), times=5)
    ev.add("T5", "complaint", (1, 7), times=5)
    ev.add("T5", "overdue_case", (2, 7), times=6)
    ev.add("T5", "patrol_missed", (3, 7), quantity=12)
    result = engine.ingest(ev.items)
    assert len(result.accepted) == len(ev.items), result.rejected


def test_town_quarterly_deducts_until_exhausted_and_needs_months_in_post(
    scorecard: Callable[[str], gp.Engine],
) -> None:
    engine = scorecard("town-quarterly")
    town_quarter(engine)
    # member  信息录入率 5     事件处置 25      日常巡查 30   群众工作 40      total  in post (at 03-31)  grade
    # T1      5 − 2 = 3       25               30 − 2 = 28   40               96     9 months           优秀 (≥95)
    # T2      5 − 8 → 0       25 − 5 = 20      30            40 − 10 = 30     80     2 years            合格 (≥70)
    # T3      5               25               30 − 1 = 29   40               99     2 (joined 01-10)   not eligible
    # T4      5               25 − 15 = 10     30 − 5 = 25   40 − 20 = 20     60     unknown            基本合格 (≥60)
    # T5      5               25 − 30 → 0      30 − 12 = 18  40 − 50 → 0      23     unknown            不合格
    # T6      5               25               30            40               100    3 (joined 01-01)   优秀
    report = engine.report("2026-Q1")
    assert table(report) == {
        "T6": (D("100.00"), "excellent", 1), "T1": (D("96.00"), "excellent", 2), "T2": (D("80.00"), "qualified", 3),
        "T4": (D("60.00"), "basic", 4), "T5": (D("23.00"), "unqualified", 5), "T3": (D("99.00"), None, None),
    }  # fmt: skip
    t3 = report.row("T3")
    assert (t3.flags, t3.percentile, t3.rank_in_region, t3.titles) == (("not_eligible",), None, None, ())
    assert report.rows[-1].member_id == "T3"  # listed after the ranking
    assert report.row("T2").sections == {"info": D("0.00"), "handling": D("20.00"), "patrol": D("30.00"),
                                         "residents": D("30.00")}  # fmt: skip
    assert [r.member_id for r in report if "gold" in r.titles] == ["T6"]  # ceil(5 ranked / 10) = 1
    assert [r.percentile for r in report][:5] == [D("100.0"), D("75.0"), D("50.0"), D("25.0"), D("0.0")]
    assert report.summary().count == 5 and report.summary().grades[report.scale[3]] == 1  # 基本合格: T4
    assert "不参评：在岗 2 个月" in engine.explain("T3", "2026-Q1").text("zh")
    # In Q2 T3 has 5 whole months in post (01-10 → 07-01): assessed, no events, 100.
    assert table(engine.report("2026-Q2"))["T3"] == (D("100.00"), "excellent", 1)


def test_a_month_of_a_quarterly_scheme_and_the_year(scorecard: Callable[[str], gp.Engine]) -> None:
    engine = scorecard("town-quarterly")
    town_quarter(engine)
    # February, running from January: T2 has 2 info errors (5 − 4 = 1) and 1 complaint (30):
    # 1 + 25 + 30 + 30 = 86, ungraded.
    february = engine.report("2026-02")
    assert (february.row("T2").score, february.row("T2").grade) == (D("86.00"), None)
    # The year sums the quarters and is graded on their average over quarters in post:
    # T5 23 + 100 × 3 = 323, average 80.75 → 合格; T3 99 + 300 = 399, 99.75 → 优秀 (eligible by December).
    year = engine.report("2026")
    assert (year.row("T5").score, year.row("T5").grade) == (D("323.00"), year.scale[2])
    assert (year.row("T3").score, year.row("T3").grade) == (D("399.00"), year.scale[0])
    assert year.row("T5").parts == {"2026-Q1": D("23.00"), "2026-Q2": D("100.00"), "2026-Q3": D("100.00"),
                                    "2026-Q4": D("100.00")}  # fmt: skip


def test_closing_a_month_of_a_quarterly_scheme_freezes_the_running_score(
    scorecard: Callable[[str], gp.Engine],
) -> None:
    engine = scorecard("town-quarterly")
    town_quarter(engine)
    closed = engine.close_period("2026-02", by="考核办")
    frozen = engine.report("2026-02")
    assert frozen.rows == closed.report.rows and frozen.scheme and frozen.scale[3].label_zh == "基本合格"
    assert (frozen.row("T2").score, frozen.row("T2").grade, frozen.row("T3").flags) == (
        D("86.00"), None, ("not_eligible",))
    # A late event of February is booked in March: the frozen month never changes; the quarter
    # does: T1 loses 10 in 群众工作, 96 − 10 = 86 → 良好 (≥85), still second behind T6's 100.
    engine.ingest([gp.Event("late-1", "T1", "complaint", when(2, 25))])
    assert engine.report("2026-02").rows == frozen.rows
    assert table(engine.report("2026-Q1"))["T1"] == (D("86.00"), "good", 2)
    assert engine.ledger.verify()


def test_a_frozen_report_with_custom_grades_reads_back_whole(scorecard: Callable[[str], gp.Engine]) -> None:
    engine = scorecard("street-monthly")
    street_month(engine)
    live = engine.report("2026-01")
    engine.close_period("2026-01", by="考核办")
    frozen = engine.report("2026-01")
    assert (frozen.rows, frozen.scale, frozen.scheme) == (live.rows, live.scale, True)
    assert engine.report("2026-01").row("W1").grade is gp.Grade.EXCELLENT


def test_now_is_after_every_scorecard_period() -> None:
    assert when(12, 31) < NOW  # the engines' clock lets every month above be closed
