"""Within one ingest call the outcome depends on the events, not on their order or the chunk size.

Events are judged by ``occurred_at``, then id — not by arrival; member by member — against
running state loaded once per call. The property feeds the same events shuffled and cut into different chunks to two
engines holding the same earlier history, with the built-in checks tightened so they fire
often, a third-party check written against the public interface and one written against the
deprecated ``inspect`` interface; verdicts and the multiset of entries must agree.
"""

from __future__ import annotations

import warnings
from collections import Counter
from datetime import timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints._time import micros
from gridpoints.ingest import _running
from tests.conftest import NOW, at

MEMBERS = ("M1", "M2", "M3")
#: Built-in checks tightened so a few dozen events trip each of them.
CHECK_CONFIG: dict[str, object] = {
    "duplicate_submission": {"minutes": 30},
    "daily_limit": {"limits": {"patrol": 3}},
    "burst": {"count": 3, "minutes": 10},
}


class Elsewhere(gp.Check):
    """A locality's check on the public interface: a service at another place than one the member
    logged less than 20 minutes before or after is held (one cannot be in two places)."""

    name = "elsewhere"
    kinds = frozenset({"service"})
    window = timedelta(minutes=20)
    needs = frozenset({"location"})

    def judge(self, event: gp.Event, at_us: int, timeline: gp.Timeline) -> gp.Verdict | None:
        place = event.attributes.get("location")
        span = 20 * 60_000_000
        for other in timeline.between(at_us - span, at_us + span, kind="service"):
            if other.attributes.get("location") not in (None, place):
                return gp.Verdict.hold(self.name, "two places at once", ref=other.id)
        return None


class CrowdedHour(gp.Check):
    """A locality's check still on the deprecated interface: a hazard with three or more other
    events of the member within an hour is rejected outright."""

    name = "crowded_hour"
    kinds = frozenset({"hazard"})
    window = timedelta(hours=1)

    def inspect(self, event: gp.Event, context: gp.CheckContext) -> gp.Verdict | None:
        if len(context.recent(event, self.window)) >= 3:
            return gp.Verdict.reject(self.name, "too busy an hour")
        return None


class Locality:
    @gp.hookimpl
    def gridpoints_checks(self) -> list[gp.Check]:
        return [Elsewhere(), CrowdedHour()]


def _engine() -> gp.Engine:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # CrowdedHour: tested below
        engine = gp.Engine(None, clock=lambda: NOW, load_entrypoints=False, check_config=CHECK_CONFIG,
                           plugins=[Locality()])
    engine.add_members([gp.Member(id=m, region="urban") for m in MEMBERS])
    return engine


@st.composite
def _events(draw: st.DrawFn, prefix: str, size: int) -> list[gp.Event]:
    """Events of three members over two mornings, crowded enough to trip every check."""
    events = []
    for n in range(draw(st.integers(0, size))):
        kind = draw(st.sampled_from(["patrol", "patrol", "service", "hazard"]))
        moment = at(draw(st.integers(2, 3)), 8) + timedelta(minutes=draw(st.integers(0, 180)))
        attributes: dict[str, Any] = {"location": draw(st.sampled_from(["东门", "西门", "南区"]))}
        events.append(gp.Event(f"{prefix}{n}", draw(st.sampled_from(MEMBERS)), kind, moment, attributes=attributes))
    # Some ids sent twice (the same event: a duplicate, whichever copy comes first), and some
    # sent again for another member at another time (a conflict: which copy is kept must not
    # depend on the order either).
    repeats = draw(st.lists(st.sampled_from(events), max_size=3)) if events else []
    later = timedelta(hours=1)
    clashes = [
        attrs.evolve(event, member_id=draw(st.sampled_from(MEMBERS)), occurred_at=event.occurred_at + later)
        for event in (draw(st.lists(st.sampled_from(events), max_size=2)) if events else [])
    ]
    return events + repeats + clashes


