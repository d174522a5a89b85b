"""General options (--db, --lang, --rules, --by…) are accepted before the command or anywhere after it."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.conftest import Run
from tests.test_cli import xiao_li_csv


def test_general_options_after_the_command_mean_the_same_as_before_it(run: Run, tmp_path: Path) -> None:
    members, events = xiao_li_csv(tmp_path)
    assert run("members", str(members), "--db", "late.db")[0] == 0
    assert run("ingest", str(events), "--db", "late.db")[0] == 0
    before = run("--db", "late.db", "--lang", "en", "report", "2026-09")
    after = run("report", "2026-09", "--lang", "en", "--db", "late.db")
    assert before == after and before[0] == 0 and "excellent" in after[1]
    assert not (tmp_path / "gridpoints.db").exists()


def test_general_options_after_an_action_reach_it(run: Run, tmp_path: Path) -> None:
    members, events = xiao_li_csv(tmp_path)
    run("members", str(members))
    run("ingest", str(events))
    seq = run("explain", "M001", "2026-09")[1].splitlines()[3].split()[0]
    code, out, _ = run("appeal", "open", seq, "--reason", "not mine", "--by", "小李")
    assert code == 0 and out.endswith("(by 小李)\n")
    assert run("appeal", "list", "--lang", "en")[1].splitlines()[0].split()[:3] == ["appeal", "entry", "member"]


def test_repeated_general_options_add_up_wherever_they_are_given(run: Run, tmp_path: Path) -> None:
    for name in ("one", "two"):
        (tmp_path / f"{name}.toml").write_text(textwrap.dedent(f"""
            id = "{name}"
            version = "1"
            effective_from = 2000-01-01
            [[rules]]
            kind = "patrol"
            points = 1
        """), encoding="utf-8")
    code, out, _ = run("--rules", "one.toml", "plugins", "--rules", "two.toml", "--ruleset", "two")
    assert code == 0
    assert "rule files: one.toml, two.toml" in out
    assert "  two 1  from 2000-01-01  1 rules" in out and out.count("(active)") == 1


def test_a_bad_general_option_after_the_command_is_a_usage_error(run: Run) -> None:
    code, _, err = run("report", "2026-09", "--lang", "fr")
    assert code == 2 and "--lang" in err and "invalid choice: 'fr'" in err


def test_command_help_lists_the_general_options(run: Run) -> None:
    code, out, _ = run("report", "--help")
    assert code == 0 and "general options (also accepted before the command):" in out
    assert "--lang {zh,en}" in out and "--db DB" in out and "_late" not in out
