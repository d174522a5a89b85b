"""The month on one page (积分分析会 / 积分公示): everything the HTML pack shows, gathered once.

A ``MonthPack`` holds the period's ``Report`` — the same object the CSV/JSON exports write — and
what the meeting reads beside it: the reports of the months before (the trend, the accountable
members' history), the previous period's report (movers), the held events still waiting for
review, how many appeals wait for a decision, and optionally a what-if. It needs no optional
dependency; ``gridpoints.results.figures`` turns it into chart data and
``gridpoints.results.html`` into a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import attrs

from gridpoints.desk.review import HeldEvent
from gridpoints.model import Grade
from gridpoints.periods import Period
from gridpoints.results.reports import Report
from gridpoints.results.whatif import WhatIf

__all__ = ["TREND_MONTHS", "Band", "Labels", "MonthPack", "has_entries", "previous_period", "trend_months"]

#: How many months the trend shows, ending with the period's last month.
TREND_MONTHS = 6


@attrs.frozen
class Band:
    """One grade band of the histogram: scores at or above ``min`` get ``grade`` (the last: the rest)."""

    grade: Grade
    min: Decimal | None


@attrs.frozen
class Labels:
    """What the page calls things, in both languages: code → (zh, en)."""

    kinds: Mapping[str, tuple[str, str]] = attrs.field(factory=dict)
    checks: Mapping[str, tuple[str, str]] = attrs.field(factory=dict)
    #: Region and grid id → (zh, en), from the rule file's ``[regions]`` and ``[grids]``.
    regions: Mapping[str, tuple[str, str]] = attrs.field(factory=dict)
    grids: Mapping[str, tuple[str, str]] = attrs.field(factory=dict)

    def places(self, lang: str) -> tuple[dict[str, str], dict[str, str]]:
        """Region and grid id → name in ``lang``, as ``report_table`` takes them."""
        pick = 0 if lang == "zh" else 1
        return ({k: v[pick] for k, v in self.regions.items()}, {k: v[pick] for k, v in self.grids.items()})

    def kind(self, code: str, lang: str) -> str:
        """An event kind's label in ``lang`` (its code when it has none)."""
        return _pick(self.kinds.get(code), code, lang)

    def check(self, code: str, lang: str) -> str:
        """A check's label in ``lang`` (its name when it has none)."""
        return _pick(self.checks.get(code), code, lang)


def _pick(pair: tuple[str, str] | None, code: str, lang: str) -> str:
    if pair is None:
        return code
    return (pair[0] if lang == "zh" else pair[1]) or code


def _history_ends_with_report(instance: MonthPack, _attribute: object, history: tuple[Report, ...]) -> None:
    months = [r.period for r in history]
    if any(p.kind != "month" for p in months) or months != sorted(months):
        raise ValueError("history: monthly reports, oldest first")
    if instance.report.period.kind == "month" and history and history[-1] is not instance.report:
        raise ValueError("history: for a month, the last report must be the pack's own report")


def _aware(_instance: object, _attribute: object, moment: datetime) -> None:
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ValueError(f"made_at: {moment!r} is not a datetime with a time zone")


@attrs.frozen
class MonthPack:
    """What one period's HTML pack shows; every number on the page is computed from these.

    ``history``: monthly reports ending with the period's last month, oldest first (for a month
    the last one *is* ``report``). ``previous``: the report of the period before, of the same
    kind (None when nothing was booked then). ``held``: events of the period still waiting for
    review. ``open_appeals``: appeals waiting for a decision when the pack was made. ``bands``:
    the grade bands of the rule set in effect, or empty when a plugin grades (its bands are
    unknown). ``made_at``: when the pack was made, by the engine's clock.
    """

    report: Report
    history: tuple[Report, ...] = attrs.field(validator=_history_ends_with_report)
    previous: Report | None
    held: tuple[HeldEvent, ...]
    open_appeals: int = attrs.field(validator=[attrs.validators.instance_of(int), attrs.validators.ge(0)])
    made_at: datetime = attrs.field(validator=_aware)
    bands: tuple[Band, ...] = ()
    labels: Labels = attrs.field(factory=Labels)
    whatif: WhatIf | None = None

    @property
    def period(self) -> Period:
        return self.report.period


def previous_period(period: Period) -> Period:
    """The period of the same kind just before ``period`` (2026-10 → 2026-09, 2026-Q1 → 2025-Q4)."""
    return period.months()[0].shift(-1).within(period.kind)


def trend_months(period: Period, count: int = TREND_MONTHS) -> tuple[Period, ...]:
    """The ``count`` months ending with the period's last month, oldest first."""
    last = period.months()[-1]
    return tuple(last.shift(back) for back in range(1 - count, 1))


def has_entries(report: Report) -> bool:
    """Whether anything is booked for the report's members; a month with nothing booked predates
    the assessment (its members would all show 0), as for the accountability flag."""
    return any(row.breakdown for row in report)
