"""The review queue (审核): events a check held, waiting for a human decision."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from gridpoints.errors import NotFoundError, ReviewError
from gridpoints.model import Event

if TYPE_CHECKING:
    from gridpoints.engine import Engine

__all__ = ["HeldEvent", "ReviewQueue"]


@attrs.frozen
class HeldEvent:
    """An event waiting for review, with the check that held it and why."""

    event: Event
    check: str
    reason: str
    ref: str | None


class ReviewQueue:
    """``eng.review``: list, approve and reject held events."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def pending(self) -> list[HeldEvent]:
        """Held events, oldest first."""
        return [
            HeldEvent(Event.from_payload(row[0], row[6]), row[7], row[8], row[9] or None)
            for row in self._engine.store.event_rows(status="held")
        ]

    def _held_row(self, event_id: str) -> tuple[object, ...]:
        rows = self._engine.store.event_rows(event_ids=[event_id])
        if not rows:
            raise NotFoundError(f"event_id: no held event {event_id!r}")
        if rows[0][5] != "held":
            raise ReviewError(f"event_id: event {event_id!r} is {rows[0][5]}, not held; it was decided already")
        return rows[0]

    def approve(self, event_id: str, *, by: str, note: str = "") -> int:
        """Book a held event with the rules in effect at its occurred_at; return entries booked."""
        if not by:
            raise ValueError("by: who approves must be named")
        row = self._held_row(event_id)
        event = Event.from_payload(event_id, str(row[6]))
        store = self._engine.store
        with store.transaction() as tx:
            # Re-read under the write lock: another engine may have decided meanwhile.
            found = tx.lookup([event_id]).get(event_id)
            if found is None or found[1] != "held":
                raise ReviewError(f"event_id: event {event_id!r} was decided meanwhile")
            return self._engine.pipeline.book_held(tx, event)

    def reject(self, event_id: str, *, by: str, reason: str) -> None:
        """Refuse a held event; it is remembered as rejected and never booked."""
        if not by:
            raise ValueError("by: who rejects must be named")
        if not reason:
            raise ValueError("reason: a rejection needs a reason")
        self._held_row(event_id)
        with self._engine.store.transaction() as tx:
            found = tx.lookup([event_id]).get(event_id)
            if found is None or found[1] != "held":
                raise ReviewError(f"event_id: event {event_id!r} was decided meanwhile")
            tx.set_status(event_id, "rejected")
