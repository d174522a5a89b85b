"""Appeals (申诉): a member contests a ledger entry; an upheld appeal books its reversal.

An appeal is nothing but decisions: ``appeal`` (subject ``entry:<seq>``) opens it; its id is
its own number, ``A-1``, ``A-2``… in opening order, recorded in that decision's detail
(``"appeal": "A-12"``) so the chain commits to it. ``appeal_review`` (two-level review only),
then ``uphold`` or ``dismiss`` (subject ``appeal:A-12``) decide it. Its state is folded from
those rows, so open appeals survive reopening the store and are as tamper-evident as the chain.
Appeals opened before they had numbers are numbered by the same rule, their place in opening
order; decisions taken about them then have subject ``appeal:<seq of the opening decision>``
and still count.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal

import attrs

from gridpoints._validate import check_id
from gridpoints.desk.desk import Desk
from gridpoints.desk.parties import Party, member_parties, same_person
from gridpoints.desk.review import require_text
from gridpoints.errors import ConfigurationError, LedgerError, NotFoundError, ReviewError
from gridpoints.ingest.booking import DECISION_KIND, entry_ref
from gridpoints.ledger.decisions import Decision
from gridpoints.model import Member
from gridpoints.schema import DecisionRow
from gridpoints.stores import Transaction

__all__ = ["Appeal", "AppealDesk", "appeal_number"]

#: Entry reasons that cannot be appealed: decisions and reversals are not points given.
_NOT_APPEALABLE = frozenset({"decision", "reversal"})
_APPEAL_ID = re.compile(r"A-([1-9][0-9]{0,17})")
#: Entries read per query when counting appeals opened after a head (a bound on query size).
_SLICE = 500


def appeal_number(appeal_id: str) -> int:
    """The number of an appeal id: ``"A-12"`` → 12; ValueError for anything else."""
    if not isinstance(appeal_id, str):
        raise TypeError(f"appeal_id: {appeal_id!r} is not an appeal id like 'A-12'")
    found = _APPEAL_ID.fullmatch(appeal_id.strip())
    if found is None:
        raise ValueError(f"appeal_id: {appeal_id!r} is not an appeal id like 'A-12'")
    return int(found[1])


@attrs.frozen
class Appeal:
    """A snapshot of one appeal. ``id``: its number, ``A-12`` (decisions about it have subject
    ``appeal:A-12``); ``seq``: the ledger entry of the decision that opened it. ``status``:
    ``open``, ``reviewed`` (first level done, two-level review only), ``upheld`` or
    ``dismissed``. ``uphold``/``dismiss`` return the new snapshot."""

    id: str
    seq: int
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
        by a different person, decides. LedgerError if the entry was reversed meanwhile;
        ReviewError if ``by`` is the appellant or the entry's member.
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
    approver). ``members``: the engine's members by id, so a member is known by name too."""

    def __init__(self, desk: Desk, members: Mapping[str, Member], levels: int = 1) -> None:
        if isinstance(levels, bool) or levels not in (1, 2):
            raise ConfigurationError(f"appeal_levels: {levels!r} must be 1 or 2")
        self._desk = desk
        self._members = members
        self.levels = levels

    def open(self, entry_seq: int, *, by: str, reason: str) -> Appeal:
        """Open an appeal against entry ``entry_seq``; NotFoundError for an unknown entry,
        LedgerError for a decision, a reversal or an entry already reversed, ReviewError if the
        entry already has an open appeal."""
        if isinstance(entry_seq, bool) or not isinstance(entry_seq, int):
            raise TypeError(f"entry_seq: {entry_seq!r} is not an entry sequence number")
        by = require_text(by, "by")
        reason = require_text(reason, "reason")
        store = self._desk.store
        # The next number counts the appeals up to a head read now, before the lock, and then,
        # under it, those opened after that head — read through the transaction only, so a store
        # whose reads take another connection (a PostgreSQL pool) never waits for its own lock.
        seen = store.head()[0]
        before = _numbered([row for row in store.decision_rows(actions=["appeal"]) if row.seq <= seen])
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
            ids = {seq: appeal_id for appeal_id, seq, _ in before}
            for earlier in self._fold(tx, tx.decision_rows(subjects=[f"entry:{entry_seq}"]), ids):
                if earlier.is_open:
                    raise ReviewError(f"entry_seq: entry {entry_seq} already has open appeal {earlier.id}")
            appeal_id = f"A-{len(before) + _appeals_opened_between(tx, seen, tx.head[0]) + 1}"
            row = sitting.record(
                "appeal", f"entry:{entry_seq}", by=by, note=reason, member_id=entry.member_id,
                detail={"member": entry.member_id, "appeal": appeal_id},
                event_id=entry.event_id, month=sitting.booking.open_month(entry.period), ref=entry_ref(entry_seq),
            )  # fmt: skip
        return self._get_by_seq(row.seq)

    def get(self, appeal_id: str | int) -> Appeal:
        """The current state of appeal ``appeal_id`` (``"A-12"``; an int is the seq of the
        decision that opened it, the id appeals had before their own numbers); NotFoundError if
        there is none."""
        if isinstance(appeal_id, bool) or not isinstance(appeal_id, (int, str)):
            raise TypeError(f"appeal_id: {appeal_id!r} is not an appeal id like 'A-12'")
        if isinstance(appeal_id, int):
            return self._get_by_seq(appeal_id)
        number = appeal_number(appeal_id)
        opened = _numbered(self._desk.store.decision_rows(actions=["appeal"]))
        found = [item for item in opened if item[0] == f"A-{number}"]
        if not found:
            raise NotFoundError(f"appeal_id: no appeal A-{number} (the last one opened is A-{len(opened)})"
                                if opened else f"appeal_id: no appeal A-{number}; none was opened")
        return self._one(found[0])

    def _get_by_seq(self, seq: int) -> Appeal:
        found = [item for item in _numbered(self._desk.store.decision_rows(actions=["appeal"])) if item[1] == seq]
        if not found:
            raise NotFoundError(
                f"appeal_id: no appeal {seq} (a number is read as the seq of the decision that opened an "
                "appeal; appeal ids look like A-12)"
            )
        return self._one(found[0])

    def _one(self, item: tuple[str, int, DecisionRow]) -> Appeal:
        appeal_id, seq, row = item
        decided = self._desk.store.decision_rows(subjects=_subjects(appeal_id, seq))
        (appeal,) = self._fold(None, [row], {seq: appeal_id}, decided)
        return appeal

    def find(self, *, status: str | None = None, member: str | None = None) -> list[Appeal]:
        """Appeals in the order they were opened, filtered by status (``open`` includes
        ``reviewed``: both wait for a decision) and member."""
        if status not in (None, "open", "reviewed", "upheld", "dismissed"):
            raise ValueError(f"status: {status!r} is not open, reviewed, upheld or dismissed")
        store = self._desk.store
        opened = _numbered(store.decision_rows(actions=["appeal"]))
        decided = store.decision_rows(actions=["appeal_review", "uphold", "dismiss"])
        appeals = self._fold(None, [row for _, _, row in opened], {seq: i for i, seq, _ in opened}, decided)
        if member is not None:
            member = check_id("member", member)
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
            opened = [r for r in tx.decision_rows(subjects=[f"entry:{appeal.entry_seq}"]) if r.seq == appeal.seq]
            (current,) = self._fold(tx, opened, {appeal.seq: appeal.id})
            if not current.is_open:
                raise ReviewError(f"appeal {appeal.id} was already {current.status} by {current.decided_by}")
            self._desk.refuse_own_case(by, f"appeal {appeal.id}", self._parties(current))
            booking = sitting.booking
            (entry,) = tx.entry_rows(seqs=[appeal.entry_seq])
            month = booking.open_month(entry.period)
            common = {"member_id": current.member_id, "event_id": entry.event_id, "month": month}
            subject = f"appeal:{appeal.id}"
            if self.levels == 2 and current.status == "open":
                sitting.record("appeal_review", subject, by=by, note=note, detail={"recommend": action}, **common)
            else:
                if current.reviewed_by is not None and same_person(current.reviewed_by, by):
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
        return self._get_by_seq(appeal.seq)

    def _parties(self, appeal: Appeal) -> list[Party]:
        """Who may not decide ``appeal``: the entry's member (by id or name) and the appellant."""
        return [*member_parties(self._members, appeal.member_id), ("the appellant", appeal.opened_by)]

    def _fold(
        self,
        tx: Transaction | None,
        opened: Sequence[DecisionRow],
        ids: Mapping[int, str],
        decided: Sequence[DecisionRow] | None = None,
    ) -> list[Appeal]:
        """Appeals from their ``appeal`` rows and the decisions about them (read from ``tx`` when
        ``decided`` is None). ``ids``: their numbers by seq, where the row may not record it."""
        appeals: list[Appeal] = []
        starts = [Decision.from_row(r) for r in opened if r.action == "appeal"]
        numbers = {start.seq: ids.get(start.seq) or str(start.detail.get("appeal", "")) for start in starts}
        if decided is None:
            assert tx is not None
            subjects = [s for start in starts for s in _subjects(numbers[start.seq], start.seq)]
            decided = tx.decision_rows(subjects=subjects) if subjects else []
        by_subject: dict[str, list[Decision]] = {}
        for row in decided:
            decision = Decision.from_row(row)
            by_subject.setdefault(decision.subject, []).append(decision)
        for start in starts:
            appeal = Appeal(
                id=numbers[start.seq],
                seq=start.seq,
                entry_seq=int(start.subject.split(":", 1)[1]),
                member_id=str(start.detail.get("member", "")),
                opened_by=start.by,
                reason=start.note,
                opened_at=start.at,
                status="open",
                desk=self,
            )
            steps = [step for subject in _subjects(appeal.id, start.seq) for step in by_subject.get(subject, [])]
            for step in sorted(steps, key=lambda step: step.seq):
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


