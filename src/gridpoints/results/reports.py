"""Period reports: scores aggregated in the store, grades, shared ranks, percentiles, titles, flags."""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

import attrs

from gridpoints._decimal import quantize
from gridpoints.model import Grade, Member
from gridpoints.periods import Period

__all__ = ["Aggregates", "Report", "ReportRow", "ReportSummary", "competition_ranks", "percentiles"]

Grader = Callable[[Decimal, Period], Grade]
#: (period, assessed members, their scores) → member id → extra flags (for example ``outlier``).
Flagger = Callable[[Period, Sequence[Member], Mapping[str, Decimal]], Mapping[str, Sequence[str]]]
_TENTH = Decimal("0.1")
_HUNDRED = Decimal(100)


class Aggregates(Protocol):
    """The store aggregates a report is built from (every ``Store`` provides them)."""

    def totals(self, periods: Iterable[str], *, member_id: str | None = None) -> Mapping[str, int]:
        """member → hundredths over the months."""

    def totals_by_kind(self, periods: Iterable[str]) -> Mapping[str, Mapping[str, int]]:
        """member → kind → hundredths over the months."""

    def totals_by_month(self, periods: Iterable[str]) -> Mapping[str, Mapping[str, int]]:
        """member → month → hundredths over the months."""


@functools.lru_cache(maxsize=1 << 16)
def cents_to_points(cents: int) -> Decimal:
    """Hundredths as Decimal points with two places.

    Cached: a report converts every member's total and every kind's subtotal, and those values
    repeat (multiples of a rule's points), so most conversions are a look-up.
    """
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


