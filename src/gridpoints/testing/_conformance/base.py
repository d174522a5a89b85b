"""The base every group of tests shares: the hooks a store's test class implements, and the helpers."""

from __future__ import annotations

import abc
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

import gridpoints as gp
from gridpoints.testing._conformance.fixtures import MEMBERS, NOW


class ConformanceBase(abc.ABC):
    """Subclasses implement ``open_store`` and ``tamper``; the helpers open engines on that store and
    close them after each test."""

    #: False for stores that live in the process: "reopening" then means a new engine on the
    #: same store object.
    durable: ClassVar[bool] = True

    @abc.abstractmethod
    def open_store(self) -> gp.Store:
        """A store on this test's storage (the same storage each time it is called)."""

    @abc.abstractmethod
    def tamper(self, store: gp.Store, seq: int, column: str, value: object) -> None:
        """Overwrite one column of the stored entry ``seq``, bypassing every guard."""

    def tamper_row(self, store: gp.Store, table: str, key: str, column: str | None, value: object = None) -> None:
        """Overwrite one column of a row of ``table`` (``period_closes`` or ``settlements``:
        ``key`` is its month; ``events``: its event id; ``intakes``: its seq), bypassing every
        guard; delete the row when ``column`` is None. A store implements it to run the attacks on the tables beside
        the chain (every built-in store does)."""
        raise NotImplementedError(f"{type(self).__name__}.tamper_row: needed for the attacks on {table}")

    # -- helpers -------------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _close_engines(self, tmp_path: Path) -> Iterator[None]:
        self.tmp_path = tmp_path
        self.engines: list[gp.Engine] = []
        self.stores: list[gp.Store] = []
        yield
        for engine in self.engines:
            engine.close()
        for store in self.stores:
            store.close()

    def bare_store(self) -> gp.Store:
        """``open_store()``, closed after the test."""
        store = self.open_store()
        self.stores.append(store)
        return store

    def engine(self, store: gp.Store | None = None, *, members: bool = True, **kwargs: Any) -> gp.Engine:
        kwargs.setdefault("clock", lambda: NOW)
        kwargs.setdefault("load_entrypoints", False)
        engine = gp.Engine(store if store is not None else self.open_store(), **kwargs)
        self.engines.append(engine)
        if members:
            engine.add_members(MEMBERS)
        return engine

    def reopen(self, engine: gp.Engine, **kwargs: Any) -> gp.Engine:
        """A new engine on the same data: a freshly opened store when durable."""
        if not self.durable:
            return self.engine(engine.store, members=False, **kwargs)
        engine.close()
        return self.engine(members=False, **kwargs)

    @staticmethod
    def reference(**kwargs: Any) -> gp.Engine:
        kwargs.setdefault("clock", lambda: NOW)
        engine = gp.Engine(gp.MemoryStore(), load_entrypoints=False, **kwargs)
        engine.add_members(MEMBERS)
        return engine
