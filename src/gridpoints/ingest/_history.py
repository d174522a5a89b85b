"""A member's events around an ingest chunk, sorted by time, as the checks see them."""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime, timedelta

from gridpoints.model import Event

__all__ = ["History", "micros"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware instant (the ledger's event time unit)."""
    return (moment - _EPOCH) // _MICROSECOND


class History:
    """Events sorted by ``occurred_at``, with their times as integers in a parallel list.

    Integer keys let ``CheckContext.between`` bisect in C without calling a key function per
    comparison, and equal instants in different zones sort as equal.
    """

    __slots__ = ("events", "times")

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.times: list[int] = []

    def add(self, event: Event, occurred_us: int) -> None:
        """Insert ``event`` (occurring at ``occurred_us``) after any event of the same instant."""
        at = bisect_right(self.times, occurred_us)
        self.times.insert(at, occurred_us)
        self.events.insert(at, event)
