"""``NativePgCopy``: one row per event on PostgreSQL, natively — ``columns.c``'s pass, then
``pgcopy.c``'s binary ``COPY`` data, sent with psycopg in large blocks.

The layout is ``benchmarks.store_rows``' ``merged`` (the entry's columns and the event row's in
one table; a layout the store does not have) in a schema of its own, with the store's own
``chain_head`` and ``intakes`` tables beside it. One call, one transaction: the chain head locked
(``FOR UPDATE``, as the store locks it) and checked against the last row, the intake head read,
the call's ids looked up (only when the table holds rows: a new schema needs no look-up), the
read indexes dropped, the C pass, the rows' ``COPY`` data built and sent block by block (each
row's intake line hashed as it is built), the intake row and the chain head written, the read
indexes created again, commit. Checks off, and what ``NativeColumns`` refuses, refused.
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any

import attrs
import psycopg
from psycopg import sql

import gridpoints as gp
from benchmarks.native_core.columns import ColumnsPass, NativeColumns, PackedColumns, texts_of
from benchmarks.native_core.compiling import build
from benchmarks.store_rows import MERGED_AFTER, MERGED_COLUMNS, MERGED_KEY, merged_table
from gridpoints.errors import StoreError
from gridpoints.schema import GENESIS
from gridpoints.stores._pg_schema import MIGRATIONS

__all__ = ["NativePgCopy", "PgCopyCall", "PgCopySeconds", "schema_statements"]

#: psycopg hands the libpq a block of up to 128 KiB as it is (larger ones it slices, copying):
#: room for the trailer, which may end the last block.
BLOCK_BYTES = 128 * 1024 - 2
_COPY = f"COPY merged ({', '.join(MERGED_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
#: The read indexes' names (``CREATE [UNIQUE] INDEX name ON …``), to drop before the rows.
_AFTER_NAMES = tuple(statement.split(" ON ")[0].split()[-1] for statement in MERGED_AFTER)


def schema_statements() -> list[str]:
    """The trial's tables: ``merged`` with its event-id key, and the store's own ``chain_head``
    (with its one row) and ``intakes``, as the store's migrations create them."""
    wanted = ("CREATE TABLE chain_head", "INSERT INTO chain_head", "CREATE TABLE intakes")
    store = [s for m in MIGRATIONS for s in m.statements if s.lstrip().startswith(wanted)]
    return [merged_table("BIGINT"), MERGED_KEY, *store]


@attrs.frozen
class PgCopySeconds:
    """Where one call's time went: the transaction's reads (the head locked and checked, the
    intake head, the look-up of the call's ids when the table holds rows); the read indexes
    dropped (``drop``) and created after the rows (``indexes``); ``NativeColumns.run_after``
    whole (``pass_``: the zone table, the C pass and its Python around it) and of it the C pass
    alone (``native``); building the ``COPY`` data (``build``: the rows and their intake lines'
    hashes, in C) and sending it (``send``: psycopg's ``write`` of each block and the end of the
    ``COPY``, which waits for the server to take the last row); the intake row computed and it
    and the chain head written (``intake``); the commit."""

    reads: float
    drop: float
    pass_: float
    native: float
    build: float
    send: float
    intake: float
    indexes: float
    commit: float


@attrs.frozen
class PgCopyCall:
    """One call: the C pass (its counts and arenas), the intake row written (None when no row
    was), the ``COPY`` data's size and blocks, and where the time went."""

    done: ColumnsPass
    intake: tuple[int, int, str, str, str] | None
    copy_bytes: int
    blocks: int
    seconds: PgCopySeconds


