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
    """``count`` members would move from grade ``old`` to grade ``new`` (None: ungraded, for a
    running score or a member not eligible)."""

    old: Grade | None
    new: Grade | None
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


#: The summary's sentences, by language; ``_lines`` fills them in.
_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "head": "{period}: proposal {ruleset} {version} against the ledger, {members:,} members assessed",
        "move": "{old} → {new} {count:,}",
        "moves": " ({})",
        "join": ", ",
        "grades": "grade changes: {count:,}",
        "ranks": "rank changes: {ranks:,}; score changes: {scores:,} (up {up:,}, down {down:,})",
        "points": "points: {old:,} now, {new:,} under the proposal ({change}); "
        "{moved:,} moved (sum of every member's change)",
        "given": "events given: {given:,}; rescored {rescored:,}, already in the ledger {in_ledger:,}, "
        "outside {period} {outside:,}",
        "now": "not scorable under the current rules: {count:,} events",
        "proposal": "not scorable under the proposal: {count:,} events",
    },
    "zh": {
        "head": "{period}：方案 {ruleset} {version} 与台账对比，参与考核 {members:,} 人",
        "move": "{old} → {new} {count:,} 人",
        "moves": "（{}）",
        "join": "，",
        "grades": "等级变化：{count:,} 人",
        "ranks": "排名变化：{ranks:,} 人；得分变化：{scores:,} 人（上升 {up:,}，下降 {down:,}）",
        "points": "总分：现行 {old:,}，方案 {new:,}（{change}）；变动合计 {moved:,}（各人变化的绝对值之和）",
        "given": "另附事件：{given:,} 条；参与重算 {rescored:,}，已在台账 {in_ledger:,}，不在 {period} {outside:,}",
        "now": "现行规则无法计分：{count:,} 条事件",
        "proposal": "方案无法计分：{count:,} 条事件",
    },
}


def _unscored_lines(items: tuple[UnscoredCount, ...], en: bool) -> list[str]:
    width = max((len(item.kind) for item in items), default=0)
    code_width = max((len(item.code) for item in items), default=0)
    return [
        f"  {item.kind:<{width}}  {item.code:<{code_width}}  {item.count:>7,}" + (f"  ({item.meaning})" if en else "")
        for item in items
    ]


def _lines(s: WhatIfSummary, en: bool) -> list[str]:
    lang = "en" if en else "zh"
    text = _TEXT[lang]
    moves = text["join"].join(
        text["move"].format(old=_grade_label(m.old, lang), new=_grade_label(m.new, lang), count=m.count)
        for m in s.grade_moves
    )
    lines = [
        text["head"].format(period=s.period, ruleset=s.ruleset, version=s.version, members=s.members),
        text["grades"].format(count=s.grade_changes) + (text["moves"].format(moves) if moves else ""),
        text["ranks"].format(ranks=s.rank_changes, scores=s.score_changes, up=s.up, down=s.down),
        text["points"].format(
            old=s.old_total, new=s.new_total, change=f"{s.new_total - s.old_total:+,}", moved=s.moved
        ),
    ]
    if s.events is not None:
        lines.append(text["given"].format(period=s.period, **attrs.asdict(s.events)))
        lines.append(text["now"].format(count=sum(item.count for item in s.unscored_now)))
        lines.extend(_unscored_lines(s.unscored_now, en))
    lines.append(text["proposal"].format(count=s.unscored_total))
    lines.extend(_unscored_lines(s.unscored, en))
    return lines


def _grade_label(grade: Grade | None, lang: str) -> str:
    if grade is not None:
        return grade.label(lang)
    return "ungraded" if lang == "en" else "不评等级"
