"""The state of one ingest call: its outcomes so far, the ids it judged, running cap and limit
totals, and the entries staged while it judges, chained afterwards in input order."""

from __future__ import annotations

from decimal import Decimal

from gridpoints.ingest.booking import Booking, EntryFields
from gridpoints.ingest.outcomes import Rejection
from gridpoints.schema import CapKey
from gridpoints.stores import Transaction

__all__ = ["Call"]


class Call(Booking):
    """The state of one ingest call: outcomes so far, the chain head, running cap totals."""

    def __init__(self, tx: Transaction) -> None:
        super().__init__(tx)
        # Outcomes as (input index, event id): reported in input order whatever the judging order.
        self.accepted: list[tuple[int, str]] = []
        self.held: list[tuple[int, str]] = []
        self.rejected: list[Rejection] = []
        self.duplicates: list[tuple[int, str]] = []
        # Ids judged in this call (booked or held), with their payload and status.
        self.seen: dict[str, tuple[str, str]] = {}
        self.cap_used: dict[CapKey, int] = {}
        self.limit_used: dict[CapKey, Decimal] = {}  # units counted per count-limit key
        # While events are judged member by member in time order, their entries wait here, in
        # a slot per input index, to be chained in input order: the chain (and its hashes) of an
        # import stays what it always was, while verdicts and caps follow occurred_at. Slots,
        # not a sort by index: putting back in input order is then linear in the call.
        self.deferred: list[tuple[EntryFields, str | None] | None] | None = None
        self.deferred_more: dict[int, list[tuple[EntryFields, str | None]]] = {}  # an event's later entries
        self.index = 0  # the input index of the event being booked

    def chain(self, fields: EntryFields, tail: str | None = None) -> int:
        """Chain an entry now, or, while deferring, stage it under the current input index."""
        deferred = self.deferred
        if deferred is None:
            return super().chain(fields, tail)
        if deferred[self.index] is None:
            deferred[self.index] = (fields, tail)
        else:  # the event's second entry (a late report's deduction)
            self.deferred_more.setdefault(self.index, []).append((fields, tail))
        return 0  # no seq yet: the pipeline's entries are never referred to by seq

    def flush_chunks(self, size: int) -> None:
        """Hand the staged rows to the transaction ``size`` entries and events at a time."""
        entries, events = self.entries, self.events
        for start in range(0, max(len(entries), len(events)), size):
            self.tx.append(entries[start : start + size], events[start : start + size])
        self.entry_count += len(entries)
        self.entries, self.events = [], []

    def defer(self, inputs: int) -> None:
        """Stage entries from now on, in a slot for each of ``inputs`` input indexes."""
        self.deferred = [None] * inputs
        self.deferred_more = {}

    def chain_deferred(self) -> None:
        """Chain the staged entries in input order (an event's own entries in their order)."""
        deferred, self.deferred = self.deferred or [], None
        more, self.deferred_more = self.deferred_more, {}
        chain = super().chain
        for index, staged in enumerate(deferred):
            if staged is not None:
                chain(*staged)
                if more and index in more:
                    for fields, tail in more[index]:
                        chain(fields, tail)
