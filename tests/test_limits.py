"""The per-event parts of a scheme: count limits (booked like caps) and quantity bounds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridpoints as gp
from tests.conftest import NOW, at
from tests.test_toml_rules import PythonRules

D = Decimal


def limited(**scheme: object) -> PythonRules:
    return PythonRules(gp.RuleSet(
        "limited", "1", "2000-01-01",
        [gp.Rule("visit", 2, limit={"day": 2}), gp.Rule("meeting", 5, limit={"month": 3}),
         gp.Rule("case", 10, limit={"period": 4}), gp.Rule("mark", 1, quantity={"min": 10, "max": 100}),
         gp.Rule("hazard", 10), gp.Rule("late_report", -3, limit={"day": 1})],
        coefficients={"rural": "1.5"}, **scheme,  # type: ignore[arg-type]
    ))  # fmt: skip


def entries(engine: gp.Engine, member: str, period: str, kind: str) -> list[tuple[str, Decimal, str, str]]:
    return [(e.day, e.points, e.quantity, e.reason) for e in engine.explain(member, period) if e.kind == kind]


@pytest.fixture
def engine(make_engine: Callable[..., gp.Engine]) -> gp.Engine:
    made = make_engine(ruleset="limited", plugins=[limited()], checks=False)
    made.add_members([gp.Member("U", "urban"), gp.Member("R", "rural")])
    return made


def test_a_limit_counts_units_before_the_coefficient_and_cuts_an_event_in_part(engine: gp.Engine) -> None:
    engine.ingest([
        gp.Event("v1", "R", "visit", at(3, 8)), gp.Event("v2", "R", "visit", at(3, 9), quantity=3),
        gp.Event("v3", "R", "visit", at(3, 10)), gp.Event("v4", "R", "visit", at(4, 8)),
    ])  # fmt: skip
    # Day 3: 1 unit, then 3 of which 1 fits (2 × 1 × 1.5 = 3, reason limit, quantity 1), then none.
    assert entries(engine, "R", "2026-11", "visit") == [
        ("2026-11-03", D("3.00"), "1", "rule"), ("2026-11-03", D("3.00"), "1", "limit"),
        ("2026-11-03", D("0.00"), "0", "limit"), ("2026-11-04", D("3.00"), "1", "rule"),
    ]  # fmt: skip
    assert engine.explain("R", "2026-11")[2].sentence("en") == (
        "2026-11-03 visit ×0 ×coefficient 1.5 = 0 (over the count limit of day 2, rule limited 1)")
    assert engine.ledger.verify()


def test_limits_per_month_and_per_assessed_period(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine(ruleset="limited", plugins=[limited(assessment={"period": "quarter"})], checks=False)
    engine.add_members([gp.Member("U", "urban")])
    engine.ingest([gp.Event(f"m{d}", "U", "meeting", at(d)) for d in (2, 3, 4, 5)])
    assert [r for *_, r in entries(engine, "U", "2026-11", "meeting")] == ["rule", "rule", "rule", "limit"]
    # "period" is the scheme's assessed period, a quarter: 4 cases over October–December.
    engine.ingest([gp.Event(f"c{m}-{d}", "U", "case", at(d, month=m)) for m in (10, 11, 12) for d in (5, 6)])
    cases = [(e.period, e.reason) for e in engine.explain("U", "2026-Q4") if e.kind == "case"]
    assert cases == [("2026-10", "rule"), ("2026-10", "rule"), ("2026-11", "rule"), ("2026-11", "rule"),
                     ("2026-12", "limit"), ("2026-12", "limit")]  # fmt: skip


def test_an_upheld_appeal_gives_the_unit_back(engine: gp.Engine) -> None:
    engine.ingest([gp.Event("v1", "U", "visit", at(3, 8)), gp.Event("v2", "U", "visit", at(3, 9))])
    first = engine.explain("U", "2026-11")[0]
    engine.appeal(first.seq, by="U", reason="not a visit").uphold(by="考核办")
    engine.ingest([gp.Event("v3", "U", "visit", at(3, 10)), gp.Event("v4", "U", "visit", at(3, 11))])
    # The reversal takes v1's unit back, so v3 counts and v4 is the one over the limit.
    assert [e.reason for e in engine.explain("U", "2026-11") if e.kind == "visit"] == [
        "rule", "rule", "reversal", "rule", "limit"]


def test_a_correction_frees_its_original_units(engine: gp.Engine) -> None:
    engine.ingest([gp.Event("v1", "U", "visit", at(3, 8)), gp.Event("v2", "U", "visit", at(3, 9))])
    engine.correct("v2", gp.Event("v2b", "U", "visit", at(3, 9), quantity=2), by="考核办", reason="two homes")
    # v2's unit is reversed; the replacement (2 units) then has 1 unit of room: 2 points, reason limit.
    assert [(e.event_id, e.points, e.quantity, e.reason) for e in engine.explain("U", "2026-11") if e.kind == "visit"] \
        == [("v1", D("2.00"), "1", "rule"), ("v2", D("2.00"), "1", "rule"), ("v2", D("-2.00"), "1", "reversal"),
            ("v2b", D("2.00"), "1", "limit")]  # fmt: skip


def test_derived_deductions_count_against_the_rules_limit(engine: gp.Engine) -> None:
    late = timedelta(hours=30)
    engine.ingest([gp.Event(f"h{n}", "U", "hazard", at(3, n), reported_at=at(3, n) + late) for n in (8, 9)])
    assert [(p, r) for _, p, _, r in entries(engine, "U", "2026-11", "late_report")] == [
        (D("-3.00"), "derived"), (D("0.00"), "limit")]
    # The deduction the limit cut keeps the late event as its ref: not a second award of h9.
    assert [e.ref for e in engine.explain("U", "2026-11") if e.kind == "late_report"] == ["h8", "h9"]
    assert engine.ledger.verify()


def test_quantity_bounds_reject_with_a_located_message(engine: gp.Engine) -> None:
    result = engine.ingest([
        gp.Event("k1", "U", "mark", at(3), quantity=100), gp.Event("k2", "U", "mark", at(3), quantity=101),
        gp.Event("k3", "U", "mark", at(3), quantity="9.5"),
        {"id": "k4", "member_id": "U", "kind": "mark", "occurred_at": at(4).isoformat(), "quantity": "250"},
    ])  # fmt: skip
    assert result.accepted == ("k1",)
    assert [(r.event_id, r.code, r.message) for r in result.rejected] == [
        ("k2", "quantity", "quantity: 101 is above the maximum 100 of rule mark.1"),
        ("k3", "quantity", "quantity: 9.5 is below the minimum 10 of rule mark.1"),
        ("k4", "quantity", "quantity: 250 is above the maximum 100 of rule mark.1"),
    ]
    assert engine.score("U", "2026-11") == D("100.00")
    # A rejected event is not remembered: fixed, it is accepted.
    assert engine.ingest([gp.Event("k2", "U", "mark", at(3), quantity=99)]).accepted == ("k2",)


def test_a_what_if_recounts_limits_under_the_proposal(engine: gp.Engine) -> None:
    engine.ingest([gp.Event(f"v{n}", "U", "visit", at(3, n)) for n in (8, 9, 10, 11)])
    assert engine.score("U", "2026-11") == D("4.00")  # 2 of 4 visits count
    looser = gp.RuleSet("limited", "2", "2000-01-01", [gp.Rule("visit", 2, limit={"day": 3})])
    assert engine.simulate(looser, "2026-11").row("U").new_score == D("6.00")


# -- a property: whatever limits and caps do to an entry, an honest ledger verifies -----------

def often(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """``strategy`` three times in four, else None: most rules get the limit or cap."""
    return st.integers(0, 3).flatmap(lambda n: strategy if n else st.none())


#: A count limit (units a day, month or assessed period) and a cap (points a day or month).
limits = often(st.dictionaries(st.sampled_from(["day", "month", "period"]),
                               st.integers(1, 3) | st.decimals("0.5", "3", places=1), min_size=1, max_size=1))
caps = often(st.dictionaries(st.sampled_from(["day", "month"]), st.integers(0, 12), min_size=1, max_size=1))


@st.composite
def limited_and_capped_rules(draw: st.DrawFn) -> gp.RuleSet:
    """A count limit, a cap, both or neither on a visit rule, the hazard rule and the late_report
    rule whose deductions are derived from late hazard reports."""
    rules = [gp.Rule(kind, draw(points), limit=draw(limits), cap=draw(caps)) for kind, points in
             (("visit", st.integers(1, 5) | st.decimals("0.5", "5", places=1)), ("hazard", st.integers(1, 10)),
              ("late_report", st.integers(-5, -1)))]  # fmt: skip
    rural = draw(st.sampled_from(["1", "1.5", "0.8"]))
    return gp.RuleSet("random", "1", "2000-01-01", rules, coefficients={"urban": "1", "rural": rural})


@st.composite
def visits_and_late_hazards(draw: st.DrawFn) -> list[gp.Event]:
    """Up to 24 events of members U and R on two days, most hazards reported late."""
    events = []
    for n in range(draw(st.integers(1, 24))):
        kind = draw(st.sampled_from(["visit", "hazard"]))
        occurred = at(draw(st.integers(3, 4)), draw(st.integers(0, 23)))
        delay = draw(st.sampled_from([None, 2, 25, 30, 48]))
        events.append(gp.Event(
            f"e{n}", draw(st.sampled_from(["U", "R"])), kind, occurred,
            quantity=draw(st.integers(1, 3) | st.decimals("0.1", "3", places=1)),
            reported_at=None if delay is None else occurred + timedelta(hours=delay),
        ))  # fmt: skip
    return events


@pytest.mark.slow
@pytest.mark.parametrize("store", ["memory", "sqlite"])  # verify's awards count: in Python, and in SQL
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=limited_and_capped_rules(), batch=visits_and_late_hazards(), data=st.data())
def test_limits_caps_and_late_reports_book_ledgers_that_verify(
    store: str, rules: gp.RuleSet, batch: list[gp.Event], data: st.DataObject
) -> None:
    """An entry cut by a count limit and clipped by a cap, a derived deduction cut or clipped, a
    correction's replacement cut or clipped: honestly booked, over several calls, it verifies."""
    opened = gp.MemoryStore() if store == "memory" else gp.SQLiteStore(":memory:")
    engine = gp.Engine(opened, ruleset="random", plugins=[PythonRules(rules)], load_entrypoints=False,
                       clock=lambda: NOW, checks=False)  # fmt: skip
    with engine:
        engine.add_members([gp.Member("U", "urban"), gp.Member("R", "rural")])
        cut = data.draw(st.integers(0, len(batch)), label="first call")
        assert len(engine.ingest(batch[:cut]).accepted) + len(engine.ingest(batch[cut:]).accepted) == len(batch)
        if data.draw(st.booleans(), label="correct one"):
            original = data.draw(st.sampled_from(batch), label="corrected")
            replacement = gp.Event(f"{original.id}b", original.member_id, original.kind, original.occurred_at,
                                   quantity=data.draw(st.integers(1, 3), label="its quantity"),
                                   reported_at=original.reported_at)  # fmt: skip
            engine.correct(original.id, replacement, by="考核办", reason="quantity")
        result = engine.ledger.verify()
        assert result and result.notes == (), result
