"""Issue 15 item 2: the built-in checks configured by ``[checks.<name>]`` tables of a rule file."""

from __future__ import annotations

import inspect
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.plugins.checks import BUILTIN_CHECKS, effective_check_config
from gridpoints.rules.check_tables import CHECK_OPTIONS
from tests.conftest import NOW, Run, at

HEAD = """
id = "district"
version = "1"
effective_from = 2026-01-01

[[rules]]
kind = "patrol"
points = 3

[[rules]]
kind = "mediation"
points = 10
"""


def rules_file(tmp_path: Path, tables: str) -> Path:
    path = tmp_path / "district.toml"
    path.write_text(textwrap.dedent(HEAD) + textwrap.dedent(tables), encoding="utf-8")
    return path


def build(path: Path, **kwargs: object) -> gp.Engine:
    engine = gp.Engine(rules_files=[path], load_entrypoints=False, clock=lambda: NOW, **kwargs)  # type: ignore[arg-type]
    engine.add_members([gp.Member(id="M1", region="urban")])
    return engine


def patrols(count: int) -> list[gp.Event]:
    return [gp.Event(f"p{n}", "M1", "patrol", at(3, 8 + n)) for n in range(count)]


def test_the_schema_names_each_constructor_keyword() -> None:
    assert set(CHECK_OPTIONS) == set(BUILTIN_CHECKS)
    for name, cls in BUILTIN_CHECKS.items():
        keywords = {p for p in inspect.signature(cls.__init__).parameters if p != "self"}
        assert set(CHECK_OPTIONS[name]) == keywords, name


def test_a_daily_limit_table_configures_the_check(tmp_path: Path) -> None:
    engine = build(rules_file(tmp_path, "[checks.daily_limit]\npatrol = 2\n"))
    result = engine.ingest(patrols(3))
    assert (len(result.accepted), result.held) == (2, ("p2",))
    assert engine.check_config["daily_limit"] == {"limits": {"patrol": Decimal(2)}}
    # Without the table the default limit (12 a day) lets all three pass.
    plain = build(rules_file(tmp_path / ".." / tmp_path.name, ""))
    assert not plain.ingest(patrols(3)).held


def test_the_long_form_and_enabled_false(tmp_path: Path) -> None:
    tables = """
    [checks]
    daily_limit = { limits = { patrol = 2 } }

    [checks.evidence]
    enabled = false
    """
    engine = build(rules_file(tmp_path, tables))
    result = engine.ingest([*patrols(3), gp.Event("m1", "M1", "mediation", at(4))])
    assert result.held == ("p2",)  # the mediation without evidence passes: the check is off
    assert "evidence" not in {c.name for c, _ in engine.plugins.checks()}


def test_evidence_kinds_as_an_array(tmp_path: Path) -> None:
    engine = build(rules_file(tmp_path, '[checks.evidence]\nkinds = ["patrol"]\n'))
    result = engine.ingest([gp.Event("p1", "M1", "patrol", at(3)), gp.Event("m1", "M1", "mediation", at(4))])
    assert result.held == ("p1",)  # patrols need evidence now; mediations no longer do


def test_check_config_wins_option_by_option(tmp_path: Path) -> None:
    path = rules_file(tmp_path, "[checks.burst]\ncount = 3\nminutes = 5\n[checks.evidence]\nenabled = false\n")
    engine = build(path, check_config={"burst": {"count": 4}, "evidence": True})
    assert engine.check_config["burst"] == {"count": 4, "minutes": 5}
    options = {c.name: c.options() for c, _ in engine.plugins.checks()}
    assert options["burst"]["count"] == 4 and options["burst"]["minutes"] == 5
    assert "evidence" in options  # switched back on from Python
    off = build(path, check_config={"burst": False})
    assert "burst" not in {c.name for c, _ in off.plugins.checks()}


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ("[checks.speed]\nlimit = 3\n", "district.toml:13: checks.speed: no built-in check 'speed'"),
        ("[checks.burst]\ncount = 3\nminuts = 5\n", "district.toml:15: checks.burst.minuts: unknown option"),
        ('[checks.burst]\ncount = "3"\n', "district.toml:14: checks.burst.count: '3' is not a whole number"),
        ("[checks.outlier]\nthreshold = -1\n", "district.toml:14: checks.outlier.threshold: -1 must be"),
        ('[checks.evidence]\nenabled = "no"\n', "district.toml:14: checks.evidence.enabled: 'no' is not true"),
        ("[checks.daily_limit]\npatrol = 0\n", "district.toml:14: checks.daily_limit.patrol: 0 must be"),
        ("[checks]\nburst = 3\n", "district.toml:14: checks.burst: 3 is not a table of options"),
    ],
)
def test_bad_tables_are_located_errors(tmp_path: Path, tables: str, message: str) -> None:
    with pytest.raises(gp.RuleFileError) as caught:
        gp.load_rules(rules_file(tmp_path, tables))
    assert str(caught.value).startswith(str(tmp_path / message.split(":")[0]) + ":" + message.split(":", 1)[1])


def test_the_tables_are_part_of_the_version_digest(tmp_path: Path) -> None:
    (plain,) = gp.load_rules(rules_file(tmp_path, ""))
    (configured,) = gp.load_rules(rules_file(tmp_path, "[checks.burst]\ncount = 3\n"))
    (other,) = gp.load_rules(rules_file(tmp_path, "[checks.burst]\ncount = 4\n"))
    assert len({plain.digest(), configured.digest(), other.digest()}) == 3
    assert plain.digest() == gp.RuleSet(plain.id, plain.version, plain.effective_from, plain.rules).digest()


def test_plugins_shows_the_effective_configuration(run: Run, tmp_path: Path) -> None:
    path = rules_file(tmp_path, "[checks.daily_limit]\npatrol = 2\n[checks.burst]\nenabled = false\n")
    code, out, err = run("--rules", str(path), "plugins")
    assert (code, err) == (0, "")
    assert "checks (in the order they run; settings below each) (configured by rule set district 1):" in out
    assert "limits = {patrol = 2}" in out and "  burst " not in out
    assert "checks: daily_limit limits = {patrol = 2}; burst off" in out


options = st.dictionaries(st.sampled_from(["count", "minutes"]), st.integers(1, 60), max_size=2)


@given(from_file=options, from_python=options, file_off=st.booleans())
def test_python_options_win_one_by_one(from_file: dict[str, int], from_python: dict[str, int], file_off: bool) -> None:
    table: dict[str, object] = {**from_file, "enabled": not file_off}
    config = effective_check_config({"burst": table}, {"burst": from_python} if from_python else None)
    if from_python:
        assert config["burst"] == {**from_file, **from_python}
    elif file_off:
        assert config["burst"] is False
    else:
        assert config["burst"] == from_file
