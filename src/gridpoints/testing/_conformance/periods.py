"""Period queries: queries follow the engine's zone, and aggregates match the reference."""

from __future__ import annotations

from decimal import Decimal

import gridpoints as gp
from gridpoints.testing._conformance.base import ConformanceBase
from gridpoints.testing._conformance.fixtures import at, xiao_li_month


class Periods(ConformanceBase):
    def test_period_queries_follow_the_engine_time_zone(self) -> None:
        engine = self.engine()
        engine.ingest([
            gp.Event("nov", "M001", "patrol", at(30, 23).replace(minute=30)),  # 15:30 UTC, still November
            gp.Event("dec", "M001", "mediation", at(1, 0, month=12).replace(minute=30), attributes={"evidence": "x"}),
            gp.Event("oct", "M002", "service", at(15, month=10)),
            gp.Event("jan", "M003", "absence", at(5, month=1, year=2027)),
        ])
        assert [engine.score("M001", p) for p in ("2026-11", "2026-12", "2026-Q4", "2026")] == [5, 15, 20, 20]
        assert engine.score("M002", "2026-Q4") == 10 and engine.score("M003", "2027-Q1") == -5
        assert engine.store.totals(["2026-10", "2026-11", "2026-12"]) == {"M001": 2000, "M002": 1000}
        assert engine.store.totals(["2026-12"], member_id="M002") == {}
        assert [e.event_id for e in engine.explain("M001", "2026-Q4")] == ["nov", "dec"]
        rows = {r.member_id: (r.score, r.rank) for r in engine.report("2026-Q4")}
        assert rows == {"M001": (Decimal(20), 1), "M002": (Decimal(10), 2), "M003": (Decimal(0), 3)}

    def test_reports_aggregate_the_same_as_the_reference(self) -> None:
        engine, reference = self.engine(), self.reference()
        for e in (engine, reference):
            e.ingest(xiao_li_month("M001") + xiao_li_month("M002")[:7])
        assert list(engine.report("2026-11")) == list(reference.report("2026-11"))

    def test_aggregates_and_settled_months_match_the_reference(self) -> None:
        engine, reference = self.engine(), self.reference()
        ratings = [gp.Event(f"r{n}", "M003", "rating", at(n), attributes={"stars": 5}) for n in range(1, 7)]
        for e in (engine, reference):
            e.ingest([*xiao_li_month("M001"), *xiao_li_month("M002")[:7], *ratings,
                      gp.Event("q", "M003", "patrol", at(2), quantity="2.5"),
                      gp.Event("dec", "M003", "service", at(2, month=12))])
            e.settle("2026-11")
        store, ref = engine.store, reference.store
        months = ["2026-11", "2026-12"]
        assert store.totals_by_kind(months) == ref.totals_by_kind(months) != {}
        assert store.totals_by_kind(months, member_id="M003") == ref.totals_by_kind(months, member_id="M003")
        assert store.totals_by_month(months) == ref.totals_by_month(months)
        assert store.quantities_by_kind(months) == ref.quantities_by_kind(months)
        assert store.quantities_by_kind(["2026-11"])["M003"]["patrol"] == Decimal("2.5")
        assert list(store.booked_events(months)) == list(ref.booked_events(months))
        assert list(store.booked_events(["2026-11"], kinds=["mediation"])) == list(
            ref.booked_events(["2026-11"], kinds=["mediation"]))
        assert store.settled_periods() == ref.settled_periods() == {"2026-11"}
        engine = self.reopen(engine)
        assert engine.store.settled_periods() == {"2026-11"}
        assert engine.settle("2026-11").entries == reference.settle("2026-11").entries
        assert list(engine.store.chain_rows()) == list(ref.chain_rows())
