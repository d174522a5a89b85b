"""Built-in plugin: grades by the rule set's thresholds (80 excellent, 60 qualified by default)."""

from __future__ import annotations

from decimal import Decimal

from gridpoints._markers import hookimpl
from gridpoints.model import Grade
from gridpoints.rules import RuleSet

__all__ = ["grade_by_thresholds"]


def grade_by_thresholds(score: Decimal, ruleset: RuleSet) -> Grade:
    """≥ excellent → 优秀; ≥ qualified → 合格; below → 不合格 ("80分以上" includes 80)."""
    if score >= ruleset.grades.excellent:
        return Grade.EXCELLENT
    if score >= ruleset.grades.qualified:
        return Grade.QUALIFIED
    return Grade.UNQUALIFIED


@hookimpl(trylast=True)
def gridpoints_grade(score: Decimal, ruleset: RuleSet) -> Grade:
    """The default grading; any plugin that returns a Grade first overrides it."""
    return grade_by_thresholds(score, ruleset)
