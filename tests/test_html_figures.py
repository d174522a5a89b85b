"""Properties of the HTML pack's chart figures over arbitrary reports: every member is counted once,
no histogram bar mixes two grades, grade counts by group add up to the totals, points by kind add
up to the scores, movers are the biggest changes, and nothing depends on the order of members."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.plugins.grades import grade_by_thresholds
from gridpoints.results import figures
from gridpoints.results.pack import Band
from gridpoints.results.reports import Report, assemble_report

OCTOBER = gp.Period.parse("2026-10")
SEPTEMBER = gp.Period.parse("2026-09")

scores = st.decimals(min_value=-300, max_value=3000, places=2)
regions = st.sampled_from(["urban", "rural", "suburban"])
grids = st.sampled_from([None, "A1", "A2", "B1"])
#: (score, region, grid, patrol points) per member.
members = st.lists(st.tuples(scores, regions, grids, scores), min_size=1, max_size=40)
thresholds = st.tuples(st.integers(-100, 500), st.integers(0, 300)).map(lambda t: (t[0] + t[1], t[0]))


def _ruleset(excellent: int, qualified: int) -> gp.RuleSet:
    return gp.RuleSet("t", "1", "2000-01-01", [gp.Rule("patrol", 5)],
                      grades={"excellent": excellent, "qualified": qualified})  # fmt: skip


def _report(rows: list[tuple[Decimal, str, str | None, Decimal]], ruleset: gp.RuleSet, period: gp.Period) -> Report:
    """A report of members ``M0``… with these scores, split into two kinds (patrol and the rest)."""
    assessed = [gp.Member(f"M{i}", region, grid=grid) for i, (_, region, grid, _) in enumerate(rows)]
    score = {m.id: row[0] for m, row in zip(assessed, rows, strict=True)}
    patrol = {m.id: row[3] for m, row in zip(assessed, rows, strict=True)}
    return assemble_report(
        period, assessed, score, {k: grade_by_thresholds(v, ruleset) for k, v in score.items()},
        flags={}, breakdown={k: {"patrol": patrol[k], "other": score[k] - patrol[k]} for k in score},
        months={}, active=dict.fromkeys(score, 1),
    )  # fmt: skip


def _bands(excellent: int, qualified: int) -> tuple[Band, ...]:
    return (Band(gp.Grade.EXCELLENT, Decimal(excellent)), Band(gp.Grade.QUALIFIED, Decimal(qualified)),
            Band(gp.Grade.UNQUALIFIED, None))  # fmt: skip


@given(members, thresholds)
def test_every_member_is_in_exactly_one_bar_and_no_bar_mixes_grades(rows: list, limits: tuple[int, int]) -> None:
    report = _report(rows, _ruleset(*limits), OCTOBER)
    data = figures.distribution(report, _bands(*limits))
    assert sum(data.counts) == len(report)
    edges = data.edges
    assert len(edges) == len(data.counts) + 1 and edges[0] <= min(r.score for r in report) < edges[1]
    for row in report:
        (index,) = [i for i in range(len(data.counts)) if edges[i] <= row.score < edges[i + 1]]
        assert data.bin_grade(index) == row.grade
    assert data.counts[0] > 0 and data.counts[-1] > 0  # no empty bins at either end


@given(members, thresholds)
def test_grade_counts_by_group_add_up_to_the_totals(rows: list, limits: tuple[int, int]) -> None:
    report = _report(rows, _ruleset(*limits), OCTOBER)
    totals = report.summary().grades
    for by in ("region", "grid"):
        data = figures.grade_groups(report, by)
        for k, grade in enumerate(data.grades):
            assert sum(counts[k] for counts in data.counts) == totals[grade]
        assert [g for part in data.chunks(2) for g in part.groups] == list(data.groups)


@given(members)
def test_points_by_kind_add_up_to_the_scores_whatever_the_order(rows: list) -> None:
    ruleset = _ruleset(80, 60)
    forward = figures.kind_points(_report(rows, ruleset, OCTOBER))
    backward = figures.kind_points(_report(list(reversed(rows)), ruleset, OCTOBER))
    assert sum(forward.points) == sum((row[0] for row in rows), Decimal(0))
    assert forward == backward
    assert list(forward.points) == sorted(forward.points, reverse=True)


@given(members, st.lists(scores, min_size=40, max_size=40), st.integers(1, 12))
def test_movers_are_the_biggest_rises_and_falls(rows: list, before: list[Decimal], n: int) -> None:
    ruleset = _ruleset(80, 60)
    now = _report(rows, ruleset, OCTOBER)
    then = _report([(b, *row[1:]) for b, row in zip(before, rows, strict=False)], ruleset, SEPTEMBER)
    up, down = figures.movers(now, then, n)
    deltas = {r.member_id: r.score - then.row(r.member_id).score for r in now}
    rises = sorted((k for k in deltas if deltas[k] > 0), key=lambda k: (-deltas[k], k))
    falls = sorted((k for k in deltas if deltas[k] < 0), key=lambda k: (deltas[k], k))
    assert [m.row.member_id for m in up] == rises[:n] and [m.row.member_id for m in down] == falls[:n]
    assert all(m.delta == deltas[m.row.member_id] and m.before == then.row(m.row.member_id).score for m in up + down)
    assert figures.movers(now, None) == ((), ())


@pytest.mark.parametrize(
    ("low", "high", "edges", "width"),
    [
        (Decimal(0), Decimal(200), [], Decimal(10)),
        (Decimal(0), Decimal(200), [Decimal(80), Decimal(60)], Decimal(10)),
        (Decimal(0), Decimal(2000), [Decimal(80), Decimal(60)], Decimal(20)),  # 100 would put 80 mid-bar
        (Decimal(5), Decimal(5), [], Decimal(1)),
        (Decimal(0), Decimal(10), [Decimal("59.5")], Decimal("0.5")),
    ],
)
def test_bin_widths_are_round_and_keep_thresholds_on_edges(
    low: Decimal, high: Decimal, edges: list[Decimal], width: Decimal
) -> None:
    assert figures.bin_width(low, high, edges) == width
