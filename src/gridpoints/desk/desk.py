"""The desk: what a human decision on the ledger needs — the store, the pipeline, a clock, a zone.

Review, appeals, corrections, closing, settling and what-if are given a ``Desk`` (and whatever
else each needs, explicitly: members, a report function…), never the Engine, so each can be
built and tested on a store and a pipeline alone. ``Desk.decide()`` is the one way they write:

    with desk.decide() as sitting:
        ...                              # read under the write lock through sitting.tx
        sitting.book(event)              # chain entries in sitting.booking
        sitting.record("approve", ...)   # a decision stamped with the desk's clock

It opens the store's write transaction, yields a ``Sitting``, and flushes what was staged when
the block ends; an error inside the block writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, tzinfo
from typing import Any, TypeVar

import attrs

from gridpoints.desk.parties import Party, refuse_own_case
from gridpoints.errors import StoreBusyError
from gridpoints.ingest.booking import Booking
from gridpoints.ingest.pipeline import Pipeline
from gridpoints.model import Event
from gridpoints.schema import DecisionRow
from gridpoints.stores import Store, Transaction

__all__ = ["Desk", "Sitting"]

T = TypeVar("T")
R = TypeVar("R")
#: How often ``Desk.decide_on`` reads again when other writers keep moving the ledger.
_READ_ATTEMPTS = 5


def _is_store(_desk: object, _field: object, value: Any) -> None:
    # Store is a runtime-checkable Protocol and tzinfo abstract: mypy refuses them to instance_of.
    if not isinstance(value, Store):
        raise TypeError(f"store: {value!r} is not a Store")


def _is_zone(_desk: object, _field: object, value: Any) -> None:
    if not isinstance(value, tzinfo):
        raise TypeError(f"tz: {value!r} is not a time zone")


@attrs.frozen
class Desk:
    """Where people decide: ``store``, the engine's ``pipeline`` (to book what they approve),
    its ``clock`` and zone ``tz``.

    ``allow_self_decisions`` switches off the rule that nobody decides their own case (for tests
    that play every part with one name; never in production — docs/fair-play.md).
    """

    store: Store = attrs.field(validator=_is_store)
    pipeline: Pipeline = attrs.field(validator=attrs.validators.instance_of(Pipeline))
    tz: tzinfo = attrs.field(validator=_is_zone)
    clock: Callable[[], datetime] = attrs.field(validator=attrs.validators.is_callable())
    allow_self_decisions: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))

    @contextmanager
    def decide(self) -> Iterator[Sitting]:
        """The store's write transaction, its booking and a decision recorder; staged entries,
        events and decisions are flushed when the block ends, nothing is written if it raises."""
        with self.store.transaction() as tx:
            sitting = Sitting(self, tx, self.pipeline.booking(tx))
            yield sitting
            sitting.booking.flush()

    def decide_on(self, read: Callable[[], T], act: Callable[[Sitting, T], R]) -> R:
        """``read()`` through the store, then ``act(sitting, value)`` in ``decide()`` — only if
        the ledger did not move in between, so ``act`` sees what ``read`` saw; else read again.

        For decisions that need the store's aggregate reads (a report to freeze, a month's
        totals to settle), which the transaction does not offer: read inside it, they would wait
        for the connection it holds (a PostgreSQL pool of one). StoreBusyError when the ledger
        moved under every one of ``_READ_ATTEMPTS`` reads.
        """
        for _ in range(_READ_ATTEMPTS):
            seen = self.store.head()
            value = read()
            with self.decide() as sitting:
                if sitting.tx.head != seen:
                    continue  # booked meanwhile by another writer: nothing written, read again
                return act(sitting, value)
        raise StoreBusyError(
            f"the ledger moved while it was read, {_READ_ATTEMPTS} times in a row; retry when the "
            "imports running now have finished"
        )

    def refuse_own_case(self, by: str, case: str, parties: Iterable[Party]) -> None:
        """ReviewError when ``by`` is one of ``case``'s parties (``gridpoints.desk.parties``),
        unless ``allow_self_decisions``."""
        if not self.allow_self_decisions:
            refuse_own_case(by, case, parties)


@attrs.define
class Sitting:
    """One ``Desk.decide()`` block: the write transaction ``tx``, the ``booking`` chaining what
    it stages, and ways to book an event and record a decision."""

    desk: Desk
    tx: Transaction
    booking: Booking

    def book(self, event: Event, *, reason: str = "rule", ref: str = "", new: bool = False) -> str:
        """Book ``event`` without checks (a person decided); see ``Pipeline.book_event``."""
        return self.desk.pipeline.book_event(self.booking, event, reason=reason, ref=ref, new=new)

    def record(
        self,
        action: str,
        subject: str,
        *,
        by: str,
        note: str = "",
        detail: Mapping[str, Any] | None = None,
        member_id: str = "",
        event_id: str = "",
        month: str,
        ref: str = "",
    ) -> DecisionRow:
        """Stage a decision stamped with the desk's clock (its ``day`` in the desk's zone);
        return its row (``row.seq`` is the decision's id)."""
        now = self.desk.clock()
        self.booking.decide(
            action, subject, by=by, at=now, note=note, detail=detail, member_id=member_id, event_id=event_id,
            month=month, day=now.astimezone(self.desk.tz).date().isoformat(), ref=ref,
        )  # fmt: skip
        return self.booking.decisions[-1]
