"""The store tables' row types: one definition each, at the bottom of the package.

Each row type is a ``NamedTuple`` whose field names are the table's column names, in column
order, so a row reads by name (``row.reason``) and still is the plain tuple the databases take
and give. The column lists are derived from them. Stores return these types from their read
methods; the ledger, ingest, the desks and the results import them from here. This module
imports nothing from gridpoints.

Writers hand ``Transaction.append`` plain tuples in column order (``EntryValues``,
``EventValues``; a named row is one too): ingest builds an entry row and an event row per
event, and a plain tuple takes a third to two thirds of the time a named one does to build.
``Store.chain_rows`` may stream plain tuples too, because ``verify()`` unpacks every entry
positionally anyway. Everything else a store returns is named; ``named`` turns plain rows into
named ones in C, without a Python call per row (docs/performance.md has the figures).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any, Final, NamedTuple, TypeVar, cast

__all__ = [
    "BOOKED",
    "CORRECTED",
    "DECISION_COLUMNS",
    "ENTRY_COLUMNS",
    "EVENT_COLUMNS",
    "EVENT_REASONS",
    "EVENT_STATUSES",
    "GENESIS",
    "HELD",
    "INTAKE_COLUMNS",
    "PERIOD_CLOSE_COLUMNS",
    "REJECTED",
    "CapKey",
    "DecisionRow",
    "EntryRow",
    "EntryValues",
    "EventBinding",
    "EventRow",
    "EventValues",
    "IntakeBinding",
    "IntakeRow",
    "PeriodCloseRow",
    "is_derived",
    "named",
]

#: The ``prev_hash`` of the first entry, and the head hash of an empty ledger.
GENESIS: Final = "0" * 64


class EntryRow(NamedTuple):
    """One ledger entry (table ``entries``). Points are in hundredths; the coefficient and the
    quantity are their canonical text; ``hash = SHA-256(prev_hash ‖ canonical bytes)``."""

    seq: int
    member_id: str
    event_id: str
    kind: str
    period: str
    day: str
    points_cents: int
    coefficient: str
    quantity: str
    rule: str
    ruleset: str
    version: str
    digest: str
    reason: str
    ref: str
    prev_hash: str
    hash: str


#: An entry row as a plain tuple in ``ENTRY_COLUMNS`` order (what ``chain_rows`` may stream).
EntryValues = tuple[int, str, str, str, str, str, int, str, str, str, str, str, str, str, str, str, str]


class EventRow(NamedTuple):
    """One stored event (table ``events``): booked, held or decided, with its canonical payload.

    ``occurred_us`` is µs since the epoch; ``period`` the event's own month; ``hold_*`` say
    which check held it, why, and what it points at (for a correction's replacement, ``hold_ref``
    is the corrected event's id). Empty text where there is nothing to say.
    """

    event_id: str
    member_id: str
    kind: str
    occurred_us: int
    period: str
    status: str
    payload: str
    hold_check: str
    hold_reason: str
    hold_ref: str


#: An event row as a plain tuple in ``EVENT_COLUMNS`` order (what writers hand ``append``).
EventValues = tuple[str, str, str, int, str, str, str, str, str, str]


class EventBinding(NamedTuple):
    """An event row beside its own entries (``Store.event_bindings``, what ``verify()`` checks):
    the row's columns (None when the row is missing), then the event's first own entry (reasons
    in ``EVENT_REASONS``: seq, member, kind, quantity, reason; None when it has none) and
    ``awards``, how many own entries it has that are not derived from it (``is_derived``): one,
    unless booked twice."""

    event_id: str
    member_id: str | None
    kind: str | None
    occurred_us: int | None
    status: str | None
    payload: str | None
    entry_seq: int | None
    entry_member_id: str | None
    entry_kind: str | None
    entry_quantity: str | None
    entry_reason: str | None
    awards: int


class IntakeRow(NamedTuple):
    """One write of event rows (table ``intakes``, the intake log beside the chain): its ``seq``
    (the ``intake_seq`` its event rows carry), how many event rows it wrote, the ``digest`` of
    those rows as written, and its own hash chain (``gridpoints.stores.intakes``)."""

    seq: int
    events: int
    digest: str
    prev_hash: str
    hash: str


class IntakeBinding(NamedTuple):
    """A line of ``Store.intake_bindings``: an intake row (event columns None) or an event row
    (``events`` … ``hash`` None) under ``intake_seq`` — the intake's seq, or the event's
    ``intake_seq`` (0: written before the intake log)."""

    intake_seq: int
    events: int | None
    digest: str | None
    prev_hash: str | None
    hash: str | None
    event_id: str | None
    member_id: str | None
    kind: str | None
    occurred_us: int | None
    period: str | None
    status: str | None
    payload: str | None
    hold_check: str | None
    hold_reason: str | None
    hold_ref: str | None


class DecisionRow(NamedTuple):
    """One recorded decision (table ``decisions``); ``seq`` is the seq of its ledger entry, ``at``
    an ISO instant in UTC, ``detail`` compact JSON (or empty). See gridpoints.ledger.decisions."""

    seq: int
    action: str
    subject: str
    actor: str
    at: str
    note: str
    detail: str


class PeriodCloseRow(NamedTuple):
    """A closed month (table ``period_closes``): the seq of its ``close`` decision entry, the
    ledger head (seq, hash) its frozen report reflects, and the frozen report as JSON."""

    period: str
    decision_seq: int
    head_seq: int
    head_hash: str
    report: str


class CapKey(NamedTuple):
    """What one cap counts against: a member's points from one rule in a day or a month.
    ``scope`` is ``"day"`` (``value`` the local day) or ``"period"`` (``value`` the month)."""

    member_id: str
    ruleset: str
    rule: str
    scope: str
    value: str


class RuleKey(NamedTuple):
    """What ``Store.totals_by_rule`` groups a member's entries by: the rule-set version and rule
    that booked them (a scheme finds the section from these), the kind and the reason."""

    ruleset: str
    version: str
    rule: str
    kind: str
    reason: str


#: Columns of table ``entries``, in the order rows are handed to and from stores.
ENTRY_COLUMNS: Final = EntryRow._fields
#: Columns of table ``events``.
EVENT_COLUMNS: Final = EventRow._fields
#: Columns of table ``intakes``.
INTAKE_COLUMNS: Final = IntakeRow._fields
#: Columns of table ``decisions``.
DECISION_COLUMNS: Final = DecisionRow._fields
#: Columns of table ``period_closes``.
PERIOD_CLOSE_COLUMNS: Final = PeriodCloseRow._fields

#: Entry reasons that score an event itself (its rule award, a capped award, an award cut by a
#: count limit, a deduction derived from it, or a correction's replacement); other reasons
#: (period awards, reversals, decisions) stand beside events. Quantities in a period summary
#: count only these.
EVENT_REASONS: Final = frozenset({"rule", "cap", "limit", "derived", "correction"})

def is_derived(event_id: str, reason: str, ref: str) -> bool:
    """Whether an own entry of event ``event_id`` (reason in ``EVENT_REASONS``) is a deduction
    derived from it (a late report's) rather than its award: reason ``derived``, or ``ref`` the
    event's own id. The ref tells it whatever the reason: a count limit or a cap on the
    ``late_report`` rule names the reason of the deduction it cuts (``limit``) or clips (``cap``),
    and an award's ref is never its own event's id (empty, ``period:<month>``, or the replaced
    event's id for a correction). ``Store.event_bindings`` counts awards by the same test."""
    return reason == "derived" or ref == event_id


#: Statuses of a stored event: booked (its entries are in the ledger), held (waiting for
#: review), rejected (by a reviewer; never booked), corrected (replaced; its entries reversed).
BOOKED: Final = "booked"
HELD: Final = "held"
REJECTED: Final = "rejected"
CORRECTED: Final = "corrected"
EVENT_STATUSES: Final = frozenset({BOOKED, HELD, REJECTED, CORRECTED})

Row = TypeVar("Row", bound=tuple[Any, ...])


def named(row_type: type[Row], rows: Iterable[Iterable[Any]]) -> Iterator[Row]:
    """``rows`` (each in ``row_type``'s column order) as ``row_type`` instances, lazily.

    ``tuple.__new__`` builds each in C, as ``row_type._make`` does but without its Python call
    and length check: the rows come from a SELECT of exactly the type's columns.
    """
    make = cast(Callable[[Iterable[Any]], Row], partial(tuple.__new__, row_type))
    return map(make, rows)
