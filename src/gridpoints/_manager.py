"""A typed facade over the hooks, called through pluggy (``pm.hook``).

The rest of gridpoints calls hooks only through ``PluginFacade``. Every call goes through the
engine's pluggy ``PluginManager`` (``pm``), so hook wrappers, ``pm.add_hookcall_monitoring`` and
``pm.enable_tracing`` see it. Every result is checked ("don't trust the plugins"), and any
exception a plugin raises becomes a ``PluginError`` that names the plugin; ``gridpoints._attribution``
works out which plugin that is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pluggy

from gridpoints._attribution import Givers, names, raisers
from gridpoints._decimal import MAX_COEFFICIENT, bounded, to_decimal
from gridpoints.checks import Check
from gridpoints.errors import ConfigurationError, GridpointsError, PluginError
from gridpoints.model import Award, Grade, Member, PeriodSummary
from gridpoints.periods import Period
from gridpoints.rules import RuleSet
from gridpoints.stores import Store

__all__ = ["PluginFacade"]


class PluginFacade:
    """Typed calls to each hook through pluggy; plugins are named in every error.

    ``pm`` is the engine's pluggy ``PluginManager`` (``eng.plugins.pm``).
    """

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    def _call(self, hook_name: str, kwargs: dict[str, Any]) -> tuple[Any, Givers]:
        """Call a hook through pluggy; its answer(s), and who gave them (worked out if asked)."""
        caller: pluggy.HookCaller = getattr(self.pm.hook, hook_name)
        impls = caller.get_hookimpls()
        answer = self._run(caller, impls, kwargs)
        return answer, Givers(impls, lambda impl: self._alone(hook_name, impl, impls, kwargs))

    @staticmethod
    def _run(caller: pluggy.HookCaller, impls: Sequence[pluggy.HookImpl], kwargs: dict[str, Any]) -> Any:
        try:
            return caller(**kwargs)
        except GridpointsError:
            raise  # already typed and clear (a store that cannot connect, say): do not hide it
        except Exception as error:
            culprits = raisers(error, impls)
            if not culprits:
                raise  # not from a plugin's code: pluggy refusing a wrapper, a failing monitor
            raise PluginError(names(culprits), f"{culprits[0].function.__name__} raised {error!r}") from error

    def _alone(
        self, hook_name: str, impl: pluggy.HookImpl, impls: Sequence[pluggy.HookImpl], kwargs: dict[str, Any]
    ) -> Any:
        """Ask one plain implementation alone (through pluggy, every other plugin left out)."""
        others = {i.plugin for i in impls if i.plugin is not impl.plugin}
        caller = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
        answer = self._run(caller, [impl], kwargs)
        if caller.spec is not None and caller.spec.opts.get("firstresult"):
            return answer
        return answer[0] if answer else None  # all results: a list of this one's answer, or []

    def _all(self, hook_name: str, kwargs: dict[str, Any]) -> list[tuple[Any, str]]:
        answers, givers = self._call(hook_name, kwargs)
        if not isinstance(answers, list):  # only a wrapper can make pluggy return anything else
            raise PluginError(names(givers.wrappers), f"{hook_name} wrapper returned {answers!r}, not a list")
        results: list[tuple[Any, str]] = []
        for answer, giver in zip(answers, givers.of_answers(answers), strict=True):
            if answer is None:
                continue
            try:
                items = list(answer)
            except TypeError:
                raise PluginError(giver, f"{hook_name} must return an iterable, got {answer!r}") from None
            results.extend((item, givers.of_item(item, giver)) for item in items)
        return results

    def only_implementer(self, hook_name: str, plugin: object) -> bool:
        """Whether ``plugin`` alone implements a hook (no other plugin, no wrapper)."""
        return [impl.plugin for impl in getattr(self.pm.hook, hook_name).get_hookimpls()] == [plugin]

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
            judges = callable(getattr(item, "judge", None)) or callable(getattr(item, "inspect", None))
            if not (isinstance(getattr(item, "name", None), str) and judges):
                raise PluginError(plugin, f"gridpoints_checks returned {item!r}, which has no name and judge()")
        return found

    def coefficient(self, member: Member, kind: str, period: Period, ruleset: RuleSet) -> Decimal:
        """The coefficient for the key; 1 when no plugin answers."""
        result, givers = self._call(
            "gridpoints_coefficient",
            {"member": member, "kind": kind, "period": period, "ruleset": ruleset},
        )
        if result is None:
            return Decimal(1)
        try:
            value = to_decimal(result, "coefficient")
        except (TypeError, ValueError) as error:
            problem = f"{result!r}: {error}"
        else:
            if value > 0:
                try:
                    return bounded(value, "coefficient", MAX_COEFFICIENT)
                except ValueError as error:
                    problem = f"{result!r}: {error}"
            else:
                problem = f"{value}, not a positive number"
        raise PluginError(givers.of_first(result), f"gridpoints_coefficient returned {problem}")

    def grade(self, score: Decimal, period: Period, ruleset: RuleSet) -> Grade:
        """The grade of a (monthly or average monthly) score."""
        result, givers = self._call("gridpoints_grade", {"score": score, "period": period, "ruleset": ruleset})
        if not isinstance(result, Grade):
            plugin = givers.of_first(result) if result is not None else "gridpoints_grade"
            raise PluginError(plugin, f"returned {result!r}, not a Grade")
        return result

    def grader(self, ruleset: RuleSet) -> Callable[[Decimal, Period], Grade]:
        """A grading function; the built-in thresholds directly when no plugin overrides them."""
        from gridpoints.plugins import grades

        if self.only_implementer("gridpoints_grade", grades):
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
        result, givers = self._call("gridpoints_store", {"url": url})
        if result is None:
            raise ConfigurationError(
                f"no store plugin handles {url!r} (built in: memory:, sqlite:///file, a path; "
                "postgresql:// needs gridpoints[postgres])"
            )
        if not isinstance(result, Store):
            raise PluginError(givers.of_first(result), f"gridpoints_store returned {result!r}, not a Store")
        return result

    def plugin_names(self) -> Sequence[str]:
        """Names of every registered plugin, in registration order."""
        return [name for name, plugin in self.pm.list_name_plugin() if plugin is not None]  # None: blocked
