"""Assessment periods: calendar months, quarters and years in the engine's time zone."""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo

import attrs
from dateutil.relativedelta import relativedelta

__all__ = ["Period", "month_of"]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")


def month_of(moment: datetime, tz: tzinfo) -> str:
    """The month label (``"2026-11"``) that contains ``moment`` in zone ``tz``."""
    local = moment.astimezone(tz)
    return f"{local.year:04d}-{local.month:02d}"


@attrs.frozen(order=False)
class Period:
    """A month (``2026-11``), quarter (``2026-Q4``) or year (``2026``).

    The month is the base period: a quarter or a year is the sum of its months.
    """

    kind: str = attrs.field(validator=attrs.validators.in_(("month", "quarter", "year")))
    year: int = attrs.field(validator=attrs.validators.instance_of(int))
    number: int = attrs.field(default=1, validator=attrs.validators.instance_of(int))

    def __attrs_post_init__(self) -> None:
        limit = {"month": 12, "quarter": 4, "year": 1}[self.kind]
        if not 1 <= self.number <= limit:
            raise ValueError(f"period: {self.kind} number {self.number} is out of range")
        if not 1 <= self.year <= 9998:
            raise ValueError(f"period: year {self.year} is out of range")

    @classmethod
    def parse(cls, text: str | Period) -> Period:
        """Parse ``"2026-11"``, ``"2026-Q4"`` or ``"2026"``; anything else is a ValueError."""
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
        if m := _YEAR.match(value):
            return cls("year", int(m.group(1)))
        raise ValueError(f"period: {text!r} is not a month (2026-11), a quarter (2026-Q4) or a year (2026)")

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
        return f"{self.year:04d}"

    @property
    def first_day(self) -> date:
        """The first calendar day of the period."""
        month = {"month": self.number, "quarter": 3 * self.number - 2, "year": 1}[self.kind]
        return date(self.year, month, 1)

    @property
    def last_day(self) -> date:
        """The last calendar day of the period."""
        span = {"month": 1, "quarter": 3, "year": 12}[self.kind]
        return self.first_day + relativedelta(months=span, days=-1)

    def months(self) -> tuple[Period, ...]:
        """The months the period is made of, in order."""
        first = self.first_day
        count = {"month": 1, "quarter": 3, "year": 12}[self.kind]
        return tuple(Period.month_containing(first + relativedelta(months=i)) for i in range(count))

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
