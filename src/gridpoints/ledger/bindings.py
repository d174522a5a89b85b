"""The tables beside the chain, checked against it: closes, settlements, events, rule-set versions.

The chain commits to entries and, through decision entries, to decision rows. The other tables
that change what gets booked are bound by re-deriving from the chain what they must hold and
comparing, both ways (docs/ledger.md, "Tables bound to the chain"):

- ``period_closes``: a ``close`` decision and its row name each other (a deleted close would
  reopen the month); the row's frozen report and head are checked in ``Ledger.verify``.
- ``settlements``: a ``settle`` decision and its row name each other, with the same head (a
  deleted settlement would let the month's awards be paid twice).
- ``events``: an event with entries of its own has its row, whose member, kind, time and
  quantity agree with its payload and its entries; the row's status is the one its decisions
  (approve, reject, correct) leave it in, and a decided event's row cannot vanish.
- ``ruleset_versions``: every rule-set version entries were booked under has its row, with the
  digest the entries carry (a deleted version could be changed in place).
- ``intakes`` (the intake log): checked by ``gridpoints.ledger.intake_check``, called last.

``EntryFacts.tap`` notes the rule-set versions while ``verify`` streams the entries; each event
row comes beside its own entries from one read (``Store.event_bindings``), so nothing is held
per event. Every value is compared as it comes: a column of the wrong type is a broken row,
never an exception.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from gridpoints.ledger.broken import Broken
from gridpoints.ledger.decisions import report_digest
from gridpoints.ledger.intake_check import check_intakes
from gridpoints.schema import (
    BOOKED,
    CORRECTED,
    EVENT_STATUSES,
    HELD,
    REJECTED,
    DecisionRow,
    EntryValues,
    EventBinding,
    PeriodCloseRow,
)

if TYPE_CHECKING:
    from gridpoints.stores import Store

__all__ = ["SETTLE_ACTION", "Broken", "EntryFacts", "check_bindings", "close_mismatch", "event_acts"]

#: The decision action that records a settled month (zero points, like every decision).
SETTLE_ACTION = "settle"
#: Reasons of an event's award entry whose ``quantity`` is, as a rule, the event's quantity: the
#: fast path of ``_events``. A ``limit`` entry records the units its count limit left, fewer than
#: the event's; a ``cap`` entry too when the rule's limit cut the units before the cap clipped
#: the points (the limit acts first; the cap, acting last, names the reason). ``_quantity_problem``
#: has what each reason allows.
_FULL_QUANTITY = frozenset({"rule", "cap", "correction"})
#: Decision actions about an event (subject ``event:<id>``).
_EVENT_ACTIONS = frozenset({"approve", "reject", "correct"})
_NONE: dict[str, int] = {}


class EntryFacts:
    """What the bindings checks need from the chain pass of ``verify``: ``versions``, (rule set,
    version) → (digest, first seq) of the entries booked under it, and ``version_clash``, the
    first entry whose digest differs. (Events meet their own entries in ``Store.event_bindings``.)"""

    def __init__(self) -> None:
        self.versions: dict[tuple[object, object], tuple[object, object]] = {}
        self.version_clash: tuple[tuple[object, object], object] | None = None

    def tap(self, rows: Iterable[EntryValues]) -> Iterator[EntryValues]:
        """``rows``, unchanged, noting the rule-set version of each. This runs once per entry, so
        the version map is touched only when an entry's rule set, version or digest differs from
        the entry before (runs of one version are long), and nothing is kept per entry."""
        last: tuple[object, object, object] = ("", "", "")
        for row in rows:
            if row[13] != "decision" and (row[12] != last[2] or row[10] != last[0] or row[11] != last[1]):
                last = (row[10], row[11], row[12])
                self._version(row)
            yield row

    def _version(self, row: EntryValues) -> None:
        key = (row[10], row[11])
        known = self.versions.get(key)
        if known is None:
            self.versions[key] = (row[12], row[0])
        elif known[0] != row[12] and self.version_clash is None:
            self.version_clash = (key, row[0])


def close_mismatch(close: PeriodCloseRow, decision: DecisionRow | None) -> str:
    """What of a close row differs from what its ``close`` decision committed to ("" if nothing)."""
    if decision is None or decision.action != "close":
        return "no close decision is recorded at its decision_seq"
    detail = _detail(decision)
    report = close.report
    actual = (close.head_seq, close.head_hash, report_digest(report) if isinstance(report, str) else None)
    committed = (detail.get("head_seq"), detail.get("head_hash"), detail.get("report_digest"))
    if committed != actual:
        return "its frozen report or head was changed"
    return ""


def check_bindings(
    store: Store,
    decisions: Iterable[DecisionRow],
    facts: EntryFacts,
    intake_anchor: tuple[int, str, str] | None = None,
) -> tuple[Broken | None, tuple[str, ...]]:
    """The first row of a bound table that disagrees with the chain (or None), and notes on
    rows that older versions wrote unbound. Run after the chain itself verified.

    ``intake_anchor`` (intake seq, its hash, what recorded it — a checkpoint) is a position the
    intake log must reach with that hash: it catches the last intakes cut off with their rows.
    """
    by_action = _by_action(decisions)
    acts = _event_acts(by_action)
    notes: list[str] = []
    broken = (
        _closes(store, by_action.get("close", []))
        or _settlements(store, by_action.get(SETTLE_ACTION, []), notes)
        or _events(store, acts)
        or _versions(store, facts)
        or check_intakes(store, acts, intake_anchor, notes)
    )
    return broken, tuple(notes)


def _by_action(decisions: Iterable[DecisionRow]) -> dict[str, list[DecisionRow]]:
    """The decisions grouped by action, each group in the order given."""
    by_action: dict[str, list[DecisionRow]] = {}
    for decision in decisions:
        by_action.setdefault(str(decision.action), []).append(decision)
    return by_action


def event_acts(decisions: Iterable[DecisionRow]) -> dict[str, dict[str, int]]:
    """``event id → action → decision seq`` of the decisions about events."""
    return _event_acts(_by_action(decisions))


def _event_acts(by_action: dict[str, list[DecisionRow]]) -> dict[str, dict[str, int]]:
    """``event id → action → decision seq`` of the decisions about events."""
    acts: dict[str, dict[str, int]] = {}
    for action in _EVENT_ACTIONS:
        for decision in by_action.get(action, []):
            subject = str(decision.subject)
            if subject.startswith("event:"):
                acts.setdefault(subject.removeprefix("event:"), {})[action] = decision.seq
    return acts


def _detail(decision: DecisionRow) -> dict[str, Any]:
    """A decision's detail as a dict ({} when empty or not JSON: a tampered row fails later)."""
    try:
        detail = json.loads(decision.detail) if decision.detail else {}
    except (TypeError, ValueError):
        return {}
    return detail if isinstance(detail, dict) else {}


