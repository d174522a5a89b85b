"""The numbers behind each chart and table of the HTML pack, from the reports of a ``MonthPack``.

Plain Python, no optional dependency: the page draws these and embeds them as JSON beside each
chart, so a test (or a reader's script) can check every bar against the report. Decimals stay
exact (JSON strings); nothing goes through a float except the drawing itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import attrs

from gridpoints.desk.review import HeldEvent
from gridpoints.model import Grade
from gridpoints.results.pack import Band, has_entries
from gridpoints.results.reports import Report, ReportRow
from gridpoints.results.whatif import WhatIf

__all__ = [
    "Distribution",
    "GradeGroups",
    "HeldCounts",
    "KindPoints",
    "Mover",
    "Trend",
    "TrendLine",
    "WhatIfPoints",
    "accountability",
    "bin_width",
    "distribution",
    "grade_groups",
    "graded_value",
    "held_counts",
    "kind_points",
    "mean_trend",
    "movers",
    "qualifying_score",
    "whatif_points",
]

#: Bin widths the histogram chooses from: 1, 2 or 5 times a power of ten, smallest first.
_WIDTHS = tuple(Decimal(n).scaleb(k) for k in range(-2, 10) for n in (1, 2, 5))
_TARGET_BINS = 20


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def graded_value(report: Report, row: ReportRow) -> Decimal:
    """What the row's grade is decided on: the score for a month or under a scheme, else the
    average monthly score (quarters, half-years and years are graded on it)."""
    return row.score if report.period.kind == "month" or report.scheme else row.average


def bin_width(low: Decimal, high: Decimal, edges: Iterable[Decimal] = ()) -> Decimal:
    """A round bin width (1, 2 or 5 times a power of ten, at least 1) giving about 20 bins, made
    smaller until every one of ``edges`` (the grade thresholds) falls on a bin edge, so no bar
    mixes two grades (down to 0.01 at the least)."""
    raw = (high - low) / _TARGET_BINS
    index = next((i for i, w in enumerate(_WIDTHS) if w >= max(raw, Decimal(1))), len(_WIDTHS) - 1)
    edges = list(edges)
    while index > 0 and any(edge % _WIDTHS[index] for edge in edges):
        index -= 1
    return _WIDTHS[index]


@attrs.frozen
class Distribution:
    """Histogram of the graded values of the ranked members: bin ``i`` holds ``edges[i] ≤ v <
    edges[i + 1]``; ``bands`` are the grade bands to mark (empty when a plugin grades)."""

    value: str
    edges: tuple[Decimal, ...]
    counts: tuple[int, ...]
    bands: tuple[Band, ...]

    def bin_grade(self, index: int) -> Grade | None:
        """The grade of bin ``index``, by its lower edge (``bin_width`` puts thresholds on edges)."""
        edge = self.edges[index]
        for band in self.bands:
            if band.min is None or edge >= band.min:
                return band.grade
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "edges": [str(e) for e in self.edges],
            "counts": list(self.counts),
            "bands": [{"grade": b.grade.code, "min": _text(b.min)} for b in self.bands],
        }


def distribution(report: Report, bands: Sequence[Band]) -> Distribution:
    """The histogram of a report's ranked members (as ``report.summary()`` counts them), with the
    grade ``bands`` to mark (none when the report is ungraded)."""
    values = [graded_value(report, row) for row in report if row.rank is not None]
    value = "score" if report.period.kind == "month" or report.scheme else "average"
    bands = tuple(bands) if any(row.grade is not None for row in report) else ()
    if not values:
        return Distribution(value, (), (), bands)
    low, high = min(values), max(values)
    width = bin_width(low, high, [b.min for b in bands if b.min is not None])
    start = (low / width).to_integral_value(ROUND_FLOOR) * width
    count = int(((high - start) / width).to_integral_value(ROUND_FLOOR)) + 1
    counts = [0] * count
    for v in values:
        counts[int(((v - start) / width).to_integral_value(ROUND_FLOOR))] += 1
    edges = tuple(start + width * i for i in range(count + 1))
    return Distribution(value, edges, tuple(counts), bands)


@attrs.frozen
class GradeGroups:
    """Members per grade in each group (region or grid): ``counts[g][i]`` for ``groups[g]`` and
    ``grades[i]``; group ``""`` holds members without a grid."""

    by: str
    groups: tuple[str, ...]
    grades: tuple[Grade, ...]
    counts: tuple[tuple[int, ...], ...]

    def chunks(self, size: int) -> list[GradeGroups]:
        """At most ``size`` groups each, in order (a long list of grids over several charts)."""
        return [
            attrs.evolve(self, groups=self.groups[i : i + size], counts=self.counts[i : i + size])
            for i in range(0, len(self.groups), size)
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "groups": list(self.groups),
            "grades": [g.code for g in self.grades],
            "counts": [list(c) for c in self.counts],
        }


def grade_groups(report: Report, by: str) -> GradeGroups:
    """``report.grade_distribution(by)`` as rows of counts over one grade list (the scale, then
    any other grade a plugin gave, in the order met)."""
    found = report.grade_distribution(by)
    grades = list(report.scale)
    for counts in found.values():
        grades += [g for g in counts if g not in grades]
    rows = tuple(tuple(counts.get(g, 0) for g in grades) for counts in found.values())
    return GradeGroups(by, tuple(found), tuple(grades), rows)


@attrs.frozen
class Trend:
    """The unit's mean score per month (None: no entry booked that month, so no assessment yet)."""

    months: tuple[str, ...]
    means: tuple[Decimal | None, ...]
    counts: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {"months": list(self.months), "means": [_text(m) for m in self.means], "counts": list(self.counts)}


