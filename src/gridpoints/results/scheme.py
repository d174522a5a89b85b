"""Assessment schemes: derive members' assessed scores from store sums, over members.

The ledger keeps raw entries only. For each assessed period a report needs, the store sums
every member's entries per rule-set version, rule, kind and reason (one ``GROUP BY``); this
module turns those sums into the scheme's score — ``assessment.base`` + Σ sections (each
``clamp(base + its rules' points + its tallies, min, max) × weight``) + the points in no
section — finds vetoes, checks time in post, and combines assessed periods into longer ones
(a year by ``sum``, ``mean`` or weights). It works over members, never over entries.

A report period shorter than the assessed one (a month of a quarterly scheme) gets the running
score from the assessed period's start through its own end, ungraded; a period made of
several assessed periods (a year of half-years) combines their scores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta, tzinfo
from decimal import Decimal
from typing import Protocol

import attrs
from dateutil.relativedelta import relativedelta

from gridpoints._decimal import ZERO, cents_to_points, quantize
from gridpoints.model import Grade, Member
from gridpoints.periods import PERIOD_KINDS, Period
from gridpoints.rules import RuleSet, Section, Tally
from gridpoints.rules.compiled import RuleBook
from gridpoints.stores import EVENT_REASONS, RuleKey

__all__ = [
    "Classifier",
    "MemberAssessment",
    "PartScore",
    "Plan",
    "SchemeAggregates",
    "SectionScore",
    "TallyScore",
    "assess",
    "months_in_post",
    "plan",
    "score_part",
]

Grader = Callable[[Decimal, Period], Grade]
RuleSums = Mapping[RuleKey, tuple[int, int]]
_EMPTY: RuleSums = {}


class SchemeAggregates(Protocol):
    """The store aggregate a scheme derives from (every ``Store`` provides it)."""

    def totals_by_rule(
        self, periods: Iterable[str], *, member_id: str | None = None
    ) -> Mapping[str, Mapping[RuleKey, tuple[int, int]]]:
        """member → (ruleset, version, rule, kind, reason) → (hundredths, entries)."""


@attrs.frozen
class SectionScore:
    """One section of one member's assessed period: the points its rules and tallies brought
    (``raw``), ``clamp(base + raw, min, max)`` and that times the weight (``score``, to 0.01)."""

    section: Section
    raw: Decimal
    clamped: Decimal
    score: Decimal


@attrs.frozen
class TallyScore:
    """A count bonus: how many booked, unreversed events of its kinds, and the points earned."""

    tally: Tally
    count: int
    points: Decimal


@attrs.frozen
class PartScore:
    """One member's score in one assessed period, counted through ``through`` (the period's own
    last month, or an earlier one for a running score).

    ``score`` = ``base`` + Σ section scores + ``other`` (points of rules in no section and
    tallies in no section). ``vetoes`` names the veto rules (``version/rule``) with a booked,
    unreversed event. ``active`` is False for a period the member was not on the books in
    (its score is then 0 and a ``mean`` leaves it out). ``breakdown`` is the raw points per
    entry kind, as booked.
    """

    period: Period
    through: Period
    base: Decimal
    sections: tuple[SectionScore, ...]
    tallies: tuple[TallyScore, ...]
    other: Decimal
    vetoes: tuple[str, ...]
    score: Decimal
    active: bool = True
    breakdown: Mapping[str, Decimal] = attrs.field(factory=dict, hash=False)

    @property
    def running(self) -> bool:
        """Whether the score stops before the assessed period's end."""
        return self.through.last_day < self.period.last_day


@attrs.frozen
class MemberAssessment:
    """A member's assessed result for a report period.

    ``how`` says how the score was made: ``assessed`` (the period is the scheme's assessed
    period), ``running`` (a shorter period: the assessed period so far, ungraded), ``sum``,
    ``mean`` or ``weights`` (a period made of assessed periods). ``graded_on`` is the score the
    grade is given on (for ``sum`` the average over the parts the member was active in; None
    when ungraded). ``grade`` is None when ungraded or not eligible; a veto gives the scale's
    lowest grade whatever the score.
    """

    member_id: str
    period: Period
    how: str
    parts: tuple[PartScore, ...]
    score: Decimal
    graded_on: Decimal | None
    grade: Grade | None
    eligible: bool
    months_in_post: int | None
    veto: bool
    weights: tuple[Decimal, ...] = ()

    @property
    def flags(self) -> tuple[str, ...]:
        """``not_eligible`` and ``veto`` as they apply."""
        return (*(("not_eligible",) if not self.eligible else ()), *(("veto",) if self.veto else ()))

    @property
    def active_parts(self) -> int:
        """How many of the parts the member was active in."""
        return sum(1 for part in self.parts if part.active)