def _outcome(engine: gp.Engine, result: gp.IngestResult) -> dict[str, object]:
    """Everything the call decided, in forms that do not depend on order."""
    rows = engine.store.event_rows(status="held")
    held = {row.event_id: (row.hold_check, row.hold_reason, row.hold_ref) for row in rows}
    return {
        "accepted": set(result.accepted),
        "held": held,
        "rejected": {r.event_id: (r.code, r.message) for r in result.rejected},
        "duplicates": Counter(result.duplicates),
        # Entries apart from their place in the chain: seq, prev_hash and hash left out.
        "entries": Counter(tuple(row)[1:-2] for row in engine.store.chain_rows()),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before=_events("b", 12),
    batch=_events("e", 40),
    data=st.data(),
)
def test_verdicts_and_entries_do_not_depend_on_order_or_chunk_size(
    before: list[gp.Event], batch: list[gp.Event], data: st.DataObject
) -> None:
    one, two = _engine(), _engine()
    for engine in (one, two):
        engine.ingest(before)  # the same stored history for both, around the new events
    shuffled = data.draw(st.permutations(batch))
    one.pipeline.chunk_size = data.draw(st.integers(1, 50))
    two.pipeline.chunk_size = data.draw(st.integers(1, 50))
    first = _outcome(one, one.ingest(batch))
    result = two.ingest(shuffled)
    second = _outcome(two, result)
    assert first == second
    # Results list events in the order they were given, though they were judged in time order:
    # each id where the copy that was kept (the stored row's member and time) was first given.
    kept = {row.event_id: (row.member_id, row.occurred_us) for row in two.store.event_rows()}
    given_at: dict[str, int] = {}
    for position, event in enumerate(shuffled):
        if kept.get(event.id) == (event.member_id, micros(event.occurred_at)):
            given_at.setdefault(event.id, position)
    for ids in (result.accepted, result.held):
        assert list(ids) == sorted(ids, key=given_at.__getitem__)
    assert one.ledger.verify() and two.ledger.verify()


def test_the_earlier_event_is_the_original_whichever_arrives_first() -> None:
    early = gp.Event("late-sent", "M1", "patrol", at(2, 9), attributes={"location": "东门"})
    later = gp.Event("early-sent", "M1", "patrol", at(2, 9) + timedelta(minutes=10), attributes={"location": "东门"})
    for order in ([early, later], [later, early]):
        engine = _engine()
        result = engine.ingest(order)
        assert result.accepted == ("late-sent",) and result.held == ("early-sent",)
        (row,) = engine.store.event_rows(status="held")
        assert (row.hold_check, row.hold_ref) == ("duplicate_submission", "late-sent")


def test_the_patrol_over_the_daily_limit_is_the_last_of_the_day_not_the_last_sent() -> None:
    patrols = [gp.Event(f"p{n}", "M1", "patrol", at(2, 8 + 2 * n), attributes={"location": f"L{n}"}) for n in range(4)]
    for order in (patrols, patrols[::-1]):
        engine = _engine()
        engine.pipeline.chunk_size = 1
        assert engine.ingest(order).held == ("p3",)


def test_equal_instants_are_judged_by_id() -> None:
    same = at(2, 9)
    a = gp.Event("a", "M1", "patrol", same, attributes={"location": "东门"})
    b = gp.Event("b", "M1", "patrol", same, attributes={"location": "东门"})
    for order in ([a, b], [b, a]):
        engine = _engine()
        assert engine.ingest(order).held == ("b",)


def test_one_id_sent_for_two_members_is_kept_for_the_member_judged_first() -> None:
    # Members are judged one after another (each in time order): of two members' events under
    # one id, a conflict either way, the copy of the member whose id sorts first is the original,
    # even when it happened later.
    first = gp.Event("shared", "M1", "patrol", at(2, 11), attributes={"location": "东门"})
    second = gp.Event("shared", "M2", "patrol", at(2, 9), attributes={"location": "西门"})
    for order in ([first, second], [second, first]):
        engine = _engine()
        result = engine.ingest(order)
        assert result.accepted == ("shared",)
        assert [(r.event_id, r.code) for r in result.rejected] == [("shared", "conflict")]
        (row,) = engine.store.event_rows()
        assert row.member_id == "M1"


