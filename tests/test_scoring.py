"""Scoring semantics: first match, conditions, caps, derived deductions, versions, rounding, grades."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import gridpoints as gp
from tests.conftest import NOW, SHANGHAI, at


def ruleset_plugin(*rulesets: gp.RuleSet) -> object:
    class Plugin:
        @gp.hookimpl
        def gridpoints_rulesets(self) -> list[gp.RuleSet]:
            return list(rulesets)

    return Plugin()


def local_engine(*rulesets: gp.RuleSet, store: str | None = None, **kwargs: object) -> gp.Engine:
    engine = gp.Engine(
        store, ruleset=rulesets[0].id, plugins=[ruleset_plugin(*rulesets)],
        load_entrypoints=False, clock=lambda: NOW, **kwargs,  # type: ignore[arg-type]
    )
    engine.add_members([gp.Member(id="M1", region="urban"), gp.Member(id="M2", region="rural")])
    return engine


def points(engine: gp.Engine, member: str = "M1") -> list[tuple[str, Decimal, str]]:
    return [(e.kind, e.points, e.reason) for e in engine.explain(member, "2026-11")]


def test_first_matching_rule_applies(engine: gp.Engine) -> None:
    engine.add_members([gp.Member(id="M1", region="urban")])
    engine.ingest([
        gp.Event("h1", "M1", "hazard", at(1), attributes={"severity": "major", "evidence": "h1.jpg"}),
        gp.Event("h2", "M1", "hazard", at(2), attributes={"severity": "minor"}),
        gp.Event("h3", "M1", "hazard", at(3)),
        gp.Event("c1", "M1", "complaint", at(4), attributes={"severity": "serious"}),
        gp.Event("c2", "M1", "complaint", at(5)),
    ])
    assert [(e.rule, e.points) for e in engine.explain("M1", "2026-11")] == [
        ("hazard.1", Decimal(20)), ("hazard.2", Decimal(10)), ("hazard.2", Decimal(10)),
        ("complaint.1", Decimal(-20)), ("complaint.2", Decimal(-10)),
    ]


def test_membership_and_range_conditions() -> None:
    rules = gp.RuleSet("local", "1", "2000-01-01", [
        gp.Rule("service", 12, when={"topic": {"in": ["elderly", "disabled"]}}),
        gp.Rule("service", 8, when={"hours": {"gte": 2, "lt": "4.5"}}),
        gp.Rule("service", 3, when={"hours": {"gte": "4.5"}, "topic": {"not_in": ["paperwork"]}}),
        gp.Rule("service", 1),
    ])
    engine = local_engine(rules)
    engine.ingest([
        gp.Event("a", "M1", "service", at(1), attributes={"topic": "elderly"}),
        gp.Event("b", "M1", "service", at(2), attributes={"hours": "2"}),
        gp.Event("c", "M1", "service", at(3), attributes={"hours": 4}),
        gp.Event("d", "M1", "service", at(4), attributes={"hours": "4.5"}),
        gp.Event("e", "M1", "service", at(5), attributes={"hours": "4.5", "topic": "paperwork"}),
        gp.Event("f", "M1", "service", at(6), attributes={"hours": "lots"}),
        gp.Event("g", "M1", "service", at(7)),
    ])
    assert [p for _, p, _ in points(engine)] == [12, 8, 8, 3, 1, 1, 1]


def test_kinds_without_rules_are_rejected_never_scored_zero(engine: gp.Engine) -> None:
    engine.add_members([gp.Member(id="M1", region="urban")])
    result = engine.ingest([gp.Event("x", "M1", "karaoke", at(1))])
    assert [(r.code, r.message) for r in result.rejected] == [
        ("unknown_kind", "kind: rule set standard has no rule for 'karaoke'")
    ]
    assert engine.ledger.head()[0] == 0


def test_no_matching_rule_is_rejected() -> None:
    engine = local_engine(gp.RuleSet("local", "1", "2000-01-01", [gp.Rule("hazard", 20, when={"severity": "major"})]))
    result = engine.ingest([gp.Event("x", "M1", "hazard", at(1), attributes={"severity": "minor"})])
    assert [r.code for r in result.rejected] == ["no_matching_rule"]


def test_day_cap_books_zero_point_entries_with_reason_cap() -> None:
    rules = gp.RuleSet("local", "1", "2000-01-01", [gp.Rule("patrol", 5, cap={"day": 12})])
    engine = local_engine(rules)
    engine.ingest([gp.Event(f"p{n}", "M1", "patrol", at(3, 8 + n)) for n in range(4)])
    engine.ingest([gp.Event("next-day", "M1", "patrol", at(4))])
    assert points(engine) == [
        ("patrol", 5, "rule"), ("patrol", 5, "rule"), ("patrol", 2, "cap"), ("patrol", 0, "cap"),
        ("patrol", 5, "rule"),
    ]
    assert engine.score("M1", "2026-11") == 17


def test_month_cap_holds_across_ingest_calls_and_reopening(tmp_path: Path) -> None:
    rules = gp.RuleSet("local", "1", "2000-01-01", [gp.Rule("complaint", -10, cap={"month": 25})])
    path = str(tmp_path / "p.db")
    with local_engine(rules, store=path) as engine:
        engine.ingest([gp.Event("c1", "M1", "complaint", at(1)), gp.Event("c2", "M1", "complaint", at(2))])
    with local_engine(rules, store=path) as engine:
        engine.ingest([gp.Event("c3", "M1", "complaint", at(3)), gp.Event("c4", "M1", "complaint", at(4))])
        assert [p for _, p, _ in points(engine)] == [-10, -10, -5, 0]
        engine.ingest([gp.Event("dec", "M1", "complaint", datetime(2026, 12, 1, tzinfo=SHANGHAI))])
        assert engine.score("M1", "2026-12") == -10


@pytest.mark.parametrize("per", ["day", "month"])
def test_a_correction_frees_the_cap_room_of_the_entries_it_reverses(per: str, tmp_path: Path) -> None:
    rules = gp.RuleSet("local", "1", "2000-01-01", [gp.Rule("patrol", 5, cap={per: 10})])
    for store in (None, str(tmp_path / f"{per}.db")):
        engine = local_engine(rules, store=store)
        engine.ingest([gp.Event("p1", "M1", "patrol", at(3, 8)), gp.Event("p2", "M1", "patrol", at(3, 9))])
        engine.correct("p2", gp.Event("p2b", "M1", "patrol", at(3, 9)), by="考核办", reason="wrong point")
        # p2's reversal (staged in the same transaction) gives its 5 points of room back first.
        assert [p for p in points(engine) if p[0] == "patrol"] == [
            ("patrol", 5, "rule"), ("patrol", 5, "rule"), ("patrol", -5, "reversal"), ("patrol", 5, "correction"),
        ], store
        assert engine.score("M1", "2026-11") == 10


def test_cap_applies_to_booked_points_after_the_coefficient() -> None:
    rules = gp.RuleSet("local", "1", "2000-01-01", [gp.Rule("patrol", 5, cap={"day": 10})],
                       coefficients={"rural": "1.5"})
    engine = local_engine(rules)
    engine.ingest([gp.Event(f"p{n}", "M2", "patrol", at(3, 8 + n)) for n in range(2)])
    assert [p for _, p, _ in points(engine, "M2")] == [Decimal("7.5"), Decimal("2.5")]


@pytest.mark.parametrize(
    ("kind", "delay", "late"),
    [
        ("hazard", timedelta(hours=25), True),
        ("hazard", timedelta(hours=24), False),
        ("hazard", None, False),
        ("group_incident", timedelta(days=3), True),
        ("patrol", timedelta(days=3), False),
    ],
)
def test_late_reports_of_reportable_kinds_derive_a_deduction(
    engine: gp.Engine, kind: str, delay: timedelta | None, late: bool
) -> None:
    engine.add_members([gp.Member(id="M1", region="urban")])
    occurred = at(3)
    event = gp.Event("e1", "M1", kind, occurred, reported_at=None if delay is None else occurred + delay,
                     attributes={"verified": True})
    assert engine.ingest([event]).accepted == ("e1",)
    entries = engine.explain("M1", "2026-11")
    derived = [e for e in entries if e.reason == "derived"]
    if late:
        assert [(e.kind, e.points, e.ref, e.event_id, e.period) for e in derived] == [
            ("late_report", Decimal(-3), "e1", "e1", "2026-11")
        ]
    else:
        assert derived == [] and len(entries) == 1


def test_each_event_is_scored_by_the_version_in_effect() -> None:
    v1 = gp.RuleSet("local", "2026.1", "2026-01-01", [gp.Rule("patrol", 5)])
    v2 = gp.RuleSet("local", "2026.2", "2026-11-15", [gp.Rule("patrol", 6)])
    engine = local_engine(v2, v1)
    result = engine.ingest([
        gp.Event("before", "M1", "patrol", datetime(2026, 11, 14, 23, 59, tzinfo=SHANGHAI)),
        gp.Event("after", "M1", "patrol", datetime(2026, 11, 15, 0, 0, tzinfo=SHANGHAI)),
        gp.Event("ancient", "M1", "patrol", datetime(2025, 12, 31, 23, tzinfo=SHANGHAI)),
    ])
    entries = engine.explain("M1", "2026-11")
    assert [(e.event_id, e.points, e.version, e.digest) for e in entries] == [
        ("before", 5, "2026.1", v1.digest()), ("after", 6, "2026.2", v2.digest()),
    ]
    assert [(r.event_id, r.code) for r in result.rejected] == [("ancient", "no_rule_version")]
    assert "before rule set local's first version 2026.1" in result.rejected[0].message


def test_standard_rule_set_scores_history_from_2000() -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW)
    engine.add_members([gp.Member(id="M1", region="urban")])
    result = engine.ingest([
        gp.Event("old", "M1", "patrol", datetime(2000, 1, 1, tzinfo=SHANGHAI)),
        gp.Event("older", "M1", "patrol", datetime(1999, 12, 31, 23, 59, tzinfo=SHANGHAI)),
    ])
    assert result.accepted == ("old",) and [r.code for r in result.rejected] == ["no_rule_version"]


def test_changing_a_version_in_place_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "p.db")
    local_engine(gp.RuleSet("local", "1", "2000-01-01", [gp.Rule("patrol", 5)]), store=path).close()
    with pytest.raises(gp.ConfigurationError, match="rule set local version 1 changed in place"):
        local_engine(gp.RuleSet("local", "1", "2000-01-01", [gp.Rule("patrol", 6)]), store=path)
    # A new version string is fine, and the old entries keep theirs.
    local_engine(gp.RuleSet("local", "1", "2000-01-01", [gp.Rule("patrol", 5)]),
                 gp.RuleSet("local", "2", "2027-01-01", [gp.Rule("patrol", 6)]), store=path).close()


@pytest.mark.parametrize(
    ("coefficient", "base", "quantity", "expected"),
    [
        ("1.2", 5, 1, "6.00"),
        ("1.15", 5, 1, "5.75"),
        ("1.125", 10, 1, "11.25"),
        ("1.333", 5, 1, "6.67"),   # 6.665 rounds half up
        ("1.001", 5, 1, "5.01"),   # 5.005 rounds half up
        ("1.2", 5, 3, "18.00"),    # quantized once, not per unit
        ("1.111", 5, 3, "16.67"),  # 16.665 once, not 5.56 × 3 = 16.68
    ],
)
def test_points_are_quantized_once_half_up(coefficient: str, base: int, quantity: int, expected: str) -> None:
    rules = gp.RuleSet("local", "1", "2000-01-01", [gp.Rule("patrol", base)], coefficients={"rural": coefficient})
    engine = local_engine(rules)
    engine.ingest([gp.Event("p", "M2", "patrol", at(3), quantity=quantity)])
    (entry,) = engine.explain("M2", "2026-11")
    assert str(entry.points) == expected and entry.coefficient == Decimal(coefficient)


def test_decimal_quantities_and_negative_rounding() -> None:
    rules = gp.RuleSet("local", "1", "2000-01-01", [gp.Rule("absence", "-2.5"), gp.Rule("service", "0.333")])
    engine = local_engine(rules)
    engine.ingest([
        gp.Event("a", "M1", "absence", at(3), quantity="0.5"),  # −1.25
        gp.Event("s", "M1", "service", at(4), quantity="1.5"),  # 0.4995 → 0.50
    ])
    assert [p for _, p, _ in points(engine)] == [Decimal("-1.25"), Decimal("0.50")]


@pytest.mark.parametrize(
    ("score", "grade"),
    [("80", "excellent"), ("79.99", "qualified"), ("60", "qualified"), ("59.99", "unqualified"),
     ("127", "excellent"), ("0", "unqualified"), ("-5", "unqualified")],
)
def test_grade_boundaries(score: str, grade: str) -> None:
    rules = gp.RuleSet("local", "1", "2000-01-01", [gp.Rule("adjust", 1)])
    engine = local_engine(rules)
    engine.ingest([gp.Event("a", "M1", "adjust", at(3), quantity=score)] if Decimal(score) > 0 else [])
    if Decimal(score) < 0:
        rules_neg = gp.RuleSet("neg", "1", "2000-01-01", [gp.Rule("adjust", -1)])
        engine = local_engine(rules_neg)
        engine.ingest([gp.Event("a", "M1", "adjust", at(3), quantity=score.lstrip("-"))])
    row = engine.report("2026-11").row("M1")
    assert (row.score, row.grade.value) == (Decimal(score), grade)


def test_rule_set_grade_thresholds_replace_the_defaults() -> None:
    rules = gp.RuleSet("local", "1", "2000-01-01", [gp.Rule("patrol", 5)], grades={"excellent": 10, "qualified": 5})
    engine = local_engine(rules)
    engine.ingest([gp.Event("a", "M1", "patrol", at(3)), gp.Event("b", "M1", "patrol", at(4))])
    grades = {r.member_id: r.grade for r in engine.report("2026-11")}
    assert grades == {"M1": gp.Grade.EXCELLENT, "M2": gp.Grade.UNQUALIFIED}


def test_future_events_are_invalid(engine: gp.Engine) -> None:
    engine.add_members([gp.Member(id="M1", region="urban")])
    result = engine.ingest([
        gp.Event("soon", "M1", "patrol", NOW + timedelta(minutes=4)),
        gp.Event("later", "M1", "patrol", NOW + timedelta(hours=1)),
    ])
    assert result.accepted == ("soon",)
    assert [(r.event_id, r.code) for r in result.rejected] == [("later", "invalid")]
    assert "occurred_at" in result.rejected[0].message and "future" in result.rejected[0].message


def test_events_outside_membership_are_rejected(engine: gp.Engine) -> None:
    engine.add_members([gp.Member(id="M1", region="urban", joined=date(2026, 11, 10), left=date(2026, 11, 20))])
    result = engine.ingest([gp.Event(f"d{d}", "M1", "patrol", at(d)) for d in (9, 10, 20, 21)])
    assert result.accepted == ("d10", "d20")
    assert [(r.event_id, r.code) for r in result.rejected] == [("d9", "inactive_member"), ("d21", "inactive_member")]


def test_missing_attributes_fail_eq_and_ranges_but_satisfy_ne_and_not_in() -> None:
    rules = gp.RuleSet("local", "1", "2000-01-01", [
        gp.Rule("report", 4, when={"channel": {"ne": "phone"}, "topic": {"not_in": ["noise"]}}),
        gp.Rule("report", 2, when={"stars": {"lte": 5}}),
        gp.Rule("report", 1),
    ])
    engine = local_engine(rules)
    engine.ingest([
        gp.Event("a", "M1", "report", at(1)),
        gp.Event("b", "M1", "report", at(2), attributes={"channel": "phone", "stars": 3}),
        gp.Event("c", "M1", "report", at(3), attributes={"channel": "phone", "topic": "noise"}),
        gp.Event("d", "M1", "report", at(4), attributes={"channel": "app", "topic": "road"}),
    ])
    assert [p for _, p, _ in points(engine)] == [4, 2, 1, 4]
