"""Atomic batches: a fault in the middle of a batch books nothing."""

from __future__ import annotations

import pytest

import gridpoints as gp
from gridpoints.schema import GENESIS
from gridpoints.testing._conformance.base import ConformanceBase
from gridpoints.testing._conformance.fixtures import ChecksPlugin, HoldFlagged, RaiseOnNth, at, xiao_li_month


class AtomicBatches(ConformanceBase):
    @pytest.mark.parametrize("fault_at", [1, 12, 23])
    def test_a_failure_mid_batch_books_nothing(self, fault_at: int) -> None:
        faulty = RaiseOnNth(fault_at)
        engine = self.engine(plugins=[ChecksPlugin(faulty, HoldFlagged())])
        engine.pipeline.chunk_size = 5  # earlier chunks are already appended when the fault hits
        batch = [*xiao_li_month()[:-1], gp.Event("held", "M002", "patrol", at(4), attributes={"flag": "yes"})]
        with pytest.raises(gp.PluginError, match=f"fault at event {fault_at}"):
            engine.ingest(batch)
        assert engine.store.head() == (0, GENESIS) and engine.store.event_rows() == []
        assert engine.store.totals(["2026-11"]) == {} and engine.review.pending() == []
        faulty.n = 0
        result = engine.ingest(batch)
        assert len(result.accepted) == 22 and result.held == ("held",)
        assert engine.score("M001", "2026-11") == 130 and engine.ledger.verify()
