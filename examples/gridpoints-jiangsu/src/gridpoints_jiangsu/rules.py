"""The Jiangsu city's rule set (the source article's second table), read from the TOML file this
package ships (``jiangsu.toml``): the rules are data an administrator can review; Python only
hands them to gridpoints."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from importlib.resources import files

import gridpoints as gp

__all__ = ["COEFFICIENTS", "RULESET_ID", "RULES_FILE", "VERSION", "jiangsu_ruleset", "jiangsu_versions"]

#: The rule file inside the installed package (a wheel, a zip or a source tree alike).
RULES_FILE = files(__package__) / "jiangsu.toml"


@cache
def jiangsu_versions() -> tuple[gp.RuleSet, ...]:
    """Every version in the shipped file, read once (a bad file fails with its line and key)."""
    return gp.load_rules(RULES_FILE)


def jiangsu_ruleset() -> gp.RuleSet:
    """The latest version: patrol +5 (at most +10 a day), hazard +10, mediation +10, complaint −10,
    late report −3; rural ×1.2, suburban ×1.1."""
    return max(jiangsu_versions(), key=lambda version: version.effective_from)


RULESET_ID = jiangsu_ruleset().id
VERSION = jiangsu_ruleset().version
#: Region → coefficient on positive awards: rural grids cover more ground per worker.
COEFFICIENTS: dict[str, Decimal] = dict(jiangsu_ruleset().coefficients)
