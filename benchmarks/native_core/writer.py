"""``NativeWriter``: ``writer.c`` writing one call's staged rows into a SQLite store file — the
entries, the event rows with their intake seq, the intake row — as the store's transaction
writes them, but in C: no Python per row, and each event row's ``event_line`` hashed natively."""

from __future__ import annotations

from types import ModuleType

import attrs

from benchmarks.native_core.compiling import build
from benchmarks.store_rows import SECONDARY_INDEXES, insert_statement
from gridpoints.schema import ENTRY_COLUMNS, INTAKE_COLUMNS
from gridpoints.stores.sql import EVENT_WRITE_COLUMNS
from gridpoints.stores.sqlite import DEFAULT_CACHE_MIB

__all__ = ["Head", "NativeWriter", "WriteSeconds"]

#: A head as the store reads it: ``(seq, hash)`` of the last entry, or of the last intake row.
Head = tuple[int, str]


#: The store's own statements, the columns in the order the staged tuples hold them.
_STATEMENTS = (
    insert_statement("entries", ENTRY_COLUMNS),
    insert_statement("events", EVENT_WRITE_COLUMNS),
    insert_statement("intakes", INTAKE_COLUMNS),
)


@attrs.frozen
class WriteSeconds:
    """Where one ``write`` spent its time: binding and inserting the rows (with each event row's
    ``event_line``), the intake row (sorting the lines by id, its digest and hash), dropping and
    creating the secondary indexes (late indexes only), and the commit."""

    inserts: float
    intake: float
    indexes: float
    commit: float


class NativeWriter:
    """Writes staged rows into the SQLite store file at ``path`` (which must exist: the store
    creates its schema) on a connection of its own, set up as ``SQLiteStore`` sets up its own:
    WAL, ``synchronous=FULL``, ``cache_mib`` of page cache, ``timeout`` for the write lock."""

    def __init__(
        self, path: str, module: ModuleType | None = None, *, timeout: float = 30.0, cache_mib: int = DEFAULT_CACHE_MIB
    ) -> None:
        self._module = module or build("writer")
        self.path = path
        self._busy_ms = int(timeout * 1000)
        self._cache_kib = cache_mib * 1024

    def heads(self) -> tuple[Head, Head]:
        """The store's chain head and intake head, read in one snapshot as ``write`` reads them
        under the write lock (before the first intake: ``(0, intake_genesis(n))``)."""
        chain, intake = self._module.heads(self.path, self._busy_ms)
        return (int(chain[0]), str(chain[1])), (int(intake[0]), str(intake[1]))

    def write(
        self,
        entries: list[tuple[object, ...]],
        events: list[tuple[object, ...]],
        chain_head: Head,
        intake_head: Head,
        *,
        late_indexes: bool = False,
    ) -> WriteSeconds:
        """Write ``entries`` (17-tuples in ``ENTRY_COLUMNS`` order, continuing ``chain_head``)
        and ``events`` (10-tuples in ``EVENT_COLUMNS`` order, in the order given) with their
        intake row after ``intake_head``, in one transaction; with ``late_indexes`` the store's
        secondary indexes (``benchmarks.store_rows.SECONDARY_INDEXES``) are dropped before the
        rows and created again after them, in the same transaction.

        Raises ``StoreError`` — nothing written — when the first entry does not continue
        ``chain_head``, when the store's heads are not ``chain_head`` and ``intake_head`` under
        the write lock, or when SQLite fails (``StoreBusyError`` when the lock is not had in
        time); ``TypeError`` for a row of the wrong shape or types.
        """
        seconds = self._module.write(
            self.path, entries, events, chain_head, intake_head, late_indexes, SECONDARY_INDEXES, _STATEMENTS,
            self._cache_kib, self._busy_ms,
        )  # fmt: skip
        return WriteSeconds(
            inserts=seconds["insert_seconds"],
            intake=seconds["intake_seconds"],
            indexes=seconds["index_seconds"],
            commit=seconds["commit_seconds"],
        )
