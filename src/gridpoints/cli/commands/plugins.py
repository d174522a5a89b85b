"""``gridpoints plugins``: every plugin, rule-set version and check, and where each came from."""

from __future__ import annotations

import os
import types
from collections.abc import Sequence

from gridpoints._manager import PluginFacade
from gridpoints.cli.commands import Subparsers
from gridpoints.cli.context import Context
from gridpoints.cli.demo import DemoRules
from gridpoints.plugin_manager import get_plugin_manager
from gridpoints.plugins.coefficients import RegionalCoefficients
from gridpoints.plugins.toml_rules import TomlRuleFiles

__all__ = ["add_parser", "describe_plugins", "run"]


def add_parser(commands: Subparsers) -> None:
    plugins = commands.add_parser(
        "plugins", help="loaded plugins, rule sets with versions, checks, and where each came from"
    )
    plugins.set_defaults(handler=run)


def run(ctx: Context) -> int:
    ctx.out.write(describe_plugins(ctx.args.rules, ctx.ruleset(), [DemoRules()]))
    return 0


def _origin(plugin: object, distributions: dict[int, str], rule_files: TomlRuleFiles) -> str:
    if id(plugin) in distributions:
        return distributions[id(plugin)]
    if plugin is rule_files:
        return "rule files: " + (", ".join(rule_files.paths) or "none given (--rules FILE)")
    module = plugin if isinstance(plugin, types.ModuleType) else None
    if module is None:
        name = type(plugin).__module__
        return f"built in ({name}.{type(plugin).__qualname__})" if name.startswith("gridpoints.") else name
    if module.__name__.startswith("gridpoints."):
        return "built in"
    return str(getattr(module, "__file__", module.__name__))


def describe_plugins(rules_files: Sequence[str | os.PathLike[str]], active: str, extra: Sequence[object]) -> str:
    """A plain-text listing of the plugins an engine built with these options would use."""
    rule_files = TomlRuleFiles(rules_files)
    pm = get_plugin_manager(extra, builtins=[RegionalCoefficients(), rule_files])
    facade = PluginFacade(pm)
    distributions = {
        id(plugin): f"entry point of {dist.project_name} {dist.version}" for plugin, dist in pm.list_plugin_distinfo()
    }
    lines = ["plugins:"]
    for name, plugin in pm.list_name_plugin():
        if plugin is None:  # a blocked name
            continue
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        lines.append(f"  {name}  [{_origin(plugin, distributions, rule_files)}]  hooks: {', '.join(hooks)}")
    lines.append("rule sets:")
    for ruleset, plugin_name in sorted(facade.rulesets(), key=lambda r: (r[0].id, r[0].effective_from)):
        file = rule_files.origin(ruleset)
        mark = "  (active)" if ruleset.id == active else ""
        lines.append(
            f"  {ruleset.id} {ruleset.version}  from {ruleset.effective_from}  {len(ruleset.rules)} rules  "
            f"digest {ruleset.digest()[:12]}  by {plugin_name}{f' ({file})' if file else ''}{mark}"
        )
    checks = facade.checks()
    lines.append("checks:" if checks else "checks: none registered")
    for check, plugin_name in checks:
        kinds = ", ".join(sorted(check.kinds)) if check.kinds is not None else "every kind"
        lines.append(f"  {check.name}  kinds: {kinds}  by {plugin_name}")
    return "\n".join(lines) + "\n"
