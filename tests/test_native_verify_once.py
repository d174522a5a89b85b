"""The one-read verify trial (``NativeVerifyOnce``, ``verify.c``'s ``once``) and the same split by
event id over processes (``NativeVerifySplit``): on intact ledgers each verifies what
``Ledger.verify()`` verifies, and with one thing tampered each reports the ledger broken exactly
when ``Ledger.verify()`` does."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest
from benchmarks.native_core import NativeVerifyOnce
from benchmarks.native_core.once import EVENTS_IN_ID_ORDER
from benchmarks.native_core.split import NativeVerifySplit, Range, events_between, id_ranges
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.rules.standard import standard_ruleset
from tests.conftest import NOW, at
from tests.test_native_core import _EDITS, _built, dense_ledger_file

#: The standard rules with a count limit and a cap on visits and on late reports' deductions.
MIXED = gp.RuleSet("mixed", "1", "2000-01-01", [
    *(rule for rule in standard_ruleset().rules if rule.kind != "late_report"),
    gp.Rule("visit", 2, limit={"day": 2}, cap={"day": 3}),
    gp.Rule("late_report", -3, limit={"day": 2}, cap={"day": 4}),
])  # fmt: skip


class MixedRules:
    @gp.hookimpl
    def gridpoints_rulesets(self) -> list[gp.RuleSet]:
        return [MIXED]


#: Event ids in code-point order are not in byte order of another encoding, nor in case order:
#: the digest of an intake takes its lines in Python's str order of the ids.
IDS_BEYOND_ASCII = ("事件-1", "Ω", "é1", "B", "z\U0001f600")


def _rich_ledger(path: Path) -> None:
    """Four intakes: visits cut by the count limit and clipped by the cap, late hazards whose
    deductions are derived, capped and limited, a late_report award, mediations held for want of
    evidence (one approved, one rejected, one still held), events with ids and payloads beyond
    ASCII, a correction, and a last call."""
    engine = gp.Engine(str(path), load_entrypoints=False, clock=lambda: NOW, ruleset="mixed", plugins=[MixedRules()])
    engine.add_members([gp.Member("U", "urban", name="小李"), gp.Member("R", "rural"), gp.Member("Z", "urban")])
    late = timedelta(hours=30)
    first = engine.ingest([
        gp.Event("v1", "U", "visit", at(3, 8)), gp.Event("v2", "U", "visit", at(3, 9), quantity=3),
        gp.Event("v3", "U", "visit", at(3, 10)),
        *[gp.Event(f"h{n}", "U", "hazard", at(3, 9 + n), reported_at=at(3, 9 + n) + late,
                   attributes={"evidence": f"h{n}.jpg"}) for n in (1, 2, 3)],
        gp.Event("lr", "U", "late_report", at(4), quantity=3),
        gp.Event("m1", "R", "mediation", at(5)), gp.Event("m2", "R", "mediation", at(5, 11)),
        gp.Event("m3", "Z", "mediation", at(5, 12)),
    ])  # fmt: skip
    members = ["R", "Z", "U", "Z", "R"]
    second = engine.ingest([
        *[gp.Event(event_id, member, "patrol", at(6, 8 + n), attributes={"location": "网格-é\U0001f600"})
          for n, (event_id, member) in enumerate(zip(IDS_BEYOND_ASCII, members, strict=True))],
        gp.Event("a", "Z", "patrol", at(7)), gp.Event("s1", "Z", "service", at(7, 9)),
    ])  # fmt: skip
    assert first.held == ("m1", "m2", "m3") and not second.held
    engine.review.approve("m1", by="审核员")
    engine.review.reject("m2", by="审核员", reason="no evidence")
    engine.correct("a", gp.Event("a2", "U", "patrol", at(7)), by="审核员", reason="it was U's")
    engine.ingest([gp.Event("p9", "U", "patrol", at(8))])
    engine.close()


@pytest.fixture(scope="module")
def native_verify() -> ModuleType:
    return _built("verify")


@pytest.fixture(scope="module")
def rich_ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("once") / "rich.db"
    _rich_ledger(path)
    yield path


@pytest.fixture(scope="module")
def unlogged_ledger(rich_ledger: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The rich ledger as a version before the intake log left it: every event row under intake
    seq 0 and no intakes, so only the rows' bindings to their entries guard them."""
    path = tmp_path_factory.mktemp("once") / "unlogged.db"
    shutil.copy(rich_ledger, path)
    with closing(sqlite3.connect(path)) as conn, conn:  # closed: the copies need the WAL checkpointed
        conn.execute("DROP TRIGGER intakes_no_delete")
        conn.execute("DELETE FROM intakes")
        conn.execute("UPDATE events SET intake_seq = 0")
    yield path


