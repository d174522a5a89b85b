"""The report of a rule set with an assessment scheme: derived scores, ranked and flagged.

Scores come from ``gridpoints.results.scheme`` (store sums per member, rule and reason, derived
over members); ranks, percentiles, gold titles and audit flags are assembled like any report.
Members not eligible (too few months in post) are listed, flagged ``not_eligible``, and left out
of the ranking; a veto flags ``veto`` and gives the lowest grade.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import tzinfo
from decimal import Decimal
from typing import Protocol

from gridpoints.model import Grade, Member
from gridpoints.periods import Period
from gridpoints.results.reports import Flagger, Report, assemble_report
from gridpoints.results.scheme import Grader, MemberAssessment, SchemeAggregates, assess, plan
from gridpoints.rules.compiled import RuleBook

__all__ = ["build_scheme_report"]


class _Totals(SchemeAggregates, Protocol):
    """What the accountability check needs beyond the scheme's sums."""

    def totals(self, periods: Iterable[str], *, member_id: str | None = None) -> Mapping[str, int]:
        """member → hundredths over the months."""


def build_scheme_report(
    period: Period,
    members: Sequence[Member],
    aggregates: _Totals,
    rulebook: RuleBook,
    tz: tzinfo,
    grader: Grader,
    flagger: Flagger | None = None,
    *,
    settled: bool = False,
) -> Report:
    """Every member active in ``period`` with the scheme's score, grade, ranks and flags."""
    assessments = assess(period, members, aggregates, rulebook, tz, grader)
    assessed = [m for m in members if m.id in assessments]
    layout = plan(period, rulebook, tz)
    lowest = layout.governing.scale[-1]
    accountable: set[str] = set()
    if layout.how == "assessed" and period.kind == "month":
        accountable = _accountable(period, assessed, assessments, aggregates, rulebook, tz, grader, lowest)
    single = len(layout.parts) == 1
    spans = [(m.first_day, m.last_day) for m in period.months()]
    return assemble_report(
        period,
        assessed,
        {m: a.score for m, a in assessments.items()},
        {m: a.grade for m, a in assessments.items()},
        flagger,
        settled=settled,
        scale=layout.governing.scale,
        title=layout.governing.title("gold"),
        flags={
            m: (*a.flags, *(("accountability",) if m in accountable else ())) for m, a in assessments.items()
        },
        breakdown={m: _breakdown(a) for m, a in assessments.items()},
        months={},
        active={m.id: sum(1 for f, last in spans if m.active_between(f, last)) for m in assessed},
        sections={m: {s.section.id: s.score for s in a.parts[0].sections} for m, a in assessments.items()}
        if single
        else None,
        parts=None if single else {m: {str(p.period): p.score for p in a.parts} for m, a in assessments.items()},
        ranked={m for m, a in assessments.items() if a.eligible},
        scheme=True,
    )


def _breakdown(assessment: MemberAssessment) -> dict[str, Decimal]:
    """Raw points per entry kind over the parts (as booked, before the scheme's derivation)."""
    total: dict[str, Decimal] = {}
    for part in assessment.parts:
        for kind, points in part.breakdown.items():
            total[kind] = total.get(kind, Decimal("0.00")) + points
    return dict(sorted(total.items()))


def _accountable(
    period: Period,
    assessed: Sequence[Member],
    assessments: Mapping[str, MemberAssessment],
    aggregates: _Totals,
    rulebook: RuleBook,
    tz: tzinfo,
    grader: Grader,
    lowest: Grade,
) -> set[str]:
    """Members graded ``lowest`` this month and in the two months before it, by the scheme
    (monthly schemes only; like the plain report, a month with no entry at all does not count)."""
    suspects = [m for m in assessed if assessments[m.id].grade == lowest]
    for back in (1, 2):
        if not suspects:
            break
        month = period.shift(-back)
        if not aggregates.totals([str(month)]):
            return set()
        earlier = assess(month, suspects, aggregates, rulebook, tz, grader)
        suspects = [m for m in suspects if m.id in earlier and earlier[m.id].grade == lowest]
    return {m.id for m in suspects}
