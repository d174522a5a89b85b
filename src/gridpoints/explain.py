"""Explain a score: every entry behind it, with its event, rule, version and a sentence.

``Engine.explain`` returns an ``Explanation``: iterate it for the entries (``ExplainedEntry``,
an ``Entry`` with labels and the event attached), call ``lines()`` for one line per rule, and
``text(lang)`` for a printable account in Chinese (``zh``) or English (``en``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal

import attrs

from gridpoints._decimal import canonical
from gridpoints.model import Entry, Event
from gridpoints.rules._compile import RuleBook

__all__ = ["ExplainLine", "ExplainedEntry", "Explanation", "explain_entries", "format_points"]

#: Labels of entry kinds that come from no rule: period awards and the like.
KIND_LABELS: Mapping[str, tuple[str, str]] = {
    "satisfaction": ("群众满意度", "resident satisfaction"),
}
_REASONS: Mapping[str, tuple[str, str]] = {
    "rule": ("规则", "rule"),
    "cap": ("超出上限", "over the cap"),
    "derived": ("派生扣分", "derived deduction"),
    "period_award": ("周期奖励", "period award"),
    "reversal": ("冲正", "reversal"),
    "correction": ("更正", "correction"),
    "decision": ("决定", "decision"),
}
_RATINGS_NOTE = re.compile(r"^ratings=(\d+) average=([0-9.]+)$")


def _check_lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        raise ValueError(f"lang: {lang!r} is not 'zh' or 'en'")
    return lang


def format_points(points: Decimal) -> str:
    """``+100``, ``-3``, ``+6.50``, ``0``: a sign, and decimals only when there are any."""
    text = canonical(points) if points == points.to_integral_value() else f"{points:.2f}"
    return text if points <= 0 else f"+{text}"


def reason_label(reason: str, lang: str) -> str:
    """The label of an entry reason (``cap`` → 超出上限 / over the cap)."""
    zh, en = _REASONS.get(reason, (reason, reason))
    return zh if lang == "zh" else en


@attrs.frozen
class ExplainedEntry(Entry):
    """A ledger entry with what explains it: its labels, the event and the rule's cap."""

    label: str = ""
    label_en: str = ""
    event: Event | None = attrs.field(default=None, eq=False)
    cap: str = ""  # e.g. "day 20" when the rule is capped

    def display(self, lang: str = "zh") -> str:
        """The rule's (or kind's) label in ``lang``."""
        return self.label if _check_lang(lang) == "zh" else self.label_en

    def sentence(self, lang: str = "zh", *, day: bool = True) -> str:
        """One human-readable line, e.g. ``2026-11-03 巡查 ×1 = +5（规则 standard 2026.1）``."""
        zh = _check_lang(lang) == "zh"
        version = f"{self.ruleset} {self.version}"
        head = f"{self.day} {self.display(lang)}" if day else self.display(lang)
        if self.reason in ("rule", "cap"):
            head += f" ×{self.quantity}"
            if self.coefficient != 1:
                head += f" ×{'系数' if zh else 'coefficient '}{canonical(self.coefficient)}"
        result = f"{head} = {format_points(self.points)}"
        if self.reason == "rule":
            detail = f"规则 {version}" if zh else f"rule {version}"
        elif self.reason == "cap":
            detail = f"超出上限 {self.cap}，规则 {version}" if zh else f"over the cap of {self.cap}, rule {version}"
        elif self.reason == "derived":
            detail = (
                f"事件 {self.ref} 超过上报时限，规则 {version}"
                if zh
                else f"event {self.ref} reported after the deadline, rule {version}"
            )
        elif self.reason == "period_award":
            detail = reason_label("period_award", lang)
            found = _RATINGS_NOTE.match(self.ref)
            if found:
                count, average = found.groups()
                detail += (
                    f"：{count} 次评价，平均 {average} 星" if zh else f": {count} ratings, average {average} stars"
                )
            elif self.ref:
                detail += f"：{self.ref}" if zh else f": {self.ref}"
        else:
            detail = f"{reason_label(self.reason, lang)} {self.ref}".strip()
        return f"{result}（{detail}）" if zh else f"{result} ({detail})"


