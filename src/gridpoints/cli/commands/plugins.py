"""``gridpoints plugins``: every plugin, rule-set version and check, and where each came from."""

from __future__ import annotations

import os
import types
from collections.abc import Iterable, Sequence

from gridpoints._manager import PluginFacade
from gridpoints._versions import collect_versions
from gridpoints.checks import Check
from gridpoints.cli.commands import Subparsers
from gridpoints.cli.context import Context, database
from gridpoints.cli.demo import DemoRules
from gridpoints.cli.messages import explained
from gridpoints.cli.rule_summary import check_tables, format_options, late_reports
from gridpoints.errors import ConfigurationError
from gridpoints.plugin_manager import get_plugin_manager, installed_plugins, register_builtin
from gridpoints.plugins.checks import configure_checks, effective_check_config
from gridpoints.plugins.coefficients import RegionalCoefficients
from gridpoints.plugins.toml_rules import TomlRuleFiles
from gridpoints.rules import RuleSet

__all__ = ["add_parser", "describe_plugins", "format_options", "run"]


def add_parser(commands: Subparsers) -> None:
    plugins = commands.add_parser(
        "plugins", help="loaded plugins, rule sets with versions, checks with their settings, and where each came from"
    )
    plugins.set_defaults(handler=run)


def run(ctx: Context) -> int:
    rules: Sequence[str] = ctx.args.rules
    active = ctx.ruleset()
    if not rules and active is None and os.path.exists(database(ctx.args)):
        engine = ctx.engine()  # an existing store: the rule set and files it recorded
        rules, active = engine.rule_files.paths, engine.ruleset_id
    ctx.out.write(
        describe_plugins(rules, active or "standard", [DemoRules()], enabled=ctx.plugins_enabled, lang=ctx.lang)
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
    pm = get_plugin_manager(extra, builtins=[RegionalCoefficients(), rule_files], enabled=enabled)
    facade = PluginFacade(pm)
    distributions = {
        id(plugin): f"entry point of {dist.project_name} {dist.version}" for plugin, dist in pm.list_plugin_distinfo()
    }
    versions: list[RuleSet] = []
    problem = None
    try:
        versions = collect_versions(facade, active, rule_files)
    except ConfigurationError as error:
        problem = f"  cannot be used as given: {explained(error)}"
    # As the engine does: the built-in checks as the active rule set's latest version configures them.
    latest = max(versions, key=lambda v: v.effective_from) if versions else None
    for check in reversed(configure_checks(effective_check_config(latest.checks if latest else {}))):
        register_builtin(pm, check)
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
        if ruleset.id == active:
            lines.append(f"      {late_reports(ruleset)}")
            if ruleset.checks:
                lines.append(f"      {check_tables(ruleset)}")
    if problem is not None:
        lines.append(problem)
    checks = facade.checks()
    source = f" (configured by rule set {latest.id} {latest.version})" if latest is not None and latest.checks else ""
    heading = f"checks (in the order they run; settings below each){source}:"
    lines.append(heading if checks else "checks: none registered")
    lines.extend(_check_lines(checks, lang))
    return "\n".join(lines) + "\n"
