"""``gridpoints plugins``: every plugin, rule-set version and check, and where each came from."""

from __future__ import annotations

import os
import types
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from gridpoints._manager import PluginFacade
from gridpoints._versions import collect_versions
from gridpoints.checks import Check
from gridpoints.cli.commands import Subparsers
from gridpoints.cli.context import Context
from gridpoints.cli.demo import DemoRules
from gridpoints.cli.messages import explained
from gridpoints.errors import ConfigurationError
from gridpoints.plugin_manager import get_plugin_manager, installed_plugins
from gridpoints.plugins.checks import configure_checks
from gridpoints.plugins.coefficients import RegionalCoefficients
from gridpoints.plugins.toml_rules import TomlRuleFiles

__all__ = ["add_parser", "describe_plugins", "format_options", "run"]


def add_parser(commands: Subparsers) -> None:
    plugins = commands.add_parser(
        "plugins", help="loaded plugins, rule sets with versions, checks with their settings, and where each came from"
    )
    plugins.set_defaults(handler=run)


def run(ctx: Context) -> int:
    ctx.out.write(
        describe_plugins(ctx.args.rules, ctx.ruleset(), [DemoRules()], enabled=ctx.plugins_enabled, lang=ctx.lang)
    )
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


def _value(value: object) -> str:
    """An option value as a rule file would write it: ``12``, ``location``, ``{patrol = 12}``."""
    if value is None:
        return "any"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    return str(value)


def format_options(options: Mapping[str, object]) -> str:
    """``minutes = 30, attribute = location``, or ``no options``."""
    return ", ".join(f"{key} = {_value(value)}" for key, value in options.items()) or "no options"


def _check_lines(checks: Iterable[tuple[Check, str]], lang: str) -> list[str]:
    lines = []
    for check, plugin_name in checks:
        kinds = ", ".join(sorted(check.kinds)) if check.kinds is not None else "every kind"
        label = (check.label_en if lang == "en" else check.label) or check.label or check.label_en
        title = f"{check.name} {label}" if label else check.name
        lines.append(f"  {title}  kinds: {kinds or 'none (looks at whole months)'}  by {plugin_name}")
        lines.append(f"      {format_options(check.options())}")
    return lines


def describe_plugins(
    rules_files: Sequence[str | os.PathLike[str]],
    active: str,
    extra: Sequence[object],
    *,
    enabled: Iterable[str] | None = None,
    lang: str = "zh",
) -> str:
    """A plain-text listing of the plugins an engine built with these options would use: every
    plugin (and every installed one left out), every rule-set version, every check with its
    label and settings, and a clash between rule-set contributions with how to resolve it."""
    rule_files = TomlRuleFiles(rules_files)
    pm = get_plugin_manager(
        extra, builtins=[RegionalCoefficients(), rule_files, *configure_checks()], enabled=enabled
    )
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
    for name, dist in installed_plugins().items():
        if pm.is_blocked(name):
            lines.append(f"  {name}  [entry point of {dist}]  not loaded (--no-plugins, or not named by --plugin)")
    lines.append("rule sets:")
    for ruleset, plugin_name in sorted(facade.rulesets(), key=lambda r: (r[0].id, r[0].effective_from)):
        file = rule_files.origin(ruleset)
        mark = "  (active)" if ruleset.id == active else ""
        lines.append(
            f"  {ruleset.id} {ruleset.version}  from {ruleset.effective_from}  {len(ruleset.rules)} rules  "
            f"digest {ruleset.digest()[:12]}  by {plugin_name}{f' ({file})' if file else ''}{mark}"
        )
    try:
        collect_versions(facade, active, rule_files)
    except ConfigurationError as error:
        lines.append(f"  cannot be used as given: {explained(error)}")
    checks = facade.checks()
    lines.append("checks (in the order they run; settings below each):" if checks else "checks: none registered")
    lines.extend(_check_lines(checks, lang))
    return "\n".join(lines) + "\n"
