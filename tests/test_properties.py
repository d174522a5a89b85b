"""Hypothesis properties of ingest: order independence, accounting, determinism, idempotence."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridpoints as gp
import gridpoints.ingest.outcomes
from tests.conftest import NOW, SHANGHAI

MEMBERS = [gp.Member(id=f"M{n}", region=r) for n, r in enumerate(["urban", "rural", "suburban"])]
KINDS = sorted(gp.standard_ruleset().kinds)
START = datetime(2026, 10, 1, tzinfo=SHANGHAI)


def engine(**kwargs: object) -> gp.Engine:
    eng = gp.Engine(load_entrypoints=False, clock=lambda: NOW, coefficients={"rural": "1.2", "suburban": "1.15"},
                    checks=False, **kwargs)  # type: ignore[arg-type]
    eng.add_members(MEMBERS)
    return eng


@st.composite
def events(draw: st.DrawFn, ids: st.SearchStrategy[str] | None = None) -> gp.Event:
    occurred = START + timedelta(minutes=draw(st.integers(0, 60 * 24 * 90)))
    delay = draw(st.none() | st.integers(0, 60 * 72))
    attributes: dict[str, object] = {}
    if draw(st.booleans()):
        attributes["severity"] = draw(st.sampled_from(["major", "serious", "general"]))
    kind = draw(st.sampled_from(KINDS))
    if kind == "rating":  # ratings without valid stars are rejected at ingest
        attributes["stars"] = draw(st.integers(1, 5))
    return gp.Event(
        id=draw(ids) if ids is not None else draw(st.uuids()).hex,
        member_id=draw(st.sampled_from([m.id for m in MEMBERS])),
        kind=kind,
        occurred_at=occurred,
        quantity=draw(st.integers(1, 3) | st.decimals("0.01", "5", places=2)),
        reported_at=None if delay is None else occurred + timedelta(minutes=delay),
        attributes=attributes,
    )


def period_totals(eng: gp.Engine) -> dict[tuple[str, str], Decimal]:
    return {
        (m.id, period): eng.score(m.id, period)
        for m in MEMBERS for period in ("2026-10", "2026-11", "2026-12", "2026-Q4")
    }


fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(st.lists(events(), max_size=40), st.randoms(use_true_random=False))
def test_period_totals_do_not_depend_on_arrival_order(batch: list[gp.Event], rng: Any) -> None:
    shuffled = list(batch)
    rng.shuffle(shuffled)
    one, two = engine(), engine()
    one.ingest(batch)
    # Arrival split over several calls, in another order.
    for start in range(0, len(shuffled), 7):
        two.ingest(shuffled[start:start + 7])
    assert period_totals(one) == period_totals(two)


@fast
@given(st.lists(events(), max_size=30))
def test_replay_is_deterministic_and_reingest_is_idempotent(batch: list[gp.Event]) -> None:
    one, two = engine(), engine()
    one.ingest(batch)
    two.ingest(batch)
    assert one.ledger.head() == two.ledger.head() and one.ledger.verify()
    again = one.ingest(batch)
    assert not again.accepted and len(again.duplicates) == len(batch)
    assert one.ledger.head() == two.ledger.head()


junk_values = st.one_of(
    st.none(), st.integers(-3, 3), st.floats(allow_nan=True), st.text(max_size=5),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 1, 1)),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(SHANGHAI)),
)
mappings = st.dictionaries(
    st.sampled_from(["id", "member_id", "kind", "occurred_at", "quantity", "reported_at", "attributes", "x"]),
    junk_values, max_size=8,
)
valid_mappings = events(ids=st.sampled_from(["a", "b", "c", "d"])).map(gp.Event.to_mapping)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(events(ids=st.sampled_from(["a", "b", "c", "d"])), valid_mappings, mappings,
                          st.integers(), st.text(max_size=3)), max_size=30))
def test_every_input_is_accounted_for(batch: list[object]) -> None:
    eng = engine()
    result = eng.ingest(batch)  # type: ignore[arg-type]
    assert result.total == len(batch)
    indexes = sorted(r.index for r in result.rejected)
    assert len(set(indexes)) == len(indexes) and all(0 <= i < len(batch) for i in indexes)
    assert all(r.code in gp.ingest.outcomes.REJECTION_CODES for r in result.rejected)
    # Every accepted id is booked exactly once and nothing else is.
    booked = {e.event_id for e in eng.ledger.entries()}
    assert booked == set(result.accepted)
    assert eng.ledger.verify()


@fast
@given(st.lists(events(), max_size=25))
def test_an_explicit_unit_coefficient_gives_the_same_ledger_as_none(batch: list[gp.Event]) -> None:
    class Unit:
        @gp.hookimpl
        def gridpoints_coefficient(self) -> Decimal:
            return Decimal("1.000")

    plain = gp.Engine(load_entrypoints=False, clock=lambda: NOW, checks=False)
    unit = gp.Engine(load_entrypoints=False, clock=lambda: NOW, checks=False, plugins=[Unit()])
    for eng in (plain, unit):
        eng.add_members(MEMBERS)
        eng.ingest(batch)
    assert plain.ledger.head() == unit.ledger.head()