def test_a_check_on_the_old_interface_runs_through_the_adapter_and_is_warned_about_once() -> None:
    class Legacy(gp.Check):
        name = "legacy"
        kinds = frozenset({"patrol"})
        window = timedelta(minutes=30)

        def inspect(self, event: gp.Event, context: gp.CheckContext) -> gp.Verdict | None:
            near = context.recent(event, self.window, kind="patrol")
            return gp.Verdict.hold(self.name, f"after {near[0].id}") if near else None

    class Plugin:
        @gp.hookimpl
        def gridpoints_checks(self) -> list[gp.Check]:
            return [Legacy()]

    def build() -> gp.Engine:
        engine = gp.Engine(None, clock=lambda: NOW, load_entrypoints=False, plugins=[Plugin()],
                           check_config={"duplicate_submission": False, "burst": False})
        engine.add_members([gp.Member(id="M1", region="urban")])
        return engine

    with pytest.warns(DeprecationWarning, match=r"check 'legacy' .*implements inspect\(event, context\)"):
        engine = build()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        again = build()  # once per class, not per engine
    stored = gp.Event("x0", "M1", "patrol", at(2, 9))
    engine.ingest([stored])
    again.ingest([stored])
    # The context's history is rebuilt from the running state: the stored event is seen.
    twenty_past = at(2, 9) + timedelta(minutes=20)
    result = engine.ingest([gp.Event("x1", "M1", "patrol", twenty_past), gp.Event("x2", "M1", "patrol", at(2, 11))])
    assert result.held == ("x1",) and result.accepted == ("x2",)
    (row,) = engine.store.event_rows(status="held")
    assert row.hold_reason == "after x0"
    assert _running.is_legacy(Legacy()) and not _running.is_legacy(Elsewhere())


def test_stored_history_is_read_as_compact_fields_not_events(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _engine()
    engine.ingest([gp.Event(f"s{n}", "M1", "patrol", at(2, 8 + n)) for n in range(3)])
    built: list[str] = []
    original = gp.Event.from_payload.__func__  # type: ignore[attr-defined]

    def counting(cls: type[gp.Event], event_id: str, payload: str) -> gp.Event:
        built.append(event_id)
        return original(cls, event_id, payload)  # type: ignore[no-any-return]

    monkeypatch.setattr(gp.Event, "from_payload", classmethod(counting))
    # Only the legacy check (hazards) needs Events; patrols and services are judged on facts.
    five_past = at(2, 12) + timedelta(minutes=5)
    engine.ingest([gp.Event("n1", "M1", "patrol", at(2, 12)), gp.Event("n2", "M1", "service", five_past)])
    assert built == []


def _peeking_engine(needs: frozenset[str], seen: list[dict[str, object]]) -> gp.Engine:
    """An engine with member M1 and one check on services that needs ``needs`` and notes, in
    ``seen``, the attributes of every fact its timeline holds in the two hours before."""

    class Peek(gp.Check):
        name = "peek"
        kinds = frozenset({"service"})
        window = timedelta(hours=2)

        def judge(self, event: gp.Event, at_us: int, timeline: gp.Timeline) -> gp.Verdict | None:
            seen.extend(dict(f.attributes) for f in timeline.between(at_us - 7_200_000_000, at_us))
            return None

    Peek.needs = needs

    class Plugin:
        @gp.hookimpl
        def gridpoints_checks(self) -> list[gp.Check]:
            return [Peek()]

    engine = gp.Engine(None, clock=lambda: NOW, load_entrypoints=False, plugins=[Plugin()], checks=True)
    engine.add_members([gp.Member(id="M1", region="urban")])
    return engine


def test_stored_events_carry_only_the_attributes_checks_need() -> None:
    seen: list[dict[str, object]] = []
    engine = _peeking_engine(frozenset({"location"}), seen)
    stored = {"location": "东门", "note": "kept in the payload, not loaded"}
    engine.ingest([gp.Event("s1", "M1", "service", at(2, 9), attributes=stored)])
    engine.ingest([gp.Event("s2", "M1", "service", at(2, 10))])
    assert seen == [{"location": "东门"}]


@given(st.integers(0, 400 * 24 * 60), st.sampled_from(["Asia/Shanghai", "America/New_York", "Asia/Kathmandu"]))
def test_day_bounds_are_the_local_day_whatever_the_zone(minutes: int, zone_name: str) -> None:
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from gridpoints._time import instant, micros

    zone = ZoneInfo(zone_name)
    timeline = gp.Timeline(gp.Member(id="M1", region="urban"), zone)
    at_us = micros(datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))) + minutes * 60_000_000
    for _ in range(2):  # computed, then from the cache
        start, end = timeline.day_bounds(at_us)
        day = instant(at_us).astimezone(zone).date()
        assert start == micros(datetime.combine(day, time(), tzinfo=zone))
        assert end == micros(datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)) - 1
        assert start <= at_us <= end


def _needed(attributes: dict[str, object], needs: set[str]) -> dict[str, object]:
    """What the running state reads of ``attributes`` stored as canonical JSON for ``needs``."""
    from zoneinfo import ZoneInfo

    from gridpoints.model import canonical_attributes

    state = _running.RunningState(ZoneInfo("UTC"), frozenset(needs), legacy=False)
    return dict(state._attributes(canonical_attributes(attributes)))


