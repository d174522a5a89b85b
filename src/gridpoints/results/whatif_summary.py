"""The answer a 积分分析会 wants first from a what-if: who changes grade or rank, how many points
move, and which events the proposal cannot score, counted by kind and reason.

``WhatIf.summary()`` builds a ``WhatIfSummary`` from the rows; ``text(lang)`` prints it (the
command line's ``simulate`` prints exactly that before its table).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from gridpoints.ingest.outcomes import REJECTION_CODES, Rejection
from gridpoints.model import Grade
from gridpoints.results.simulation import EventsGiven

if TYPE_CHECKING:
    from gridpoints.results.whatif import WhatIfRow

__all__ = ["GradeMove", "UnscoredCount", "WhatIfSummary", "count_unscored", "summarize"]


@attrs.frozen
class GradeMove:
    """``count`` members would move from grade ``old`` to grade ``new``."""

    old: Grade
    new: Grade
    count: int


@attrs.frozen
class UnscoredCount:
    """``count`` events of ``kind`` could not be scored, for reason ``code`` (a rejection code)."""

    kind: str
    code: str
    count: int

    @property
    def meaning(self) -> str:
        """What the code means (``unknown_kind``: the active rule set has no rule for this kind)."""
        return REJECTION_CODES.get(self.code, self.code)


def count_unscored(unscored: Iterable[Rejection], kinds: Mapping[str, str]) -> tuple[UnscoredCount, ...]:
    """Rejections counted by (kind, code), most frequent first."""
    counts = Counter((kinds.get(r.event_id or "", "?"), r.code) for r in unscored)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(UnscoredCount(kind, code, count) for (kind, code), count in ordered)


@attrs.frozen
class WhatIfSummary:
    """A what-if in figures. Totals are over the assessed members' period scores.

    ``moved`` is the sum of every member's |Δ| (points that change hands, whatever the sign);
    ``unscored`` counts the events the proposal cannot score; with events handed in,
    ``unscored_now`` counts those the current rules cannot score and ``events`` says what became
    of them.
    """

    period: str
    ruleset: str
    version: str
    members: int
    grade_changes: int
    grade_moves: tuple[GradeMove, ...]
    rank_changes: int
    score_changes: int
    up: int
    down: int
    old_total: Decimal
    new_total: Decimal
    moved: Decimal
    unscored: tuple[UnscoredCount, ...]
    unscored_now: tuple[UnscoredCount, ...] = ()
    events: EventsGiven | None = None

    @property
    def unscored_total(self) -> int:
        """How many events the proposal cannot score."""
        return sum(item.count for item in self.unscored)

    def text(self, lang: str = "zh") -> str:
        """The summary as lines of text, in Chinese (``zh``) or English (``en``)."""
        return "\n".join(_lines(self, lang == "en")) + "\n"


def summarize(
    period: str,
    ruleset: str,
    version: str,
    rows: Sequence[WhatIfRow],
    unscored: tuple[UnscoredCount, ...],
    unscored_now: tuple[UnscoredCount, ...] = (),
    events: EventsGiven | None = None,
) -> WhatIfSummary:
    """Count the changes over ``rows``."""
    moves = Counter((row.old_grade, row.new_grade) for row in rows if row.old_grade != row.new_grade)
    ordered = sorted(moves.items(), key=lambda item: -item[1])  # ties: first seen, in new-rank order
    return WhatIfSummary(
        period=period,
        ruleset=ruleset,
        version=version,
        members=len(rows),
        grade_changes=sum(moves.values()),
        grade_moves=tuple(GradeMove(old, new, count) for (old, new), count in ordered),
        rank_changes=sum(1 for row in rows if row.old_rank != row.new_rank),
        score_changes=sum(1 for row in rows if row.delta != 0),
        up=sum(1 for row in rows if row.delta > 0),
        down=sum(1 for row in rows if row.delta < 0),
        old_total=sum((row.old_score for row in rows), start=Decimal(0)),
        new_total=sum((row.new_score for row in rows), start=Decimal(0)),
        moved=sum((abs(row.delta) for row in rows), start=Decimal(0)),
        unscored=unscored,
        unscored_now=unscored_now,
        events=events,
    )


def _signed(value: Decimal) -> str:
    return f"{value:+,}"


def _unscored_lines(items: tuple[UnscoredCount, ...], en: bool) -> list[str]:
    width = max((len(item.kind) for item in items), default=0)
    code_width = max((len(item.code) for item in items), default=0)
    return [
        f"  {item.kind:<{width}}  {item.code:<{code_width}}  {item.count:>7,}" + (f"  ({item.meaning})" if en else "")
        for item in items
    ]


def _lines(summary: WhatIfSummary, en: bool) -> list[str]:
    s = summary
    lines = []
    if en:
        lines.append(f"{s.period}: proposal {s.ruleset} {s.version} against the ledger, {s.members:,} members assessed")
        moves = ", ".join(f"{m.old.label('en')} → {m.new.label('en')} {m.count:,}" for m in s.grade_moves)
        lines.append(f"grade changes: {s.grade_changes:,}" + (f" ({moves})" if moves else ""))
        lines.append(
            f"rank changes: {s.rank_changes:,}; score changes: {s.score_changes:,} (up {s.up:,}, down {s.down:,})"
        )
        lines.append(
            f"points: {s.old_total:,} now, {s.new_total:,} under the proposal ({_signed(s.new_total - s.old_total)}); "
            f"{s.moved:,} moved (sum of every member's change)"
        )
    else:
        lines.append(f"{s.period}：方案 {s.ruleset} {s.version} 与台账对比，参与考核 {s.members:,} 人")
        moves = "，".join(f"{m.old.label('zh')} → {m.new.label('zh')} {m.count:,} 人" for m in s.grade_moves)
        lines.append(f"等级变化：{s.grade_changes:,} 人" + (f"（{moves}）" if moves else ""))
        lines.append(
            f"排名变化：{s.rank_changes:,} 人；得分变化：{s.score_changes:,} 人（上升 {s.up:,}，下降 {s.down:,}）"
        )
        lines.append(
            f"总分：现行 {s.old_total:,}，方案 {s.new_total:,}（{_signed(s.new_total - s.old_total)}）；"
            f"变动合计 {s.moved:,}（各人变化的绝对值之和）"
        )
    if s.events is not None:
        e = s.events
        lines.append(
            f"events given: {e.given:,}; rescored {e.rescored:,}, already in the ledger {e.in_ledger:,}, "
            f"outside {s.period} {e.outside:,}"
            if en
            else f"另附事件：{e.given:,} 条；参与重算 {e.rescored:,}，已在台账 {e.in_ledger:,}，"
            f"不在 {s.period} {e.outside:,}"
        )
        now = sum(item.count for item in s.unscored_now)
        lines.append(
            f"not scorable under the current rules: {now:,} events" if en else f"现行规则无法计分：{now:,} 条事件"
        )
        lines.extend(_unscored_lines(s.unscored_now, en))
    lines.append(
        f"not scorable under the proposal: {s.unscored_total:,} events"
        if en
        else f"方案无法计分：{s.unscored_total:,} 条事件"
    )
    lines.extend(_unscored_lines(s.unscored, en))
    return lines
