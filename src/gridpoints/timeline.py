"""What a check sees of a member's other events: a compact, time-sorted running state.

During one ``ingest`` call the pipeline keeps one ``Timeline`` per member of the call. It is
loaded once per call from the store's booked and held events around the call's time range
(member, kind, instant, quantity and only the attributes checks declare in ``Check.needs``),
and the pipeline records each event of the call in it as the event is booked or held. Events
are judged in ``occurred_at`` order (then id), so a timeline holds what happened before the
judged event in this call, plus whatever the store already had around it.

Instants are integers: microseconds since the epoch (``at_us``), so look-ups bisect in C.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from datetime import datetime, time, timedelta, tzinfo
from decimal import Decimal
from types import MappingProxyType
from typing import NamedTuple

from gridpoints._time import instant, micros
from gridpoints.model import Member

__all__ = ["NO_ATTRIBUTES", "Fact", "Timeline"]

#: The attributes of a fact no check asked about: one shared, read-only empty mapping.
NO_ATTRIBUTES: Mapping[str, object] = MappingProxyType({})

#: 15 minutes in µs: every zone offset in use is a multiple of it, so a slot of this size lies
#: within one local day (checked anyway, see ``Timeline.day_bounds``).
_SLOT_US = 900_000_000


class Fact(NamedTuple):
    """One booked or held event as a timeline holds it.

    ``attributes`` are the event's attributes that some check named in ``needs`` (all of them
    for events of the current call, which are at hand anyway); others may be missing.
    """

    id: str
    kind: str
    at_us: int
    quantity: int | Decimal
    attributes: Mapping[str, object]


class _Series:
    """Facts sorted by (instant, arrival), with their instants in a parallel list for bisection."""

    __slots__ = ("facts", "times")

    def __init__(self) -> None:
        self.times: list[int] = []
        self.facts: list[Fact] = []

    def add(self, fact: Fact) -> None:
        times = self.times
        if not times or times[-1] <= fact.at_us:
            times.append(fact.at_us)  # the usual case: events are judged in time order
            self.facts.append(fact)
            return
        at = bisect_right(times, fact.at_us)
        times.insert(at, fact.at_us)
        self.facts.insert(at, fact)

    def span(self, start_us: int, end_us: int) -> tuple[int, int]:
        low = bisect_left(self.times, start_us)
        return low, bisect_right(self.times, end_us, lo=low)


_EMPTY = _Series()


class Timeline:
    """One member's booked and held events around an ingest call, sorted by instant.

    Every look-up is a bisection (O(log n + matches)); the bounds are inclusive µs instants.
    ``member`` is the member; ``tz`` the engine's zone, in which days are counted.
    """

    __slots__ = ("_all", "_by_kind", "_days", "member", "tz")

    def __init__(self, member: Member, tz: tzinfo, days: dict[int, tuple[int, int]] | None = None) -> None:
        self.member = member
        self.tz = tz
        self._all = _Series()
        self._by_kind: dict[str, _Series] = {}
        # 15-minute slot → (first, last µs) of its local day; shared by the timelines of a call.
        self._days: dict[int, tuple[int, int]] = {} if days is None else days

    def __len__(self) -> int:
        return len(self._all.times)

    def record(self, fact: Fact) -> None:
        """Add a booked or held event (the pipeline calls this; checks only read)."""
        self._all.add(fact)
        series = self._by_kind.get(fact.kind)
        if series is None:
            series = self._by_kind[fact.kind] = _Series()
        series.add(fact)

    def _series(self, kind: str | None) -> _Series:
        return self._all if kind is None else self._by_kind.get(kind, _EMPTY)

    def count(self, start_us: int, end_us: int, *, kind: str | None = None) -> int:
        """How many events (of ``kind``; any when None) lie in ``[start_us, end_us]``."""
        low, high = self._series(kind).span(start_us, end_us)
        return high - low

    def between(
        self, start_us: int, end_us: int, *, kind: str | None = None, exclude: str | None = None
    ) -> list[Fact]:
        """The events (of ``kind``; any when None; not the one with id ``exclude``) in
        ``[start_us, end_us]``, by instant."""
        series = self._series(kind)
        low, high = series.span(start_us, end_us)
        if exclude is None:
            return series.facts[low:high]
        return [fact for fact in series.facts[low:high] if fact.id != exclude]

    def instants(self, start_us: int, end_us: int, *, kind: str | None = None) -> list[int]:
        """The instants of the events (of ``kind``; any when None) in ``[start_us, end_us]``, sorted."""
        series = self._series(kind)
        low, high = series.span(start_us, end_us)
        return series.times[low:high]

    def units(self, start_us: int, end_us: int, *, kind: str) -> int | Decimal:
        """The summed ``quantity`` of the events of ``kind`` in ``[start_us, end_us]``."""
        series = self._by_kind.get(kind)
        if series is None:
            return 0
        low, high = series.span(start_us, end_us)
        # Quantities are ints or Decimals; int + Decimal is exact, so no Decimal per event.
        return sum(fact.quantity for fact in series.facts[low:high])

    def local(self, at_us: int) -> datetime:
        """The instant ``at_us`` in the engine's zone."""
        return instant(at_us).astimezone(self.tz)

    def day_bounds(self, at_us: int) -> tuple[int, int]:
        """The first and last µs of the local day (in ``tz``) containing ``at_us``."""
        slot = at_us // _SLOT_US
        bounds = self._days.get(slot)
        if bounds is not None and bounds[0] <= at_us <= bounds[1]:
            return bounds
        day = self.local(at_us).date()
        start = micros(datetime.combine(day, time(), tzinfo=self.tz))
        end = micros(datetime.combine(day + timedelta(days=1), time(), tzinfo=self.tz)) - 1
        bounds = (start, end)
        if start <= slot * _SLOT_US and (slot + 1) * _SLOT_US - 1 <= end:
            self._days[slot] = bounds  # only slots wholly inside the day are cached
        return bounds
