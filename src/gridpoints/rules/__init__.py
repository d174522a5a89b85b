"""Rule types, assessment schemes, the built-in standard rule set, and rule compilation."""

from gridpoints.rules._types import Cap, Condition, GradeThresholds, Rule, RuleSet
from gridpoints.rules.bounds import Limit, QuantityBounds
from gridpoints.rules.scheme import Assessment, GradeBand, Section, Tally
from gridpoints.rules.standard import standard_ruleset

__all__ = [
    "Assessment",
    "Cap",
    "Condition",
    "GradeBand",
    "GradeThresholds",
    "Limit",
    "QuantityBounds",
    "Rule",
    "RuleSet",
    "Section",
    "Tally",
    "standard_ruleset",
]
