"""Closing a month (结账): settle it, freeze its report with the ledger head, refuse to reopen.

After a month is closed, anything that touches it — late events, approvals, upheld appeals,
corrections — is booked in the first open month after it (see ``Booking.open_month``); the
frozen report is what ``Engine.report`` returns for the month from then on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from gridpoints.desk.desk import Desk
from gridpoints.desk.review import require_text
from gridpoints.errors import LedgerError
from gridpoints.ledger.checkpoints import Checkpoint
from gridpoints.ledger.decisions import Decision
from gridpoints.model import Grade
from gridpoints.periods import Period
from gridpoints.results.reports import BUILTIN_SCALE, Report, ReportRow
from gridpoints.schema import PeriodCloseRow
from gridpoints.stores import Store

__all__ = ["ClosedPeriod", "close_period", "closed_from_row", "report_digest", "report_from_json", "report_to_json"]


def _grade_json(grade: Grade) -> object:
    """A built-in grade by its code alone (as reports frozen before grades became values);
    any other grade with its labels and band, so it comes back whole."""
    if grade in BUILTIN_SCALE:
        return {"grade": grade.code}
    return {"grade": {"code": grade.code, "label": grade.label_zh, "label_en": grade.label_en, "band": grade.band}}


def _grade_from_json(value: object) -> Grade:
    if isinstance(value, str):
        return Grade.builtin(value)
    if isinstance(value, dict):
        return Grade(value["code"], value["label"], value.get("label_en"), int(value.get("band", 0))).interned()
    raise ValueError(f"grade: {value!r} is not a stored grade")


def _plain(value: object) -> object:
    """JSON-ready form of a report value; Decimals and Grades tagged so they come back typed."""
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, Grade):
        return _grade_json(value)
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _typed(value: object) -> object:
    if isinstance(value, dict):
        if set(value) == {"decimal"}:
            return Decimal(value["decimal"])
        if set(value) == {"grade"}:
            return _grade_from_json(value["grade"])
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_typed(v) for v in value)
    return value


def report_to_json(report: Report) -> str:
    """A report as canonical JSON (every ReportRow field, decimals exact; the grade scale when
    it is not the built-in one)."""
    rows = [{f.name: _plain(getattr(row, f.name)) for f in attrs.fields(ReportRow)} for row in report.rows]
    document: dict[str, object] = {"period": str(report.period), "rows": rows}
    if report.scale != BUILTIN_SCALE:
        document["scale"] = [_plain(grade) for grade in report.scale]
    if report.scheme:
        document["scheme"] = True
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def report_from_json(text: str) -> Report:
    """Read back ``report_to_json``; fields a newer ReportRow added take their defaults, so a
    report frozen by an older version (grades as ``{"grade": "excellent"}``) still loads."""
    data = json.loads(text)
    known = {f.name for f in attrs.fields(ReportRow)}
    fields: list[dict[str, Any]] = [{k: _typed(v) for k, v in row.items() if k in known} for row in data["rows"]]
    rows = tuple(ReportRow(**values) for values in fields)
    scale = tuple(_grade_from_json(item["grade"]) for item in data.get("scale", ())) or BUILTIN_SCALE
    return Report(Period.parse(data["period"]), rows, scale=scale, scheme=bool(data.get("scheme", False)))


def report_digest(text: str) -> str:
    """SHA-256 (hex) of a frozen report's JSON: what the ``close`` decision commits to."""
    return hashlib.sha256(text.encode()).hexdigest()


@attrs.frozen
class ClosedPeriod:
    """A closed month: who closed it and when, the ledger head its report reflects, the report."""

    period: str
    by: str
    at: datetime
    head_seq: int
    head_hash: str
    report: Report = attrs.field(eq=False, repr=False)
    decision_seq: int = 0

    @property
    def checkpoint(self) -> Checkpoint:
        """The ledger position recorded at closing, as an (unsealed) checkpoint."""
        return Checkpoint(self.head_seq, self.head_hash)


def closed_from_row(row: PeriodCloseRow, decision: Decision) -> ClosedPeriod:
    """Build a ClosedPeriod from its stored row and its ``close`` decision."""
    return ClosedPeriod(
        row.period, decision.by, decision.at, row.head_seq, row.head_hash, report_from_json(row.report),
        row.decision_seq,
    )


def close_period(
    desk: Desk,
    period: str | Period,
    *,
    by: str,
    note: str,
    live_report: Callable[[Period], Report],
    settle: Callable[[str], object] | None = None,
) -> ClosedPeriod:
    """Close month ``period`` (see the module doc): ``settle`` it first when given (its period
    awards, booked once), then freeze ``live_report(month)`` with the ledger head.

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
    with desk.decide() as sitting:
        tx = sitting.tx
        if label in tx.closed_periods():
            _refuse_if_closed(desk.store, label)
        head_seq, head_hash = tx.head
        frozen = report_to_json(live_report(month))
        recorded = sitting.record(
            "close", f"period:{label}", by=by, note=note, month=label,
            detail={"head_seq": head_seq, "head_hash": head_hash, "report_digest": report_digest(frozen)},
        )  # fmt: skip
        close = PeriodCloseRow(label, recorded.seq, head_seq, head_hash, frozen)
        tx.add_period_close(close)
    return closed_from_row(close, Decision.from_row(recorded))


def _refuse_if_closed(store: Store, label: str) -> None:
    rows = store.period_closes(periods=[label])
    if rows:
        decision = Decision.from_row(store.decision_rows(subjects=[f"period:{label}"], actions=["close"])[0])
        raise LedgerError(
            f"period: {label} was closed by {decision.by} at {decision.at.isoformat()}; a closed month "
            "is never reopened — later changes are booked in the first open month after it"
        )
