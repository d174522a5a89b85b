"""Hooks are called through pluggy: wrappers, monitoring, tracing, blocking, and the plugin named
in every error even though pluggy does not say whose an answer or an exception is."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Generator, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pluggy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints._manager import PluginFacade
from gridpoints.plugin_manager import get_plugin_manager
from tests.conftest import NOW, at, xiao_li_month

HookCalls = list[tuple[str, str]]


def build(**kwargs: Any) -> gp.Engine:
    kwargs.setdefault("load_entrypoints", False)
    kwargs.setdefault("clock", lambda: NOW)
    return gp.Engine(**kwargs)


def monitored(pm: pluggy.PluginManager) -> HookCalls:
    """Attach a hook-call monitor; the list it fills with ("before"/"after", hook name)."""
    calls: HookCalls = []

    def before(hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, object]) -> None:
        calls.append(("before", hook_name))

    def after(outcome: pluggy.Result[object], hook_name: str, impls: Sequence[pluggy.HookImpl],
              kwargs: Mapping[str, object]) -> None:
        calls.append(("after", hook_name))

    pm.add_hookcall_monitoring(before, after)
    return calls


def rule_set(id: str, version: str = "1") -> gp.RuleSet:
    return gp.RuleSet(id, version, "2000-01-01", [gp.Rule("patrol", 5)])


class Contributes:
    """Contributes the given rule sets (or None)."""

    def __init__(self, *rulesets: gp.RuleSet, none: bool = False) -> None:
        self.rulesets = rulesets
        self.none = none

    @gp.hookimpl
    def gridpoints_rulesets(self) -> list[gp.RuleSet] | None:
        return None if self.none else list(self.rulesets)


# -- wrappers, monitoring, tracing -------------------------------------------------------------


def test_a_wrapper_and_a_hook_call_monitor_both_see_the_engine_being_built() -> None:
    wrapped: list[list[str]] = []

    class Wrapper:
        @gp.hookimpl(wrapper=True)
        def gridpoints_rulesets(self) -> Generator[None, list[Iterable[gp.RuleSet]], list[Iterable[gp.RuleSet]]]:
            answers = yield
            wrapped.append(sorted(r.id for answer in answers for r in answer))
            return answers

    pm = gp.make_plugin_manager()
    calls = monitored(pm)
    engine = build(plugin_manager=pm, plugins=[Wrapper(), Contributes(rule_set("extra"))])
    assert engine.plugins.pm is pm
    assert wrapped == [["extra", "standard"]]
    assert ("before", "gridpoints_rulesets") in calls and ("after", "gridpoints_rulesets") in calls
    assert ("before", "gridpoints_checks") in calls
    # A pass-through wrapper changes nothing: the same versions, credited to the same plugins.
    assert [(r.id, p) for r, p in engine.plugins.rulesets()] == [
        ("extra", "tests.test_pluggy_calls.Contributes"), ("standard", "gridpoints.plugins.standard_rules")]


def test_an_old_style_hookwrapper_can_force_the_result_and_is_credited_with_what_it_added() -> None:
    class Adds:
        @gp.hookimpl(hookwrapper=True)
        def gridpoints_rulesets(self) -> Generator[None, pluggy.Result[list[list[gp.RuleSet]]], None]:
            outcome = yield
            outcome.force_result([*outcome.get_result(), [rule_set("added")]])

    engine = build(ruleset="added", plugins=[Adds()])
    engine.add_members([gp.Member(id="M1", region="urban")])
    engine.ingest([gp.Event("p", "M1", "patrol", at(3))])
    assert engine.score("M1", "2026-11") == 5
    credited = dict((r.id, p) for r, p in engine.plugins.rulesets())
    assert credited["standard"] == "gridpoints.plugins.standard_rules"
    assert credited["added"].endswith("<locals>.Adds")


def test_a_wrapper_can_drop_a_built_in_check() -> None:
    class NoEvidenceCheck:
        @gp.hookimpl(wrapper=True)
        def gridpoints_checks(self) -> Generator[None, list[Iterable[gp.Check]], list[list[gp.Check]]]:
            answers = yield
            return [[c for c in answer if c.name != "evidence"] for answer in answers]

    mediation = gp.Event("m", "M1", "mediation", at(3))  # no evidence: the built-in check holds it
    held = build()
    held.add_members([gp.Member(id="M1", region="urban")])
    assert held.ingest([mediation]).held == ("m",)
    engine = build(plugins=[NoEvidenceCheck()])
    engine.add_members([gp.Member(id="M1", region="urban")])
    assert engine.ingest([mediation]).accepted == ("m",)
    assert [(c.name, p) for c, p in engine.plugins.checks()] == [
        ("outlier", "gridpoints.builtin.Outlier"), ("burst", "gridpoints.builtin.Burst"),
        ("daily_limit", "gridpoints.builtin.DailyLimit"),
        ("duplicate_submission", "gridpoints.builtin.DuplicateSubmission"),
    ]


def test_tracing_writes_every_hook_call_of_the_build() -> None:
    pm = gp.make_plugin_manager()
    lines: list[str] = []
    pm.trace.root.setwriter(lines.append)
    pm.enable_tracing()
    build(plugin_manager=pm)
    text = "".join(lines)
    assert "gridpoints_rulesets" in text and "gridpoints_checks" in text


def test_a_wrapper_on_grades_or_coefficients_sees_every_look_up() -> None:
    seen: list[str] = []

    class Watch:
        @gp.hookimpl(wrapper=True)
        def gridpoints_grade(self, score: Decimal) -> Generator[None, gp.Grade, gp.Grade]:
            seen.append(f"grade {score}")
            return (yield)

        @gp.hookimpl(wrapper=True)
        def gridpoints_coefficient(self, kind: str) -> Generator[None, Decimal, Decimal]:
            seen.append(f"coefficient {kind}")
            return (yield)

    engine = build(plugins=[Watch()])
    engine.add_members([gp.Member(id="M001", region="urban")])
    engine.ingest(xiao_li_month())
    report = engine.report("2026-11")
    assert report.row("M001").grade is gp.Grade.EXCELLENT
    # Once per (member, kind, month, version) — patrol, mediation; the deduction is not scaled —
    # and once per member and report.
    assert sorted(seen) == ["coefficient mediation", "coefficient patrol", "grade 127.00"]


def test_hook_calls_seen_by_a_monitor_do_not_grow_with_the_number_of_events() -> None:
    class Passes:
        @gp.hookimpl
        def gridpoints_coefficient(self) -> None:
            return None

        @gp.hookimpl
        def gridpoints_grade(self) -> None:
            return None

    def run(count: int) -> list[str]:
        pm = gp.make_plugin_manager()
        calls = monitored(pm)
        engine = build(plugin_manager=pm, coefficients={"rural": "1.2"}, plugins=[Contributes(), Passes()])
        engine.add_members([gp.Member(id="M1", region="rural")])
        engine.ingest([gp.Event(f"p{n}", "M1", "patrol", at(1 + n % 28, 8 + n % 10)) for n in range(count)])
        engine.report("2026-11")
        return [name for when, name in calls if when == "before"]

    small, large = run(10), run(500)
    # Built once; one coefficient per (member, kind, month, version); one grade per member and report.
    # The checks are collected once the rule set (and so its [checks] tables) is known.
    assert small == large == ["gridpoints_rulesets", "gridpoints_checks", "gridpoints_coefficient", "gridpoints_grade"]


def test_asking_an_implementation_again_goes_through_pluggy_too() -> None:
    pm = gp.make_plugin_manager()
    calls = monitored(pm)
    engine = build(plugin_manager=pm, plugins=[Contributes(none=True)])
    # One call; then, because an implementation answered None, each of the three (standard
    # rules, rule files, this plugin) alone, to learn whose answer is whose.
    assert [name for when, name in calls if when == "before"].count("gridpoints_rulesets") == 4
    assert engine.rulebook.id == "standard"


# -- blocking ----------------------------------------------------------------------------------


def test_a_blocked_built_in_module_answers_nothing() -> None:
    def awards(pm: pluggy.PluginManager) -> list[Decimal]:
        engine = build(plugin_manager=pm, checks=False)
        engine.add_members([gp.Member(id="M", region="urban")])
        engine.ingest([gp.Event(f"r{i}", "M", "rating", at(1 + i), attributes={"stars": 5}) for i in range(5)])
        return [award.points for _, award in engine.settle("2026-11").awards]

    assert awards(gp.make_plugin_manager()) == [Decimal(10)]
    pm = gp.make_plugin_manager(blocked=["gridpoints.plugins.satisfaction"])
    assert awards(pm) == []
    assert pm.is_blocked("gridpoints.plugins.satisfaction")
    assert "gridpoints.plugins.satisfaction" not in PluginFacade(pm).plugin_names()


def test_a_blocked_configured_built_in_check_is_not_registered() -> None:
    engine = build(plugin_manager=gp.make_plugin_manager(blocked=["gridpoints.builtin.Evidence"]))
    engine.add_members([gp.Member(id="M1", region="urban")])
    assert engine.ingest([gp.Event("m", "M1", "mediation", at(3))]).accepted == ("m",)
    assert "evidence" not in [c.name for c, _ in engine.plugins.checks()]


def test_a_blocked_entry_point_is_not_even_imported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "gp_blocked_demo.py").write_text(textwrap.dedent("""
        import gridpoints as gp

        @gp.hookimpl
        def gridpoints_rulesets():
            return [gp.RuleSet("blocked_demo", "1", "2000-01-01", [gp.Rule("patrol", 5)])]
    """))
    dist = tmp_path / "gp_blocked_demo-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: gp-blocked-demo\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[gridpoints]\nblocked_demo = gp_blocked_demo\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "gp_blocked_demo", raising=False)
    with pytest.raises(gp.ConfigurationError, match="no rule set 'blocked_demo'"):
        build(ruleset="blocked_demo", load_entrypoints=True,
              plugin_manager=gp.make_plugin_manager(blocked=["blocked_demo"]))
    assert "gp_blocked_demo" not in sys.modules
    found = build(ruleset="blocked_demo", load_entrypoints=True)  # not blocked: found and used
    assert "blocked_demo" in found.plugins.plugin_names()
    sys.modules.pop("gp_blocked_demo", None)


def test_a_configured_built_in_replaces_the_default_by_blocking_it() -> None:
    engine = build(plugins=[gp.SatisfactionAward(high="4.8")])
    assert engine.plugins.pm.is_blocked("gridpoints.plugins.satisfaction")
    assert "gridpoints.plugins.satisfaction" not in engine.plugins.plugin_names()


def test_blocked_must_be_a_list_of_names() -> None:
    with pytest.raises(TypeError, match="blocked: give a list of plugin names, not the string 'x'"):
        gp.make_plugin_manager(blocked="x")
    with pytest.raises(TypeError, match=r"blocked\[1\]: '' is not a plugin name"):
        gp.make_plugin_manager(blocked=["x", ""])


def test_a_manager_serves_one_engine_and_must_be_made_for_gridpoints() -> None:
    pm = gp.make_plugin_manager()
    build(plugin_manager=pm)
    with pytest.raises(gp.ConfigurationError, match=r"already holds gridpoints\.builtin\.RegionalCoefficients"):
        build(plugin_manager=pm)
    with pytest.raises(gp.ConfigurationError, match="is not a gridpoints plugin manager"):
        build(plugin_manager=pluggy.PluginManager("gridpoints"))
    with pytest.raises(gp.ConfigurationError, match="is not a gridpoints plugin manager"):
        build(plugin_manager=pluggy.PluginManager("other"))


# -- the plugin named in errors ----------------------------------------------------------------


def test_the_raising_one_of_two_instances_of_a_class_is_named() -> None:
    class Flaky:
        def __init__(self, fail: bool) -> None:
            self.fail = fail

        @gp.hookimpl
        def gridpoints_rulesets(self) -> list[gp.RuleSet]:
            return self._rulesets()

        def _rulesets(self) -> list[gp.RuleSet]:
            if self.fail:
                raise OSError("rules file unreadable")  # raised one frame below the hook
            return []

    with pytest.raises(gp.PluginError) as caught:
        build(plugins=[Flaky(False), Flaky(True), Flaky(False)])
    assert caught.value.plugin.endswith("<locals>.Flaky#2")
    assert "gridpoints_rulesets raised OSError('rules file unreadable')" in str(caught.value)


def test_a_wrapper_that_raises_in_its_teardown_is_named() -> None:
    class Breaks:
        @gp.hookimpl(wrapper=True)
        def gridpoints_checks(self) -> Generator[None, list[Iterable[gp.Check]], list[Iterable[gp.Check]]]:
            yield
            raise RuntimeError("teardown failed")

    with pytest.raises(gp.PluginError, match="gridpoints_checks raised RuntimeError") as caught:
        build(plugins=[Contributes(), Breaks()])
    assert caught.value.plugin.endswith("<locals>.Breaks")


def test_a_plugin_error_raised_under_a_wrapper_still_names_the_plugin_that_raised() -> None:
    class Passes:
        @gp.hookimpl(wrapper=True)
        def gridpoints_rulesets(self) -> Generator[None, object, object]:
            return (yield)

    class Broken:
        @gp.hookimpl
        def gridpoints_rulesets(self) -> list[gp.RuleSet]:
            raise KeyError("version")

    with pytest.raises(gp.PluginError, match=r"gridpoints_rulesets raised KeyError\('version'\)") as caught:
        build(plugins=[Broken(), Passes()])
    assert caught.value.plugin.endswith("<locals>.Broken")


def test_a_typed_error_a_plugin_raises_passes_through() -> None:
    class Refuses:
        @gp.hookimpl
        def gridpoints_store(self, url: str) -> gp.Store | None:
            raise gp.StoreUnavailableError("server down")

    with pytest.raises(gp.StoreUnavailableError, match="server down"):
        gp.Engine("custom:x", plugins=[Refuses()], load_entrypoints=False)


def test_a_wrapper_that_does_not_yield_is_pluggys_error_not_a_plugins() -> None:
    class NeverYields:
        @gp.hookimpl(wrapper=True)
        def gridpoints_checks(self) -> Generator[None, object, object]:
            if False:
                yield
            return []

    with pytest.raises(RuntimeError, match=r"wrap_controller at 'gridpoints_checks' .* did not yield"):
        build(plugins=[NeverYields()])


def test_an_invalid_first_result_is_named_after_plugins_that_passed() -> None:
    class Passes:
        @gp.hookimpl
        def gridpoints_coefficient(self) -> Decimal | None:
            return None

    class Floats:
        @gp.hookimpl(tryfirst=True)
        def gridpoints_coefficient(self) -> float:
            return 1.5

    engine = build(plugins=[Floats(), Passes()])
    engine.add_members([gp.Member(id="M1", region="urban")])
    with pytest.raises(gp.PluginError, match=r"gridpoints_coefficient returned 1\.5") as caught:
        engine.ingest([gp.Event("p", "M1", "patrol", at(3))])
    assert caught.value.plugin.endswith("<locals>.Floats")


def test_an_invalid_grade_a_wrapper_made_is_the_wrappers() -> None:
    class Spoils:
        @gp.hookimpl(wrapper=True)
        def gridpoints_grade(self) -> Generator[None, object, object]:
            yield
            return "excellent"

    engine = build(plugins=[Spoils()])
    engine.add_members([gp.Member(id="M1", region="urban")])
    with pytest.raises(gp.PluginError, match="returned 'excellent', not a Grade") as caught:
        engine.report("2026-11")
    assert caught.value.plugin.endswith("<locals>.Spoils")


def test_garbage_beside_a_plugin_answering_none_is_named() -> None:
    class Sloppy:
        @gp.hookimpl
        def gridpoints_rulesets(self) -> list[object]:
            return ["not a rule set"]

    with pytest.raises(gp.PluginError, match="returned 'not a rule set', not a RuleSet") as caught:
        build(plugins=[Sloppy(), Contributes(none=True)])
    assert caught.value.plugin.endswith("<locals>.Sloppy")


def test_an_answer_that_is_not_iterable_is_named() -> None:
    class Scalar:
        @gp.hookimpl
        def gridpoints_checks(self) -> object:
            return 42

    with pytest.raises(gp.PluginError, match="gridpoints_checks must return an iterable, got 42") as caught:
        build(plugins=[Scalar()])
    assert caught.value.plugin.endswith("<locals>.Scalar")


def test_a_wrapper_returning_no_list_is_named() -> None:
    class Collapses:
        @gp.hookimpl(wrapper=True)
        def gridpoints_rulesets(self) -> Generator[None, object, object]:
            yield
            return None

    with pytest.raises(gp.PluginError, match="gridpoints_rulesets wrapper returned None, not a list") as caught:
        build(plugins=[Collapses()])
    assert caught.value.plugin.endswith("<locals>.Collapses")


def test_an_answer_no_implementation_gives_again_names_every_implementation() -> None:
    class Fickle:
        """Answers once, then never again: not the pure contribution a hook should be."""

        def __init__(self) -> None:
            self.calls = 0

        @gp.hookimpl
        def gridpoints_rulesets(self) -> list[gp.RuleSet] | None:
            self.calls += 1
            return [rule_set("fickle")] if self.calls == 1 else None

    fickle = Fickle()
    facade = PluginFacade(get_plugin_manager([fickle, Contributes(none=True)], load_entrypoints=False))
    credited = {r.id: p for r, p in facade.rulesets()}
    assert credited["standard"] == "gridpoints.plugins.standard_rules"
    # Whose it was cannot be known: every implementation is named, in call order.
    in_call_order = [i.plugin_name for i in reversed(facade.pm.hook.gridpoints_rulesets.get_hookimpls())]
    assert credited["fickle"].split(" or ") == in_call_order
    assert facade.pm.get_name(fickle) in in_call_order and fickle.calls == 2


# -- who gave what: a property over plugins answering or not, with or without a wrapper ---------


class PassThrough:
    @gp.hookimpl(wrapper=True)
    def gridpoints_rulesets(self) -> Generator[None, object, object]:
        return (yield)


@settings(max_examples=60, deadline=None)
@given(answers=st.lists(st.one_of(st.none(), st.integers(0, 3)), max_size=5), wrapped=st.booleans())
def test_every_rule_set_is_credited_to_the_plugin_that_gave_it(answers: list[int | None], wrapped: bool) -> None:
    plugins: list[object] = [
        Contributes(*(rule_set(f"p{i}", str(j)) for j in range(count or 0)), none=count is None)
        for i, count in enumerate(answers)
    ]
    if wrapped:
        plugins.append(PassThrough())
    facade = PluginFacade(get_plugin_manager(plugins, load_entrypoints=False))
    names = {id(p): str(facade.pm.get_name(p)) for p in plugins}
    expected = {("standard", "2026.1"): "gridpoints.plugins.standard_rules"}
    for i, (plugin, count) in enumerate(zip(plugins, answers, strict=False)):
        for j in range(count or 0):
            expected[(f"p{i}", str(j))] = names[id(plugin)]
    credited = {(r.id, r.version): p for r, p in facade.rulesets()}
    assert credited == expected
