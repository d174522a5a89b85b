"""A closed month's frozen report: canonical JSON text and back, and the closed month as read.

Closing (``gridpoints.desk.closing``) stores the text this module writes beside the ledger head
and commits to its digest; reading a closed month (``Engine.report``, ``Engine.closed_periods``)
turns it back into a ``Report``.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from gridpoints.ledger.checkpoints import Checkpoint
from gridpoints.ledger.decisions import Decision
from gridpoints.model import Grade
from gridpoints.periods import Period
from gridpoints.results.reports import BUILTIN_SCALE, Report, ReportRow
from gridpoints.schema import PeriodCloseRow

__all__ = ["ClosedPeriod", "closed_from_row", "report_from_json", "report_to_json"]


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
    # title_labels only when there are some: a report without titles is written as it always was.
    rows = [
        {f.name: _plain(getattr(row, f.name)) for f in attrs.fields(ReportRow) if f.name != "title_labels"}
        | ({"title_labels": _plain(row.title_labels)} if row.title_labels else {})
        for row in report.rows
    ]
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
