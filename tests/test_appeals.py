"""Appeals (申诉) and corrections (更正): reversals that leave the original, at most once."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import gridpoints as gp
from gridpoints.schema import GENESIS
from gridpoints.testing.stores import complaint_patrol_hazard as setup
from tests.conftest import NOW, at


def test_an_upheld_appeal_books_a_reversal_and_leaves_the_original(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine()
    entries = setup(engine)
    complaint = entries["c1/rule"]
    assert engine.score("M1", "2026-11") == 2
    appeal = engine.appeal(complaint.seq, by="M1", reason="the complaint was about another grid")
    assert (appeal.status, appeal.entry_seq, appeal.member_id, appeal.opened_by) == ("open", complaint.seq, "M1", "M1")
    assert engine.appeals(status="open") == [appeal]
    upheld = appeal.uphold(by="考核办")
    assert (upheld.status, upheld.decided_by) == ("upheld", "考核办")
    reversal = next(e for e in engine.explain("M1", "2026-11") if e.reason == "reversal")
    assert (reversal.seq, reversal.points, reversal.ref, reversal.event_id) == (
        upheld.reversal_seq, Decimal(10), f"seq:{complaint.seq}", "c1")
    assert engine.score("M1", "2026-11") == 12
    original = next(e for e in engine.explain("M1", "2026-11") if e.seq == complaint.seq)
    assert original == complaint
    assert engine.appeals(status="open") == [] and engine.appeals(status="upheld") == [upheld]
    assert engine.ledger.verify()


def test_a_dismissed_appeal_records_why_and_changes_no_points(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine()
    entries = setup(engine)
    appeal = engine.appeal(entries["h1/derived"].seq, by="M1", reason="I reported it in time")
    with pytest.raises(ValueError, match="reason: must not be empty"):
        appeal.dismiss(by="考核办", reason=" ")
    dismissed = appeal.dismiss(by="考核办", reason="the system log shows 30 hours")
    assert (dismissed.status, dismissed.decision_note) == ("dismissed", "the system log shows 30 hours")
    assert engine.score("M1", "2026-11") == 2
    # After a dismissal the member may appeal again (new facts); the second can be upheld.
    again = engine.appeal(entries["h1/derived"].seq, by="M1", reason="new evidence: phone log")
    assert again.uphold(by="考核办").status == "upheld"
    assert engine.score("M1", "2026-11") == 5


def test_open_appeals_survive_reopening_the_store(tmp_path: Path) -> None:
    path = str(tmp_path / "a.db")
    with gp.Engine(path, load_entrypoints=False, clock=lambda: NOW) as engine:
        entries = setup(engine)
        first = engine.appeal(entries["c1/rule"].seq, by="M1", reason="not me")
        second = engine.appeal(entries["p1/rule"].seq, by="M1", reason="typo")
        second.dismiss(by="a", reason="no typo")
    with gp.Engine(path, load_entrypoints=False, clock=lambda: NOW) as engine:
        (still,) = engine.appeals(status="open")
        assert (still.id, still.reason, still.opened_by) == (first.id, "not me", "M1")
        assert [a.status for a in engine.appeals()] == ["open", "dismissed"]
        assert engine.appeals(member="M2") == []
        still.uphold(by="b")
        assert engine.score("M1", "2026-11") == 12 and engine.ledger.verify()


def test_two_level_review_needs_a_reviewer_then_a_different_approver() -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW, appeal_levels=2)
    entries = setup(engine)
    appeal = engine.appeal(entries["c1/rule"].seq, by="M1", reason="not me")
    reviewed = appeal.uphold(by="审核员")
    assert (reviewed.status, reviewed.recommendation, reviewed.reviewed_by) == ("reviewed", "uphold", "审核员")
    assert reviewed.is_open and engine.score("M1", "2026-11") == 2
    with pytest.raises(gp.ReviewError, match=r"'审核员' reviewed appeal .* a different person"):
        reviewed.uphold(by="审核员")
    final = reviewed.dismiss(by="主任", reason="the complaint names this member")
    assert (final.status, final.decided_by, final.recommendation) == ("dismissed", "主任", "uphold")
    other = engine.appeal(entries["p1/rule"].seq, by="M1", reason="x")
    other.dismiss(by="审核员", reason="looks fine").uphold(by="主任")
    assert engine.score("M1", "2026-11") == -3
    assert [d.action for d in engine.decisions(subject=f"appeal:{other.id}")] == ["appeal_review", "uphold"]


def test_appeal_levels_must_be_one_or_two() -> None:
    with pytest.raises(gp.ConfigurationError, match="appeal_levels: 3 must be 1 or 2"):
        gp.Engine(load_entrypoints=False, appeal_levels=3)


def _uphold_in_process(path: str, appeal_id: str, barrier: object, results: object) -> None:
    engine = gp.Engine(path, load_entrypoints=False, clock=lambda: NOW)
    appeal = engine.get_appeal(appeal_id)
    barrier.wait()  # type: ignore[attr-defined]
    try:
        appeal.uphold(by="racer")
        results.put("upheld")  # type: ignore[attr-defined]
    except (gp.ReviewError, gp.LedgerError):
        results.put("refused")  # type: ignore[attr-defined]
    finally:
        engine.close()


def test_concurrent_upholds_reverse_the_entry_once(tmp_path: Path) -> None:
    path = str(tmp_path / "race.db")
    with gp.Engine(path, load_entrypoints=False, clock=lambda: NOW) as engine:
        entries = setup(engine)
        appeal = engine.appeal(entries["c1/rule"].seq, by="M1", reason="not me")
    context = multiprocessing.get_context("fork")
    racers = 4
    barrier = context.Barrier(racers)
    results = context.Queue()
    workers = [context.Process(target=_uphold_in_process, args=(path, appeal.id, barrier, results))
               for _ in range(racers)]
    for worker in workers:
        worker.start()
    outcomes = sorted(results.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    assert outcomes == ["refused"] * (racers - 1) + ["upheld"]
    with gp.Engine(path, load_entrypoints=False, clock=lambda: NOW) as engine:
        reversals = [e for e in engine.explain("M1", "2026-11") if e.reason == "reversal"]
        assert len(reversals) == 1 and engine.score("M1", "2026-11") == 12 and engine.ledger.verify()


# -- appeal ids ----------------------------------------------------------------------------


def test_appeals_have_their_own_numbers_recorded_in_the_chain() -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW)
    entries = setup(engine)
    first = engine.appeal(entries["c1/rule"].seq, by="M1", reason="not me")
    second = engine.appeal(entries["h1/derived"].seq, by="M1", reason="on time")
    assert (first.id, second.id) == ("A-1", "A-2")
    assert (first.seq, second.seq) == (5, 6)  # the ledger's numbers are the decisions' seqs, not the ids
    opened = engine.decisions(action="appeal")
    assert [d.detail["appeal"] for d in opened] == ["A-1", "A-2"]  # in the row the chain commits to
    upheld = engine.get_appeal("A-2").uphold(by="考核办")
    assert upheld.id == "A-2" and upheld.status == "upheld"
    assert [d.action for d in engine.decisions(subject="appeal:A-2")] == ["uphold"]
    assert engine.get_appeal(" A-2 ") == upheld
    assert engine.get_appeal(second.seq) == upheld  # an int: the seq ids were before, still found
    assert [a.id for a in engine.appeals()] == ["A-1", "A-2"]
    assert engine.ledger.verify()


def test_a_bad_appeal_id_is_a_clear_error() -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW)
    entries = setup(engine)
    with pytest.raises(gp.NotFoundError, match="no appeal A-1; none was opened"):
        engine.get_appeal("A-1")
    engine.appeal(entries["c1/rule"].seq, by="M1", reason="not me")
    with pytest.raises(gp.NotFoundError, match=r"no appeal A-7 \(the last one opened is A-1\)"):
        engine.get_appeal("A-7")
    for bad in ("12", "A-0", "A-01", "B-1", "A-1x", ""):
        with pytest.raises(ValueError, match=f"appeal_id: {bad!r} is not an appeal id like 'A-12'"):
            engine.get_appeal(bad)
    with pytest.raises(TypeError, match="appeal_id: True is not an appeal id"):
        engine.get_appeal(True)
    with pytest.raises(gp.NotFoundError, match="no appeal 3 "):
        engine.get_appeal(3)  # seq 3 is an entry, not an appeal's opening


def test_appeals_opened_before_they_had_numbers_keep_their_place_and_their_decisions() -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW)
    entries = setup(engine)
    # As a ledger written before appeal numbers holds them: no id in the detail, decisions about
    # the appeal under "appeal:<seq of its opening>".
    with engine.desk.decide() as sitting:
        old = sitting.record("appeal", f"entry:{entries['c1/rule'].seq}", by="M1", note="not me",
                             member_id="M1", detail={"member": "M1"}, month="2026-11")
    with engine.desk.decide() as sitting:
        sitting.record("dismiss", f"appeal:{old.seq}", by="考核办", note="stands", member_id="M1", month="2026-11")
    legacy = engine.get_appeal("A-1")
    assert (legacy.seq, legacy.status, legacy.decided_by) == (old.seq, "dismissed", "考核办")
    assert engine.get_appeal(old.seq) == legacy
    again = engine.appeal(entries["c1/rule"].seq, by="M1", reason="new evidence")
    assert again.id == "A-2"  # the next number after the one it would have had
    assert [(a.id, a.status) for a in engine.appeals()] == [("A-1", "dismissed"), ("A-2", "open")]


def test_an_appeal_opened_after_the_look_up_and_before_the_lock_is_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW)
    entries = setup(engine)
    assert engine.appeal(entries["c1/rule"].seq, by="M1", reason="first").id == "A-1"
    # As if A-1 had been opened by another process after this one read the head and the appeals
    # but before it took the write lock: the count under the lock finds it through the transaction.
    real_head, stale = engine.store.head, iter([(0, GENESIS)])  # only the look-up before the lock is stale
    monkeypatch.setattr(engine.store, "head", lambda: next(stale, None) or real_head())
    assert engine.appeal(entries["p1/rule"].seq, by="M1", reason="second").id == "A-2"


def _open_in_process(path: str, seq: int, barrier: object, results: object) -> None:
    engine = gp.Engine(path, load_entrypoints=False, clock=lambda: NOW)
    barrier.wait()  # type: ignore[attr-defined]
    try:
        results.put(engine.appeal(seq, by="M1", reason="at once").id)  # type: ignore[attr-defined]
    finally:
        engine.close()


@pytest.mark.slow
def test_appeals_opened_at_once_by_several_processes_get_distinct_numbers(tmp_path: Path) -> None:
    path = str(tmp_path / "numbers.db")
    with gp.Engine(path, load_entrypoints=False, clock=lambda: NOW) as engine:
        seqs = [e.seq for e in setup(engine).values()]
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(seqs))
    results = context.Queue()
    workers = [context.Process(target=_open_in_process, args=(path, seq, barrier, results)) for seq in seqs]
    for worker in workers:
        worker.start()
    ids = sorted(results.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    assert ids == [f"A-{n}" for n in range(1, len(seqs) + 1)]
    with gp.Engine(path, load_entrypoints=False, clock=lambda: NOW) as engine:
        assert sorted(a.id for a in engine.appeals()) == ids and engine.ledger.verify()


# -- corrections ---------------------------------------------------------------------------


def test_a_correction_reverses_every_entry_and_books_the_replacement(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine()
    entries = setup(engine)
    replacement = gp.Event("h1b", "M1", "hazard", at(5), reported_at=at(5) + timedelta(hours=2),
                           attributes={"severity": "major", "evidence": "h1.jpg"})
    decision = engine.correct("h1", replacement, by="录入员", reason="severity and report time mistyped")
    assert (decision.action, decision.subject, decision.by) == ("correct", "event:h1", "录入员")
    after = engine.explain("M1", "2026-11")
    reversals = [e for e in after if e.reason == "reversal"]
    assert sorted((e.ref, e.points) for e in reversals) == sorted([
        (f"seq:{entries['h1/rule'].seq}", Decimal(-10)), (f"seq:{entries['h1/derived'].seq}", Decimal(3))])
    (booked,) = [e for e in after if e.event_id == "h1b"]
    assert (booked.reason, booked.ref, booked.points) == ("correction", "h1", Decimal(20))
    assert decision.detail == {"replacement": "h1b", "reversals": [e.seq for e in reversals], "entries": [booked.seq]}
    decision_entry = next(e for e in after if e.rule == "correct")
    assert decision_entry.ref == "h1b" and decision_entry.seq == decision.seq
    assert engine.score("M1", "2026-11") == -10 + 5 + 20
    assert engine.ledger.verify()
    with pytest.raises(gp.ReviewError, match="event 'h1' is corrected; only a booked event"):
        engine.correct("h1", replacement, by="x", reason="y")
    # The replacement is an ordinary booked event: it can be corrected in turn.
    engine.correct("h1b", {"id": "h1c", "member_id": "M1", "kind": "hazard", "occurred_at": at(5).isoformat()},
                   by="x", reason="not major after all")
    assert engine.score("M1", "2026-11") == -10 + 5 + 10


def test_a_correction_does_not_reverse_an_entry_an_appeal_already_reversed() -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW)
    entries = setup(engine)
    engine.appeal(entries["h1/derived"].seq, by="M1", reason="on time").uphold(by="a")
    engine.correct("h1", gp.Event("h1b", "M1", "hazard", at(6)), by="x", reason="wrong day")
    reversed_refs = [e.ref for e in engine.explain("M1", "2026-11") if e.reason == "reversal"]
    assert sorted(reversed_refs) == sorted([f"seq:{entries['h1/derived'].seq}", f"seq:{entries['h1/rule'].seq}"])
    assert engine.score("M1", "2026-11") == -10 + 5 + 10
