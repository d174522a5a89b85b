"""Choosing which installed plugins load (--no-plugins, --plugin, Engine(plugins_enabled=…)),
a rule set clash between an installed package and a rule file that says how to resolve it, and
``gridpoints plugins`` listing the checks with their labels and settings."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.plugins.checks import BUILTIN_CHECKS, configure_checks
from tests.conftest import NOW, Run
from tests.helpers_installed import install_plugin

JIANGSU_TOML = Path(__file__).resolve().parent.parent / "examples" / "rules" / "jiangsu.toml"

TALLY = """
    import gridpoints as gp

    @gp.hookimpl
    def gridpoints_rulesets():
        return [gp.RuleSet("tally", "1", "2000-01-01", [gp.Rule("patrol", 1)])]
"""


@pytest.fixture
def tally(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A second installed plugin beside gridpoints-jiangsu: entry point ``tally``, rule set ``tally``."""
    install_plugin(tmp_path / "site", monkeypatch, name="tally", dist="gp-test-tally", source=TALLY)
    return "tally"


def loaded(engine: gp.Engine) -> set[str]:
    return {name for name in engine.plugins.plugin_names() if name in ("jiangsu", "tally")}


# -- Engine(plugins_enabled=…) ------------------------------------------------------------------


def test_plugins_enabled_loads_only_the_named_installed_plugins(tally: str) -> None:
    assert loaded(gp.Engine(clock=lambda: NOW)) == {"jiangsu", "tally"}
    assert loaded(gp.Engine(plugins_enabled=["tally"])) == {"tally"}
    assert loaded(gp.Engine(plugins_enabled=["jiangsu", "tally"])) == {"jiangsu", "tally"}
    assert loaded(gp.Engine(plugins_enabled=[])) == set()
    with pytest.raises(gp.ConfigurationError, match="no rule set 'tally'"):
        gp.Engine(ruleset="tally", plugins_enabled=["jiangsu"])


def test_a_plugin_left_out_is_not_even_imported(tally: str) -> None:
    gp.Engine(plugins_enabled=["jiangsu"])
    assert "gp_test_tally" not in sys.modules
    gp.Engine(plugins_enabled=["tally"])
    assert "gp_test_tally" in sys.modules


def test_plugins_passed_in_always_load() -> None:
    class Own:
        @gp.hookimpl
        def gridpoints_rulesets(self) -> list[gp.RuleSet]:
            return [gp.RuleSet("own", "1", "2000-01-01", [gp.Rule("patrol", 2)])]

    engine = gp.Engine(ruleset="own", plugins=[Own()], plugins_enabled=[])
    assert engine.rulebook.latest.ruleset.id == "own" and "jiangsu" not in engine.plugins.plugin_names()


