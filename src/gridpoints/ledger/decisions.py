"""Human decisions (审核, 申诉, 更正, 结账) and how they enter the hash chain.

Every decision is two things written in one transaction: a row in the store's ``decisions``
table with who, when and why, and a zero-point ledger entry (reason ``decision``, rule = the
action) whose ``digest`` column holds ``SHA-256`` of the decision row. The chain thus commits to
every decision, while the free text (names of officials, reasons) lives beside the chain; a
decision row edited after the fact no longer matches its entry and ``verify()`` says so.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from gridpoints.schema import DECISION_COLUMNS, DecisionRow

__all__ = [
    "ACTIONS",
    "DECISION_COLUMNS",
    "Decision",
    "DecisionRow",
    "decision_digest",
    "report_digest",
]

#: Decision actions and what they mean.
ACTIONS = {
    "approve": "a reviewer approved a held event; its entries are booked beside this one",
    "reject": "a reviewer refused a held event; it is never booked",
    "appeal": "a member's appeal against an entry was opened",
    "appeal_review": "first-level review of an appeal (two-level review): a recommendation",
    "uphold": "an appeal was upheld; a reversal entry cancels the contested entry",
    "dismiss": "an appeal was dismissed; the entry stands",
    "correct": "an operator replaced a booked event; reversals and the replacement's entries follow",
    "close": "a month was closed; its report is frozen",
    "settle": "a month was settled: its period awards are booked just before this entry (head_seq in detail)",
}


def decision_digest(row: DecisionRow | tuple[object, ...]) -> str:
    """SHA-256 (hex) of a decision row's canonical JSON: what its ledger entry commits to."""
    text = json.dumps(list(row), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def report_digest(text: str) -> str:
    """SHA-256 (hex) of a closed month's frozen report text: what its ``close`` decision commits to."""
    return hashlib.sha256(text.encode()).hexdigest()


@attrs.frozen
class Decision:
    """One recorded decision: its ledger ``seq``, ``action``, ``subject``, who (``by``), when
    (``at``, UTC), why (``note``) and action-specific ``detail``.

    Subjects: ``event:<id>`` (approve, reject, correct), ``entry:<seq>`` (appeal),
    ``appeal:A-12`` (appeal_review, uphold, dismiss; ``appeal:<seq>`` for appeals opened before
    appeals were numbered), ``period:<month>`` (close, settle).
    """

    seq: int
    action: str
    subject: str
    by: str
    at: datetime
    note: str
    detail: Mapping[str, Any] = attrs.field(factory=dict, hash=False)

    @classmethod
    def from_row(cls, row: DecisionRow) -> Decision:
        """Build from a stored decision row (``DECISION_COLUMNS``)."""
        return cls(
            row.seq,
            row.action,
            row.subject,
            row.actor,
            datetime.fromisoformat(row.at),
            row.note,
            json.loads(row.detail) if row.detail else {},
        )
