"""Built-in check ``daily_limit``: more units of a kind in one day than a person can do (每日上限)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal

from gridpoints.checks import Verdict
from gridpoints.model import Event
from gridpoints.plugins.checks._base import BuiltinCheck, positive_decimal
from gridpoints.timeline import Timeline

__all__ = ["DEFAULT_DAILY_LIMITS", "DailyLimit"]

#: Units per member per local day; kinds not named are unlimited.
DEFAULT_DAILY_LIMITS: Mapping[str, int] = {"patrol": 12}


class DailyLimit(BuiltinCheck):
    """Hold the event whose units would take the member's day over the kind's limit.

    Option ``limits``: kind → units per member per day (default ``{"patrol": 12}``; other
    kinds unlimited). The day is the local calendar day of ``occurred_at`` in the engine's zone
    and units are summed by ``quantity`` over the member's booked and held events of that day,
    whatever order they arrived in: once the day is full, every further unit is held.
    """

    name = "daily_limit"
    label = "每日上限"
    label_en = "daily limit"
    #: Enough history to cover the event's whole local day, even a 25-hour day at a DST change.
    window = timedelta(hours=26)

    def __init__(self, *, limits: Mapping[str, object] = DEFAULT_DAILY_LIMITS) -> None:
        if not isinstance(limits, Mapping):
            raise TypeError(f"limits: {limits!r} is not a mapping of kind to units per day")
        self.limits: dict[str, Decimal] = {
            str(kind): positive_decimal(units, f"limits[{kind!r}]") for kind, units in limits.items()
        }
        self.kinds = frozenset(self.limits)

    def options(self) -> dict[str, object]:
        """``limits``: kind → units per member per day."""
        return {"limits": dict(self.limits)}

    def judge(self, event: Event, at_us: int, timeline: Timeline) -> Verdict | None:
        """Hold ``event`` if the day's units of its kind, with it, exceed the limit."""
        limit = self.limits.get(event.kind)
        if limit is None:
            return None
        start_us, end_us = timeline.day_bounds(at_us)
        used = timeline.units(start_us, end_us, kind=event.kind)
        total = used + event.quantity
        if total <= limit:
            return None
        day = timeline.local(at_us).date()
        return Verdict.hold(
            self.name,
            f"daily limit: {used} {event.kind} units already recorded on {day}; this event's "
            f"{event.quantity} would make {total}, over the limit of {limit} per day",
        )
