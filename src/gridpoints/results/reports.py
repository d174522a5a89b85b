"""Period reports: scores aggregated in the store, grades, shared ranks, percentiles, titles, flags.

``build_report`` sums entries (a rule set without an assessment scheme); an assessment scheme
derives its scores in ``gridpoints.results.scheme`` and both assemble their rows here, in
``assemble_report``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

import attrs

from gridpoints._decimal import cents_to_points, quantize
from gridpoints.model import Grade, Member
from gridpoints.periods import Period
from gridpoints.rules.labels import TITLES

__all__ = [
    "BUILTIN_SCALE",
    "Aggregates",
    "Report",
    "ReportRow",
    "ReportSummary",
    "assemble_report",
    "competition_ranks",
    "percentiles",
]

Grader = Callable[[Decimal, Period], Grade]
#: The built-in grades, best first: 优秀, 合格, 不合格.
BUILTIN_SCALE: tuple[Grade, ...] = tuple(Grade)
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
    """One member's result for a period.

    ``grade`` is None when the period is not graded (a month of a quarterly scheme shows the
    running score) or the member is not eligible; ranks and percentile are None for a member
    left out of the ranking (flag ``not_eligible``).
    """

    member_id: str
    region: str
    grid: str | None
    score: Decimal
    grade: Grade | None
    rank: int | None
    rank_in_region: int | None
    rank_in_grid: int | None
    titles: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    name: str | None = None
    percentile: Decimal | None = Decimal("0.0")
    #: Points by entry kind (``patrol``, ``late_report``, ``satisfaction``…), in hundredths precision.
    breakdown: Mapping[str, Decimal] = attrs.field(factory=dict, hash=False)
    #: For quarters and years: the score of each month (``"2026-11"`` → points); empty for a month.
    months: Mapping[str, Decimal] = attrs.field(factory=dict, hash=False)
    #: Months of the period the member was active in; the grade is on ``score / active_months``.
    active_months: int = 1
    #: Assessment schemes: each section's score (clamped, weighted) in the assessed period.
    sections: Mapping[str, Decimal] = attrs.field(factory=dict, hash=False)
    #: Assessment schemes, for a period made of assessed periods: each one's score.
    parts: Mapping[str, Decimal] = attrs.field(factory=dict, hash=False)
    #: ``(zh, en)`` label of each of ``titles``, in order, as the rule set names them; empty in
    #: reports frozen before titles had labels (``title_texts`` then uses the built-in names).
    title_labels: tuple[tuple[str, str], ...] = ()

    def title_texts(self, lang: str = "zh") -> tuple[str, ...]:
        """The titles' labels in ``lang`` (``金牌网格员`` / ``gold``); ``titles`` keeps the codes."""
        if len(self.title_labels) == len(self.titles):
            return tuple(zh if lang == "zh" else en for zh, en in self.title_labels)
        builtin = {code: (zh, en) for code, (zh, en, _) in TITLES.items()}
        return tuple(builtin.get(t, (t, t))[0 if lang == "zh" else 1] for t in self.titles)

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


def _grade_counts(rows: Iterable[ReportRow], scale: Sequence[Grade]) -> dict[Grade, int]:
    """Members per grade: every grade of the scale (zeros included), then any other grade a
    plugin gave; ungraded rows are not counted."""
    counts = dict.fromkeys(scale, 0)
    for row in rows:
        if row.grade is not None:
            counts[row.grade] = counts.get(row.grade, 0) + 1
    return counts