def months_in_post(member: Member, last_day: date) -> int | None:
    """Whole months from ``member.joined`` to the end of ``last_day`` (None when unknown)."""
    if member.joined is None:
        return None
    span = relativedelta(last_day + timedelta(days=1), member.joined)
    return max(0, span.years * 12 + span.months)


@attrs.frozen
class Plan:
    """How a report period is assessed: its parts (assessed periods, each with the months
    counted and the version that governs it) and how they combine."""

    period: Period
    governing: RuleSet
    how: str
    parts: tuple[tuple[Period, Period, RuleSet], ...]  # (assessed period, counted through, version)
    end: date  # eligibility is judged here

    def months(self, index: int) -> list[str]:
        """The months part ``index`` counts."""
        assessed, through, _version = self.parts[index]
        return [str(m) for m in assessed.months() if m.first_day <= through.last_day]


def plan(period: Period, rulebook: RuleBook, tz: tzinfo) -> Plan:
    """Which assessed periods make ``period``, under the scheme in effect at its end."""

    def version_at(day: date) -> RuleSet:
        end = Period.month_containing(day).end(tz) - timedelta(microseconds=1)
        found = rulebook.version_at(end)
        return (found or rulebook.versions[0]).ruleset

    governing = version_at(period.last_day)
    kind = governing.assessment.period
    assessed_span = PERIOD_KINDS[kind]
    if period.span == assessed_span:
        return Plan(period, governing, "assessed", ((period, period, governing),), period.last_day)
    if period.span < assessed_span:
        whole = period.within(kind)
        return Plan(period, governing, "running", ((whole, period, version_at(period.last_day)),), whole.last_day)
    year = governing.assessment.year
    how = ("weights" if isinstance(year, tuple) else year) if period.kind == "year" else "sum"
    parts = tuple((part, part, version_at(part.last_day)) for part in period.parts(kind))
    return Plan(period, governing, how, parts, period.last_day)


class Classifier:
    """What each (ruleset, version, rule) of the sums means under one version's scheme: its
    section (if the scheme has it) and whether the rule vetoes. Cached: members share rules."""

    def __init__(self, rulebook: RuleBook, scheme: RuleSet) -> None:
        self.rulebook = rulebook
        self.sections = {s.id for s in scheme.sections}
        self._cache: dict[tuple[str, str, str], tuple[str | None, bool]] = {}

    def __call__(self, ruleset: str, version: str, rule_id: str) -> tuple[str | None, bool]:
        key = (ruleset, version, rule_id)
        found = self._cache.get(key)
        if found is None:
            compiled = self.rulebook.by_version.get(version) if ruleset == self.rulebook.id else None
            rule = compiled.ruleset.rule(rule_id) if compiled is not None else None
            if rule is None:
                found = (None, False)
            else:
                found = (rule.section if rule.section in self.sections else None, rule.veto)
            self._cache[key] = found
        return found


def _count(reason: str, entries: int) -> int:
    """How an entry group counts events: event entries add, reversals take back, others nothing."""
    if reason in EVENT_REASONS:
        return entries
    return -entries if reason == "reversal" else 0


