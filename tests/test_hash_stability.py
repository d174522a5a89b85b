"""The ledger's hashes are a documented format: the same events give the same hashes, release
after release. These heads were computed before the hot path was optimized (issue 8); a faster
encoding that changed a single byte would change them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import gridpoints as gp
from gridpoints.demo import demo_events, demo_members
from tests.conftest import NOW, at

DEMO_HEAD = "1a5522319cd18905d5526d0bad33933eb8fc6910595913a5469822bbdad7907c"
EDGE_HEAD = "dd9fac8dbe2c3605a2c1dc33964326ef684d7461ae835ccc81492b89340b0f4a"


def test_demo_month_with_coefficients_keeps_its_ledger_head() -> None:
    members = demo_members(60)
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW, coefficients={"suburban": "1.1", "rural": "1.2"})
    engine.add_members(members)
    engine.ingest(demo_events(members, "2026-11"))
    assert engine.ledger.verify()
    assert engine.ledger.head()[1] == DEMO_HEAD


def test_caps_decimal_quantities_and_derived_deductions_keep_their_hashes() -> None:
    rules = gp.RuleSet(
        "local",
        "1",
        "2000-01-01",
        [
            gp.Rule("patrol", 5, cap={"day": 12}),
            gp.Rule("service", "2.5"),
            gp.Rule("hazard", 10),
            gp.Rule("late_report", -3),
            gp.Rule("complaint", -10, cap={"month": 15}),
        ],
    )

    class Plugin:
        @gp.hookimpl
        def gridpoints_rulesets(self) -> list[gp.RuleSet]:
            return [rules]

    engine = gp.Engine(
        ruleset="local", plugins=[Plugin()], load_entrypoints=False, clock=lambda: NOW, coefficients={"rural": "1.15"}
    )
    engine.add_members([gp.Member(id="R1", region="rural"), gp.Member(id="U1", region="urban")])
    events = []
    for member in ("R1", "U1"):
        events += [gp.Event(f"{member}-p{n}", member, "patrol", at(3, 8 + n)) for n in range(4)]
        events += [
            gp.Event(f"{member}-s1", member, "service", at(4), quantity=Decimal("1.5")),
            gp.Event(f"{member}-s2", member, "service", at(5), quantity=3),
            gp.Event(f"{member}-h1", member, "hazard", at(6), reported_at=at(6) + timedelta(hours=30)),
            gp.Event(f"{member}-c1", member, "complaint", at(7)),
            gp.Event(f"{member}-c2", member, "complaint", at(8)),
        ]
    result = engine.ingest(events)
    assert len(result.accepted) == len(events)
    reasons = {e.reason for e in engine.ledger.entries()}
    assert reasons == {"rule", "cap", "derived"}
    assert engine.ledger.verify()
    assert engine.ledger.head()[1] == EDGE_HEAD
