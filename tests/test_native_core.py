"""The native-core trials (benchmarks/native_core) of issue 13: for what it covers the skeleton
books byte for byte what the pipeline books, and the native chain pass finds what verify()
finds, so the figures they give measure the same work."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from benchmarks.dense import DenseWorkload
from benchmarks.native_core import NativeSkeleton, NativeVerify, build
from benchmarks.workload import NOW, SHANGHAI, make_engine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridpoints as gp

MEMBERS = gp.demo.demo_members(6, seed=7)


def _built(name: str) -> ModuleType:
    try:
        return build(name)
    except RuntimeError as error:
        if os.environ.get("CI") == "true":
            raise  # .ci/run installs the OpenSSL and SQLite headers: absence is a failure there
        pytest.skip(f"the native {name} cannot be built here: {str(error).splitlines()[0]}")


@pytest.fixture(scope="module")
def native() -> ModuleType:
    return _built("skeleton")


@pytest.fixture(scope="module")
def native_verify() -> ModuleType:
    return _built("verify")


def _engines() -> tuple[gp.Engine, gp.Engine]:
    engines = make_engine(checks=False), make_engine(checks=False)
    for engine in engines:
        engine.add_members(MEMBERS)
    return engines


def _event_rows(engine: gp.Engine, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    with engine.store.transaction() as tx:
        return tx.lookup(list(ids))


def _outcome(result: Any) -> tuple[object, ...]:
    """Accepted and duplicate ids in input order, rejections as (index, id, code) by index."""
    if isinstance(result, gp.IngestResult):
        rejected = sorted((r.index, r.event_id, r.code) for r in result.rejected)
        return result.accepted, result.duplicates, rejected, result.entries
    return result.accepted, result.duplicates, sorted(result.rejected), result.entries


def test_the_skeleton_books_the_dense_workload_as_the_pipeline_does(native: ModuleType) -> None:
    workload = DenseWorkload(3000, "random")
    members = workload.member_list()
    python, skeleton = make_engine(checks=False), make_engine(checks=False)
    for engine in (python, skeleton):
        engine.add_members(members)
    events = workload.build(members)
    expected = python.ingest(events)
    got = NativeSkeleton(skeleton, native).ingest(events)
    assert _outcome(got) == _outcome(expected) and got.entries == len(events)
    assert skeleton.ledger.head() == python.ledger.head()
    ids = [e.id for e in events]
    assert _event_rows(skeleton, ids) == _event_rows(python, ids)
    assert skeleton.ledger.verify().ok


def test_the_skeleton_refuses_what_it_does_not_cover(native: ModuleType) -> None:
    with pytest.raises(NotImplementedError, match="checks"):
        NativeSkeleton(make_engine(), native)
    python, skeleton = _engines()
    late = gp.Event("late", MEMBERS[0].id, "patrol", NOW - timedelta(days=3), reported_at=NOW - timedelta(days=1))
    with pytest.raises(NotImplementedError, match="late reports"):
        NativeSkeleton(skeleton, native).ingest([late])
    rating = gp.Event("r1", MEMBERS[0].id, "rating", NOW - timedelta(days=3), attributes={"stars": 5})
    with pytest.raises(NotImplementedError, match="no rating events"):
        NativeSkeleton(skeleton, native).ingest([rating])
    assert skeleton.ledger.head() == python.ledger.head()  # nothing booked


# Attribute keys and values that JSON must escape (quotes, backslashes, control characters) or
# that are not ASCII, beside the ones rules read.
_TEXT = st.text(alphabet=st.sampled_from('ab"\\\n\t\x01:,{}网格é'), min_size=1, max_size=6)
_VALUES = st.one_of(_TEXT, st.sampled_from(["major", "general", "serious"]), st.integers(-5, 5), st.booleans(),
                    st.none())  # fmt: skip
_KEYS = st.one_of(st.sampled_from(["severity", "location", "evidence"]), _TEXT)


@st.composite
def _events(draw: st.DrawFn) -> gp.Event:
    """Events that are booked, refused (unknown member or kind, no matching rule, in the
    future), repeated with the same payload or a different one, in two zones."""
    member = draw(st.sampled_from([*(m.id for m in MEMBERS), "nobody"]))
    kind = draw(st.sampled_from(["patrol", "hazard", "complaint", "mediation", "service", "no_such_kind"]))
    zone = draw(st.sampled_from([SHANGHAI, UTC]))
    minutes = draw(st.integers(0, 40 * 24 * 60))  # November 2026, and past NOW into the future
    occurred = (datetime(2026, 11, 1, tzinfo=SHANGHAI) + timedelta(minutes=minutes)).astimezone(zone)
    attributes = draw(st.dictionaries(_KEYS, _VALUES, max_size=3))
    quantity = draw(st.integers(1, 3))
    return gp.Event(draw(st.sampled_from(["e1", "e2", "e3", "e4", "e5", "e6"])) + draw(st.sampled_from(["", "x"])),
                    member, kind, occurred, quantity=quantity, attributes=attributes)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.lists(_events(), max_size=12), second=st.lists(_events(), max_size=12))
def test_the_skeleton_and_the_pipeline_agree_on_every_outcome_and_byte(
    native: ModuleType, first: list[gp.Event], second: list[gp.Event]
) -> None:
    """Two calls (the second meets the first's ids in the store): the same outcomes, the same
    chain head, the same event rows."""
    python, skeleton = _engines()
    runner = NativeSkeleton(skeleton, native)
    for events in (first, second):
        assert _outcome(runner.ingest(events)) == _outcome(python.ingest(events))
        assert skeleton.ledger.head() == python.ledger.head()
    ids = [e.id for e in first + second]
    assert _event_rows(skeleton, ids) == _event_rows(python, ids)


def test_the_instruction_counting_work_runs_the_skeleton(native: ModuleType) -> None:
    from benchmarks.instructions import main

    main(["dense-native", "--events", "40"])


def dense_ledger_file(path: Path, events: int, calls: int) -> Path:
    """A SQLite ledger at ``path`` of ``events`` dense events in random order (checks on: some
    held), booked in ``calls`` equal calls (so as many intakes)."""
    workload = DenseWorkload(events, "random")
    members = workload.member_list()
    engine = make_engine(str(path))
    engine.add_members(members)
    batch = workload.build(members)
    size = -(-events // calls)
    for start in range(0, events, size):
        engine.ingest(batch[start : start + size])
    engine.close()
    return path


@pytest.fixture(scope="module")
def dense_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite ledger of 300 dense events (checks on: some held), booked in one call."""
    return dense_ledger_file(tmp_path_factory.mktemp("native") / "dense.db", 300, 1)


def test_the_native_chain_pass_verifies_what_verify_verifies(native_verify: ModuleType, dense_ledger: Path) -> None:
    verification = gp.Engine(str(dense_ledger), load_entrypoints=False).ledger.verify()
    native = NativeVerify(str(dense_ledger), native_verify)
    assert verification.ok and native.chain() == (verification.entries, None)
    with sqlite3.connect(dense_ledger) as conn:
        events, intakes = (conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("events", "intakes"))
    assert native.step("bindings") == events == 300 and native.step("intakes") == events + intakes
    assert native.step("events") == events


# A column of the entry and a value to write into it, as someone editing the file would; every
# edit changes the value (a hash's first hex digit becomes another).
_OTHER_FIRST_DIGIT = "CASE WHEN substr({0}, 1, 1) = 'f' THEN 'e' ELSE 'f' END || substr({0}, 2)"
_EDITS = st.sampled_from([
    ("points_cents", "points_cents + 1"), ("member_id", "'G99999'"), ("day", "'2026-11-31'"),
    ("coefficient", "'1.5'"), ("quantity", "'2'"), ("reason", "'cap'"), ("ref", "'x'"), ("digest", "'0'"),
    ("hash", _OTHER_FIRST_DIGIT.format("hash")), ("prev_hash", _OTHER_FIRST_DIGIT.format("prev_hash")),
])  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edit=_EDITS, seq=st.integers(1, 250))
def test_the_native_chain_pass_stops_where_verify_does(
    native_verify: ModuleType, dense_ledger: Path, tmp_path_factory: pytest.TempPathFactory,
    edit: tuple[str, str], seq: int,
) -> None:  # fmt: skip
    """One column of one entry edited: the native pass names the seq verify() names."""
    path = tmp_path_factory.mktemp("edited") / "ledger.db"
    shutil.copy(dense_ledger, path)
    column, value = edit
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER entries_no_update")  # the store refuses edits; an editor of the file need not
        conn.execute(f"UPDATE entries SET {column} = {value} WHERE seq = ?", (seq,))
    verification = gp.Engine(str(path), load_entrypoints=False).ledger.verify()
    entries, bad = NativeVerify(str(path), native_verify).chain()
    assert not verification.ok and bad == verification.first_bad_seq and entries == bad - 1
