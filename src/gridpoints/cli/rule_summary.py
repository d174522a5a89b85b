"""A rule file's versions as text, the way ``gridpoints rules check`` prints them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC
from decimal import Decimal

from gridpoints._decimal import canonical
from gridpoints.cli import formatting
from gridpoints.results.explain import format_points
from gridpoints.rules import RuleSet
from gridpoints.rules._types import Condition, Rule
from gridpoints.rules.compiled import CompiledVersion

__all__ = ["check_tables", "describe_versions", "format_options", "late_reports"]

_OPS = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "in": "in", "not_in": "not in"}


def _value(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return canonical(value)
    return str(value)


def _condition(condition: Condition) -> str:
    return f"{condition.attribute} {_OPS.get(condition.op, condition.op)} {_value(condition.value)}"


def _rule_row(rule: Rule, lang: str) -> list[str]:
    notes = []
    if rule.when:
        notes.append("when " + " and ".join(_condition(c) for c in rule.when))
    if rule.cap is not None:
        notes.append(f"at most {canonical(rule.cap.points)} a {rule.cap.per}")
    return [rule.kind, rule.display(lang), format_points(rule.points), "; ".join(notes)]


def _option_value(value: object) -> str:
    """An option value as a rule file would write it: ``12``, ``location``, ``{patrol = 12}``."""
    if value is None:
        return "any"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {_option_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "[" + ", ".join(_option_value(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    return str(value)


def format_options(options: Mapping[str, object]) -> str:
    """``minutes = 30, attribute = location``, or ``no options``."""
    return ", ".join(f"{key} = {_option_value(value)}" for key, value in options.items()) or "no options"


def check_tables(ruleset: RuleSet) -> str:
    """The version's ``[checks.<name>]`` tables in a line: ``checks: burst off; daily_limit limits = {…}``."""
    parts = []
    for name, table in ruleset.checks.items():
        options = {k: v for k, v in table.items() if k != "enabled"}
        state = " off" if table.get("enabled", True) is False else ""
        parts.append(f"{name}{state}" + (f" {format_options(options)}" if options else ""))
    return "checks: " + "; ".join(parts)


def late_reports(ruleset: RuleSet) -> str:
    """What a late report of the version costs, or why it costs nothing (no deductions derived)."""
    late = CompiledVersion.build(ruleset, UTC).late_rule  # the rule the pipeline would use
    if late is None:
        return "late reports: no late_report rule, so no derived late-report deductions"
    if not ruleset.reportable:
        return "late reports: no reportable kinds, so no derived late-report deductions"
    hours = Decimal(int(ruleset.report_deadline.total_seconds())) / 3600
    return (
        f"late reports: {', '.join(ruleset.reportable)} reported more than {canonical(hours)} h after they occur "
        f"also book late_report {format_points(late.points)}"
    )


def describe_versions(versions: Sequence[RuleSet], lang: str) -> list[str]:
    """One block per version: its date, rules (kind, label, points, conditions, cap), coefficients
    and what a late report costs."""
    lines = []
    for version in sorted(versions, key=lambda v: v.effective_from):
        lines.append(
            f"  version {version.version}  from {version.effective_from}  {len(version.rules)} rules  "
            f"digest {version.digest()[:12]}"
        )
        table = formatting.table(["kind", "label", "points", ""], [_rule_row(r, lang) for r in version.rules],
                                 right=(2,))
        lines.extend("    " + line for line in table.splitlines()[2:])  # no header: the columns speak
        if version.coefficients:
            table_text = ", ".join(f"{region} ×{canonical(c)}" for region, c in version.coefficients.items())
            lines.append(f"    coefficients (positive awards only): {table_text}")
        lines.append("    " + late_reports(version))
        if version.checks:
            lines.append("    " + check_tables(version))
    return lines
