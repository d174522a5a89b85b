"""The built-in anti-gaming checks: each fires when it should, stays quiet when not, and says why."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints._time import micros
from gridpoints.plugins.checks import BUILTIN_CHECKS, Outlier
from gridpoints.plugins.checks.outlier import robust_z_scores
from gridpoints.timeline import Fact, Timeline
from tests.conftest import NOW, SHANGHAI, at


def build(**kwargs: object) -> gp.Engine:
    kwargs.setdefault("clock", lambda: NOW)
    engine = gp.Engine(load_entrypoints=False, **kwargs)  # type: ignore[arg-type]
    engine.add_members([gp.Member(id="M1", region="urban"), gp.Member(id="M2", region="urban")])
    return engine


def held(engine: gp.Engine) -> dict[str, gp.HeldEvent]:
    return {h.event.id: h for h in engine.review.pending()}


def only(name: str) -> dict[str, object]:
    """check_config that switches every built-in check off except ``name``."""
    return {other: False for other in BUILTIN_CHECKS if other != name}


# -- registration and configuration --------------------------------------------------------


def test_built_in_checks_are_contributed_through_the_hook() -> None:
    engine = build()
    names = [check.name for check, _ in engine.plugins.checks()]
    assert sorted(names) == sorted(BUILTIN_CHECKS)
    assert all(p.startswith("gridpoints.builtin.") for _, p in engine.plugins.checks())


def test_a_check_can_be_switched_off_or_configured() -> None:
    engine = build(check_config={"burst": False, "daily_limit": {"limits": {"patrol": 2, "service": 3}}})
    names = {check.name: check for check, _ in engine.plugins.checks()}
    assert "burst" not in names
    assert names["daily_limit"].kinds == frozenset({"patrol", "service"})


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"bursts": {}}, "no built-in check 'bursts'"),
        ({"burst": {"count": 0}}, r"check_config\['burst'\]: count: 0 must be at least 1"),
        ({"burst": {"window": 5}}, r"check_config\['burst'\]: .*unexpected keyword argument 'window'"),
        ({"daily_limit": {"limits": {"patrol": 1.5}}}, r"limits\['patrol'\]: 1.5 is a float"),
        ({"duplicate_submission": {"kinds": "patrol"}}, "kinds: give a list of kinds"),
        ({"evidence": {"kinds": {"hazard": "major"}}}, r"kinds\['hazard'\]: 'major' is not a mapping"),
        ({"outlier": 3}, r"check_config\['outlier'\]: 3 is not a mapping"),
    ],
)
def test_bad_check_options_are_clear_errors(config: dict[str, object], message: str) -> None:
    with pytest.raises(gp.ConfigurationError, match=message):
        build(check_config=config)


def test_checks_false_switches_every_built_in_check_off() -> None:
    engine = build(checks=False)
    assert engine.plugins.checks() == []
    assert engine.ingest([gp.Event("m", "M1", "mediation", at(3))]).accepted == ("m",)


# -- duplicate submission ------------------------------------------------------------------


def test_duplicate_submission_holds_the_second_at_the_same_place(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine(check_config=only("duplicate_submission"))
    engine.add_members([gp.Member(id="M1", region="urban")])
    first = gp.Event("p1", "M1", "patrol", at(3, 9), attributes={"location": "G1-P9"})
    assert engine.ingest([first]).accepted == ("p1",)
    again = gp.Event("p2", "M1", "patrol", at(3, 9) + timedelta(minutes=12), attributes={"location": "G1-P9"})
    result = engine.ingest([again])
    assert result.held == ("p2",)
    hold = held(engine)["p2"]
    assert (hold.check, hold.ref) == ("duplicate_submission", "p1")
    assert hold.reason == (
        "possible duplicate: patrol at location 'G1-P9' 12 min from event 'p1' of the same member "
        "(within 30 min); confirm they are two different pieces of work"
    )


def test_duplicate_submission_within_one_call_points_at_the_earliest() -> None:
    engine = build(check_config=only("duplicate_submission"))
    events = [
        gp.Event(f"p{n}", "M1", "patrol", at(3, 20) + timedelta(minutes=3 * n), attributes={"location": "X"})
        for n in range(3)
    ]
    result = engine.ingest(events)
    assert result.accepted == ("p0",) and result.held == ("p1", "p2")
    assert {h.ref for h in engine.review.pending()} == {"p0"}


@pytest.mark.parametrize(
    "other",
    [
        gp.Event("p2", "M1", "patrol", at(3, 9) + timedelta(minutes=31), attributes={"location": "G1-P9"}),
        gp.Event("p2", "M1", "patrol", at(3, 9), attributes={"location": "G1-P8"}),
        gp.Event("p2", "M2", "patrol", at(3, 9), attributes={"location": "G1-P9"}),
        gp.Event("p2", "M1", "service", at(3, 9), attributes={"location": "G1-P9"}),
        gp.Event("p2", "M1", "patrol", at(3, 9)),
    ],
    ids=["outside-window", "other-place", "other-member", "other-kind", "no-location"],
)
def test_duplicate_submission_stays_quiet(other: gp.Event) -> None:
    engine = build(check_config=only("duplicate_submission"))
    engine.ingest([gp.Event("p1", "M1", "patrol", at(3, 9), attributes={"location": "G1-P9"})])
    assert engine.ingest([other]).accepted == ("p2",)


def test_without_a_location_the_check_does_not_apply() -> None:
    engine = build(check_config=only("duplicate_submission"))
    result = engine.ingest([gp.Event(f"p{n}", "M1", "patrol", at(3, 9)) for n in range(3)])
    assert len(result.accepted) == 3


def test_a_rejected_original_no_longer_counts() -> None:
    engine = build(check_config=only("duplicate_submission"))
    engine.ingest([gp.Event("p1", "M1", "patrol", at(3, 9), attributes={"location": "X"})])
    engine.ingest([gp.Event("p2", "M1", "patrol", at(3, 9, ), attributes={"location": "X", "n": 2})])
    engine.review.reject("p2", by="审核员", reason="same patrol twice")
    third = gp.Event("p3", "M1", "patrol", at(3, 9), attributes={"location": "X", "n": 3})
    assert engine.ingest([third]).held == ("p3",)
    assert held(engine)["p3"].ref == "p1"


# -- daily limit ---------------------------------------------------------------------------


def test_daily_limit_holds_the_excess_over_12_patrols(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine(check_config=only("daily_limit"))
    engine.add_members([gp.Member(id="M1", region="urban")])
    day = [gp.Event(f"p{n}", "M1", "patrol", at(3, 7) + timedelta(minutes=40 * n)) for n in range(14)]
    result = engine.ingest(day)
    assert len(result.accepted) == 12 and result.held == ("p12", "p13")
    assert held(engine)["p12"].reason == (
        "daily limit: 12 patrol units already recorded on 2026-11-03; this event's 1 would make 13, "
        "over the limit of 12 per day"
    )
    assert engine.score("M1", "2026-11") == 60


def test_daily_limit_counts_quantity_and_the_local_day() -> None:
    engine = build(check_config=only("daily_limit"))
    late_evening = datetime(2026, 11, 3, 23, 30, tzinfo=SHANGHAI)
    assert engine.ingest([gp.Event("a", "M1", "patrol", late_evening, quantity=10)]).accepted == ("a",)
    # 00:30 the next day in Shanghai is 16:30 UTC on the 3rd: a new local day, so no hold.
    assert engine.ingest([gp.Event("b", "M1", "patrol", late_evening + timedelta(hours=1), quantity=10)]).accepted
    result = engine.ingest([gp.Event("c", "M1", "patrol", late_evening - timedelta(hours=2), quantity=3)])
    assert result.held == ("c",)
    assert "10 patrol units already recorded on 2026-11-03; this event's 3 would make 13" in held(engine)["c"].reason


def test_daily_limit_leaves_unlimited_kinds_and_other_members_alone() -> None:
    engine = build(check_config=only("daily_limit"))
    events = [gp.Event(f"s{n}", "M1", "service", at(3, 8) + timedelta(minutes=30 * n)) for n in range(20)]
    events += [gp.Event(f"p{n}", m, "patrol", at(3, 8) + timedelta(minutes=30 * n)) for n in range(12) for m in ("M1",)]
    events += [gp.Event(f"q{n}", "M2", "patrol", at(3, 8) + timedelta(minutes=30 * n)) for n in range(12)]
    assert len(engine.ingest(events).accepted) == 44


def test_daily_limit_configured_for_another_kind() -> None:
    engine = build(check_config={**only("daily_limit"), "daily_limit": {"limits": {"service": 2}}})
    result = engine.ingest([gp.Event(f"s{n}", "M1", "service", at(3, 8 + n)) for n in range(3)])
    assert result.held == ("s2",)
    assert engine.ingest([gp.Event(f"p{n}", "M1", "patrol", at(4, 8) + timedelta(minutes=n)) for n in range(15)])


# -- evidence ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "attributes", "what"),
    [
        ("mediation", {}, "mediation"),
        ("group_incident", {"evidence": "  "}, "group_incident"),
        ("suggestion_adopted", {"verified": "no"}, "suggestion_adopted"),
        ("hazard", {"severity": "major"}, "hazard (severity=major)"),
    ],
)
def test_evidence_holds_high_value_claims_without_proof(kind: str, attributes: dict[str, object], what: str) -> None:
    engine = build(check_config=only("evidence"))
    assert engine.ingest([gp.Event("e", "M1", kind, at(3), attributes=attributes)]).held == ("e",)
    assert held(engine)["e"].reason == (
        f"no evidence: {what} is high-value self-reported work but has neither attributes['evidence'] "
        "nor attributes['verified']; check the record before it counts"
    )


@pytest.mark.parametrize(
    ("kind", "attributes"),
    [
        ("mediation", {"evidence": "record-17.pdf"}),
        ("mediation", {"verified": True}),
        ("group_incident", {"verified": "是"}),
        ("suggestion_adopted", {"verified": "TRUE"}),
        ("hazard", {"severity": "general"}),
        ("hazard", {}),
        ("patrol", {}),
        ("service", {}),
    ],
)
def test_evidence_stays_quiet(kind: str, attributes: dict[str, object]) -> None:
    engine = build(check_config=only("evidence"))
    assert engine.ingest([gp.Event("e", "M1", kind, at(3), attributes=attributes)]).accepted == ("e",)


def test_evidence_kinds_are_configurable() -> None:
    engine = build(check_config={**only("evidence"), "evidence": {"kinds": {"service": None}}})
    result = engine.ingest([gp.Event("s", "M1", "service", at(3)), gp.Event("m", "M1", "mediation", at(4))])
    assert (result.held, result.accepted) == (("s",), ("m",))


# -- burst ---------------------------------------------------------------------------------


def test_burst_holds_events_beyond_8_within_10_minutes(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine(check_config=only("burst"))
    engine.add_members([gp.Member(id="M1", region="urban")])
    start = at(3, 14)
    kinds = ["patrol", "service", "activity"]
    events = [gp.Event(f"b{n}", "M1", kinds[n % 3], start + timedelta(minutes=n)) for n in range(10)]
    result = engine.ingest(events)
    assert len(result.accepted) == 8 and result.held == ("b8", "b9")
    assert held(engine)["b8"].reason == (
        "burst: 9 events of member M1 from 2026-11-03 14:00 within 10 min (more than 8); "
        "check they were really done, not typed in at once"
    )


def test_burst_does_not_depend_on_arrival_order() -> None:
    engine = build(check_config=only("burst"))
    start = at(3, 14)
    # The later events arrive first; the earliest one makes nine within ten minutes.
    later = [gp.Event(f"b{n}", "M1", "service", start + timedelta(minutes=n)) for n in range(1, 9)]
    assert len(engine.ingest(later).accepted) == 8
    assert engine.ingest([gp.Event("b0", "M1", "service", start)]).held == ("b0",)


def test_burst_stays_quiet_when_spread_out_or_split_between_members() -> None:
    engine = build(check_config=only("burst"))
    start = at(3, 14)
    spread = [gp.Event(f"s{n}", "M1", "service", start + timedelta(minutes=2 * n)) for n in range(12)]
    split = [gp.Event(f"t{n}", f"M{1 + n % 2}", "activity", at(4, 14) + timedelta(minutes=n)) for n in range(16)]
    result = engine.ingest(spread + split)
    assert len(result.accepted) == 28 and not result.held


def test_burst_limits_are_configurable() -> None:
    engine = build(check_config={**only("burst"), "burst": {"count": 2, "minutes": 60, "kinds": ["service"]}})
    events = [gp.Event(f"s{n}", "M1", "service", at(3, 14) + timedelta(minutes=20 * n)) for n in range(3)]
    events += [gp.Event(f"p{n}", "M1", "patrol", at(3, 14) + timedelta(minutes=n)) for n in range(5)]
    result = engine.ingest(events)
    assert result.held == ("s2",) and len(result.accepted) == 7


# -- outliers ------------------------------------------------------------------------------


def test_robust_z_score_matches_the_formula() -> None:
    scores = {str(n): Decimal(v) for n, v in enumerate([10, 12, 14, 16, 18, 20, 22, 24, 100])}
    z = robust_z_scores(scores)
    # median 18, MAD median(|x-18|) = 4 → 0.6745·82/4
    assert z["8"] == Decimal("0.6745") * 82 / 4
    assert robust_z_scores({str(n): Decimal(5) for n in range(10)}) == {}


def region_engine(
    scores: list[int], *, region: str = "urban", check_config: dict[str, object] | None = None
) -> gp.Engine:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW, check_config=check_config)
    engine.add_members([gp.Member(id=f"U{n:02d}", region=region) for n in range(len(scores))])
    events = []
    for n, score in enumerate(scores):
        if score:
            # Service is +10 a unit: one event with the quantity that gives the score.
            events.append(gp.Event(f"s{n}", f"U{n:02d}", "service", at(3, 9), quantity=score // 10))
    engine.ingest(events)
    return engine


def test_outlier_is_flagged_on_the_month_report_and_points_stay() -> None:
    scores = [100, 120, 140, 160, 180, 200, 220, 240, 1000]
    engine = region_engine(scores)
    report = engine.report("2026-11")
    assert report.row("U08").flags == ("outlier",)
    assert report.row("U08").score == 1000
    assert all(row.flags == () for row in report if row.member_id != "U08")
    assert engine.report("2026-Q4").row("U08").flags == ()


def test_outlier_stays_quiet_with_few_peers_flat_scores_or_low_scores() -> None:
    # 8 members: only 7 peers each.
    assert all(r.flags == () for r in region_engine([100, 120, 140, 160, 180, 200, 220, 1000]).report("2026-11"))
    # MAD 0: most scores equal.
    assert all(r.flags == () for r in region_engine([100] * 8 + [1000]).report("2026-11"))
    # A very low score is not an outlier in this sense.
    low = region_engine([0, 500, 510, 520, 530, 540, 550, 560, 570])
    assert all("outlier" not in r.flags for r in low.report("2026-11"))


def test_outlier_peers_are_the_same_region_only() -> None:
    engine = region_engine([100, 120, 140, 160, 180, 200, 220, 240, 1000])
    engine.add_members([gp.Member(id="R1", region="rural")])
    engine.ingest([gp.Event("r", "R1", "service", at(3), quantity=500)])
    report = engine.report("2026-11")
    assert report.row("R1").flags == () and report.row("U08").flags == ("outlier",)


def test_outlier_options() -> None:
    scores = [100, 120, 140, 160, 180, 200, 220, 240, 400]  # z = 0.6745·220/40 ≈ 3.71
    assert region_engine(scores).report("2026-11").row("U08").flags == ("outlier",)
    strict = region_engine(scores, check_config={"outlier": {"threshold": "4"}})
    assert strict.report("2026-11").row("U08").flags == ()
    assert region_engine([*scores[:6], 400]).report("2026-11").row("U06").flags == ()
    few = region_engine([*scores[:6], 400], check_config={"outlier": {"min_peers": 6}})
    assert few.report("2026-11").row("U06").flags == ("outlier",)
    off = region_engine(scores, check_config={"outlier": False})
    assert off.report("2026-11").row("U08").flags == ()


def test_outlier_never_inspects_events() -> None:
    assert Outlier().kinds == frozenset()


def test_history_is_loaded_once_per_call_whatever_the_chunk_size(monkeypatch: pytest.MonkeyPatch) -> None:
    from gridpoints.stores import memory

    calls: list[int] = []
    original = memory._MemoryTransaction.history

    def counting(self: memory._MemoryTransaction, member_ids: list[str], start: int, end: int) -> list[tuple[str, str]]:
        calls.append(len(member_ids))
        return original(self, member_ids, start, end)

    monkeypatch.setattr(memory._MemoryTransaction, "history", counting)
    engine = build()
    engine.add_members([gp.Member(id=f"X{n}", region="urban") for n in range(50)])
    engine.pipeline.chunk_size = 100
    events = [gp.Event(f"p{n}", f"X{n % 50}", "patrol", at(1 + n % 28, 6 + n % 12)) for n in range(300)]
    result = engine.ingest(events)
    assert len(result.accepted) + len(result.held) == 300
    # Once for the call (the old design read it again for every chunk: quadratic in random order).
    assert calls == [50]


def test_a_locality_check_can_flag_months_and_its_errors_name_it() -> None:
    class Watch(gp.Check):
        name = "watch"
        kinds = frozenset()

        def __init__(self, flag: object) -> None:
            self.flag = flag

        def inspect(self, event: gp.Event, context: gp.CheckContext) -> gp.Verdict | None:
            return None

        def period_flags(self, period: gp.Period, members: object, scores: Mapping[str, Decimal]) -> dict[str, object]:
            if self.flag == "boom":
                raise RuntimeError("boom")
            return {"M1": self.flag, "nobody": "watch"}

    class Plugin:
        def __init__(self, check: gp.Check) -> None:
            self.check = check

        @gp.hookimpl
        def gridpoints_checks(self) -> list[gp.Check]:
            return [self.check]

    assert build(plugins=[Plugin(Watch("watch"))]).report("2026-11").row("M1").flags == ("watch",)
    assert "watch" not in build(plugins=[Plugin(Watch("watch"))]).report("2026-Q4").row("M1").flags
    with pytest.raises(gp.PluginError, match=r"check 'watch' period_flags raised RuntimeError\('boom'\)"):
        build(plugins=[Plugin(Watch("boom"))]).report("2026-11")
    with pytest.raises(gp.PluginError, match="check 'watch' flagged 'M1' with 3, not a name"):
        build(plugins=[Plugin(Watch(3))]).report("2026-11")


# -- what a check sees: history look-ups ------------------------------------------------------

_ZONES = [SHANGHAI, ZoneInfo("UTC"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Kathmandu")]
_BASE = datetime(2026, 11, 1, tzinfo=ZoneInfo("UTC"))


@st.composite
def _history_and_bounds(draw: st.DrawFn) -> tuple[list[gp.Event], datetime, datetime, str | None]:
    """Events in mixed zones (some at the same instant), and a window to look them up in."""
    minutes = draw(st.lists(st.integers(0, 600), max_size=30))
    events = [
        gp.Event(
            f"e{n}",
            "M1",
            draw(st.sampled_from(["patrol", "service"])),
            (_BASE + timedelta(minutes=m)).astimezone(draw(st.sampled_from(_ZONES))),
        )
        for n, m in enumerate(minutes)
    ]
    low, high = sorted(draw(st.tuples(st.integers(-10, 610), st.integers(-10, 610))))
    zone = draw(st.sampled_from(_ZONES))
    kind = draw(st.sampled_from([None, "patrol", "service"]))
    start = (_BASE + timedelta(minutes=low)).astimezone(zone)
    end = (_BASE + timedelta(minutes=high)).astimezone(zone)
    return events, start, end, kind


class _History:
    """Events sorted by instant with their µs instants alongside, as a legacy context takes them."""

    def __init__(self, events: list[gp.Event]) -> None:
        ordered = sorted(events, key=lambda e: micros(e.occurred_at))
        self.events = ordered
        self.times = [micros(e.occurred_at) for e in ordered]


@given(_history_and_bounds())
def test_between_finds_exactly_the_events_in_the_window_whatever_their_zones(
    case: tuple[list[gp.Event], datetime, datetime, str | None],
) -> None:
    events, start, end, kind = case
    history = _History(events)
    # The oracle compares instants in UTC: comparing aware datetimes of one zone ignores `fold`,
    # so two readings of 01:30 on a DST fall-back night would compare equal.
    utc = ZoneInfo("UTC")

    def instant(moment: datetime) -> datetime:
        return moment.astimezone(utc)

    assert [instant(e.occurred_at) for e in history.events] == sorted(instant(e.occurred_at) for e in events)
    member = gp.Member(id="M1", region="urban")
    expected = sorted(
        (e for e in events if instant(start) <= instant(e.occurred_at) <= instant(end) and kind in (None, e.kind)),
        key=lambda e: instant(e.occurred_at),
    )
    # As the pipeline builds it (times passed in), and as a check's own test would (no times).
    fast = gp.CheckContext(member, "2026-11", SHANGHAI, history.events, times=history.times)
    plain = gp.CheckContext(member, "2026-11", SHANGHAI, list(history.events))
    for context in (fast, plain):
        assert {e.id for e in context.between(start, end, kind=kind)} == {e.id for e in expected}
        found = context.between_us(micros(start), micros(end), kind=kind)
        assert [instant(e.occurred_at) for e in found] == [instant(e.occurred_at) for e in expected]
    # recent_at_most: every event within the window of one in the history, itself included.
    for probe in events[:3]:
        window = timedelta(minutes=10)
        near = [e for e in events if abs(instant(e.occurred_at) - instant(probe.occurred_at)) <= window]
        assert fast.recent_at_most(probe, window) == plain.recent_at_most(probe, window) == len(near)
        assert len(fast.recent(probe, window)) == len(near) - 1
    # The running state the checks now read answers the same, in µs.
    timeline = Timeline(member, SHANGHAI)
    for event in sorted(events, key=lambda e: (micros(e.occurred_at), e.id)):
        timeline.record(Fact(event.id, event.kind, micros(event.occurred_at), event.quantity, event.attributes))
    found_facts = timeline.between(micros(start), micros(end), kind=kind)
    assert [f.at_us for f in found_facts] == [micros(e.occurred_at) for e in expected]
    assert {f.id for f in found_facts} == {e.id for e in expected}
    assert timeline.count(micros(start), micros(end), kind=kind) == len(expected)
    assert timeline.instants(micros(start), micros(end), kind=kind) == [micros(e.occurred_at) for e in expected]


def test_recent_uses_the_inspected_events_own_time_and_leaves_it_out() -> None:
    member = gp.Member(id="M1", region="urban")
    events = [gp.Event(f"e{n}", "M1", "patrol", at(3, 9) + timedelta(minutes=5 * n)) for n in range(5)]
    history = _History(events)
    inspected = events[2]
    nine_ten = micros(at(3, 9)) + 600_000_000
    context = gp.CheckContext(
        member, "2026-11", SHANGHAI, history.events, times=history.times, current=(inspected, nine_ten)
    )
    # The inspected event's time comes from `current` (09:10) …
    assert [e.id for e in context.recent(inspected, timedelta(minutes=5))] == ["e1", "e3"]
    # … any other event's from its own occurred_at (09:15).
    assert [e.id for e in context.recent(events[3], timedelta(minutes=5))] == ["e2", "e4"]
    # `date -u -d "2026-11-03 01:00" +%s` prints 1793667600.
    assert gp.CheckContext.micros(at(3, 9)) == micros(at(3, 9)) == 1_793_667_600 * 10**6


def test_daily_limit_sums_int_and_decimal_quantities_exactly() -> None:
    engine = build(check_config=only("daily_limit") | {"daily_limit": {"limits": {"service": "2.5"}}})
    result = engine.ingest(
        [
            gp.Event("s1", "M1", "service", at(3, 8), quantity=1),
            gp.Event("s2", "M1", "service", at(3, 9), quantity=Decimal("1.5")),
            gp.Event("s3", "M1", "service", at(3, 10), quantity=Decimal("0.5")),
        ]
    )
    assert result.accepted == ("s1", "s2") and result.held == ("s3",)
    assert "2.5 service units already recorded on 2026-11-03" in held(engine)["s3"].reason
