"""The hook specifications: the contract between gridpoints and its plugins.

Every hook is collected once when an engine is built (coefficients once per key), never once
per event. A plugin implements any subset of the hooks, and any subset of each hook's
arguments, marking its functions with ``gridpoints.hookimpl``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from gridpoints._markers import hookspec

if TYPE_CHECKING:
    from gridpoints.checks import Check
    from gridpoints.model import Award, Grade, Member, PeriodSummary
    from gridpoints.periods import Period
    from gridpoints.rules import RuleSet
    from gridpoints.stores import Store

__all__ = [
    "gridpoints_checks",
    "gridpoints_coefficient",
    "gridpoints_grade",
    "gridpoints_period_awards",
    "gridpoints_rulesets",
    "gridpoints_store",
]


@hookspec
def gridpoints_rulesets() -> Iterable[RuleSet]:
    """Contribute rule-set versions.

    All results are collected when the engine is built. Each ``RuleSet`` is one version of the
    rule set named by its ``id``; versions of one id may come from several plugins, but two
    plugins contributing the same id and version is a ``ConfigurationError`` naming both.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def gridpoints_coefficient(member: Member, kind: str, period: Period, ruleset: RuleSet) -> Decimal | None:
    """Return the regional coefficient for a member's events of ``kind`` in month ``period``.

    First result wins; None passes to the next plugin (the built-in one answers last, from the
    engine's table, then the rule set's, then 1). Must be a pure function of its arguments:
    it is called once per (member, kind, month, rule-set version) and cached. Only positive
    awards are multiplied by it. Must return a positive ``Decimal`` (or int/str), never a float.
    """
    raise NotImplementedError


@hookspec
def gridpoints_checks() -> Iterable[Check]:
    """Contribute anti-gaming checks (``gridpoints.Check`` objects).

    All results are collected when the engine is built and compiled into a per-kind list;
    each check's ``inspect`` then runs once per event of the kinds it names, and a check that
    overrides ``period_flags`` is asked once per month report for audit flags. The built-in
    checks (``gridpoints.plugins.checks``) answer this hook too, configured by
    ``Engine(check_config=…)``.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def gridpoints_grade(score: Decimal, period: Period, ruleset: RuleSet) -> Grade | None:
    """Grade a monthly score (for quarters and years, the average monthly score).

    First result wins; None passes on; the built-in answers last with the rule set's
    thresholds (defaults 80 / 60).
    """
    raise NotImplementedError


@hookspec
def gridpoints_period_awards(member: Member, period: Period, summary: PeriodSummary) -> Iterable[Award]:
    """Return the awards a member earns for a whole month, booked when the month is settled.

    All results are collected, once per member when a month is settled (never per event).
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def gridpoints_store(url: str) -> Store | None:
    """Open the store a URL names, or return None if this plugin does not handle it.

    First result wins; the built-in handles ``memory:``, ``sqlite:///path`` and plain paths.
    """
    raise NotImplementedError
