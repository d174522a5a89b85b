"""What one ingest call returns: every event handed in, in exactly one outcome."""

from __future__ import annotations

import attrs

__all__ = ["REJECTION_CODES", "IngestResult", "Rejection", "conflict_message"]

#: Rejection codes and what they mean (see docs/ingest.md).
REJECTION_CODES = {
    "invalid": "the event is malformed: a missing or wrong field, naive or future time",
    "unknown_member": "no member with this id; add the member and send the event again",
    "inactive_member": "the member had not joined yet or had left on the event's day",
    "unknown_kind": "the active rule set has no rule for this kind",
    "no_matching_rule": "rules exist for this kind but none matches the event's attributes",
    "no_rule_version": "the event is older than every version of the active rule set",
    "quantity": "the quantity is outside the bounds the matching rule declares (an assessor's mark)",
    "conflict": "this id is already booked or held with a different payload",
    "gaming": "an anti-gaming check rejected the event",
}


def conflict_message(event_id: str, status: str) -> str:
    """The message of a ``conflict``: the id is already ``status`` (booked, held…) with another payload."""
    return f"id: event {event_id!r} is already {status} with a different payload"


@attrs.frozen
class Rejection:
    """A rejected event: its id (None if it had none), a code, a message, its input position."""

    event_id: str | None
    code: str
    message: str
    index: int


@attrs.frozen
class IngestResult:
    """Ids per outcome. ``len(accepted)+len(held)+len(rejected)+len(duplicates)`` = input count."""

    accepted: tuple[str, ...]
    held: tuple[str, ...]
    rejected: tuple[Rejection, ...]
    duplicates: tuple[str, ...]
    entries: int = 0

    @property
    def total(self) -> int:
        """How many events were handed in."""
        return len(self.accepted) + len(self.held) + len(self.rejected) + len(self.duplicates)

    def counts(self) -> dict[str, int]:
        """Outcome → count."""
        return {
            "accepted": len(self.accepted),
            "held": len(self.held),
            "rejected": len(self.rejected),
            "duplicate": len(self.duplicates),
        }
