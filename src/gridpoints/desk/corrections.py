"""Corrections (更正): an operator replaces a wrongly recorded, booked event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gridpoints._validate import check_id
from gridpoints.desk.desk import Desk
from gridpoints.desk.parties import member_parties
from gridpoints.desk.review import require_text
from gridpoints.errors import NotFoundError, ReviewError
from gridpoints.ingest.booking import entry_ref
from gridpoints.ledger.decisions import Decision
from gridpoints.model import Event, Member

__all__ = ["correct"]

_NOT_REVERSIBLE = frozenset({"decision", "reversal"})


def _replacement(value: Event | Mapping[str, Any]) -> Event:
    if isinstance(value, Event):
        return value
    if not isinstance(value, Mapping):
        raise TypeError(f"replacement: {value!r} is not an Event or a mapping")
    try:
        return Event.from_mapping(value)
    except (TypeError, ValueError) as error:
        raise type(error)(f"replacement: {error}") from None


def correct(
    desk: Desk,
    members: Mapping[str, Member],
    event_id: str,
    replacement: Event | Mapping[str, Any],
    *,
    by: str,
    reason: str,
) -> Decision:
    """Reverse every still-standing entry of booked event ``event_id`` and book ``replacement``
    (a new event id) in one transaction; return the ``correct`` decision.

    Reversals carry ``ref = seq:<original entry>``; the replacement's main entry has reason
    ``correction`` and ``ref`` = the original event id, its event row points back at the
    original, and the decision (subject ``event:<original>``) has ``ref`` = the replacement id.
    The original event's status becomes ``corrected``. Nobody corrects their own event: ``by``
    may not be the member of the original or of the replacement (``members`` knows their
    names). Errors change nothing.
    """
    by = require_text(by, "by")
    reason = require_text(reason, "reason")
    event_id = check_id("event_id", event_id)
    new = _replacement(replacement)
    if new.id == event_id:
        raise ValueError(f"replacement.id: the replacement needs a new event id, not {event_id!r}")
    with desk.decide() as sitting:
        tx = sitting.tx
        known = tx.lookup([event_id, new.id])
        if event_id not in known:
            raise NotFoundError(f"event_id: no booked event {event_id!r}")
        payload, status = known[event_id]
        if status != "booked":
            raise ReviewError(f"event_id: event {event_id!r} is {status}; only a booked event can be corrected")
        if new.id in known:
            _, taken = known[new.id]
            raise ReviewError(f"replacement.id: {new.id!r} is already {taken}; choose a new id")
        original = Event.from_payload(event_id, payload).member_id
        parties = member_parties(members, original)
        if new.member_id != original:
            parties += member_parties(members, new.member_id)
        desk.refuse_own_case(by, f"event {event_id!r}", parties)
        entries = [row for row in tx.entry_rows(event_ids=[event_id]) if row.reason not in _NOT_REVERSIBLE]
        already = {row.ref for row in tx.entry_rows(refs=[entry_ref(e.seq) for e in entries])
                   if row.reason == "reversal"}
        booking = sitting.booking
        reversals = [booking.reverse(row) for row in entries if entry_ref(row.seq) not in already]
        try:
            month = sitting.book(new, reason="correction", ref=event_id, new=True)
        except ValueError as error:
            raise ValueError(f"replacement: {new.id!r} cannot be booked: {error}") from None
        replaced = [seq for seq, *_ in booking.entries[len(reversals):]]
        recorded = sitting.record(
            "correct", f"event:{event_id}", by=by, note=reason,
            detail={"replacement": new.id, "reversals": reversals, "entries": replaced},
            member_id=entries[0].member_id if entries else new.member_id, event_id=event_id,
            month=month, ref=new.id,
        )  # fmt: skip
        tx.set_status(event_id, "corrected")
    return Decision.from_row(recorded)
