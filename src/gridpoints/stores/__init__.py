"""The Store protocol every ledger store implements, and the built-in stores."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Protocol, runtime_checkable

from gridpoints.errors import StoreError
from gridpoints.model import Member
from gridpoints.periods import Period

__all__ = [
    "EVENT_COLUMNS",
    "EVENT_REASONS",
    "PERIOD_CLOSE_COLUMNS",
    "SCHEMA_VERSION",
    "CapKey",
    "EventRow",
    "PeriodCloseRow",
    "RuleKey",
    "Store",
    "Transaction",
    "chained_head",
    "limit_rows",
    "limit_scope",
    "limit_units",
]

#: 1: entries, events, members, settings. 2: decisions and period_closes tables.
#: 3: the (period, member) index of entries also holds kind, so report sums read only it.
SCHEMA_VERSION = 3

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

#: Entry reasons that score an event itself (its rule award, a capped award, an award cut by a
#: count limit, a deduction derived from it, or a correction's replacement); other reasons
#: (period awards, reversals, decisions) stand beside events. Quantities in a period summary
#: count only these.
EVENT_REASONS = frozenset({"rule", "cap", "limit", "derived", "correction"})

EventRow = tuple[str, str, str, int, str, str, str, str, str, str]
#: Columns of table ``period_closes``: the month, the seq of its ``close`` decision entry, the
#: ledger head (seq, hash) the frozen report reflects, and the frozen report as JSON.
PERIOD_CLOSE_COLUMNS = ("period", "decision_seq", "head_seq", "head_hash", "report")
PeriodCloseRow = tuple[str, int, int, str, str]
#: (seq, action, subject, actor, at, note, detail): see gridpoints.ledger.decisions.DECISION_COLUMNS.
DecisionRow = tuple[int, str, str, str, str, str, str]
#: (member_id, ruleset, rule, "day" or "period", the day or the month). A count-limit key has the
#: same shape; its period may also be a quarter, a half-year or a year (``2026-Q1``).
CapKey = tuple[str, str, str, str, str]
#: (ruleset, version, rule, kind, reason): what ``Store.totals_by_rule`` groups a member's entries by.
RuleKey = tuple[str, str, str, str, str]
EntryRow = tuple[object, ...]


def chained_head(head: tuple[int, str], entries: Sequence[EntryRow]) -> tuple[int, str]:
    """The chain head after appending ``entries`` to a ledger whose head is ``head``.

    Every store calls this before writing: the first entry must take the next seq and link to
    the head's hash, or the append is refused (``StoreError``) and nothing is written.
    """
    if not entries:
        return head
    expected = head[0] + 1
    if entries[0][0] != expected or entries[0][15] != head[1]:
        raise StoreError(f"append does not continue the chain at seq {expected}")
    return int(entries[-1][0]), str(entries[-1][16])  # type: ignore[call-overload]


def limit_scope(key: CapKey) -> tuple[str, list[str]]:
    """The entry column and values a count-limit key covers: its day, or its period's months."""
    if key[3] == "day":
        return "day", [key[4]]
    return "period", [str(month) for month in Period.parse(key[4]).months()]


def limit_rows(entries: Iterable[EntryRow], key: CapKey) -> Iterator[tuple[str, str, int]]:
    """``(reason, quantity, 1)`` of each entry row in a count-limit key's scope (for ``limit_units``)."""
    column, values = limit_scope(key)
    index = 5 if column == "day" else 4
    for row in entries:
        if (row[1], row[10], row[9]) == key[:3] and row[index] in values:
            yield str(row[13]), str(row[8]), 1


def limit_units(rows: Iterable[tuple[str, str, int]]) -> Decimal:
    """Units counted toward a limit from ``(reason, quantity, entries)`` groups of the rule's
    entries in its scope: event entries add their quantity, reversals take theirs back."""
    total = Decimal(0)
    for reason, quantity, count in rows:
        if reason in EVENT_REASONS:
            total += Decimal(quantity) * count
        elif reason == "reversal":
            total -= Decimal(quantity) * count
    return total


