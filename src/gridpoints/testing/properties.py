"""The property suite for rule sets: what every rule set and its plugins must guarantee.

``check_ruleset(ruleset, plugins=…)`` runs each property over Hypothesis-generated events and
raises ``PropertyFailed`` (an AssertionError) naming the first property that does not hold.
``ruleset_tests(...)`` gives the same suite as a pytest test, one item per property.

A pure-data ``RuleSet`` cannot break these guarantees — the engine gives them. What can break
them is what runs beside it: a plugin whose coefficient is not a pure function, a store that
forgets, an engine variant. That is what the suite is for: prove a locality's plugins keep the
engine's promises.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.schema import EVENT_REASONS, is_derived
from gridpoints.testing.strategies import DEFAULT_REGIONS, DEFAULT_TZ, events

__all__ = ["PROPERTIES", "PropertyFailed", "check_ruleset", "ruleset_tests"]

#: Property names, in the order ``check_ruleset`` runs them.
PROPERTIES: tuple[str, ...] = (
    "replay",
    "arrival_order",
    "idempotent",
    "reversal",
    "unit_coefficient",
    "accounting",
    "caps",
)

Plugins = Iterable[object] | Callable[[], Iterable[object]]
StoreFactory = Callable[[], "gp.Store | str | None"]


class PropertyFailed(AssertionError):
    """A property of the suite does not hold; ``.property`` names it."""

    def __init__(self, prop: str, message: str) -> None:
        super().__init__(f"property {prop!r} failed: {message}")
        self.property = prop
        self.detail = message


class _RuleSetPlugin:
    """Contributes the rule set under test."""

    def __init__(self, ruleset: gp.RuleSet) -> None:
        self.ruleset = ruleset

    @gp.hookimpl
    def gridpoints_rulesets(self) -> list[gp.RuleSet]:
        return [self.ruleset]


class _ExplicitUnitCoefficient:
    """Answers every coefficient question no other plugin answers with ``Decimal("1.000")``."""

    @gp.hookimpl
    def gridpoints_coefficient(self) -> Decimal:
        return Decimal("1.000")


@attrs.frozen
class _Setup:
    """What every property needs to build engines and draw events."""

    ruleset: gp.RuleSet | str
    rules: gp.RuleSet
    plugins: Plugins
    members: tuple[gp.Member, ...]
    period: gp.Period
    tz: str
    checks: bool
    engine: Callable[..., gp.Engine]
    store: StoreFactory
    max_events: int
    #: Whether the rule set must be contributed (False when a built-in or a plugin already does).
    contribute: bool = True

    def build(self, *, checks: bool | None = None, extra_first: Sequence[object] = (),
              ruleset: gp.RuleSet | None = None) -> gp.Engine:
        """A fresh engine on a fresh store with the members added."""
        plugins = list(self.plugins() if callable(self.plugins) else self.plugins)
        chosen = ruleset if ruleset is not None else self.ruleset
        if isinstance(chosen, gp.RuleSet) and (self.contribute or ruleset is not None):
            plugins.insert(0, _RuleSetPlugin(chosen))
        now = self.period.end(ZoneInfo(self.tz)) + timedelta(days=400)
        engine = self.engine(
            self.store(),
            ruleset=chosen.id if isinstance(chosen, gp.RuleSet) else chosen,
            tz=self.tz,
            plugins=[*extra_first, *plugins],
            # Installed plugins take part exactly when the rule set under test comes from them.
            load_entrypoints=not isinstance(self.ruleset, gp.RuleSet),
            checks=self.checks if checks is None else checks,
            clock=lambda: now,
        )
        with warnings.catch_warnings():
            # The kit's members live in every region it knows; one the rule set's coefficient
            # table leaves to 1 is part of what the properties cover, not news to the locality.
            warnings.simplefilter("ignore", gp.DefaultCoefficientWarning)
            engine.add_members(self.members)
        return engine

    def events(self, *, days: int | None = None, kinds: Iterable[str] | None = None,
               max_size: int | None = None) -> st.SearchStrategy[list[gp.Event]]:
        return st.lists(
            events(members=self.members, ruleset=self.rules, kinds=kinds, period=self.period, tz=self.tz,
                   days=days),
            max_size=max_size or self.max_events,
            unique_by=lambda e: e.id,
        )


def _fail(prop: str, message: str) -> None:
    raise PropertyFailed(prop, message)


def _months(setup: _Setup) -> list[str]:
    return [str(m) for m in setup.period.months()]


def _totals(engine: gp.Engine, setup: _Setup) -> dict[tuple[str, str], Decimal]:
    return {(m.id, p): engine.score(m.id, p) for m in setup.members for p in [*_months(setup), str(setup.period)]}


def _replay(setup: _Setup, batch: list[gp.Event]) -> None:
    one, two = setup.build(), setup.build()
    try:
        one.ingest(batch)
        two.ingest(batch)
        if one.ledger.head() != two.ledger.head():
            _fail("replay", f"the same {len(batch)} events under the same rules gave ledger heads "
                            f"{one.ledger.head()} and {two.ledger.head()}")
        if not one.ledger.verify():
            _fail("replay", f"the ledger does not verify: {one.ledger.verify()!r}")
    finally:
        one.close()
        two.close()


def _arrival_order(setup: _Setup, batch: list[gp.Event], seed: int) -> None:
    shuffled = list(batch)
    random.Random(seed).shuffle(shuffled)
    one, two = setup.build(checks=False), setup.build(checks=False)
    try:
        one.ingest(batch)
        for start in range(0, len(shuffled), 4):
            two.ingest(shuffled[start:start + 4])
        first, second = _totals(one, setup), _totals(two, setup)
        for key in first:
            if first[key] != second[key]:
                _fail("arrival_order", f"member {key[0]} period {key[1]}: {first[key]} in input order, "
                                       f"{second[key]} in another order and in several calls")
    finally:
        one.close()
        two.close()


def _idempotent(setup: _Setup, batch: list[gp.Event]) -> None:
    engine = setup.build()
    try:
        first = engine.ingest(batch)
        head = engine.ledger.head()
        again = engine.ingest(batch)
        expected = set(first.accepted) | set(first.held)
        if again.accepted or again.held or set(again.duplicates) != expected or engine.ledger.head() != head:
            _fail("idempotent", f"re-ingesting {len(batch)} events accepted {list(again.accepted)}, held "
                                f"{list(again.held)}, found duplicates {sorted(again.duplicates)} (expected "
                                f"{sorted(expected)}); head {head} became {engine.ledger.head()}")
    finally:
        engine.close()


def _reversal(setup: _Setup, batch: list[gp.Event]) -> None:
    engine = setup.build(checks=False)
    try:
        accepted = set(engine.ingest(batch).accepted)
        # One correction first: its reversals, and a replacement booked with reason "correction"
        # (or "limit"/"cap" when a count limit or cap acts on it) for the appeals below.
        first = next((event for event in batch if event.id in accepted), None)
        if first is not None:
            engine.correct(first.id, attrs.evolve(first, id=f"{first.id}-corrected"),
                           by="property-suite office", reason="reversal property")
        # Every entry an event booked (its award, a derived deduction, whatever a count limit or
        # cap made its reason, a correction's replacement) that nothing has reversed yet.
        reversed_already = {e.ref for e in engine.ledger.entries() if e.reason == "reversal"}
        originals = [e for e in engine.ledger.entries() if e.reason in EVENT_REASONS]
        for entry in originals:
            if f"seq:{entry.seq}" in reversed_already:
                continue
            appeal = engine.appeal(entry.seq, by="property-suite appellant", reason="reversal property")
            appeal.uphold(by="property-suite office")  # another person: nobody decides their own case
        reversals = {e.ref: e for e in engine.ledger.entries() if e.reason == "reversal"}
        for entry in originals:
            reversal = reversals.get(f"seq:{entry.seq}")
            if reversal is None:
                _fail("reversal", f"entry {entry.seq} (reason {entry.reason}) was never reversed: the upheld "
                                  "appeal or the correction booked no reversal")
                return
            if entry.points + reversal.points != 0:
                _fail("reversal", f"entry {entry.seq} ({entry.points}, reason {entry.reason}) and its reversal "
                                  f"{reversal.seq} ({reversal.points}) net to {entry.points + reversal.points}, not 0")
            if reversal.quantity != entry.quantity:
                _fail("reversal", f"entry {entry.seq} counted {entry.quantity} units (reason {entry.reason}) but "
                                  f"its reversal {reversal.seq} takes back {reversal.quantity}")
        for (member, period), total in _totals(engine, setup).items():
            if total != 0:
                _fail("reversal", f"member {member} period {period}: {total} after every entry was reversed")
    finally:
        engine.close()


def _unit_coefficient(setup: _Setup, batch: list[gp.Event]) -> None:
    # The rule set's own coefficient table would legitimately differ from 1: without it (under
    # another id, as the original id and version may be contributed already), "none" means 1.
    rules = None
    if setup.rules.coefficients:
        rules = attrs.evolve(setup.rules, id=f"{setup.rules.id}-unit", coefficients=None)
    plain = setup.build(ruleset=rules)
    # Registered before the plugins under test, it answers only where none of them does.
    unit = setup.build(ruleset=rules, extra_first=[_ExplicitUnitCoefficient()])
    try:
        plain.ingest(batch)
        unit.ingest(batch)
        if plain.ledger.head() != unit.ledger.head():
            differing = next(
                ((a, b) for a, b in zip(plain.ledger.entries(), unit.ledger.entries(), strict=False) if a != b),
                None,
            )
            _fail("unit_coefficient", "an explicit Decimal('1.000') coefficient gave another ledger than none; "
                                      f"first differing entries: {differing!r}")
    finally:
        plain.close()
        unit.close()


def _accounting(setup: _Setup, batch: list[Any]) -> None:
    engine = setup.build()
    try:
        result = engine.ingest(batch)
        if result.total != len(batch):
            _fail("accounting", f"{len(batch)} inputs gave {result.total} outcomes: {result.counts()}")
        indexes = [r.index for r in result.rejected]
        if len(set(indexes)) != len(indexes) or not all(0 <= i < len(batch) for i in indexes):
            _fail("accounting", f"rejection indexes {indexes} are not distinct input positions")
        booked = {e.event_id for e in engine.ledger.entries() if e.reason != "decision"}
        held = {h.event.id for h in engine.review.pending()}
        if booked != set(result.accepted):
            _fail("accounting", f"accepted {sorted(result.accepted)} but the ledger books {sorted(booked)}")
        if held != set(result.held):
            _fail("accounting", f"held {sorted(result.held)} but the review queue has {sorted(held)}")
        ghosts = set(result.duplicates) - booked - held
        if ghosts:
            _fail("accounting", f"events {sorted(ghosts)} were called duplicates but are neither booked nor held")
    finally:
        engine.close()


def _limit_scope(rules: gp.RuleSet, per: str, entry: gp.Entry) -> str:
    """The day, month or assessed period an entry counts toward its rule's count limit in."""
    if per == "day":
        return entry.day
    if per == "month":
        return entry.period
    return str(gp.Period.parse(entry.period).within(rules.assessment.period))


