"""Built-in plugin: grades by the rule set's bands, or its thresholds (80 / 60 by default)."""

from __future__ import annotations

from decimal import Decimal

from gridpoints._markers import hookimpl
from gridpoints.model import Grade
from gridpoints.rules import GradeThresholds, RuleSet

__all__ = ["grade_by_thresholds"]


def grade_by_thresholds(score: Decimal, ruleset: RuleSet) -> Grade:
    """The first band whose ``min`` the score reaches (the last band takes the rest); without
    bands ≥ excellent → 优秀, ≥ qualified → 合格, below → 不合格 ("80分以上" includes 80)."""
    grades = ruleset.grades
    if isinstance(grades, GradeThresholds):
        if score >= grades.excellent:
            return Grade.EXCELLENT
        if score >= grades.qualified:
            return Grade.QUALIFIED
        return Grade.UNQUALIFIED
    scale = ruleset.scale
    for band, grade in zip(grades, scale, strict=True):
        if band.min is None or score >= band.min:
            return grade
    return scale[-1]  # unreachable: the last band has no min


@hookimpl(trylast=True)
def gridpoints_grade(score: Decimal, ruleset: RuleSet) -> Grade:
    """The default grading; any plugin that returns a Grade first overrides it."""
    return grade_by_thresholds(score, ruleset)
