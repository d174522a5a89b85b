"""Assessment periods: calendar months, quarters, half-years and years in the engine's time zone."""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo

import attrs
from dateutil.relativedelta import relativedelta

__all__ = ["PERIOD_KINDS", "Period", "month_of"]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_HALF = re.compile(r"^(\d{4})-H([12])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")
#: Period kinds, shortest first, with how many months each spans.
PERIOD_KINDS = {"month": 1, "quarter": 3, "half": 6, "year": 12}


def month_of(moment: datetime, tz: tzinfo) -> str:
    """The month label (``"2026-11"``) that contains ``moment`` in zone ``tz``."""
    local = moment.astimezone(tz)
    return f"{local.year:04d}-{local.month:02d}"


@attrs.frozen(order=False)
class Period:
    """A month (``2026-11``), quarter (``2026-Q4``), half-year (``2026-H2``) or year (``2026``).

    The month is the base period: entries are booked in months, and a longer period is made of
    its months.
    """

    kind: str = attrs.field(validator=attrs.validators.in_(tuple(PERIOD_KINDS)))
    year: int = attrs.field(validator=attrs.validators.instance_of(int))
    number: int = attrs.field(default=1, validator=attrs.validators.instance_of(int))

    def __attrs_post_init__(self) -> None:
        limit = 12 // PERIOD_KINDS[self.kind]
        if not 1 <= self.number <= limit:
            raise ValueError(f"period: {self.kind} number {self.number} is out of range")
        if not 1 <= self.year <= 9998:
            raise ValueError(f"period: year {self.year} is out of range")

    @classmethod
    def parse(cls, text: str | Period) -> Period:
        """Parse ``"2026-11"``, ``"2026-Q4"``, ``"2026-H2"`` or ``"2026"``; anything else is a ValueError."""
        if isinstance(text, Period):
            return text
        if not isinstance(text, str):
            raise TypeError(f"period: {text!r} is not a string like '2026-11'")
        value = text.strip()
        if m := _MONTH.match(value):
            month = int(m.group(2))
            if not 1 <= month <= 12:
                raise ValueError(f"period: {text!r} has no month {month}")
            return cls("month", int(m.group(1)), month)
        if m := _QUARTER.match(value):
            return cls("quarter", int(m.group(1)), int(m.group(2)))
        if m := _HALF.match(value):
            return cls("half", int(m.group(1)), int(m.group(2)))
        if m := _YEAR.match(value):
            return cls("year", int(m.group(1)))
        raise ValueError(
            f"period: {text!r} is not a half-year (2026-H2), a month (2026-11), a quarter (2026-Q4) or a year (2026)"
        )

    @classmethod
    def month_of(cls, moment: datetime, tz: tzinfo) -> Period:
        """The month that contains ``moment`` in zone ``tz``."""
        local = moment.astimezone(tz)
        return cls("month", local.year, local.month)

    @classmethod
    def month_containing(cls, day: date) -> Period:
        """The month that contains a calendar day."""
        return cls("month", day.year, day.month)

    def __str__(self) -> str:
        if self.kind == "month":
            return f"{self.year:04d}-{self.number:02d}"
        if self.kind == "quarter":
            return f"{self.year:04d}-Q{self.number}"
        if self.kind == "half":
            return f"{self.year:04d}-H{self.number}"
        return f"{self.year:04d}"

    @property
    def span(self) -> int:
        """How many months the period spans (1, 3, 6 or 12)."""
        return PERIOD_KINDS[self.kind]

    @property
    def first_day(self) -> date:
        """The first calendar day of the period."""
        return date(self.year, self.span * (self.number - 1) + 1, 1)

    @property
    def last_day(self) -> date:
        """The last calendar day of the period."""
        return self.first_day + relativedelta(months=self.span, days=-1)

    def months(self) -> tuple[Period, ...]:
        """The months the period is made of, in order."""
        first = self.first_day
        return tuple(Period.month_containing(first + relativedelta(months=i)) for i in range(self.span))

    def within(self, kind: str) -> Period:
        """The period of ``kind`` that contains this one (``2026-05`` within ``half`` is ``2026-H1``).

        ValueError when ``kind`` is shorter than this period: a quarter lies in no month.
        """
        if kind not in PERIOD_KINDS:
            raise ValueError(f"period: unknown kind {kind!r} (use {', '.join(PERIOD_KINDS)})")
        span = PERIOD_KINDS[kind]
        if span < self.span:
            raise ValueError(f"period: {self} is longer than a {kind}")
        return Period(kind, self.year, (self.first_day.month - 1) // span + 1)

    def parts(self, kind: str) -> tuple[Period, ...]:
        """The periods of ``kind`` this period is made of, in order (``2026`` in halves: H1, H2).

        ValueError when ``kind`` is longer than this period.
        """
        if kind not in PERIOD_KINDS:
            raise ValueError(f"period: unknown kind {kind!r} (use {', '.join(PERIOD_KINDS)})")
        if PERIOD_KINDS[kind] > self.span:
            raise ValueError(f"period: {self} is shorter than a {kind}")
        return tuple(dict.fromkeys(month.within(kind) for month in self.months()))

    def start(self, tz: tzinfo) -> datetime:
        """Local midnight at the start of the period, in ``tz``."""
        return datetime.combine(self.first_day, time(), tzinfo=tz)

    def end(self, tz: tzinfo) -> datetime:
        """Local midnight just after the period ends (exclusive), in ``tz``."""
        return datetime.combine(self.last_day + relativedelta(days=1), time(), tzinfo=tz)

    def shift(self, months: int) -> Period:
        """The month ``months`` after this one (negative for before); months only."""
        if self.kind != "month":
            raise ValueError(f"period: only months shift, not {self}")
        return Period.month_containing(self.first_day + relativedelta(months=months))

    def contains(self, other: Period) -> bool:
        """Whether month ``other`` lies inside this period."""
        return other.kind == "month" and other in self.months()

    def __lt__(self, other: Period) -> bool:
        return (self.first_day, self.last_day) < (other.first_day, other.last_day)
