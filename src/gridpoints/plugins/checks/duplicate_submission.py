"""Built-in check ``duplicate_submission``: the same thing at the same place sent twice (重复提交)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from gridpoints.checks import Verdict
from gridpoints.model import Event
from gridpoints.plugins.checks._base import BuiltinCheck, kinds_option, positive_int, sorted_kinds
from gridpoints.timeline import Timeline

__all__ = ["DuplicateSubmission"]


class DuplicateSubmission(BuiltinCheck):
    """Hold an event when the member already has one of the same kind at the same location.

    Options: ``minutes`` (default 30): how close in ``occurred_at`` the two must be;
    ``attribute`` (default ``location``): the attribute that names the place; ``kinds``
    (default every kind). An event without the attribute is not looked at. The verdict's
    ``ref`` is the earliest matching event (booked or held) — the original.
    """

    name = "duplicate_submission"
    label = "重复提交"
    label_en = "duplicate submission"

    def __init__(self, *, minutes: int = 30, attribute: str = "location", kinds: Iterable[str] | None = None) -> None:
        self.minutes = positive_int(minutes, "minutes")
        self.window = timedelta(minutes=self.minutes)
        self._span_us = self.minutes * 60_000_000
        if not isinstance(attribute, str) or not attribute:
            raise TypeError(f"attribute: {attribute!r} is not an attribute name")
        self.attribute = attribute
        self.needs = frozenset({attribute})
        self.kinds = kinds_option(kinds)

    def options(self) -> dict[str, object]:
        """``minutes``, ``attribute`` and ``kinds`` (None: every kind)."""
        return {"minutes": self.minutes, "attribute": self.attribute, "kinds": sorted_kinds(self.kinds)}

    def judge(self, event: Event, at_us: int, timeline: Timeline) -> Verdict | None:
        """Hold ``event`` if an event judged before it matches it within the window."""
        place = event.attributes.get(self.attribute)
        if place is None or place == "":
            return None
        span = self._span_us
        for other in timeline.between(at_us - span, at_us + span, kind=event.kind):
            if other.attributes.get(self.attribute) == place:
                minutes = abs(at_us - other.at_us) // 60_000_000
                return Verdict.hold(
                    self.name,
                    f"possible duplicate: {event.kind} at {self.attribute} {place!r} {minutes} min from event "
                    f"{other.id!r} of the same member (within {self.minutes} min); confirm they are two "
                    "different pieces of work",
                    ref=other.id,
                )
        return None
