"""Appeals (申诉): a member contests a ledger entry; an upheld appeal books its reversal.

An appeal is nothing but decisions: ``appeal`` (subject ``entry:<seq>``) opens it and its seq
is the appeal's id; ``appeal_review`` (two-level review only), then ``uphold`` or ``dismiss``
(subject ``appeal:<id>``) decide it. Its state is folded from those rows, so open appeals
survive reopening the store and are as tamper-evident as the chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import attrs

from gridpoints.desk.desk import Desk
from gridpoints.desk.review import require_text
from gridpoints.errors import ConfigurationError, LedgerError, NotFoundError, ReviewError
from gridpoints.ingest.booking import entry_ref
from gridpoints.ledger.decisions import Decision
from gridpoints.schema import DecisionRow
from gridpoints.stores import Transaction

__all__ = ["Appeal", "AppealDesk"]

#: Entry reasons that cannot be appealed: decisions and reversals are not points given.
_NOT_APPEALABLE = frozenset({"decision", "reversal"})


@attrs.frozen
class Appeal:
    """A snapshot of one appeal. ``status``: ``open``, ``reviewed`` (first level done, two-level
    review only), ``upheld`` or ``dismissed``. ``uphold``/``dismiss`` return the new snapshot."""

    id: int
    entry_seq: int
    member_id: str
    opened_by: str
    reason: str
    opened_at: datetime
    status: Literal["open", "reviewed", "upheld", "dismissed"]
    recommendation: str | None = None
    reviewed_by: str | None = None
    decided_by: str | None = None
    decision_note: str = ""
    reversal_seq: int | None = None
    _desk: AppealDesk | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def is_open(self) -> bool:
        """Whether the appeal still waits for a (final) decision."""
        return self.status in ("open", "reviewed")

    def uphold(self, *, by: str, note: str = "") -> Appeal:
        """Uphold the appeal: book a reversal entry cancelling the contested entry (which stays).

        With two-level review the first call records the reviewer's recommendation and a second,
        by a different person, decides. LedgerError if the entry was reversed meanwhile.
        """
        return self._require_desk().decide(self, "uphold", by=by, note=note)

    def dismiss(self, *, by: str, reason: str) -> Appeal:
        """Dismiss the appeal: the entry stands; the reason is recorded."""
        return self._require_desk().decide(self, "dismiss", by=by, note=require_text(reason, "reason"))

    def _require_desk(self) -> AppealDesk:
        if self._desk is None:
            raise ReviewError("this Appeal is detached from an engine; get it from eng.appeals()")
        return self._desk


class AppealDesk:
    """Opens, lists and decides appeals at ``desk`` (``levels``: 1, or 2 for reviewer then
    approver)."""

    def __init__(self, desk: Desk, levels: int = 1) -> None:
        if isinstance(levels, bool) or levels not in (1, 2):
            raise ConfigurationError(f"appeal_levels: {levels!r} must be 1 or 2")
        self._desk = desk
        self.levels = levels

    def open(self, entry_seq: int, *, by: str, reason: str) -> Appeal:
        """Open an appeal against entry ``entry_seq``; NotFoundError for an unknown entry,
        LedgerError for a decision, a reversal or an entry already reversed, ReviewError if the
        entry already has an open appeal."""
        if isinstance(entry_seq, bool) or not isinstance(entry_seq, int):
            raise TypeError(f"entry_seq: {entry_seq!r} is not an entry sequence number")
        by = require_text(by, "by")
        reason = require_text(reason, "reason")
        with self._desk.decide() as sitting:
            tx = sitting.tx
            rows = tx.entry_rows(seqs=[entry_seq])
            if not rows:
                raise NotFoundError(f"entry_seq: no ledger entry {entry_seq}")
            entry = rows[0]
            if entry.reason in _NOT_APPEALABLE:
                raise LedgerError(f"entry_seq: entry {entry_seq} is a {entry.reason}, not points that can be appealed")
            reversed_by = _reversal_of(tx, entry_seq)
            if reversed_by is not None:
                raise LedgerError(f"entry_seq: entry {entry_seq} was already reversed by entry {reversed_by}")
            for earlier in self._fold(tx, tx.decision_rows(subjects=[f"entry:{entry_seq}"])):
                if earlier.is_open:
                    raise ReviewError(f"entry_seq: entry {entry_seq} already has open appeal {earlier.id}")
            row = sitting.record(
                "appeal", f"entry:{entry_seq}", by=by, note=reason, member_id=entry.member_id,
                detail={"member": entry.member_id},
                event_id=entry.event_id, month=sitting.booking.open_month(entry.period), ref=entry_ref(entry_seq),
            )  # fmt: skip
        return self.get(row.seq)

    def get(self, appeal_id: int) -> Appeal:
        """The current state of appeal ``appeal_id``; NotFoundError if there is none."""
        store = self._desk.store
        opened = [row for row in store.decision_rows(actions=["appeal"]) if row.seq == appeal_id]
        if not opened:
            raise NotFoundError(f"appeal_id: no appeal {appeal_id}")
        decided = store.decision_rows(subjects=[f"appeal:{appeal_id}"])
        (appeal,) = self._fold(None, opened, decided)
        return appeal

    def find(self, *, status: str | None = None, member: str | None = None) -> list[Appeal]:
        """Appeals in the order they were opened, filtered by status (``open`` includes
        ``reviewed``: both wait for a decision) and member."""
        if status not in (None, "open", "reviewed", "upheld", "dismissed"):
            raise ValueError(f"status: {status!r} is not open, reviewed, upheld or dismissed")
        store = self._desk.store
        opened = store.decision_rows(actions=["appeal"])
        decided = store.decision_rows(actions=["appeal_review", "uphold", "dismiss"])
        appeals = self._fold(None, opened, decided)
        if member is not None:
            appeals = [a for a in appeals if a.member_id == member]
        if status == "open":
            return [a for a in appeals if a.is_open]
        return appeals if status is None else [a for a in appeals if a.status == status]

    def decide(self, appeal: Appeal, action: Literal["uphold", "dismiss"], *, by: str, note: str) -> Appeal:
        """Record ``action`` on an appeal under the write lock (see ``Appeal.uphold``)."""
        by = require_text(by, "by")
        if not isinstance(note, str):
            raise TypeError(f"note: {note!r} is not a string")
        with self._desk.decide() as sitting:
            tx = sitting.tx
            opened = [r for r in tx.decision_rows(subjects=[f"entry:{appeal.entry_seq}"]) if r.seq == appeal.id]
            (current,) = self._fold(tx, opened)
            if not current.is_open:
                raise ReviewError(f"appeal {appeal.id} was already {current.status} by {current.decided_by}")
            booking = sitting.booking
            (entry,) = tx.entry_rows(seqs=[appeal.entry_seq])
            month = booking.open_month(entry.period)
            common = {"member_id": current.member_id, "event_id": entry.event_id, "month": month}
            subject = f"appeal:{appeal.id}"
            if self.levels == 2 and current.status == "open":
                sitting.record("appeal_review", subject, by=by, note=note, detail={"recommend": action}, **common)
            else:
                if current.reviewed_by is not None and current.reviewed_by == by:
                    raise ReviewError(
                        f"by: {by!r} reviewed appeal {appeal.id}; a different person must take the final decision"
                    )
                detail: dict[str, object] = {}
                if action == "uphold":
                    reversed_by = _reversal_of(tx, appeal.entry_seq)
                    if reversed_by is not None:
                        raise LedgerError(f"entry {appeal.entry_seq} was already reversed by entry {reversed_by}")
                    detail["reversal"] = booking.reverse(entry)
                sitting.record(action, subject, by=by, note=note, detail=detail, **common)
        return self.get(appeal.id)

    def _fold(
        self,
        tx: Transaction | None,
        opened: Sequence[DecisionRow],
        decided: Sequence[DecisionRow] | None = None,
    ) -> list[Appeal]:
        """Appeals from their ``appeal`` rows and the decisions about them (read from ``tx``
        when ``decided`` is None)."""
        appeals: list[Appeal] = []
        opened = [r for r in opened if r.action == "appeal"]
        if decided is None:
            assert tx is not None
            decided = tx.decision_rows(subjects=[f"appeal:{r.seq}" for r in opened]) if opened else []
        by_subject: dict[str, list[Decision]] = {}
        for row in decided:
            decision = Decision.from_row(row)
            by_subject.setdefault(decision.subject, []).append(decision)
        for row in opened:
            start = Decision.from_row(row)
            appeal = Appeal(
                id=start.seq,
                entry_seq=int(start.subject.split(":", 1)[1]),
                member_id=str(start.detail.get("member", "")),
                opened_by=start.by,
                reason=start.note,
                opened_at=start.at,
                status="open",
                desk=self,
            )
            for step in by_subject.get(f"appeal:{start.seq}", []):
                if step.action == "appeal_review":
                    appeal = attrs.evolve(
                        appeal, status="reviewed", recommendation=step.detail.get("recommend"), reviewed_by=step.by
                    )
                elif step.action in ("uphold", "dismiss"):
                    appeal = attrs.evolve(
                        appeal,
                        status="upheld" if step.action == "uphold" else "dismissed",
                        decided_by=step.by,
                        decision_note=step.note,
                        reversal_seq=step.detail.get("reversal"),
                    )
            appeals.append(appeal)
        return appeals


def _reversal_of(tx: Transaction, seq: int) -> int | None:
    """The seq of the entry that reverses entry ``seq``, if any (read under the lock)."""
    for row in tx.entry_rows(refs=[entry_ref(seq)]):
        if row.reason == "reversal":
            return row.seq
    return None
