"""The engine's pluggy ``PluginManager``: hook specs, built-ins, entry points, the caller's plugins.

pluggy calls the latest registration first, so the built-ins are registered first and answer
last: any plugin overrides them. Making a manager and filling it are two steps, so that a caller
can attach monitoring or tracing, or block plugins by name, before an engine fills the manager
and makes its first hook call::

    pm = gp.make_plugin_manager(blocked=["gridpoints.plugins.satisfaction"])
    pm.add_hookcall_monitoring(before, after)        # or pm.enable_tracing()
    eng = gp.Engine(plugin_manager=pm, plugins=[my_plugin])
"""

from __future__ import annotations

import importlib
import importlib.metadata
import types
from collections.abc import Iterable

import pluggy

from gridpoints import hookspecs
from gridpoints._markers import PROJECT
from gridpoints.errors import ConfigurationError, PluginError
from gridpoints.plugins import DEFAULT_PLUGINS

__all__ = [
    "BUILTIN_PREFIX",
    "ENTRY_POINT_GROUP",
    "builtin_name",
    "check_installed",
    "get_plugin_manager",
    "installed_plugins",
    "make_plugin_manager",
    "register_builtin",
    "register_plugins",
    "select_installed",
]

ENTRY_POINT_GROUP = "gridpoints"

#: Names of the built-in plugin objects an engine configures (``gridpoints.builtin.Burst``…).
BUILTIN_PREFIX = "gridpoints.builtin."


def builtin_name(plugin: object) -> str:
    """The name a configured built-in is registered (and blocked) under."""
    return f"{BUILTIN_PREFIX}{type(plugin).__name__}"


def make_plugin_manager(*, blocked: Iterable[str] = ()) -> pluggy.PluginManager:
    """A manager with the hook specs and the built-in modules (``DEFAULT_PLUGINS``); no hook called.

    :param blocked: plugin names never to register (``pm.set_blocked``): a built-in module
        (``gridpoints.plugins.satisfaction``), an engine's configured built-in
        (``gridpoints.builtin.Burst``) or an entry point's name, which is then not even imported.
    """
    if isinstance(blocked, str):
        raise TypeError(f"blocked: give a list of plugin names, not the string {blocked!r}")
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    for index, name in enumerate(blocked):
        if not isinstance(name, str) or not name:
            raise TypeError(f"blocked[{index}]: {name!r} is not a plugin name")
        pm.set_blocked(name)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)  # a blocked name is skipped
    return pm


def installed_plugins() -> dict[str, str]:
    """The installed plugins: entry-point name → the distribution that declares it (``name version``).

    Nothing is imported: this reads package metadata only.
    """
    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        for entry_point in dist.entry_points:
            if entry_point.group == ENTRY_POINT_GROUP:
                found.setdefault(entry_point.name, f"{dist.metadata['Name']} {dist.version}")
    return dict(sorted(found.items()))


def select_installed(pm: pluggy.PluginManager, enabled: Iterable[str] | None) -> None:
    """Block every installed plugin (entry point) not in ``enabled`` (``pm.set_blocked``), so
    that only the named ones load; None leaves them all. An empty ``enabled`` loads none.

    A name that is not installed is a ConfigurationError listing the installed ones.
    """
    if enabled is None:
        return
    if isinstance(enabled, str):
        raise TypeError(f"plugins_enabled: give a list of entry-point names, not the string {enabled!r}")
    wanted = list(enabled)
    for index, name in enumerate(wanted):
        if not isinstance(name, str) or not name:
            raise TypeError(f"plugins_enabled[{index}]: {name!r} is not a plugin name")
    for name in check_installed(wanted, "plugins_enabled"):
        if name not in wanted:
            pm.set_blocked(name)


def check_installed(names: Iterable[str], option: str) -> dict[str, str]:
    """``installed_plugins()``, after checking every name is one of them: a ConfigurationError
    starting with ``option`` and listing the installed plugins otherwise."""
    installed = installed_plugins()
    for name in names:
        if name not in installed:
            listed = ", ".join(f"{n} ({dist})" for n, dist in installed.items()) or "none"
            raise ConfigurationError(f"{option}: no installed plugin {name!r}; installed: {listed}")
    return installed


def _check_manager(pm: object) -> None:
    """A ConfigurationError unless ``pm`` is a manager of project ``gridpoints`` with its specs."""
    usable = (
        isinstance(pm, pluggy.PluginManager)
        and pm.project_name == PROJECT
        and all(getattr(pm.hook, name, None) is not None and getattr(pm.hook, name).has_spec()
                for name in hookspecs.__all__)
    )
    if not usable:
        raise ConfigurationError(
            f"plugin_manager: {pm!r} is not a gridpoints plugin manager; make one with gridpoints.make_plugin_manager()"
        )


def register_plugins(
    pm: pluggy.PluginManager,
    plugins: Iterable[object] = (),
    *,
    load_entrypoints: bool = True,
    builtins: Iterable[object] = (),
    enabled: Iterable[str] | None = None,
) -> None:
    """Fill a manager made by ``make_plugin_manager``: ``builtins`` (an engine's configured
    built-ins, named ``gridpoints.builtin.<Class>``), the entry points of group ``gridpoints``
    (only those named in ``enabled`` unless it is None: see ``select_installed``), then
    ``plugins``; then block the built-ins a plugin replaces (``gridpoints_replaces``).

    A manager is filled once: a second engine on the same manager is a ConfigurationError.
    """
    _check_manager(pm)
    if load_entrypoints:
        select_installed(pm, enabled)
    elif enabled is not None and (isinstance(enabled, str) or list(enabled)):
        raise ConfigurationError(f"plugins_enabled: {enabled!r} names plugins to load, but load_entrypoints=False")
    for plugin in builtins:
        register_builtin(pm, plugin)
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
    _block_replaced_builtins(pm)
    pm.check_pending()


def register_builtin(pm: pluggy.PluginManager, plugin: object) -> None:
    """Register one of an engine's configured built-ins as ``gridpoints.builtin.<Class>``."""
    name = builtin_name(plugin)
    if pm.get_plugin(name) is not None:
        raise ConfigurationError(
            f"plugin_manager: already holds {name}: it belongs to another engine; make one manager per engine"
        )
    pm.register(plugin, name=name)


def get_plugin_manager(
    plugins: Iterable[object] = (),
    *,
    load_entrypoints: bool = True,
    builtins: Iterable[object] = (),
    blocked: Iterable[str] = (),
    enabled: Iterable[str] | None = None,
) -> pluggy.PluginManager:
    """A filled manager in one step: ``make_plugin_manager`` then ``register_plugins``."""
    pm = make_plugin_manager(blocked=blocked)
    register_plugins(pm, plugins, load_entrypoints=load_entrypoints, builtins=builtins, enabled=enabled)
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


def _block_replaced_builtins(pm: pluggy.PluginManager) -> None:
    """Block the built-in modules a registered plugin names in its ``gridpoints_replaces``.

    This is how a configured instance of a built-in (say ``SatisfactionAward(high="4.8")``)
    takes the default's place instead of answering beside it.
    """
    for plugin in pm.get_plugins():
        replaces = getattr(plugin, "gridpoints_replaces", ())
        if isinstance(replaces, str):
            replaces = (replaces,)
        for name in replaces:
            if name in DEFAULT_PLUGINS:
                pm.set_blocked(name)
