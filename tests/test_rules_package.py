"""Rules shipped inside a package (load_rules takes an importlib.resources Traversable) and
``gridpoints rules check FILE [--events FILE]`` (validate, then dry-run sample events)."""

from __future__ import annotations

import os
import textwrap
import zipfile
from decimal import Decimal
from importlib.resources import files
from pathlib import Path

import pytest

import gridpoints as gp
from tests.conftest import NOW, Run, at

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
JIANGSU_PACKAGE_TOML = EXAMPLES / "gridpoints-jiangsu" / "src" / "gridpoints_jiangsu" / "jiangsu.toml"

COUNTY = """
    id = "county"
    label = "某县积分规则"
    version = "2026.1"
    effective_from = 2000-01-01

    [coefficients]
    rural = 1.5
    default = 1  # urban and every other region (without it, a member in urban is refused)

    [[rules]]
    kind = "patrol"
    points = 4
    label = "巡查"
    label_en = "patrol"
    cap = { day = 8 }

    [[rules]]
    kind = "hazard"
    points = 12
    label = "发现隐患"
    label_en = "hazard found"

    [[rules]]
    kind = "late_report"
    points = -2
    label = "迟报"
    label_en = "late report"
"""


@pytest.fixture
def zipped_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Package ``gp_zipped_county`` importable from a zip archive, shipping ``rules.toml`` and a bad file."""
    archive = tmp_path / "county.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("gp_zipped_county/__init__.py", "")
        zipped.writestr("gp_zipped_county/rules.toml", textwrap.dedent(COUNTY))
        zipped.writestr("gp_zipped_county/bad.toml", 'id = "county"\nversion = "1"\neffective_from = 2000-01-01\n'
                                                     '[[rules]]\nkind = "patrol"\npoints = "4"\n')
        zipped.writestr("gp_zipped_county/nested/empty.txt", "")
    monkeypatch.syspath_prepend(str(archive))
    return "gp_zipped_county"


def test_load_rules_reads_a_resource_inside_a_zipped_package(zipped_package: str) -> None:
    resource = files(zipped_package) / "rules.toml"
    assert not isinstance(resource, os.PathLike)  # a zip member, not a file on disk
    (version,) = gp.load_rules(resource)
    assert (version.id, version.version, version.coefficients["rural"]) == ("county", "2026.1", Decimal("1.5"))
    with gp.Engine(ruleset="county", rules_files=[resource], load_entrypoints=False, clock=lambda: NOW) as engine:
        engine.add_members([gp.Member(id="M1", region="rural")])
        engine.ingest([gp.Event(f"p{h}", "M1", "patrol", at(3, h)) for h in (8, 9, 10)])
        assert engine.score("M1", "2026-11") == 8  # 4 × 1.5 = 6, then the cap of 8 a day
        assert engine.rule_files.paths == (str(resource),)


def test_a_bad_resource_is_located_like_a_bad_file(zipped_package: str) -> None:
    resource = files(zipped_package) / "bad.toml"
    with pytest.raises(gp.RuleFileError) as caught:
        gp.load_rules(resource)
    message = "bad.toml:6: rules[1].points: is a string; expected a number (write it without quotes)"
    assert str(caught.value).endswith(message)
    assert "county.zip" in caught.value.source
    with pytest.raises(gp.RuleFileError, match="is a directory, not a rule file"):
        gp.load_rules(files(zipped_package) / "nested")
    with pytest.raises(FileNotFoundError):
        gp.load_rules(files(zipped_package) / "missing.toml")


def test_the_jiangsu_package_ships_its_rules_as_a_toml_resource() -> None:
    from gridpoints_jiangsu import RULES_FILE, jiangsu_ruleset, jiangsu_versions

    assert RULES_FILE.name == "jiangsu.toml" and RULES_FILE.is_file()
    assert jiangsu_versions() == gp.load_rules(files("gridpoints_jiangsu") / "jiangsu.toml")
    engine = gp.Engine(ruleset="jiangsu", plugins_enabled=["jiangsu"])
    assert engine.rulebook.latest.ruleset == jiangsu_ruleset()
    assert jiangsu_ruleset().rules[0].cap == gp.Cap(10, "day")


# -- gridpoints rules check --------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_rules_check_lists_a_valid_file_and_touches_no_store(run: Run, tmp_path: Path) -> None:
    county = write(tmp_path / "county.toml", COUNTY)
    code, out, err = run("--db", "never.db", "rules", "check", "county.toml")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "county.toml: rule set county 某县积分规则, 1 version: valid"
    assert lines[1].startswith("  version 2026.1  from 2000-01-01  3 rules  digest ")
    assert lines[2].split() == ["patrol", "巡查", "+4", "at", "most", "8", "a", "day"]
    assert "    coefficients (positive awards only): rural ×1.5, default ×1" in lines
    assert lines[-1] == ("    late reports: hazard, group_incident reported more than 24 h after they occur "
                         "also book late_report -2")
    assert not (tmp_path / "never.db").exists() and not (tmp_path / "gridpoints.db").exists()
    assert county.exists()


def test_rules_check_says_when_late_reports_cost_nothing(run: Run, tmp_path: Path) -> None:
    write(tmp_path / "plain.toml", 'id = "plain"\nversion = "1"\neffective_from = 2000-01-01\n'
                                   '[[rules]]\nkind = "patrol"\npoints = 5\n')
    out = run("rules", "check", "plain.toml")[1]
    assert "late reports: no late_report rule, so no derived late-report deductions" in out


def test_rules_check_exits_1_on_a_bad_file_with_the_located_error(run: Run, tmp_path: Path) -> None:
    write(tmp_path / "bad.toml", 'id = "x"\nversion = "1"\neffective_from = 2000-01-01\n'
                                 '[[rules]]\nkind = "patrol"\npoints = "5"\n')
    assert run("rules", "check", "bad.toml") == (
        1, "", "gridpoints rules check: error: bad.toml:6: rules[1].points: is a string; expected a number "
               "(write it without quotes)\n")
    code, _, err = run("rules", "check", "missing.toml")
    assert code == 2 and "missing.toml: no such file" in err


def test_rules_check_finds_a_clash_with_a_built_in_rule_set(run: Run, tmp_path: Path) -> None:
    write(tmp_path / "mine.toml", 'id = "standard"\nversion = "mine"\neffective_from = 2000-01-01\n'
                                  '[[rules]]\nkind = "patrol"\npoints = 5\n')
    code, out, err = run("rules", "check", "mine.toml")
    assert (code, out) == (1, "")
    assert "both take effect on 2000-01-01" in err and "gridpoints.plugins.standard_rules" in err


def test_rules_check_dry_runs_sample_events_printing_each_ones_points(run: Run, tmp_path: Path) -> None:
    write(tmp_path / "county.toml", COUNTY)
    write(tmp_path / "sample.csv", """
        id,member_id,kind,occurred_at,reported_at
        p1,M1,patrol,2026-09-03T09:00:00+08:00,
        p2,M1,patrol,2026-09-03T10:00:00+08:00,
        p3,M1,patrol,2026-09-03T11:00:00+08:00,
        h1,M2,hazard,2026-09-04T09:00:00+08:00,2026-09-06T09:00:00+08:00
        s1,M1,service,2026-09-05T09:00:00+08:00,
        bad,M1,patrol,yesterday,
        p1,M1,patrol,2026-09-03T09:00:00+08:00,
    """)
    code, out, err = run("--lang", "en", "rules", "check", "county.toml", "--events", "sample.csv")
    assert code == 1  # one event is not scorable, one row is bad
    assert err == ("sample.csv:7: occurred_at: 'yesterday' is not a date-time "
                   "(write 2026-11-03T09:00:00+08:00) [invalid]\n")
    rows: dict[str, str] = {}
    for line in out.splitlines():
        if line.startswith("sample.csv:"):
            rows.setdefault(line.split()[1], line)  # the first line of an id
    assert rows["p1"].split()[:6] == ["sample.csv:2", "p1", "M1", "patrol", "2026-09-03", "+4"]
    assert rows["p3"].split()[5] == "0" and "over the cap of day 8" in rows["p3"]
    assert rows["h1"].split()[5] == "+10" and "event h1 reported after the deadline" in rows["h1"]
    assert "not scorable [unknown_kind] kind: rule set county has no rule for 'service'" in rows["s1"]
    assert "bad" not in rows
    repeated = [line for line in out.splitlines() if line.startswith("sample.csv:8")]
    assert repeated[0].split()[5:] == ["-", "duplicate:", "the", "same", "id", "as", "sample.csv:2"]
    assert "(no --members FILE: every one taken to be in region urban)" in out
    assert out.splitlines()[-1] == "6 events: 5 scored (+18), 1 not scorable; 1 bad rows"
    assert not (tmp_path / "gridpoints.db").exists()


def test_rules_check_applies_the_regions_of_the_members_given(run: Run, tmp_path: Path) -> None:
    write(tmp_path / "county.toml", COUNTY)
    write(tmp_path / "members.csv", "id,region\nM1,rural\n")
    write(tmp_path / "sample.csv", "id,member_id,kind,occurred_at\nh1,M1,hazard,2026-09-04T09:00:00+08:00\n")
    code, out, _ = run("rules", "check", "county.toml", "--events", "sample.csv", "--members", "members.csv")
    assert code == 0
    assert "members: 1 from members.csv" in out
    (row,) = [line for line in out.splitlines() if line.startswith("sample.csv:2")]
    assert row.split()[5] == "+18" and "系数1.5" in row
    code, out, _ = run("rules", "check", "county.toml", "--events", "sample.csv", "--region", "rural")
    assert code == 0 and "+18" in out
