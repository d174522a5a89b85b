"""The per-event core over columns (benchmarks/native_core/columns.c) of issue 13: over the
packed columns of a call's events it stages, byte for byte, what the native-core skeleton stages
for the same events — so its figures measure the same work (and test_native_core holds the
skeleton to what ``engine.ingest`` books)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from types import ModuleType

import attrs
import pytest
from benchmarks.dense import DenseWorkload
from benchmarks.native_core import NativeColumns, NativeSkeleton, pack
from benchmarks.native_core.skeleton import _result
from benchmarks.workload import NOW, make_engine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridpoints as gp
from tests.test_native_core import _built


@pytest.fixture(scope="module")
def skeleton_module() -> ModuleType:
    return _built("skeleton")


@pytest.fixture(scope="module")
def columns_module() -> ModuleType:
    return _built("columns")


def _pool(count: int, seed: int) -> tuple[list[gp.Member], list[gp.Event], list[gp.Event]]:
    """A dense workload's members and events, and beside them events each outcome needs:
    the same ids with another payload (conflicts), members the engine does not know, a kind no
    rule has, instants in the future. Their ids are new, but the conflicts'."""
    workload = DenseWorkload(count, "random", seed=seed)
    members = workload.member_list()
    events = workload.build(members)
    rng = random.Random(seed)
    extra = [attrs.evolve(event, quantity=2) for event in rng.sample(events, count // 40)]
    for n, event in enumerate(rng.sample(events, count // 40)):
        extra.append(attrs.evolve(event, id=f"ghost-{n}", member_id=f"ghost-member-{n % 3}"))
    for n, event in enumerate(rng.sample(events, count // 100)):
        extra.append(attrs.evolve(event, id=f"odd-{n}", kind="unheard-of"))
    for n, event in enumerate(rng.sample(events, count // 100)):
        extra.append(attrs.evolve(event, id=f"late-{n}", occurred_at=NOW + timedelta(days=2)))
    return members, events, extra


def _assert_books_as_the_skeleton(
    members: list[gp.Member],
    earlier: list[gp.Event],
    call: list[gp.Event],
    skeleton_module: ModuleType,
    columns_module: ModuleType,
) -> None:
    """``earlier`` booked by ``engine.ingest`` on two engines, then ``call`` by the skeleton on
    one and over columns on the other: the same rows, entries, outcomes and chain head."""
    engines = make_engine(checks=False), make_engine(checks=False)
    for engine in engines:
        engine.add_members(members)
        if earlier:
            engine.ingest(earlier)
    skeleton = NativeSkeleton(engines[0], skeleton_module)
    expected = skeleton.ingest(call)
    done = NativeColumns(engines[1], columns_module).run(pack(call, engines[1]))
    entries, rows, accepted, rejected, duplicates, seq, prev = done.materialize()
    assert rows == skeleton.last_rows
    assert entries == skeleton.last_entries
    assert _result(entries, accepted, rejected, duplicates) == expected
    assert (seq, prev) == engines[0].ledger.head()
    assert (done.booked, done.duplicates, done.rejected) == (len(accepted), len(duplicates), len(rejected))


def test_the_columns_book_a_dense_call_as_the_skeleton_does(
    skeleton_module: ModuleType, columns_module: ModuleType
) -> None:
    members, events, extra = _pool(2000, 2026)
    rng = random.Random(13)
    earlier = events[:300]  # in the store before the call: stored duplicates and conflicts
    call = events[300:] + extra + rng.sample(events, 60)  # repeats: duplicates, stored and within the call
    rng.shuffle(call)
    _assert_books_as_the_skeleton(members, earlier, call, skeleton_module, columns_module)


def test_the_columns_pass_reports_each_outcome(columns_module: ModuleType) -> None:
    """The dense call above meets every outcome the pass tells apart (else the equality with the
    skeleton would not say much)."""
    members, events, extra = _pool(2000, 2026)
    engine = make_engine(checks=False)
    engine.add_members(members)
    engine.ingest(events[:300])
    call = events[300:] + extra + events[:20] + events[400:420]
    done = NativeColumns(engine, columns_module).run(pack(call, engine))
    _, _, accepted, rejected, duplicates, _, _ = done.materialize()
    codes = {code for _, _, code, _ in rejected}
    assert codes == {"conflict", "unknown_member", "unknown_kind", "invalid"}
    assert len(duplicates) == 40 and len(accepted) == len(events) - 300 and done.seconds > 0
    assert done.tail_misses > 0 and 0 < done.tail_seconds < done.seconds


def _two_calls(
    pool: tuple[list[gp.Member], list[gp.Event], list[gp.Event]], earlier: int, call: int
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A property over ``pool``'s events and extras (25 examples): the indices of an earlier
    call's events (at most ``earlier``, none twice) and of a call's (at most ``call``, repeats
    drawn)."""
    index = st.integers(0, len(pool[1]) + len(pool[2]) - 1)
    drawn = given(earlier=st.lists(index, max_size=earlier, unique=True), call=st.lists(index, max_size=call))
    kept = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    return lambda test: kept(drawn(test))


POOL = _pool(400, 7)


@_two_calls(POOL, earlier=40, call=250)
def test_any_subset_in_any_order_books_as_the_skeleton_does(
    skeleton_module: ModuleType, columns_module: ModuleType, earlier: list[int], call: list[int]
) -> None:
    members, events, extra = POOL
    pool = events + extra
    _assert_books_as_the_skeleton(
        members, [pool[i] for i in earlier], [pool[i] for i in call], skeleton_module, columns_module
    )


def test_the_zone_table_finds_each_change_of_offset_to_the_second() -> None:
    from array import array
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from benchmarks.native_core.columns import zone_table

    def us(moment: datetime) -> int:
        return int(moment.timestamp()) * 1_000_000

    # Berlin: +1 h, then +2 h from 2026-03-29 01:00 UTC, then +1 h from 2026-10-25 01:00 UTC.
    starts, offsets = (array("q", column) for column in zone_table(
        ZoneInfo("Europe/Berlin"), us(datetime(2026, 3, 1, tzinfo=UTC)), us(datetime(2026, 11, 30, tzinfo=UTC))
    ))  # fmt: skip
    hour = 3_600_000_000
    assert list(offsets) == [hour, 2 * hour, hour]
    assert list(starts[1:]) == [us(datetime(2026, 3, 29, 1, tzinfo=UTC)), us(datetime(2026, 10, 25, 1, tzinfo=UTC))]
    shanghai = ZoneInfo("Asia/Shanghai")  # no change since 1991
    month = zone_table(shanghai, us(datetime(2026, 11, 1, tzinfo=UTC)), us(datetime(2026, 12, 1, tzinfo=UTC)))
    assert month[1] == array("q", [8 * hour]).tobytes()