def _month(decision: DecisionRow) -> str:
    subject = str(decision.subject)
    return subject.removeprefix("period:")


def _closes(store: Store, decisions: list[DecisionRow]) -> Broken | None:
    """Each ``close`` decision has its row (rows without a decision fail in ``Ledger.verify``)."""
    rows = {row.period: row for row in store.period_closes()}
    for decision in decisions:
        month = _month(decision)
        row = rows.get(month)
        if row is None or row.decision_seq != decision.seq:
            return Broken(
                "period_closes", month,
                f"the close of {month} (decision seq {decision.seq}) has no row: it was deleted, and the "
                "month would take bookings again",
                decision.seq,
            )  # fmt: skip
    return None


def _settlements(store: Store, decisions: list[DecisionRow], notes: list[str]) -> Broken | None:
    """Each ``settle`` decision has its row with the head it recorded, and each row its decision;
    a row older than the first ``settle`` decision was written before settling was a decision."""
    rows = store.settlements()
    decided: set[str] = set()
    for decision in decisions:
        month = _month(decision)
        decided.add(month)
        head = _detail(decision).get("head_seq")
        if month not in rows:
            return Broken(
                "settlements", month,
                f"the settlement of {month} (decision seq {decision.seq}) has no row: it was deleted, and the "
                "month's period awards could be booked again",
                decision.seq,
            )  # fmt: skip
        if rows[month] != head:
            return Broken(
                "settlements", month,
                f"the settlement of {month} records head seq {rows[month]!r}, its decision {head!r}",
                decision.seq,
            )  # fmt: skip
    first = min((d.seq for d in decisions), default=None)
    for month in sorted(set(rows) - decided, key=str):
        head = rows[month]
        if type(head) is not int:
            return Broken("settlements", str(month), f"head_seq {head!r} is not a whole number")
        if first is not None and head >= first:
            return Broken(
                "settlements", str(month),
                f"{month} is marked settled after seq {head} without a settle decision: the row was forged "
                "(its period awards would never be booked)",
                head,
            )  # fmt: skip
        notes.append(f"settlements: {month} is not bound: settled at seq {head}, before settling was "
                     "recorded as a decision")  # fmt: skip
    return None


def _events(store: Store, acts: dict[str, dict[str, int]]) -> Broken | None:
    """Each event row against its own entries and its decisions; no entry or decision without its
    row. The store reads rows and entries together (``Store.event_bindings``, one snapshot), and
    nothing is held per event."""
    with_decisions = 0
    full = _FULL_QUANTITY
    for binding in store.event_bindings():
        (event_id, member_id, kind, occurred_us, status, payload,
         seq, entry_member, entry_kind, quantity, reason, awards) = binding  # fmt: skip
        decided = acts.get(event_id)
        # The common case, checked with one prefix test: a booked event without decisions, whose
        # payload starts with the member, kind, time and quantity of its one award.
        if (
            decided is None and status == BOOKED and awards == 1 and reason in full
            and entry_member == member_id and entry_kind == kind and type(payload) is str
            and payload.startswith(f"{member_id}\x1f{kind}\x1f{occurred_us}\x1f{quantity}\x1f")
        ):  # fmt: skip
            continue
        if decided is not None and status is not None:
            with_decisions += 1
        problem = _event_problem(binding, decided or _NONE)
        if problem:
            return Broken("events", f"event {event_id!r}", problem, seq if type(seq) is int else None)
    if with_decisions == len(acts):
        return None
    # A decision speaks of an event whose row is gone: read the ids again to name it.
    seen = {binding.event_id for binding in store.event_bindings() if binding.status is not None}
    for event_id, decided_about in acts.items():
        if event_id not in seen:
            action, seq = min(decided_about.items(), key=lambda item: item[1])
            return Broken(
                "events", f"event {event_id!r}",
                f"decision seq {seq} ({action}) is about it but its row is gone: deleted, so it could be sent again",
                seq,
            )  # fmt: skip
    return None


