"""Built-in plugin: opens the memory and SQLite stores from a URL or path."""

from __future__ import annotations

from gridpoints._markers import hookimpl
from gridpoints.stores import Store
from gridpoints.stores.memory import MemoryStore
from gridpoints.stores.sqlite import SQLiteStore, path_from_url


@hookimpl(trylast=True)
def gridpoints_store(url: str) -> Store | None:
    """``memory:`` → MemoryStore; ``sqlite:///file``, ``:memory:`` or a plain path → SQLiteStore."""
    if url in ("memory:", "memory://"):
        return MemoryStore()
    path = path_from_url(url)
    if path is None:
        return None
    return SQLiteStore(path)
