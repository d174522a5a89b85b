"""Construction-time validation: every error names the field and the value."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

import gridpoints as gp
from tests.conftest import at


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"id": ""}, "id: must not be empty"),
        ({"id": "   "}, "id: must not be empty"),
        ({"member_id": ""}, "member_id: must not be empty"),
        ({"kind": "pat\x1frol"}, "kind: 'pat\\x1frol' contains a control character"),
        ({"quantity": 0}, "quantity: 0 must be positive"),
        ({"quantity": -2}, "quantity: -2 must be positive"),
        ({"quantity": "abc"}, "quantity: 'abc' is not a decimal number"),
        ({"quantity": 1.5}, "quantity: 1.5 is a float"),
        ({"occurred_at": datetime(2026, 11, 3, 9)}, "occurred_at: 2026-11-03T09:00:00 has no time zone"),
        ({"occurred_at": "2026-11-03 09:00"}, "occurred_at: 2026-11-03T09:00:00 has no time zone"),
        ({"occurred_at": "yesterday"}, "occurred_at: 'yesterday' is not an ISO 8601 date-time"),
        ({"reported_at": at(2)}, "reported_at: 2026-11-02T09:00:00+08:00 is before occurred_at"),
        ({"attributes": {"a": [1]}}, "attributes['a']: [1] is a list"),
        ({"attributes": "x"}, "attributes: 'x' is a str, not a mapping"),
    ],
)
def test_event_validation_names_field_and_value(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"id": "e1", "member_id": "M1", "kind": "patrol", "occurred_at": at(3)}
    with pytest.raises((TypeError, ValueError)) as caught:
        gp.Event(**{**base, **kwargs})  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_event_normalises_quantity_and_accepts_iso_strings() -> None:
    event = gp.Event("e1", "M1", "patrol", "2026-11-03T09:00:00+08:00", quantity="2.50")
    assert event.quantity == Decimal("2.5") and event.occurred_at == at(3)
    assert gp.Event("e1", "M1", "patrol", at(3), quantity=Decimal("3.0")).quantity == 3
    # JSON floats in attributes keep the digits written.
    assert gp.Event("e", "M", "rating", at(3), attributes={"stars": 4.5}).attributes["stars"] == Decimal("4.5")


def test_payload_is_the_same_for_one_instant_in_any_zone() -> None:
    from zoneinfo import ZoneInfo

    utc = datetime(2026, 11, 3, 1, tzinfo=ZoneInfo("UTC"))
    assert gp.Event("e", "M", "patrol", utc).payload() == gp.Event("e", "M", "patrol", at(3)).payload()
    assert gp.Event("e", "M", "patrol", at(3), quantity=2).payload() != gp.Event("e", "M", "patrol", at(3)).payload()


def test_event_round_trips_through_its_payload_and_mapping() -> None:
    event = gp.Event("e1", "M1", "hazard", at(3), quantity=2, reported_at=at(4),
                     attributes={"severity": "major", "n": 3})
    again = gp.Event.from_payload("e1", event.payload())
    assert again.payload() == event.payload() and again.occurred_at == event.occurred_at
    assert gp.Event.from_mapping(event.to_mapping()) == event


def test_event_from_mapping_names_unknown_and_missing_fields() -> None:
    with pytest.raises(ValueError, match="severity: unknown event field"):
        gp.Event.from_mapping({"id": "e", "member_id": "M", "kind": "k", "occurred_at": at(1), "severity": "x"})
    with pytest.raises(ValueError, match="occurred_at: missing"):
        gp.Event.from_mapping({"id": "e", "member_id": "M", "kind": "k"})


def test_member_validation() -> None:
    with pytest.raises(ValueError, match="region: must not be empty"):
        gp.Member(id="M1", region="")
    with pytest.raises(ValueError, match="left: 2026-01-01 is before joined 2026-02-01"):
        gp.Member(id="M1", region="urban", joined="2026-02-01", left="2026-01-01")
    with pytest.raises(ValueError, match="joined: 'soon' is not a date"):
        gp.Member(id="M1", region="urban", joined="soon")
    member = gp.Member(id="M1", region="urban", joined="2026-02-01")
    assert member.joined == date(2026, 2, 1)
    assert not member.active_between(date(2026, 1, 1), date(2026, 1, 31))
    assert member.active_between(date(2026, 1, 1), date(2026, 2, 1))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: gp.Rule("patrol", 5.0), "points: 5.0 is a float"),
        (lambda: gp.Rule("patrol", "five"), "points: 'five' is not a decimal number"),
        (lambda: gp.Rule("", 5), "kind: must not be empty"),
        (lambda: gp.Rule("x", 5, when={"a": {"around": 3}}), "when.a: unknown operator 'around'"),
        (lambda: gp.Rule("x", 5, when={"a": {"in": "abc"}}), "when.a.in: 'abc' is not a list"),
        (lambda: gp.Rule("x", 5, when={"a": {"gte": 0.5}}), "when.a.gte: 0.5 is a float"),
        (lambda: gp.Rule("x", 5, cap={"week": 3}), "cap: unknown period 'week'"),
        (lambda: gp.Rule("x", 5, cap={"day": -1}), "cap.points: -1 must not be negative"),
        (lambda: gp.RuleSet("s", "1", "2026-01-01", []), "has no rules"),
        (lambda: gp.RuleSet("s", "1", "Jan 1", [gp.Rule("x", 1)]), "effective_from: 'Jan 1' is not a date"),
        (lambda: gp.RuleSet("s", "1", "2026-01-01", [gp.Rule("x", 1)], coefficients={"rural": 0}),
         "coefficients.rural: 0 must be positive"),
        (lambda: gp.RuleSet("s", "1", "2026-01-01", [gp.Rule("x", 1)], grades={"excellent": 50}),
         "grades.qualified: 60 is above grades.excellent 50"),
        (lambda: gp.RuleSet("s", "1", "2026-01-01", [gp.Rule("x", 1, id="a"), gp.Rule("y", 1, id="a")]),
         "two rules have the id 'a'"),
    ],
)
def test_rule_validation(make: object, message: str) -> None:
    with pytest.raises((TypeError, ValueError)) as caught:
        make()  # type: ignore[operator]
    assert message in str(caught.value)


def test_rules_get_ids_by_kind_and_position() -> None:
    ids = [r.id for r in gp.standard_ruleset().rules if r.kind in ("hazard", "patrol")]
    assert ids == ["patrol.1", "hazard.1", "hazard.2"]


def test_digest_ignores_labels_but_not_points() -> None:
    import attrs

    base = gp.RuleSet("s", "1", "2026-01-01", [gp.Rule("patrol", 5, label="巡查")])
    relabelled = attrs.evolve(base, rules=[gp.Rule("patrol", 5, label="巡逻")])
    repointed = attrs.evolve(base, rules=[gp.Rule("patrol", 6, label="巡查")])
    assert base.digest() == relabelled.digest() != repointed.digest()


def test_grade_labels() -> None:
    assert gp.Grade.EXCELLENT.value == "excellent" and gp.Grade.EXCELLENT.label_zh == "优秀"
    assert [g.label("zh") for g in gp.Grade] == ["优秀", "合格", "不合格"]
    assert gp.Grade.UNQUALIFIED.label("en") == "unqualified"
