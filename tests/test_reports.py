"""Period reports on hand-built cases: ranks, percentiles, gold, accountability, activity."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.results.reports import competition_ranks, percentiles
from tests.conftest import NOW, at
from tests.helpers_scores import give

Make = Callable[..., gp.Engine]


def _engine(make_engine: Make, members: list[gp.Member]) -> gp.Engine:
    engine = make_engine(checks=False)
    engine.add_members(members)
    return engine


def test_ranks_percentiles_and_gold_with_ties_at_the_edge(make_engine: Make) -> None:
    # 20 members: gold cut-off is rank ≤ ceil(20 / 10) = 2; three share rank 2, so four are gold.
    members = [gp.Member(id=f"M{i:02d}", region="urban" if i % 2 else "rural") for i in range(20)]
    engine = _engine(make_engine, members)
    scores = {"M00": 100, "M01": 90, "M02": 90, "M03": 90, "M04": 85}
    for i in range(5, 20):
        scores[f"M{i:02d}"] = 80 - 5 * (i - 5) if i < 19 else 0
    for member_id, points in scores.items():
        give(engine, member_id, "2026-11", points)
    report = engine.report("2026-11")
    assert [r.member_id for r in report][:5] == ["M00", "M01", "M02", "M03", "M04"]
    assert [r.rank for r in report][:5] == [1, 2, 2, 2, 5]
    assert {r.member_id for r in report if "gold" in r.titles} == {"M00", "M01", "M02", "M03"}
    row = report.row("M02")
    # 16 of the 19 others score strictly lower: 84.2 %.
    assert row.percentile == Decimal("84.2")
    assert report.row("M00").percentile == Decimal("100.0")
    assert report.row("M19").percentile == Decimal("0.0")
    assert report.row("M04").percentile == Decimal("78.9")  # 15 / 19
    # Region ranks: odd ids are urban (M01, M03 share 1st), even are rural (M00 first).
    assert (report.row("M01").rank_in_region, report.row("M03").rank_in_region) == (1, 1)
    assert report.row("M05").rank_in_region == 3
    assert report.row("M00").rank_in_region == 1
    assert report.row("M02").rank_in_region == 2


def test_gold_is_never_given_to_an_unqualified_member(make_engine: Make) -> None:
    engine = _engine(make_engine, [gp.Member(id=f"M{i}", region="urban") for i in range(5)])
    for i, points in enumerate([55, 40, 30, 20, 10]):
        give(engine, f"M{i}", "2026-11", points)
    report = engine.report("2026-11")
    assert report.row("M0").rank == 1 and report.row("M0").grade is gp.Grade.UNQUALIFIED
    assert all(not r.titles for r in report)


def test_gold_goes_to_the_top_tenth_when_qualified(make_engine: Make) -> None:
    engine = _engine(make_engine, [gp.Member(id=f"M{i}", region="urban") for i in range(11)])
    for i in range(11):
        give(engine, f"M{i}", "2026-11", 60 + 5 * i)
    report = engine.report("2026-11")
    # ceil(11 / 10) = 2
    assert [r.member_id for r in report if "gold" in r.titles] == ["M10", "M9"]


def test_accountability_across_a_year_boundary_and_not_after_a_qualified_month(make_engine: Make) -> None:
    joined = date(2026, 11, 1)
    engine = _engine(
        make_engine,
        [
            gp.Member(id="U", region="urban", joined=joined),  # unqualified Nov, Dec, Jan
            gp.Member(id="Q", region="urban", joined=joined),  # qualified in December
            gp.Member(id="J", region="urban", joined=date(2026, 12, 15)),  # only two active months by Jan
            gp.Member(id="X", region="urban", joined=joined),  # excellent throughout
        ],
    )
    for month in ("2026-11", "2026-12", "2027-01", "2027-02", "2027-03"):
        give(engine, "X", month, 100)
    give(engine, "U", "2026-11", 30)
    give(engine, "U", "2026-12", 55)
    give(engine, "Q", "2026-12", 60)
    give(engine, "U", "2027-02", 80)
    assert not any(r.flags for r in engine.report("2026-11"))
    assert not any(r.flags for r in engine.report("2026-12"))
    january = engine.report("2027-01")
    assert {r.member_id for r in january if "accountability" in r.flags} == {"U"}
    # February: U was qualified (80), so neither February nor March flags U. J (active from
    # December) reaches three unqualified active months in February; Q, qualified in December,
    # only in March.
    february = engine.report("2027-02")
    assert {r.member_id for r in february if "accountability" in r.flags} == {"J"}
    march = engine.report("2027-03")
    assert {r.member_id for r in march if "accountability" in r.flags} == {"Q", "J"}
    # Quarters and years carry no accountability flag (it is a monthly judgement).
    assert not any(r.flags for r in engine.report("2027-Q1"))


def test_who_is_assessed_joined_after_or_left_before_are_absent(make_engine: Make) -> None:
    engine = _engine(
        make_engine,
        [
            gp.Member(id="A", region="urban"),
            gp.Member(id="B", region="urban"),  # active, no events → 0
            gp.Member(id="LATE", region="urban", joined=date(2026, 12, 1)),
            gp.Member(id="GONE", region="urban", left=date(2026, 10, 31)),
            gp.Member(id="EDGE", region="urban", joined=date(2026, 11, 30)),
            gp.Member(id="LEFT", region="urban", left=date(2026, 11, 1)),
        ],
    )
    give(engine, "A", "2026-11", 70)
    report = engine.report("2026-11")
    assert [r.member_id for r in report] == ["A", "B", "EDGE", "LEFT"]
    assert [r.rank for r in report] == [1, 2, 2, 2]
    assert report.row("B").score == Decimal("0.00")
    with pytest.raises(KeyError):
        report.row("LATE")


def test_breakdown_by_kind_and_summary_statistics(make_engine: Make) -> None:
    engine = _engine(make_engine, [gp.Member(id=f"M{i}", region=r) for i, r in enumerate("uuurr")])
    engine.ingest(
        [
            gp.Event("p", "M0", "patrol", at(3), quantity=18),
            gp.Event("m", "M0", "mediation", at(4)),
            gp.Event("c", "M0", "complaint", at(5)),
            gp.Event("h", "M0", "hazard", at(6), reported_at=at(9), attributes={"severity": "major"}),
        ]
    )
    for i, points in ((1, 60), (2, 60), (3, 20), (4, 0)):
        give(engine, f"M{i}", "2026-11", points)
    report = engine.report("2026-11")
    row = report.row("M0")
    assert dict(row.breakdown) == {
        "patrol": Decimal("90.00"),
        "mediation": Decimal("15.00"),
        "complaint": Decimal("-10.00"),
        "hazard": Decimal("20.00"),
        "late_report": Decimal("-3.00"),  # derived: reported 3 days late
    }
    assert row.score == sum(row.breakdown.values()) == Decimal("112.00")
    summary = report.summary(n=2)
    assert summary.count == 5
    assert summary.grades == {gp.Grade.EXCELLENT: 1, gp.Grade.QUALIFIED: 2, gp.Grade.UNQUALIFIED: 2}
    assert summary.grades_by_region["r"] == {gp.Grade.EXCELLENT: 0, gp.Grade.QUALIFIED: 0, gp.Grade.UNQUALIFIED: 2}
    assert summary.mean == Decimal("50.40")
    assert summary.median == Decimal("60.00")
    # Top 2 with ties at the edge: M0 (1), M1 and M2 share rank 2.
    assert [r.member_id for r in summary.top] == ["M0", "M1", "M2"]
    assert [r.member_id for r in summary.bottom] == ["M4", "M3"]
    assert gp.Engine(load_entrypoints=False).report("2026-11").summary().mean is None


def test_quarter_is_graded_on_the_average_monthly_score(make_engine: Make) -> None:
    engine = _engine(
        make_engine,
        [gp.Member(id="A", region="urban"), gp.Member(id="N", region="urban", joined=date(2026, 11, 15))],
    )
    for month in ("2026-10", "2026-11", "2026-12"):
        give(engine, "A", month, 80)
    give(engine, "N", "2026-11", 90, day=20)
    give(engine, "N", "2026-12", 80)
    report = engine.report("2026-Q4")
    a, n = report.row("A"), report.row("N")
    excellent = gp.Grade.EXCELLENT
    assert (a.score, a.active_months, a.average, a.grade) == (Decimal("240.00"), 3, Decimal("80.00"), excellent)
    assert (n.score, n.active_months, n.average, n.grade) == (Decimal("170.00"), 2, Decimal("85.00"), excellent)
    assert dict(a.months) == {"2026-10": Decimal("80.00"), "2026-11": Decimal("80.00"), "2026-12": Decimal("80.00")}
    assert (a.rank, n.rank) == (1, 2)


def test_annual_result_sums_months_ranks_and_counts_grades_per_region(make_engine: Make) -> None:
    engine = _engine(
        make_engine,
        [gp.Member(id="A", region="urban"), gp.Member(id="B", region="rural"), gp.Member(id="C", region="rural")],
    )
    for month in range(1, 13):
        give(engine, "A", f"2026-{month:02d}", 60)
        give(engine, "B", f"2026-{month:02d}", 85 if month % 2 else 75)
    give(engine, "C", "2026-06", 100)
    result = engine.annual(2026)
    assert result.period == gp.Period.parse("2026")
    assert [(r.member_id, r.score, r.rank) for r in result] == [
        ("B", Decimal("960.00"), 1),
        ("A", Decimal("720.00"), 2),
        ("C", Decimal("100.00"), 3),
    ]
    assert result.row("B").months["2026-02"] == Decimal("75.00") and len(result.row("B").months) == 12
    assert result.row("B").grade is gp.Grade.EXCELLENT  # average 80
    assert result.grade_distribution("region") == {
        "rural": {gp.Grade.EXCELLENT: 1, gp.Grade.QUALIFIED: 0, gp.Grade.UNQUALIFIED: 1},
        "urban": {gp.Grade.EXCELLENT: 0, gp.Grade.QUALIFIED: 1, gp.Grade.UNQUALIFIED: 0},
    }
    with pytest.raises(ValueError, match="year"):
        engine.annual("2026-11")


def test_percentiles_of_a_single_member_and_of_ties() -> None:
    assert percentiles({"a": Decimal(5)}) == {"a": Decimal("100.0")}
    assert percentiles({"a": Decimal(5), "b": Decimal(5)}) == {"a": Decimal("0.0"), "b": Decimal("0.0")}


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.text("abcdef", min_size=1, max_size=3), st.integers(-50, 50).map(Decimal), min_size=1))
def test_percentile_orders_like_the_score_and_ties_share_it(scores: dict[str, Decimal]) -> None:
    shares = percentiles(scores)
    ranks = competition_ranks(scores)
    for a in scores:
        assert Decimal(0) <= shares[a] <= Decimal(100)
        for b in scores:
            if scores[a] > scores[b]:
                assert shares[a] > shares[b] and ranks[a] < ranks[b]
            elif scores[a] == scores[b]:
                assert shares[a] == shares[b] and ranks[a] == ranks[b]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["M0", "M1", "M2"]),
            st.sampled_from(["patrol", "mediation", "complaint", "absence", "service"]),
            st.integers(1, 4),
            st.integers(1, 28),
        ),
        max_size=25,
    )
)
def test_store_aggregates_match_the_entries(events: list[tuple[str, str, int, int]]) -> None:
    for store in (None, ":memory:"):
        engine = gp.Engine(store, checks=False, load_entrypoints=False, clock=lambda: NOW)
        engine.add_members([gp.Member(id=m, region="urban") for m in ("M0", "M1", "M2")])
        engine.ingest(
            [
                gp.Event(f"e{i}", m, kind, at(day), quantity=q, attributes={"evidence": "x"})
                for i, (m, kind, q, day) in enumerate(events)
            ]
        )
        report = engine.report("2026-11")
        for row in report:
            expected: dict[str, Decimal] = {}
            for entry in engine.ledger.entries(member_id=row.member_id, periods=["2026-11"]):
                expected[entry.kind] = expected.get(entry.kind, Decimal(0)) + entry.points
            assert dict(row.breakdown) == expected
            assert row.score == sum(expected.values(), Decimal(0)) == engine.score(row.member_id, "2026-11")
        ranks = sorted(report, key=lambda r: -r.score)
        assert all(a.rank <= b.rank for a, b in itertools.pairwise(ranks))
        engine.close()


def test_a_closed_months_frozen_report_keeps_every_column(make_engine: Make) -> None:
    engine = _engine(make_engine, [gp.Member(id=f"M{i}", region="urban", name=f"名{i}") for i in range(3)])
    for i, points in enumerate([90, 70, 40]):
        give(engine, f"M{i}", "2026-11", points)
    engine.ingest([gp.Event(f"r{i}", "M0", "rating", at(2), attributes={"stars": 5}) for i in range(5)])
    engine.close_period("2026-11", by="office")  # settles first
    frozen = engine.report("2026-11")
    assert frozen.settled
    row = frozen.row("M0")
    assert (row.score, row.percentile, row.name) == (Decimal("100.00"), Decimal("100.0"), "名0")
    expected = {"patrol": Decimal("90.00"), "rating": Decimal("0.00"), "satisfaction": Decimal("10.00")}
    assert dict(row.breakdown) == expected
    engine.ingest([gp.Event("late", "M2", "patrol", at(20), quantity=10)])  # booked into December
    assert engine.report("2026-11") == frozen


def test_months_before_the_ledger_starts_do_not_count_for_accountability(make_engine: Make) -> None:
    # No joined dates: the members are active in every month, but the ledger starts in November.
    engine = _engine(make_engine, [gp.Member(id="U", region="urban"), gp.Member(id="X", region="urban")])
    for month in ("2026-11", "2026-12", "2027-01"):
        give(engine, "X", month, 100)
    give(engine, "U", "2026-11", 10)
    assert not any(r.flags for r in engine.report("2026-11"))
    assert not any(r.flags for r in engine.report("2026-12"))
    assert {r.member_id for r in engine.report("2027-01") if "accountability" in r.flags} == {"U"}
