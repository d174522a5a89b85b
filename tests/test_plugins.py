"""Plugins: rule sets, coefficients, grades and checks through hooks, entry points, errors, call counts."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

import gridpoints as gp
from tests.conftest import NOW, at, xiao_li_month

JIANGSU = gp.RuleSet(
    "jiangsu", "2026.1", "2000-01-01",
    [gp.Rule("patrol", 5, label="巡查"), gp.Rule("mediation", 10, label="调解纠纷"),
     gp.Rule("complaint", -10, label="有效投诉"), gp.Rule("late_report", -3, label="迟报")],
)


class JiangsuPlugin:
    @gp.hookimpl
    def gridpoints_rulesets(self) -> list[gp.RuleSet]:
        return [JIANGSU]


def build(**kwargs: object) -> gp.Engine:
    kwargs.setdefault("load_entrypoints", False)
    kwargs.setdefault("clock", lambda: NOW)
    return gp.Engine(**kwargs)  # type: ignore[arg-type]


def test_a_plugin_passed_to_the_engine_contributes_a_selectable_rule_set() -> None:
    engine = build(ruleset="jiangsu", plugins=[JiangsuPlugin()])
    engine.add_members([gp.Member(id="M001", region="urban")])
    engine.ingest(xiao_li_month())
    assert engine.score("M001", "2026-11") == 100 + 20 - 3
    assert {e.ruleset for e in engine.explain("M001", "2026-11")} == {"jiangsu"}
    # The built-in standard set is still there for engines that ask for it.
    assert build(plugins=[JiangsuPlugin()]).rulebook.id == "standard"


def test_unknown_rule_set_lists_what_is_available() -> None:
    with pytest.raises(gp.ConfigurationError, match="no rule set 'shanghai'; available: jiangsu, standard"):
        build(ruleset="shanghai", plugins=[JiangsuPlugin()])


def test_an_installed_entry_point_plugin_is_found(tmp_path: Path) -> None:
    (tmp_path / "gp_locality_demo.py").write_text(textwrap.dedent("""
        import gridpoints as gp

        @gp.hookimpl
        def gridpoints_rulesets():
            return [gp.RuleSet("jiangsu", "2026.1", "2000-01-01",
                               [gp.Rule("patrol", 5), gp.Rule("mediation", 10), gp.Rule("complaint", -10)])]
    """))
    dist = tmp_path / "gp_locality_demo-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: gp-locality-demo\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[gridpoints]\njiangsu = gp_locality_demo\n")
    script = textwrap.dedent("""
        from datetime import datetime
        from zoneinfo import ZoneInfo
        import gridpoints as gp
        eng = gp.Engine(ruleset="jiangsu")
        eng.add_members([gp.Member(id="M1", region="urban")])
        t = datetime(2026, 11, 3, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
        eng.ingest([gp.Event("m", "M1", "mediation", t, attributes={"evidence": "x"})])
        print(eng.score("M1", "2026-11"), "jiangsu" in eng.plugins.plugin_names())
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["10.00", "True"]


def test_two_plugins_with_the_same_rule_set_version_are_named() -> None:
    class Twin:
        @gp.hookimpl
        def gridpoints_rulesets(self) -> list[gp.RuleSet]:
            return [JIANGSU]

    with pytest.raises(gp.ConfigurationError) as caught:
        build(plugins=[JiangsuPlugin(), Twin()])
    message = str(caught.value)
    assert "rule set jiangsu version 2026.1 is contributed by both" in message
    assert "'tests.test_plugins.JiangsuPlugin'" in message
    assert "'tests.test_plugins.test_two_plugins_with_the_same_rule_set_version_are_named.<locals>.Twin'" in message


def test_a_plugin_that_raises_is_named() -> None:
    class Broken:
        @gp.hookimpl
        def gridpoints_rulesets(self) -> list[gp.RuleSet]:
            raise RuntimeError("disk on fire")

    broken = Broken()
    with pytest.raises(gp.PluginError) as caught:
        build(plugins=[broken])
    assert "gridpoints_rulesets raised RuntimeError('disk on fire')" in str(caught.value)
    assert caught.value.plugin == "tests.test_plugins.test_a_plugin_that_raises_is_named.<locals>.Broken"


def test_a_plugin_returning_garbage_is_named() -> None:
    class Sloppy:
        @gp.hookimpl
        def gridpoints_rulesets(self) -> list[object]:
            return ["not a rule set"]

    with pytest.raises(gp.PluginError, match="returned 'not a rule set', not a RuleSet"):
        build(plugins=[Sloppy()])


class CountingCoefficients:
    """A locality coefficient plugin: mountain grids get 1.5; counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    @gp.hookimpl
    def gridpoints_coefficient(self, member: gp.Member, kind: str) -> Decimal | None:
        self.calls += 1
        return Decimal("1.5") if member.region == "mountain" else None


def test_a_locality_coefficient_plugin_overrides_the_builtin_and_falls_back_to_it() -> None:
    plugin = CountingCoefficients()
    engine = build(plugins=[plugin], coefficients={"rural": "1.2"})
    engine.add_members([gp.Member(id="A", region="mountain"), gp.Member(id="B", region="rural"),
                        gp.Member(id="C", region="urban")])
    engine.ingest([gp.Event(f"{m}-p", m, "patrol", at(3)) for m in "ABC"])
    assert [engine.score(m, "2026-11") for m in "ABC"] == [Decimal("7.5"), Decimal(6), Decimal(5)]


def test_hook_calls_do_not_grow_with_the_number_of_events() -> None:
    calls: dict[str, int] = {"rulesets": 0, "checks": 0, "grade": 0, "check_inspect": 0}
    coefficients = CountingCoefficients()

    class Counting:
        @gp.hookimpl
        def gridpoints_rulesets(self) -> list[gp.RuleSet]:
            calls["rulesets"] += 1
            return []

        @gp.hookimpl
        def gridpoints_checks(self) -> list[gp.Check]:
            calls["checks"] += 1
            return []

    def run(count: int) -> dict[str, int]:
        for key in calls:
            calls[key] = 0
        coefficients.calls = 0
        engine = build(plugins=[Counting(), coefficients])
        engine.add_members([gp.Member(id="M1", region="mountain")])
        engine.ingest([gp.Event(f"p{n}", "M1", "patrol", at(1 + n % 28, 8 + n % 10)) for n in range(count)])
        engine.report("2026-11")
        return {**calls, "coefficient": coefficients.calls}

    small, large = run(10), run(1000)
    assert small == large == {"rulesets": 1, "checks": 1, "grade": 0, "check_inspect": 0, "coefficient": 1}


class HoldMajorHazards(gp.Check):
    name = "major_hazard_review"
    kinds = frozenset({"hazard"})

    def inspect(self, event: gp.Event, context: gp.CheckContext) -> gp.Verdict | None:
        if event.attributes.get("severity") == "major":
            return gp.Verdict.hold(self.name, "major hazards are confirmed by a person")
        return None


class RejectNightPatrols(gp.Check):
    name = "night_patrol"
    kinds = frozenset({"patrol"})

    def inspect(self, event: gp.Event, context: gp.CheckContext) -> gp.Verdict | None:
        hour = event.occurred_at.astimezone(context.tz).hour
        return gp.Verdict.reject(self.name, f"patrol at {hour}:00 is outside duty hours") if hour < 6 else None


class ChecksPlugin:
    def __init__(self, *checks: gp.Check) -> None:
        self.checks = checks

    @gp.hookimpl
    def gridpoints_checks(self) -> list[gp.Check]:
        return list(self.checks)


def test_checks_hold_and_reject_and_held_events_survive_reopening(tmp_path: Path) -> None:
    path = str(tmp_path / "p.db")
    plugin = ChecksPlugin(HoldMajorHazards(), RejectNightPatrols())
    with build(store=path, plugins=[plugin]) as engine:
        engine.add_members([gp.Member(id="M1", region="urban")])
        result = engine.ingest([
            gp.Event("h-major", "M1", "hazard", at(3), attributes={"severity": "major"}),
            gp.Event("h-minor", "M1", "hazard", at(4)),
            gp.Event("p-night", "M1", "patrol", at(5, 3)),
            gp.Event("p-day", "M1", "patrol", at(5, 9)),
        ])
        assert result.held == ("h-major",) and result.accepted == ("h-minor", "p-day")
        assert [(r.event_id, r.code, r.message) for r in result.rejected] == [
            ("p-night", "gaming", "night_patrol: patrol at 3:00 is outside duty hours")
        ]
        assert engine.score("M1", "2026-11") == 15
        # Re-sending a held event is a duplicate, not a second hold.
        assert engine.ingest([gp.Event("h-major", "M1", "hazard", at(3), attributes={"severity": "major"})]).duplicates
    with build(store=path, plugins=[plugin]) as engine:
        (held,) = engine.review.pending()
        assert (held.event.id, held.check, held.reason) == (
            "h-major", "major_hazard_review", "major hazards are confirmed by a person")
        assert engine.review.approve("h-major", by="王主任") == 1
        assert engine.score("M1", "2026-11") == 35 and engine.review.pending() == []
        with pytest.raises(gp.ReviewError, match="already"):
            engine.review.approve("h-major", by="王主任")
        with pytest.raises(gp.NotFoundError):
            engine.review.reject("nope", by="王主任", reason="x")


def test_reviewer_rejection_is_remembered(engine: gp.Engine) -> None:
    engine = build(plugins=[ChecksPlugin(HoldMajorHazards())])
    engine.add_members([gp.Member(id="M1", region="urban")])
    event = gp.Event("h", "M1", "hazard", at(3), attributes={"severity": "major"})
    engine.ingest([event])
    engine.review.reject("h", by="王主任", reason="photo shows last year's hazard")
    assert engine.score("M1", "2026-11") == 0 and engine.review.pending() == []
    assert engine.ingest([event]).duplicates == ("h",)


def test_a_check_that_raises_is_named_and_nothing_is_booked(make_engine: Callable[..., gp.Engine]) -> None:
    class Fragile(gp.Check):
        name = "fragile"

        def inspect(self, event: gp.Event, context: gp.CheckContext) -> gp.Verdict | None:
            if event.id == "p7":
                raise KeyError("location")
            return None

    engine = make_engine(plugins=[ChecksPlugin(Fragile())])
    engine.add_members([gp.Member(id="M1", region="urban")])
    with pytest.raises(gp.PluginError, match="check 'fragile' raised KeyError\\('location'\\) on event 'p7'"):
        engine.ingest([gp.Event(f"p{n}", "M1", "patrol", at(1 + n)) for n in range(10)])
    assert engine.ledger.head()[0] == 0 and engine.score("M1", "2026-11") == 0
    assert engine.review.pending() == []


def test_checks_can_be_switched_off() -> None:
    engine = build(plugins=[ChecksPlugin(HoldMajorHazards())], checks=False)
    engine.add_members([gp.Member(id="M1", region="urban")])
    assert engine.ingest([gp.Event("h", "M1", "hazard", at(3), attributes={"severity": "major"})]).accepted == ("h",)


def test_checks_see_the_members_history_within_their_window() -> None:
    from datetime import timedelta

    seen: list[list[str]] = []

    class Spy(gp.Check):
        name = "spy"
        window = timedelta(hours=2)

        def inspect(self, event: gp.Event, context: gp.CheckContext) -> gp.Verdict | None:
            seen.append([e.id for e in context.recent(event, self.window)])
            return None

    engine = build(plugins=[ChecksPlugin(Spy())])
    engine.add_members([gp.Member(id="M1", region="urban"), gp.Member(id="M2", region="urban")])
    engine.ingest([gp.Event("a", "M1", "patrol", at(3, 9)), gp.Event("x", "M2", "patrol", at(3, 9))])
    engine.ingest([gp.Event("b", "M1", "patrol", at(3, 10)), gp.Event("c", "M1", "patrol", at(3, 14))])
    assert seen == [[], [], ["a"], []]


def test_a_grade_plugin_overrides_the_default() -> None:
    class Strict:
        @gp.hookimpl
        def gridpoints_grade(self, score: Decimal) -> gp.Grade | None:
            return gp.Grade.UNQUALIFIED if score < 130 else None

    engine = build(plugins=[Strict()])
    engine.add_members([gp.Member(id="M001", region="urban")])
    engine.ingest(xiao_li_month())
    assert engine.report("2026-11").row("M001").grade is gp.Grade.UNQUALIFIED


def test_an_unknown_store_url_is_a_clear_error() -> None:
    with pytest.raises(gp.ConfigurationError, match="no store plugin handles 'redis://x'"):
        gp.Engine("redis://x", load_entrypoints=False)


def test_a_store_plugin_is_reached_through_the_hook() -> None:
    opened: list[str] = []

    class Custom:
        @gp.hookimpl
        def gridpoints_store(self, url: str) -> gp.Store | None:
            if url.startswith("custom:"):
                opened.append(url)
                return gp.MemoryStore()
            return None

    engine = gp.Engine("custom:district-7", plugins=[Custom()], load_entrypoints=False)
    assert opened == ["custom:district-7"] and isinstance(engine.store, gp.MemoryStore)


def test_history_includes_kinds_the_check_does_not_inspect_within_one_chunk() -> None:
    from datetime import timedelta

    seen: list[list[str]] = []

    class HazardSpy(gp.Check):
        name = "hazard_spy"
        kinds = frozenset({"hazard"})
        window = timedelta(hours=3)

        def inspect(self, event: gp.Event, context: gp.CheckContext) -> gp.Verdict | None:
            seen.append([e.id for e in context.recent(event, self.window)])
            return None

    engine = build(plugins=[ChecksPlugin(HazardSpy())])
    engine.add_members([gp.Member(id="M1", region="urban")])
    engine.ingest([gp.Event("p", "M1", "patrol", at(3, 9)), gp.Event("h", "M1", "hazard", at(3, 10))])
    assert seen == [["p"]]


def test_a_repeated_id_after_a_check_rejected_its_first_copy_is_judged_again() -> None:
    verdicts = iter([gp.Verdict.reject("once", "first copy refused"), None])

    class Once(gp.Check):
        name = "once"

        def inspect(self, event: gp.Event, context: gp.CheckContext) -> gp.Verdict | None:
            return next(verdicts)

    engine = build(plugins=[ChecksPlugin(Once())])
    engine.add_members([gp.Member(id="M1", region="urban")])
    result = engine.ingest([gp.Event("p", "M1", "patrol", at(3)), gp.Event("p", "M1", "patrol", at(3))])
    assert [r.code for r in result.rejected] == ["gaming"] and result.accepted == ("p",)
    assert result.duplicates == ()


def test_two_versions_taking_effect_the_same_day_are_refused() -> None:
    class Rival:
        @gp.hookimpl
        def gridpoints_rulesets(self) -> list[gp.RuleSet]:
            return [gp.RuleSet("jiangsu", "2026.1-js", "2000-01-01", [gp.Rule("patrol", 6)])]

    with pytest.raises(gp.ConfigurationError, match="both take effect on 2000-01-01") as caught:
        build(plugins=[JiangsuPlugin(), Rival()])
    message = str(caught.value)
    assert "version 2026.1 from plugin 'tests.test_plugins.JiangsuPlugin'" in message
    rival = "'tests.test_plugins.test_two_versions_taking_effect_the_same_day_are_refused.<locals>.Rival'"
    assert f"version 2026.1-js from plugin {rival}" in message
