"""The checks' running state for one ingest call: a Timeline per member, loaded once.

The old design rebuilt each member's history from the store for every chunk of events, parsing
every stored payload into a validated Event: with events in random order each chunk spans the
month, so the work grew with the square of the import. Now the call's members and time range
(± the widest check window) are read once, as compact facts — a payload split, and JSON parsed
only when a check ``needs`` an attribute the payload mentions — and the pipeline records each
event of the call as it is booked or held.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping
from datetime import timedelta, tzinfo

from gridpoints.checks import Check, CheckContext, Verdict
from gridpoints.model import Event, Member, payload_fields
from gridpoints.stores import Transaction
from gridpoints.timeline import NO_ATTRIBUTES, Fact, Timeline

__all__ = ["RunningState", "is_legacy", "warn_legacy"]

_MICROSECOND = timedelta(microseconds=1)
_DECODER = json.JSONDecoder()
#: Check classes already warned about (once per class and process).
_warned: set[type] = set()


def is_legacy(check: object) -> bool:
    """True for a check written to the old interface: ``inspect`` without its own ``judge``."""
    judge = getattr(type(check), "judge", None)
    return judge is None or judge is Check.judge


def warn_legacy(check: object) -> None:
    """One DeprecationWarning per check class that implements only ``inspect``."""
    cls = type(check)
    if cls in _warned:
        return
    _warned.add(cls)
    warnings.warn(
        f"check {getattr(check, 'name', cls.__name__)!r} ({cls.__module__}.{cls.__qualname__}) implements "
        "inspect(event, context), which is deprecated: implement judge(event, at_us, timeline) "
        "(see docs/plugins.md, 'Migrating a check from inspect to judge')",
        DeprecationWarning,
        stacklevel=4,
    )


class RunningState:
    """Each member's Timeline during one ingest call, and what legacy checks need besides."""

    __slots__ = ("_days", "_keys", "_sources", "_whole", "needs", "timelines", "tz")

    def __init__(self, tz: tzinfo, needs: frozenset[str], *, legacy: bool) -> None:
        self.tz = tz
        self.needs = needs
        # Each needed attribute's key as canonical JSON spells it, colon included.
        self._keys = [(name, json.dumps(name, ensure_ascii=False) + ":") for name in sorted(needs)]
        # A name starting with ":" or "," can be found where a string ends in "{" or ",", not
        # where a key starts: for such names the texts are parsed whole (see _attributes).
        self._whole = any(name.startswith((":", ",")) for name in needs)
        self.timelines: dict[str, Timeline] = {}
        self._days: dict[int, tuple[int, int]] = {}  # shared day-bounds cache of the timelines
        # Event id → its Event or stored payload, for building legacy checks' contexts only.
        self._sources: dict[str, Event | str] | None = {} if legacy else None

    def load(self, tx: Transaction, members: Iterable[Member], start_us: int, end_us: int) -> None:
        """The members' booked and held events in ``[start_us, end_us]``, read once per call."""
        timelines = self.timelines
        for member in members:
            if member.id not in timelines:
                timelines[member.id] = Timeline(member, self.tz, self._days)
        if not timelines:
            return
        rows: list[tuple[int, str, str, Fact]] = []
        attributes_of = self._attributes
        sources = self._sources
        for event_id, payload in tx.history(sorted(timelines), start_us, end_us):
            member_id, kind, at_us, quantity, attributes = payload_fields(payload)
            fact = Fact(event_id, kind, at_us, quantity, attributes_of(attributes) if attributes else NO_ATTRIBUTES)
            rows.append((at_us, event_id, member_id, fact))
            if sources is not None:
                sources[event_id] = payload
        rows.sort()  # stores may answer in any order; recording in time order only appends
        for _, _, member_id, fact in rows:
            timelines[member_id].record(fact)

    def _attributes(self, text: str) -> Mapping[str, object]:
        """The attributes some check needs, exactly as ``json.loads(text)`` holds them; as a
        rule each value is decoded where its key stands and the rest of the JSON is not parsed.

        The text is canonical compact JSON of flat attributes (``canonical_attributes``):
        ``{"key":value,"key":value}``, where inside a string a quote is always written ``\\"``.
        So a ``"`` right after ``{`` or ``,`` is either the opening quote of a key or the closing
        quote of a string whose text ends in ``{`` or ``,`` (as in ``{"a,":…``). After an opening
        quote, ``"name":`` is the whole key ``name``: its JSON spelling leaves no quote unescaped
        and no escape open, so the quote after it closes the key. After a closing quote comes
        ``:`` (after a key), ``,`` (before the next key) or the ``}`` that ends the text, so
        ``"name":`` can stand there only if ``name`` starts with ``:`` or ``,``. When a check
        needs such a name (the built-in ``location`` is not one) the whole text is parsed
        instead (``_whole``).
        """
        if self._whole:
            parsed = json.loads(text)
            whole = {name: parsed[name] for name in self.needs if name in parsed}
            return whole or NO_ATTRIBUTES
        found: dict[str, object] | None = None
        for name, key in self._keys:
            at = text.find(key)
            while at > 0 and text[at - 1] not in "{,":
                at = text.find(key, at + 1)
            if at > 0:
                if found is None:
                    found = {}
                found[name] = _DECODER.raw_decode(text, at + len(key))[0]
        return NO_ATTRIBUTES if found is None else found

    def record(self, timeline: Timeline, event: Event, at_us: int) -> None:
        """Add a booked or held event of this call to its member's timeline."""
        timeline.record(Fact(event.id, event.kind, at_us, event.quantity, event.attributes))
        if self._sources is not None:
            self._sources[event.id] = event

    def inspect(self, check: Check, event: Event, at_us: int, timeline: Timeline, month: str) -> Verdict | None:
        """Run a legacy ``inspect`` check on a CheckContext rebuilt from the timeline: the
        member's events within the check's ``window`` of ``event``."""
        span = check.window // _MICROSECOND
        facts = timeline.between(at_us - span, at_us + span)
        history = [self._event(fact.id) for fact in facts]
        context = CheckContext(
            timeline.member, month, self.tz, history, times=[f.at_us for f in facts], current=(event, at_us)
        )
        return check.inspect(event, context)

    def _event(self, event_id: str) -> Event:
        assert self._sources is not None  # built with legacy=True whenever a legacy check runs
        source = self._sources[event_id]
        if isinstance(source, str):
            source = self._sources[event_id] = Event.from_payload(event_id, source)
        return source
