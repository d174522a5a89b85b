"""The in-memory store: the reference implementation of the Store protocol."""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from gridpoints.errors import ConfigurationError, StoreError
from gridpoints.ledger.chain import GENESIS
from gridpoints.model import Member
from gridpoints.stores import (
    EVENT_REASONS,
    CapKey,
    DecisionRow,
    EntryRow,
    EventRow,
    PeriodCloseRow,
    RuleKey,
    chained_head,
    limit_rows,
    limit_units,
)

__all__ = ["MemoryStore"]

_P = 4  # index of period in an entry row
_MEMBER = 1
_KIND = 3
_CENTS = 6
_QUANTITY = 8
_REASON = 13


class _MemoryTransaction:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.head = store.head()
        self.entries: list[EntryRow] = []
        self.events: dict[str, EventRow] = {}
        # member id → ids of this transaction's events, so history() reads only those members.
        self.event_ids_by_member: dict[str, list[str]] = {}
        self.statuses: dict[str, str] = {}
        self.decisions: list[DecisionRow] = []
        self.closes: list[PeriodCloseRow] = []
        self.settled: dict[str, int] = {}

    def lookup(self, event_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        known = self._store._events
        found = {}
        for event_id in event_ids:
            row = self.events.get(event_id) or known.get(event_id)
            if row is not None:
                found[event_id] = (row[6], self.statuses.get(event_id, row[5]))
        return found

    def history(self, member_ids: Sequence[str], start_us: int, end_us: int) -> list[tuple[str, str]]:
        # Per-member indexes, not a scan of every stored event: ingest asks once per chunk, and a
        # scan would make a long ingest quadratic.
        known, stored_ids, own_ids = self._store._events, self._store._event_ids_by_member, self.event_ids_by_member
        found: list[tuple[str, str]] = []
        for member_id in dict.fromkeys(member_ids):
            for event_id in dict.fromkeys([*stored_ids.get(member_id, ()), *own_ids.get(member_id, ())]):
                row = self.events.get(event_id) or known[event_id]
                if start_us <= row[3] <= end_us and row[5] in ("booked", "held"):
                    found.append((row[0], row[6]))
        return found

    def cap_totals(self, keys: Iterable[CapKey]) -> dict[CapKey, int]:
        wanted = set(keys)
        totals: dict[CapKey, int] = {}
        for row in self._store._entries + self.entries:
            for scope, value in (("day", row[5]), ("period", row[4])):
                key = (row[1], row[10], row[9], scope, value)
                if key in wanted:
                    totals[key] = totals.get(key, 0) + int(row[6])  # type: ignore[call-overload]
        return totals

    def limit_totals(self, keys: Iterable[CapKey]) -> dict[CapKey, Decimal]:
        totals: dict[CapKey, Decimal] = {}
        for key in set(keys):
            rows = list(limit_rows(self._store._entries + self.entries, key))
            if rows:
                totals[key] = limit_units(rows)
        return totals

    def append(self, entries: Sequence[EntryRow], events: Sequence[EventRow]) -> None:
        self.head = chained_head(self.head, entries)
        self.entries.extend(entries)
        for row in events:
            if row[0] not in self.events:
                self.event_ids_by_member.setdefault(row[1], []).append(row[0])
            self.events[row[0]] = row

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
        return [
            row
            for row in self._store._entries + self.entries
            if _matches(row, seqs, event_ids, refs)
        ]

    def add_decisions(self, rows: Sequence[DecisionRow]) -> None:
        self.decisions.extend(rows)

    def decision_rows(self, *, subjects: Sequence[str]) -> list[DecisionRow]:
        wanted = set(subjects)
        return [row for row in self._store._decisions + self.decisions if row[2] in wanted]

    def closed_periods(self) -> set[str]:
        return set(self._store._closes) | {row[0] for row in self.closes}

    def add_period_close(self, row: PeriodCloseRow) -> None:
        if row[0] in self.closed_periods():
            raise StoreError(f"period {row[0]} is already closed")
        self.closes.append(row)


def _matches(
    row: EntryRow, seqs: Container[object] | None, event_ids: Container[object] | None, refs: Container[object] | None
) -> bool:
    """Whether an entry row matches every filter given."""
    return (
        (seqs is None or row[0] in seqs)
        and (event_ids is None or row[2] in event_ids)
        and (refs is None or row[14] in refs)
    )


class MemoryStore:
    """Everything in Python lists and dicts; lost when the process ends."""

    def __init__(self) -> None:
        self.url = "memory:"
        self._entries: list[EntryRow] = []
        self._events: dict[str, EventRow] = {}
        self._event_ids_by_member: dict[str, list[str]] = {}
        self._members: dict[str, Member] = {}
        self._settings: dict[str, str] = {}
        self._versions: dict[tuple[str, str], str] = {}
        self._decisions: list[DecisionRow] = []
        self._closes: dict[str, PeriodCloseRow] = {}
        self._settled: dict[str, int] = {}
        self._in_transaction = False

    def check_settings(self, tz: str, ruleset: str, *, migrate: bool = False) -> None:
        wanted = {"tz": tz, "ruleset": ruleset}
        for key, value in wanted.items():
            old = self._settings.get(key)
            if old is not None and old != value and not migrate:
                raise ConfigurationError(
                    f"store {self.url} was created with {key}={old!r}, not {value!r} (pass migrate=True to change it)"
                )
        self._settings.update(wanted)

    def register_versions(self, versions: Iterable[tuple[str, str, str]]) -> None:
        versions = list(versions)
        for ruleset, version, digest in versions:
            old = self._versions.get((ruleset, version))
            if old is not None and old != digest:
                raise ConfigurationError(
                    f"rule set {ruleset} version {version} changed in place (digest {old[:12]} → "
                    f"{digest[:12]}); give the changed rules a new version"
                )
        for ruleset, version, digest in versions:
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
            self._decisions.extend(tx.decisions)
            for close in tx.closes:
                self._closes[close[0]] = close
            self._settled.update(tx.settled)
            for event_id, status in tx.statuses.items():
                row: Any = list(self._events[event_id])
                row[5] = status
                self._events[event_id] = tuple(row)
        finally:
            self._in_transaction = False

    def head(self) -> tuple[int, str]:
        if not self._entries:
            return (0, GENESIS)
        last = self._entries[-1]
        return (int(last[0]), str(last[16]))  # type: ignore[call-overload]

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
        filters = [None if f is None else set(f) for f in (seqs, event_ids, refs)]
        for row in list(self._entries):
            if member_id is not None and row[_MEMBER] != member_id:
                continue
            if wanted is not None and row[_P] not in wanted:
                continue
            if any(f is not None and row[i] not in f for f, i in zip(filters, (0, 2, 14), strict=True)):
                continue
            yield row

    def chain_rows(self) -> Iterator[EntryRow]:
        return iter(list(self._entries))

    def totals(self, periods: Iterable[str], *, member_id: str | None = None) -> dict[str, int]:
        totals: dict[str, int] = {}
        for row in self.entry_rows(member_id=member_id, periods=periods):
            member = str(row[_MEMBER])
            totals[member] = totals.get(member, 0) + int(row[6])  # type: ignore[call-overload]
        return totals

    def totals_by_kind(self, periods: Iterable[str], *, member_id: str | None = None) -> dict[str, dict[str, int]]:
        totals: dict[str, dict[str, int]] = {}
        for row in self.entry_rows(member_id=member_id, periods=periods):
            kinds = totals.setdefault(str(row[_MEMBER]), {})
            kinds[str(row[_KIND])] = kinds.get(str(row[_KIND]), 0) + int(row[_CENTS])  # type: ignore[call-overload]
        return totals

    def totals_by_month(self, periods: Iterable[str]) -> dict[str, dict[str, int]]:
        totals: dict[str, dict[str, int]] = {}
        for row in self.entry_rows(periods=periods):
            months = totals.setdefault(str(row[_MEMBER]), {})
            months[str(row[_P])] = months.get(str(row[_P]), 0) + int(row[_CENTS])  # type: ignore[call-overload]
        return totals

    def totals_by_rule(
        self, periods: Iterable[str], *, member_id: str | None = None
    ) -> dict[str, dict[RuleKey, tuple[int, int]]]:
        totals: dict[str, dict[RuleKey, tuple[int, int]]] = {}
        for row in self.entry_rows(member_id=member_id, periods=periods):
            rules = totals.setdefault(str(row[_MEMBER]), {})
            key = (str(row[10]), str(row[11]), str(row[9]), str(row[_KIND]), str(row[_REASON]))
            cents, count = rules.get(key, (0, 0))
            rules[key] = (cents + int(row[_CENTS]), count + 1)  # type: ignore[call-overload]
        return totals

    def quantities_by_kind(self, periods: Iterable[str]) -> dict[str, dict[str, Decimal]]:
        totals: dict[str, dict[str, Decimal]] = {}
        for row in self.entry_rows(periods=periods):
            if row[_REASON] in EVENT_REASONS:
                kinds = totals.setdefault(str(row[_MEMBER]), {})
                kinds[str(row[_KIND])] = kinds.get(str(row[_KIND]), Decimal(0)) + Decimal(str(row[_QUANTITY]))
        return totals

    def booked_events(self, periods: Iterable[str], *, kinds: Iterable[str] | None = None) -> Iterator[tuple[str, str]]:
        months = set(periods)
        wanted = None if kinds is None else set(kinds)
        ids = {str(r[2]) for r in self._entries if r[_P] in months and r[_REASON] in EVENT_REASONS}
        rows = [
            r
            for event_id in ids
            if (r := self._events.get(event_id)) is not None
            and r[5] == "booked"
            and (wanted is None or r[2] in wanted)
        ]
        for row in sorted(rows, key=lambda r: (r[3], r[0])):
            yield row[0], row[6]

    def settled_periods(self) -> set[str]:
        return set(self._settled)

    def event_rows(self, *, status: str | None = None, event_ids: Iterable[str] | None = None) -> list[EventRow]:
        if event_ids is not None:
            rows = [self._events[i] for i in event_ids if i in self._events]
        else:
            rows = list(self._events.values())
        if status is not None:
            rows = [r for r in rows if r[5] == status]
        return sorted(rows, key=lambda r: (r[3], r[0]))

    def decision_rows(
        self, *, subjects: Iterable[str] | None = None, actions: Iterable[str] | None = None
    ) -> list[DecisionRow]:
        subject_set = None if subjects is None else set(subjects)
        action_set = None if actions is None else set(actions)
        return [
            row
            for row in self._decisions
            if (subject_set is None or row[2] in subject_set) and (action_set is None or row[1] in action_set)
        ]

    def period_closes(self, *, periods: Iterable[str] | None = None) -> list[PeriodCloseRow]:
        wanted = None if periods is None else set(periods)
        return [self._closes[p] for p in sorted(self._closes) if wanted is None or p in wanted]

    def close(self) -> None:
        """Nothing to release."""

    # Test hook: the conformance suite tampers with stored rows through this.
    def _replace_entry(self, index: int, row: EntryRow) -> None:
        self._entries[index] = row