def _appeals_opened_between(tx: Transaction, after: int, through: int) -> int:
    """How many ``appeal`` decision entries have a seq in ``(after, through]``, read through
    ``tx`` in slices (a busy ledger may have moved on by many entries)."""
    count = 0
    for start in range(after + 1, through + 1, _SLICE):
        rows = tx.entry_rows(seqs=list(range(start, min(start + _SLICE, through + 1))))
        count += sum(1 for row in rows if row.kind == DECISION_KIND and row.rule == "appeal")
    return count


def _subjects(appeal_id: str, seq: int) -> list[str]:
    """The subjects of the decisions about an appeal: ``appeal:A-12``, and ``appeal:<seq>`` as
    they were written before appeals had their own numbers."""
    return [f"appeal:{appeal_id}", f"appeal:{seq}"]


def _numbered(rows: Sequence[DecisionRow]) -> list[tuple[str, int, DecisionRow]]:
    """``(appeal id, seq, row)`` of every ``appeal`` row in seq order: the id recorded in its
    detail, or (opened before appeals had numbers) ``A-<its place in opening order>`` — the
    same number, since each appeal is given the next one."""
    numbered = []
    for place, row in enumerate(sorted((r for r in rows if r.action == "appeal"), key=lambda r: r.seq), 1):
        recorded = Decision.from_row(row).detail.get("appeal")
        numbered.append((recorded if isinstance(recorded, str) else f"A-{place}", row.seq, row))
    return numbered


def _reversal_of(tx: Transaction, seq: int) -> int | None:
    """The seq of the entry that reverses entry ``seq``, if any (read under the lock)."""
    for row in tx.entry_rows(refs=[entry_ref(seq)]):
        if row.reason == "reversal":
            return row.seq
    return None
