"""One write to the ledger: chain state, closed months, decision and reversal entries.

A ``Booking`` wraps a store transaction. Whatever it stages — rule entries from the pipeline,
reversals, zero-point decision entries, event rows, decision rows — is chained here (seq and
``hash = H(prev ‖ bytes)``) and handed to the store in one ``flush``, inside the same
transaction, so a decision and what it books are durable together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gridpoints.ledger.chain import chain_text_hash, entry_bytes, entry_text
from gridpoints.ledger.decisions import decision_digest
from gridpoints.periods import Period
from gridpoints.schema import DecisionRow, EntryRow, EntryValues, EventValues
from gridpoints.stores import Transaction

__all__ = ["DECISION_KIND", "Booking", "EntryFields", "entry_ref"]

#: What a writer decides of an entry, ``member_id`` … ``ref`` in ``ENTRY_COLUMNS`` order;
#: ``Booking.chain`` adds the seq before and the two hashes after.
EntryFields = tuple[str, str, str, str, str, int, str, str, str, str, str, str, str, str]

#: The ``kind`` of zero-point decision entries (never an event kind: ids of kinds are rules').
DECISION_KIND = "decision"


def entry_ref(seq: int) -> str:
    """The ``ref`` text that points at ledger entry ``seq`` (used by reversals)."""
    return f"seq:{seq}"


class Booking:
    """Staged entries, events and decisions of one transaction, chained from the head."""

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx
        self.seq, self.prev = tx.head
        self.closed: frozenset[str] = frozenset(tx.closed_periods())
        # Plain tuples in column order, as the pipeline builds them: cheaper than named rows.
        self.entries: list[EntryValues] = []
        self.events: list[EventValues] = []
        self.decisions: list[DecisionRow] = []
        self.entry_count = 0
        self._open: dict[str, str] = {}

    def open_month(self, month: str) -> str:
        """``month`` itself, or the first month after it that is not closed.

        Anything touching a closed month is booked in that open month; the entry's ``day``
        (and, for reversals, its ``ref``) still names the original.
        """
        found = self._open.get(month)
        if found is None:
            found = month
            while found in self.closed:
                found = str(Period.parse(found).shift(1))
            self._open[month] = found
        return found

    def chain(self, fields: EntryFields, tail: str | None = None) -> int:
        """Append an entry given its fields after ``seq`` (member … ref); return its seq.

        ``tail``, when given, is ``entry_tail`` of the fields points … digest, which the
        pipeline caches per rule, quantity and coefficient; the bytes hashed are the same.
        """
        seq = self.seq = self.seq + 1
        prev = self.prev
        if tail is None:
            digest = hashlib.sha256(prev.encode("ascii") + b"\x1e" + entry_bytes((seq, *fields))).hexdigest()
        else:
            member, event, kind, month, day, _, _, _, _, _, _, _, reason, ref = fields
            digest = chain_text_hash(prev, entry_text(seq, member, event, kind, month, day, tail, reason, ref))
        self.entries.append((seq, *fields, prev, digest))
        self.prev = digest
        return seq

    def decide(
        self,
        action: str,
        subject: str,
        *,
        by: str,
        at: datetime,
        note: str = "",
        detail: Mapping[str, Any] | None = None,
        member_id: str = "",
        event_id: str = "",
        month: str,
        day: str,
        ref: str = "",
    ) -> int:
        """Record a decision: a zero-point entry (committing to the row's digest) and the row."""
        seq = self.seq + 1
        detail_text = ""
        if detail:
            detail_text = json.dumps(dict(detail), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        row = DecisionRow(seq, action, subject, by, at.astimezone(UTC).isoformat(), note, detail_text)
        self.chain(
            (member_id, event_id, DECISION_KIND, month, day, 0, "1", "0", action, "", "", decision_digest(row),
             "decision", ref)
        )
        self.decisions.append(row)
        return seq

    def reverse(self, original: EntryRow, *, reason: str = "reversal") -> int:
        """Book the negation of a stored entry row, in the first open month from its own."""
        return self.chain(
            (
                original.member_id,
                original.event_id,
                original.kind,
                self.open_month(original.period),
                original.day,
                -original.points_cents,
                original.coefficient,
                original.quantity,
                original.rule,
                original.ruleset,
                original.version,
                original.digest,
                reason,
                entry_ref(original.seq),
            )
        )

    def flush(self) -> None:
        """Hand everything staged to the transaction (entries first: decisions refer to them)."""
        if self.entries or self.events:
            self.tx.append(self.entries, self.events)
            self.entry_count += len(self.entries)
            self.entries = []
            self.events = []
        if self.decisions:
            self.tx.add_decisions(self.decisions)
            self.decisions = []
