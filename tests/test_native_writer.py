"""The native writer (benchmarks/native_core/writer.c) writes, for the rows the skeleton stages,
the rows the SQLite store's Python transaction writes — entries, event rows with their intake
seq, intake rows — byte for byte, so the figures it gives measure the same work; and it refuses
to write after a head it was not given."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest
from benchmarks.dense import DenseWorkload
from benchmarks.native_core import NativeSkeleton, NativeWriter, WriteSeconds
from benchmarks.store_rows import SECONDARY_INDEXES
from benchmarks.workload import make_engine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.errors import StoreError
from gridpoints.ledger import Ledger
from gridpoints.schema import GENESIS
from gridpoints.stores.intakes import intake_genesis
from gridpoints.stores.sqlite import SQLiteStore
from tests.test_native_core import MEMBERS, _built, _events

#: The tables a write touches, each in a fixed order; and the schema without root pages (an
#: index created again lives elsewhere in the file).
_DUMPS = {
    "entries": "SELECT * FROM entries ORDER BY seq",
    "events": "SELECT * FROM events ORDER BY event_id",
    "intakes": "SELECT * FROM intakes ORDER BY seq",
    "schema": "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name",
}


@pytest.fixture(scope="module")
def native() -> ModuleType:
    return _built("skeleton")


@pytest.fixture(scope="module")
def writer_module() -> ModuleType:
    return _built("writer")


def _engine(path: Path, members: list[gp.Member]) -> gp.Engine:
    engine = make_engine(str(path), checks=False)
    engine.add_members(members)
    return engine


def _dump(path: Path) -> dict[str, list[Any]]:
    conn = sqlite3.connect(path)
    try:
        return {table: conn.execute(query).fetchall() for table, query in _DUMPS.items()}
    finally:
        conn.close()


def _outcome(result: Any) -> tuple[object, ...]:
    if isinstance(result, gp.IngestResult):
        return result.accepted, result.duplicates, sorted((r.index, r.event_id, r.code) for r in result.rejected)
    return result.accepted, result.duplicates, sorted(result.rejected)


@pytest.mark.parametrize("late_indexes", [False, True], ids=["indexes", "late-indexes"])
def test_the_writer_writes_the_rows_the_store_writes_over_two_calls(
    native: ModuleType, writer_module: ModuleType, tmp_path: Path, late_indexes: bool
) -> None:
    """The same events in two calls three ways: ``engine.ingest`` (checks off), the skeleton
    through the store's Python transaction, the skeleton through the native writer. Every row
    of every table the same (the second call continues the chain and the intake log), the
    indexes there again with the same SQL, and the ledger verifies."""
    workload = DenseWorkload(3000, "random")
    members = workload.member_list()
    events = workload.build(members)
    calls = events[:1800], events[1800:]
    python, through_store, written = (_engine(tmp_path / f"{name}.db", members) for name in ("py", "store", "native"))
    skeleton_store, skeleton_native = NativeSkeleton(through_store, native), NativeSkeleton(written, native)
    writer = NativeWriter(str(tmp_path / "native.db"), writer_module)
    for call in calls:
        expected = python.ingest(call)
        assert _outcome(skeleton_store.ingest(call)) == _outcome(expected)
        assert _outcome(skeleton_native.ingest(call, writer, late_indexes=late_indexes)) == _outcome(expected)
        assert isinstance(skeleton_native.last_write, WriteSeconds)
    for engine in (python, through_store, written):
        engine.close()
    expected_rows = _dump(tmp_path / "py.db")
    assert len(expected_rows["intakes"]) == 2 and len(expected_rows["entries"]) == 3000
    assert _dump(tmp_path / "store.db") == expected_rows
    assert _dump(tmp_path / "native.db") == expected_rows
    assert {name for _, name, _, _ in expected_rows["schema"]} >= set(SECONDARY_INDEXES)
    verification = Ledger(SQLiteStore(str(tmp_path / "native.db"))).verify()
    assert verification.ok and verification.entries == 3000, verification.problem


# Ids beyond ASCII: the intake's digest takes the lines in Python's order of the ids.
_PREFIXES = st.sampled_from(["", "é", "网", "\U0001f600", "Z"])


@st.composite
def _events_of_any_id(draw: st.DrawFn) -> gp.Event:
    event = draw(_events())
    return attrs.evolve(event, id=draw(_PREFIXES) + event.id)


@pytest.mark.slow  # two SQLite stores per example
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.lists(_events_of_any_id(), max_size=12),
    second=st.lists(_events_of_any_id(), max_size=12),
    late_indexes=st.booleans(),
)
def test_the_writer_and_the_store_agree_on_every_row(
    native: ModuleType, writer_module: ModuleType, tmp_path_factory: pytest.TempPathFactory,
    first: list[gp.Event], second: list[gp.Event], late_indexes: bool,
) -> None:  # fmt: skip
    """Two calls of drawn events (repeats, conflicts, refusals, attributes JSON escapes or that
    are not ASCII, ids that are not ASCII): ``engine.ingest`` and the skeleton through the native
    writer leave the same rows in every table."""
    directory = tmp_path_factory.mktemp("drawn")
    python, written = _engine(directory / "py.db", MEMBERS), _engine(directory / "native.db", MEMBERS)
    skeleton, writer = NativeSkeleton(written, native), NativeWriter(str(directory / "native.db"), writer_module)
    for events in (first, second):
        assert _outcome(skeleton.ingest(events, writer, late_indexes=late_indexes)) == _outcome(python.ingest(events))
    python.close()
    written.close()
    assert _dump(directory / "native.db") == _dump(directory / "py.db")


def test_the_first_intake_commits_to_the_rows_written_before_the_log(
    native: ModuleType, writer_module: ModuleType, tmp_path: Path
) -> None:
    """A store with an event row from before the intake log: the first intake row chains from
    ``intake_genesis(1)``, natively as in Python."""
    workload = DenseWorkload(400, "random")
    members = workload.member_list()
    events = workload.build(members)
    before_the_log = "INSERT INTO events VALUES ('old-1', ?, 'patrol', 0, '1970-01', 'held', '', 'check', 'why', '', 0)"
    engines = {}
    for name in ("py", "native"):
        engines[name] = _engine(tmp_path / f"{name}.db", members)
        with sqlite3.connect(tmp_path / f"{name}.db") as conn:
            conn.execute(before_the_log, (members[0].id,))
    engines["py"].ingest(events)
    writer = NativeWriter(str(tmp_path / "native.db"), writer_module)
    assert writer.heads()[1] == (0, intake_genesis(1))
    NativeSkeleton(engines["native"], native).ingest(events, writer)
    for engine in engines.values():
        engine.close()
    expected = _dump(tmp_path / "py.db")
    assert expected["intakes"][0][3] == intake_genesis(1) != GENESIS
    assert _dump(tmp_path / "native.db") == expected


class _Holding(NativeWriter):
    """Takes the rows a call would write, and what they continue, without writing them."""

    held: tuple[Any, ...] = ()

    def write(self, entries: Any, events: Any, chain_head: Any, intake_head: Any, **_: Any) -> WriteSeconds:
        self.held = (entries, events, chain_head, intake_head)
        return WriteSeconds(0.0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize("meanwhile", ["a call booked", "an event row written"])
def test_rows_after_a_stale_head_are_refused_and_nothing_is_written(
    native: ModuleType, writer_module: ModuleType, tmp_path: Path, meanwhile: str
) -> None:
    """Rows staged against the store's heads, then the store moves on (another call books
    entries and event rows; or an event row alone is written, moving only the intake head):
    writing them is refused, and the file — late indexes asked for — is as it was."""
    workload = DenseWorkload(600, "random")
    members = workload.member_list()
    events = workload.build(members)
    path = tmp_path / "ledger.db"
    engine = _engine(path, members)
    engine.ingest(events[:200])
    holder = _Holding(str(path), writer_module)
    NativeSkeleton(engine, native).ingest(events[200:400], holder)
    entries, rows, chain_head, intake_head = holder.held
    assert entries and rows and chain_head == engine.ledger.head()
    if meanwhile == "a call booked":
        engine.ingest(events[400:])
    else:
        with engine.store.transaction() as tx:
            tx.append([], [("meanwhile", members[0].id, "patrol", 0, "1970-01", "held", "", "c", "r", "")])
        assert engine.ledger.head() == chain_head  # the chain did not move; the intake log did
    before = _dump(path)
    writer = NativeWriter(str(path), writer_module)
    with pytest.raises(StoreError, match="the store moved on"):
        writer.write(entries, rows, chain_head, intake_head, late_indexes=True)
    assert _dump(path) == before
    with pytest.raises(StoreError, match="does not continue the chain"):
        writer.write(entries, rows, (chain_head[0] + 1, chain_head[1]), intake_head)
    assert _dump(path) == before
    engine.close()
