"""The gridpoints pytest plugin, registered through the ``pytest11`` entry point.

Fixtures: ``gp_engine`` (in memory), ``gp_sqlite_engine`` (a SQLite file in ``tmp_path``),
``gp_make_engine`` (build more, with keyword arguments for ``gp.Engine``) and
``gp_plugin_manager`` (a fresh pluggy manager with the hook specs, built-ins and the test's
plugins). The marker ``@pytest.mark.gridpoints_plugins(plugin, …)`` registers plugins with
every engine and plugin manager these fixtures build for that one test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pluggy
import pytest

import gridpoints as gp
from gridpoints.plugin_manager import get_plugin_manager

__all__ = [
    "gp_engine",
    "gp_make_engine",
    "gp_plugin_manager",
    "gp_sqlite_engine",
    "gridpoints_plugins",
    "pytest_configure",
]

MARKER = "gridpoints_plugins"

# Test classes subclass the store conformance suite (its tests in gridpoints.testing._conformance,
# assembled by gridpoints.testing.stores): rewrite their asserts as pytest does a test
# module's, so a failing check shows the values compared. Registered before anything imports it.
pytest.register_assert_rewrite("gridpoints.testing._conformance")


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker, so ``--strict-markers`` accepts it."""
    config.addinivalue_line(
        "markers", f"{MARKER}(*plugins): register these gridpoints plugins with the gp_* fixtures for one test"
    )


@pytest.fixture
def gridpoints_plugins(request: pytest.FixtureRequest) -> list[object]:
    """The plugins the test's ``gridpoints_plugins`` markers name (closest marker first)."""
    found: list[object] = []
    for marker in request.node.iter_markers(MARKER):
        found.extend(marker.args)
    return found


@pytest.fixture
def gp_make_engine(tmp_path: Path, gridpoints_plugins: list[object]) -> Iterator[Callable[..., gp.Engine]]:
    """Build engines; ``store="sqlite"`` gives each a fresh SQLite file in ``tmp_path``.

    Other keyword arguments go to ``gp.Engine``; ``plugins`` are added after the marker's.
    Every engine built is closed when the test ends.
    """
    engines: list[gp.Engine] = []

    def make(store: object = None, **kwargs: Any) -> gp.Engine:
        if store == "sqlite":
            store = tmp_path / f"gridpoints-{len(engines) + 1}.db"
        elif store == "memory":
            store = None
        kwargs["plugins"] = [*gridpoints_plugins, *kwargs.get("plugins", ())]
        engine = gp.Engine(store, **kwargs)  # type: ignore[arg-type]
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


@pytest.fixture
def gp_engine(gp_make_engine: Callable[..., gp.Engine]) -> gp.Engine:
    """A fresh in-memory engine: standard rule set, Asia/Shanghai, entry points and marker plugins."""
    return gp_make_engine()


@pytest.fixture
def gp_sqlite_engine(gp_make_engine: Callable[..., gp.Engine]) -> gp.Engine:
    """A fresh engine on a new SQLite file in ``tmp_path``."""
    return gp_make_engine("sqlite")


@pytest.fixture
def gp_plugin_manager(gridpoints_plugins: list[object]) -> pluggy.PluginManager:
    """A fresh plugin manager: hook specs, built-ins, installed entry points, marker plugins.

    Call hooks on it (``pm.hook.gridpoints_rulesets()``) to test a plugin's answers directly.
    """
    return get_plugin_manager(gridpoints_plugins)
