"""The plugin author kit: Hypothesis strategies and the rule-set property suite.

Install with the ``testing`` extra (``pip install gridpoints[testing]``). The pytest plugin
(``gridpoints.testing.pytest_plugin``) is registered through the ``pytest11`` entry point.
Nothing in the core imports this package.

The names below are imported on first use: pytest loads the pytest plugin (a submodule, which
imports this package) in every environment where gridpoints is installed, and that must work
without Hypothesis, which only the strategies and the property suite need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {
    **dict.fromkeys(["PROPERTIES", "PropertyFailed", "check_ruleset", "ruleset_tests"], "properties"),
    **dict.fromkeys(
        ["DEFAULT_MEMBER_IDS", "DEFAULT_PERIOD", "DEFAULT_REGIONS", "DEFAULT_TZ", "events", "members", "periods",
         "rulesets"],
        "strategies",
    ),
}


def __getattr__(name: str) -> Any:
    """Import a public name from its submodule when it is first asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'gridpoints.testing' has no attribute {name!r}")
    try:
        module = importlib.import_module(f"gridpoints.testing.{home}")
    except ModuleNotFoundError as error:
        if error.name != "hypothesis":
            raise
        raise ModuleNotFoundError(
            f"gridpoints.testing.{name} needs Hypothesis: pip install 'gridpoints[testing]'", name="hypothesis"
        ) from error
    value = getattr(module, name)
    globals()[name] = value
    return value
