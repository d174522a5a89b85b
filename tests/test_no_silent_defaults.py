"""Issue 15 item 3: no silent defaults — unnamed regions, reportable kinds that cost nothing,
empty reports and empty closings are said."""

from __future__ import annotations

import warnings
from decimal import Decimal
from pathlib import Path

import pytest

import gridpoints as gp
from tests.conftest import NOW, Run, at
from tests.test_cli import write

DISTRICT = """
id = "district"
version = "1"
effective_from = 2026-01-01
{extra}
[coefficients]
urban = 1
rural = 1.2
{default}
[[rules]]
kind = "patrol"
points = 10
"""


def district(tmp_path: Path, *, default: str = "", extra: str = "") -> Path:
    return write(tmp_path / "district.toml", DISTRICT.format(default=default, extra=extra))


def build(**kwargs: object) -> gp.Engine:
    return gp.Engine(load_entrypoints=False, clock=lambda: NOW, **kwargs)  # type: ignore[arg-type]


def test_a_region_the_table_does_not_name_is_refused_listing_the_known_ones(tmp_path: Path) -> None:
    engine = build(rules_files=[district(tmp_path)])
    with pytest.raises(ValueError, match=r"members\[1\] \('M2'\): region: region 'subrban' has no coefficient in "
                                         r"rule set district 1 \(known regions: rural, urban\)"):
        engine.add_members([gp.Member(id="M1", region="urban"), gp.Member(id="M2", region="subrban")])
    assert engine.members == []  # all or none


def test_a_default_coefficient_names_every_region(tmp_path: Path) -> None:
    engine = build(rules_files=[district(tmp_path, default='default = 1.5')])
    engine.add_members([gp.Member(id="M1", region="suburban"), gp.Member(id="M2", region="rural")])
    engine.ingest([gp.Event("a", "M1", "patrol", at(3)), gp.Event("b", "M2", "patrol", at(3))])
    assert (engine.score("M1", "2026-11"), engine.score("M2", "2026-11")) == (Decimal(15), Decimal(12))


def test_the_engines_table_names_regions_too(tmp_path: Path) -> None:
    engine = build(rules_files=[district(tmp_path)], coefficients={"suburban": "1.1"})
    engine.add_members([gp.Member(id="M1", region="suburban")])
    # Alone, the engine's table keeps its meaning: regions it leaves out score with 1 (said).
    with pytest.warns(gp.DefaultCoefficientWarning):
        build(coefficients={"urban": 1}).add_members([gp.Member(id="M1", region="rural")])


def test_a_table_given_in_python_warns_once_for_a_region_it_leaves_to_one() -> None:
    # Python tables keep their meaning (1 for the regions they leave out: the pinned ledgers of
    # test_hash_stability rely on it), but not silently.
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW, coefficients={"rural": "1.2"})
    said = r"region 'urban' has no coefficient \(known regions: rural\)"
    with pytest.warns(gp.DefaultCoefficientWarning, match=said):
        engine.add_members([gp.Member("U1", "urban"), gp.Member("R1", "rural"), gp.Member("U2", "urban")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        engine.add_members([gp.Member("U3", "urban")])  # said once per region and engine
        for table in ({"rural": "1.2", "default": 1}, None):
            gp.Engine(load_entrypoints=False, coefficients=table).add_members([gp.Member("U1", "urban")])
    engine.ingest([gp.Event("p1", "U1", "patrol", at(3))])
    assert engine.score("U1", "2026-11") == Decimal("5.00")  # a patrol, still counted with 1


def test_members_command_reports_the_row(run: Run, tmp_path: Path) -> None:
    rules = district(tmp_path)
    members = write(tmp_path / "members.csv", "id,region\nM1,urban\nM2,subrban\n")
    code, out, err = run("--rules", str(rules), "members", str(members))
    assert (code, out) == (1, "")
    assert f"{members}:3: region: region 'subrban' has no coefficient in rule set district 1" in err
    assert "known regions: rural, urban" in err and "no members imported" in err


def test_reportable_kinds_without_a_late_report_rule_are_a_rule_file_error(tmp_path: Path) -> None:
    with pytest.raises(gp.RuleFileError, match=r"district.toml:4: reportable: lists kinds whose late reports"):
        gp.load_rules(district(tmp_path, extra='reportable = ["patrol"]\n'))
    # An empty list asks for no deductions: nothing is missing.
    assert gp.load_rules(district(tmp_path, extra="reportable = []\n"))[0].reportable == ()


def test_left_at_the_default_the_deductions_are_off_and_listings_say_so(run: Run, tmp_path: Path) -> None:
    rules = district(tmp_path)
    code, out, _ = run("rules", "check", str(rules))
    assert code == 0 and "late reports: no late_report rule, so no derived late-report deductions" in out
    code, out, _ = run("--rules", str(rules), "plugins")
    assert code == 0 and "late reports: no late_report rule, so no derived late-report deductions" in out


def test_an_empty_report_and_an_empty_closing_say_so(run: Run, tmp_path: Path) -> None:
    code, out, err = run("report", "2026-09")
    assert (code, err) == (0, "提示：2026-09 没有参加考核的网格员（请先导入网格员：gridpoints members FILE）\n")
    members = write(tmp_path / "members.csv", "id,region\nM1,urban\n")
    assert run("members", str(members))[0] == 0
    code, _, err = run("report", "2026-09", "--format", "csv")
    assert (code, err) == (0, "提示：2026-09 没有任何积分记录，所有人得分为 0（请先导入事件：gridpoints ingest FILE）"
                              "\n")
    code, out, err = run("--lang", "en", "close", "2026-09", "--by", "clerk")
    assert code == 0 and out.startswith("closed 2026-09")
    assert err == ("note: nothing is booked in 2026-09, so every score is 0 (import events first: gridpoints ingest "
                   "FILE)\n")
