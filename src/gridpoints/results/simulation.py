"""The machinery of a what-if: replay a period's booked events into sums, never into the ledger.

``replay_events`` streams the booked events; a ``Pipeline`` built on the proposed rules books
them into a ``ScoreSink`` (a write-only transaction that keeps sums per member, month and
kind); ``carry_over`` adds the entries that score no event and schedules reversals, which
``apply_reversals`` re-applies to the simulated points; ``Overlay`` answers the report
aggregates from the sink for the simulated months and from the real store for the others.
``new_events`` picks, from events handed to a what-if, those to replay beside the booked ones;
``Counted`` and ``kinds_of`` find the kinds of the events a replay could not score.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import tzinfo
from decimal import Decimal
from itertools import islice
from typing import Any

import attrs

from gridpoints.errors import StoreError
from gridpoints.model import Event
from gridpoints.periods import month_of
from gridpoints.schema import (
    EVENT_REASONS,
    GENESIS,
    CapKey,
    DecisionRow,
    EntryRow,
    EntryValues,
    EventValues,
    PeriodCloseRow,
    RuleKey,
    is_derived,
)
from gridpoints.stores import Store

__all__ = [
    "Counted",
    "EventsGiven",
    "Overlay",
    "PendingReversal",
    "ScoreSink",
    "apply_reversals",
    "carry_over",
    "entry_role",
    "kinds_of",
    "new_events",
    "replay_events",
    "rule_key",
]

#: Ids looked up in the store per query.
_LOOKUP_CHUNK = 1000


def replay_events(store: Store, months: Sequence[str]) -> Iterator[Event]:
    """The booked events of the months, streamed from the store."""
    for event_id, payload in store.booked_events(months):
        yield Event.from_payload(event_id, payload)


@attrs.frozen
class EventsGiven:
    """What became of the events handed to a what-if beside the booked ones.

    ``given`` = ``rescored`` + ``in_ledger`` + ``outside``: ``rescored`` events are replayed with
    the period's booked events; an event whose id the store knows (booked, held or decided) is
    ``in_ledger`` and left out, because the ledger's own copy counts; one whose month (in the
    engine's zone) is not in the period is ``outside`` and left out.
    """

    given: int
    rescored: int
    in_ledger: int
    outside: int


def new_events(
    store: Store, tz: tzinfo, months: Sequence[str], items: Iterable[Event | Mapping[str, Any]]
) -> tuple[list[Event], EventsGiven]:
    """The events of ``items`` to replay (see ``EventsGiven``), in the order given.

    A mapping is read as ``Engine.ingest`` reads one; one that is not a valid event is a
    ValueError (TypeError for a wrong type) naming its position, and nothing is simulated.
    """
    wanted = set(months)
    chosen: list[Event] = []
    given = in_ledger = outside = 0
    iterator = iter(items)
    while chunk := list(islice(iterator, _LOOKUP_CHUNK)):
        events: list[Event] = []
        for item in chunk:
            events.append(_as_event(item, given))
            given += 1
        known = {row.event_id for row in store.event_rows(event_ids=[e.id for e in events])}
        for event in events:
            if event.id in known:
                in_ledger += 1
            elif month_of(event.occurred_at, tz) not in wanted:
                outside += 1
            else:
                chosen.append(event)
    return chosen, EventsGiven(given, len(chosen), in_ledger, outside)


def _as_event(item: object, index: int) -> Event:
    if isinstance(item, Event):
        return item
    if not isinstance(item, Mapping):
        raise TypeError(f"events[{index}]: {item!r} is a {type(item).__name__}, not an Event or a mapping")
    try:
        return Event.from_mapping(item)
    except (TypeError, ValueError) as error:
        raise type(error)(f"events[{index}] ({item.get('id')!r}): {error}") from None


class Counted:
    """An iterator of events that counts what it has yielded (``count``)."""

    def __init__(self, events: Iterable[Event]) -> None:
        self._events = iter(events)
        self.count = 0

    def __iter__(self) -> Iterator[Event]:
        for event in self._events:
            self.count += 1
            yield event


def kinds_of(store: Store, event_ids: Iterable[str]) -> dict[str, str]:
    """Event id → kind of stored events, looked up in chunks."""
    ids = sorted(set(event_ids))
    kinds: dict[str, str] = {}
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        for row in store.event_rows(event_ids=ids[start : start + _LOOKUP_CHUNK]):
            kinds[row.event_id] = row.kind
    return kinds


class ScoreSink:
    """A write-only ``Transaction`` for simulations: it keeps sums, not entries.

    It starts empty, so it knows no event ids, no history and no cap or limit totals (the
    pipeline keeps running totals for the whole call itself). ``closed`` months are reported
    closed, so a late event is moved forward exactly as it was when booked. For ``watched``
    events it also keeps the rule and points of each entry role (``main`` or ``derived``), so
    reversals of their entries can be re-applied to the simulated points. It answers the report
    aggregates, by kind and by rule (for assessment schemes).
    """

    def __init__(self, closed: Iterable[str] = ()) -> None:
        self.head: tuple[int, str] = (0, GENESIS)
        self._closed = set(closed)
        # (member, month, ruleset, version, rule, kind, reason) → [hundredths, entries]
        self._sums: dict[tuple[str, str, str, str, str, str, str], list[int]] = {}
        self._watched: dict[tuple[str, str], tuple[RuleKey, int] | None] = {}

    def watch(self, event_id: str) -> None:
        """Keep the simulated rule and points of this event's entries, by role."""
        self._watched.setdefault((event_id, "main"), None)
        self._watched.setdefault((event_id, "derived"), None)

    def simulated(self, event_id: str, role: str) -> tuple[RuleKey, int] | None:
        """The rule key and hundredths of a watched event's simulated ``main`` or ``derived``
        entry, or None when the replay booked none (a corrected event is not replayed)."""
        return self._watched.get((event_id, role))

    def add(self, member_id: str, month: str, key: RuleKey, cents: int, entries: int = 1) -> None:
        """Count ``cents`` (and ``entries``) for a member's rule key in a month."""
        sums = self._sums.setdefault((member_id, month, *key), [0, 0])
        sums[0] += cents
        sums[1] += entries

    # -- Transaction -------------------------------------------------------------------

    def lookup(self, event_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """Nothing is stored, so nothing is known."""
        return {}

    def history(self, member_ids: Sequence[str], start_us: int, end_us: int) -> list[tuple[str, str]]:
        """No history: simulations run without checks."""
        return []

    def cap_totals(self, keys: Iterable[CapKey]) -> dict[CapKey, int]:
        """No earlier entries."""
        return {}

    def limit_totals(self, keys: Iterable[CapKey]) -> dict[CapKey, Decimal]:
        """No earlier entries: a limit counts what the replay books."""
        return {}

    def append(self, entries: Sequence[EntryValues], events: Sequence[EventValues]) -> None:
        """Add the entries' points to the sums; drop everything else."""
        watched = self._watched
        for values in entries:
            row = EntryRow._make(values)
            key = rule_key(row)
            self.add(row.member_id, row.period, key, row.points_cents)
            if watched:
                role = (row.event_id, entry_role(row))
                if role in watched:
                    before = watched[role]
                    watched[role] = (key, row.points_cents + (before[1] if before is not None else 0))
        if entries:
            last = EntryRow._make(entries[-1])
            self.head = (last.seq, last.hash)

    def set_status(self, event_id: str, status: str) -> None:
        """Simulations decide nothing."""
        raise StoreError("a simulation cannot change an event's status")

    def entry_rows(
        self,
        *,
        seqs: Sequence[int] | None = None,
        event_ids: Sequence[str] | None = None,
        refs: Sequence[str] | None = None,
    ) -> list[EntryRow]:
        """No entries are kept."""
        return []

    def add_decisions(self, rows: Sequence[DecisionRow]) -> None:
        """Simulations decide nothing."""
        if rows:
            raise StoreError("a simulation cannot record decisions")

    def decision_rows(self, *, subjects: Sequence[str]) -> list[DecisionRow]:
        """No decisions."""
        return []

    def closed_periods(self) -> set[str]:
        """The months closed in the real store, except the simulated ones."""
        return set(self._closed)

    def add_period_close(self, row: PeriodCloseRow) -> None:
        """Simulations close nothing."""
        raise StoreError("a simulation cannot close a month")

    def is_settled(self, period: str) -> bool:
        """Simulations settle nothing."""
        return False

    def mark_settled(self, period: str, head_seq: int) -> None:
        """Simulations settle nothing."""
        raise StoreError("a simulation cannot settle a month")

    # -- aggregates ----------------------------------------------------------------------

    def totals(self, periods: Iterable[str], *, member_id: str | None = None) -> dict[str, int]:
        """member → hundredths over the months."""
        months = set(periods)
        result: dict[str, int] = {}
        for (member, month, *_key), (cents, _n) in self._sums.items():
            if month in months and (member_id is None or member == member_id):
                result[member] = result.get(member, 0) + cents
        return result

    def totals_by_kind(self, periods: Iterable[str]) -> dict[str, dict[str, int]]:
        """member → kind → hundredths over the months."""
        months = set(periods)
        result: dict[str, dict[str, int]] = {}
        for (member, month, _rs, _v, _rule, kind, _reason), (cents, _n) in self._sums.items():
            if month in months:
                kinds = result.setdefault(member, {})
                kinds[kind] = kinds.get(kind, 0) + cents
        return result

    def totals_by_month(self, periods: Iterable[str]) -> dict[str, dict[str, int]]:
        """member → month → hundredths over the months."""
        months = set(periods)
        result: dict[str, dict[str, int]] = {}
        for (member, month, *_key), (cents, _n) in self._sums.items():
            if month in months:
                by_month = result.setdefault(member, {})
                by_month[month] = by_month.get(month, 0) + cents
        return result

    def totals_by_rule(
        self, periods: Iterable[str], *, member_id: str | None = None
    ) -> dict[str, dict[RuleKey, tuple[int, int]]]:
        """member → (ruleset, version, rule, kind, reason) → (hundredths, entries) over the months."""
        months = set(periods)
        result: dict[str, dict[RuleKey, tuple[int, int]]] = {}
        for (member, month, *key), (cents, count) in self._sums.items():
            if month in months and (member_id is None or member == member_id):
                rules = result.setdefault(member, {})
                rule = RuleKey(key[0], key[1], key[2], key[3], key[4])
                before = rules.get(rule, (0, 0))
                rules[rule] = (before[0] + cents, before[1] + count)
        return result


def rule_key(row: EntryRow) -> RuleKey:
    """An entry row's (ruleset, version, rule, kind, reason)."""
    return RuleKey(row.ruleset, row.version, row.rule, row.kind, row.reason)


def entry_role(row: EntryRow) -> str:
    """``derived`` for a deduction derived from the entry's event (``schema.is_derived``: reason
    ``derived``, or ``ref`` its own event's id — a late report's deduction a count limit cut or a
    cap clipped reads ``limit`` or ``cap``), ``main`` for the event's own award (rule, cap,
    limit, correction)."""
    return "derived" if is_derived(row.event_id, row.reason, row.ref) else "main"


@attrs.frozen
class PendingReversal:
    """A reversal of an event's entry, to be re-applied to that entry's simulated points."""

    member_id: str
    month: str
    event_id: str
    role: str


def carry_over(store: Store, months: Sequence[str], sink: ScoreSink) -> list[PendingReversal]:
    """Add the months' entries that score no event (period awards, decisions…) to ``sink``.

    A reversal of an event's entry (an upheld appeal, a correction) is not carried as booked:
    it cancelled the *old* points, so it is returned, its event watched, and ``apply_reversals``
    cancels the *simulated* points instead (nothing when the event is not replayed, as for a
    corrected event). A reversal of anything else (a period award) is carried as booked.
    """
    reversals: list[EntryRow] = []
    for row in store.entry_rows(periods=months):
        if row.reason in EVENT_REASONS:
            continue
        if row.reason == "reversal" and _target_seq(row.ref) is not None:
            reversals.append(row)
        else:
            sink.add(row.member_id, row.period, rule_key(row), row.points_cents)
    if not reversals:
        return []
    seqs = sorted({seq for row in reversals if (seq := _target_seq(row.ref)) is not None})
    targets = {row.seq: row for row in store.entry_rows(seqs=seqs)}
    pending = []
    for row in reversals:
        target = targets.get(_target_seq(row.ref) or 0)
        if target is None or target.reason not in EVENT_REASONS:
            sink.add(row.member_id, row.period, rule_key(row), row.points_cents)
            continue
        sink.watch(target.event_id)
        pending.append(PendingReversal(row.member_id, row.period, target.event_id, entry_role(target)))
    return pending


def apply_reversals(sink: ScoreSink, pending: Iterable[PendingReversal]) -> None:
    """Cancel each reversed entry's simulated points (and, for schemes, its count) under the
    proposal's rule, where and when the reversal was booked."""
    for item in pending:
        simulated = sink.simulated(item.event_id, item.role)
        if simulated is not None:
            key, cents = simulated
            sink.add(item.member_id, item.month, key._replace(reason="reversal"), -cents)


def _target_seq(ref: str) -> int | None:
    """The entry seq a reversal's ``ref`` (``seq:123``) points at, or None."""
    if ref.startswith("seq:") and ref[4:].isdigit():
        return int(ref[4:])
    return None


class Overlay:
    """Aggregates of the simulated months from ``simulated``; any other month from ``real``."""

    def __init__(self, simulated: ScoreSink, real: Store, months: Iterable[str]) -> None:
        self.simulated = simulated
        self.real = real
        self.months = frozenset(months)

    def _simulated(self, periods: Iterable[str]) -> tuple[bool, list[str]]:
        wanted = list(periods)
        return set(wanted) <= self.months, wanted

    def totals(self, periods: Iterable[str], *, member_id: str | None = None) -> Mapping[str, int]:
        """member → hundredths."""
        simulated, wanted = self._simulated(periods)
        source = self.simulated if simulated else self.real
        return source.totals(wanted, member_id=member_id)

    def totals_by_kind(self, periods: Iterable[str]) -> Mapping[str, Mapping[str, int]]:
        """member → kind → hundredths."""
        simulated, wanted = self._simulated(periods)
        return self.simulated.totals_by_kind(wanted) if simulated else self.real.totals_by_kind(wanted)

    def totals_by_month(self, periods: Iterable[str]) -> Mapping[str, Mapping[str, int]]:
        """member → month → hundredths."""
        simulated, wanted = self._simulated(periods)
        return self.simulated.totals_by_month(wanted) if simulated else self.real.totals_by_month(wanted)

    def totals_by_rule(
        self, periods: Iterable[str], *, member_id: str | None = None
    ) -> Mapping[str, Mapping[RuleKey, tuple[int, int]]]:
        """member → (ruleset, version, rule, kind, reason) → (hundredths, entries)."""
        simulated, wanted = self._simulated(periods)
        source = self.simulated if simulated else self.real
        return source.totals_by_rule(wanted, member_id=member_id)
