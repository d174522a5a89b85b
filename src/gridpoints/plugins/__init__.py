"""Built-in plugins, registered through the same hooks a locality's plugins use."""

from __future__ import annotations

__all__ = ["DEFAULT_PLUGINS"]

#: Modules registered (first, so they answer last) in every plugin manager.
DEFAULT_PLUGINS = (
    "gridpoints.plugins.standard_rules",
    "gridpoints.plugins.grades",
    "gridpoints.plugins.stores",
    "gridpoints.plugins.satisfaction",
    "gridpoints.plugins.postgres",
)
