"""The anti-gaming check interface: what a check sees and the verdicts it may return."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Literal

import attrs

from gridpoints.model import Event, Member

__all__ = ["Check", "CheckContext", "Verdict"]


@attrs.frozen
class Verdict:
    """What a check decided about one event: ``hold`` it for review or ``reject`` it.

    A check that lets an event pass returns None. ``reason`` is shown to reviewers; ``ref``
    points at a related event (for example the original of a duplicate submission).
    """

    action: Literal["hold", "reject"] = attrs.field(validator=attrs.validators.in_(("hold", "reject")))
    check: str
    reason: str
    ref: str | None = None

    @classmethod
    def hold(cls, check: str, reason: str, ref: str | None = None) -> Verdict:
        """Hold the event in the review queue."""
        return cls("hold", check, reason, ref)

    @classmethod
    def reject(cls, check: str, reason: str, ref: str | None = None) -> Verdict:
        """Reject the event outright (rejection code ``gaming``)."""
        return cls("reject", check, reason, ref)


@attrs.define
class CheckContext:
    """What a check sees beside the event: the member, the event's month, and its history.

    ``history`` holds the member's booked and held events (earlier in this ingest call too)
    whose ``occurred_at`` lies within the largest ``window`` any check asked for.
    """

    member: Member
    period: str
    tz: tzinfo
    history: Sequence[Event]

    def recent(self, event: Event, window: timedelta, *, kind: str | None = None) -> list[Event]:
        """History events of ``kind`` (any kind when None) within ``window`` of ``event``."""
        start: datetime = event.occurred_at - window
        end: datetime = event.occurred_at + window
        return [
            other
            for other in self.history
            if start <= other.occurred_at <= end and (kind is None or other.kind == kind) and other.id != event.id
        ]


class Check:
    """Base class for anti-gaming checks returned by ``gridpoints_checks``.

    Subclasses set ``name`` (the code shown on held events), optionally ``kinds`` (the event
    kinds the check looks at; None means every kind) and ``window`` (how much history around an
    event it needs), and implement ``inspect``. The engine compiles checks into a per-kind list
    when it is built; ``inspect`` runs once per event of a matching kind.
    """

    name: str = "check"
    kinds: frozenset[str] | None = None
    window: timedelta = timedelta(0)

    def inspect(self, event: Event, context: CheckContext) -> Verdict | None:
        """Return None to let ``event`` pass, or a Verdict to hold or reject it."""
        raise NotImplementedError
