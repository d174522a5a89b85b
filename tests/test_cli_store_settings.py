"""Issue 15 item 1: the store remembers its rule set, rule files and zone; --migrate changes them."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.conftest import Run
from tests.test_cli import write, xiao_li_csv

DISTRICT = """
id = "district"
version = "1"
effective_from = 2026-01-01

[[rules]]
kind = "patrol"
points = 3

[[rules]]
kind = "mediation"
points = 10

[[rules]]
kind = "late_report"
points = -5
"""


def test_every_command_works_on_a_demo_store_without_repeating_its_settings(run: Run) -> None:
    # The demo's rule set (demo) is no default: only the store knows it.
    assert run("--db", "x.db", "demo", "--members", "12", "--period", "2026-10")[0] == 0
    code, out, err = run("--db", "x.db", "verify")
    assert (code, err) == (0, "") and out.startswith("ledger intact:")
    for argv in (["report", "2026-10"], ["review", "list"], ["plugins"]):
        code, _, err = run("--db", "x.db", *argv)
        assert (code, err) == (0, ""), argv


def test_an_import_with_rules_is_reported_without_them(run: Run, tmp_path: Path) -> None:
    rules = write(tmp_path / "district.toml", DISTRICT)
    members, events = xiao_li_csv(tmp_path)
    assert run("--rules", str(rules), "members", str(members))[0] == 0
    assert run("--rules", str(rules), "ingest", str(events))[0] == 0
    code, out, err = run("--lang", "en", "explain", "M001", "2026-09")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "M001 小李 (urban) 2026-09: 75.00"  # 20 × 3 + 2 × 10 − 5
    assert run("verify")[0] == 0


def test_a_changed_rule_file_is_refused_naming_it_and_both_digests_until_migrate(run: Run, tmp_path: Path) -> None:
    rules = write(tmp_path / "district.toml", DISTRICT)
    before = hashlib.sha256(rules.read_bytes()).hexdigest()
    members, _ = xiao_li_csv(tmp_path)
    assert run("--rules", str(rules), "members", str(members))[0] == 0
    changed = write(rules, 'label = "东城区"\n' + DISTRICT)  # same versions, new text
    after = hashlib.sha256(changed.read_bytes()).hexdigest()
    for argv in (["report", "2026-09"], ["--rules", str(rules), "report", "2026-09"]):
        code, out, err = run(*argv)
        assert (code, out) == (2, "")
        assert f"rule file {rules} changed" in err and before[:12] in err and after[:12] in err
        assert "add --migrate" in err and "migrate=True" not in err
    assert run("--migrate", "report", "2026-09")[0] == 0
    assert run("report", "2026-09")[0] == 0  # recorded by the migration


def test_another_zone_or_rule_set_needs_migrate(run: Run, tmp_path: Path) -> None:
    members, _ = xiao_li_csv(tmp_path)
    assert run("members", str(members))[0] == 0
    code, _, err = run("--tz", "Asia/Urumqi", "report", "2026-09")
    assert code == 2 and "created with tz='Asia/Shanghai', not 'Asia/Urumqi'" in err and "--migrate" in err
    assert run("report", "2026-09", "--tz", "Asia/Urumqi", "--migrate")[0] == 0
    assert run("report", "2026-09")[0] == 0
    code, _, err = run("--tz", "Asia/Shanghai", "report", "2026-09")
    assert code == 2 and "created with tz='Asia/Urumqi'" in err


def test_a_rule_file_gone_since_is_named(run: Run, tmp_path: Path) -> None:
    rules = write(tmp_path / "district.toml", DISTRICT)
    members, _ = xiao_li_csv(tmp_path)
    assert run("--rules", str(rules), "members", str(members))[0] == 0
    rules.rename(tmp_path / "moved.toml")
    code, _, err = run("report", "2026-09")
    assert code == 2 and f"rule file {rules}" in err and "no longer there" in err
    assert run("--rules", str(tmp_path / "moved.toml"), "report", "2026-09")[0] == 0  # same content elsewhere
    assert run("report", "2026-09")[0] == 0
