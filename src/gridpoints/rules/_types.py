"""Rule types: conditions, caps, rules, grade thresholds and versioned rule sets.

A rule set may also carry an assessment scheme (``gridpoints.rules.scheme``): sections, tallies,
grade bands and what is assessed. A rule set without one scores, and digests, as before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal

import attrs

from gridpoints._decimal import MAX_COEFFICIENT, MAX_POINTS, bounded, canonical, to_decimal
from gridpoints._validate import check_id
from gridpoints.model import Grade
from gridpoints.rules.bounds import Limit, QuantityBounds, to_limit, to_quantity_bounds
from gridpoints.rules.check_tables import check_tables_key, to_check_tables
from gridpoints.rules.labels import TITLES, titles_key, to_place_labels, to_titles
from gridpoints.rules.scheme import (
    Assessment,
    GradeBand,
    Section,
    Tally,
    to_assessment,
    to_bands,
    to_sections,
    to_tallies,
)

__all__ = [
    "MAX_REPORT_DEADLINE_HOURS",
    "Cap",
    "Condition",
    "GradeThresholds",
    "Limit",
    "QuantityBounds",
    "Rule",
    "RuleSet",
]

#: The longest report deadline (about 11 years): beyond it ``occurred_at + deadline`` can overflow.
MAX_REPORT_DEADLINE_HOURS = 100_000

OPERATORS = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte")
_NUMERIC = frozenset({"gt", "gte", "lt", "lte"})


def _condition_value(op: str, attribute: str, value: object) -> object:
    field = f"when.{attribute}.{op}"
    if op in _NUMERIC:
        return bounded(to_decimal(value, field), field, MAX_POINTS)
    if op in ("in", "not_in"):
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise TypeError(f"{field}: {value!r} is not a list of values")
        return tuple(_scalar(field, v) for v in value)
    return _scalar(field, value)


def _scalar(field: str, value: object) -> object:
    if isinstance(value, float):
        raise TypeError(f"{field}: {value!r} is a float; write it as a string or Decimal")
    if value is None or isinstance(value, (str, bool, int, Decimal)):
        return value
    raise TypeError(f"{field}: {value!r} is not a scalar value")


def _excellent(value: object) -> Decimal:
    return bounded(to_decimal(value, "grades.excellent"), "grades.excellent", MAX_POINTS)


def _qualified(value: object) -> Decimal:
    return bounded(to_decimal(value, "grades.qualified"), "grades.qualified", MAX_POINTS)


def _cap_points(value: object) -> Decimal:
    return bounded(to_decimal(value, "cap.points"), "cap.points", MAX_POINTS)


def _rule_points(value: object) -> Decimal:
    return bounded(to_decimal(value, "points"), "points", MAX_POINTS)


def _kinds(value: Iterable[object]) -> tuple[str, ...]:
    return tuple(check_id("reportable", kind) for kind in value)


# Id fields: checked, and kept in their NFC form (named functions: mypy's attrs plugin needs them).
def _kind(value: object) -> str:
    return check_id("kind", value)


def _rule_id(value: object) -> str | None:
    return None if value is None else check_id("id", value)


def _ruleset_id(value: object) -> str:
    return check_id("id", value)


def _version(value: object) -> str:
    return check_id("version", value)


@attrs.frozen
class Condition:
    """One test of an event attribute: ``attribute op value``.

    ``eq``/``ne`` compare values (numbers numerically), ``in``/``not_in`` test membership,
    ``gt``/``gte``/``lt``/``lte`` compare numbers. A missing attribute equals nothing, so
    ``eq``, ``in`` and the comparisons fail on it while ``ne`` and ``not_in`` hold.
    """

    attribute: str
    op: str = attrs.field(validator=attrs.validators.in_(OPERATORS))
    value: object

    def key(self) -> list[object]:
        """A JSON-able form used in the rule set digest."""
        value = self.value
        if isinstance(value, tuple):
            value = [canonical(v) if isinstance(v, Decimal) else v for v in value]
        elif isinstance(value, Decimal):
            value = canonical(value)
        return [self.attribute, self.op, value]


def to_conditions(when: object) -> tuple[Condition, ...]:
    """Normalise ``when``: ``{"severity": "major"}``, ``{"stars": {"gte": 4}}``, ``{"x": {"in": [...]}}``."""
    if when is None:
        return ()
    if isinstance(when, tuple) and all(isinstance(c, Condition) for c in when):
        return when
    if not isinstance(when, Mapping):
        raise TypeError(f"when: {when!r} is not a mapping of attribute to condition")
    result: list[Condition] = []
    for attribute, test in when.items():
        check_id("when attribute", attribute)
        if isinstance(test, Mapping):
            if not test:
                raise ValueError(f"when.{attribute}: empty condition")
            for op, value in test.items():
                if op not in OPERATORS:
                    raise ValueError(f"when.{attribute}: unknown operator {op!r} (use one of {', '.join(OPERATORS)})")
                result.append(Condition(attribute, op, _condition_value(op, attribute, value)))
        else:
            result.append(Condition(attribute, "eq", _condition_value("eq", attribute, test)))
    return tuple(result)


@attrs.frozen
class Cap:
    """At most ``points`` (in magnitude) from one rule per member per ``day`` or per ``month``."""

    points: Decimal = attrs.field(converter=_cap_points)
    per: str = attrs.field(default="day", validator=attrs.validators.in_(("day", "month")))

    def __attrs_post_init__(self) -> None:
        if self.points < 0:
            raise ValueError(f"cap.points: {self.points} must not be negative")


def to_cap(value: object) -> Cap | None:
    """Normalise ``cap``: a Cap, ``{"day": 20}``, ``{"month": 100}`` or ``{"per":…, "points":…}``."""
    if value is None or isinstance(value, Cap):
        return value
    if isinstance(value, Mapping):
        if set(value) <= {"per", "points"} and "points" in value:
            return Cap(value["points"], value.get("per", "day"))
        if len(value) == 1:
            ((per, points),) = value.items()
            if per not in ("day", "month"):
                raise ValueError(f"cap: unknown period {per!r} (use day or month)")
            return Cap(points, per)
    raise TypeError(f"cap: {value!r} is not a cap like {{'day': 20}}")


@attrs.frozen
class Rule:
    """Points per unit of quantity for events of ``kind`` whose attributes satisfy ``when``."""

    kind: str = attrs.field(converter=_kind)
    points: Decimal = attrs.field(converter=_rule_points)
    label: str | None = attrs.field(default=None, kw_only=True)
    label_en: str | None = attrs.field(default=None, kw_only=True)
    when: tuple[Condition, ...] = attrs.field(default=None, converter=to_conditions, kw_only=True)
    cap: Cap | None = attrs.field(default=None, converter=to_cap, kw_only=True)
    id: str | None = attrs.field(default=None, converter=_rule_id, kw_only=True)
    #: The scheme section its points count toward (None: straight into the score).
    section: str | None = attrs.field(default=None, kw_only=True)
    #: Bounds on an event's quantity (an assessor's mark); outside them the event is rejected.
    quantity: QuantityBounds | None = attrs.field(default=None, converter=to_quantity_bounds, kw_only=True)
    #: At most so many units of quantity per member per day, month or assessed period count.
    limit: Limit | None = attrs.field(default=None, converter=to_limit, kw_only=True)
    #: 一票否决: a booked, unreversed event of this rule gives the lowest grade.
    veto: bool = attrs.field(default=False, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.section is not None:
            check_id("section", self.section)
        if not isinstance(self.veto, bool):
            raise TypeError(f"veto: {self.veto!r} is not true or false")

    def display(self, lang: str = "zh") -> str:
        """The label in ``lang``, falling back to the other language and then the kind."""
        if lang == "en":
            return self.label_en or self.label or self.kind
        return self.label or self.label_en or self.kind

    def key(self) -> dict[str, object]:
        """What scores: kind, points, conditions, cap and the scheme keys (labels excluded).

        Scheme keys appear only when set, so a rule without them digests as it always did.
        """
        key: dict[str, object] = {
            "id": self.id,
            "kind": self.kind,
            "points": canonical(self.points),
            "when": [c.key() for c in self.when],
            "cap": None if self.cap is None else [canonical(self.cap.points), self.cap.per],
        }
        if self.section is not None:
            key["section"] = self.section
        if self.quantity is not None:
            key["quantity"] = self.quantity.key()
        if self.limit is not None:
            key["limit"] = self.limit.key()
        if self.veto:
            key["veto"] = True
        return key


@attrs.frozen
class GradeThresholds:
    """Monthly score at or above ``excellent`` → 优秀; at or above ``qualified`` → 合格."""

    excellent: Decimal = attrs.field(default=Decimal(80), converter=_excellent)
    qualified: Decimal = attrs.field(default=Decimal(60), converter=_qualified)

    def __attrs_post_init__(self) -> None:
        if self.qualified > self.excellent:
            raise ValueError(f"grades.qualified: {self.qualified} is above grades.excellent {self.excellent}")


def to_grades(value: object) -> GradeThresholds | tuple[GradeBand, ...]:
    """Normalise ``grades``: None (defaults 80/60), a GradeThresholds or a mapping of thresholds,
    or a list of grade bands (GradeBand or mappings), highest first."""
    if value is None:
        return GradeThresholds()
    if isinstance(value, GradeThresholds):
        return value
    if isinstance(value, (list, tuple)):
        return to_bands(value)
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {"excellent", "qualified"})
        if unknown:
            raise ValueError(f"grades.{unknown[0]}: unknown key (use excellent, qualified)")
        return GradeThresholds(**value)
    raise TypeError(f"grades: {value!r} is not a mapping like {{'excellent': 80, 'qualified': 60}} or a list of bands")


def to_coefficients(value: object) -> Mapping[str, Decimal]:
    """Normalise a region → coefficient table; coefficients must be positive."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"coefficients: {value!r} is not a mapping of region to number")
    table: dict[str, Decimal] = {}
    for region, number in value.items():
        region = check_id("coefficients region", region)
        field = f"coefficients.{region}"
        table[region] = bounded(to_decimal(number, field), field, MAX_COEFFICIENT, positive=True)
    return table


