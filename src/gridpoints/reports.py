"""Period reports: scores aggregated in the store, grades, shared ranks, gold titles, flags."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal

import attrs

from gridpoints.model import Grade, Member
from gridpoints.periods import Period

__all__ = ["Report", "ReportRow", "competition_ranks"]

Grader = Callable[[Decimal, Period], Grade]
#: (period, assessed members, their scores) → member id → extra flags (for example ``outlier``).
Flagger = Callable[[Period, Sequence[Member], Mapping[str, Decimal]], Mapping[str, Sequence[str]]]


def cents_to_points(cents: int) -> Decimal:
    """Hundredths as Decimal points with two places."""
    return Decimal(cents).scaleb(-2)


def competition_ranks(scores: Mapping[str, Decimal]) -> dict[str, int]:
    """Rank by score descending; ties share a rank and the next rank skips (1, 2, 2, 4)."""
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    ranks: dict[str, int] = {}
    previous: Decimal | None = None
    rank = 0
    for position, (member_id, score) in enumerate(ordered, start=1):
        if score != previous:
            rank, previous = position, score
        ranks[member_id] = rank
    return ranks


@attrs.frozen
class ReportRow:
    """One member's result for a period."""

    member_id: str
    region: str
    grid: str | None
    score: Decimal
    grade: Grade
    rank: int
    rank_in_region: int
    rank_in_grid: int | None
    titles: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()


@attrs.frozen
class Report:
    """The rows of a period, ordered by rank then member id."""

    period: Period
    rows: tuple[ReportRow, ...]

    def __iter__(self) -> Iterator[ReportRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def row(self, member_id: str) -> ReportRow:
        """The row of one member (KeyError if not assessed in the period)."""
        for row in self.rows:
            if row.member_id == member_id:
                return row
        raise KeyError(member_id)


def _active_months(member: Member, spans: Sequence[tuple[date, date]]) -> int:
    """How many of the months (first and last days in ``spans``) the member was active in."""
    return sum(1 for first, last in spans if member.active_between(first, last))


def build_report(
    period: Period,
    members: Sequence[Member],
    totals: Callable[[Sequence[Period]], Mapping[str, int]],
    grade: Grader,
    flagger: Flagger | None = None,
) -> Report:
    """Assemble a report from store aggregates: ``totals(months)`` → member id → hundredths.

    ``flagger`` adds audit flags (the checks' ``period_flags``) after ``accountability``.
    """
    # Period days are computed once, not per member: each costs a relativedelta.
    first, last = period.first_day, period.last_day
    spans = [(m.first_day, m.last_day) for m in period.months()]
    assessed = [m for m in members if m.active_between(first, last)]
    sums = totals(period.months())
    scores = {m.id: cents_to_points(sums.get(m.id, 0)) for m in assessed}
    grades: dict[str, Grade] = {}
    for member in assessed:
        score = scores[member.id]
        if period.kind != "month":
            score = score / _active_months(member, spans)
        grades[member.id] = grade(score, period)

    ranks = competition_ranks(scores)
    by_region: dict[str, dict[str, Decimal]] = {}
    by_grid: dict[str, dict[str, Decimal]] = {}
    for member in assessed:
        by_region.setdefault(member.region, {})[member.id] = scores[member.id]
        if member.grid is not None:
            by_grid.setdefault(member.grid, {})[member.id] = scores[member.id]
    region_ranks = {k: v for group in by_region.values() for k, v in competition_ranks(group).items()}
    grid_ranks = {k: v for group in by_grid.values() for k, v in competition_ranks(group).items()}

    gold_cutoff = math.ceil(len(assessed) / 10)
    accountable = _accountable(period, assessed, grades, totals, grade) if period.kind == "month" else set()
    extra = flagger(period, assessed, scores) if flagger is not None else {}
    rows = [
        ReportRow(
            member_id=m.id,
            region=m.region,
            grid=m.grid,
            score=scores[m.id],
            grade=grades[m.id],
            rank=ranks[m.id],
            rank_in_region=region_ranks[m.id],
            rank_in_grid=grid_ranks.get(m.id),
            titles=("gold",) if ranks[m.id] <= gold_cutoff and grades[m.id] is not Grade.UNQUALIFIED else (),
            flags=(*(("accountability",) if m.id in accountable else ()), *extra.get(m.id, ())),
        )
        for m in assessed
    ]
    rows.sort(key=lambda r: (r.rank, r.member_id))
    return Report(period, tuple(rows))


def _accountable(
    period: Period,
    assessed: Sequence[Member],
    grades: Mapping[str, Grade],
    totals: Callable[[Sequence[Period]], Mapping[str, int]],
    grade: Grader,
) -> set[str]:
    """Members unqualified this month and in the two months before it.

    A member's active days form one interval, so "counting only active months" means a member
    needs three active months in a row; one who joined a month ago is not yet accountable.
    """
    suspects = [m for m in assessed if grades[m.id] is Grade.UNQUALIFIED]
    for back in (1, 2):
        if not suspects:
            break
        month = period.shift(-back)
        first, last = month.first_day, month.last_day
        suspects = [m for m in suspects if m.active_between(first, last)]
        sums = totals([month])
        suspects = [m for m in suspects if grade(cents_to_points(sums.get(m.id, 0)), month) is Grade.UNQUALIFIED]
    return {m.id for m in suspects}
