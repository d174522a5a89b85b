"""Duplicates and conflicts: an event id sent again is a duplicate or a conflict, within and across calls."""

from __future__ import annotations

import gridpoints as gp
from gridpoints.testing._conformance.base import ConformanceBase
from gridpoints.testing._conformance.fixtures import at, xiao_li_month


class Duplicates(ConformanceBase):
    def test_duplicates_and_conflicts_within_and_across_calls_and_reopening(self) -> None:
        engine = self.engine()
        first = engine.ingest(xiao_li_month())
        head = engine.store.head()
        engine = self.reopen(engine)
        again = engine.ingest([*xiao_li_month(), gp.Event("M001-patrol-1", "M001", "patrol", at(2))])
        assert again.duplicates == first.accepted and not again.accepted and again.entries == 0
        assert [(r.event_id, r.code) for r in again.rejected] == [("M001-patrol-1", "conflict")]
        one_call = engine.ingest([gp.Event("x", "M003", "patrol", at(3)), gp.Event("x", "M003", "patrol", at(3)),
                                  gp.Event("x", "M003", "patrol", at(4))])
        assert one_call.accepted == ("x",) and one_call.duplicates == ("x",)
        assert [r.code for r in one_call.rejected] == ["conflict"]
        assert engine.store.head()[0] == head[0] + 1

    def test_duplicates_and_conflicts_across_chunks_of_one_call(self) -> None:
        engine = self.engine()
        engine.pipeline.chunk_size = 2  # later chunks find earlier ones in the transaction
        result = engine.ingest([
            gp.Event("a", "M001", "patrol", at(3)),
            gp.Event("b", "M001", "patrol", at(4)),
            gp.Event("c", "M001", "patrol", at(5)),
            gp.Event("a", "M001", "patrol", at(3)),
            gp.Event("b", "M001", "patrol", at(9)),
        ])
        assert result.accepted == ("a", "b", "c") and result.duplicates == ("a",)
        assert [(r.event_id, r.code, r.index) for r in result.rejected] == [("b", "conflict", 4)]
        assert engine.score("M001", "2026-11") == 15
