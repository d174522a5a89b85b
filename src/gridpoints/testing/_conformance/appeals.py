"""Appeals and corrections: look-ups by ref, numbering across reopening, and errors that change nothing."""

from __future__ import annotations

import pytest

import gridpoints as gp
from gridpoints.testing._conformance.base import ConformanceBase
from gridpoints.testing._conformance.fixtures import at, complaint_patrol_hazard


class AppealsAndCorrections(ConformanceBase):
    def test_appeal_errors_are_clear_and_change_nothing(self) -> None:
        engine = self.engine(members=False)
        entries = complaint_patrol_hazard(engine)
        seq = entries["c1/rule"].seq
        appeal = engine.appeal(seq, by="M1", reason="r")
        head = engine.ledger.head()
        with pytest.raises(gp.NotFoundError, match="no ledger entry 999"):
            engine.appeal(999, by="M1", reason="r")
        with pytest.raises(gp.ReviewError, match=f"entry {seq} already has open appeal {appeal.id}"):
            engine.appeal(seq, by="M1", reason="again")
        with pytest.raises(gp.LedgerError, match=f"entry {appeal.seq} is a decision"):
            engine.appeal(appeal.seq, by="M1", reason="r")
        with pytest.raises(TypeError, match="entry_seq: '3' is not"):
            engine.appeal("3", by="M1", reason="r")  # type: ignore[arg-type]
        assert engine.ledger.head() == head
        upheld = appeal.uphold(by="a")
        head = engine.ledger.head()
        with pytest.raises(gp.ReviewError, match=f"appeal {appeal.id} was already upheld by a"):
            appeal.uphold(by="b")
        with pytest.raises(gp.ReviewError, match="already upheld"):
            appeal.dismiss(by="b", reason="x")
        with pytest.raises(gp.LedgerError, match=f"entry {seq} was already reversed by entry {upheld.reversal_seq}"):
            engine.appeal(seq, by="M1", reason="more")
        with pytest.raises(gp.LedgerError, match="is a reversal"):
            engine.appeal(upheld.reversal_seq, by="M1", reason="r")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="status: 'closed' is not open, reviewed, upheld or dismissed"):
            engine.appeals(status="closed")
        with pytest.raises(gp.NotFoundError, match="no appeal 12345"):
            engine.get_appeal(12345)
        assert engine.ledger.head() == head

    def test_appeals_are_numbered_in_opening_order_across_reopening(self) -> None:
        engine = self.engine(members=False)
        entries = complaint_patrol_hazard(engine)
        first = engine.appeal(entries["c1/rule"].seq, by="M1", reason="r")
        second = engine.appeal(entries["p1/rule"].seq, by="M1", reason="r")
        engine = self.reopen(engine)
        third = engine.appeal(entries["h1/rule"].seq, by="M1", reason="r")
        assert [first.id, second.id, third.id] == [a.id for a in engine.appeals()] == ["A-1", "A-2", "A-3"]
        assert engine.get_appeal("A-2").seq == engine.get_appeal(second.seq).seq == second.seq

    def test_correction_errors_change_nothing(self) -> None:
        engine = self.engine(members=False)
        complaint_patrol_hazard(engine)
        engine.ingest([gp.Event("m1", "M1", "mediation", at(8))])  # held: no evidence
        head = engine.ledger.head()
        good = gp.Event("new", "M1", "patrol", at(9))
        with pytest.raises(ValueError, match="replacement needs a new event id, not 'p1'"):
            engine.correct("p1", gp.Event("p1", "M1", "patrol", at(9)), by="x", reason="y")
        with pytest.raises(gp.NotFoundError, match="no booked event 'zz'"):
            engine.correct("zz", good, by="x", reason="y")
        with pytest.raises(gp.ReviewError, match=r"event 'm1' is held; only a booked event"):
            engine.correct("m1", good, by="x", reason="y")
        with pytest.raises(gp.ReviewError, match=r"replacement\.id: 'c1' is already booked"):
            engine.correct("p1", gp.Event("c1", "M1", "patrol", at(9)), by="x", reason="y")
        with pytest.raises(ValueError, match="replacement: 'new' cannot be booked: unknown_member"):
            engine.correct("p1", gp.Event("new", "M9", "patrol", at(9)), by="x", reason="y")
        with pytest.raises(ValueError, match="replacement: occurred_at: missing"):
            engine.correct("p1", {"id": "new", "member_id": "M1", "kind": "patrol"}, by="x", reason="y")
        with pytest.raises(ValueError, match="reason: must not be empty"):
            engine.correct("p1", good, by="x", reason="")
        assert engine.ledger.head() == head and engine.score("M1", "2026-11") == 2
        assert engine.ingest([good]).accepted == ("new",)
