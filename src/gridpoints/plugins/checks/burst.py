"""Built-in check ``burst``: too many events of one member in a few minutes (集中突击录入)."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import timedelta

from gridpoints.checks import Verdict
from gridpoints.model import Event
from gridpoints.plugins.checks._base import BuiltinCheck, kinds_option, positive_int, sorted_kinds
from gridpoints.timeline import Timeline

__all__ = ["Burst"]


class Burst(BuiltinCheck):
    """Hold an event that makes more than ``count`` events of a member within ``minutes``.

    Options: ``count`` (default 8), ``minutes`` (default 10), ``kinds`` (default every kind:
    the events counted and inspected). Any span of ``minutes`` that contains the event and
    more than ``count`` events (booked, held, or earlier in the same call) counts, so the
    verdict does not depend on arrival order within the span.
    """

    name = "burst"
    label = "集中突击录入"
    label_en = "burst of entries"

    def __init__(self, *, count: int = 8, minutes: int = 10, kinds: Iterable[str] | None = None) -> None:
        self.count = positive_int(count, "count")
        self.minutes = positive_int(minutes, "minutes")
        self.window = timedelta(minutes=self.minutes)
        self._span_us = self.minutes * 60_000_000
        self.kinds = kinds_option(kinds)

    def options(self) -> dict[str, object]:
        """``count``, ``minutes`` and ``kinds`` (None: every kind)."""
        return {"count": self.count, "minutes": self.minutes, "kinds": sorted_kinds(self.kinds)}

    def judge(self, event: Event, at_us: int, timeline: Timeline) -> Verdict | None:
        """Hold ``event`` if some span of the window around it holds more than ``count`` events."""
        span = self._span_us
        if timeline.count(at_us - span, at_us + span) < self.count:
            return None  # too few events nearby for any span to hold more than count with this one
        kinds = self.kinds
        if kinds is None:
            nearby = timeline.instants(at_us - span, at_us + span)
        else:
            nearby = [f.at_us for f in timeline.between(at_us - span, at_us + span) if f.kind in kinds]
        if len(nearby) < self.count:
            return None
        times = nearby
        bisect.insort(times, at_us)
        for first, start in enumerate(times):
            if start > at_us:
                break
            if start + span < at_us:
                continue
            last = bisect.bisect_right(times, start + span)
            if last - first > self.count:
                local = timeline.local(start)
                return Verdict.hold(
                    self.name,
                    f"burst: {last - first} events of member {event.member_id} from "
                    f"{local:%Y-%m-%d %H:%M} within {self.minutes} min (more than {self.count}); "
                    "check they were really done, not typed in at once",
                )
        return None
