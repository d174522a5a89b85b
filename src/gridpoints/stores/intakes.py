"""The intake log: one hashed row per write of event rows, so event rows are bound as written.

Held events have no ledger entries, and an event's payload beyond member, kind, time and
quantity (evidence, rating stars, ``reported_at``) is in no entry: the chain alone cannot see
them deleted, invented or edited. So every write transaction that writes event rows also
appends one row to table ``intakes`` (docs/ledger.md, "The intake log"):

- each event row it writes carries the intake's ``seq`` in column ``intake_seq``;
- ``digest`` = SHA-256 over ``gpi1`` and the SHA-256 of each such row as written
  (``event_line``: event id, member, kind, time, month, status at intake, payload, hold check,
  reason and ref), in event-id order, so the store need not write them sorted;
- ``hash`` = SHA-256(prev_hash ‖ 0x1E ‖ ``gpi1``, seq, events, digest): a hash chain of its own,
  apart from the ledger's, so ledgers written before the log keep their entry hashes;
- the first intake's ``prev_hash`` is ``intake_genesis(n)``, ``n`` the event rows written before
  the log (``intake_seq`` 0): 64 zeros when there are none, so rows cannot be added to or taken
  from those either once the log has begun.

Every store calls ``IntakeLog`` (gathers the rows of one transaction) and ``intake_hash``; the
ledger's ``verify`` calls ``event_line`` and ``intake_digest`` on the stored rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from gridpoints.schema import GENESIS, EventValues, IntakeRow

__all__ = [
    "INTAKE_FORMAT", "IntakeLog", "event_line", "event_line_text", "intake_digest", "intake_genesis", "intake_hash",
]

#: The format tag hashed into every intake row.
INTAKE_FORMAT = "gpi1"


def event_line_text(values: Sequence[Any]) -> str:
    """The text ``event_line`` hashes: an event row's ten columns fixed at intake, in order, each
    text as its length in characters, ``:`` and the text (unambiguous whatever a payload or a
    reason holds), the time as its decimal digits and ``;``. A column of the wrong type raises
    TypeError."""
    event_id, member_id, kind, occurred_us, period, status, payload, hold_check, hold_reason, hold_ref = values
    if type(occurred_us) is not int:
        raise TypeError(f"occurred_us {occurred_us!r} is not a whole number")
    return (
        f"{len(event_id)}:{event_id}{len(member_id)}:{member_id}{len(kind)}:{kind}{occurred_us};"
        f"{len(period)}:{period}{len(status)}:{status}{len(payload)}:{payload}{len(hold_check)}:{hold_check}"
        f"{len(hold_reason)}:{hold_reason}{len(hold_ref)}:{hold_ref}"
    )


def event_line(values: Sequence[Any]) -> bytes:
    """SHA-256 of an event row's fields fixed at intake (``event_line_text``)."""
    return hashlib.sha256(event_line_text(values).encode()).digest()


def intake_digest(lines: Iterable[tuple[str, bytes]]) -> str:
    """The digest of one intake: SHA-256 over its rows' ``event_line`` in event-id order
    (``lines``: ``(event_id, event_line)`` in any order)."""
    sha = hashlib.sha256(INTAKE_FORMAT.encode())
    for _, line in sorted(lines):
        sha.update(line)
    return sha.hexdigest()


def intake_hash(prev_hash: str, seq: int, events: int, digest: str) -> str:
    """``SHA-256(prev_hash ‖ 0x1E ‖ gpi1 ␟ seq ␟ events ␟ digest)`` as lowercase hex."""
    return hashlib.sha256(f"{prev_hash}\x1e{INTAKE_FORMAT}\x1f{seq}\x1f{events}\x1f{digest}".encode()).hexdigest()


def intake_genesis(unbound: int) -> str:
    """The ``prev_hash`` of the first intake when ``unbound`` event rows were written before the
    log: ``GENESIS`` for none, else ``SHA-256(gpi1 ␟ unbound ␟ n)`` as lowercase hex."""
    if unbound == 0:
        return GENESIS
    return hashlib.sha256(f"{INTAKE_FORMAT}\x1funbound\x1f{unbound}".encode()).hexdigest()


class IntakeLog:
    """The event rows one write transaction writes, for its intake row.

    ``head`` is ``(seq, hash)`` of the last intake row, read under the write lock; when there
    is none, ``(0, intake_genesis(n))`` with ``n`` the event rows stored without an intake seq
    (``(0, GENESIS)`` in a store created with the log). ``seq`` is what the transaction's event
    rows carry. ``add``
    costs one SHA-256 per row; ``row()`` is the intake row to append at commit (None when the
    transaction wrote no event row).
    """

    def __init__(self, head: tuple[int, str] = (0, GENESIS)) -> None:
        self.head = head
        self.seq = head[0] + 1
        self._lines: list[tuple[str, bytes]] = []

    def add(self, events: Iterable[EventValues]) -> None:
        """Note event rows as they are written (status as written: the status at intake)."""
        lines = self._lines
        for values in events:
            lines.append((values[0], event_line(values)))

    def row(self) -> IntakeRow | None:
        """The intake row of the rows noted so far, chained to ``head``; None when there are none."""
        if not self._lines:
            return None
        digest = intake_digest(self._lines)
        count = len(self._lines)
        return IntakeRow(self.seq, count, digest, self.head[1], intake_hash(self.head[1], self.seq, count, digest))