@pytest.fixture(scope="module")
def dense_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """900 dense events (checks on: some held) in three calls, so three intakes."""
    return dense_ledger_file(tmp_path_factory.mktemp("once") / "dense.db", 900, 3)


def _verify(path: Path) -> gp.Verification:
    """``Ledger.verify()`` of the ledger at ``path``, with the rule set it was booked under."""
    with sqlite3.connect(path) as conn:
        (ruleset,) = conn.execute("SELECT value FROM meta WHERE key = 'ruleset'").fetchone()
    engine = gp.Engine(str(path), load_entrypoints=False, ruleset=ruleset, plugins=[MixedRules()])
    try:
        return engine.ledger.verify()
    finally:
        engine.close()


def _statuses(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {status for (status,) in conn.execute("SELECT status FROM events")}


@pytest.mark.parametrize("ledger", ["rich_ledger", "unlogged_ledger", "dense_ledger"])
def test_on_an_intact_ledger_it_verifies_what_verify_verifies(
    native_verify: ModuleType, ledger: str, request: pytest.FixtureRequest
) -> None:
    path: Path = request.getfixturevalue(ledger)
    expected = _verify(path)
    once = NativeVerifyOnce(str(path), native_verify)
    got = once.verify()
    assert expected.ok and got.ok and got.entries == expected.entries > 0 and got.notes == expected.notes
    with sqlite3.connect(path) as conn:
        (intakes,) = conn.execute("SELECT COUNT(*) FROM intakes").fetchone()
        (events,) = conn.execute("SELECT COUNT(DISTINCT event_id) FROM entries").fetchone()
    assert (intakes >= 3) == (ledger != "unlogged_ledger") and once.table_events >= events and once.table_bytes > 0
    if ledger != "dense_ledger":
        assert _statuses(path) == {"booked", "held", "rejected", "corrected"}
        assert 0 < once.handed_back < events  # the held, decided and capped or limited ones, not all


def test_the_events_are_read_in_their_primary_keys_order_without_a_sort(rich_ledger: Path) -> None:
    with sqlite3.connect(rich_ledger) as conn:
        plan = " | ".join(row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {EVENTS_IN_ID_ORDER}"))
    assert plan.startswith("SCAN events") and "TEMP B-TREE" not in plan, plan


# -- one thing tampered ---------------------------------------------------------------------------

_EVENT_IDS = ["v1", "v2", "v3", "h1", "h2", "h3", "lr", "m1", "m2", "m3", "a", "a2", "s1", "p9", *IDS_BEYOND_ASCII]
#: A column of one event row and a value to write into it (SQL over the row's own columns):
#: edits an editor of the file could make, including values of a type the row is not written
#: with (a time as text, a BLOB).
_EVENT_EDITS = st.sampled_from([
    ("payload", "payload || 'x'"), ("payload", "replace(payload, member_id, 'Z')"), ("payload", "'x'"),
    ("payload", "CAST(payload AS BLOB)"),
    ("status", "'booked'"), ("status", "'held'"), ("status", "'rejected'"), ("status", "'corrected'"),
    ("status", "'lost'"),
    ("member_id", "'U'"), ("member_id", "'R'"), ("member_id", "'nobody'"),
    ("intake_seq", "0"), ("intake_seq", "1"), ("intake_seq", "2"), ("intake_seq", "4"), ("intake_seq", "9"),
    ("intake_seq", "'two'"),
    ("occurred_us", "occurred_us + 1"), ("occurred_us", "'soon'"),
    ("hold_reason", "'looked at'"), ("hold_reason", "X'00'"), ("period", "'2026-12'"), ("kind", "'service'"),
])  # fmt: skip
_TAMPERS = st.one_of(
    st.tuples(st.just("edit event"), st.sampled_from(_EVENT_IDS), _EVENT_EDITS),
    st.tuples(st.just("delete event"), st.sampled_from(_EVENT_IDS), st.just(("", ""))),
    st.tuples(st.just("invent event"), st.sampled_from(_EVENT_IDS), st.sampled_from([("0", ""), ("1", ""), ("4", "")])),
    st.tuples(st.just("edit entry"), st.integers(1, 23).map(str), _EDITS),
)


def _tamper(path: Path, tamper: tuple[str, str, tuple[str, str]]) -> None:
    what, target, (column, value) = tamper
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("DROP TRIGGER entries_no_update")  # the store refuses edits; an editor of the file need not
        if what == "edit event":
            conn.execute(f"UPDATE events SET {column} = {value} WHERE event_id = ?", (target,))
        elif what == "delete event":
            conn.execute("DELETE FROM events WHERE event_id = ?", (target,))
        elif what == "invent event":  # a copy of a row under a new id and an intake seq (column: the seq)
            conn.execute(
                "INSERT INTO events SELECT event_id || '-forged', member_id, kind, occurred_us, period, status, "
                f"payload, hold_check, hold_reason, hold_ref, {int(column)} FROM events WHERE event_id = ?",
                (target,),
            )
        else:
            conn.execute(f"UPDATE entries SET {column} = {value} WHERE seq = ?", (int(target),))


@pytest.mark.parametrize("ledger", ["rich_ledger", "unlogged_ledger"])
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tamper=_TAMPERS)
def test_one_thing_tampered_it_is_broken_exactly_when_verify_is(
    native_verify: ModuleType, ledger: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
    tamper: tuple[str, str, tuple[str, str]],
) -> None:  # fmt: skip
    """The intake log catches most edits of an event row on its own; without it (the unlogged
    ledger) the rows' bindings to their entries must."""
    path = tmp_path_factory.mktemp("tampered") / "ledger.db"
    shutil.copy(request.getfixturevalue(ledger), path)
    _tamper(path, tamper)
    expected = _verify(path)
    got = NativeVerifyOnce(str(path), native_verify).verify()
    assert (got.ok, got.table) == (expected.ok, expected.table), (tamper, expected, got)
    assert got.entries == expected.entries, (tamper, expected, got)
    if tamper[0] == "edit entry":  # the chain names the seq (an edit may write the value there already)
        assert got.first_bad_seq == expected.first_bad_seq


# -- split by event id over processes ------------------------------------------------------------


def _intakes_across_ranges(path: Path, ranges: list[Range]) -> list[int]:
    """The intake seqs whose event rows lie in more than one range (str order is SQLite's order
    of the UTF-8 ids): their digests need the ranges' lines fed in range order."""

    def range_of(event_id: str) -> int:
        return next(
            i for i, (lo, hi) in enumerate(ranges) if (lo is None or lo <= event_id) and (hi is None or event_id < hi)
        )

    with closing(sqlite3.connect(path)) as conn:
        spread: dict[int, set[int]] = {}
        for event_id, seq in conn.execute("SELECT event_id, intake_seq FROM events WHERE intake_seq > 0"):
            spread.setdefault(seq, set()).add(range_of(event_id))
    return sorted(seq for seq, where in spread.items() if len(where) > 1)


@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize("ledger", ["rich_ledger", "unlogged_ledger", "dense_ledger"])
def test_split_by_event_id_it_verifies_what_verify_verifies(
    native_verify: ModuleType, ledger: str, workers: int, request: pytest.FixtureRequest
) -> None:
    """Each cut between two ranges is an event id, whose row and entries must be one range's
    (neither dropped nor read twice); and with more than one range some intake's rows lie in
    several, whose digest holds only when the parent feeds the ranges' lines in range order."""
    path: Path = request.getfixturevalue(ledger)
    expected = _verify(path)
    split = NativeVerifySplit(str(path), workers, native_verify)
    got = split.verify()
    assert expected.ok and got.ok and got.entries == expected.entries > 0 and got.notes == expected.notes
    assert len(split.ranges) == len(split.share_seconds) == workers and split.table_bytes > 0
    if workers > 1 and ledger != "unlogged_ledger":
        assert _intakes_across_ranges(path, split.ranges)


@pytest.mark.parametrize("first_share", [0.0, 0.25, 0.7, 1.0])
def test_a_first_share_cuts_that_fraction_off_for_the_first_range_and_the_split_still_verifies(
    native_verify: ModuleType, dense_ledger: Path, first_share: float
) -> None:
    with sqlite3.connect(dense_ledger) as conn:
        ids = [event_id for (event_id,) in conn.execute("SELECT event_id FROM events ORDER BY event_id")]
    ranges = id_ranges(str(dense_ledger), 3, first_share)
    held = [[i for i in ids if (lo is None or i >= lo) and (hi is None or i < hi)] for lo, hi in ranges]
    assert sorted(i for share in held for i in share) == ids  # every id in exactly one range
    if len(ranges) == 3:
        assert len(held[0]) == round(len(ids) * first_share) and abs(len(held[1]) - len(held[2])) <= 1
    else:  # a cut at the first or the last id is no cut above the one before it
        assert first_share in (0.0, 1.0)
    expected = _verify(dense_ledger)
    got = NativeVerifySplit(str(dense_ledger), 3, native_verify, first_share=first_share).verify()
    assert got.ok and got.entries == expected.entries


def test_the_balanced_first_share_gives_every_process_the_same_modelled_work(native_verify: ModuleType) -> None:
    split = NativeVerifySplit("unused.db", 2, native_verify)
    # entries read 0.3 s; first share (chain 0.8 + half of 2.0) 2.1 s, second 1.3 s
    share = split.balanced_first_share([(2.1, 0, 0), (1.3, 0, 0)], 0.3)
    assert share == pytest.approx((2.0 - 0.8) / (2.0 * 2))
    assert 0.3 + 0.8 + share * 2.0 == pytest.approx(0.3 + (1 - share) * 2.0)


def test_a_range_of_the_events_is_read_as_a_range_of_their_primary_key_without_a_sort(rich_ledger: Path) -> None:
    with sqlite3.connect(rich_ledger) as conn:
        for lo, hi in [("h1", "m1"), (None, "m1"), ("h1", None)]:
            plan = " | ".join(row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {events_between(lo, hi)}",
                                                               {"lo": lo, "hi": hi}))  # fmt: skip
            assert plan.startswith("SEARCH events USING PRIMARY KEY") and "TEMP B-TREE" not in plan, plan


