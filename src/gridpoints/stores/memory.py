"""The in-memory store: the reference implementation of the Store protocol.

Rows are kept as the writers hand them (tuples in column order) and named when read, so
ingest pays nothing for the names (see ``gridpoints.schema``).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal

from gridpoints.errors import StoreError
from gridpoints.model import Member
from gridpoints.schema import (
    BOOKED,
    EVENT_REASONS,
    GENESIS,
    HELD,
    CapKey,
    DecisionRow,
    EntryRow,
    EntryValues,
    EventBinding,
    EventRow,
    EventValues,
    IntakeBinding,
    IntakeRow,
    PeriodCloseRow,
    RuleKey,
    is_derived,
    named,
)
from gridpoints.stores import chained_head, checked_settings, checked_versions, limit_rows, limit_units
from gridpoints.stores.intakes import IntakeLog, intake_genesis

__all__ = ["MemoryStore"]


class _MemoryTransaction:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.head = store.head()
        self.entries: list[EntryValues] = []
        self.events: dict[str, EventValues] = {}
        # member id → ids of this transaction's events, so history() reads only those members.
        self.event_ids_by_member: dict[str, list[str]] = {}
        self.statuses: dict[str, str] = {}
        self.decisions: list[DecisionRow] = []
        self.closes: list[PeriodCloseRow] = []
        self.settled: dict[str, int] = {}
        head = store.intake_head()
        if head[0] == 0:  # rows stored without an intake (only by hand: this store logs every write)
            head = (0, intake_genesis(sum(1 for event_id in store._events if event_id not in store._intake_of)))
        self.intakes = IntakeLog(head)

    def _event(self, event_id: str) -> EventRow | None:
        """The event as this transaction sees it: staged or stored, with any new status."""
        values = self.events.get(event_id) or self._store._events.get(event_id)
        if values is None:
            return None
        row = EventRow._make(values)
        status = self.statuses.get(event_id)
        return row if status is None else row._replace(status=status)

    def lookup(self, event_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        found = {}
        for event_id in event_ids:
            row = self._event(event_id)
            if row is not None:
                found[event_id] = (row.payload, row.status)
        return found

    def history(self, member_ids: Sequence[str], start_us: int, end_us: int) -> list[tuple[str, str]]:
        # Per-member indexes, not a scan of every stored event: ingest asks once per chunk, and a
        # scan would make a long ingest quadratic. Rows are unpacked, not named: this runs over
        # every stored event of the chunk's members.
        known, stored_ids, own_ids = self._store._events, self._store._event_ids_by_member, self.event_ids_by_member
        staged = self.events
        found: list[tuple[str, str]] = []
        for member_id in dict.fromkeys(member_ids):
            for event_id in dict.fromkeys([*stored_ids.get(member_id, ()), *own_ids.get(member_id, ())]):
                _, _, _, occurred_us, _, status, payload, _, _, _ = staged.get(event_id) or known[event_id]
                if start_us <= occurred_us <= end_us and status in (BOOKED, HELD):
                    found.append((event_id, payload))
        return found

    def cap_totals(self, keys: Iterable[CapKey]) -> dict[CapKey, int]:
        wanted = set(keys)
        totals: dict[CapKey, int] = {}
        for _, member_id, _, _, period, day, cents, _, _, rule, ruleset, *_ in self._store._entries + self.entries:
            for scope, value in (("day", day), ("period", period)):
                key = CapKey(member_id, ruleset, rule, scope, value)
                if key in wanted:
                    totals[key] = totals.get(key, 0) + cents
        return totals

    def limit_totals(self, keys: Iterable[CapKey]) -> dict[CapKey, Decimal]:
        totals: dict[CapKey, Decimal] = {}
        for key in set(keys):
            rows = list(limit_rows(self._store._entries + self.entries, key))
            if rows:
                totals[key] = limit_units(rows)
        return totals

    def append(self, entries: Sequence[EntryValues], events: Sequence[EventValues]) -> None:
        self.head = chained_head(self.head, entries)
        self.entries.extend(entries)
        self.intakes.add(events)
        for values in events:
            event_id, member_id = values[:2]
            if event_id not in self.events:
                self.event_ids_by_member.setdefault(member_id, []).append(event_id)
            self.events[event_id] = values

    def set_status(self, event_id: str, status: str) -> None:
        self.statuses[event_id] = status

    def is_settled(self, period: str) -> bool:
        return period in self._store._settled or period in self.settled

    def mark_settled(self, period: str, head_seq: int) -> None:
        self.settled[period] = head_seq

    def entry_rows(
        self,
        *,
        seqs: Sequence[int] | None = None,
        event_ids: Sequence[str] | None = None,
        refs: Sequence[str] | None = None,
    ) -> list[EntryRow]:
        rows = named(EntryRow, self._store._entries + self.entries)
        return [row for row in rows if _matches(row, seqs, event_ids, refs)]

    def add_decisions(self, rows: Sequence[DecisionRow]) -> None:
        self.decisions.extend(named(DecisionRow, rows))

    def decision_rows(self, *, subjects: Sequence[str]) -> list[DecisionRow]:
        wanted = set(subjects)
        return [row for row in named(DecisionRow, self._store._decisions + self.decisions) if row.subject in wanted]

    def closed_periods(self) -> set[str]:
        return set(self._store._closes) | {row.period for row in self.closes}

    def add_period_close(self, row: PeriodCloseRow) -> None:
        close = PeriodCloseRow._make(row)
        if close.period in self.closed_periods():
            raise StoreError(f"period {close.period} is already closed")
        self.closes.append(close)


def _matches(
    row: EntryRow, seqs: Container[int] | None, event_ids: Container[str] | None, refs: Container[str] | None
) -> bool:
    """Whether an entry row matches every filter given."""
    return (
        (seqs is None or row.seq in seqs)
        and (event_ids is None or row.event_id in event_ids)
        and (refs is None or row.ref in refs)
    )


class MemoryStore:
    """Everything in Python lists and dicts; lost when the process ends."""

    def __init__(self) -> None:
        self.url = "memory:"
        self._entries: list[EntryValues] = []
        self._events: dict[str, EventValues] = {}
        self._event_ids_by_member: dict[str, list[str]] = {}
        self._members: dict[str, Member] = {}
        self._settings: dict[str, str] = {}
        self._versions: dict[tuple[str, str], str] = {}
        self._decisions: list[DecisionRow] = []
        self._closes: dict[str, PeriodCloseRow] = {}
        self._settled: dict[str, int] = {}
        self._intakes: list[IntakeRow] = []
        # event id → seq of the intake that wrote its row (the events table's intake_seq column).
        self._intake_of: dict[str, int] = {}
        self._in_transaction = False

    def check_settings(self, tz: str, ruleset: str, *, migrate: bool = False, rule_files: str | None = None) -> None:
        self._settings.update(
            checked_settings(self.url, self._settings, tz, ruleset, migrate=migrate, rule_files=rule_files)
        )

    def settings(self) -> dict[str, str]:
        return dict(self._settings)

    def register_versions(self, versions: Iterable[tuple[str, str, str]]) -> None:
        for ruleset, version, digest in checked_versions(versions, self._versions):
            self._versions[(ruleset, version)] = digest

    def upsert_members(self, members: Sequence[Member]) -> None:
        for member in members:
            self._members[member.id] = member

    def members(self) -> list[Member]:
        return [self._members[k] for k in sorted(self._members)]

    @contextmanager
    def transaction(self) -> Iterator[_MemoryTransaction]:
        if self._in_transaction:
            raise StoreError("the memory store does not nest transactions")
        self._in_transaction = True
        try:
            tx = _MemoryTransaction(self)
            yield tx
            self._entries.extend(tx.entries)
            for member_id, event_ids in tx.event_ids_by_member.items():
                index = self._event_ids_by_member.setdefault(member_id, [])
                index.extend(i for i in event_ids if i not in self._events)
            self._events.update(tx.events)
            intake = tx.intakes.row()
            if intake is not None:
                self._intakes.append(intake)
                self._intake_of.update(dict.fromkeys(tx.events, intake.seq))
            self._decisions.extend(tx.decisions)
            for close in tx.closes:
                self._closes[close.period] = close
            self._settled.update(tx.settled)
            for event_id, status in tx.statuses.items():
                self._events[event_id] = EventRow._make(self._events[event_id])._replace(status=status)
        finally:
            self._in_transaction = False

    def head(self) -> tuple[int, str]:
        if not self._entries:
            return (0, GENESIS)
        last = EntryRow._make(self._entries[-1])
        return (last.seq, last.hash)

    def entry_rows(
        self,
        *,
        member_id: str | None = None,
        periods: Iterable[str] | None = None,
        seqs: Iterable[int] | None = None,
        event_ids: Iterable[str] | None = None,
        refs: Iterable[str] | None = None,
    ) -> Iterator[EntryRow]:
        wanted = None if periods is None else set(periods)
        seq_set = None if seqs is None else set(seqs)
        event_set = None if event_ids is None else set(event_ids)
        ref_set = None if refs is None else set(refs)
        for row in named(EntryRow, list(self._entries)):
            if member_id is not None and row.member_id != member_id:
                continue
            if wanted is not None and row.period not in wanted:
                continue
            if _matches(row, seq_set, event_set, ref_set):
                yield row

    def chain_rows(self) -> Iterator[EntryValues]:
        return iter(list(self._entries))

    def totals(self, periods: Iterable[str], *, member_id: str | None = None) -> dict[str, int]:
        totals: dict[str, int] = {}
        for row in self.entry_rows(member_id=member_id, periods=periods):
            totals[row.member_id] = totals.get(row.member_id, 0) + row.points_cents
        return totals

    def totals_by_kind(self, periods: Iterable[str], *, member_id: str | None = None) -> dict[str, dict[str, int]]:
        totals: dict[str, dict[str, int]] = {}
        for row in self.entry_rows(member_id=member_id, periods=periods):
            kinds = totals.setdefault(row.member_id, {})
            kinds[row.kind] = kinds.get(row.kind, 0) + row.points_cents
        return totals

    def totals_by_month(self, periods: Iterable[str]) -> dict[str, dict[str, int]]:
        totals: dict[str, dict[str, int]] = {}
        for row in self.entry_rows(periods=periods):
            months = totals.setdefault(row.member_id, {})
            months[row.period] = months.get(row.period, 0) + row.points_cents
        return totals

    def totals_by_rule(
        self, periods: Iterable[str], *, member_id: str | None = None
    ) -> dict[str, dict[RuleKey, tuple[int, int]]]:
        totals: dict[str, dict[RuleKey, tuple[int, int]]] = {}
        for row in self.entry_rows(member_id=member_id, periods=periods):
            rules = totals.setdefault(row.member_id, {})
            key = RuleKey(row.ruleset, row.version, row.rule, row.kind, row.reason)
            cents, count = rules.get(key, (0, 0))
            rules[key] = (cents + row.points_cents, count + 1)
        return totals

    def quantities_by_kind(self, periods: Iterable[str]) -> dict[str, dict[str, Decimal]]:
        totals: dict[str, dict[str, Decimal]] = {}
        for row in self.entry_rows(periods=periods):
            if row.reason in EVENT_REASONS:
                kinds = totals.setdefault(row.member_id, {})
                kinds[row.kind] = kinds.get(row.kind, Decimal(0)) + Decimal(row.quantity)
        return totals

    def booked_events(self, periods: Iterable[str], *, kinds: Iterable[str] | None = None) -> Iterator[tuple[str, str]]:
        months = set(periods)
        wanted = None if kinds is None else set(kinds)
        ids = {row.event_id for row in self.entry_rows(periods=months) if row.reason in EVENT_REASONS}
        rows = [
            row
            for row in self.event_rows(event_ids=ids)
            if row.status == BOOKED and (wanted is None or row.kind in wanted)
        ]
        for row in rows:
            yield row.event_id, row.payload

    def settled_periods(self) -> set[str]:
        return set(self._settled)

    def event_bindings(self) -> Iterator[EventBinding]:
        own: dict[str, tuple[EntryRow, int]] = {}
        for entry in named(EntryRow, self._entries):
            if entry.reason in EVENT_REASONS:
                earliest, count = own.get(entry.event_id, (entry, 0))
                own[entry.event_id] = (earliest, count + (not is_derived(entry.event_id, entry.reason, entry.ref)))
        found: list[EventBinding] = []
        for event_id in [*self._events, *(i for i in own if i not in self._events)]:
            stored = self._events.get(event_id)
            row = None if stored is None else EventRow._make(stored)
            first: EntryRow | None = None
            awards = 0
            if event_id in own:
                first, awards = own[event_id]
            found.append(
                EventBinding(
                    event_id,
                    None if row is None else row.member_id,
                    None if row is None else row.kind,
                    None if row is None else row.occurred_us,
                    None if row is None else row.status,
                    None if row is None else row.payload,
                    None if first is None else first.seq,
                    None if first is None else first.member_id,
                    None if first is None else first.kind,
                    None if first is None else first.quantity,
                    None if first is None else first.reason,
                    awards,
                )
            )
        return iter(found)

    def intake_bindings(self) -> Iterator[IntakeBinding]:
        none = (None,) * 10
        lines = [IntakeBinding(row.seq, *row[1:], *none) for row in self._intakes]
        lines.extend(
            IntakeBinding(self._intake_of.get(event_id, 0), None, None, None, None, *values)
            for event_id, values in self._events.items()
        )
        # Stable: an intake's row (listed first) stays before its events.
        return iter(sorted(lines, key=lambda line: line.intake_seq))

    def intake_head(self) -> tuple[int, str]:
        if not self._intakes:
            return (0, GENESIS)
        last = self._intakes[-1]
        return (last.seq, last.hash)

    def settlements(self) -> dict[str, int]:
        return dict(self._settled)

    def ruleset_versions(self) -> dict[tuple[str, str], str]:
        return dict(self._versions)

    def event_rows(self, *, status: str | None = None, event_ids: Iterable[str] | None = None) -> list[EventRow]:
        if event_ids is not None:
            found = (self._events[i] for i in event_ids if i in self._events)
        else:
            found = (values for values in self._events.values())
        rows = [row for row in named(EventRow, found) if status is None or row.status == status]
        return sorted(rows, key=lambda r: (r.occurred_us, r.event_id))

    def decision_rows(
        self, *, subjects: Iterable[str] | None = None, actions: Iterable[str] | None = None
    ) -> list[DecisionRow]:
        subject_set = None if subjects is None else set(subjects)
        action_set = None if actions is None else set(actions)
        return [
            row
            for row in self._decisions
            if (subject_set is None or row.subject in subject_set) and (action_set is None or row.action in action_set)
        ]

    def period_closes(self, *, periods: Iterable[str] | None = None) -> list[PeriodCloseRow]:
        wanted = None if periods is None else set(periods)
        return [self._closes[p] for p in sorted(self._closes) if wanted is None or p in wanted]

    def close(self) -> None:
        """Nothing to release."""

    # Test hook: the conformance suite tampers with stored rows through this.
    def _replace_entry(self, index: int, row: EntryValues) -> None:
        self._entries[index] = row
