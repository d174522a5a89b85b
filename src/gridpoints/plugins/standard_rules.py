"""Built-in plugin: contributes the standard rule set."""

from __future__ import annotations

from gridpoints._markers import hookimpl
from gridpoints.rules import RuleSet, standard_ruleset


@hookimpl
def gridpoints_rulesets() -> list[RuleSet]:
    """The article's standard rule set (id ``standard``)."""
    return [standard_ruleset()]