def _caps(setup: _Setup, batch: list[gp.Event]) -> None:
    engine = setup.build()
    try:
        # Several calls: caps and count limits must hold across them, not only within one.
        for start in range(0, len(batch), 5):
            engine.ingest(batch[start:start + 5])
        sent = {event.id: Decimal(event.quantity) for event in batch}
        used: dict[tuple[str, str, str], Decimal] = {}
        counted: dict[tuple[str, str, str], Decimal] = {}
        for entry in engine.ledger.entries():
            rule = setup.rules.rule(entry.rule)
            # Every entry an event booked counts, whatever a limit or cap made its reason (a
            # limit-cut entry keeps the points of the units it counted); a reversal takes back.
            if rule is None or entry.reason not in (*EVENT_REASONS, "reversal"):
                continue
            sign = -1 if entry.reason == "reversal" else 1
            if rule.cap is not None:
                key = (entry.member_id, entry.rule, entry.day if rule.cap.per == "day" else entry.period)
                used[key] = used.get(key, Decimal(0)) + entry.points
                if abs(used[key]) > rule.cap.points:
                    _fail("caps", f"member {key[0]} rule {key[1]} {rule.cap.per} {key[2]}: {used[key]} points, "
                                  f"over its cap {rule.cap.points}")
            if rule.limit is not None:
                key = (entry.member_id, entry.rule, _limit_scope(setup.rules, rule.limit.per, entry))
                counted[key] = counted.get(key, Decimal(0)) + sign * Decimal(entry.quantity)
                if counted[key] > rule.limit.units:
                    _fail("caps", f"member {key[0]} rule {key[1]} {rule.limit.per} {key[2]}: {counted[key]} units, "
                                  f"over its count limit {rule.limit.units}")
            if entry.reason == "reversal":
                continue
            # The units an entry records: what was sent (one late report for a derived
            # deduction), fewer when the limit cut them, never more.
            units = Decimal(1) if is_derived(entry.event_id, entry.reason, entry.ref) else sent.get(entry.event_id)
            if units is not None and (Decimal(entry.quantity) > units
                                      or (entry.reason == "limit" and Decimal(entry.quantity) >= units)):
                _fail("caps", f"entry {entry.seq} (reason {entry.reason}) of event {entry.event_id} records "
                              f"{entry.quantity} units of the {units} sent")
    finally:
        engine.close()


