"""The synthetic month is deterministic, realistic in shape, and fully bookable."""

from __future__ import annotations

from collections import Counter

import gridpoints as gp
from gridpoints.demo import demo_events, demo_members
from tests.conftest import NOW


def test_the_demo_month_is_deterministic_and_bookable() -> None:
    members = demo_members(60, seed=7)
    first = [e.payload() for e in demo_events(members, "2026-11", seed=7)]
    assert first == [e.payload() for e in demo_events(demo_members(60, seed=7), "2026-11", seed=7)]
    assert first != [e.payload() for e in demo_events(members, "2026-11", seed=8)]
    kinds = Counter(p.split("\x1f")[1] for p in first)
    assert kinds.most_common(1)[0][0] == "patrol" and kinds["rating"] > 0
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW)
    engine.add_members(members)
    result = engine.ingest(demo_events(members, "2026-11", seed=7))
    assert result.total == len(first) and not result.rejected
    assert {r.grade for r in engine.report("2026-11")} == set(gp.Grade)
