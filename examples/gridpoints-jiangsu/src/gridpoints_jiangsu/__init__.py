"""gridpoints-jiangsu: a locality's rule plugin for gridpoints, shipped as its own package."""

from gridpoints_jiangsu.checks import NightPatrolCheck
from gridpoints_jiangsu.rules import COEFFICIENTS, RULES_FILE, RULESET_ID, jiangsu_ruleset, jiangsu_versions

__all__ = ["COEFFICIENTS", "RULESET_ID", "RULES_FILE", "NightPatrolCheck", "jiangsu_ruleset", "jiangsu_versions"]
