"""The Store protocol every ledger store implements, and the built-in stores."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

from gridpoints.model import Member

__all__ = ["EVENT_COLUMNS", "SCHEMA_VERSION", "CapKey", "EventRow", "Store", "Transaction"]

SCHEMA_VERSION = 1

#: Columns of table ``events``: every event booked, held or decided, with its canonical payload.
EVENT_COLUMNS = (
    "event_id",
    "member_id",
    "kind",
    "occurred_us",
    "period",
    "status",
    "payload",
    "hold_check",
    "hold_reason",
    "hold_ref",
)

EventRow = tuple[str, str, str, int, str, str, str, str, str, str]
#: (member_id, ruleset, rule, "day" or "period", the day or the month)
CapKey = tuple[str, str, str, str, str]
EntryRow = tuple[object, ...]


class Transaction(Protocol):
    """One atomic write: everything appended is durable at exit, or nothing is."""

    head: tuple[int, str]

    def lookup(self, event_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """``event_id → (payload, status)`` for the ids the store knows."""

    def history(self, member_ids: Sequence[str], start_us: int, end_us: int) -> list[tuple[str, str]]:
        """``(event_id, payload)`` of booked or held events of these members in the range."""

    def cap_totals(self, keys: Iterable[CapKey]) -> dict[CapKey, int]:
        """Points (in hundredths) already booked per cap key."""

    def append(self, entries: Sequence[EntryRow], events: Sequence[EventRow]) -> None:
        """Append entry rows (already chained, seq continuing ``head``) and event rows."""

    def set_status(self, event_id: str, status: str) -> None:
        """Change the review status of a held event."""


@runtime_checkable
class Store(Protocol):
    """A ledger store. See docs/stores.md; the conformance suite in tests/ pins the behaviour."""

    url: str

    def check_settings(self, tz: str, ruleset: str, *, migrate: bool = False) -> None:
        """Record tz and rule-set id on first use; refuse others later unless ``migrate``."""

    def register_versions(self, versions: Iterable[tuple[str, str, str]]) -> None:
        """Record ``(ruleset, version, digest)``; refuse a known version whose digest changed."""

    def upsert_members(self, members: Sequence[Member]) -> None:
        """Insert or replace members (atomically)."""

    def members(self) -> list[Member]:
        """Every member, by id."""

    def transaction(self) -> AbstractContextManager[Transaction]:
        """Begin an exclusive write (the chain head is read under the lock)."""

    def head(self) -> tuple[int, str]:
        """``(seq, hash)`` of the last entry, ``(0, GENESIS)`` when empty."""

    def entry_rows(self, *, member_id: str | None = None, periods: Iterable[str] | None = None) -> Iterator[EntryRow]:
        """Entry rows in seq order, filtered by member and months."""

    def chain_rows(self) -> Iterator[EntryRow]:
        """Every entry row in seq order, streamed."""

    def totals(self, periods: Iterable[str], *, member_id: str | None = None) -> dict[str, int]:
        """Sum of points (hundredths) per member over the months, aggregated in the store."""

    def event_rows(self, *, status: str | None = None, event_ids: Iterable[str] | None = None) -> list[EventRow]:
        """Stored events, filtered by status or ids, ordered by occurred time then id."""

    def close(self) -> None:
        """Release connections."""