@attrs.frozen
class Report:
    """The rows of a period, ordered by rank then member id (members left out of the ranking last)."""

    period: Period
    rows: tuple[ReportRow, ...]
    #: Whether the period awards of every month in the period were booked when the report was built.
    settled: bool = False
    #: The grades this report's rule set gives, best first (the built-in three by default).
    scale: tuple[Grade, ...] = BUILTIN_SCALE
    #: Whether an assessment scheme derived the scores (rows then carry ``sections``/``parts``).
    scheme: bool = False

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
        return {key: _grade_counts(rows, self.scale) for key, rows in sorted(groups.items())}

    def summary(self, n: int = 3) -> ReportSummary:
        """Grade distribution (overall and per region), mean and median score, top and bottom ``n``.

        Statistics are over the ranked members (those not eligible are left out)."""
        if n < 1:
            raise ValueError(f"n: {n} must be at least 1")
        ranked = [row for row in self.rows if row.rank is not None]
        scores = sorted(row.score for row in ranked)
        count = len(scores)
        mean = median = None
        if count:
            mean = quantize(sum(scores, Decimal(0)) / count)
            middle = count // 2
            median = quantize(scores[middle] if count % 2 else (scores[middle - 1] + scores[middle]) / 2)
        top = tuple(row for row in ranked if row.rank is not None and row.rank <= n)
        bottom_edge = scores[min(n, count) - 1] if count else Decimal(0)
        bottom = tuple(sorted((r for r in ranked if r.score <= bottom_edge), key=lambda r: (r.score, r.member_id)))
        return ReportSummary(
            count=count,
            grades=_grade_counts(self.rows, self.scale),
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
    scale: tuple[Grade, ...] = BUILTIN_SCALE,
    title: tuple[str, str, Decimal] | None = TITLES["gold"],
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
    grades: dict[str, Grade | None] = {}
    active: dict[str, int] = {}
    for member in assessed:
        score = scores[member.id] = cents_to_points(sum(by_kind.get(member.id, {}).values()))
        active[member.id] = 1 if period.kind == "month" else _active_months(member, spans)
        grades[member.id] = grade(score if period.kind == "month" else score / active[member.id], period)

    lowest = scale[-1]
    accountable = _accountable(period, assessed, grades, aggregates, grade, lowest) if period.kind == "month" else set()
    return assemble_report(
        period,
        assessed,
        scores,
        grades,
        flagger,
        settled=settled,
        scale=scale,
        title=title,
        flags={member_id: ("accountability",) for member_id in accountable},
        breakdown={m.id: {k: cents_to_points(v) for k, v in sorted(by_kind.get(m.id, {}).items())} for m in assessed},
        months=(
            {m.id: {k: cents_to_points(by_month.get(m.id, {}).get(k, 0)) for k in months} for m in assessed}
            if len(months) > 1
            else {}
        ),
        active=active,
    )


def assemble_report(
    period: Period,
    assessed: Sequence[Member],
    scores: Mapping[str, Decimal],
    grades: Mapping[str, Grade | None],
    flagger: Flagger | None = None,
    *,
    settled: bool = False,
    scale: tuple[Grade, ...] = BUILTIN_SCALE,
    title: tuple[str, str, Decimal] | None = TITLES["gold"],
    flags: Mapping[str, Sequence[str]],
    breakdown: Mapping[str, Mapping[str, Decimal]],
    months: Mapping[str, Mapping[str, Decimal]],
    active: Mapping[str, int],
    sections: Mapping[str, Mapping[str, Decimal]] | None = None,
    parts: Mapping[str, Mapping[str, Decimal]] | None = None,
    ranked: Collection[str] | None = None,
    scheme: bool = False,
) -> Report:
    """Rank, title and flag the members' scores into a report.

    Only ``ranked`` members (default: all) are ranked, get percentiles and gold titles, and are
    shown to ``flagger`` (the checks' ``period_flags``, added after ``flags``). Gold needs a
    grade other than the lowest of ``scale``; ``title`` is its (zh, en) label and share of the
    ranking (the rule set's ``[titles]``), None when the rule set switched it off.
    """
    in_ranking = assessed if ranked is None else [m for m in assessed if m.id in ranked]
    ranked_scores = scores if ranked is None else {m.id: scores[m.id] for m in in_ranking}
    ranks = competition_ranks(ranked_scores)
    shares = percentiles(ranked_scores)
    by_region: dict[str, dict[str, Decimal]] = {}
    by_grid: dict[str, dict[str, Decimal]] = {}
    for member in in_ranking:
        by_region.setdefault(member.region, {})[member.id] = scores[member.id]
        if member.grid is not None:
            by_grid.setdefault(member.grid, {})[member.id] = scores[member.id]
    region_ranks = {k: v for group in by_region.values() for k, v in competition_ranks(group).items()}
    grid_ranks = {k: v for group in by_grid.values() for k, v in competition_ranks(group).items()}

    # Exact: ceil(n × 0.1) is ceil(n / 10), the built-in share.
    gold_cutoff = 0 if title is None else math.ceil(len(in_ranking) * title[2])
    gold_labels = () if title is None else ((title[0], title[1]),)
    lowest = scale[-1]
    extra = flagger(period, in_ranking, ranked_scores) if flagger is not None else {}
    no_details: Mapping[str, Decimal] = {}
    rows = []
    for m in assessed:
        rank = ranks.get(m.id)
        grade = grades[m.id]
        gold = rank is not None and rank <= gold_cutoff and grade is not None and grade != lowest
        rows.append(
            ReportRow(
                member_id=m.id,
                region=m.region,
                grid=m.grid,
                score=scores[m.id],
                grade=grade,
                rank=rank,
                rank_in_region=region_ranks.get(m.id),
                rank_in_grid=grid_ranks.get(m.id),
                titles=("gold",) if gold else (),
                title_labels=gold_labels if gold else (),
                flags=(*flags.get(m.id, ()), *extra.get(m.id, ())),
                name=m.name,
                percentile=shares.get(m.id),
                breakdown=breakdown.get(m.id, no_details),
                months=months.get(m.id, no_details),
                active_months=active[m.id],
                sections=no_details if sections is None else sections.get(m.id, no_details),
                parts=no_details if parts is None else parts.get(m.id, no_details),
            )
        )
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.member_id))
    return Report(period, tuple(rows), settled, scale, scheme)


def _accountable(
    period: Period,
    assessed: Sequence[Member],
    grades: Mapping[str, Grade | None],
    aggregates: Aggregates,
    grade: Grader,
    lowest: Grade,
) -> set[str]:
    """Members unqualified (graded ``lowest``) this month and in the two months before it.

    A member's active days form one interval, so "counting only active months" means a member
    needs three active months in a row; one who joined a month ago is not yet accountable.
    A month with no entry at all in the ledger predates the assessment (nobody was scored), so
    it does not count either: a new installation flags nobody in its first two months.
    """
    suspects = [m for m in assessed if grades[m.id] == lowest]
    for back in (1, 2):
        if not suspects:
            break
        month = period.shift(-back)
        first, last = month.first_day, month.last_day
        suspects = [m for m in suspects if m.active_between(first, last)]
        sums = aggregates.totals([str(month)])
        if not sums:
            return set()
        suspects = [m for m in suspects if grade(cents_to_points(sums.get(m.id, 0)), month) == lowest]
    return {m.id for m in suspects}
