"""Hypothesis strategies for gridpoints values: members, events, rule sets and periods.

Every strategy takes keyword-only bounds and draws *valid* values by default. With
``invalid=True`` it draws plain data the library must refuse instead: ``members(invalid=True)``
and ``events(invalid=True)`` give mappings (``add_members`` raises on them, ``ingest`` rejects
each one), ``rulesets(invalid=True)`` gives keyword arguments ``RuleSet(**kw)`` refuses and
``periods(invalid=True)`` gives strings ``Period.parse`` refuses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, overload
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

import gridpoints as gp
from gridpoints._decimal import MAX_POINTS, MAX_QUANTITY
from gridpoints.ratings import RATING_KIND, stars_of
from gridpoints.rules.bounds import LIMIT_SCOPES

__all__ = [
    "DEFAULT_MEMBER_IDS",
    "DEFAULT_PERIOD",
    "DEFAULT_REGIONS",
    "DEFAULT_TZ",
    "events",
    "members",
    "periods",
    "rulesets",
]

#: Member ids ``events()`` refers to when it is given no members (``members()`` draws from them too).
DEFAULT_MEMBER_IDS: tuple[str, ...] = ("M1", "M2", "M3", "M4")
#: Regions ``members()`` draws from.
DEFAULT_REGIONS: tuple[str, ...] = ("urban", "suburban", "rural")
#: The period ``events()`` places events in when given none: in the past, so an engine on the
#: real clock does not reject them as future events.
DEFAULT_PERIOD = "2025-Q4"
#: The zone events are placed in (the engine's default).
DEFAULT_TZ = "Asia/Shanghai"

_ATTRIBUTE_VALUES = ("major", "serious", "general", "night", "A", "B")
_IDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)


# -- periods ---------------------------------------------------------------------------------


@overload
def periods(
    *, kinds: Iterable[str] = ..., min_year: int = ..., max_year: int = ..., invalid: Literal[False] = ...
) -> st.SearchStrategy[gp.Period]: ...


@overload
def periods(
    *, kinds: Iterable[str] = ..., min_year: int = ..., max_year: int = ..., invalid: Literal[True]
) -> st.SearchStrategy[str]: ...


def periods(
    *,
    kinds: Iterable[str] = ("month", "quarter", "year"),
    min_year: int = 2001,
    max_year: int = 2030,
    invalid: bool = False,
) -> st.SearchStrategy[gp.Period] | st.SearchStrategy[str]:
    """Periods of the given ``kinds`` between ``min_year`` and ``max_year`` (inclusive).

    With ``invalid=True``: strings ``gp.Period.parse`` refuses (month 13, quarter 5, …).
    """
    chosen = tuple(kinds)
    unknown = sorted(set(chosen) - {"month", "quarter", "half", "year"})
    if unknown or not chosen:
        raise ValueError(f"kinds: {unknown or chosen!r} is not a non-empty subset of month, quarter, half, year")
    if not 1 <= min_year <= max_year <= 9998:
        raise ValueError(f"min_year/max_year: {min_year}..{max_year} is not a range within 1..9998")
    years = st.integers(min_year, max_year)
    if invalid:
        return st.one_of(
            st.builds("{:04d}-{:02d}".format, years, st.sampled_from([0, 13, 20, 99])),
            st.builds("{:04d}-Q{}".format, years, st.sampled_from([0, 5, 9])),
            st.builds("{:04d}-H{}".format, years, st.sampled_from([0, 3])),
            st.sampled_from(["", "2026-", "Q4-2026", "2026/11", "11-2026", "next month", "H1-2026"]),
        )
    limits = {"month": 12, "quarter": 4, "half": 2, "year": 1}
    return st.sampled_from(chosen).flatmap(
        lambda kind: st.builds(gp.Period, st.just(kind), years, st.integers(1, limits[kind]))
    )


# -- members ---------------------------------------------------------------------------------


@overload
def members(
    *, ids: Sequence[str] | None = ..., regions: Sequence[str] = ..., invalid: Literal[False] = ...
) -> st.SearchStrategy[gp.Member]: ...


@overload
def members(
    *, ids: Sequence[str] | None = ..., regions: Sequence[str] = ..., invalid: Literal[True]
) -> st.SearchStrategy[dict[str, Any]]: ...


def members(
    *,
    ids: Sequence[str] | None = None,
    regions: Sequence[str] = DEFAULT_REGIONS,
    invalid: bool = False,
) -> st.SearchStrategy[gp.Member] | st.SearchStrategy[dict[str, Any]]:
    """Members with an id from ``ids`` (default ``DEFAULT_MEMBER_IDS``) and a region from ``regions``.

    Names, grids and joined/left dates are drawn too (``left`` never before ``joined``).
    With ``invalid=True``: member mappings ``Member.from_mapping`` (and so ``add_members``) refuses.
    """
    id_values = tuple(ids) if ids is not None else DEFAULT_MEMBER_IDS
    if not id_values or not regions:
        raise ValueError("ids/regions: need at least one value each")
    base = st.fixed_dictionaries(
        {"id": st.sampled_from(id_values), "region": st.sampled_from(tuple(regions))},
        optional={
            "name": st.sampled_from(["小李", "张三", "王芳", "Li Wei"]),
            "grid": st.sampled_from(["G01", "G02", "G03"]),
        },
    )
    if invalid:
        broken: list[st.SearchStrategy[dict[str, Any]]] = [
            base.map(lambda m: {**m, "id": ""}),
            base.map(lambda m: {**m, "region": ""}),
            base.map(lambda m: {k: v for k, v in m.items() if k != "id"}),
            base.map(lambda m: {**m, "joined": "2026-05-01", "left": "2026-04-30"}),
            base.map(lambda m: {**m, "joined": "2026-13-01"}),
            base.map(lambda m: {**m, "shoe_size": 42}),
        ]
        return st.one_of(broken)

    @st.composite
    def build(draw: st.DrawFn) -> gp.Member:
        data = draw(base)
        joined = draw(st.none() | st.dates(date(2015, 1, 1), date(2026, 12, 31)))
        left = None
        if joined is not None and draw(st.booleans()):
            left = joined + timedelta(days=draw(st.integers(0, 3000)))
        return gp.Member(**data, joined=joined, left=left)

    return build()


# -- events ----------------------------------------------------------------------------------


def _member_ids(value: Iterable[gp.Member | str] | None) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_MEMBER_IDS
    found = tuple(m.id if isinstance(m, gp.Member) else m for m in value)
    if not found:
        raise ValueError("members: need at least one member or member id")
    return found


def _attribute_values(ruleset: gp.RuleSet | None) -> dict[str, tuple[object, ...]]:
    """Attribute name → values worth drawing: every value a rule condition mentions, plus others."""
    values: dict[str, list[object]] = {"severity": ["major", "serious", "general"]}
    if ruleset is not None:
        for rule in ruleset.rules:
            for condition in rule.when:
                bucket = values.setdefault(condition.attribute, [])
                mentioned = condition.value if isinstance(condition.value, tuple) else (condition.value,)
                for value in mentioned:
                    bucket.append(value)
                    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
                        bucket.extend([value - 1, value + 1])
                bucket.append(_ATTRIBUTE_VALUES[len(bucket) % len(_ATTRIBUTE_VALUES)])
    return {k: tuple(dict.fromkeys(v)) for k, v in values.items()}


@overload
def events(
    *,
    members: Iterable[gp.Member | str] | None = ...,
    kinds: Iterable[str] | None = ...,
    period: gp.Period | str = ...,
    ruleset: gp.RuleSet | None = ...,
    ids: st.SearchStrategy[str] | None = ...,
    max_quantity: int = ...,
    tz: str = ...,
    days: int | None = ...,
    invalid: Literal[False] = ...,
) -> st.SearchStrategy[gp.Event]: ...


@overload
def events(
    *,
    members: Iterable[gp.Member | str] | None = ...,
    kinds: Iterable[str] | None = ...,
    period: gp.Period | str = ...,
    ruleset: gp.RuleSet | None = ...,
    ids: st.SearchStrategy[str] | None = ...,
    max_quantity: int = ...,
    tz: str = ...,
    days: int | None = ...,
    invalid: Literal[True],
) -> st.SearchStrategy[dict[str, Any]]: ...


def events(
    *,
    members: Iterable[gp.Member | str] | None = None,
    kinds: Iterable[str] | None = None,
    period: gp.Period | str = DEFAULT_PERIOD,
    ruleset: gp.RuleSet | None = None,
    ids: st.SearchStrategy[str] | None = None,
    max_quantity: int = 3,
    tz: str = DEFAULT_TZ,
    days: int | None = None,
    invalid: bool = False,
) -> st.SearchStrategy[gp.Event] | st.SearchStrategy[dict[str, Any]]:
    """Events of ``members`` (Member objects or ids; default ``DEFAULT_MEMBER_IDS``) whose
    ``occurred_at`` lies in ``period`` in zone ``tz``.

    ``kinds`` defaults to the kinds of ``ruleset`` (or of the standard rule set); with a
    ``ruleset`` the attributes its conditions test are drawn from the values they mention, so
    every rule can match. Quantities are 1..``max_quantity`` or decimals with 2 places;
    ``reported_at`` is absent or up to 3 days late; times are written in ``tz`` or in UTC.
    ``rating`` events always carry valid ``stars`` (1–5).
    Ids are unique hex strings unless ``ids`` is given. ``days`` keeps events in the period's
    first ``days`` days, so caps and checks that count per day get busy.

    With ``invalid=True``: event mappings ``ingest`` must reject (unknown member or kind,
    naive time, float/zero/negative quantity, missing or unknown field, reported before
    occurred) — each one rejected, none booked.
    """
    member_ids = _member_ids(members)
    kind_values = tuple(kinds) if kinds is not None else tuple(sorted((ruleset or gp.standard_ruleset()).kinds))
    if not kind_values:
        raise ValueError("kinds: need at least one kind")
    if not 1 <= max_quantity <= MAX_QUANTITY:
        raise ValueError(f"max_quantity: {max_quantity} must be from 1 to {MAX_QUANTITY:,} (the quantity bound)")
    zone = ZoneInfo(tz)
    parsed = gp.Period.parse(period)
    start = parsed.start(zone)
    minutes = int((parsed.end(zone) - start).total_seconds() // 60) - 1
    if days is not None:
        if days < 1:
            raise ValueError(f"days: {days} must be at least 1")
        minutes = min(minutes, days * 24 * 60 - 1)
    attribute_values = _attribute_values(ruleset)
    id_strategy = ids if ids is not None else st.uuids().map(lambda u: u.hex)

    @st.composite
    def build(draw: st.DrawFn) -> gp.Event:
        occurred = start + timedelta(minutes=draw(st.integers(0, minutes)))
        if draw(st.booleans()):
            occurred = occurred.astimezone(ZoneInfo("UTC"))
        delay = draw(st.none() | st.integers(0, 60 * 72))
        attributes: dict[str, object] = {}
        for name, values in attribute_values.items():
            if draw(st.booleans()):
                attributes[name] = draw(st.sampled_from(values))
        if draw(st.booleans()):
            attributes["evidence"] = "photo.jpg"
        quantity: int | Decimal = draw(st.integers(1, max_quantity) | st.decimals("0.01", max_quantity, places=2))
        kind = draw(st.sampled_from(kind_values))
        if kind == RATING_KIND and stars_of(attributes) is None:
            attributes["stars"] = draw(st.integers(1, 5))  # ingest refuses ratings without 1–5 stars
        return gp.Event(
            id=draw(id_strategy),
            member_id=draw(st.sampled_from(member_ids)),
            kind=kind,
            occurred_at=occurred,
            quantity=quantity,
            reported_at=None if delay is None else occurred + timedelta(minutes=delay),
            attributes=attributes,
        )

    valid = build()
    if not invalid:
        return valid
    as_mapping = valid.map(gp.Event.to_mapping)
    known_kinds = set(kind_values) | set((ruleset or gp.standard_ruleset()).kinds)
    unknown_kind = next(k for k in (f"not_a_kind_{n}" for n in range(len(known_kinds) + 1)) if k not in known_kinds)
    unknown_member = next(m for m in (f"nobody-{n}" for n in range(len(member_ids) + 1)) if m not in member_ids)

    def naive(m: dict[str, Any]) -> dict[str, Any]:
        return {**m, "occurred_at": datetime.fromisoformat(m["occurred_at"]).replace(tzinfo=None).isoformat()}

    def early_report(m: dict[str, Any]) -> dict[str, Any]:
        occurred = datetime.fromisoformat(m["occurred_at"])
        return {**m, "reported_at": (occurred - timedelta(hours=1)).isoformat()}

    broken: list[st.SearchStrategy[dict[str, Any]]] = [
        as_mapping.map(lambda m: {**m, "member_id": unknown_member}),
        as_mapping.map(lambda m: {**m, "kind": unknown_kind}),
        as_mapping.map(naive),
        as_mapping.map(early_report),
        st.tuples(as_mapping, st.sampled_from([0, -1, 1.5, "", "lots"])).map(
            lambda pair: {**pair[0], "quantity": pair[1]} if pair[1] != "" else {**pair[0], "quantity": "x"}
        ),
        st.tuples(as_mapping, st.sampled_from(["id", "member_id", "kind", "occurred_at"])).map(
            lambda pair: {k: v for k, v in pair[0].items() if k != pair[1]}
        ),
        as_mapping.map(lambda m: {**m, "colour": "blue"}),
        as_mapping.map(lambda m: {**m, "occurred_at": "yesterday"}),
    ]
    return st.one_of(broken)


# -- rule sets -------------------------------------------------------------------------------


def _rule(
    kind: str, draw: st.DrawFn, *, min_points: int, max_points: int, caps: bool, limits: bool, conditional: bool
) -> gp.Rule:
    points = draw(st.integers(min_points, max_points) | st.decimals(min_points, max_points, places=2))
    cap = None
    if caps and draw(st.booleans()):
        cap = gp.Cap(draw(st.integers(0, min(int(MAX_POINTS), 3 * max(abs(min_points), abs(max_points), 1)))),
                     draw(st.sampled_from(["day", "month"])))
    limit = None
    # Drawn only when asked for: without limits, the same draws give the same rule sets as before.
    if limits and draw(st.booleans()):
        limit = gp.Limit(draw(st.integers(1, 3) | st.decimals("0.5", "3", places=1)),
                         draw(st.sampled_from(LIMIT_SCOPES)))
    when: Mapping[str, object] | None = None
    if conditional:
        when = {"severity": draw(st.sampled_from(["major", "serious"]))}
    return gp.Rule(kind, points, when=when, cap=cap, limit=limit)


@overload
def rulesets(
    *,
    id: str = ...,
    kinds: Iterable[str] | None = ...,
    min_points: int = ...,
    max_points: int = ...,
    caps: bool = ...,
    coefficients: bool = ...,
    limits: bool = ...,
    invalid: Literal[False] = ...,
) -> st.SearchStrategy[gp.RuleSet]: ...


@overload
def rulesets(
    *,
    id: str = ...,
    kinds: Iterable[str] | None = ...,
    min_points: int = ...,
    max_points: int = ...,
    caps: bool = ...,
    coefficients: bool = ...,
    limits: bool = ...,
    invalid: Literal[True],
) -> st.SearchStrategy[dict[str, Any]]: ...


def rulesets(
    *,
    id: str = "generated",
    kinds: Iterable[str] | None = None,
    min_points: int = -30,
    max_points: int = 30,
    caps: bool = False,
    coefficients: bool = False,
    limits: bool = False,
    invalid: bool = False,
) -> st.SearchStrategy[gp.RuleSet] | st.SearchStrategy[dict[str, Any]]:
    """One-version rule sets ``id`` in effect from 2000-01-01 with a rule for each of some of
    ``kinds`` (default: the standard kinds), points in ``min_points..max_points``.

    Some kinds get a conditional rule (``severity`` ``major``/``serious``) before their
    unconditional one; with ``caps=True`` rules may carry day or month caps; with
    ``limits=True`` rules may carry count limits (1–3 units, or 0.5–3 in tenths, per day,
    month or assessed period; with caps too, some rules get both, and a ``late_report`` rule's
    acts on the deductions derived from late reports); with ``coefficients=True`` the rule set
    may carry a region → coefficient table.
    With ``invalid=True``: keyword arguments that ``gp.RuleSet(**kw)`` refuses.
    """
    kind_values = tuple(kinds) if kinds is not None else tuple(sorted(gp.standard_ruleset().kinds))
    if not kind_values or min_points > max_points:
        raise ValueError("kinds/min_points/max_points: need kinds and min_points <= max_points")
    if max(abs(min_points), abs(max_points)) > MAX_POINTS:
        raise ValueError(f"min_points/max_points: rule points are bounded by {MAX_POINTS:,} (docs/rules.md)")

    @st.composite
    def arguments(draw: st.DrawFn) -> dict[str, Any]:
        chosen = draw(st.lists(st.sampled_from(kind_values), min_size=1, unique=True))
        rules: list[gp.Rule] = []
        for kind in chosen:
            if draw(st.booleans()):
                rules.append(_rule(kind, draw, min_points=min_points, max_points=max_points, caps=caps,
                                   limits=limits, conditional=True))
            rules.append(_rule(kind, draw, min_points=min_points, max_points=max_points, caps=caps,
                               limits=limits, conditional=False))
        table = None
        if coefficients and draw(st.booleans()):
            table = {region: draw(st.decimals("0.5", "2", places=2)) for region in DEFAULT_REGIONS[1:]}
        return {"id": id, "version": draw(st.sampled_from(["1", "2026.1", "v2"])),
                "effective_from": date(2000, 1, 1), "rules": rules, "coefficients": table}

    if not invalid:
        return arguments().map(lambda kw: gp.RuleSet(**kw))
    return st.one_of(
        arguments().map(lambda kw: {**kw, "rules": []}),
        arguments().map(lambda kw: {**kw, "id": ""}),
        arguments().map(lambda kw: {**kw, "effective_from": "2026-02-30"}),
        arguments().map(lambda kw: {**kw, "rules": [*kw["rules"], gp.Rule("patrol", 1, id="twice"),
                                                    gp.Rule("patrol", 2, id="twice")]}),
        arguments().map(lambda kw: {**kw, "rules": [*kw["rules"], "patrol: 5"]}),
        arguments().map(lambda kw: {**kw, "coefficients": {"rural": "-1"}}),
        arguments().map(lambda kw: {**kw, "coefficients": {"rural": 1.2}}),
        arguments().map(lambda kw: {**kw, "grades": {"excellent": 50, "qualified": 70}}),
    )
