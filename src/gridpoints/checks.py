"""The anti-gaming check interface: what a check sees and the verdicts it may return.

A check implements ``judge(event, at_us, timeline)`` over the member's running state (see
``gridpoints.timeline``). The older ``inspect(event, context)`` still works through an adapter
in the pipeline, with a DeprecationWarning; ``CheckContext`` is what it is given.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Literal

import attrs

from gridpoints._time import micros
from gridpoints.model import Event, Member
from gridpoints.periods import Period
from gridpoints.timeline import Timeline

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


_MICROSECOND = timedelta(microseconds=1)


@attrs.define
class CheckContext:
    """What a check on the deprecated ``inspect`` interface sees beside the event: the member,
    the event's month, and its history.

    ``history`` holds the member's booked and held events (earlier in this ingest call too —
    events are judged by ``occurred_at``, then id) whose ``occurred_at`` lies within the check's
    ``window`` of the event, sorted by ``occurred_at``; the pipeline rebuilds it from the
    member's ``Timeline`` for each call of ``inspect``.

    ``times`` and ``current`` are what the pipeline already knows, passed so look-ups need no
    datetime arithmetic: the history's instants in microseconds since the epoch (same order),
    and the inspected event with its own. Left out, they are computed when first needed.
    """

    member: Member
    period: str
    tz: tzinfo
    history: Sequence[Event]
    _times: Sequence[int] | None = attrs.field(default=None, alias="times", repr=False)
    _current: tuple[Event, int] | None = attrs.field(default=None, alias="current", repr=False)

    def recent(self, event: Event, window: timedelta, *, kind: str | None = None) -> list[Event]:
        """History events of ``kind`` (any kind when None) within ``window`` of ``event``, by time."""
        start, end = self._around(event, window)
        return self.between_us(start, end, kind=kind, exclude=event.id)

    def recent_at_most(self, event: Event, window: timedelta) -> int:
        """How many history events lie within ``window`` of ``event``, counting any kind and the
        event itself if it is in the history: an upper bound on ``len(recent(...))`` found by
        bisection alone, so a check can rule an event out without building the list."""
        start, end = self._around(event, window)
        times = self._times if self._times is not None else self._instants()
        low = bisect.bisect_left(times, start)
        return bisect.bisect_right(times, end, lo=low) - low

    def between(
        self, start: datetime, end: datetime, *, kind: str | None = None, exclude: str | None = None
    ) -> list[Event]:
        """History events of ``kind`` (any when None) with ``start <= occurred_at <= end``, by time.

        Found by bisection in the sorted history, so a check costs O(log n + matches).
        """
        return self.between_us(micros(start), micros(end), kind=kind, exclude=exclude)

    def between_us(
        self, start_us: int, end_us: int, *, kind: str | None = None, exclude: str | None = None
    ) -> list[Event]:
        """As ``between``, with the bounds in microseconds since the epoch (see ``micros``)."""
        times = self._times if self._times is not None else self._instants()
        low = bisect.bisect_left(times, start_us)
        high = bisect.bisect_right(times, end_us, lo=low)
        if low == high:
            return []
        if kind is None:
            return [other for other in self.history[low:high] if other.id != exclude]
        return [other for other in self.history[low:high] if other.kind == kind and other.id != exclude]

    def _around(self, event: Event, window: timedelta) -> tuple[int, int]:
        """``event``'s instant ± ``window`` in µs; the inspected event's instant is passed in."""
        current = self._current
        at = current[1] if current is not None and current[0] is event else micros(event.occurred_at)
        span = window // _MICROSECOND
        return at - span, at + span

    def _instants(self) -> Sequence[int]:
        """The history's instants in µs, computed once for a context built without them."""
        times = self._times = [micros(e.occurred_at) for e in self.history]
        return times

    @staticmethod
    def micros(moment: datetime) -> int:
        """Microseconds since the epoch of an aware instant: the unit of ``between_us``."""
        return micros(moment)

    def local_day(self, moment: datetime) -> str:
        """The calendar day (``2026-11-03``) of an instant in the engine's time zone."""
        return moment.astimezone(self.tz).date().isoformat()


class Check:
    """Base class for anti-gaming checks returned by ``gridpoints_checks``.

    Subclasses set ``name`` (the code shown on held events), optionally ``kinds`` (the event
    kinds the check looks at; None means every kind, an empty set none), ``window`` (how far
    around an event it looks), ``needs`` (the attributes of *other* events it reads: only those
    are loaded from the store) and ``label`` / ``label_en`` (what listings call it), and
    implement ``judge``; ``options()`` says how an instance is configured. The engine compiles
    checks into a per-kind list when it is built; ``judge`` runs once per event of a matching
    kind.

    Within one ``ingest`` call events are judged in ``occurred_at`` order, then by id — not in
    the order they arrived — so which of two copies is the duplicate, or which patrol is over
    the day's limit, does not depend on how an export was sorted or split.

    A check may also look at whole months: ``period_flags`` gets a month's scores and returns
    flags for the report (audit marks; points never change). It runs once per month report.
    """

    name: str = "check"
    kinds: frozenset[str] | None = None
    window: timedelta = timedelta(0)
    #: Attributes of the member's other events the check reads (``Fact.attributes``).
    needs: frozenset[str] = frozenset()
    #: What listings (``gridpoints plugins``) call the check, in Chinese and in English; the name when None.
    label: str | None = None
    label_en: str | None = None

    def options(self) -> Mapping[str, object]:
        """How this instance is configured, option → value, for listings; none by default.

        The built-in checks return their constructor's keyword arguments, so
        ``type(check)(**check.options())`` configures an equal check.
        """
        return {}

    def judge(self, event: Event, at_us: int, timeline: Timeline) -> Verdict | None:
        """Return None to let ``event`` pass, or a Verdict to hold or reject it.

        ``at_us`` is the event's ``occurred_at`` in µs since the epoch; ``timeline`` holds the
        member's booked and held events around it (earlier ones of this call included, the
        event itself not), within at least ``window`` either side.
        """
        raise NotImplementedError

    def inspect(self, event: Event, context: CheckContext) -> Verdict | None:
        """Deprecated: implement ``judge``. A check that overrides only ``inspect`` still runs
        (its context's history is rebuilt from the timeline, within the check's ``window``),
        with a DeprecationWarning when an engine is built with it."""
        raise NotImplementedError

    def period_flags(
        self, period: Period, members: Sequence[Member], scores: Mapping[str, Decimal]
    ) -> Mapping[str, str]:
        """Member id → flag (for example ``outlier``) for a month's report; none by default.

        ``members`` are the members assessed in ``period``; ``scores`` their month scores.
        """
        return {}
