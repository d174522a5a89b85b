"""gridpoints-jiangsu: a locality's rule plugin for gridpoints, shipped as its own package."""

from gridpoints_jiangsu.checks import NightPatrolCheck
from gridpoints_jiangsu.rules import COEFFICIENTS, RULESET_ID, jiangsu_ruleset

__all__ = ["COEFFICIENTS", "RULESET_ID", "NightPatrolCheck", "jiangsu_ruleset"]
