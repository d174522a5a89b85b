"""The plugin manager factory and a typed facade over the hooks.

The rest of gridpoints calls hooks only through ``PluginFacade``: every result is checked
("don't trust the plugins") and any exception a plugin raises becomes a ``PluginError`` that
names the plugin.
"""

from __future__ import annotations

import importlib
import types
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

import pluggy

from gridpoints import hookspecs
from gridpoints._decimal import MAX_COEFFICIENT, bounded, to_decimal
from gridpoints._markers import PROJECT
from gridpoints.checks import Check
from gridpoints.errors import ConfigurationError, GridpointsError, PluginError
from gridpoints.model import Award, Grade, Member, PeriodSummary
from gridpoints.periods import Period
from gridpoints.plugins import DEFAULT_PLUGINS
from gridpoints.rules import RuleSet
from gridpoints.stores import Store

__all__ = ["PluginFacade", "get_plugin_manager"]

ENTRY_POINT_GROUP = "gridpoints"


def get_plugin_manager(
    plugins: Iterable[object] = (),
    *,
    load_entrypoints: bool = True,
    builtins: Iterable[object] = (),
) -> pluggy.PluginManager:
    """A plugin manager with the specs, the built-ins, entry-point plugins, then ``plugins``.

    Built-ins are registered first, so they answer last: pluggy calls later registrations first.
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    for plugin in builtins:
        pm.register(plugin, name=f"gridpoints.builtin.{type(plugin).__name__}")
    if load_entrypoints:
        try:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        except Exception as error:  # an installed plugin that fails to import
            raise PluginError(f"entry point group {ENTRY_POINT_GROUP}", f"failed to load: {error!r}") from error
    for plugin in plugins:
        if pm.is_registered(plugin):
            continue
        try:
            pm.register(plugin, name=_readable_name(pm, plugin))
        except ValueError as error:
            raise ConfigurationError(f"cannot register plugin {plugin!r}: {error}") from error
    _drop_replaced_builtins(pm)
    pm.check_pending()
    return pm


def _readable_name(pm: pluggy.PluginManager, plugin: object) -> str:
    """A name errors can show: the module name, or the class path (numbered when repeated)."""
    if isinstance(plugin, types.ModuleType):
        base = plugin.__name__
    elif isinstance(plugin, type):
        base = f"{plugin.__module__}.{plugin.__qualname__}"
    else:
        base = f"{type(plugin).__module__}.{type(plugin).__qualname__}"
    name, number = base, 1
    while pm.get_plugin(name) is not None:
        number += 1
        name = f"{base}#{number}"
    return name


def _drop_replaced_builtins(pm: pluggy.PluginManager) -> None:
    """Unregister built-ins that a registered plugin names in its ``gridpoints_replaces``.

    This is how a configured instance of a built-in (say ``SatisfactionAward(high="4.8")``)
    takes the default's place instead of answering beside it.
    """
    for plugin in list(pm.get_plugins()):
        replaces = getattr(plugin, "gridpoints_replaces", ())
        if isinstance(replaces, str):
            replaces = (replaces,)
        for name in replaces:
            if name in DEFAULT_PLUGINS and pm.has_plugin(name):
                pm.unregister(name=name)


class PluginFacade:
    """Typed calls to each hook; plugins are named in every error."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    def _impls(self, hook_name: str) -> list[pluggy.HookImpl]:
        caller = getattr(self.pm.hook, hook_name)
        # pluggy calls the last implementation first; keep that order.
        return [i for i in reversed(caller.get_hookimpls()) if not (i.hookwrapper or i.wrapper)]

    def _call(self, impl: pluggy.HookImpl, kwargs: dict[str, Any]) -> Any:
        try:
            return impl.function(*(kwargs[name] for name in impl.argnames))
        except GridpointsError:
            raise  # already typed and clear (a store that cannot connect, say): do not hide it
        except Exception as error:
            raise PluginError(impl.plugin_name, f"{impl.function.__name__} raised {error!r}") from error

    def _first(self, hook_name: str, kwargs: dict[str, Any]) -> tuple[Any, str] | tuple[None, None]:
        for impl in self._impls(hook_name):
            result = self._call(impl, kwargs)
            if result is not None:
                return result, impl.plugin_name
        return None, None

    def _all(self, hook_name: str, kwargs: dict[str, Any]) -> list[tuple[Any, str]]:
        results: list[tuple[Any, str]] = []
        for impl in self._impls(hook_name):
            result = self._call(impl, kwargs)
            if result is None:
                continue
            try:
                items = list(result)
            except TypeError:
                raise PluginError(impl.plugin_name, f"{hook_name} must return an iterable, got {result!r}") from None
            results.extend((item, impl.plugin_name) for item in items)
        return results

    def implementers(self, hook_name: str) -> list[object]:
        """The plugin objects implementing a hook, in call order."""
        return [impl.plugin for impl in self._impls(hook_name)]

    def rulesets(self) -> list[tuple[RuleSet, str]]:
        """Every contributed rule-set version with the name of the plugin that gave it."""
        found = self._all("gridpoints_rulesets", {})
        for item, plugin in found:
            if not isinstance(item, RuleSet):
                raise PluginError(plugin, f"gridpoints_rulesets returned {item!r}, not a RuleSet")
        return found

    def checks(self) -> list[tuple[Check, str]]:
        """Every contributed check with its plugin's name."""
        found = self._all("gridpoints_checks", {})
        for item, plugin in found:
            if not (isinstance(getattr(item, "name", None), str) and callable(getattr(item, "inspect", None))):
                raise PluginError(plugin, f"gridpoints_checks returned {item!r}, which has no name and inspect()")
        return found

    def coefficient(self, member: Member, kind: str, period: Period, ruleset: RuleSet) -> Decimal:
        """The coefficient for the key; 1 when no plugin answers."""
        result, plugin = self._first(
            "gridpoints_coefficient",
            {"member": member, "kind": kind, "period": period, "ruleset": ruleset},
        )
        if result is None:
            return Decimal(1)
        try:
            value = to_decimal(result, "coefficient")
        except (TypeError, ValueError) as error:
            raise PluginError(str(plugin), f"gridpoints_coefficient returned {result!r}: {error}") from None
        if value <= 0:
            raise PluginError(str(plugin), f"gridpoints_coefficient returned {value}, not a positive number")
        try:
            return bounded(value, "coefficient", MAX_COEFFICIENT)
        except ValueError as error:
            raise PluginError(str(plugin), f"gridpoints_coefficient returned {result!r}: {error}") from None

    def grade(self, score: Decimal, period: Period, ruleset: RuleSet) -> Grade:
        """The grade of a (monthly or average monthly) score."""
        result, plugin = self._first("gridpoints_grade", {"score": score, "period": period, "ruleset": ruleset})
        if not isinstance(result, Grade):
            raise PluginError(str(plugin or "gridpoints_grade"), f"returned {result!r}, not a Grade")
        return result

    def grader(self, ruleset: RuleSet) -> Callable[[Decimal, Period], Grade]:
        """A grading function; the built-in thresholds directly when no plugin overrides them."""
        from gridpoints.plugins import grades

        if self.implementers("gridpoints_grade") == [grades]:
            return lambda score, _period: grades.grade_by_thresholds(score, ruleset)
        return lambda score, period: self.grade(score, period, ruleset)

    def period_awards(self, member: Member, period: Period, summary: PeriodSummary) -> list[tuple[Award, str]]:
        """Period awards for one member's month, with the plugin that gave each."""
        found = self._all("gridpoints_period_awards", {"member": member, "period": period, "summary": summary})
        for item, plugin in found:
            if not isinstance(item, Award):
                raise PluginError(plugin, f"gridpoints_period_awards returned {item!r}, not an Award")
        return found

    def store(self, url: str) -> Store:
        """Open the store ``url`` names; a ConfigurationError when no plugin handles it."""
        result, plugin = self._first("gridpoints_store", {"url": url})
        if result is None:
            raise ConfigurationError(
                f"no store plugin handles {url!r} (built in: memory:, sqlite:///file, a path; "
                "postgresql:// needs gridpoints[postgres])"
            )
        if not isinstance(result, Store):
            raise PluginError(str(plugin), f"gridpoints_store returned {result!r}, not a Store")
        return result

    def plugin_names(self) -> Sequence[str]:
        """Names of every registered plugin, in registration order."""
        return [name for name, _ in self.pm.list_name_plugin()]
