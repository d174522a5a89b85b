"""The gridpoints pytest plugin (pytest11 entry point): fixtures and the gridpoints_plugins marker."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import gridpoints

SRC = Path(gridpoints.__file__).parent


def test_the_plugin_is_declared_under_pytest11() -> None:
    assert "gridpoints.testing.pytest_plugin" in {ep.value for ep in entry_points(group="pytest11")}


def test_the_core_never_imports_the_testing_kit() -> None:
    importers = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "testing" not in path.relative_to(SRC).parts
        and re.search(r"^\s*(from|import)\s+gridpoints\.testing", path.read_text(encoding="utf-8"), re.MULTILINE)
    ]
    assert importers == []


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False)


def test_the_pytest_plugin_loads_without_hypothesis() -> None:
    # pytest loads the plugin wherever gridpoints is installed, even without the testing extra.
    result = run_python("""
        import sys
        sys.modules["hypothesis"] = None  # as if it were not installed
        import gridpoints.testing.pytest_plugin
        try:
            import gridpoints.testing
            gridpoints.testing.events
        except ModuleNotFoundError as error:
            print(error)
    """)
    assert result.returncode == 0, result.stderr
    assert "needs Hypothesis: pip install 'gridpoints[testing]'" in result.stdout


def test_the_strategies_import_first_in_a_fresh_process() -> None:
    # Importing them imports Hypothesis, which runs gridpoints' setup hook mid-import.
    result = run_python("""
        from gridpoints.testing.strategies import members  # imports Hypothesis for the first time
        from hypothesis import strategies as st
        import gridpoints as gp
        assert isinstance(st.from_type(gp.Member).example(), gp.Member)
    """)
    assert result.returncode == 0, result.stderr


def test_fixtures_give_fresh_engines_on_memory_and_sqlite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import gridpoints as gp
        from pathlib import Path

        def test_memory(gp_engine):
            assert isinstance(gp_engine.store, gp.MemoryStore)
            assert gp_engine.ledger.head()[0] == 0 and gp_engine.members == []

        def test_sqlite(gp_sqlite_engine, tmp_path):
            assert isinstance(gp_sqlite_engine.store, gp.SQLiteStore)
            assert list(tmp_path.glob("*.db"))

        def test_fresh_each_time(gp_engine):
            gp_engine.add_members([gp.Member(id="M1", region="urban")])

        def test_still_fresh(gp_engine):
            assert gp_engine.members == []

        def test_factory_takes_engine_arguments(gp_make_engine):
            eng = gp_make_engine("sqlite", tz="UTC", checks=False)
            other = gp_make_engine("sqlite")
            assert eng.tz_name == "UTC" and eng.store is not other.store
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=5)


def test_the_marker_registers_a_plugin_for_one_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        import gridpoints as gp

        class Tiny:
            @gp.hookimpl
            def gridpoints_rulesets(self):
                return [gp.RuleSet("tiny", "1", "2000-01-01", [gp.Rule("patrol", 7)])]

        @pytest.mark.gridpoints_plugins(Tiny())
        def test_with(gp_make_engine, gp_plugin_manager):
            assert gp_make_engine(ruleset="tiny").ruleset_id == "tiny"
            ids = [rs.id for found in gp_plugin_manager.hook.gridpoints_rulesets() for rs in found]
            assert "tiny" in ids

        def test_without(gp_make_engine, gp_plugin_manager):
            with pytest.raises(gp.ConfigurationError, match="no rule set 'tiny'"):
                gp_make_engine(ruleset="tiny")
            ids = [rs.id for found in gp_plugin_manager.hook.gridpoints_rulesets() for rs in found]
            assert "tiny" not in ids
        """
    )
    pytester.runpytest("-p", "no:cacheprovider", "--strict-markers").assert_outcomes(passed=2)


def test_the_property_suite_runs_as_pytest_items(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import gridpoints as gp
        from gridpoints.testing import ruleset_tests

        test_rules = ruleset_tests(gp.standard_ruleset(), properties=["replay", "caps"], max_examples=5)
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-v", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*test_rules?replay? PASSED*", "*property 'caps' does not apply*"])