class NativePgCopy:
    """The trial set up for ``engine`` (checks off, standard-shaped rules: what ``NativeColumns``
    takes), writing into schema ``schema`` on the PostgreSQL server at ``conninfo`` on a
    connection of its own (``close`` it). The engine's own store is not written: it gives the
    members, the rules and the entries' points and tails."""

    def __init__(
        self,
        engine: gp.Engine,
        conninfo: str,
        schema: str,
        module: ModuleType | None = None,
        columns: NativeColumns | None = None,
    ) -> None:
        self._module = module or build("pgcopy")
        if tuple(self._module.COLUMNS) != MERGED_COLUMNS:
            raise RuntimeError(f"pgcopy.c writes {self._module.COLUMNS}, not store_rows' MERGED_COLUMNS")
        self._columns = columns or NativeColumns(engine)
        self.schema = schema
        self._conn: psycopg.Connection[tuple[Any, ...]] = psycopg.connect(conninfo)

    def create(self) -> None:
        """Create the schema and its tables (committed, untimed: as the floor's table is made)."""
        conn = self._conn
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))
        self._search_path()
        for statement in schema_statements():
            conn.execute(statement)
        conn.commit()

    def _search_path(self) -> None:
        self._conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))

    def close(self) -> None:
        self._conn.close()

    def ingest(self, packed: PackedColumns) -> PgCopyCall:
        """Book ``packed`` into the schema in one transaction (see the module docstring).

        Raises ``StoreError`` — nothing written — when the chain head row and the last row
        disagree (the table was written around the trial); what ``NativeColumns`` refuses,
        ``NotImplementedError``. Any failure rolls the transaction back."""
        try:
            return self._ingest(packed)
        except BaseException:
            self._conn.rollback()
            raise

    def _ingest(self, packed: PackedColumns) -> PgCopyCall:
        conn, module, columns = self._conn, self._module, self._columns
        self._search_path()
        t0 = time.perf_counter()
        head, intake_head, stored = self._reads(packed)
        t1 = time.perf_counter()
        for name in _AFTER_NAMES:
            conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name)))
        t2 = time.perf_counter()
        done = columns.run_after(packed, head, stored)
        t3 = time.perf_counter()
        rows = module.rows(done.arenas, packed.ids, packed.members, packed.kinds, packed.micros,
                           columns.member_column, columns.kind_column, columns.rule_meta, head[1],
                           intake_head[0] + 1)  # fmt: skip
        building = sending = 0.0
        size = blocks = 0
        with conn.cursor() as cursor:
            with cursor.copy(_COPY) as copy:
                while True:
                    started = time.perf_counter()
                    block = module.block(rows, BLOCK_BYTES)
                    built = time.perf_counter()
                    building += built - started
                    if block is None:
                        break
                    copy.write(block)
                    sending += time.perf_counter() - built
                    size, blocks = size + len(block), blocks + 1
                ending = time.perf_counter()
            sending += time.perf_counter() - ending  # the end of the COPY: the server takes the last rows
            t4 = time.perf_counter()
            intake = module.intake(rows, *intake_head)
            if intake is not None:
                cursor.execute("INSERT INTO intakes VALUES (%s, %s, %s, %s, %s)", intake)
                cursor.execute("UPDATE chain_head SET seq = %s, hash = %s WHERE id = 1", (done.seq, done.prev))
            t5 = time.perf_counter()
            for statement in MERGED_AFTER:
                cursor.execute(statement)
            t6 = time.perf_counter()
        conn.commit()
        t7 = time.perf_counter()
        seconds = PgCopySeconds(
            reads=t1 - t0, drop=t2 - t1, pass_=t3 - t2, native=done.seconds, build=building, send=sending,
            intake=t5 - t4, indexes=t6 - t5, commit=t7 - t6,
        )  # fmt: skip
        return PgCopyCall(done, intake, size, blocks, seconds)

    def _reads(self, packed: PackedColumns) -> tuple[tuple[int, str], tuple[int, str], dict[str, tuple[str, str]]]:
        """The chain head (locked, checked against the last row), the intake head, and the ids of
        the call the table knows with their (payload, status) — looked up only when it has rows."""
        conn = self._conn
        locked = conn.execute("SELECT seq, hash FROM chain_head WHERE id = 1 FOR UPDATE").fetchone()
        last = conn.execute("SELECT seq, hash FROM merged ORDER BY seq DESC LIMIT 1").fetchone()
        head = (0, GENESIS) if last is None else (int(last[0]), str(last[1]))
        if locked is None or (int(locked[0]), str(locked[1])) != head:
            raise StoreError(f"chain_head says {locked!r} but the last row is {head!r}: written around the trial")
        row = conn.execute("SELECT seq, hash FROM intakes ORDER BY seq DESC LIMIT 1").fetchone()
        intake_head = (0, GENESIS) if row is None else (int(row[0]), str(row[1]))
        stored: dict[str, tuple[str, str]] = {}
        if last is not None:
            ids = list(dict.fromkeys(texts_of(packed.ids)))
            query = "SELECT event_id, payload, status FROM merged WHERE event_id = ANY(%s)"
            stored = {event_id: (payload, status) for event_id, payload, status in conn.execute(query, [ids])}
        return head, intake_head, stored
