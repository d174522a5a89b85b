"""``NativeVerify``: ``verify.c`` over a SQLite ledger — verify()'s chain pass in C, and its
other statements stepped in C with no check made."""

from __future__ import annotations

from types import ModuleType

from benchmarks.native_core.compiling import build
from gridpoints.stores.sql import ENTRY_SELECT, EVENT_BINDINGS, EVENT_SELECT, INTAKE_BINDINGS

__all__ = ["NativeVerify"]


class NativeVerify:
    """``verify()``'s reads of a SQLite ledger, in C: the chain pass, and the bindings' and the
    intake log's statements stepped (every column read, nothing checked)."""

    def __init__(self, path: str, module: ModuleType | None = None) -> None:
        self._module = module or build("verify")
        self.path = path
        # "bindings": the SQL stores' shared statement, what SQLiteStore ran before it merged two
        # ordered reads. "events": one plain scan of the event rows, what binding them from the
        # chain pass's own reading of the entries would read instead of the bindings' grouped join.
        self.statements = {"bindings": EVENT_BINDINGS, "intakes": INTAKE_BINDINGS, "events": EVENT_SELECT}

    def chain(self) -> tuple[int, int | None]:
        """``(entries verified, first bad seq or None)`` of the chain."""
        entries, bad = self._module.chain(self.path, f"{ENTRY_SELECT} ORDER BY seq")
        return int(entries), bad

    def step(self, statement: str) -> int:
        """Rows of one of ``statements`` (``bindings``, ``intakes``, ``events``), stepped."""
        rows, _ = self._module.step(self.path, self.statements[statement])
        return int(rows)