def _bounded_kinds(rules: gp.RuleSet) -> list[str]:
    """Kinds whose events a cap or count limit acts on: those of rules with one, and the
    reportable kinds when the late_report rule has one (their late reports' deductions)."""
    kinds = {r.kind for r in rules.rules if r.cap is not None or r.limit is not None}
    if "late_report" in kinds:
        kinds |= set(rules.reportable) & rules.kinds
    return sorted(kinds)


def _runner(setup: _Setup, prop: str, max_examples: int, derandomize: bool) -> Callable[[], None] | None:
    """The Hypothesis test for one property, or None when it does not apply (caps without caps
    or count limits)."""
    fast = settings(max_examples=max_examples, deadline=None, database=None, derandomize=derandomize,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    batch = setup.events()
    if prop == "replay":
        return fast(given(batch)(lambda b: _replay(setup, b)))
    if prop == "arrival_order":
        return fast(given(batch, st.integers(0, 2**32))(lambda b, s: _arrival_order(setup, b, s)))
    if prop == "idempotent":
        return fast(given(batch)(lambda b: _idempotent(setup, b)))
    if prop == "reversal":
        small = setup.events(max_size=min(setup.max_events, 8))
        return fast(given(small)(lambda b: _reversal(setup, b)))
    if prop == "unit_coefficient":
        return fast(given(batch)(lambda b: _unit_coefficient(setup, b)))
    if prop == "accounting":
        junk = events(members=setup.members, ruleset=setup.rules, period=setup.period, tz=setup.tz, invalid=True)
        valid = events(members=setup.members, ruleset=setup.rules, period=setup.period, tz=setup.tz,
                       ids=st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h"]))
        # Mostly valid events (few ids: duplicates and conflicts), some junk of every sort.
        mixed = st.lists(st.one_of(valid, valid, valid, junk, st.integers(), st.text(max_size=3)),
                         max_size=setup.max_events)
        return fast(given(mixed)(lambda b: _accounting(setup, b)))
    if prop == "caps":
        kinds = _bounded_kinds(setup.rules)
        if not kinds:
            return None
        dense = setup.events(days=2, kinds=kinds)
        return fast(given(dense)(lambda b: _caps(setup, b)))
    raise ValueError(f"properties: unknown property {prop!r} (use {', '.join(PROPERTIES)})")


def _setup(
    ruleset: gp.RuleSet | str,
    *,
    plugins: Plugins,
    members: Iterable[gp.Member] | None,
    period: gp.Period | str,
    tz: str,
    checks: bool,
    engine: Callable[..., gp.Engine],
    store: StoreFactory | None,
    max_events: int,
) -> _Setup:
    contribute = True
    if isinstance(ruleset, gp.RuleSet):
        rules = ruleset
        probe_plugins = list(plugins() if callable(plugins) else plugins)
        with gp.Engine(plugins=probe_plugins, load_entrypoints=False, tz=tz) as probe:
            contributed = [candidate for candidate, _ in probe.plugins.rulesets()]
        contribute = ruleset not in contributed
    elif isinstance(ruleset, str):
        probe_plugins = list(plugins() if callable(plugins) else plugins)
        with gp.Engine(ruleset=ruleset, plugins=probe_plugins, tz=tz) as probe:
            rules = probe.rulebook.latest.ruleset
    else:
        raise TypeError(f"ruleset: {ruleset!r} is not a RuleSet or a rule set id")
    regions = list(dict.fromkeys([*DEFAULT_REGIONS, *rules.coefficients]))
    chosen = tuple(members) if members is not None else tuple(
        gp.Member(id=f"M{n}", region=region) for n, region in enumerate(regions, start=1)
    )
    return _Setup(ruleset, rules, plugins, chosen, gp.Period.parse(period), tz, checks, engine,
                  store or (lambda: None), max_events, contribute)


def check_ruleset(
    ruleset: gp.RuleSet | str,
    *,
    plugins: Plugins = (),
    properties: Iterable[str] = PROPERTIES,
    members: Iterable[gp.Member] | None = None,
    period: gp.Period | str = "2026-11",
    tz: str = DEFAULT_TZ,
    checks: bool = True,
    engine: Callable[..., gp.Engine] = gp.Engine,
    store: StoreFactory | None = None,
    max_examples: int = 25,
    max_events: int = 20,
    derandomize: bool = False,
) -> tuple[str, ...]:
    """Check the suite's properties for ``ruleset`` (a RuleSet, or the id of one the plugins or
    installed entry points contribute) with ``plugins`` beside it; return the properties run.

    ``plugins``: plugin objects, or a callable returning fresh ones for every engine (use that
    for plugins with state). ``members`` default to one per region (``M1`` urban, …), events
    fall in ``period``. ``engine`` and ``store`` (a callable returning a Store, path or None)
    build the engines under test; every engine gets a fresh store. ``checks`` switches the
    anti-gaming checks (always off for ``arrival_order``). ``caps`` (caps and count limits) is
    skipped (not returned) when no rule has a cap or a count limit. ``derandomize=True`` draws
    the same examples on every run (for a CI that must never flake, at the price of exploring
    less over time).

    Raises ``PropertyFailed`` naming the first property that does not hold, after Hypothesis
    has shrunk the events to a minimal failing example.
    """
    setup = _setup(ruleset, plugins=plugins, members=members, period=period, tz=tz, checks=checks,
                   engine=engine, store=store, max_events=max_events)
    ran: list[str] = []
    for prop in properties:
        runner = _runner(setup, prop, max_examples, derandomize)
        if runner is None:
            continue
        runner()
        ran.append(prop)
    return tuple(ran)


def ruleset_tests(ruleset: gp.RuleSet | str, **options: Any) -> Callable[[str], None]:
    """The suite as a pytest test, one item per property: ``test_rules = ruleset_tests(my_rules)``.

    ``options`` are ``check_ruleset``'s. A property that does not apply is reported as skipped.
    """
    import pytest

    names = tuple(options.pop("properties", PROPERTIES))

    @pytest.mark.parametrize("gridpoints_property", names)
    def test_ruleset_property(gridpoints_property: str) -> None:
        if not check_ruleset(ruleset, properties=[gridpoints_property], **options):
            pytest.skip(f"property {gridpoints_property!r} does not apply to this rule set")

    return test_ruleset_property
