"""The built-in checks' hold reasons in Chinese, for display.

A check records its reason as English text with the event (``HeldEvent.reason``); the record
stays as written. For ``--lang zh`` the reasons of the built-in checks are read back by the
patterns below and said in Chinese; a reason no pattern matches (a locality's check, or a
wording the checks no longer use) is shown as recorded. ``tests/test_zh_labels.py`` holds the
patterns to the checks' current wording.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

__all__ = ["reason_text"]

_Match = Callable[[re.Match[str]], str]

_ZH: Mapping[str, tuple[re.Pattern[str], _Match]] = {
    "daily_limit": (
        re.compile(
            r"daily limit: (?P<used>\S+) (?P<kind>\S+) units already recorded on (?P<day>\S+); this event's "
            r"(?P<quantity>\S+) would make (?P<total>\S+), over the limit of (?P<limit>\S+) per day$"
        ),
        lambda m: (
            f"每日上限：{m['day']} 已记录 {m['kind']} {m['used']} 个单位，本条 {m['quantity']} 个将达 "
            f"{m['total']}，超过每日上限 {m['limit']}"
        ),
    ),
    "evidence": (
        re.compile(r"no evidence: (?P<which>.+) is high-value self-reported work but has neither "
                   r"attributes\[(?P<evidence>'[^']*')\] nor attributes\[(?P<verified>'[^']*')\]; "
                   r"check the record before it counts$"),
        lambda m: (
            f"缺少佐证材料：{m['which']} 属高分值自报事项，既无 attributes[{m['evidence']}] 也无 "
            f"attributes[{m['verified']}]，计分前请核实记录"
        ),
    ),
    "duplicate_submission": (
        re.compile(r"possible duplicate: (?P<kind>\S+) at (?P<attribute>\S+) (?P<place>.+) (?P<apart>\d+) min "
                   r"from event (?P<other>.+) of the same member \(within (?P<window>\d+) min\); confirm they "
                   r"are two different pieces of work$"),
        lambda m: (
            f"疑似重复提交：{m['kind']} 与同一网格员的事件 {m['other']} 在同一{m['attribute']} {m['place']}，"
            f"相隔 {m['apart']} 分钟（{m['window']} 分钟内）；请确认是两项不同的工作"
        ),
    ),
    "burst": (
        re.compile(r"burst: (?P<count>\d+) events of member (?P<member>.+) from (?P<start>\S+ \S+) within "
                   r"(?P<minutes>\d+) min \(more than (?P<limit>\d+)\); check they were really done, not typed "
                   r"in at once$"),
        lambda m: (
            f"集中突击录入：网格员 {m['member']} 自 {m['start']} 起 {m['minutes']} 分钟内录入 {m['count']} 条"
            f"（超过 {m['limit']} 条）；请核实确已完成，而非一次补录"
        ),
    ),
}


def reason_text(check: str, reason: str, lang: str) -> str:
    """A held event's reason in ``lang``: a built-in check's reason in Chinese for ``zh``, else
    (English, another check, an unknown wording) as recorded."""
    if lang != "zh" or check not in _ZH:
        return reason
    pattern, say = _ZH[check]
    found = pattern.match(reason)
    return say(found) if found is not None else reason
