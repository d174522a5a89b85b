"""Closing and settling: a month closes once, and later changes and ratings are booked where they belong."""

from __future__ import annotations

from decimal import Decimal

import pytest

import gridpoints as gp
from gridpoints.testing._conformance.base import ConformanceBase
from gridpoints.testing._conformance.fixtures import OCT, at, october, rate


class ClosingAndSettling(ConformanceBase):
    def test_a_month_is_closed_once_and_only_when_it_has_ended(self) -> None:
        engine = self.engine(members=False)
        october(engine)
        engine.close_period("2026-10", by="a")
        head = engine.ledger.head()
        with pytest.raises(gp.LedgerError, match=r"2026-10 was closed by a at .*; a closed month is never reopened"):
            engine.close_period("2026-10", by="b")
        with pytest.raises(ValueError, match="only a month can be closed, not 2026-Q4"):
            engine.close_period("2026-Q4", by="a")
        with pytest.raises(ValueError, match=r"2027-06 has not ended yet \(now 2027-06-01T00:00:00\+08:00\)"):
            engine.close_period("2027-06", by="a")
        with pytest.raises(ValueError, match="by: must not be empty"):
            engine.close_period("2026-09", by="")
        assert engine.ledger.head() == head

    def test_later_changes_to_a_closed_month_are_booked_in_the_next_open_month(self) -> None:
        engine = self.engine(members=False)
        october(engine)
        frozen = engine.close_period("2026-10", by="a").report
        oct_scores = {m: engine.score(m, "2026-10") for m in ("M1", "M2")}
        # A late event, an approval, an upheld appeal and a correction, all about October.
        assert engine.ingest([gp.Event("late", "M1", "patrol", at(20, month=OCT))]).accepted == ("late",)
        engine.review.approve("m1", by="r")
        service = next(e for e in engine.explain("M1", "2026-10") if e.event_id == "s1")
        engine.appeal(service.seq, by="M1", reason="x").uphold(by="r")
        engine.correct("p2", gp.Event("p2b", "M2", "service", at(5, month=OCT)), by="r", reason="was a service")
        assert engine.report("2026-10").rows == frozen.rows
        assert {m: engine.score(m, "2026-10") for m in ("M1", "M2")} == oct_scores
        november = engine.explain("M1", "2026-11") + engine.explain("M2", "2026-11")
        moved = {(e.event_id, e.reason): e for e in november if e.reason != "decision"}
        assert (moved["late", "rule"].day, moved["late", "rule"].ref) == ("2026-10-20", "period:2026-10")
        assert moved["m1", "rule"].ref == "period:2026-10" and moved["m1", "rule"].points == 15
        assert moved["s1", "reversal"].ref == f"seq:{service.seq}" and moved["s1", "reversal"].day == "2026-10-04"
        assert moved["p2", "reversal"].points == -5 and moved["p2b", "correction"].ref == "p2"
        assert engine.score("M1", "2026-11") == 5 - 10 and engine.score("M2", "2026-11") == 15 - 5 + 10
        assert engine.ledger.verify()

    def test_a_failing_award_plugin_books_nothing_and_leaves_the_month_open(self) -> None:
        class Broken:
            @gp.hookimpl
            def gridpoints_period_awards(self, member: gp.Member) -> list[gp.Award]:
                if member.id == "B":
                    raise RuntimeError("boom")
                return []

        engine = self.engine(members=False, checks=False, plugins=[Broken()])
        engine.add_members([gp.Member(id="A", region="urban"), gp.Member(id="B", region="urban")])
        rate(engine, "A", [5] * 5)
        head = engine.ledger.head()
        with pytest.raises(gp.PluginError, match="boom"):
            engine.settle("2026-11")
        assert engine.ledger.head() == head and engine.store.settled_periods() == set()

    def test_a_late_rating_of_a_closed_month_counts_where_it_was_booked(self) -> None:
        engine = self.engine(members=False, checks=False)
        engine.add_members([gp.Member(id="A", region="urban")])
        rate(engine, "A", [5] * 4)  # November: four ratings, too few
        engine.close_period("2026-11", by="office")  # settles November: no award
        rate(engine, "A", [5])  # a fifth November rating, booked into December
        rate(engine, "A", [5] * 4, month=12)
        assert [a.points for _, a in engine.settle("2026-12").awards] == [Decimal(10)]
        assert (engine.score("A", "2026-11"), engine.score("A", "2026-12")) == (Decimal(0), Decimal(10))
