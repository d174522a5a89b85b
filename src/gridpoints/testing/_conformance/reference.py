"""Every store behaves like the reference: any sequence of batches gives its outcomes and chain."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.testing._conformance.base import ConformanceBase
from gridpoints.testing._conformance.fixtures import events


class Reference(ConformanceBase):
    def test_any_sequence_of_batches_gives_the_reference_outcomes_and_chain(self) -> None:
        engine, reference = self.engine(), self.reference()

        @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(st.lists(st.lists(events, max_size=8), min_size=1, max_size=3))
        def run(batches: list[list[gp.Event]]) -> None:
            for batch in batches:
                assert engine.ingest(batch) == reference.ingest(batch)
            assert engine.store.head() == reference.store.head()
            assert engine.store.intake_head() == reference.store.intake_head()
            assert engine.store.totals(["2026-11"]) == reference.store.totals(["2026-11"])

        run()
        assert engine.ledger.verify() and list(engine.store.chain_rows()) == list(reference.store.chain_rows())
