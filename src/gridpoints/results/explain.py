"""Explain a score: every entry behind it, with its event, rule, version and a sentence.

``Engine.explain`` returns an ``Explanation``: iterate it for the entries (``ExplainedEntry``,
an ``Entry`` with labels and the event attached), call ``lines()`` for one line per rule, and
``text(lang)`` for a printable account in Chinese (``zh``) or English (``en``). Under an
assessment scheme it also carries the member's ``assessment``, and ``text`` shows the
derivation: sections with their clamps, the base, tallies and any veto.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import overload

import attrs

from gridpoints._decimal import canonical
from gridpoints.model import Entry, Event
from gridpoints.results._text import check_lang, format_points
from gridpoints.results.explain_scheme import scheme_text
from gridpoints.results.scheme import MemberAssessment
from gridpoints.rules.compiled import RuleBook
from gridpoints.schema import EVENT_REASONS, is_derived

__all__ = ["ExplainLine", "ExplainedEntry", "Explanation", "explain_entries", "format_points", "kind_labels"]

#: Labels of entry kinds that come from no rule: period awards and the like.
KIND_LABELS: Mapping[str, tuple[str, str]] = {
    "satisfaction": ("群众满意度", "resident satisfaction"),
    "decision": ("决定", "decision"),
}
#: Labels of decision actions (the ``rule`` of a ``decision`` entry).
ACTION_LABELS: Mapping[str, tuple[str, str]] = {
    "approve": ("审核通过", "approved"),
    "reject": ("审核驳回", "rejected"),
    "appeal": ("提出申诉", "appeal opened"),
    "appeal_review": ("申诉初审", "appeal reviewed"),
    "uphold": ("申诉成立", "appeal upheld"),
    "dismiss": ("申诉驳回", "appeal dismissed"),
    "correct": ("更正", "corrected"),
    "close": ("结账", "month closed"),
}
_REASONS: Mapping[str, tuple[str, str]] = {
    "rule": ("规则", "rule"),
    "cap": ("超出上限", "over the cap"),
    "limit": ("超出次数上限", "over the count limit"),
    "derived": ("派生扣分", "derived deduction"),
    "period_award": ("周期奖励", "period award"),
    "reversal": ("冲正", "reversal"),
    "correction": ("更正", "correction"),
    "decision": ("决定", "decision"),
}
_RATINGS_NOTE = re.compile(r"^ratings=(\d+) average=([0-9.]+)$")


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
    limit: str = ""  # e.g. "day 2" when the rule has a count limit
    section: str = ""  # the scheme section the rule counts toward

    def display(self, lang: str = "zh") -> str:
        """The rule's (or kind's) label in ``lang``."""
        return self.label if check_lang(lang) == "zh" else self.label_en

    @property
    def derived(self) -> bool:
        """Whether this is a deduction derived from its event (a late report's), whatever its
        reason: ``derived``, or ``limit``/``cap`` when the count limit or cap of the
        ``late_report`` rule acted on it (its ``ref`` is its own event's id either way)."""
        return self.reason in EVENT_REASONS and is_derived(self.event_id, self.reason, self.ref)

    @property
    def replaces(self) -> str:
        """The id of the event this entry's event replaced when it is a correction's replacement,
        else "": its ``ref`` under reason ``correction``, or ``limit``/``cap`` when the rule's
        count limit or cap acted on it (the ref of a main entry is otherwise "" or
        ``period:<month>``, and a derived deduction's its own event's id)."""
        if self.reason == "correction":
            return self.ref
        if self.reason in ("cap", "limit") and not self.derived and not self.ref.startswith("period:"):
            return self.ref
        return ""

    @property
    def limit_cut(self) -> bool:
        """Whether the rule's count limit cut this entry's units before its cap clipped the
        points: reason ``cap`` with fewer units than its event has (than the one late report,
        for a derived deduction). False when the event is not attached."""
        sent = self.units_sent
        return self.reason == "cap" and sent is not None and Decimal(self.quantity) < sent

    @property
    def units_sent(self) -> Decimal | None:
        """The units the entry was booked for before any count limit: its event's quantity for
        an award (None when the event is not attached), 1 for a derived deduction."""
        if self.derived:
            return Decimal(1)
        return None if self.event is None else Decimal(self.event.quantity)

    def sentence(self, lang: str = "zh", *, day: bool = True) -> str:
        """One human-readable line, e.g. ``2026-11-03 巡查 ×1 = +5（规则 standard 2026.1）``."""
        zh = check_lang(lang) == "zh"
        version = f"{self.ruleset} {self.version}"
        rule_text = f"规则 {version}" if zh else f"rule {version}"
        head = f"{self.day} {self.display(lang)}" if day else self.display(lang)
        if self.reason == "decision":
            action = ACTION_LABELS.get(self.rule, (self.rule, self.rule))
            head += f"：{action[0]}" if zh else f": {action[1]}"
        if self.reason in ("rule", "cap", "limit", "correction"):
            head += f" ×{self.quantity}"
            if self.coefficient != 1:
                head += f" ×{'系数' if zh else 'coefficient '}{canonical(self.coefficient)}"
        result = f"{head} = {format_points(self.points)}"
        over_cap = f"超出上限 {self.cap}" if zh else f"over the cap of {self.cap}"
        over_limit = f"超出次数上限 {self.limit}" if zh else f"over the count limit of {self.limit}"
        derived = self.derived
        sent = self.units_sent
        if self.limit_cut and sent is not None:
            # The limit counted fewer units than were sent, then the cap clipped their points.
            units = "unit" if sent == 1 else "units"
            whose = "" if derived else ("事件" if zh else "the event's ")
            cut = (
                f"{over_limit}，{whose}数量 {canonical(sent)} 只计 {self.quantity}；再{over_cap}"
                if zh
                else f"{over_limit}, {self.quantity} of {whose}{canonical(sent)} {units} counted; then {over_cap}"
            )
        else:
            cut = {"limit": over_limit, "cap": over_cap}.get(self.reason, "")
        if derived:
            # A late report's deduction, whatever a count limit or cap on late_report did to it.
            late = f"事件 {self.ref} 超过上报时限" if zh else f"event {self.ref} reported after the deadline"
            detail = ("，" if zh else ", ").join(part for part in (late, cut, rule_text) if part)
        elif self.reason == "rule":
            detail = rule_text
        elif self.reason in ("cap", "limit", "correction"):
            # A correction's replacement says so whatever a count limit or cap did to it.
            replaced = self.replaces
            fix = (f"更正，替换事件 {replaced}" if zh else f"correction of event {replaced}") if replaced else ""
            detail = ("，" if zh else ", ").join(part for part in (fix, cut, rule_text) if part)
        elif self.reason == "reversal":
            target = self.ref.removeprefix("seq:")
            detail = f"冲正：冲销第 {target} 条记录" if zh else f"reversal of entry {target}"
        elif self.reason == "decision":
            detail = reason_label("decision", lang)
            if self.event_id:
                detail += f"，事件 {self.event_id}" if zh else f", event {self.event_id}"
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
        if self.ref.startswith("period:") and self.reason in ("rule", "cap", "limit", "correction"):
            month = self.ref.removeprefix("period:")
            detail += f"，补记 {month} 月" if zh else f", booked late for {month}"
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

    @property
    def derived(self) -> bool:
        """Whether the line adds up deductions derived from late reports (``lines()`` keeps
        them apart from the rule's awards whatever their reason)."""
        return bool(self.entries) and self.entries[0].derived

    @property
    def correction(self) -> bool:
        """Whether the line adds up corrections' replacements (``lines()`` keeps those a count
        limit or cap acted on apart from the rule's other entries of that reason)."""
        return bool(self.entries) and bool(self.entries[0].replaces)

    def sentence(self, lang: str = "zh") -> str:
        """E.g. ``巡查 ×20 = +100（规则 standard 2026.1）``."""
        zh = check_lang(lang) == "zh"
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
            if self.reason == "cap" and any(entry.limit_cut for entry in self.entries):
                why = "超出次数上限和上限" if zh else "over the count limit and the cap"
            if self.derived and self.reason != "derived":
                why = f"{reason_label('derived', lang)}{'，' if zh else ', '}{why}"
            if self.correction and self.reason != "correction":
                why = f"{reason_label('correction', lang)}{'，' if zh else ', '}{why}"
            detail = f"{why}，规则 {version}" if zh else f"{why}, rule {version}"
        text = f"{head} = {format_points(self.points)}"
        return f"{text}（{detail}）" if zh else f"{text} ({detail})"


@attrs.frozen
class Explanation(Sequence[ExplainedEntry]):
    """The entries behind a member's score for a period, in ledger order.

    A read-only sequence of ``ExplainedEntry`` (``+`` with another sequence of entries gives a
    list, as when ``explain`` returned plain lists).
    """

    member_id: str
    period: str
    entries: tuple[ExplainedEntry, ...]
    #: Under an assessment scheme: the member's derived result (None for a plain rule set).
    assessment: MemberAssessment | None = attrs.field(default=None, eq=False)

    def __iter__(self) -> Iterator[ExplainedEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @overload
    def __getitem__(self, index: int) -> ExplainedEntry: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[ExplainedEntry, ...]: ...

    def __getitem__(self, index: int | slice) -> ExplainedEntry | tuple[ExplainedEntry, ...]:
        return self.entries[index]

    def __add__(self, other: Iterable[Entry]) -> list[Entry]:
        return [*self.entries, *other]

    def __radd__(self, other: Iterable[Entry]) -> list[Entry]:
        return [*other, *self.entries]

    @property
    def total(self) -> Decimal:
        """The score: the sum of the entries' points, or the scheme's derived score."""
        if self.assessment is not None:
            return self.assessment.score
        return sum((e.points for e in self.entries), Decimal("0.00"))

    def lines(self) -> list[ExplainLine]:
        """One line per (rule, version, coefficient, reason), in order of first appearance;
        deductions derived from late reports, and corrections' replacements, have lines of their
        own whatever their reason.

        Decision entries (zero points, the audit trail of review, appeals and closing) are left
        out of the lines; ``text(detail=True)`` shows them.
        """
        groups: dict[tuple[str, str, str, Decimal, str, bool, bool], list[ExplainedEntry]] = {}
        for entry in self.entries:
            if entry.reason == "decision":
                continue
            key = (
                entry.rule, entry.ruleset, entry.version, entry.coefficient, entry.reason, entry.derived,
                bool(entry.replaces),
            )  # fmt: skip
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
            for (rule, ruleset, version, coefficient, reason, *_), items in groups.items()
        ]

    def text(self, lang: str = "zh", *, detail: bool = False) -> str:
        """A printable account: one line per rule (or per entry with ``detail``) and the total;
        under a scheme, grouped by section with each clamp, the base, tallies and vetoes."""
        if self.assessment is not None:
            return scheme_text(self, self.assessment, check_lang(lang), detail=detail)
        zh = check_lang(lang) == "zh"
        body = [e.sentence(lang) for e in self.entries] if detail else [line.sentence(lang) for line in self.lines()]
        total = f"合计 {format_points(self.total)}" if zh else f"total {format_points(self.total)}"
        title = f"{self.member_id} {self.period}"
        return "\n".join([title, *body, total])


def kind_labels(rulebook: RuleBook, lang: str = "zh") -> dict[str, str]:
    """Event kind → label in ``lang``, from the latest rule-set version (the rule without
    conditions names the kind best: 发现隐患, not 发现重大隐患) and the period awards."""
    check_lang(lang)
    labels = {kind: (zh if lang == "zh" else en) for kind, (zh, en) in KIND_LABELS.items()}
    for kind, rules in rulebook.latest.by_kind.items():
        rule = next((r.rule for r in rules if r.matcher is None), rules[0].rule)
        labels[kind] = rule.display(lang)
    return labels


def _explained(rulebook: RuleBook, entry: Entry, event: Event | None) -> ExplainedEntry:
    """The entry with its event and the labels, cap, count limit and section of its rule."""
    version = rulebook.by_version.get(entry.version) if entry.ruleset == rulebook.id else None
    rule = version.ruleset.rule(entry.rule) if version is not None else None
    fields = attrs.asdict(entry, recurse=False)
    if rule is None:
        zh, en = KIND_LABELS.get(entry.kind, (entry.kind, entry.kind))
        return ExplainedEntry(**fields, label=zh, label_en=en, event=event)
    return ExplainedEntry(
        **fields,
        label=rule.display("zh"),
        label_en=rule.display("en"),
        event=event,
        cap="" if rule.cap is None else f"{rule.cap.per} {canonical(rule.cap.points)}",
        limit="" if rule.limit is None else f"{rule.limit.per} {canonical(rule.limit.units)}",
        section=rule.section or "",
    )


def explain_entries(
    member_id: str,
    period: str,
    entries: Sequence[Entry],
    events: Mapping[str, Event],
    rulebook: RuleBook,
    assessment: MemberAssessment | None = None,
) -> Explanation:
    """Attach labels and events to entries (``events`` by id, loaded in one store query), and
    under an assessment scheme the member's derived result."""
    explained = [_explained(rulebook, entry, events.get(entry.event_id)) for entry in entries]
    return Explanation(member_id, period, tuple(explained), assessment)
