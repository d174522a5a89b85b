"""The plugin author kit: Hypothesis strategies and the rule-set property suite.

Install with the ``testing`` extra (``pip install gridpoints[testing]``). The pytest plugin
(``gridpoints.testing.pytest_plugin``) is registered through the ``pytest11`` entry point.
Nothing in the core imports this package.
"""

from gridpoints.testing.properties import PROPERTIES, PropertyFailed, check_ruleset, ruleset_tests
from gridpoints.testing.strategies import (
    DEFAULT_MEMBER_IDS,
    DEFAULT_PERIOD,
    DEFAULT_REGIONS,
    DEFAULT_TZ,
    events,
    members,
    periods,
    rulesets,
)

__all__ = [
    "DEFAULT_MEMBER_IDS",
    "DEFAULT_PERIOD",
    "DEFAULT_REGIONS",
    "DEFAULT_TZ",
    "PROPERTIES",
    "PropertyFailed",
    "check_ruleset",
    "events",
    "members",
    "periods",
    "ruleset_tests",
    "rulesets",
]
