"""The module the ``gridpoints`` entry point names: its hooks are what the engine collects."""

from __future__ import annotations

import gridpoints as gp
from gridpoints_jiangsu.checks import NightPatrolCheck
from gridpoints_jiangsu.rules import jiangsu_versions

__all__ = ["gridpoints_checks", "gridpoints_rulesets"]


@gp.hookimpl
def gridpoints_rulesets() -> list[gp.RuleSet]:
    """Every version of the Jiangsu rule set in the shipped file (select it with ``gp.Engine(ruleset="jiangsu")``)."""
    return list(jiangsu_versions())


@gp.hookimpl
def gridpoints_checks() -> list[gp.Check]:
    """The night-patrol check."""
    return [NightPatrolCheck()]
