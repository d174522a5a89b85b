"""Rule types, the built-in standard rule set, and rule compilation."""

from gridpoints.rules._types import Cap, Condition, GradeThresholds, Rule, RuleSet
from gridpoints.rules.standard import standard_ruleset

__all__ = ["Cap", "Condition", "GradeThresholds", "Rule", "RuleSet", "standard_ruleset"]
