"""Held events and review decisions: holds, decisions, caps and limits persist across calls like the reference."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import gridpoints as gp
from gridpoints.schema import GENESIS, CapKey, PeriodCloseRow, RuleKey
from gridpoints.testing._conformance.base import ConformanceBase
from gridpoints.testing._conformance.fixtures import (
    ChecksPlugin,
    HoldFlagged,
    HoldRepeatsAtOneLocation,
    LimitedRules,
    LocalRules,
    at,
    xiao_li_month,
)


class Review(ConformanceBase):
    def test_held_events_wait_and_decisions_persist(self) -> None:
        engine = self.engine(plugins=[ChecksPlugin(HoldFlagged())])
        flagged = [gp.Event(f"f{n}", "M001", "mediation", at(n), attributes={"flag": "yes", "n": n}) for n in (3, 1, 2)]
        result = engine.ingest([*flagged, gp.Event("ok", "M001", "patrol", at(1))])
        assert result.held == ("f3", "f1", "f2") and result.accepted == ("ok",)
        pending = engine.review.pending()
        assert [(h.event.id, h.check, h.reason) for h in pending] == [("f1", "flagged", "flagged for review"),
                                                                       ("f2", "flagged", "flagged for review"),
                                                                       ("f3", "flagged", "flagged for review")]
        assert pending[0].event == flagged[1]
        assert engine.review.approve("f1", by="auditor") == 1
        engine.review.reject("f2", by="auditor", reason="no evidence")
        engine = self.reopen(engine, plugins=[ChecksPlugin(HoldFlagged())])
        assert [h.event.id for h in engine.review.pending()] == ["f3"]
        assert engine.score("M001", "2026-11") == 20
        with pytest.raises(gp.ReviewError, match="'f1' is booked, not held"):
            engine.review.approve("f1", by="auditor")
        with pytest.raises(gp.ReviewError, match="'f2' is rejected, not held"):
            engine.review.reject("f2", by="auditor", reason="again")
        again = engine.ingest(flagged)
        assert sorted(again.duplicates) == ["f1", "f2", "f3"] and not again.held
        assert [r[5] for r in engine.store.event_rows(event_ids=["f1", "f2", "f3"])] == ["booked", "rejected", "held"]

    def test_checks_see_history_booked_by_earlier_calls(self) -> None:
        engine = self.engine(plugins=[ChecksPlugin(HoldRepeatsAtOneLocation())])
        engine.ingest([gp.Event("p1", "M001", "patrol", at(3, 9), attributes={"location": "gate"})])
        engine = self.reopen(engine, plugins=[ChecksPlugin(HoldRepeatsAtOneLocation())])
        result = engine.ingest([
            gp.Event("p2", "M001", "patrol", at(3, 9).replace(minute=30), attributes={"location": "gate"}),
            gp.Event("p3", "M001", "patrol", at(3, 11), attributes={"location": "gate"}),
            gp.Event("p4", "M002", "patrol", at(3, 9), attributes={"location": "gate"}),
        ])
        assert result.held == ("p2",) and result.accepted == ("p3", "p4")
        assert engine.review.pending()[0].ref == "p1"

    def test_caps_count_what_earlier_calls_booked(self) -> None:
        engine = self.engine(ruleset="capped", plugins=[LocalRules()])
        engine.ingest([gp.Event(f"c{n}", "M001", "complaint", at(n)) for n in (1, 2)])
        engine = self.reopen(engine, ruleset="capped", plugins=[LocalRules()])
        engine.ingest([gp.Event(f"c{n}", "M001", "complaint", at(n)) for n in (3, 4)])
        points = [(e.points, e.reason) for e in engine.explain("M001", "2026-11")]
        assert points == [(Decimal(-10), "rule"), (Decimal(-10), "rule"), (Decimal(-5), "cap"), (Decimal(0), "cap")]

    def test_count_limits_count_what_earlier_calls_booked(self) -> None:
        engine = self.engine(ruleset="limited", plugins=[LimitedRules()])
        engine.ingest([gp.Event("v1", "M001", "visit", at(3, 8)), gp.Event("c1", "M001", "case", at(3), quantity=2)])
        engine = self.reopen(engine, ruleset="limited", plugins=[LimitedRules()])
        engine.ingest([gp.Event(f"v{n}", "M001", "visit", at(3, 7 + n)) for n in (2, 3)]
                      + [gp.Event("c2", "M001", "case", at(4), quantity=2)])
        booked = [(e.event_id, e.quantity, e.reason) for e in engine.explain("M001", "2026-11")]
        assert booked == [("v1", "1", "rule"), ("c1", "2", "rule"), ("v2", "1", "rule"), ("v3", "0", "limit"),
                          ("c2", "0.5", "limit")]  # fmt: skip
        with engine.store.transaction() as tx:
            keys = [CapKey("M001", "limited", "visit.1", "day", "2026-11-03"),
                    CapKey("M001", "limited", "case.1", "period", "2026-11"),
                    CapKey("M001", "limited", "visit.1", "day", "2026-11-04")]  # fmt: skip
            assert tx.limit_totals(keys) == {keys[0]: Decimal(2), keys[1]: Decimal("2.5")}

    def test_sums_by_rule_match_the_reference(self) -> None:
        engine, reference = self.engine(), self.reference()
        for e in (engine, reference):
            e.ingest([*xiao_li_month("M001"), *xiao_li_month("M002")[:7],
                      gp.Event("late", "M002", "hazard", at(3), reported_at=at(6))])
            first = next(x for x in e.explain("M001", "2026-11") if x.kind == "mediation")
            e.appeal(first.seq, by="M001", reason="r").uphold(by="考核办")
        months = ["2026-11", "2026-12"]
        sums = engine.store.totals_by_rule(months)
        assert sums == reference.store.totals_by_rule(months) != {}
        # Per (ruleset, version, rule, kind, reason): hundredths and entries.
        assert sums["M001"][RuleKey("standard", "2026.1", "mediation.1", "mediation", "reversal")] == (-1500, 1)
        assert sums["M002"][RuleKey("standard", "2026.1", "late_report.1", "late_report", "derived")] == (-300, 1)
        assert engine.store.totals_by_rule(months, member_id="M002") == {"M002": sums["M002"]}

    def test_decisions_reversals_corrections_and_closes_match_the_reference(self) -> None:
        plugins = [ChecksPlugin(HoldFlagged())]
        engine, reference = self.engine(plugins=plugins), self.reference(plugins=plugins)

        def act(e: gp.Engine) -> Any:
            e.ingest([
                gp.Event("oct1", "M001", "patrol", at(5, month=10)),
                gp.Event("c1", "M002", "complaint", at(3)),
                gp.Event("h1", "M001", "hazard", at(4)),
                gp.Event("f1", "M003", "service", at(6), attributes={"flag": "yes"}),
                gp.Event("f2", "M003", "service", at(7), attributes={"flag": "yes"}),
            ])
            e.review.approve("f1", by="审核员", note="checked on site")
            e.review.reject("f2", by="审核员", reason="same service as f1")
            complaint = next(x for x in e.explain("M002", "2026-11") if x.event_id == "c1")
            e.appeal(complaint.seq, by="M002", reason="wrong grid").uphold(by="考核办")
            e.correct("h1", gp.Event("h1b", "M001", "hazard", at(4), attributes={"severity": "major",
                                                                                 "evidence": "h1.jpg"}),
                      by="录入员", reason="severity mistyped")
            return e.close_period("2026-10", by="考核办")

        closed, _ = act(engine), act(reference)
        assert list(engine.store.chain_rows()) == list(reference.store.chain_rows())
        assert engine.store.decision_rows() == reference.store.decision_rows()
        assert engine.store.period_closes() == reference.store.period_closes()
        assert engine.store.event_rows() == reference.store.event_rows()
        checkpoint = engine.ledger.checkpoint(key="kept elsewhere")
        engine = self.reopen(engine, plugins=plugins)
        assert engine.ledger.verify(checkpoint=str(checkpoint), key="kept elsewhere")
        assert [(c.period, c.head_seq, c.head_hash) for c in engine.closed_periods()] == [
            (closed.period, closed.head_seq, closed.head_hash)]
        assert engine.report("2026-10").rows == closed.report.rows
        decision = engine.review.decision("f2")
        assert decision is not None and (decision.action, decision.by) == ("reject", "审核员")
        assert [a.status for a in engine.appeals()] == ["upheld"]
        assert [engine.score(m, "2026-11") for m in ("M001", "M002", "M003")] == [20, 0, 10]
        with pytest.raises(gp.StoreError, match="period 2026-10 is already closed"), engine.store.transaction() as tx:
            tx.add_period_close(PeriodCloseRow("2026-10", 99, 0, GENESIS, "{}"))