@pytest.mark.slow
@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.parametrize("ledger", ["rich_ledger", "unlogged_ledger"])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tamper=_TAMPERS)
def test_split_one_thing_tampered_it_is_broken_exactly_when_verify_is(
    native_verify: ModuleType, ledger: str, workers: int, request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory, tamper: tuple[str, str, tuple[str, str]],
) -> None:  # fmt: skip
    path = tmp_path_factory.mktemp("tampered") / "ledger.db"
    shutil.copy(request.getfixturevalue(ledger), path)
    _tamper(path, tamper)
    expected = _verify(path)
    got = NativeVerifySplit(str(path), workers, native_verify).verify()
    assert (got.ok, got.table) == (expected.ok, expected.table), (tamper, expected, got)
    assert got.entries == expected.entries, (tamper, expected, got)
    if tamper[0] == "edit entry":
        assert got.first_bad_seq == expected.first_bad_seq


def _raises(*args: object) -> None:
    raise ZeroDivisionError("a share failed")


def _first_dies_the_others_linger(*args: object) -> None:
    """``once`` of the first range (lo None) dies without a word; the others would take 20 s."""
    if args[7] is None:
        os._exit(3)
    time.sleep(20)


@pytest.mark.parametrize(("once", "error"), [(_raises, RuntimeError), (_first_dies_the_others_linger, EOFError)])
def test_a_share_that_fails_or_dies_fails_the_split_and_no_process_is_left(
    rich_ledger: Path, once: Callable[..., None], error: type[Exception]
) -> None:
    """The split raises at once, the other processes ended, not waited for."""
    failing = ModuleType("failing")
    failing.once = once  # type: ignore[attr-defined]
    started = time.perf_counter()
    with pytest.raises(error, match="ZeroDivisionError" if error is RuntimeError else None):
        NativeVerifySplit(str(rich_ledger), 3, failing).verify()
    assert time.perf_counter() - started < 10 and multiprocessing.active_children() == []
