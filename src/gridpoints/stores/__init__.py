"""The Store protocol every ledger store implements, and the built-in stores."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from decimal import Decimal
from typing import Protocol, runtime_checkable

from gridpoints.errors import ConfigurationError, StoreError, StoreSettingsError
from gridpoints.model import Member
from gridpoints.periods import Period
from gridpoints.schema import (
    EVENT_COLUMNS,
    EVENT_REASONS,
    PERIOD_CLOSE_COLUMNS,
    CapKey,
    DecisionRow,
    EntryRow,
    EntryValues,
    EventBinding,
    EventRow,
    EventValues,
    IntakeBinding,
    PeriodCloseRow,
    RuleKey,
)

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
    "checked_settings",
    "checked_versions",
    "decode_rule_files",
    "encode_rule_files",
    "limit_rows",
    "limit_scope",
    "limit_units",
    "one_snapshot",
]

#: 1: entries, events, members, settings. 2: decisions and period_closes tables.
#: 3: the (period, member) index of entries also holds kind, so report sums read only it.
#: 4: the intake log (table intakes, events.intake_seq).
SCHEMA_VERSION = 4


def chained_head(head: tuple[int, str], entries: Sequence[EntryValues]) -> tuple[int, str]:
    """The chain head after appending ``entries`` to a ledger whose head is ``head``.

    Every store calls this before writing: the first entry must take the next seq and link to
    the head's hash, or the append is refused (``StoreError``) and nothing is written.
    """
    if not entries:
        return head
    expected = head[0] + 1
    first, last = EntryRow._make(entries[0]), EntryRow._make(entries[-1])
    if first.seq != expected or first.prev_hash != head[1]:
        raise StoreError(f"append does not continue the chain at seq {expected}")
    return last.seq, last.hash


def one_snapshot(store: object) -> AbstractContextManager[object]:
    """``store.snapshot()`` when the store has one (reads inside see one snapshot: SQLite,
    PostgreSQL), else a context that does nothing — what ``verify()`` and reports read inside."""
    snapshot = getattr(store, "snapshot", None)
    return nullcontext() if snapshot is None else snapshot()


def encode_rule_files(files: Sequence[tuple[str, str]]) -> str:
    """The ``rule_files`` setting: ``(path, content digest)`` of each rule file, as JSON."""
    return json.dumps([[path, digest] for path, digest in files], ensure_ascii=False, separators=(",", ":"))


def decode_rule_files(text: str | None) -> list[tuple[str, str]]:
    """``(path, digest)`` pairs of a ``rule_files`` setting (none when it was never recorded)."""
    if not text:
        return []
    return [(str(path), str(digest)) for path, digest in json.loads(text)]


def _rule_files_changed(url: str, stored: str, given: str) -> StoreSettingsError | None:
    """The error when the rule files' contents differ from those recorded (paths may move)."""
    old, new = decode_rule_files(stored), decode_rule_files(given)
    if sorted(d for _, d in old) == sorted(d for _, d in new):
        return None
    old_by_path = dict(old)
    for path, digest in new:
        if path in old_by_path and old_by_path[path] != digest:
            problem = (
                f"rule file {path} changed since store {url} recorded it "
                f"(digest {old_by_path[path][:12]} then, {digest[:12]} now)"
            )
            return StoreSettingsError(url, "rule_files", stored, given, problem=problem)

    def listed(files: list[tuple[str, str]]) -> str:
        return ", ".join(f"{path} ({digest[:12]})" for path, digest in files) or "none"

    problem = f"store {url} was created with rule files {listed(old)}, not {listed(new)}"
    return StoreSettingsError(url, "rule_files", stored, given, problem=problem)


def checked_settings(
    url: str, stored: Mapping[str, str], tz: str, ruleset: str, *, migrate: bool, rule_files: str | None = None
) -> dict[str, str]:
    """The settings an engine on ``tz``, ``ruleset`` and ``rule_files`` records in store ``url``.

    ``stored`` is what the store recorded when it was created; a different value is a
    ``StoreSettingsError`` naming the key, unless ``migrate``. ``rule_files``
    (``encode_rule_files``) compares by content: the same files at other paths are recorded
    anew, a changed one is refused naming it and both digests. None leaves them as they are.
    Every store calls this.
    """
    wanted = {"tz": tz, "ruleset": ruleset}
    if not migrate:
        for key, value in wanted.items():
            old = stored.get(key)
            if old is not None and old != value:
                raise StoreSettingsError(url, key, old, value)
    if rule_files is not None:
        old_files = stored.get("rule_files")
        if not migrate and old_files is not None:
            error = _rule_files_changed(url, old_files, rule_files)
            if error is not None:
                raise error
        wanted["rule_files"] = rule_files
    return wanted