def percentiles(scores: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Share of the *other* members scoring strictly lower, in percent, to 0.1 (ties share it).

    The top member of a field without ties gets 100.0, the bottom one 0.0; a field of one gets
    100.0. "超过了 X% 的网格员".
    """
    ordered = sorted(scores.values())
    others = len(ordered) - 1
    result: dict[str, Decimal] = {}
    for member_id, score in scores.items():
        if others == 0:
            result[member_id] = Decimal("100.0")
            continue
        below = bisect.bisect_left(ordered, score)
        result[member_id] = (_HUNDRED * below / others).quantize(_TENTH, rounding=ROUND_HALF_UP)
    return result


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
    name: str | None = None
    percentile: Decimal = Decimal("0.0")
    #: Points by entry kind (``patrol``, ``late_report``, ``satisfaction``…), in hundredths precision.
    breakdown: Mapping[str, Decimal] = attrs.field(factory=dict, hash=False)
    #: For quarters and years: the score of each month (``"2026-11"`` → points); empty for a month.
    months: Mapping[str, Decimal] = attrs.field(factory=dict, hash=False)
    #: Months of the period the member was active in; the grade is on ``score / active_months``.
    active_months: int = 1

    @property
    def average(self) -> Decimal:
        """Average monthly score (the score itself for a month), to 0.01."""
        return quantize(self.score / self.active_months)


@attrs.frozen
class ReportSummary:
    """Summary statistics of a report. ``mean``/``median`` are None for an empty report.

    ``top`` and ``bottom`` include ties at their edge, like the gold title: every member ranked
    within the best ``n`` (``bottom``: the worst ``n``, lowest first).
    """

    count: int
    grades: Mapping[Grade, int]
    grades_by_region: Mapping[str, Mapping[Grade, int]]
    mean: Decimal | None
    median: Decimal | None
    top: tuple[ReportRow, ...]
    bottom: tuple[ReportRow, ...]


def _grade_counts(rows: Iterable[ReportRow]) -> dict[Grade, int]:
    counts = dict.fromkeys(Grade, 0)
    for row in rows:
        counts[row.grade] += 1
    return counts


@attrs.frozen
class Report:
    """The rows of a period, ordered by rank then member id."""

    period: Period
    rows: tuple[ReportRow, ...]
    #: Whether the period awards of every month in the period were booked when the report was built.
    settled: bool = False

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

    def grade_distribution(self, by: str | None = None) -> dict[str, dict[Grade, int]]:
        """Count of each grade: ``{"": counts}`` overall, or per ``region`` or ``grid``."""
        if by not in (None, "region", "grid"):
            raise ValueError(f"by: {by!r} is not None, 'region' or 'grid'")
        groups: dict[str, list[ReportRow]] = {}
        for row in self.rows:
            key = "" if by is None else (row.region if by == "region" else (row.grid or ""))
            groups.setdefault(key, []).append(row)
        return {key: _grade_counts(rows) for key, rows in sorted(groups.items())}

    def summary(self, n: int = 3) -> ReportSummary:
        """Grade distribution (overall and per region), mean and median score, top and bottom ``n``."""
        if n < 1:
            raise ValueError(f"n: {n} must be at least 1")
        scores = sorted(row.score for row in self.rows)
        count = len(scores)
        mean = median = None
        if count:
            mean = quantize(sum(scores, Decimal(0)) / count)
            middle = count // 2
            median = quantize(scores[middle] if count % 2 else (scores[middle - 1] + scores[middle]) / 2)
        top = tuple(row for row in self.rows if row.rank <= n)
        bottom_edge = scores[min(n, count) - 1] if count else Decimal(0)
        bottom = tuple(sorted((r for r in self.rows if r.score <= bottom_edge), key=lambda r: (r.score, r.member_id)))
        return ReportSummary(
            count=count,
            grades=_grade_counts(self.rows),
            grades_by_region=self.grade_distribution("region"),
            mean=mean,
            median=median,
            top=top,
            bottom=bottom,
        )


def _active_months(member: Member, spans: Sequence[tuple[date, date]]) -> int:
    """How many of the months (first and last days in ``spans``) the member was active in."""
    return sum(1 for first, last in spans if member.active_between(first, last))


def build_report(
    period: Period,
    members: Sequence[Member],
    aggregates: Aggregates,
    grade: Grader,
    flagger: Flagger | None = None,
    *,
    settled: bool = False,
) -> Report:
    """Assemble a report from store aggregates: points per member and kind (one GROUP BY), per
    member and month for quarters and years, and one total per earlier month for accountability
    when someone is unqualified.

    ``flagger`` adds audit flags (the checks' ``period_flags``) after ``accountability``.
    """
    # Period days are computed once, not per member: each costs a relativedelta.
    first, last = period.first_day, period.last_day
    spans = [(m.first_day, m.last_day) for m in period.months()]
    assessed = [m for m in members if m.active_between(first, last)]
    months = [str(m) for m in period.months()]
    by_kind = aggregates.totals_by_kind(months)
    by_month: Mapping[str, Mapping[str, int]] = aggregates.totals_by_month(months) if len(months) > 1 else {}
    scores: dict[str, Decimal] = {}
    grades: dict[str, Grade] = {}
    active: dict[str, int] = {}
    for member in assessed:
        score = scores[member.id] = cents_to_points(sum(by_kind.get(member.id, {}).values()))
        active[member.id] = 1 if period.kind == "month" else _active_months(member, spans)
        grades[member.id] = grade(score if period.kind == "month" else score / active[member.id], period)

    ranks = competition_ranks(scores)
    shares = percentiles(scores)
    by_region: dict[str, dict[str, Decimal]] = {}
    by_grid: dict[str, dict[str, Decimal]] = {}
    for member in assessed:
        by_region.setdefault(member.region, {})[member.id] = scores[member.id]
        if member.grid is not None:
            by_grid.setdefault(member.grid, {})[member.id] = scores[member.id]
    region_ranks = {k: v for group in by_region.values() for k, v in competition_ranks(group).items()}
    grid_ranks = {k: v for group in by_grid.values() for k, v in competition_ranks(group).items()}

    gold_cutoff = math.ceil(len(assessed) / 10)
    accountable = _accountable(period, assessed, grades, aggregates, grade) if period.kind == "month" else set()
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
            name=m.name,
            percentile=shares[m.id],
            breakdown={k: cents_to_points(v) for k, v in sorted(by_kind.get(m.id, {}).items())},
            months={k: cents_to_points(by_month.get(m.id, {}).get(k, 0)) for k in months} if len(months) > 1 else {},
            active_months=active[m.id],
        )
        for m in assessed
    ]
    rows.sort(key=lambda r: (r.rank, r.member_id))
    return Report(period, tuple(rows), settled)


def _accountable(
    period: Period,
    assessed: Sequence[Member],
    grades: Mapping[str, Grade],
    aggregates: Aggregates,
    grade: Grader,
) -> set[str]:
    """Members unqualified this month and in the two months before it.

    A member's active days form one interval, so "counting only active months" means a member
    needs three active months in a row; one who joined a month ago is not yet accountable.
    A month with no entry at all in the ledger predates the assessment (nobody was scored), so
    it does not count either: a new installation flags nobody in its first two months.
    """
    suspects = [m for m in assessed if grades[m.id] is Grade.UNQUALIFIED]
    for back in (1, 2):
        if not suspects:
            break
        month = period.shift(-back)
        first, last = month.first_day, month.last_day
        suspects = [m for m in suspects if m.active_between(first, last)]
        sums = aggregates.totals([str(month)])
        if not sums:
            return set()
        suspects = [m for m in suspects if grade(cents_to_points(sums.get(m.id, 0)), month) is Grade.UNQUALIFIED]
    return {m.id for m in suspects}
