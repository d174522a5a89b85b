"""Text output: aligned tables (Chinese counts double width), CSV and JSON of reports and entries."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from gridpoints.desk.review import HeldEvent
from gridpoints.engine import Engine
from gridpoints.model import Entry
from gridpoints.results.check_reasons import reason_text as check_reason
from gridpoints.results.reports import ReportRow

__all__ = [
    "entries_json",
    "entries_table",
    "held_table",
    "reason_text",
    "report_table",
    "table",
    "text",
]

_HEADERS = {
    "rank": ("排名", "rank"),
    "member": ("网格员", "member"),
    "name": ("姓名", "name"),
    "region": ("区域", "region"),
    "grid": ("网格", "grid"),
    "score": ("得分", "score"),
    "grade": ("等级", "grade"),
    "rank_in_region": ("区域排名", "rank in region"),
    "titles": ("称号", "titles"),
    "flags": ("标记", "flags"),
    "seq": ("序号", "seq"),
    "day": ("日期", "day"),
    "event": ("事件", "event"),
    "rule": ("规则", "rule"),
    "points": ("积分", "points"),
    "coefficient": ("系数", "coefficient"),
    "reason": ("原因", "reason"),
    "hash": ("哈希", "hash"),
    "kind": ("类型", "kind"),
    "occurred_at": ("发生时间", "occurred at"),
    "check": ("检查", "check"),
}
_WORDS = {
    "gold": ("金牌网格员", "gold"),
    "accountability": ("问责", "accountability"),
    "outlier": ("异常", "outlier"),
    "veto": ("一票否决", "veto"),
    "not_eligible": ("不参评", "not eligible"),
}


#: Entry reasons (``Entry.reason``) as explain's table shows them in zh; en shows the code.
_REASONS = {
    "rule": "规则计分",
    "cap": "封顶",
    "limit": "限次",
    "derived": "派生扣分",
    "correction": "更正",
    "reversal": "冲销",
    "period_award": "月度奖励",
    "decision": "决定记录",
}


def reason_text(reason: str, lang: str) -> str:
    """An entry's reason code in ``lang`` (``cap`` → 封顶 in zh; the code itself in en)."""
    return _REASONS.get(reason, reason) if lang == "zh" else reason


def text(key: str, lang: str) -> str:
    """A column header or flag word in ``lang``."""
    pair = _HEADERS.get(key) or _WORDS.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]


def _width(value: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in value)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """Columns padded to their display width; ``right`` lists right-aligned column numbers."""
    widths = [_width(h) for h in headers]
    for row in rows:
        widths = [max(w, _width(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = []
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            pad = " " * (width - _width(cell))
            parts.append(pad + cell if i in right else cell + pad)
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _words(items: Sequence[str], lang: str) -> str:
    return ",".join(text(item, lang) for item in items)


def _name(engine: Engine, member_id: str) -> str:
    return engine.member(member_id).name or ""


_REPORT_COLUMNS = ("rank", "member", "name", "region", "grid", "score", "grade", "rank_in_region", "titles", "flags")


def _report_cells(engine: Engine, row: ReportRow, lang: str) -> list[str]:
    return [
        "" if row.rank is None else str(row.rank),
        row.member_id,
        _name(engine, row.member_id),
        engine.region_labels(lang).get(row.region, row.region),
        "" if row.grid is None else engine.grid_labels(lang).get(row.grid, row.grid),
        str(row.score),
        "" if row.grade is None else row.grade.label(lang),
        "" if row.rank_in_region is None else str(row.rank_in_region),
        ",".join(row.title_texts(lang)),
        _words(row.flags, lang),
    ]


def report_table(engine: Engine, rows: Sequence[ReportRow], lang: str) -> str:
    """The report rows as an aligned table."""
    return table(
        [text(c, lang) for c in _REPORT_COLUMNS],
        [_report_cells(engine, r, lang) for r in rows],
        right=(0, 5, 7),
    )


def _rule_label(engine: Engine, entry: Entry, lang: str) -> str:
    version = engine.rulebook.by_version.get(entry.version)
    rule = version.ruleset.rule(entry.rule) if version is not None else None
    return rule.display(lang) if rule is not None else entry.rule


def entries_table(engine: Engine, entries: Sequence[Entry], lang: str) -> str:
    """Explain output: one line per entry, the score's parts."""
    columns = ("seq", "day", "event", "rule", "points", "coefficient", "reason", "hash")
    rows = [
        [
            str(e.seq),
            e.day,
            e.event_id,
            _rule_label(engine, e, lang),
            str(e.points),
            str(e.coefficient),
            reason_text(e.reason, lang) + (f" → {e.ref}" if e.ref else ""),
            e.hash[:12],
        ]
        for e in entries
    ]
    return table([text(c, lang) for c in columns], rows, right=(0, 4, 5))


def entries_json(engine: Engine, entries: Sequence[Entry], lang: str) -> str:
    """Explain output as JSON: every entry field, points as exact decimal strings."""
    return (
        json.dumps(
            [
                {
                    "seq": e.seq,
                    "member_id": e.member_id,
                    "event_id": e.event_id,
                    "kind": e.kind,
                    "period": e.period,
                    "day": e.day,
                    "points": str(e.points),
                    "coefficient": str(e.coefficient),
                    "quantity": e.quantity,
                    "rule": e.rule,
                    "rule_label": _rule_label(engine, e, lang),
                    "ruleset": e.ruleset,
                    "version": e.version,
                    "reason": e.reason,
                    "ref": e.ref,
                    "hash": e.hash,
                }
                for e in entries
            ],
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )


def _clip(value: str, width: int | None) -> str:
    """``value`` cut to ``width`` display columns, with an ellipsis when cut."""
    if width is None or _width(value) <= width:
        return value
    out = ""
    for char in value:
        if _width(out + char) > width - 1:
            break
        out += char
    return out + "…"


def held_table(
    held: Sequence[HeldEvent],
    lang: str,
    tz: Any,
    *,
    reason_width: int | None = None,
    check_labels: Mapping[str, str] | None = None,
) -> str:
    """Held events waiting for review; ``reason_width`` clips long reasons (the demo's summary).
    ``check_labels`` (check name → label in ``lang``) names the checks: 每日上限 rather than
    daily_limit; a built-in check's reason is said in Chinese for ``zh`` (``check_reasons``)."""
    labels = check_labels or {}
    rows = [
        [
            h.event.id,
            h.event.member_id,
            h.event.kind,
            h.event.occurred_at.astimezone(tz).isoformat(timespec="minutes"),
            labels.get(h.check, h.check),
            _clip(check_reason(h.check, h.reason, lang) + (f" → {h.ref}" if h.ref else ""), reason_width),
        ]
        for h in held
    ]
    columns = ("event", "member", "kind", "occurred_at", "check", "reason")
    return table([text(c, lang) for c in columns], rows)