def _region_labels(value: object) -> Mapping[str, tuple[str, str]]:
    return to_place_labels(value, "regions")


def _grid_labels(value: object) -> Mapping[str, tuple[str, str]]:
    return to_place_labels(value, "grids")


def _number_rules(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    """Give each rule without an id the id ``kind.n`` (n counts within its kind, from 1)."""
    counts: dict[str, int] = {}
    result = []
    seen: set[str] = set()
    for rule in rules:
        if not isinstance(rule, Rule):
            raise TypeError(f"rules: {rule!r} is not a Rule")
        counts[rule.kind] = counts.get(rule.kind, 0) + 1
        if rule.id is None:
            rule = attrs.evolve(rule, id=f"{rule.kind}.{counts[rule.kind]}")
        if rule.id in seen:
            raise ValueError(f"rules: two rules have the id {rule.id!r}")
        seen.add(rule.id)  # type: ignore[arg-type]
        result.append(rule)
    return tuple(result)


def _assessment(value: object) -> Assessment:
    try:
        return to_assessment(value)
    except (TypeError, ValueError) as error:
        text = str(error)
        raise type(error)(text if text.startswith("assessment") else f"assessment.{text}") from None


def _to_date(value: object) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"effective_from: {value!r} is not a date like 2026-01-01") from None
    if not isinstance(value, date):
        raise TypeError(f"effective_from: {value!r} is not a date")
    return value


