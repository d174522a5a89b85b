"""The review queue (审核): events a check held, waiting for a human decision."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from gridpoints._validate import check_id
from gridpoints.desk.desk import Desk
from gridpoints.desk.parties import member_parties
from gridpoints.errors import NotFoundError, ReviewError
from gridpoints.ledger.decisions import Decision
from gridpoints.model import Event, Member
from gridpoints.periods import Period

__all__ = ["HeldEvent", "ReviewQueue", "require_text"]


def require_text(value: object, field: str) -> str:
    """``value`` stripped, if it is a non-empty string; a clear error naming ``field`` otherwise."""
    if not isinstance(value, str):
        raise TypeError(f"{field}: {value!r} is not a string")
    text = value.strip()
    if not text:
        raise ValueError(f"{field}: must not be empty")
    return text


@attrs.frozen
class HeldEvent:
    """An event waiting for review, with the check that held it, why, and its own month."""

    event: Event
    check: str
    reason: str
    ref: str | None
    period: str = ""


class ReviewQueue:
    """``eng.review``: list, approve and reject held events.

    Every decision is recorded with who, when and why, as a zero-point ``decision`` entry in
    the hash chain plus a decision row beside it (see docs/fair-play.md). A decision is taken
    under the store's write lock, so two engines deciding the same event at once book it once:
    the second gets a ReviewError. Nobody decides their own event: ``by`` may not be the
    event's member (by id or name, see ``gridpoints.desk.parties``).

    ``members``: the engine's members by id (a live mapping: names added later count).
    """

    def __init__(self, desk: Desk, members: Mapping[str, Member]) -> None:
        self._desk = desk
        self._members = members

    def pending(
        self,
        *,
        member: str | None = None,
        kind: str | None = None,
        check: str | None = None,
        period: str | Period | None = None,
    ) -> list[HeldEvent]:
        """Held events, oldest ``occurred_at`` first, filtered by member id, kind, the check that
        held them and the period (month, quarter, half-year or year) they occurred in."""
        months = None if period is None else {str(m) for m in Period.parse(period).months()}
        found = []
        for row in self._desk.store.event_rows(status="held"):
            if (member is not None and row.member_id != member) or (kind is not None and row.kind != kind):
                continue
            if (check is not None and row.hold_check != check) or (months is not None and row.period not in months):
                continue
            found.append(
                HeldEvent(
                    Event.from_payload(row.event_id, row.payload), row.hold_check, row.hold_reason,
                    row.hold_ref or None, row.period,
                )
            )
        return found

    def approve(self, event_id: str, *, by: str, note: str = "") -> int:
        """Book a held event with the rules in effect at its occurred_at (in the first open month
        if its own is closed) and record the approval; return how many entries the event got.

        NotFoundError for an unknown id; ReviewError if it is not held (decided already, also by
        another engine a moment ago) or can no longer be booked.
        """
        by = require_text(by, "by")
        event_id = check_id("event_id", event_id)
        if not isinstance(note, str):
            raise TypeError(f"note: {note!r} is not a string")
        with self._desk.decide() as sitting:
            event, _month = self._held(sitting.tx.lookup([event_id]).get(event_id), event_id, by)
            try:
                month = sitting.book(event)
            except ValueError as error:
                raise ReviewError(f"event_id: {event_id!r} cannot be booked now: {error}") from None
            entries = len(sitting.booking.entries)
            sitting.record(
                "approve", f"event:{event_id}", by=by, note=note.strip(), member_id=event.member_id,
                event_id=event_id, month=month,
            )
            sitting.tx.set_status(event_id, "booked")
        return entries

    def reject(self, event_id: str, *, by: str, reason: str) -> Decision:
        """Refuse a held event: it is remembered as rejected and never booked; return the
        recorded decision. Same errors as ``approve``."""
        by = require_text(by, "by")
        reason = require_text(reason, "reason")
        event_id = check_id("event_id", event_id)
        with self._desk.decide() as sitting:
            event, month = self._held(sitting.tx.lookup([event_id]).get(event_id), event_id, by)
            recorded = sitting.record(
                "reject", f"event:{event_id}", by=by, note=reason, member_id=event.member_id,
                event_id=event_id, month=sitting.booking.open_month(month),
            )
            sitting.tx.set_status(event_id, "rejected")
        return Decision.from_row(recorded)

    def decision(self, event_id: str) -> Decision | None:
        """The approval or rejection recorded for an event; None while it is pending."""
        rows = self._desk.store.decision_rows(subjects=[f"event:{event_id}"], actions=["approve", "reject"])
        return Decision.from_row(rows[-1]) if rows else None

    def _held(self, found: tuple[str, str] | None, event_id: str, by: str) -> tuple[Event, str]:
        """The held event (read under the write lock) and its own month, if ``by`` may decide it."""
        if found is None:
            raise NotFoundError(f"event_id: no held event {event_id!r}")
        payload, status = found
        if status != "held":
            raise ReviewError(f"event_id: event {event_id!r} is {status}, not held; it was decided already")
        event = Event.from_payload(event_id, payload)
        self._desk.refuse_own_case(by, f"event {event_id!r}", member_parties(self._members, event.member_id))
        return event, str(Period.month_of(event.occurred_at, self._desk.tz))