@attrs.frozen
class ExplainLine:
    """Entries of one rule (same version, coefficient and reason) added up."""

    rule: str
    label: str
    label_en: str
    ruleset: str
    version: str
    coefficient: Decimal
    reason: str
    quantity: Decimal
    points: Decimal
    entries: tuple[ExplainedEntry, ...]

    def sentence(self, lang: str = "zh") -> str:
        """E.g. ``巡查 ×20 = +100（规则 standard 2026.1）``."""
        zh = _check_lang(lang) == "zh"
        if self.reason == "period_award" and len(self.entries) == 1:
            return self.entries[0].sentence(lang, day=False)
        head = self.label if zh else self.label_en
        if self.reason != "period_award":
            head += f" ×{canonical(self.quantity)}"
        if self.coefficient != 1:
            head += f" ×{'系数' if zh else 'coefficient '}{canonical(self.coefficient)}"
        version = f"{self.ruleset} {self.version}"
        if self.reason == "rule":
            detail = f"规则 {version}" if zh else f"rule {version}"
        else:
            why = reason_label(self.reason, lang)
            detail = f"{why}，规则 {version}" if zh else f"{why}, rule {version}"
        text = f"{head} = {format_points(self.points)}"
        return f"{text}（{detail}）" if zh else f"{text} ({detail})"


@attrs.frozen
class Explanation:
    """The entries behind a member's score for a period, in ledger order."""

    member_id: str
    period: str
    entries: tuple[ExplainedEntry, ...]

    def __iter__(self) -> Iterator[ExplainedEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> ExplainedEntry:
        return self.entries[index]

    @property
    def total(self) -> Decimal:
        """The score: the sum of the entries' points."""
        return sum((e.points for e in self.entries), Decimal("0.00"))

    def lines(self) -> list[ExplainLine]:
        """One line per (rule, version, coefficient, reason), in order of first appearance."""
        groups: dict[tuple[str, str, str, Decimal, str], list[ExplainedEntry]] = {}
        for entry in self.entries:
            key = (entry.rule, entry.ruleset, entry.version, entry.coefficient, entry.reason)
            groups.setdefault(key, []).append(entry)
        return [
            ExplainLine(
                rule=rule,
                label=items[0].label,
                label_en=items[0].label_en,
                ruleset=ruleset,
                version=version,
                coefficient=coefficient,
                reason=reason,
                quantity=sum((Decimal(e.quantity) for e in items), Decimal(0)),
                points=sum((e.points for e in items), Decimal("0.00")),
                entries=tuple(items),
            )
            for (rule, ruleset, version, coefficient, reason), items in groups.items()
        ]

    def text(self, lang: str = "zh", *, detail: bool = False) -> str:
        """A printable account: one line per rule (or per entry with ``detail``) and the total."""
        zh = _check_lang(lang) == "zh"
        body = [e.sentence(lang) for e in self.entries] if detail else [line.sentence(lang) for line in self.lines()]
        total = f"合计 {format_points(self.total)}" if zh else f"total {format_points(self.total)}"
        title = f"{self.member_id} {self.period}"
        return "\n".join([title, *body, total])


def _labels(rulebook: RuleBook, entry: Entry) -> tuple[str, str, str]:
    """(zh label, en label, cap text) of the rule behind an entry."""
    version = rulebook.by_version.get(entry.version) if entry.ruleset == rulebook.id else None
    rule = version.ruleset.rule(entry.rule) if version is not None else None
    if rule is not None:
        cap = "" if rule.cap is None else f"{rule.cap.per} {canonical(rule.cap.points)}"
        return rule.display("zh"), rule.display("en"), cap
    zh, en = KIND_LABELS.get(entry.kind, (entry.kind, entry.kind))
    return zh, en, ""


def explain_entries(
    member_id: str,
    period: str,
    entries: Sequence[Entry],
    events: Mapping[str, Event],
    rulebook: RuleBook,
) -> Explanation:
    """Attach labels and events to entries (``events`` by id, loaded in one store query)."""
    explained = []
    for entry in entries:
        label, label_en, cap = _labels(rulebook, entry)
        explained.append(
            ExplainedEntry(
                **attrs.asdict(entry, recurse=False),
                label=label,
                label_en=label_en,
                event=events.get(entry.event_id),
                cap=cap,
            )
        )
    return Explanation(member_id, period, tuple(explained))