@pytest.mark.parametrize(("enabled", "error", "message"), [
    (["nope"], gp.ConfigurationError,
     r"plugins_enabled: no installed plugin 'nope'; installed: .*jiangsu \(gridpoints-jiangsu "),
    ("jiangsu", TypeError, "not the string 'jiangsu'"),
    ([""], TypeError, r"plugins_enabled\[0\]: '' is not a plugin name"),
])
def test_bad_plugins_enabled_is_refused_naming_the_installed_ones(
    enabled: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        gp.Engine(plugins_enabled=enabled)  # type: ignore[arg-type]


def test_plugins_enabled_with_entry_points_off_is_a_contradiction() -> None:
    with pytest.raises(gp.ConfigurationError, match="load_entrypoints=False"):
        gp.Engine(load_entrypoints=False, plugins_enabled=["jiangsu"])
    assert loaded(gp.Engine(load_entrypoints=False, plugins_enabled=[])) == set()


def test_selection_uses_the_managers_blocking(tally: str) -> None:
    pm = gp.make_plugin_manager()
    gp.Engine(plugin_manager=pm, plugins_enabled=["tally"])
    assert pm.is_blocked("jiangsu") and not pm.is_blocked("tally")


# -- a rule set from an installed package and from a rule file ----------------------------------


def test_a_clash_between_package_and_rule_file_says_how_to_resolve_it_in_python() -> None:
    with pytest.raises(gp.RuleSetConflictError) as caught:
        gp.Engine(ruleset="jiangsu", rules_files=[JIANGSU_TOML])
    error = caught.value
    assert error.installed == ("jiangsu",) and error.keep == () and error.files == (str(JIANGSU_TOML),)
    text = str(error)
    assert "the installed plugin 'jiangsu' (gridpoints-jiangsu " in text
    assert f"the rule file {JIANGSU_TOML}" in text and "both take effect on 2000-01-01" in text
    assert "build the engine with plugins_enabled=[]" in text and "out of rules_files" in text
    # Following the advice works, either way.
    engine = gp.Engine(ruleset="jiangsu", rules_files=[JIANGSU_TOML], plugins_enabled=[])
    assert engine.rulebook.latest.ruleset.version == "2026.1"
    assert gp.Engine(ruleset="jiangsu").rulebook.latest.ruleset.version == "2026.1-js"


def test_the_advice_keeps_the_other_installed_plugins(tally: str) -> None:
    with pytest.raises(gp.RuleSetConflictError) as caught:
        gp.Engine(ruleset="jiangsu", rules_files=[JIANGSU_TOML])
    assert caught.value.keep == ("tally",) and "plugins_enabled=['tally']" in str(caught.value)


def test_a_clash_without_an_installed_plugin_gives_no_advice_about_one() -> None:
    class Twin:
        @gp.hookimpl
        def gridpoints_rulesets(self) -> list[gp.RuleSet]:
            return [gp.RuleSet("standard", "other", "2000-01-01", [gp.Rule("patrol", 1)])]

    with pytest.raises(gp.RuleSetConflictError) as caught:
        gp.Engine(plugins=[Twin()], load_entrypoints=False)
    assert caught.value.installed == () and str(caught.value) == caught.value.problem
    assert "plugin 'gridpoints.plugins.standard_rules'" in caught.value.problem


def test_the_command_line_says_which_option_resolves_the_clash(run: Run) -> None:
    code, out, err = run("--rules", str(JIANGSU_TOML), "report", "2026-10")
    assert (code, out) == (2, "")
    assert "the installed plugin 'jiangsu'" in err and f"the rule file {JIANGSU_TOML}" in err
    assert "add --no-plugins" in err and f"leave out --rules {JIANGSU_TOML}" in err
    assert "plugins_enabled" not in err  # a Python argument means nothing to a clerk
    assert run("--rules", str(JIANGSU_TOML), "report", "2026-10", "--no-plugins")[0] == 0


def test_the_command_line_keeps_other_installed_plugins_in_its_advice(run: Run, tally: str) -> None:
    err = run("--rules", str(JIANGSU_TOML), "report", "2026-10")[2]
    assert "add --plugin tally" in err and "--no-plugins" not in err
    assert run("--rules", str(JIANGSU_TOML), "--plugin", "tally", "report", "2026-10")[0] == 0


# -- --no-plugins / --plugin on the command line ------------------------------------------------


def test_no_plugins_and_plugin_choose_what_the_commands_load(run: Run, tally: str) -> None:
    listing = run("plugins")[1]
    assert "  jiangsu  [entry point of gridpoints-jiangsu" in listing
    assert "  tally  [entry point of gp-test-tally 1.0]" in listing
    listing = run("plugins", "--plugin", "tally")[1]
    assert "  tally  [entry point of gp-test-tally 1.0]  hooks: gridpoints_rulesets" in listing
    assert "  jiangsu  [entry point of gridpoints-jiangsu 0.1.0]  not loaded" in listing
    assert "night_patrol" not in listing
    listing = run("--no-plugins", "plugins")[1]
    assert "tally  [entry point of gp-test-tally 1.0]  not loaded" in listing and "tally 1 " not in listing
    assert run("--ruleset", "tally", "report", "2026-10")[0] == 0
    code, _, err = run("--ruleset", "tally", "--no-plugins", "report", "2026-10")
    assert code == 2 and "no rule set 'tally'" in err


def test_an_unknown_plugin_name_is_a_usage_error_listing_the_installed_ones(run: Run) -> None:
    code, out, err = run("--plugin", "nope", "report", "2026-10")
    assert (code, out) == (2, "")
    assert "--plugin: no installed plugin 'nope'; installed: jiangsu (gridpoints-jiangsu " in err


def test_no_plugins_and_plugin_together_are_refused(run: Run) -> None:
    code, _, err = run("--no-plugins", "report", "2026-10", "--plugin", "jiangsu")
    assert code == 2 and "--no-plugins and --plugin exclude each other" in err


# -- gridpoints plugins: checks with labels and settings ----------------------------------------


def test_plugins_lists_every_check_with_its_label_and_settings(run: Run) -> None:
    out = run("plugins")[1]
    lines = out.splitlines()
    for name, check in BUILTIN_CHECKS.items():
        title = next(i for i, line in enumerate(lines) if line.startswith(f"  {name} {check.label}  kinds: "))
        assert f"by gridpoints.builtin.{check.__name__}" in lines[title]
    assert "      limits = {patrol = 12}" in lines
    assert "      minutes = 30, attribute = location, kinds = any" in lines
    assert "      threshold = 3.5, min_peers = 8" in lines
    assert "  night_patrol 夜间巡查  kinds: patrol  by jiangsu" in lines
    assert "      start_hour = 0, end_hour = 5" in lines
    english = run("--lang", "en", "plugins")[1]
    assert "  daily_limit daily limit  kinds: patrol  by gridpoints.builtin.DailyLimit" in english.splitlines()


def test_plugins_shows_a_clash_and_how_to_resolve_it(run: Run) -> None:
    code, out, _ = run("--rules", str(JIANGSU_TOML), "plugins")
    assert code == 0
    (line,) = [line for line in out.splitlines() if "cannot be used as given" in line]
    assert "both take effect on 2000-01-01" in line and "add --no-plugins" in line


def test_every_builtin_check_lists_the_options_that_configure_it() -> None:
    for check in configure_checks():
        assert type(check)(**check.options()).options() == check.options()
        assert check.label and check.label_en


@settings(max_examples=40, deadline=None)
@given(
    minutes=st.integers(1, 600),
    count=st.integers(1, 50),
    kinds=st.none() | st.lists(st.sampled_from(["patrol", "hazard", "service"]), min_size=1, unique=True),
    limit=st.decimals(min_value=1, max_value=100, places=1),
    threshold=st.decimals(min_value=Decimal("0.1"), max_value=10, places=2),
)
def test_a_configured_check_reports_the_settings_it_was_given(
    minutes: int, count: int, kinds: list[str] | None, limit: Decimal, threshold: Decimal
) -> None:
    config = {
        "duplicate_submission": {"minutes": minutes, "kinds": kinds},
        "burst": {"count": count, "minutes": minutes, "kinds": kinds},
        "daily_limit": {"limits": {"patrol": limit}},
        "outlier": {"threshold": threshold, "min_peers": count},
    }
    options = {check.name: check.options() for check in configure_checks(config)}
    for name, given_options in config.items():
        for key, value in given_options.items():
            expected = sorted(value) if key == "kinds" and value is not None else value
            assert options[name][key] == expected, (name, key)
