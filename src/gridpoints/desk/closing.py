"""Closing a month (结账): settle it, freeze its report with the ledger head, refuse to reopen.

After a month is closed, anything that touches it — late events, approvals, upheld appeals,
corrections — is booked in the first open month after it (see ``Booking.open_month``); the
frozen report is what ``Engine.report`` returns for the month from then on.
"""

from __future__ import annotations

from collections.abc import Callable

from gridpoints.desk.desk import Desk, Sitting
from gridpoints.desk.review import require_text
from gridpoints.errors import LedgerError
from gridpoints.ledger.decisions import Decision, report_digest
from gridpoints.periods import Period
from gridpoints.schema import PeriodCloseRow
from gridpoints.stores import Store

__all__ = ["close_period"]


def close_period(
    desk: Desk,
    period: str | Period,
    *,
    by: str,
    note: str,
    freeze: Callable[[Period], str],
    settle: Callable[[str], object] | None = None,
) -> tuple[PeriodCloseRow, Decision]:
    """Close month ``period`` (see the module doc): ``settle`` it first when given (its period
    awards, booked once), then store ``freeze(month)`` — the month's report as frozen text — with
    the ledger head; return the stored row and the ``close`` decision.

    ValueError for a quarter/year or a month that has not ended yet by the desk's clock;
    LedgerError when it is closed already (a closed month is never reopened).
    """
    by = require_text(by, "by")
    if not isinstance(note, str):
        raise TypeError(f"note: {note!r} is not a string")
    month = Period.parse(period)
    if month.kind != "month":
        raise ValueError(f"period: only a month can be closed, not {month}")
    now = desk.clock()
    if now < month.end(desk.tz):
        raise ValueError(f"period: {month} has not ended yet (now {now.astimezone(desk.tz).isoformat()})")
    label = str(month)
    _refuse_if_closed(desk.store, label)
    if settle is not None:
        settle(label)

    def record_close(sitting: Sitting, frozen: str) -> tuple[PeriodCloseRow, Decision]:
        tx = sitting.tx
        if label in tx.closed_periods():
            _refuse_if_closed(desk.store, label)
        head_seq, head_hash = tx.head  # what the report was frozen at (Desk.decide_on)
        recorded = sitting.record(
            "close", f"period:{label}", by=by, note=note, month=label,
            detail={"head_seq": head_seq, "head_hash": head_hash, "report_digest": report_digest(frozen)},
        )  # fmt: skip
        close = PeriodCloseRow(label, recorded.seq, head_seq, head_hash, frozen)
        tx.add_period_close(close)
        return close, Decision.from_row(recorded)

    return desk.decide_on(lambda: freeze(month), record_close)


def _refuse_if_closed(store: Store, label: str) -> None:
    rows = store.period_closes(periods=[label])
    if rows:
        decision = Decision.from_row(store.decision_rows(subjects=[f"period:{label}"], actions=["close"])[0])
        raise LedgerError(
            f"period: {label} was closed by {decision.by} at {decision.at.isoformat()}; a closed month "
            "is never reopened — later changes are booked in the first open month after it"
        )
