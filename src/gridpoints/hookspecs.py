"""The hook specifications: the contract between gridpoints and its plugins.

A plugin implements any subset of the hooks, and any subset of each hook's arguments (by name),
marking its functions with ``gridpoints.hookimpl``. gridpoints calls every hook through its
pluggy ``PluginManager`` (``eng.plugins.pm``), so pluggy's rules hold:

- implementations are called newest registration first: the built-ins are registered first and
  answer last; ``hookimpl(tryfirst=True)`` / ``trylast=True`` move one to the front or back;
- a hook marked *first result* stops at the first answer that is not None; the others collect
  every answer that is not None, in call order;
- wrappers (``hookimpl(wrapper=True)``, or old-style ``hookwrapper=True``) run around the whole
  call and may change its outcome; hook-call monitors and ``pm.enable_tracing()`` see every call.

No hook is called once per event: rule sets, checks and the store are collected once when an
engine is built; coefficients are asked once per key and cached; grades once per member and
report; period awards once per member when a month is settled. Every answer is checked: one of
the wrong type, or an exception, is a ``gridpoints.PluginError`` naming the plugin (a
``GridpointsError`` the plugin raises on purpose passes through as it is).
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

    *All results*: every plugin's versions are collected, once, when an engine is built (and by
    ``gridpoints plugins``). Each ``RuleSet`` is one version of the rule set named by its ``id``;
    versions of one id may come from several plugins, and the engine scores with the versions of
    the id it was asked for (``Engine(ruleset=…)``).

    :returns: the versions this plugin contributes; an empty iterable (or None) for none.

    An item that is not a ``RuleSet`` is a ``PluginError`` naming the plugin. Two plugins
    contributing the same id and version, or two versions of one id taking effect on the same
    day, is a ``ConfigurationError`` naming both.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def gridpoints_coefficient(member: Member, kind: str, period: Period, ruleset: RuleSet) -> Decimal | None:
    """Return the regional coefficient for a member's events of ``kind`` in month ``period``.

    *First result*: the first answer that is not None wins; None passes to the next plugin. The
    built-in answers last (``trylast``), from the engine's table (``Engine(coefficients=…)``),
    then the rule set's, then 1; while it is the only implementation, the engine reads its table
    directly instead of calling the hook. Called once per (member, kind, month, rule-set
    version) and cached, so it must be a pure function of its arguments.

    :param member: the member the event belongs to.
    :param kind: the event's kind.
    :param period: the event's month.
    :param ruleset: the rule-set version the event is scored with.
    :returns: a positive ``Decimal`` (or int, or str like ``"1.2"``), never a float; None to pass.

    Only positive awards are multiplied by it. Anything that is not a positive exact number is a
    ``PluginError`` naming the plugin.
    """
    raise NotImplementedError


@hookspec
def gridpoints_checks() -> Iterable[Check]:
    """Contribute anti-gaming checks (``gridpoints.Check`` objects).

    *All results*: collected once, when the engine is built, and compiled into a per-kind list;
    each check's ``judge`` then runs once per event of the kinds it names (in ``occurred_at``
    order, then id, within an ingest call), and a check that
    overrides ``period_flags`` is asked once per month report for audit flags. The built-in
    checks (``gridpoints.plugins.checks``, configured by ``Engine(check_config=…)``) answer this
    hook too, each as its own plugin named ``gridpoints.builtin.<Class>``.

    :returns: the checks this plugin contributes; an empty iterable (or None) for none.

    An item without a string ``name`` and a callable ``judge`` (or the deprecated ``inspect``)
    is a ``PluginError`` naming the
    plugin, and so is a check that raises or returns something other than a ``Verdict``.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def gridpoints_grade(score: Decimal, period: Period, ruleset: RuleSet) -> Grade | None:
    """Grade a monthly score (for quarters, half-years and years, the average monthly score),
    or under an assessment scheme the assessed period's score.

    *First result*: the first answer that is not None wins; None passes on. The built-in answers
    last (``trylast``) with the rule set's ``[[grades]]`` bands or its thresholds (defaults
    80 / 60); while it is the only implementation, reports apply them directly instead of
    calling the hook. Called once per member each time a report is built (a scheme's veto then
    overrides the grade with the scale's lowest).

    :param score: the monthly (or average monthly) score, or under an assessment scheme the
        score the assessed period is graded on.
    :param period: the period being graded.
    :param ruleset: the rule-set version in effect at the period's end.
    :returns: any ``Grade`` value (not only the three built-ins); None to pass.

    A final answer that is not a ``Grade`` is a ``PluginError`` naming the plugin.
    """
    raise NotImplementedError


@hookspec
def gridpoints_period_awards(member: Member, period: Period, summary: PeriodSummary) -> Iterable[Award]:
    """Return the awards a member earns for a whole month, booked when the month is settled.

    *All results*: collected once per active member when a month is settled (``Engine.settle``,
    ``Engine.close_period``), never per event. Each non-zero ``Award`` is booked as a
    ``period_award`` entry. The built-in ``gridpoints.plugins.satisfaction`` gives the
    resident-satisfaction award; a configured ``SatisfactionAward`` replaces it.

    :param member: the member.
    :param period: the month being settled.
    :param summary: the member's month so far (score, quantities and points per kind, rating stars).
    :returns: this plugin's awards for the member; an empty iterable (or None) for none.

    An item that is not an ``Award`` is a ``PluginError`` naming the plugin.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def gridpoints_store(url: str) -> Store | None:
    """Open the store a URL names, or return None if this plugin does not handle it.

    *First result*: the first answer that is not None wins. Called once, when an engine is built
    with a path or URL (``Engine("points.db")``). The built-ins answer last: ``memory:``,
    ``sqlite:///path``, ``:memory:`` and plain paths (SQLite); ``postgresql://`` with the
    ``postgres`` extra.

    :param url: the path or URL given to the engine.
    :returns: a ``gridpoints.Store``; None to pass.

    No answer is a ``ConfigurationError`` listing the URL forms built in; an answer that is not a
    ``Store`` is a ``PluginError`` naming the plugin.
    """
    raise NotImplementedError