def _event_problem(binding: EventBinding, decided: dict[str, int]) -> str:
    """What of an event row disagrees with its own entries and its decisions ("" if nothing)."""
    status, seq = binding.status, binding.entry_seq
    if status is None:
        return f"the ledger books it (seq {seq}) but its row is gone: deleted, so it could be booked again"
    if binding.awards > 1:
        return f"it is booked {binding.awards} times (first at seq {seq}): its row was deleted and it was sent again"
    if status not in EVENT_STATUSES:
        return f"status {status!r} is not one an event can have"
    expected = _expected_status(seq is not None, decided)
    if status != expected:
        if seq is None and not decided:
            return f"status is {status!r}, but it has no entries and no decision: it must be {expected!r}"
        return f"status is {status!r}, but its entries and decisions make it {expected!r}"
    payload = binding.payload
    parts = payload.split("\x1f", 5) if isinstance(payload, str) else []
    if len(parts) != 6:
        return "its payload is not a stored event's payload"
    if (parts[0], parts[1], parts[2]) != (binding.member_id, binding.kind, str(binding.occurred_us)):
        return "its member, kind or time differs from its payload"
    if seq is not None:
        if (binding.entry_member_id, binding.entry_kind) != (binding.member_id, binding.kind):
            return f"its member or kind differs from its entry at seq {seq}"
        return _quantity_problem(binding.entry_reason, binding.entry_quantity, parts[3], seq)
    return ""


def _quantity_problem(reason: object, quantity: object, payload_quantity: str, seq: object) -> str:
    """What of an award entry's quantity disagrees with its event's payload ("" if nothing).

    ``rule`` and ``correction``: the event's quantity. ``limit``: fewer units (what the count
    limit left; 0 beyond it). ``cap``: the event's quantity, or fewer units when the rule's count
    limit cut them before the cap clipped the points — the chain alone cannot tell which (that
    takes the rules and the member's earlier entries), so a payload with more units than its
    ``cap`` entry passes here; the intake log binds the payload itself.
    """
    if reason == "limit" or (reason == "cap" and quantity != payload_quantity):
        booked, sent = _number(quantity), _number(payload_quantity)
        if booked is None or sent is None:
            return (
                f"the quantity of its payload ({payload_quantity}) or of its entry at seq {seq} ({quantity}) "
                "is not a number"
            )
        if booked < sent:
            return ""
        if reason == "limit":
            return (
                f"the quantity of its payload ({payload_quantity}) is not above its entry's at seq {seq} ({quantity}): "
                "a count limit books fewer units than the event has"
            )
    elif reason not in _FULL_QUANTITY or quantity == payload_quantity:
        return ""
    return f"the quantity of its payload ({payload_quantity}) differs from its entry at seq {seq} ({quantity})"


def _number(text: object) -> Decimal | None:
    """``text`` as a finite Decimal, or None (a tampered column is a broken row, never an exception)."""
    if not isinstance(text, str):
        return None
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _expected_status(booked: bool, decided: dict[str, int]) -> str:
    """The status an event's own entries (``booked``: it has some) and its decisions leave it in."""
    if "correct" in decided:
        return CORRECTED
    if booked:
        return BOOKED
    if "reject" in decided:
        return REJECTED
    return HELD if "approve" not in decided else BOOKED


def _versions(store: Store, facts: EntryFacts) -> Broken | None:
    """Each rule-set version entries were booked under has its row, with their digest."""
    if facts.version_clash is not None:
        (ruleset, version), seq = facts.version_clash
        return Broken(
            "ruleset_versions", f"{ruleset} {version}",
            f"entries of {ruleset} {version} carry two digests (first differing at seq {seq}): it was changed in place",
            seq if type(seq) is int else None,
        )  # fmt: skip
    stored: dict[Any, str] = store.ruleset_versions()
    for (ruleset, version), (digest, seq) in facts.versions.items():
        if (ruleset, version) not in stored:
            return Broken(
                "ruleset_versions", f"{ruleset} {version}",
                f"entries were booked under {ruleset} {version} (seq {seq}) but its row is gone: deleted, so the "
                "version could be changed in place",
                seq if type(seq) is int else None,
            )  # fmt: skip
        if stored[(ruleset, version)] != digest:
            return Broken(
                "ruleset_versions", f"{ruleset} {version}",
                f"its digest differs from the one its entries carry (seq {seq}): it was changed in place",
                seq if type(seq) is int else None,
            )  # fmt: skip
    return None
