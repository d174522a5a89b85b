"""Compile rule sets into per-kind dispatch tables: no rule interpreter on the hot path."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, time, tzinfo
from decimal import Decimal, InvalidOperation

import attrs

from gridpoints.rules._types import Cap, Condition, Rule, RuleSet
from gridpoints.rules.bounds import Limit, QuantityBounds

__all__ = ["CompiledRule", "CompiledVersion", "RuleBook"]

Matcher = Callable[[Mapping[str, object]], bool]
_MISSING = object()


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _equal(actual: object, expected: object) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected or (isinstance(actual, str) and actual.lower() == str(expected).lower())
    if isinstance(expected, (int, Decimal)):
        return _number(actual) == expected
    if isinstance(expected, str):
        return (isinstance(actual, str) and actual == expected) or (
            not isinstance(actual, str) and actual is not None and str(actual) == expected
        )
    return actual == expected


def _test(condition: Condition) -> Matcher:
    name, op, expected = condition.attribute, condition.op, condition.value
    if op == "eq":
        return lambda attrs_: (v := attrs_.get(name, _MISSING)) is not _MISSING and _equal(v, expected)
    # A missing attribute equals nothing: eq/in fail on it, ne/not_in hold.
    if op == "ne":
        return lambda attrs_: (v := attrs_.get(name, _MISSING)) is _MISSING or not _equal(v, expected)
    options: tuple[object, ...] = expected if isinstance(expected, tuple) else (expected,)
    if op == "in":
        return lambda attrs_: (
            (v := attrs_.get(name, _MISSING)) is not _MISSING and any(_equal(v, option) for option in options)
        )
    if op == "not_in":
        return lambda attrs_: (
            (v := attrs_.get(name, _MISSING)) is _MISSING or not any(_equal(v, option) for option in options)
        )
    compare: Callable[[Decimal, Decimal], bool] = {
        "gt": Decimal.__gt__,
        "gte": Decimal.__ge__,
        "lt": Decimal.__lt__,
        "lte": Decimal.__le__,
    }[op]
    bound = expected

    def numeric(attrs_: Mapping[str, object]) -> bool:
        number = _number(attrs_.get(name))
        return number is not None and compare(number, bound)  # type: ignore[arg-type]

    return numeric


def compile_conditions(conditions: tuple[Condition, ...]) -> Matcher | None:
    """One callable testing all conditions, or None when the rule always matches."""
    if not conditions:
        return None
    tests = tuple(_test(c) for c in conditions)
    if len(tests) == 1:
        return tests[0]
    return lambda attrs_: all(test(attrs_) for test in tests)


@attrs.frozen
class CompiledRule:
    """A rule ready for the hot path."""

    rule: Rule
    id: str
    points: Decimal
    matcher: Matcher | None
    cap: Cap | None
    positive: bool
    quantity: QuantityBounds | None = None
    limit: Limit | None = None


@attrs.frozen
class CompiledVersion:
    """One rule-set version: kind → ordered compiled rules, plus what derived deductions need."""

    ruleset: RuleSet
    starts: datetime
    digest: str
    by_kind: Mapping[str, tuple[CompiledRule, ...]]
    late_rule: CompiledRule | None
    reportable: frozenset[str]

    @classmethod
    def build(cls, ruleset: RuleSet, tz: tzinfo) -> CompiledVersion:
        by_kind: dict[str, list[CompiledRule]] = {}
        for rule in ruleset.rules:
            compiled = CompiledRule(
                rule=rule,
                id=rule.id or rule.kind,
                points=rule.points,
                matcher=compile_conditions(rule.when),
                cap=rule.cap,
                positive=rule.points > 0,
                quantity=rule.quantity,
                limit=rule.limit,
            )
            by_kind.setdefault(rule.kind, []).append(compiled)
        late = by_kind.get("late_report", [])
        late_rule = next((r for r in late if r.matcher is None), late[0] if late else None)
        return cls(
            ruleset=ruleset,
            starts=datetime.combine(ruleset.effective_from, time(), tzinfo=tz),
            digest=ruleset.digest(),
            by_kind={kind: tuple(rules) for kind, rules in by_kind.items()},
            late_rule=late_rule,
            reportable=frozenset(ruleset.reportable),
        )

    def match(self, kind: str, attributes: Mapping[str, object]) -> CompiledRule | None:
        """The first rule of ``kind`` whose conditions hold, or None."""
        for rule in self.by_kind.get(kind, ()):
            if rule.matcher is None or rule.matcher(attributes):
                return rule
        return None


class RuleBook:
    """Every version of one rule set, ordered by when each takes effect."""

    def __init__(self, versions: Iterable[RuleSet], tz: tzinfo) -> None:
        compiled = sorted((CompiledVersion.build(v, tz) for v in versions), key=lambda c: c.starts)
        if not compiled:
            raise ValueError("a rule book needs at least one version")
        self.id = compiled[0].ruleset.id
        self.versions: tuple[CompiledVersion, ...] = tuple(compiled)
        self._starts = [c.starts for c in compiled]
        self.kinds = frozenset().union(*(c.by_kind.keys() for c in compiled))
        self.by_version = {c.ruleset.version: c for c in compiled}

    def version_at(self, moment: datetime) -> CompiledVersion | None:
        """The version in effect at ``moment``, or None if it is older than every version."""
        index = bisect.bisect_right(self._starts, moment) - 1
        return self.versions[index] if index >= 0 else None

    @property
    def latest(self) -> CompiledVersion:
        """The version that takes effect last."""
        return self.versions[-1]