class Transaction(Protocol):
    """One atomic write: everything appended is durable at exit, or nothing is."""

    head: tuple[int, str]

    def lookup(self, event_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """``event_id → (payload, status)`` for the ids the store knows."""

    def history(self, member_ids: Sequence[str], start_us: int, end_us: int) -> list[tuple[str, str]]:
        """``(event_id, payload)`` of booked or held events of these members in the range."""

    def cap_totals(self, keys: Iterable[CapKey]) -> dict[CapKey, int]:
        """Points (in hundredths) already booked per cap key."""

    def limit_totals(self, keys: Iterable[CapKey]) -> dict[CapKey, Decimal]:
        """Units already counted per count-limit key (``limit_scope``, ``limit_units``)."""

    def append(self, entries: Sequence[EntryRow], events: Sequence[EventRow]) -> None:
        """Append entry rows (already chained, seq continuing ``head``) and event rows."""

    def set_status(self, event_id: str, status: str) -> None:
        """Change the status of a stored event (held → booked/rejected, booked → corrected)."""

    def entry_rows(
        self,
        *,
        seqs: Sequence[int] | None = None,
        event_ids: Sequence[str] | None = None,
        refs: Sequence[str] | None = None,
    ) -> list[EntryRow]:
        """Entry rows (committed and staged in this transaction) matching every filter given,
        in seq order; read under the write lock, so decisions based on them cannot race."""

    def add_decisions(self, rows: Sequence[DecisionRow]) -> None:
        """Store decision rows (their ledger entries are appended in the same transaction)."""

    def decision_rows(self, *, subjects: Sequence[str]) -> list[DecisionRow]:
        """Decision rows (committed and staged) about these subjects, in seq order."""

    def closed_periods(self) -> set[str]:
        """The months closed so far, read under the write lock."""

    def add_period_close(self, row: PeriodCloseRow) -> None:
        """Record a closed month; a month already closed is a StoreError."""

    def is_settled(self, period: str) -> bool:
        """Whether month ``period`` was settled (read under the write lock)."""

    def mark_settled(self, period: str, head_seq: int) -> None:
        """Record month ``period`` as settled, with the chain head after its awards."""


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

    def entry_rows(
        self,
        *,
        member_id: str | None = None,
        periods: Iterable[str] | None = None,
        seqs: Iterable[int] | None = None,
        event_ids: Iterable[str] | None = None,
        refs: Iterable[str] | None = None,
    ) -> Iterator[EntryRow]:
        """Entry rows in seq order matching every filter given (member, months, seqs, the
        events they belong to, the ``ref`` they carry)."""

    def chain_rows(self) -> Iterator[EntryRow]:
        """Every entry row in seq order, streamed."""

    def totals(self, periods: Iterable[str], *, member_id: str | None = None) -> dict[str, int]:
        """Sum of points (hundredths) per member over the months, aggregated in the store."""

    def totals_by_kind(self, periods: Iterable[str], *, member_id: str | None = None) -> dict[str, dict[str, int]]:
        """``member → kind → hundredths`` over the months, aggregated in the store."""

    def totals_by_month(self, periods: Iterable[str]) -> dict[str, dict[str, int]]:
        """``member → month → hundredths`` over the months, aggregated in the store."""

    def totals_by_rule(
        self, periods: Iterable[str], *, member_id: str | None = None
    ) -> dict[str, dict[RuleKey, tuple[int, int]]]:
        """``member → (ruleset, version, rule, kind, reason) → (hundredths, entries)`` over the
        months, aggregated in the store: what an assessment scheme derives sections, tallies and
        vetoes from (the section of an entry follows from its rule-set version and rule)."""

    def quantities_by_kind(self, periods: Iterable[str]) -> dict[str, dict[str, Decimal]]:
        """``member → kind → summed quantity`` of event entries (reasons rule, cap, derived)."""

    def booked_events(self, periods: Iterable[str], *, kinds: Iterable[str] | None = None) -> Iterator[tuple[str, str]]:
        """``(event_id, payload)`` of booked events whose own entries (reasons in ``EVENT_REASONS``)
        lie in the months — a late event of a closed month counts where it was booked — ordered by
        occurred time then id, streamed."""

    def settled_periods(self) -> set[str]:
        """Months already settled (their period awards booked)."""

    def event_rows(self, *, status: str | None = None, event_ids: Iterable[str] | None = None) -> list[EventRow]:
        """Stored events, filtered by status or ids, ordered by occurred time then id."""

    def decision_rows(
        self, *, subjects: Iterable[str] | None = None, actions: Iterable[str] | None = None
    ) -> list[DecisionRow]:
        """Recorded decisions in seq order, filtered by subject and action."""

    def period_closes(self, *, periods: Iterable[str] | None = None) -> list[PeriodCloseRow]:
        """Closed months (all, or those named), by month."""

    def close(self) -> None:
        """Release connections."""