#: (stored attributes, needed names, what is read): strings ending in "," or "{" whose closing
#: quote, followed by ":" or ",", spells a needed key; names and values that only look like keys.
_ADVERSARIAL: list[tuple[dict[str, object], set[str], dict[str, object]]] = [
    ({",": ":0"}, {":"}, {}),  # {",":":0"} : was {":": 0}
    ({",": "::"}, {":"}, {}),  # was a JSONDecodeError
    ({"{": ':"x'}, {":"}, {}),  # {"{":":\"x"} : was a JSONDecodeError
    ({"x{": ':":1'}, {":"}, {}),  # was a JSONDecodeError
    ({"!,": ":5", ":": "real"}, {":"}, {":": "real"}),  # was {":": 5}: the wrong value
    ({"0": "x,", ":1": 2}, {","}, {}),  # {"0":"x,",":1":2} : was {",": 1}
    ({",": ",", ":": 1}, {":", ","}, {",": ",", ":": 1}),
    ({"note": 'x","location":"forged'}, {"location"}, {}),
    ({"note": 'x","location":"forged', "location": "东门"}, {"location"}, {"location": "东门"}),
    ({'a":1,"b': 5, "b": 6}, {"b", 'a":1,"b'}, {'a":1,"b': 5, "b": 6}),
    ({'x"location': 1, "location\\": 2}, {"location"}, {}),
    ({"x,": ':"y'}, {':"y'}, {}),
    ({"a": "{", "}": 1}, {"}"}, {"}": 1}),
]


def test_needed_keys_are_told_from_strings_that_end_like_a_key_begins() -> None:
    for attributes, needs, expected in _ADVERSARIAL:
        assert _needed(attributes, needs) == expected, (attributes, needs)


def test_a_stored_string_ending_in_a_comma_does_not_stop_the_next_call() -> None:
    seen: list[dict[str, object]] = []
    engine = _peeking_engine(frozenset({":"}), seen)
    engine.ingest([gp.Event("s1", "M1", "service", at(2, 9), attributes={"x,": ':"'})])
    result = engine.ingest([gp.Event("s2", "M1", "service", at(2, 10))])  # was a JSONDecodeError
    assert result.accepted == ("s2",)
    assert seen == [{}]


#: Short names of the characters JSON gives a meaning to (quotes, escapes, colons, commas,
#: braces), so that they meet at the ends of keys and values, and a few plain names.
_JSONISH = st.text(alphabet=':,{}"\\a', min_size=1, max_size=4)
_NAMES = _JSONISH | st.sampled_from(["location", "loc", "地点", 'x"location', "location\\", 'a":1,"b'])
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.decimals(-(10**6), 10**6, places=2)
    | st.text(max_size=12)
    | st.lists(_NAMES, min_size=1, max_size=3).map('":"'.join)
)
_VALUES = st.integers(0, 2).flatmap(lambda n: _JSONISH if n else _SCALARS)  # mostly JSON-ish


def _spelled(text: str) -> list[str]:
    """Every name the text seems to hold as a key: a JSON string after ``{`` or ``,`` and
    followed by ``:`` — the keys, and whatever else reads like one."""
    from json.decoder import scanstring

    names = []
    for quote in range(1, len(text)):
        if text[quote] == '"' and text[quote - 1] in "{,":
            try:
                name, end = scanstring(text, quote + 1)
            except ValueError:
                continue
            if name and text[end : end + 1] == ":":
                names.append(name)
    return names


@given(st.dictionaries(_NAMES, _VALUES, min_size=1, max_size=6), st.data())
def test_needed_attributes_are_read_from_the_payload_as_json_would(
    attributes: dict[str, object], data: st.DataObject
) -> None:
    import json

    from gridpoints.model import canonical_attributes

    text = canonical_attributes(attributes)
    parsed = json.loads(text)
    names = sorted(set(_spelled(text)))
    assert set(attributes) <= set(names)
    for name in names:  # each key and look-alike needed alone
        assert _needed(attributes, {name}) == ({name: parsed[name]} if name in parsed else {})
    needs = data.draw(st.sets(st.sampled_from(names) | _NAMES, max_size=4), label="needs")
    assert _needed(attributes, needs) == {name: parsed[name] for name in needs if name in parsed}
