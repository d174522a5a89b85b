"""Schemes through the rest of the results: half-years, frozen reports, exports, what-if, the CLI."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import gridpoints as gp
from gridpoints.results.frozen import report_from_json, report_to_json
from tests.conftest import NOW, Run, at
from tests.test_scorecards import RULES, street_month, town_quarter

D = Decimal


# -- half-years everywhere ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "first", "last", "months"),
    [("2026-H1", date(2026, 1, 1), date(2026, 6, 30), 6), ("2026-h2", date(2026, 7, 1), date(2026, 12, 31), 6)],
)
def test_half_years_parse_and_span_six_months(text: str, first: date, last: date, months: int) -> None:
    half = gp.Period.parse(text)
    assert (half.kind, half.first_day, half.last_day, len(half.months()), half.span) == ("half", first, last, 6, 6)
    assert gp.Period.parse(str(half)) == half and str(half) == text.upper()


def test_periods_nest_within_and_split_into_parts() -> None:
    may = gp.Period.parse("2026-05")
    within = [str(may.within(kind)) for kind in ("month", "quarter", "half", "year")]
    assert within == ["2026-05", "2026-Q2", "2026-H1", "2026"]
    assert [str(p) for p in gp.Period.parse("2026").parts("half")] == ["2026-H1", "2026-H2"]
    assert [str(p) for p in gp.Period.parse("2026-H2").parts("quarter")] == ["2026-Q3", "2026-Q4"]
    with pytest.raises(ValueError, match="2026-Q2 is longer than a month"):
        gp.Period.parse("2026-Q2").within("month")
    with pytest.raises(ValueError, match="2026-Q2 is shorter than a half"):
        gp.Period.parse("2026-Q2").parts("half")
    with pytest.raises(ValueError, match="half-year"):
        gp.Period.parse("2026-H3")


def test_a_plain_half_year_report_sums_six_months(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine(checks=False)
    engine.add_members([gp.Member("M1", "urban")])
    engine.ingest([gp.Event(f"p{m}", "M1", "patrol", at(3, month=m)) for m in (5, 6, 7)])
    report = engine.report("2026-H1")
    # May and June: 5 + 5 = 10, graded on the average over the 6 months in post (1.67): 不合格.
    assert (report.row("M1").score, report.row("M1").active_months, report.row("M1").grade) == (
        D("10.00"), 6, gp.Grade.UNQUALIFIED)
    assert list(report.row("M1").months) == [f"2026-0{m}" for m in range(1, 7)]
    assert engine.score("M1", "2026-H2") == D("5.00")


# -- frozen reports -------------------------------------------------------------------------------------


OLD_FROZEN = (
    '{"period":"2026-10","rows":[{"active_months":1,"breakdown":{"patrol":{"decimal":"85.00"}},"flags":[],'
    '"grade":{"grade":"excellent"},"grid":null,"member_id":"M1","months":{},"name":"小李",'
    '"percentile":{"decimal":"100.0"},"rank":1,"rank_in_grid":null,"rank_in_region":1,"region":"urban",'
    '"score":{"decimal":"85.00"},"titles":["gold"]}]}'
)


def test_a_report_frozen_before_grades_were_values_still_loads() -> None:
    report = report_from_json(OLD_FROZEN)
    row = report.row("M1")
    assert row.grade is gp.Grade.EXCELLENT and (row.score, row.rank, row.sections, row.parts) == (D("85.00"), 1, {}, {})
    assert (report.scale, report.scheme) == (tuple(gp.Grade), False)
    # Written again, a built-in grade keeps its old form, so the text is what it was.
    assert report_to_json(report).replace(',"parts":{}', "").replace(',"sections":{}', "") == OLD_FROZEN


def test_custom_grades_and_missing_grades_round_trip_through_json(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine(ruleset="town-quarterly", rules_files=[RULES / "town-quarterly.toml"], checks=False)
    town_quarter(engine)
    report = engine.report("2026-Q1")
    text = report_to_json(report)
    assert '"grade":{"band":3,"code":"basic","label":"基本合格","label_en":"basically qualified"}' in text
    again = report_from_json(text)
    assert (again.rows, again.scale, again.scheme) == (report.rows, report.scale, True)
    assert again.row("T3").grade is None and again.row("T6").grade is gp.Grade.EXCELLENT


# -- exports --------------------------------------------------------------------------------------------


def test_a_scheme_report_exports_sections_grade_labels_and_blank_cells(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine(ruleset="town-quarterly", rules_files=[RULES / "town-quarterly.toml"], checks=False)
    town_quarter(engine)
    buffer = io.BytesIO()
    engine.export_report("2026-Q1", buffer, format="csv")
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue().decode("utf-8-sig"))))
    t4 = next(r for r in rows if r["编号"] == "T4")
    assert (t4["积分"], t4["等级"], t4["信息录入率"], t4["事件处置"], t4["日常巡查"], t4["群众工作"]) == (
        "60.00", "基本合格", "5.00", "10.00", "25.00", "20.00")
    t3 = next(r for r in rows if r["编号"] == "T3")
    assert (t3["排名"], t3["等级"], t3["百分位"], t3["标记"]) == ("", "", "", "不参评")
    assert "月均积分" not in rows[0]  # a quarterly scheme grades the quarter itself, not a monthly average
    buffer = io.BytesIO()
    engine.export_report("2026", buffer, format="json", lang="en")
    document = json.loads(buffer.getvalue())
    assert document["columns"]["part.2026-Q3"] == "2026-Q3"
    # T4's year: 60 + 100 × 3 = 360, graded on the average 90 → good (85 ≤ 90 < 95).
    t4 = next(r for r in document["rows"] if r["member_id"] == "T4")
    assert (t4["score"], t4["part.2026-Q1"], t4["grade"]) == ("360.00", "60.00", "good")


def test_a_grid_report_exports(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine(ruleset="street-monthly", rules_files=[RULES / "street-monthly.toml"], checks=False)
    street_month(engine)
    table = gp.grid_table(engine.report("2026-01", by="grid"), lang="en")
    assert table.headers == ("grid", "members", "mean score", "rank")
    assert table.rows[0] == ("G1", 2, D("90.75"), 1)
    with pytest.raises(ValueError, match="by: 'region' is not None or 'grid'"):
        engine.report("2026-01", by="region")  # type: ignore[call-overload]


# -- what-if under a scheme -------------------------------------------------------------------------------


def test_a_what_if_scores_a_proposed_scheme(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine(ruleset="town-quarterly", rules_files=[RULES / "town-quarterly.toml"], checks=False)
    town_quarter(engine)
    (current,) = gp.load_rules(RULES / "town-quarterly.toml")
    # Complaints halved to −5: T2 群众工作 40 − 5 = 35 → 85 → 良好; T4 40 − 10 = 30 → 70 → 合格.
    rules = [gp.Rule("complaint", -5, section="residents") if r.kind == "complaint" else r for r in current.rules]
    proposal = gp.RuleSet(current.id, "2026.2", "2026-01-01", rules, assessment=current.assessment,
                          sections=current.sections, grades=current.grades)  # fmt: skip
    result = engine.simulate(proposal, "2026-Q1")
    changed = {r.member_id: (r.old_score, r.new_score, r.old_grade and r.old_grade.code,
                             r.new_grade and r.new_grade.code) for r in result.grade_changes()}  # fmt: skip
    assert changed == {"T2": (D("80.00"), D("85.00"), "qualified", "good"),
                       "T4": (D("60.00"), D("70.00"), "basic", "qualified")}  # fmt: skip
    assert result.row("T3").new_rank is None and result.row("T3").new_grade is None
    # The current rules as a proposal change nothing.
    assert engine.simulate(current, "2026-Q1").changed() == []


def test_a_what_if_keeps_an_upheld_appeal_against_a_veto(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine(ruleset="street-monthly", rules_files=[RULES / "street-monthly.toml"], checks=False)
    street_month(engine)
    breach = next(e for e in engine.explain("W3", "2026-01") if e.kind == "privacy_breach")
    engine.appeal(breach.seq, by="W3", reason="not me").uphold(by="考核办")
    (current,) = gp.load_rules(RULES / "street-monthly.toml")
    result = engine.simulate(current, "2026-01")
    assert result.changed() == [] and result.row("W3").new_grade == gp.Grade.QUALIFIED


# -- the command line ------------------------------------------------------------------------------------


def test_the_cli_reports_half_years_grids_and_explains_a_scheme(run: Run, tmp_path: Path) -> None:
    rules = str(RULES / "street-monthly.toml")
    members = tmp_path / "members.csv"
    members.write_text("id,region,name,grid\nW1,urban,甲,G1\nW2,rural,乙,G1\nW3,urban,丙,G2\n", encoding="utf-8")
    events = tmp_path / "events.csv"
    rows = [f"v{d},W1,visit,2026-01-{d:02d}T09:00:00+08:00," for d in range(5, 8)]
    rows += ["x1,W3,privacy_breach,2026-01-09T09:00:00+08:00,", "v9,W2,visit,2026-01-05T09:00:00+08:00,"]
    events.write_text("id,member_id,kind,occurred_at,quantity\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert run("--rules", rules, "members", str(members))[0] == 0
    assert run("--rules", rules, "ingest", str(events))[0] == 0
    code, out, _ = run("--rules", rules, "report", "2026-01")
    assert code == 0 and "一票否决" in out
    code, out, _ = run("--rules", rules, "--lang", "en", "report", "2026-01", "--group-by", "grid")
    # G1: W1 50 + 6 + 20 = 76, W2 50 + 3 + 20 = 73 → 74.5; G2: W3 70 (vetoed, still ranked by score).
    assert code == 0 and out.splitlines()[3].split() == ["G1", "2", "74.50", "1"]
    code, out, _ = run("--rules", rules, "report", "2026-H1")
    assert code == 0 and out.startswith("2026-H1\n")
    code, out, _ = run("--rules", rules, "explain", "W3", "2026-01")
    assert code == 0 and "一票否决：2026-01-09 泄露群众隐私，事件 x1 → 不合格" in out and "【履职绩效】" in out


def test_now_lets_the_scorecard_months_close() -> None:
    assert NOW.year == 2027