def score_part(
    sums: RuleSums, scheme: RuleSet, classify: Classifier, assessed: Period, through: Period
) -> PartScore:
    """One member's part from their sums under ``scheme`` (the version governing the part);
    ``classify`` is a ``Classifier(rulebook, scheme)``, shared by the members."""
    section_cents: dict[str, int] = {}
    other_cents = 0
    kinds: dict[str, int] = {}
    kind_cents: dict[str, int] = {}
    vetoes: dict[str, int] = {}
    for (ruleset, version, rule, kind, reason), (cents, entries) in sums.items():
        kind_cents[kind] = kind_cents.get(kind, 0) + cents
        section, veto = classify(ruleset, version, rule)
        if section is None:
            other_cents += cents
        else:
            section_cents[section] = section_cents.get(section, 0) + cents
        counted = _count(reason, entries)
        if counted:
            kinds[kind] = kinds.get(kind, 0) + counted
            if veto:
                vetoes[f"{version}/{rule}"] = vetoes.get(f"{version}/{rule}", 0) + counted
    raw = {s.id: cents_to_points(section_cents.get(s.id, 0)) for s in scheme.sections}
    other = cents_to_points(other_cents)
    tallies = []
    for tally in scheme.tallies:
        count = sum(kinds.get(kind, 0) for kind in tally.kinds)
        earned = tally.earned(count)
        tallies.append(TallyScore(tally, count, earned))
        if tally.section is None:
            other += earned
        else:
            raw[tally.section] += earned
    sections = []
    for spec in scheme.sections:
        clamped = spec.clamp(raw[spec.id])
        sections.append(SectionScore(spec, raw[spec.id], clamped, quantize(clamped * spec.weight)))
    base = scheme.assessment.base
    score = quantize(base + sum((s.score for s in sections), ZERO) + other)
    flagged = tuple(sorted(rule for rule, n in vetoes.items() if n > 0))
    breakdown = {kind: cents_to_points(cents) for kind, cents in sorted(kind_cents.items())}
    return PartScore(assessed, through, base, tuple(sections), tuple(tallies), other, flagged, score, True, breakdown)


def _combine(how: str, parts: Sequence[PartScore], weights: tuple[Decimal, ...]) -> tuple[Decimal, Decimal]:
    """(score, the score the grade is given on) of parts combined ``how``."""
    active = [p for p in parts if p.active]
    if how in ("assessed", "running"):
        return parts[0].score, parts[0].score
    if how == "weights":
        score = quantize(sum((w * p.score for w, p in zip(weights, parts, strict=True)), ZERO))
        return score, score
    total = sum((p.score for p in active), ZERO)
    if how == "mean":
        score = quantize(total / len(active))
        return score, score
    return quantize(total), total / len(active)  # sum: graded on the average, as months always were


def assess(
    period: Period,
    members: Sequence[Member],
    aggregates: SchemeAggregates,
    rulebook: RuleBook,
    tz: tzinfo,
    grader: Grader,
    *,
    member_id: str | None = None,
) -> dict[str, MemberAssessment]:
    """Every member active in ``period`` (or just ``member_id``): assessed score, grade, flags.

    One ``totals_by_rule`` per assessed period the report needs; the rest is per member.
    """
    layout = plan(period, rulebook, tz)
    first, last = period.first_day, period.last_day  # once: each costs a relativedelta
    assessed_members = [m for m in members if m.active_between(first, last) and member_id in (None, m.id)]
    part_sums = [aggregates.totals_by_rule(layout.months(i), member_id=member_id) for i in range(len(layout.parts))]
    classifiers = [Classifier(rulebook, version) for _p, _t, version in layout.parts]
    spans = [(whole.first_day, through.last_day) for whole, through, _version in layout.parts]
    governing = layout.governing
    weights = governing.assessment.year if isinstance(governing.assessment.year, tuple) else ()
    needed = governing.assessment.min_months_in_post
    lowest = governing.scale[-1]
    graded = layout.how != "running"
    result: dict[str, MemberAssessment] = {}
    for member in assessed_members:
        parts = []
        for index, (whole, through, version) in enumerate(layout.parts):
            part = score_part(part_sums[index].get(member.id, _EMPTY), version, classifiers[index], whole, through)
            if not member.active_between(*spans[index]):
                part = attrs.evolve(part, score=ZERO.quantize(Decimal("0.01")), active=False)
            parts.append(part)
        score, graded_on = _combine(layout.how, parts, weights)
        in_post = months_in_post(member, layout.end)
        eligible = needed == 0 or in_post is None or in_post >= needed
        veto = any(part.vetoes for part in parts if part.active)
        grade: Grade | None = None
        if graded and eligible:
            grade = lowest if veto else grader(graded_on, period)
        result[member.id] = MemberAssessment(
            member_id=member.id,
            period=period,
            how=layout.how,
            parts=tuple(parts),
            score=score,
            graded_on=graded_on if graded and eligible else None,
            grade=grade,
            eligible=eligible,
            months_in_post=in_post,
            veto=veto,
            weights=weights,
        )
    return result
