"""The text of an explanation under an assessment scheme: how the score was derived.

Per assessed period: each section's lines, its raw sum, the clamp and the result (and the
weight); the tallies; the points in no section; the base; any veto with the event behind it;
then how the periods combine, the total and the grade.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from gridpoints._decimal import canonical
from gridpoints.results._text import format_points
from gridpoints.results.scheme import MemberAssessment, PartScore, SectionScore, TallyScore
from gridpoints.stores import EVENT_REASONS

if TYPE_CHECKING:
    from gridpoints.results.explain import ExplainedEntry, Explanation

__all__ = ["scheme_text"]


def _n(value: Decimal) -> str:
    """Points as ``format_points`` shows them, without the sign: ``10``, ``22.50``, ``-3``."""
    return format_points(value).removeprefix("+")


def _words(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _section_lines(score: SectionScore, body: Sequence[str], lang: str) -> list[str]:
    section = score.section
    lines = [f"【{section.display(lang)}】" if lang == "zh" else f"[{section.display(lang)}]"]
    lines += [f"  {line}" for line in body]
    value = section.base + score.raw
    text = (
        f"  小计：基础 {_n(section.base)} {format_points(score.raw)} = {_n(value)}"
        if lang == "zh"
        else f"  subtotal: base {_n(section.base)} {format_points(score.raw)} = {_n(value)}"
    )
    if score.clamped != value:
        if section.min is not None and score.clamped == section.min and value < section.min:
            text += _words(lang, f"，扣完为止（下限 {_n(section.min)}）→ {_n(score.clamped)}",
                           f", floor {_n(section.min)} → {_n(score.clamped)}")  # fmt: skip
        else:
            text += _words(lang, f"，封顶（上限 {_n(score.clamped)}）→ {_n(score.clamped)}",
                           f", ceiling {_n(score.clamped)} → {_n(score.clamped)}")  # fmt: skip
    if section.weight != 1:
        weight = canonical(section.weight)
        text += _words(lang, f"，×权重 {weight} = {_n(score.score)}", f", ×weight {weight} = {_n(score.score)}")
    return [*lines, text]


def _tally_line(tally: TallyScore, lang: str) -> str:
    beyond = max(0, tally.count - tally.tally.over)
    name = tally.tally.display(lang)
    points = format_points(tally.tally.points)
    earned = format_points(tally.points)
    if lang == "zh":
        return f"{name}：{tally.count} 件，超过 {tally.tally.over} 件的 {beyond} 件 × {points} = {earned}"
    return f"{name}: {tally.count} events, {beyond} beyond {tally.tally.over} × {points} = {earned}"


def _veto_events(entries: Sequence[ExplainedEntry], vetoes: Sequence[str]) -> list[ExplainedEntry]:
    """The still-standing event entries of the veto rules (``version/rule``) among ``entries``."""
    reversed_seqs = {e.ref.removeprefix("seq:") for e in entries if e.reason == "reversal"}
    return [
        e
        for e in entries
        if f"{e.version}/{e.rule}" in vetoes and e.reason in EVENT_REASONS and str(e.seq) not in reversed_seqs
    ]


def _part_lines(explanation: Explanation, part: PartScore, lang: str, detail: bool, grade: str) -> list[str]:
    months = {str(m) for m in part.period.months() if m.first_day <= part.through.last_day}
    entries = tuple(e for e in explanation.entries if e.period in months)
    own = attrs.evolve(explanation, entries=entries, assessment=None)
    sections = {s.section.id for s in part.sections}
    by_section: dict[str, list[str]] = {}
    if detail:
        for entry in entries:
            by_section.setdefault(entry.section if entry.section in sections else "", []).append(entry.sentence(lang))
    else:
        for line in own.lines():
            section = line.entries[0].section
            by_section.setdefault(section if section in sections else "", []).append(line.sentence(lang))
    for tally in part.tallies:
        by_section.setdefault(tally.tally.section or "", []).append(_tally_line(tally, lang))
    lines: list[str] = []
    for score in part.sections:
        lines += _section_lines(score, by_section.get(score.section.id, []), lang)
    if by_section.get(""):
        lines.append(_words(lang, "其他：", "other:"))
        lines += [f"  {line}" for line in by_section[""]]
    if part.base:
        lines.append(_words(lang, f"基础分 {format_points(part.base)}", f"base {format_points(part.base)}"))
    for entry in _veto_events(entries, part.vetoes):
        head = f"{entry.day} {entry.display(lang)}"
        zh, en = f"一票否决：{head}，事件 {entry.event_id} → {grade}", f"veto: {head}, event {entry.event_id} → {grade}"
        lines.append(_words(lang, zh, en))
    return lines


def _combination(assessment: MemberAssessment, lang: str) -> str:
    parts = assessment.parts
    if assessment.how == "weights":
        terms = " + ".join(
            f"{p.period} {_n(p.score)} ×{canonical(w)}" for p, w in zip(parts, assessment.weights, strict=True)
        )
        return f"{terms} = {_n(assessment.score)}"
    active = [p for p in parts if p.active]
    terms = " + ".join(f"{p.period} {_n(p.score)}" for p in active)
    if assessment.how == "mean":
        return _words(lang, f"（{terms}）÷ {len(active)} = {_n(assessment.score)}",
                      f"({terms}) / {len(active)} = {_n(assessment.score)}")  # fmt: skip
    text = f"{terms} = {_n(assessment.score)}"
    if assessment.graded_on is not None and len(active) > 1:
        average = _n(assessment.graded_on.quantize(Decimal("0.01")))
        text += _words(lang, f"（按 {len(active)} 期平均 {average} 评定等级）",
                       f" (graded on the average of {len(active)}: {average})")  # fmt: skip
    return text


def _grade_line(assessment: MemberAssessment, lang: str) -> str:
    if not assessment.eligible:
        months = assessment.months_in_post
        return _words(lang, f"不参评：在岗 {months} 个月，不足规定月数", f"not eligible: {months} months in post")
    if assessment.grade is None:
        return _words(lang, "累计得分，未评等级", "running score, not graded")
    return _words(lang, f"等级 {assessment.grade.label(lang)}", f"grade {assessment.grade.label(lang)}")


def scheme_text(explanation: Explanation, assessment: MemberAssessment, lang: str, *, detail: bool = False) -> str:
    """The account of a scheme's score: per assessed period its derivation, then the total."""
    lines = [f"{explanation.member_id} {explanation.period}"]
    lowest = assessment.grade.label(lang) if assessment.grade is not None and assessment.veto else ""
    several = len(assessment.parts) > 1
    for part in assessment.parts:
        if several or part.running:
            through = _words(lang, f"（截至 {part.through}）", f" (through {part.through})") if part.running else ""
            state = "" if part.active else _words(lang, "（未在岗）", " (not in post)")
            lines.append(f"— {part.period}{through}{state} —")
        lines += _part_lines(explanation, part, lang, detail, lowest or _words(lang, "最低等级", "lowest grade"))
        if several:
            lines.append(f"{part.period} {format_points(part.score)}")
    if several:
        lines.append(_combination(assessment, lang))
    total = format_points(assessment.score)
    lines.append(_words(lang, f"合计 {total}", f"total {total}"))
    lines.append(_grade_line(assessment, lang))
    return "\n".join(lines)