def mean_trend(history: Sequence[Report]) -> Trend:
    """``summary().mean`` of each monthly report (None for a month with nothing booked)."""
    means: list[Decimal | None] = []
    counts: list[int] = []
    for report in history:
        summary = report.summary()
        seen = has_entries(report)
        means.append(summary.mean if seen else None)
        counts.append(summary.count if seen else 0)
    return Trend(tuple(str(r.period) for r in history), tuple(means), tuple(counts))


@attrs.frozen
class TrendLine:
    """One member's monthly scores over the trend's months (None: not assessed that month)."""

    member_id: str
    name: str | None
    grid: str | None
    scores: tuple[Decimal | None, ...]

    def to_json(self) -> dict[str, Any]:
        return {"member_id": self.member_id, "scores": [_text(s) for s in self.scores]}


def _score_in(report: Report, member_id: str) -> Decimal | None:
    try:
        return report.row(member_id).score
    except KeyError:
        return None


def accountability(report: Report, history: Sequence[Report]) -> tuple[TrendLine, ...]:
    """Members flagged ``accountability`` (3 unqualified months running) with their monthly
    scores over ``history``, in report order."""
    flagged = [row for row in report if "accountability" in row.flags]
    return tuple(
        TrendLine(row.member_id, row.name, row.grid, tuple(_score_in(r, row.member_id) for r in history))
        for row in flagged
    )


def qualifying_score(bands: Sequence[Band]) -> Decimal | None:
    """The lowest score that is not in the lowest grade (60 by default), if bands are known."""
    return bands[-2].min if len(bands) >= 2 else None


@attrs.frozen
class HeldCounts:
    """Held events waiting for review, per check (most first) and per check and kind."""

    checks: tuple[str, ...]
    counts: tuple[int, ...]
    by_kind: tuple[tuple[str, str, int], ...]

    def to_json(self) -> dict[str, Any]:
        return {"checks": list(self.checks), "counts": list(self.counts)}


def _most_first(counter: Mapping[Any, int]) -> list[tuple[Any, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def held_counts(held: Sequence[HeldEvent]) -> HeldCounts:
    """Count held events by the check that held them, and by check and kind."""
    by_check = _most_first(Counter(h.check for h in held))
    by_kind = _most_first(Counter((h.check, h.event.kind) for h in held))
    return HeldCounts(
        tuple(c for c, _ in by_check), tuple(n for _, n in by_check), tuple((c, k, n) for (c, k), n in by_kind)
    )


@attrs.frozen
class KindPoints:
    """Points of every assessed member summed per entry kind, most first (deductions last)."""

    kinds: tuple[str, ...]
    points: tuple[Decimal, ...]

    def to_json(self) -> dict[str, Any]:
        return {"kinds": list(self.kinds), "points": [str(p) for p in self.points]}


def kind_points(report: Report) -> KindPoints:
    """The sum of ``row.breakdown[kind]`` over the report's rows, per kind."""
    totals: dict[str, Decimal] = {}
    for row in report:
        for kind, points in row.breakdown.items():
            totals[kind] = totals.get(kind, Decimal("0.00")) + points
    ordered = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return KindPoints(tuple(k for k, _ in ordered), tuple(p for _, p in ordered))


@attrs.frozen
class Mover:
    """A member whose score changed against the previous period."""

    row: ReportRow
    before: Decimal
    rank_before: int | None

    @property
    def delta(self) -> Decimal:
        return self.row.score - self.before


def movers(report: Report, previous: Report | None, n: int = 10) -> tuple[tuple[Mover, ...], tuple[Mover, ...]]:
    """The ``n`` biggest rises and the ``n`` biggest falls in score against ``previous`` (members
    ranked in both periods; ties by member id)."""
    if previous is None:
        return (), ()
    before = {row.member_id: row for row in previous if row.rank is not None}
    both = [Mover(row, before[row.member_id].score, before[row.member_id].rank)
            for row in report if row.rank is not None and row.member_id in before]  # fmt: skip
    up = sorted((m for m in both if m.delta > 0), key=lambda m: (-m.delta, m.row.member_id))
    down = sorted((m for m in both if m.delta < 0), key=lambda m: (m.delta, m.row.member_id))
    return tuple(up[:n]), tuple(down[:n])


@attrs.frozen
class WhatIfPoints:
    """Each member's current and proposed score, and whether the grade changes."""

    old: tuple[Decimal, ...]
    new: tuple[Decimal, ...]
    grade_changed: tuple[bool, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "old": [str(v) for v in self.old],
            "new": [str(v) for v in self.new],
            "grade_changed": list(self.grade_changed),
        }


def whatif_points(result: WhatIf) -> WhatIfPoints:
    """A what-if's rows as scatter points."""
    rows = list(result)
    return WhatIfPoints(
        tuple(r.old_score for r in rows), tuple(r.new_score for r in rows),
        tuple(r.old_grade != r.new_grade for r in rows),
    )  # fmt: skip

