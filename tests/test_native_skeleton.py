"""The native-core skeleton (benchmarks/native_core), issue 13's trial: for what it covers it
books byte for byte what the pipeline books, so the figures it gives measure the same work."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest
from benchmarks.dense import DenseWorkload
from benchmarks.native_core import NativeSkeleton, build
from benchmarks.workload import NOW, SHANGHAI, make_engine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridpoints as gp

MEMBERS = gp.demo.demo_members(6, seed=7)


@pytest.fixture(scope="module")
def native() -> ModuleType:
    try:
        return build()
    except RuntimeError as error:
        if os.environ.get("CI") == "true":
            raise  # .ci/run installs the compiler's OpenSSL headers: absence is a failure there
        pytest.skip(f"the native skeleton cannot be built here: {str(error).splitlines()[0]}")


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
