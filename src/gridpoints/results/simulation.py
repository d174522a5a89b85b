"""The machinery of a what-if: replay a period's booked events into sums, never into the ledger.

``replay_events`` streams the booked events; a ``Pipeline`` built on the proposed rules books
them into a ``ScoreSink`` (a write-only transaction that keeps sums per member, month and
kind); ``carry_over`` adds the entries that score no event and schedules reversals, which
``apply_reversals`` re-applies to the simulated points; ``Overlay`` answers the report
aggregates from the sink for the simulated months and from the real store for the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

import attrs

from gridpoints.errors import StoreError
from gridpoints.model import Event
from gridpoints.schema import (
    EVENT_REASONS,
    GENESIS,
    CapKey,
    DecisionRow,
    EntryRow,
    EntryValues,
    EventValues,
    PeriodCloseRow,
)
from gridpoints.stores import Store

__all__ = ["Overlay", "PendingReversal", "ScoreSink", "apply_reversals", "carry_over", "entry_role", "replay_events"]


def replay_events(store: Store, months: Sequence[str]) -> Iterator[Event]:
    """The booked events of the months, streamed from the store."""
    for event_id, payload in store.booked_events(months):
        yield Event.from_payload(event_id, payload)


class ScoreSink:
    """A write-only ``Transaction`` for simulations: it keeps sums, not entries.

    It starts empty, so it knows no event ids, no history and no cap totals (the pipeline keeps
    running cap totals for the whole call itself). ``closed`` months are reported closed, so a
    late event is moved forward exactly as it was when booked. For ``watched`` events it also
    keeps the points of each entry role (``main`` or ``derived``), so reversals of their entries
    can be re-applied to the simulated points. It answers the report aggregates.
    """

    def __init__(self, closed: Iterable[str] = ()) -> None:
        self.head: tuple[int, str] = (0, GENESIS)
        self._closed = set(closed)
        self._cents: dict[tuple[str, str, str], int] = {}
        self._watched: dict[tuple[str, str], int] = {}

    def watch(self, event_id: str) -> None:
        """Keep the simulated points of this event's entries, by role."""
        self._watched.setdefault((event_id, "main"), 0)
        self._watched.setdefault((event_id, "derived"), 0)

    def simulated(self, event_id: str, role: str) -> int:
        """Simulated hundredths of a watched event's ``main`` or ``derived`` entries."""
        return self._watched.get((event_id, role), 0)

    def add(self, member_id: str, month: str, kind: str, cents: int) -> None:
        """Count ``cents`` for a member's kind in a month."""
        key = (member_id, month, kind)
        self._cents[key] = self._cents.get(key, 0) + cents

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

    def append(self, entries: Sequence[EntryValues], events: Sequence[EventValues]) -> None:
        """Add the entries' points to the sums; drop everything else."""
        watched = self._watched
        # Unpacked, not named: this runs once per simulated entry, and writers hand plain tuples.
        for _, member_id, event_id, kind, period, _, cents, _, _, _, _, _, _, reason, _, _, _ in entries:
            self.add(member_id, period, kind, cents)
            if watched:
                key = (event_id, entry_role(reason))
                if key in watched:
                    watched[key] += cents
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
        for (member, month, _kind), cents in self._cents.items():
            if month in months and (member_id is None or member == member_id):
                result[member] = result.get(member, 0) + cents
        return result

    def totals_by_kind(self, periods: Iterable[str]) -> dict[str, dict[str, int]]:
        """member → kind → hundredths over the months."""
        months = set(periods)
        result: dict[str, dict[str, int]] = {}
        for (member, month, kind), cents in self._cents.items():
            if month in months:
                kinds = result.setdefault(member, {})
                kinds[kind] = kinds.get(kind, 0) + cents
        return result

    def totals_by_month(self, periods: Iterable[str]) -> dict[str, dict[str, int]]:
        """member → month → hundredths over the months."""
        months = set(periods)
        result: dict[str, dict[str, int]] = {}
        for (member, month, _kind), cents in self._cents.items():
            if month in months:
                by_month = result.setdefault(member, {})
                by_month[month] = by_month.get(month, 0) + cents
        return result


def entry_role(reason: str) -> str:
    """``derived`` for a derived deduction, ``main`` for an event's own award (rule, cap, correction)."""
    return "derived" if reason == "derived" else "main"


@attrs.frozen
class PendingReversal:
    """A reversal of an event's entry, to be re-applied to that entry's simulated points."""

    member_id: str
    month: str
    kind: str
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
            sink.add(row.member_id, row.period, row.kind, row.points_cents)
    if not reversals:
        return []
    seqs = sorted({seq for row in reversals if (seq := _target_seq(row.ref)) is not None})
    targets = {row.seq: row for row in store.entry_rows(seqs=seqs)}
    pending = []
    for row in reversals:
        target = targets.get(_target_seq(row.ref) or 0)
        if target is None or target.reason not in EVENT_REASONS:
            sink.add(row.member_id, row.period, row.kind, row.points_cents)
            continue
        sink.watch(target.event_id)
        pending.append(PendingReversal(row.member_id, row.period, row.kind, target.event_id, entry_role(target.reason)))
    return pending


def apply_reversals(sink: ScoreSink, pending: Iterable[PendingReversal]) -> None:
    """Cancel the simulated points of each reversed entry, where and when the reversal was booked."""
    for item in pending:
        sink.add(item.member_id, item.month, item.kind, -sink.simulated(item.event_id, item.role))


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
