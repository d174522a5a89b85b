"""SQLite's event bindings, read as two ordered scans and merged in Python
(``gridpoints.stores._sqlite_bindings``), against the one statement the SQL stores share: the same
bindings on intact and tampered files, one snapshot, the plans that make it fast."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.errors import StoreError
from gridpoints.stores._sqlite_bindings import EVENTS_BY_ID, OWN_ENTRIES_BY_EVENT, _merged, event_bindings
from gridpoints.stores.sql import SQLStore
from gridpoints.stores.sqlite import SQLiteStore
from tests.conftest import at
from tests.helpers_bindings import SQLITE_SQL, tamper, tampering
from tests.test_tampering import build_ledger, open_raw

#: An event id a tamperer could store: text (beyond ASCII, a prefix of another, empty) or a BLOB.
IDS = st.one_of(
    st.sampled_from(["p1", "p10", "p1\x00", "", "m1", "o1", "网格-7", "zz", b"p1", b"zz"]),
    st.text(max_size=4),
    st.binary(max_size=3),
)


def shared_statement(store: SQLiteStore) -> Counter[gp.schema.EventBinding]:
    return Counter(SQLStore.event_bindings(store))


@pytest.fixture(scope="module")
def intact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bindings") / "ledger.db"
    build_ledger(path).close()
    return path


def test_on_an_intact_ledger_the_merge_gives_the_shared_statement_s_bindings(intact: Path) -> None:
    store = SQLiteStore(str(intact))
    merged = list(store.event_bindings())
    assert Counter(merged) == shared_statement(store)
    assert {b.status for b in merged} == {"booked", "corrected"}
    assert [b.event_id for b in merged] == sorted(b.event_id for b in merged)  # event-id order
    store.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(tampering(IDS), min_size=1, max_size=6))
def test_on_a_tampered_ledger_the_merge_gives_the_shared_statement_s_bindings(
    intact: Path, tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[object, ...]]
) -> None:
    # Rows deleted, renamed (to text or a BLOB), invented; entries invented for ids with and
    # without a row, some twice (awards), some derived: every binding as the join makes it.
    path = tmp_path_factory.mktemp("tampered") / "ledger.db"
    path.write_bytes(intact.read_bytes())
    conn = open_raw(path)
    for step in steps:
        tamper(conn, step, SQLITE_SQL)
    conn.close()
    store = SQLiteStore(str(path))
    assert Counter(store.event_bindings()) == shared_statement(store)
    store.close()


def test_both_reads_see_one_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    engine = gp.Engine(str(path), load_entrypoints=False)
    engine.add_members([gp.Member(id="M1", region="urban")])
    engine.ingest([gp.Event(f"e{n}", "M1", "patrol", at(1 + n % 9, 8)) for n in range(6)])
    reader = SQLiteStore(str(path))
    bindings = reader.event_bindings()
    first = next(bindings)
    # Another connection books a new event (a row and its entry) while the reads are open.
    engine.ingest([gp.Event("a-late-one", "M1", "patrol", at(9, 9))])
    rest = [first, *bindings]
    assert [b.event_id for b in rest] == [f"e{n}" for n in range(6)]
    assert len(list(reader.event_bindings())) == 7  # a new read sees it
    abandoned = reader.event_bindings()
    next(abandoned)
    abandoned.close()  # type: ignore[attr-defined]  # a generator
    assert not reader._conn.in_transaction  # closing the iterator ends its read transaction
    reader.close()
    engine.close()


class WriteBetween:
    """The store's connection, with a write committed by another connection right after the
    event rows' read starts: the moment a read transaction per statement would let it in."""

    def __init__(self, conn: sqlite3.Connection, write: Callable[[], object]) -> None:
        self.conn, self.write = conn, write

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def execute(self, statement: str) -> sqlite3.Cursor:
        cursor = self.conn.execute(statement)
        if statement == EVENTS_BY_ID:
            self.write()
        return cursor


def test_a_write_between_the_two_reads_is_not_seen_even_with_no_event_rows(tmp_path: Path) -> None:
    # With no event rows, the first read is done at its first step: in a transaction of its own
    # the entries' read would see the event booked meanwhile, as an entry whose row is gone.
    path = tmp_path / "ledger.db"
    engine = gp.Engine(str(path), load_entrypoints=False)
    engine.add_members([gp.Member(id="M1", region="urban")])
    reader = SQLiteStore(str(path))
    between = WriteBetween(reader._conn, lambda: engine.ingest([gp.Event("e1", "M1", "patrol", at(3, 8))]))
    assert list(event_bindings(between)) == []  # type: ignore[arg-type]  # the connection, watched
    assert not reader._conn.in_transaction  # the read transaction ended with the bindings
    assert [b.event_id for b in reader.event_bindings()] == ["e1"]
    reader.close()
    engine.close()


def test_the_reads_scan_each_table_once_without_an_index_walk(intact: Path) -> None:
    conn = sqlite3.connect(intact)
    events = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {EVENTS_BY_ID}")]
    entries = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {OWN_ENTRIES_BY_EVENT}")]
    conn.close()
    assert events == ["SCAN events"]  # the primary key's B-tree, in its order: no sort
    assert entries[0] == "SCAN entries" and not any("INDEX" in step and "TEMP" not in step for step in entries)


def test_rows_out_of_key_order_raise_instead_of_pairing_wrongly() -> None:
    row = ("b", "M1", "patrol", 5, "booked", "x")
    entry = ("b", 1, "M1", "patrol", "1", "rule", "")
    with pytest.raises(StoreError, match="event rows came out of their key's order"):
        list(_merged(iter([row, ("a", *row[1:])]), iter([])))
    with pytest.raises(StoreError, match="entries came out of event-id order"):
        list(_merged(iter([row]), iter([entry, ("a", *entry[1:])])))
    # TEXT sorts before BLOB, as in SQLite: a BLOB id after every text is in order.
    assert [b.event_id for b in _merged(iter([row, (b"a", *row[1:])]), iter([entry]))] == ["b", b"a"]
