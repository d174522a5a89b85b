"""Properties of assessment schemes (Hypothesis): clamps hold, and no scheme means no change."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints._decimal import quantize
from gridpoints.results.scheme import Classifier, score_part
from gridpoints.results.scheme_report import build_scheme_report
from gridpoints.rules.compiled import RuleBook
from tests.conftest import NOW, SHANGHAI

points = st.decimals(min_value=-200, max_value=200, places=2)
optional = st.none() | st.decimals(min_value=-50, max_value=150, places=0)


@st.composite
def sections(draw: st.DrawFn) -> gp.Section:
    low, high = draw(optional), draw(optional)
    if low is not None and high is not None and high < low:
        low, high = high, low
    weight = draw(st.sampled_from(["1", "0.4", "0.3", "1.5"]))
    return gp.Section("s", "S", base=draw(st.decimals(0, 100, places=1)), min=low, max=high, weight=weight)


@settings(max_examples=300, deadline=None)
@given(sections(), st.lists(st.tuples(points, st.integers(1, 5)), max_size=10), st.integers(0, 4),
       st.integers(-3, 3))
def test_a_section_score_stays_within_its_floor_and_ceiling(
    section: gp.Section, sums: list[tuple[Decimal, int]], over: int, tally_points: int
) -> None:
    """Whatever its entries and tallies, ``min ≤ clamped ≤ max`` and the score is clamped × weight."""
    ruleset = gp.RuleSet(
        "x", "1", "2026-01-01", [gp.Rule("a", 1, section="s"), gp.Rule("b", 1, section="s")],
        sections=[section], tallies=[gp.Tally("t", ["a"], tally_points, over=over, section="s")],
    )  # fmt: skip
    book = RuleBook([ruleset], SHANGHAI)
    rows = {}
    for i, (p, n) in enumerate(sums):  # "a" and "b" in turn; each reason once, so the keys stay distinct
        kind = "ab"[i % 2]
        rows[("x", "1", f"{kind}.1", kind, ("rule", "cap", "limit", "correction", "derived", "x")[i // 2])] = (
            int(p * 100), n)

    quarter = gp.Period.parse("2026-Q1")
    (score,) = score_part(rows, ruleset, Classifier(book, ruleset), quarter, quarter).sections
    if section.min is not None:
        assert score.clamped >= section.min
    if section.max is not None:
        assert score.clamped <= section.max
    assert score.score == quantize(score.clamped * section.weight)
    # Unclamped, the section is every point summed (each pair is a total over n entries) plus the
    # tally on the count of "a" events: nothing is lost or invented before the clamp.
    count = sum(n for i, (_, n) in enumerate(sums) if i % 2 == 0)
    assert score.raw == sum((p for p, _ in sums), Decimal(0)) + max(0, count - over) * tally_points


KINDS = ["patrol", "mediation", "complaint", "late_report", "absence", "service"]
MEMBERS = [
    gp.Member("A", "urban", grid="G1"), gp.Member("B", "urban", grid="G1"), gp.Member("C", "rural"),
    gp.Member("D", "rural", grid="G2", joined="2026-02-10"), gp.Member("E", "urban", left="2026-05-20"),
]  # fmt: skip


@st.composite
def event_lists(draw: st.DrawFn) -> list[gp.Event]:
    count = draw(st.integers(0, 40))
    events = []
    for n in range(count):
        member = draw(st.sampled_from(["A", "B", "C"]))
        day = draw(st.integers(0, 180))
        moment = datetime(2026, 1, 1, 9, tzinfo=SHANGHAI) + timedelta(days=day)
        events.append(gp.Event(f"e{n}", member, draw(st.sampled_from(KINDS)), moment))
    return events


def comparable(report: gp.Report) -> list[tuple[object, ...]]:
    return [
        (r.member_id, r.score, r.grade, r.rank, r.rank_in_region, r.rank_in_grid, r.titles, r.flags, r.percentile,
         dict(r.breakdown), dict(r.months or r.parts), r.active_months)
        for r in report
    ]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(event_lists())
def test_a_rule_set_without_a_scheme_scores_exactly_as_before(events: list[gp.Event]) -> None:
    """The scheme path on a rule set with no assessment, sections or grades gives the plain
    report: the same scores, grades, ranks, titles, flags and percentiles, for months, quarters,
    half-years and the year."""
    engine = gp.Engine(checks=False, load_entrypoints=False, clock=lambda: NOW)
    engine.add_members(MEMBERS)
    engine.ingest(events)
    assert not engine.rulebook.latest.ruleset.is_scheme
    for label in ("2026-01", "2026-03", "2026-Q1", "2026-Q2", "2026-H1", "2026"):
        period = gp.Period.parse(label)
        plain = engine.report(period)
        grader = engine.plugins.grader(gp.standard_ruleset())
        derived = build_scheme_report(period, engine.members, engine.store, engine.rulebook, engine.tz, grader)
        assert comparable(derived) == comparable(plain), label
        assert all(engine.score(m.member_id, period) == m.score for m in plain)
