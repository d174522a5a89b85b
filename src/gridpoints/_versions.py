"""Collect the active rule set's versions from every plugin, refusing contributions that clash.

A clash (one id and version from two plugins, or two versions taking effect the same day) is a
``RuleSetConflictError`` that says where each side comes from — an installed plugin with its
distribution, a rule file, or a plugin passed in — so the message can say how to leave one out.
"""

from __future__ import annotations

from datetime import date

from gridpoints._manager import PluginFacade
from gridpoints.errors import ConfigurationError, RuleSetConflictError
from gridpoints.plugins.toml_rules import TomlRuleFiles
from gridpoints.rules import RuleSet

__all__ = ["collect_versions"]


class _Sources:
    """Says where a contributed version came from."""

    def __init__(self, plugins: PluginFacade, rule_files: TomlRuleFiles) -> None:
        pm = plugins.pm
        #: Loaded entry points: name → "distribution version".
        self.installed = {
            str(pm.get_name(plugin)): f"{dist.metadata['Name']} {dist.version}"
            for plugin, dist in pm.list_plugin_distinfo()
        }
        self.rule_files = rule_files

    def describe(self, ruleset: RuleSet, plugin: str) -> str:
        if plugin in self.installed:
            return f"the installed plugin {plugin!r} ({self.installed[plugin]})"
        file = self.rule_files.origin(ruleset)
        if file is not None:
            return f"the rule file {file}"
        return f"plugin {plugin!r}"

    def conflict(self, problem: str, sides: list[tuple[RuleSet, str]]) -> RuleSetConflictError:
        installed = tuple(dict.fromkeys(p for _, p in sides if p in self.installed))
        files = tuple(dict.fromkeys(f for r, _ in sides if (f := self.rule_files.origin(r)) is not None))
        keep = tuple(name for name in self.installed if name not in installed)
        return RuleSetConflictError(problem, installed=installed, keep=keep, files=files)


def collect_versions(plugins: PluginFacade, ruleset: str, rule_files: TomlRuleFiles) -> list[RuleSet]:
    """The versions of rule set ``ruleset``; every contribution is checked for clashes, the
    active rule set's or not, so a broken installation is noticed whatever rule set is chosen."""
    sources = _Sources(plugins, rule_files)
    seen: dict[tuple[str, str], tuple[RuleSet, str]] = {}
    starts: dict[tuple[str, date], tuple[RuleSet, str]] = {}
    versions: list[RuleSet] = []
    available: set[str] = set()
    for candidate, plugin in plugins.rulesets():
        available.add(candidate.id)
        key = (candidate.id, candidate.version)
        if key in seen:
            other = seen[key]
            raise sources.conflict(
                f"rule set {candidate.id} version {candidate.version} is contributed by both "
                f"{sources.describe(*other)} and {sources.describe(candidate, plugin)}",
                [other, (candidate, plugin)],
            )
        seen[key] = (candidate, plugin)
        # Two versions starting the same day would leave "the version in effect" undefined.
        start = (candidate.id, candidate.effective_from)
        if start in starts:
            other = starts[start]
            raise sources.conflict(
                f"rule set {candidate.id}: version {other[0].version} from {sources.describe(*other)} and "
                f"version {candidate.version} from {sources.describe(candidate, plugin)} both take effect on "
                f"{candidate.effective_from}",
                [other, (candidate, plugin)],
            )
        starts[start] = (candidate, plugin)
        if candidate.id == ruleset:
            versions.append(candidate)
    if not versions:
        raise ConfigurationError(
            f"ruleset: no rule set {ruleset!r}; available: {', '.join(sorted(available)) or 'none'}"
        )
    return versions
