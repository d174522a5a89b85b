"""The core over columns with its checks on and a native in-memory store
(benchmarks/native_core/checked.c) of issue 13: over the packed columns of a call's events it
books, byte for byte, what ``engine.ingest`` books on an in-memory engine with the built-in checks
on — the outcomes, the held events with their check, reason and ref, the event rows, the entries,
the intake rows and both heads — call after call, so its figures measure the same work."""

from __future__ import annotations

import random
from datetime import timedelta
from types import ModuleType
from typing import Any

import attrs
import pytest
from benchmarks.native_core import NativeChecked, pack
from benchmarks.native_core.checked import gpi2_digest, gpi2_hash
from benchmarks.workload import NOW, make_engine

import gridpoints as gp
from gridpoints.schema import GENESIS
from tests.test_native_columns import _pool as columns_pool
from tests.test_native_columns import _two_calls
from tests.test_native_core import _built


@pytest.fixture(scope="module")
def checked_module() -> ModuleType:
    _built("skeleton")  # the core takes the skeleton's rule tables
    return _built("checked")


def _pool(count: int, seed: int) -> tuple[list[gp.Member], list[gp.Event], list[gp.Event]]:
    """A dense workload's members and events, and beside them events each outcome and each check
    needs: conflicting copies, unknown members and kinds, future instants; a burst of ten events
    in five minutes; fourteen patrols of one day; major hazards without evidence (or with only
    whitespace, or a verified mark); the same place twice within the half hour, its name and the
    ids quoted by repr (quotes, text beyond ASCII); a burst's edge (see below)."""
    members, events, extra = columns_pool(count, seed)  # the core over columns' outcomes
    first = events[0].occurred_at.replace(hour=9, minute=0)
    one, two = members[0].id, members[1 % len(members)].id
    for n in range(10):
        at = first + timedelta(minutes=n // 2)
        extra.append(gp.Event(f"burst-{n}", one, "service", at, attributes={"location": f"B{n}"}))
    # Eight events within ten minutes either side of edge-judged, but no ten-minute span holding
    # more than eight with it — edge-after in the store before the call (the first test); at 3 am,
    # when the dense workload has no event.
    three = members[2 % len(members)].id
    for n, minute in enumerate([0] * 7 + [5, 14]):
        ident = ("edge-judged", "edge-after")[n - 7] if n >= 7 else f"edge-{n}"
        extra.append(gp.Event(ident, three, "service", first + timedelta(days=4, hours=-6, minutes=minute),
                              attributes={"location": f"G{n}"}))  # fmt: skip
    for n in range(14):
        at = first + timedelta(days=1, minutes=37 * n)
        extra.append(gp.Event(f"patrol-{n}", two, "patrol", at, attributes={"location": f"D{n}"}))
    for n, evidence in enumerate([None, "  ", "\u3000", " 证 ", "", None, None]):
        attributes: dict[str, object] = {"severity": "major", "location": f"E{n}"}
        if evidence is not None:
            attributes["evidence"] = evidence
        if n >= 5:
            attributes["verified"] = ("yes", "no")[n - 5]
        extra.append(gp.Event(f"hazard-{n}", one, "hazard", first + timedelta(days=2, hours=n), attributes=attributes))
    for n, place in enumerate(["it's", 'say "hi"', "北-P1", "tab\there"]):
        for copy in range(2):
            at = first + timedelta(days=3, hours=n, minutes=12 * copy)
            ident = f"dup-{n}-{copy}" if n % 2 else f"重复-{n}-'{copy}'"
            extra.append(gp.Event(ident, two, "activity", at, attributes={"location": place}))
    return members, events, extra


def _assert_books_as_the_engine(
    members: list[gp.Member], calls: list[list[gp.Event]], module: ModuleType, **options: Any
) -> list[gp.IngestResult]:
    """``calls`` booked one after another by ``engine.ingest`` (in memory, checks on) and by the
    native core (``options``: the trial's, ``grouped`` and ``intake_format``): after each, the
    same outcomes, event rows, entries, intake rows and heads — under gpi2, the intake rows'
    digests and hashes those ``gpi2_digest`` and ``gpi2_hash`` give for the engine's rows."""
    engine, native_engine = make_engine(), make_engine()
    for each in (engine, native_engine):
        each.add_members(members)
    checked = NativeChecked(native_engine, module, **options)
    results = []
    for call in calls:
        expected = engine.ingest(call)
        done = checked.run(pack(call, native_engine))
        accepted, held, rejected, duplicates = done.result()
        assert (accepted, held, duplicates) == (expected.accepted, expected.held, expected.duplicates)
        assert [(index, event_id, code) for index, event_id, code, _ in rejected] == [
            (r.index, r.event_id, r.code) for r in expected.rejected
        ]
        conflicts = [r.message for r in expected.rejected if r.code == "conflict"]
        assert [message for *_, message in rejected if message is not None] == conflicts
        entries, rows, intakes, intake_of, head, intake_head = checked.contents()
        store = engine.store
        assert rows == [tuple(row) for row in store._events.values()]
        assert entries == [tuple(entry) for entry in store._entries]
        assert intake_of == store._intake_of
        if options.get("intake_format") == "gpi2":
            assert intakes == _gpi2_intakes(store)
            assert intake_head == ((intakes[-1][0], intakes[-1][4]) if intakes else (0, GENESIS))
        else:
            assert intakes == [tuple(row) for row in store._intakes]
            assert intake_head == store.intake_head()
        assert head == engine.ledger.head()
        assert head == (done.seq, done.prev)
        assert (done.booked, done.held, done.duplicates, done.rejected) == (
            len(accepted),
            len(held),
            len(duplicates),
            len(rejected),
        )
        results.append(expected)
    return results


def _gpi2_intakes(store: Any) -> list[tuple[int, int, str, str, str]]:
    """The memory store's intake rows as the trial format gpi2 makes them: each one's digest
    over its event rows (``gpi2_digest``), chained (``gpi2_hash``)."""
    rows: list[tuple[int, int, str, str, str]] = []
    prev = GENESIS
    for seq, events, *_ in store._intakes:
        digest = gpi2_digest(row for row in store._events.values() if store._intake_of[row[0]] == seq)
        rows.append((seq, events, digest, prev, gpi2_hash(prev, seq, events, digest)))
        prev = rows[-1][4]
    return rows


OPTIONS = {"gpi1": {}, "grouped": {"grouped": True}, "gpi2": {"intake_format": "gpi2"},
           "grouped-gpi2": {"grouped": True, "intake_format": "gpi2"},
           "threads": {"grouped": True, "intake_format": "gpi2", "threads": 2}}  # fmt: skip


@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
def test_the_core_books_a_dense_call_with_checks_as_the_engine_does(
    checked_module: ModuleType, options: dict[str, Any]
) -> None:
    members, events, extra = _pool(3000, 2026)
    rng = random.Random(13)
    # booked before the call: history (edge-after), stored duplicates and conflicts
    earlier = events[:400] + [event for event in extra if event.id in ("edge-after", "dup-1-0", "dup-3-1")]
    call = events[400:] + extra + rng.sample(events, 80)  # repeats: duplicates, stored and within the call
    rng.shuffle(call)
    results = _assert_books_as_the_engine(members, [earlier, call], checked_module, **options)
    # The call meets every outcome (else the equality would not say much).
    last = results[-1]
    assert {r.code for r in last.rejected} == {"conflict", "unknown_member", "unknown_kind", "invalid"}
    assert len(last.duplicates) > 0 and len(last.held) > 0


def test_every_check_holds_and_each_reason_is_the_checks_own(checked_module: ModuleType) -> None:
    members, events, extra = _pool(2000, 7)
    engine = make_engine()
    engine.add_members(members)
    checked = NativeChecked(engine, checked_module)
    done = checked.run(pack(events + extra, engine))
    _, rows, *_ = checked.contents()
    held = {row[7] for row in rows if row[5] == "held"}
    assert held == {"burst", "daily_limit", "evidence", "duplicate_submission"}
    reasons = {row[0]: row[8] for row in rows if row[5] == "held"}
    assert "'北-P1'" in reasons["重复-2-'1'"] and '"it\'s"' in reasons["重复-0-'1'"]
    assert {"hazard-0", "hazard-1", "hazard-2", "hazard-4", "hazard-6"} <= set(reasons) and "hazard-3" not in reasons
    assert "hazard-5" not in reasons  # verified
    assert done.seconds > 0 and set(done.stages) == {"input", "judging", "chaining", "commit"}
    assert done.tail_misses > 0 and 0 < done.tail_seconds < done.seconds


def test_what_the_core_does_not_run_is_refused(checked_module: ModuleType) -> None:
    members, events, _ = _pool(400, 3)
    engine = make_engine()
    engine.add_members(members)
    engine.ingest(events[:10])
    with pytest.raises(NotImplementedError, match="starts empty"):
        NativeChecked(engine, checked_module)
    burst_of_some = gp.Engine(load_entrypoints=False, clock=lambda: NOW, check_config={"burst": {"kinds": ["patrol"]}})
    with pytest.raises(NotImplementedError, match="burst"):
        NativeChecked(burst_of_some, checked_module)
    berlin = gp.Engine(load_entrypoints=False, clock=lambda: NOW, tz="Europe/Berlin")
    berlin.add_members(members)
    october = [attrs.evolve(e, occurred_at=e.occurred_at.replace(month=10, day=25)) for e in events[:20]]
    with pytest.raises(NotImplementedError, match="offset changes"):
        NativeChecked(berlin, checked_module).run(pack(october, berlin))


POOL = _pool(400, 11)


@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
@_two_calls(POOL, earlier=60, call=300)
def test_any_subset_in_any_order_books_as_the_engine_does(
    checked_module: ModuleType, options: dict[str, Any], earlier: list[int], call: list[int]
) -> None:
    members, events, extra = POOL
    pool = events + extra
    calls = [[pool[i] for i in earlier], [pool[i] for i in call]]
    _assert_books_as_the_engine(members, calls, checked_module, **options)


def test_the_gpi2_digest_is_the_same_in_any_arrival_order(checked_module: ModuleType) -> None:
    """The same events (each id once: a conflicting copy's row would depend on which came
    first) in two arrival orders, each into a fresh native store: the same gpi2 intake row —
    and the digest is not gpi1's."""
    members, events, extra = _pool(1500, 5)
    unique = list({event.id: event for event in reversed(events + extra)}.values())
    intakes = []
    for seed, intake_format in ((1, "gpi2"), (2, "gpi2"), (1, "gpi1")):
        shuffled = random.Random(seed).sample(unique, len(unique))
        engine = make_engine()
        engine.add_members(members)
        checked = NativeChecked(engine, checked_module, grouped=seed == 2, intake_format=intake_format)
        done = checked.run(pack(shuffled, engine))
        assert done.held > 0 and done.rejected > 0
        intakes.append(checked.contents()[2])
    assert intakes[0] == intakes[1] and intakes[0][0][2] != intakes[2][0][2]


def test_a_chaining_that_fails_beside_the_commits_thread_leaves_the_store_as_it_was(
    checked_module: ModuleType,
) -> None:
    """threads=2: the commit's thread writes its rows while the chaining, on this thread, fails
    (a tail cache miss whose call into Python raises): after the join the written commit is taken
    back — the same store, and the same call booked again afterwards books as the engine does."""
    members, events, extra = _pool(1500, 17)
    engine, native_engine = make_engine(), make_engine()
    for each in (engine, native_engine):
        each.add_members(members)
    checked = NativeChecked(native_engine, checked_module, grouped=True, intake_format="gpi2", threads=2)
    earlier, call = events[:300], events[300:] + extra
    engine.ingest(earlier)
    first = checked.run(pack(earlier, native_engine))
    assert set(first.stages) == {"gather", "input", "judging", "chaining", "commit", "side_by_side"}
    before = checked.contents()
    skeleton = checked._skeleton
    tail = skeleton._tail

    def failing(*args: Any) -> Any:
        raise RuntimeError("a tail's miss fails")

    skeleton._tail = failing  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="a tail's miss fails"):
        checked.run(pack(call, native_engine))
    assert checked.contents() == before
    skeleton._tail = tail  # type: ignore[method-assign]
    expected = engine.ingest(call)
    done = checked.run(pack(call, native_engine))
    assert done.result()[:2] == (expected.accepted, expected.held) and done.held > 0
    _, rows, intakes, intake_of, head, _ = checked.contents()
    assert rows == [tuple(row) for row in engine.store._events.values()]
    assert intake_of == engine.store._intake_of and head == engine.ledger.head()
    assert intakes == _gpi2_intakes(engine.store)


def test_two_threads_only_with_the_options_measured(checked_module: ModuleType) -> None:
    engine = make_engine()
    with pytest.raises(NotImplementedError, match="threads=2"):
        NativeChecked(engine, checked_module, grouped=True, threads=2)
    with pytest.raises(ValueError, match="threads"):
        NativeChecked(engine, checked_module, grouped=True, intake_format="gpi2", threads=3)
