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

``EntryFacts.tap`` learns what these checks need while ``verify`` streams the entries, so the
entries are read once. Every value is compared as it comes: a column of the wrong type is a
broken row, never an exception.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import attrs

from gridpoints.ledger.decisions import report_digest
from gridpoints.schema import (
    BOOKED,
    CORRECTED,
    EVENT_REASONS,
    EVENT_STATUSES,
    HELD,
    REJECTED,
    DecisionRow,
    EntryValues,
    EventRow,
    PeriodCloseRow,
)

if TYPE_CHECKING:
    from gridpoints.stores import Store

__all__ = ["SETTLE_ACTION", "Broken", "EntryFacts", "check_bindings", "close_mismatch"]

#: The decision action that records a settled month (zero points, like every decision).
SETTLE_ACTION = "settle"
#: Reasons of an event's own entry whose ``quantity`` is the event's quantity (a count limit
#: records the units it counted instead).
_FULL_QUANTITY = frozenset({"rule", "cap", "correction"})
#: Decision actions about an event (subject ``event:<id>``).
_EVENT_ACTIONS = frozenset({"approve", "reject", "correct"})


@attrs.frozen
class Broken:
    """A row that does not agree with the chain: its ``table``, which ``row``, what is wrong,
    and the ledger ``seq`` involved (None when none is)."""

    table: str
    row: str
    problem: str
    seq: int | None = None


class EntryFacts:
    """What the bindings checks need from the entries, gathered while ``verify`` streams them.

    ``events``: event id → (seq, member, kind, quantity, reason) of the event's first own entry
    (reasons in ``EVENT_REASONS``); ``booked_twice``: (event id, first seq, seq) of the first
    event with a second award of its own (only a ``derived`` entry may follow its award).
    ``versions``: (rule set, version) → (digest, first seq) of the entries booked under it;
    ``version_clash``: the first entry whose digest differs.
    """

    def __init__(self) -> None:
        self.events: dict[object, tuple[Any, ...]] = {}
        self.booked_twice: tuple[object, object, object] | None = None
        self.versions: dict[tuple[object, object], tuple[object, object]] = {}
        self.version_clash: tuple[tuple[object, object], object] | None = None

    def tap(self, rows: Iterable[EntryValues]) -> Iterator[EntryValues]:
        """``rows``, unchanged, noting what the checks need from each."""
        events, versions = self.events, self.versions
        for row in rows:
            reason = row[13]
            if reason in EVENT_REASONS:
                own = events.get(row[2])
                if own is None:
                    events[row[2]] = (row[0], row[1], row[3], row[8], reason)
                elif reason != "derived" and self.booked_twice is None:
                    self.booked_twice = (row[2], own[0], row[0])
            if reason != "decision":  # decision entries carry no rule set
                key = (row[10], row[11])
                known = versions.get(key)
                if known is None:
                    versions[key] = (row[12], row[0])
                elif known[0] != row[12] and self.version_clash is None:
                    self.version_clash = (key, row[0])
            yield row


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
    store: Store, decisions: Iterable[DecisionRow], facts: EntryFacts
) -> tuple[Broken | None, tuple[str, ...]]:
    """The first row of a bound table that disagrees with the chain (or None), and notes on
    rows that older versions wrote unbound. Run after the chain itself verified."""
    by_action: dict[str, list[DecisionRow]] = {}
    for decision in decisions:
        by_action.setdefault(str(decision.action), []).append(decision)
    notes: list[str] = []
    broken = (
        _closes(store, by_action.get("close", []))
        or _settlements(store, by_action.get(SETTLE_ACTION, []), notes)
        or _events(store, by_action, facts)
        or _versions(store, facts)
    )
    return broken, tuple(notes)


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


def _events(store: Store, by_action: dict[str, list[DecisionRow]], facts: EntryFacts) -> Broken | None:
    """Each event row against its own entries and its decisions; no entry or decision without its row."""
    acts: dict[str, dict[str, int]] = {}
    for action in _EVENT_ACTIONS:
        for decision in by_action.get(action, []):
            subject = str(decision.subject)
            if subject.startswith("event:"):
                acts.setdefault(subject.removeprefix("event:"), {})[action] = decision.seq
    if facts.booked_twice is not None:
        event_id, first, seq = facts.booked_twice
        return Broken(
            "events", f"event {event_id!r}",
            f"it is booked twice (seq {first} and seq {seq}): its row was deleted and it was sent again",
            seq if type(seq) is int else None,
        )  # fmt: skip
    seen: set[object] = set()
    for row in store.event_rows():
        seen.add(row.event_id)
        problem = _event_problem(row, facts.events.get(row.event_id), acts.get(str(row.event_id), {}))
        if problem:
            return Broken("events", f"event {row.event_id!r}", problem)
    for event_id, (seq, *_rest) in facts.events.items():
        if event_id not in seen:
            return Broken(
                "events", f"event {event_id!r}",
                f"the ledger books it (seq {seq}) but its row is gone: deleted, so it could be booked again", seq,
            )  # fmt: skip
    for event_id, decided in acts.items():
        if event_id not in seen:
            action, seq = min(decided.items(), key=lambda item: item[1])
            return Broken(
                "events", f"event {event_id!r}",
                f"decision seq {seq} ({action}) is about it but its row is gone: deleted, so it could be sent again",
                seq,
            )  # fmt: skip
    return None


def _event_problem(row: EventRow, own: tuple[Any, ...] | None, decided: dict[str, int]) -> str:
    """What of an event row disagrees with its entries (``own``) and its decisions ("" if nothing)."""
    status = row.status
    if status not in EVENT_STATUSES:
        return f"status {status!r} is not one an event can have"
    expected = _expected_status(own, decided)
    if status != expected:
        if own is None and not decided:
            return f"status is {status!r}, but it has no entries and no decision: it must be {expected!r}"
        return f"status is {status!r}, but its entries and decisions make it {expected!r}"
    parts = row.payload.split("\x1f", 5) if isinstance(row.payload, str) else []
    if len(parts) != 6:
        return "its payload is not a stored event's payload"
    if (parts[0], parts[1], parts[2]) != (row.member_id, row.kind, str(row.occurred_us)):
        return "its member, kind or time differs from its payload"
    if own is not None:
        seq, member, kind, quantity, reason = own
        if (member, kind) != (row.member_id, row.kind):
            return f"its member or kind differs from its entry at seq {seq}"
        if reason in _FULL_QUANTITY and quantity != parts[3]:
            return f"the quantity of its payload ({parts[3]}) differs from its entry at seq {seq} ({quantity})"
    return ""


def _expected_status(own: tuple[Any, ...] | None, decided: dict[str, int]) -> str:
    """The status an event's own entries and its decisions leave it in."""
    if "correct" in decided:
        return CORRECTED
    if own is not None:
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