@attrs.frozen
class RuleSet:
    """One version of a rule set (积分规则): rules tried in order, first match applies.

    ``effective_from`` is a date, taken as local midnight in the engine's time zone.
    ``reportable`` kinds booked later than ``report_deadline`` after they occurred also book one
    ``late_report`` deduction (when the rule set has a ``late_report`` rule).
    """

    id: str = attrs.field(converter=_ruleset_id)
    version: str = attrs.field(converter=_version)
    effective_from: date = attrs.field(converter=_to_date)
    rules: tuple[Rule, ...] = attrs.field(converter=_number_rules)
    coefficients: Mapping[str, Decimal] = attrs.field(default=None, converter=to_coefficients, kw_only=True, hash=False)
    grades: GradeThresholds | tuple[GradeBand, ...] = attrs.field(default=None, converter=to_grades, kw_only=True)
    reportable: tuple[str, ...] = attrs.field(default=("hazard", "group_incident"), converter=_kinds, kw_only=True)
    report_deadline: timedelta = attrs.field(default=timedelta(hours=24), kw_only=True)
    label: str | None = attrs.field(default=None, kw_only=True)
    assessment: Assessment = attrs.field(default=None, converter=_assessment, kw_only=True)
    sections: tuple[Section, ...] = attrs.field(default=(), converter=to_sections, kw_only=True)
    tallies: tuple[Tally, ...] = attrs.field(default=(), converter=to_tallies, kw_only=True)
    #: Built-in check → options (``enabled`` among them): ``[checks.<name>]`` of a rule file.
    checks: Mapping[str, Mapping[str, object]] = attrs.field(
        default=None, converter=to_check_tables, kw_only=True, hash=False
    )
    #: Region id → (zh, en) display name: ``[regions]`` of a rule file (a label: not digested).
    regions: Mapping[str, tuple[str, str]] = attrs.field(
        default=None, converter=_region_labels, kw_only=True, hash=False
    )
    #: Grid id → (zh, en) display name: ``[grids]``.
    grids: Mapping[str, tuple[str, str]] = attrs.field(
        default=None, converter=_grid_labels, kw_only=True, hash=False
    )
    #: Title code → options (``enabled``, ``label``, ``label_en``, ``share``): ``[titles]``.
    titles: Mapping[str, Mapping[str, object]] = attrs.field(
        default=None, converter=to_titles, kw_only=True, hash=False
    )
    #: The grades this version gives, best first: its bands, or the built-in three.
    scale: tuple[Grade, ...] = attrs.field(init=False, eq=False, hash=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if not self.rules:
            raise ValueError(f"rules: rule set {self.id} {self.version} has no rules")
        if self.report_deadline < timedelta(0):
            raise ValueError(f"report_deadline: {self.report_deadline} is negative")
        if self.report_deadline > timedelta(hours=MAX_REPORT_DEADLINE_HOURS):
            raise ValueError(f"report_deadline: {self.report_deadline} is beyond {MAX_REPORT_DEADLINE_HOURS:,} hours")
        self._check_scheme_references()
        grades = self.grades
        scale = tuple(Grade) if isinstance(grades, GradeThresholds) else tuple(b.grade(i) for i, b in enumerate(grades))
        object.__setattr__(self, "scale", scale)

    def _check_scheme_references(self) -> None:
        """Every section a rule or tally names exists; every kind a tally counts has a rule."""
        known = [s.id for s in self.sections]
        listed = ", ".join(known) if known else "none defined"
        for i, rule in enumerate(self.rules):
            if rule.section is not None and rule.section not in known:
                raise ValueError(f"rules[{i + 1}].section: unknown section {rule.section!r} (sections: {listed})")
        kinds = self.kinds
        for i, tally in enumerate(self.tallies):
            if tally.section is not None and tally.section not in known:
                raise ValueError(f"tallies[{i + 1}].section: unknown section {tally.section!r} (sections: {listed})")
            for j, kind in enumerate(tally.kinds):
                if kind not in kinds:
                    raise ValueError(f"tallies[{i + 1}].kinds[{j + 1}]: unknown kind {kind!r} (no rule has it)")

    @property
    def is_scheme(self) -> bool:
        """Whether scores are derived by an assessment scheme (base, sections, tallies, vetoes,
        eligibility, another assessed period), not only summed. Grade bands alone and the
        per-event keys (quantity, limit) do not make a scheme: they need no derivation."""
        return (
            not self.assessment.is_default
            or bool(self.sections)
            or bool(self.tallies)
            or any(rule.veto or rule.section is not None for rule in self.rules)
        )

    def section(self, section_id: str) -> Section | None:
        """The section with this id, or None."""
        return next((s for s in self.sections if s.id == section_id), None)

    @property
    def kinds(self) -> frozenset[str]:
        """Every event kind the version has a rule for."""
        return frozenset(rule.kind for rule in self.rules)

    def title(self, code: str) -> tuple[str, str, Decimal] | None:
        """Title ``code``'s (zh, en) label and share of the ranking, or None when switched off."""
        zh, en, share = TITLES[code]
        options = self.titles.get(code, {})
        if options.get("enabled", True) is False:
            return None
        label, label_en, given = options.get("label", zh), options.get("label_en", en), options.get("share", share)
        assert isinstance(label, str) and isinstance(label_en, str) and isinstance(given, Decimal)
        return label, label_en, given

    def rule(self, rule_id: str) -> Rule | None:
        """The rule with ``rule_id`` (for example ``hazard.2``), or None."""
        return next((r for r in self.rules if r.id == rule_id), None)

    def digest(self) -> str:
        """SHA-256 of what scores in this version (labels excluded), as hex."""
        document: dict[str, object] = {
            "id": self.id,
            "version": self.version,
            "effective_from": self.effective_from.isoformat(),
            "rules": [rule.key() for rule in self.rules],
            "coefficients": {k: canonical(v) for k, v in sorted(self.coefficients.items())},
            "grades": (
                [canonical(self.grades.excellent), canonical(self.grades.qualified)]
                if isinstance(self.grades, GradeThresholds)
                else [band.key() for band in self.grades]
            ),
            "reportable": sorted(self.reportable),
            "report_deadline": self.report_deadline.total_seconds(),
        }
        # Scheme keys only when given: a rule set without a scheme keeps the digest it had.
        if not self.assessment.is_default:
            document["assessment"] = self.assessment.key()
        if self.sections:
            document["sections"] = [section.key() for section in self.sections]
        if self.tallies:
            document["tallies"] = [tally.key() for tally in self.tallies]
        if self.checks:  # likewise: the checks' options are versioned with the rules that set them
            document["checks"] = check_tables_key(self.checks)
        if self.titles:  # who gets a title is a result; the region and grid names are only labels
            document["titles"] = titles_key(self.titles)
        data = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(data.encode("utf-8")).hexdigest()
