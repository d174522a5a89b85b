"""The review queue: filters, decisions with who/when/why in the chain, errors, concurrency."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import gridpoints as gp
from tests.conftest import NOW, at

CLOCK = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)


def held_setup(engine: gp.Engine) -> None:
    engine.add_members([gp.Member(id="M1", region="urban"), gp.Member(id="M2", region="rural")])
    result = engine.ingest([
        gp.Event("m1", "M1", "mediation", at(3)),
        gp.Event("m2", "M2", "mediation", at(4)),
        gp.Event("g1", "M1", "group_incident", at(5)),
        gp.Event("o1", "M1", "mediation", at(30, month=10)),
        gp.Event("p1", "M1", "patrol", at(6), attributes={"location": "X"}),
        gp.Event("p2", "M1", "patrol", at(6) + timedelta(minutes=5), attributes={"location": "X"}),
    ])
    assert result.held == ("m1", "m2", "g1", "o1", "p2") and result.accepted == ("p1",)


def test_pending_filters_by_member_kind_check_and_period(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine()
    held_setup(engine)
    ids = lambda items: [h.event.id for h in items]  # noqa: E731
    assert ids(engine.review.pending()) == ["o1", "m1", "m2", "g1", "p2"]
    assert ids(engine.review.pending(member="M2")) == ["m2"]
    assert ids(engine.review.pending(kind="mediation")) == ["o1", "m1", "m2"]
    assert ids(engine.review.pending(check="duplicate_submission")) == ["p2"]
    assert ids(engine.review.pending(period="2026-10")) == ["o1"]
    assert ids(engine.review.pending(period="2026-Q4", member="M1", kind="mediation")) == ["o1", "m1"]
    assert engine.review.pending(period="2026-09") == []
    (dup,) = engine.review.pending(check="duplicate_submission")
    assert (dup.ref, dup.period) == ("p1", "2026-11")


def test_approval_books_and_records_who_when_why_in_the_chain(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine(clock=lambda: CLOCK)
    held_setup(engine)
    assert engine.review.approve("m1", by="审核员王", note="signed record seen") == 1
    assert engine.score("M1", "2026-11") == 20
    entries = engine.explain("M1", "2026-11")
    decision_entry = entries[-1]
    assert (decision_entry.kind, decision_entry.rule, decision_entry.points, decision_entry.reason) == (
        "decision", "approve", Decimal(0), "decision")
    assert decision_entry.event_id == "m1" and decision_entry.day == "2026-12-02"
    decision = engine.review.decision("m1")
    assert decision is not None
    assert (decision.action, decision.by, decision.note, decision.at) == ("approve", "审核员王", "signed record seen",
                                                                           CLOCK)
    assert decision.seq == decision_entry.seq and decision.subject == "event:m1"
    assert engine.ledger.verify()
    assert [h.event.id for h in engine.review.pending()] == ["o1", "m2", "g1", "p2"]


def test_rejection_records_the_reason_and_books_nothing(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine(clock=lambda: CLOCK)
    held_setup(engine)
    before = engine.score("M2", "2026-11")
    decision = engine.review.reject("m2", by="审核员王", reason="no mediation record exists")
    assert (decision.action, decision.by, decision.note) == ("reject", "审核员王", "no mediation record exists")
    assert engine.review.decision("m2") == decision
    assert engine.score("M2", "2026-11") == before
    assert [e.rule for e in engine.explain("M2", "2026-11")] == ["reject"]
    assert engine.ledger.verify()
    # A rejected id is remembered: sending it again is a duplicate, not a new hold.
    assert engine.ingest([gp.Event("m2", "M2", "mediation", at(4))]).duplicates == ("m2",)


def test_approval_uses_the_rule_version_in_effect_at_occurred_at() -> None:
    v1 = gp.RuleSet("local", "1", "2026-01-01", [gp.Rule("mediation", 15), gp.Rule("patrol", 5)])
    v2 = gp.RuleSet("local", "2", "2026-11-15", [gp.Rule("mediation", 12), gp.Rule("patrol", 5)])

    class Rules:
        @gp.hookimpl
        def gridpoints_rulesets(self) -> list[gp.RuleSet]:
            return [v1, v2]

    engine = gp.Engine(ruleset="local", plugins=[Rules()], load_entrypoints=False, clock=lambda: NOW)
    engine.add_members([gp.Member(id="M1", region="urban")])
    assert engine.ingest([gp.Event("early", "M1", "mediation", at(3)),
                          gp.Event("late", "M1", "mediation", at(20))]).held == ("early", "late")
    engine.review.approve("early", by="x")
    engine.review.approve("late", by="x")
    booked = {e.event_id: (e.points, e.version) for e in engine.explain("M1", "2026-11") if e.reason == "rule"}
    assert booked == {"early": (Decimal(15), "1"), "late": (Decimal(12), "2")}


def test_deciding_twice_or_unknown_ids_are_clear_errors_and_change_nothing(
    make_engine: Callable[..., gp.Engine],
) -> None:
    engine = make_engine()
    held_setup(engine)
    engine.review.approve("m1", by="a")
    engine.review.reject("m2", by="a", reason="r")
    head = engine.ledger.head()
    with pytest.raises(gp.ReviewError, match="event 'm1' is booked, not held; it was decided already"):
        engine.review.approve("m1", by="b")
    with pytest.raises(gp.ReviewError, match="event 'm1' is booked, not held"):
        engine.review.reject("m1", by="b", reason="r")
    with pytest.raises(gp.ReviewError, match="event 'm2' is rejected, not held"):
        engine.review.approve("m2", by="b")
    with pytest.raises(gp.ReviewError, match="event 'p1' is booked, not held"):
        engine.review.approve("p1", by="b")
    with pytest.raises(gp.NotFoundError, match="no held event 'nope'"):
        engine.review.approve("nope", by="b")
    with pytest.raises(ValueError, match="by: must not be empty"):
        engine.review.approve("g1", by="  ")
    with pytest.raises(ValueError, match="reason: must not be empty"):
        engine.review.reject("g1", by="a", reason="")
    with pytest.raises(TypeError, match="by: None is not a string"):
        engine.review.reject("g1", by=None, reason="x")  # type: ignore[arg-type]
    assert engine.ledger.head() == head
    assert [h.event.id for h in engine.review.pending()] == ["o1", "g1", "p2"]


def test_an_approval_that_cannot_be_booked_any_more_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "p.db")
    engine = gp.Engine(path, load_entrypoints=False, clock=lambda: NOW)
    engine.add_members([gp.Member(id="M1", region="urban")])
    engine.ingest([gp.Event("m1", "M1", "mediation", at(3))])
    engine.add_members([gp.Member(id="M1", region="urban", left="2026-11-01")])
    with pytest.raises(gp.ReviewError, match="'m1' cannot be booked now: inactive_member"):
        engine.review.approve("m1", by="a")
    assert [h.event.id for h in engine.review.pending()] == ["m1"]


def test_held_events_and_decisions_survive_reopening(tmp_path: Path) -> None:
    path = str(tmp_path / "p.db")
    with gp.Engine(path, load_entrypoints=False, clock=lambda: CLOCK) as engine:
        held_setup(engine)
        engine.review.reject("m2", by="李", reason="duplicate of paper record")
    with gp.Engine(path, load_entrypoints=False, clock=lambda: NOW) as engine:
        assert [h.event.id for h in engine.review.pending()] == ["o1", "m1", "g1", "p2"]
        decision = engine.review.decision("m2")
        assert decision is not None and (decision.by, decision.at) == ("李", CLOCK)
        assert engine.review.approve("m1", by="王") == 1
    with gp.Engine(path, load_entrypoints=False, clock=lambda: NOW) as engine:
        assert engine.score("M1", "2026-11") == 5 + 15
        assert engine.ledger.verify()


def _approve_in_process(path: str, event_id: str, barrier: multiprocessing.synchronize.Barrier,
                        results: multiprocessing.Queue[str]) -> None:
    engine = gp.Engine(path, load_entrypoints=False, clock=lambda: NOW)
    barrier.wait()
    try:
        engine.review.approve(event_id, by="racer")
        results.put("booked")
    except gp.ReviewError:
        results.put("refused")
    finally:
        engine.close()


def test_approving_from_several_processes_at_once_books_exactly_once(tmp_path: Path) -> None:
    path = str(tmp_path / "race.db")
    with gp.Engine(path, load_entrypoints=False, clock=lambda: NOW) as engine:
        engine.add_members([gp.Member(id="M1", region="urban")])
        events = [gp.Event(f"m{n}", "M1", "mediation", at(1 + n)) for n in range(3)]
        assert len(engine.ingest(events).held) == 3
    context = multiprocessing.get_context("fork")
    racers = 4
    for event in events:
        barrier = context.Barrier(racers)
        results: multiprocessing.Queue[str] = context.Queue()
        workers = [
            context.Process(target=_approve_in_process, args=(path, event.id, barrier, results))
            for _ in range(racers)
        ]
        for worker in workers:
            worker.start()
        outcomes = sorted(results.get(timeout=60) for _ in workers)
        for worker in workers:
            worker.join(timeout=60)
        assert outcomes == ["booked"] + ["refused"] * (racers - 1)
    with gp.Engine(path, load_entrypoints=False, clock=lambda: NOW) as engine:
        entries = engine.explain("M1", "2026-11")
        assert sorted(e.event_id for e in entries if e.reason == "rule") == ["m0", "m1", "m2"]
        assert [e.rule for e in entries if e.reason == "decision"] == ["approve"] * 3
        assert engine.score("M1", "2026-11") == 45 and engine.ledger.verify()