def checked_versions(
    versions: Iterable[tuple[str, str, str]], known: Mapping[tuple[str, str], str]
) -> list[tuple[str, str, str]]:
    """The ``(ruleset, version, digest)`` not yet in ``known`` (``(ruleset, version) → digest``).

    A known version whose digest differs was changed in place: ``ConfigurationError``, naming
    the first such version in the order given. Every store calls this before recording.
    """
    new = []
    for ruleset, version, digest in versions:
        old = known.get((ruleset, version))
        if old is None:
            new.append((ruleset, version, digest))
        elif old != digest:
            raise ConfigurationError(
                f"rule set {ruleset} version {version} changed in place (digest {old[:12]} → "
                f"{digest[:12]}); give the changed rules a new version"
            )
    return new


def limit_scope(key: CapKey) -> tuple[str, list[str]]:
    """The entry column and values a count-limit key covers: its day, or its period's months.

    A count-limit key has a cap key's shape; its period may also be a quarter, a half-year or a
    year (``2026-Q1``).
    """
    if key.scope == "day":
        return "day", [key.value]
    return "period", [str(month) for month in Period.parse(key.value).months()]


def limit_rows(entries: Iterable[EntryValues], key: CapKey) -> Iterator[tuple[str, str, int]]:
    """``(reason, quantity, 1)`` of each entry row in a count-limit key's scope (for ``limit_units``)."""
    column, values = limit_scope(key)
    wanted = set(values)
    for row in entries:
        entry = EntryRow._make(row)
        if (entry.member_id, entry.ruleset, entry.rule) == key[:3] and getattr(entry, column) in wanted:
            yield entry.reason, entry.quantity, 1


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

    def append(self, entries: Sequence[EntryValues], events: Sequence[EventValues]) -> None:
        """Append entry rows (already chained, seq continuing ``head``) and event rows, each a
        tuple in column order (a named row is one too). Event rows carry the seq of this
        transaction's intake (``gridpoints.stores.intakes.IntakeLog``), whose row the store
        appends to the intake log at commit."""

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
    """A ledger store. See docs/stores.md; ``gridpoints.testing.stores`` pins the behaviour.

    Read methods return the named row types of ``gridpoints.schema`` (``chain_rows`` excepted).
    """

    url: str

    def check_settings(self, tz: str, ruleset: str, *, migrate: bool = False, rule_files: str | None = None) -> None:
        """Record tz, rule-set id and rule files (``encode_rule_files``; None: leave them) on
        first use; refuse others later (``StoreSettingsError``) unless ``migrate``."""

    def settings(self) -> dict[str, str]:
        """What ``check_settings`` recorded (``tz``, ``ruleset``, ``rule_files``); empty when new."""

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

    def chain_rows(self) -> Iterator[EntryValues]:
        """Every entry row in seq order, streamed; plain tuples will do (``verify()`` unpacks them)."""

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

    def event_bindings(self) -> Iterator[EventBinding]:
        """Every event row beside its own entries, in one read (one snapshot), streamed — what
        ``verify()`` matches: per event id that has a row or an entry of its own (reasons in
        ``EVENT_REASONS``), ``EventBinding`` (row columns None when there is no row; the first
        own entry's seq, member, kind, quantity and reason, and how many own entries not derived
        from it it has (``gridpoints.schema.is_derived``: reason ``derived`` or ``ref`` its own
        id) — None and 0 when it has none), in no particular order."""

    def intake_bindings(self) -> Iterator[IntakeBinding]:
        """The intake log and every event row, in one read (one snapshot), streamed, ordered by
        intake seq with each intake's row before its event rows (an event row's intake seq is the
        one it was written with; 0 before the intake log; event rows of one intake in no
        particular order) — what ``verify()`` recomputes each intake's digest from."""

    def intake_head(self) -> tuple[int, str]:
        """``(seq, hash)`` of the last intake row, ``(0, GENESIS)`` when there is none."""

    def settlements(self) -> dict[str, int]:
        """``month → head_seq`` of every settled month: the chain head after its awards
        (what ``verify()`` compares with the month's ``settle`` decision)."""

    def ruleset_versions(self) -> dict[tuple[str, str], str]:
        """``(ruleset, version) → digest`` of every registered rule-set version."""

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
