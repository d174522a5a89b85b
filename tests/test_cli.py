"""The gridpoints command line through its real entry point: main(argv) and the console script."""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import gridpoints as gp
from tests.conftest import Run
from tests.helpers_installed import install_plugin

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "rules"
EVENT_HEADER = "id,member_id,kind,occurred_at,quantity,reported_at,evidence\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding=encoding, newline="")
    return path


def xiao_li_csv(tmp_path: Path) -> tuple[Path, Path]:
    """The article's worked example as files: members.csv and events.csv (September 2026)."""
    members = write(tmp_path / "members.csv",
                    "id,region,name,grid,joined\nM001,urban,小李,U01,\nM002,rural,老王,R01,2026-09-01\n")
    rows = [f"p{d},M001,patrol,2026-09-{d:02d}T09:00:00+08:00,,," for d in range(1, 21)]
    rows += [f"m{n},M001,mediation,2026-09-{5 + n:02d}T15:00:00+08:00,,,photo-{n}.jpg" for n in (1, 2)]
    rows.append("late,M001,late_report,2026-09-12T10:00:00+08:00,,,")
    events = write(tmp_path / "events.csv", EVENT_HEADER + "\n".join(rows) + "\n")
    return members, events


def test_the_worked_example_end_to_end(run: Run, tmp_path: Path) -> None:
    members, events = xiao_li_csv(tmp_path)
    assert run("members", str(members)) == (0, f"{members}: 2 members imported\n", "")
    code, out, err = run("ingest", str(events))
    assert (code, err) == (0, "")
    assert out == f"{events}: 23 rows: 23 accepted, 0 held, 0 rejected, 0 duplicate\n"
    assert (tmp_path / "gridpoints.db").exists()

    code, out, _ = run("report", "2026-09")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "2026-09"
    assert lines[1].split() == ["排名", "网格员", "姓名", "区域", "网格", "得分", "等级", "区域排名", "称号", "标记"]
    assert lines[3].split() == ["1", "M001", "小李", "urban", "U01", "127.00", "优秀", "1", "金牌网格员"]
    assert lines[4].split() == ["2", "M002", "老王", "rural", "R01", "0.00", "不合格", "1"]

    code, out, _ = run("--lang", "en", "explain", "M001", "2026-09")
    assert code == 0
    assert out.splitlines()[0] == "M001 小李 (urban) 2026-09: 127.00"
    assert "dispute mediated" in out and "late report" in out
    assert sum(1 for line in out.splitlines() if " patrol " in line) == 20

    code, out, _ = run("verify")
    assert (code, out) == (0, "ledger intact: 23 entries\n")


def test_report_formats_csv_json_and_a_csv_file_excel_reads(run: Run, tmp_path: Path) -> None:
    members, events = xiao_li_csv(tmp_path)
    run("members", str(members))
    run("ingest", str(events))
    code, out, _ = run("report", "2026-09", "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["title"] == "2026-09"
    assert {k: document["rows"][0][k] for k in ("rank", "member_id", "name", "score", "grade", "titles")} == {
        "rank": 1, "member_id": "M001", "name": "小李", "score": "127.00", "grade": "优秀", "titles": "金牌网格员"}
    code, out, _ = run("--lang", "en", "report", "2026-Q3", "--format", "csv", "--mask-names")
    assert code == 0
    header, first = list(csv.reader(out.splitlines()))[:2]
    cells = dict(zip(header, first, strict=True))
    assert (cells["member id"], cells["name"], cells["score"], cells["grade"], cells["2026-09"]) == (
        "M001", "小*", "127.00", "unqualified", "127.00")  # graded on the average of 3 active months
    code, out, _ = run("report", "2026-09", "--format", "xlsx", "-o", "report.xlsx")
    assert (code, out) == (0, "2 rows written to report.xlsx\n")
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "report.xlsx").active
    assert sheet is not None and sheet["B2"].value == "M001" and sheet["C2"].value == "小李"
    code, _, err = run("report", "2026-09", "--format", "xlsx")
    assert code == 2 and "--format xlsx needs --output FILE" in err
    code, out, _ = run("report", "2026-09", "--format", "csv", "-o", "report.csv")
    assert (code, out) == (0, "2 rows written to report.csv\n")
    raw = (tmp_path / "report.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "小李".encode() in raw


def test_missing_file_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    code, out, err = run("members", "nope.csv")
    assert (code, out) == (2, "")
    assert err == "gridpoints members: error: nope.csv: no such file\n"
    _, events = xiao_li_csv(tmp_path)
    code, _, err = run("ingest", str(events), "absent.jsonl")
    assert code == 2 and "absent.jsonl: no such file" in err
    # Checked before anything is imported: the first, good file was not ingested either.
    assert not (tmp_path / "gridpoints.db").exists()


def test_bad_header_is_a_usage_error_and_changes_nothing(run: Run, tmp_path: Path) -> None:
    members, _ = xiao_li_csv(tmp_path)
    run("members", str(members))
    bad = write(tmp_path / "bad.csv", "id,member,kind,when\np1,M001,patrol,2026-09-01T09:00:00+08:00\n")
    code, out, err = run("ingest", str(bad))
    assert (code, out) == (2, "")
    assert err == (
        f"gridpoints ingest: error: {bad}:1: header: missing columns member_id, occurred_at "
        "(found: id, member, kind, when; needed: id, member_id, kind, occurred_at)\n"
    )
    assert run("verify")[1] == "ledger intact: 0 entries\n"
    dup = write(tmp_path / "dup.csv", "id,region,id\n")
    code, _, err = run("members", str(dup))
    assert code == 2 and f"{dup}:1: header: column 'id' appears twice" in err
    empty = write(tmp_path / "empty.csv", "")
    code, _, err = run("ingest", str(empty))
    assert code == 2 and "is empty; expected a header line: id,member_id,kind,occurred_at" in err


def test_bad_rows_exit_1_name_file_line_field_and_good_rows_still_go_in(run: Run, tmp_path: Path) -> None:
    members, _ = xiao_li_csv(tmp_path)
    run("members", str(members))
    events = write(tmp_path / "events.csv", EVENT_HEADER + textwrap.dedent("""\
        a1,M001,patrol,2026-09-01T09:00:00+08:00,,,
        a2,M404,patrol,2026-09-02T09:00:00+08:00,,,
        a3,M001,patrol,yesterday,,,
        a4,M001,teleport,2026-09-03T09:00:00+08:00,,,
        a5,M001,patrol,2026-09-04T09:00:00+08:00,-1,,
        a6,M001,patrol,2026-09-05T09:00:00+08:00
        a7,M001,patrol,2026-09-06T09:00:00+08:00,,,
    """))
    code, out, err = run("ingest", str(events))
    assert code == 1
    assert out == f"{events}: 7 rows: 2 accepted, 0 held, 5 rejected, 0 duplicate\n"
    assert err.splitlines() == [
        f"{events}:3: member_id: no member 'M404' [unknown_member]",
        f"{events}:4: occurred_at: 'yesterday' is not a date-time (write 2026-11-03T09:00:00+08:00) [invalid]",
        f"{events}:5: kind: rule set standard has no rule for 'teleport' [unknown_kind]",
        f"{events}:6: quantity: '-1' must be positive [invalid]",
        f"{events}:7: (row): has 4 fields; the header has 7 [invalid]",
    ]
    assert run("explain", "M001", "2026-09")[1].splitlines()[0] == "M001 小李 (urban) 2026-09: 10.00"


def test_bad_rule_file_is_a_usage_error_naming_file_and_line(run: Run, tmp_path: Path) -> None:
    rules = write(tmp_path / "county.toml", """
        id = "county"
        version = "1"
        effective_from = 2026-01-01

        [[rules]]
        kind = "patrol"
        points = "5"
    """)
    code, out, err = run("--rules", str(rules), "report", "2026-09")
    assert (code, out) == (2, "")
    assert err == (
        f"gridpoints report: error: {rules}:7: rules[1].points: is a string; expected a number "
        "(write it without quotes)\n"
    )
    broken = write(tmp_path / "broken.toml", 'id = "x"\nversion = 1.2.3\n')
    code, _, err = run("--rules", str(broken), "verify")
    assert code == 2 and f"{broken}:2: not valid TOML" in err
    code, _, err = run("--rules", "absent.toml", "verify")
    assert code == 2 and "absent.toml: no such file" in err


def test_a_rule_file_selects_its_rule_set(run: Run, tmp_path: Path) -> None:
    members, events = xiao_li_csv(tmp_path)
    # Its own id, so an installed jiangsu plugin package (CI installs the example) cannot clash.
    text = (EXAMPLES / "jiangsu.toml").read_text(encoding="utf-8").replace('id = "jiangsu"', 'id = "jiangsu-file"')
    jiangsu = str(write(tmp_path / "jiangsu-file.toml", text))
    assert run("--rules", jiangsu, "members", str(members))[0] == 0
    assert run("--rules", jiangsu, "ingest", str(events))[0] == 0
    assert "M001 小李 (urban) 2026-09: 117.00" in run("--rules", jiangsu, "explain", "M001", "2026-09")[1]
    # The store remembers its rule set and file: without --rules they are used again...
    assert "M001 小李 (urban) 2026-09: 117.00" in run("explain", "M001", "2026-09")[1]
    # ... and opening it with another is refused, saying what to do in options.
    code, _, err = run("--ruleset", "standard", "report", "2026-09")
    assert code == 2
    assert "created with ruleset='jiangsu-file', not 'standard'" in err
    assert err.endswith("leave out --ruleset (and --rules files of another rule set) to use the store's, "
                        "or add --migrate to change it\n")
    assert "migrate=True" not in err


def test_only_a_store_settings_error_gets_the_settings_hint(run: Run, tmp_path: Path) -> None:
    # Recognised by type, not by text: another configuration error that merely quotes the words
    # (here an unknown rule-set id) gets no hint about how the file was created.
    code, _, err = run("--ruleset", "was created with", "report", "2026-09")
    assert code == 2 and "no rule set 'was created with'" in err
    assert "leave out --ruleset" not in err


@pytest.mark.parametrize("argv", [["report", "2026-13"], ["report", "Nov 2026"], ["explain", "M001", "2026/09"]])
def test_unknown_period_format_is_a_usage_error(run: Run, argv: list[str]) -> None:
    code, out, err = run(*argv)
    assert (code, out) == (2, "")
    assert err.startswith(f"gridpoints {argv[0]}: error: period: ")
    assert "month (2026-11), a quarter (2026-Q4) or a year (2026)" in err or "has no month 13" in err


def test_unknown_member_in_explain_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    members, _ = xiao_li_csv(tmp_path)
    run("members", str(members))
    assert run("explain", "NOPE", "2026-09") == (2, "", "gridpoints explain: error: member_id: no member 'NOPE'\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["report", "2026-09", "--format", "pdf"], "invalid choice: 'pdf'"),
        (["--lang", "fr", "verify"], "invalid choice: 'fr'"),
        (["ingest"], "the following arguments are required: FILE"),
        (["ingest", "x.csv", "--batch-size", "0"], "'0' must be positive"),
        (["review", "reject", "e1"], "the following arguments are required: --reason"),
    ],
)
def test_argparse_usage_errors_exit_2(run: Run, argv: list[str], message: str) -> None:
    code, _, err = run(*argv)
    assert code == 2 and message in err


def test_verify_failure_exits_1_naming_the_sequence(run: Run, tmp_path: Path) -> None:
    members, events = xiao_li_csv(tmp_path)
    run("members", str(members))
    run("ingest", str(events))
    with sqlite3.connect(tmp_path / "gridpoints.db") as conn:
        conn.execute("DROP TRIGGER entries_no_update")
        conn.execute("UPDATE entries SET points_cents = 99900 WHERE seq = 7")
    code, out, _ = run("verify")
    assert (code, out) == (1, "ledger BROKEN at seq 7: hash does not match the entry's fields\n")


# -- review, with a check plugin installed through an entry point --------------------------------


@pytest.fixture
def holding_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Install a plugin whose check holds events with attribute suspicious=yes."""
    install_plugin(tmp_path / "site", monkeypatch, name="holder", dist="gp-test-holder", source="""
        import gridpoints as gp

        class Suspicious(gp.Check):
            name = "suspicious"
            def inspect(self, event, context):
                if event.attributes.get("suspicious") == "yes":
                    return gp.Verdict.hold(self.name, "marked suspicious")
                return None

        @gp.hookimpl
        def gridpoints_checks():
            return [Suspicious()]
    """)


@pytest.mark.usefixtures("holding_check")
def test_review_list_approve_and_reject(run: Run, tmp_path: Path) -> None:
    members, _ = xiao_li_csv(tmp_path)
    run("members", str(members))
    events = write(tmp_path / "events.csv", "id,member_id,kind,occurred_at,suspicious\n"
                   "h1,M001,patrol,2026-09-01T09:00:00+08:00,yes\n"
                   "h2,M001,patrol,2026-09-02T09:00:00+08:00,yes\n"
                   "ok,M001,patrol,2026-09-03T09:00:00+08:00,no\n")
    code, out, _ = run("ingest", str(events))
    assert (code, out, _) == (0, f"{events}: 3 rows: 1 accepted, 2 held, 0 rejected, 0 duplicate\n", "")
    code, out, _ = run("--lang", "en", "review", "list")
    assert code == 0
    assert [line.split()[:5] for line in out.splitlines()[2:]] == [
        ["h1", "M001", "patrol", "2026-09-01T09:00+08:00", "suspicious"],
        ["h2", "M001", "patrol", "2026-09-02T09:00+08:00", "suspicious"],
    ]
    assert run("--by", "alice", "review", "approve", "h1") == (0, "approved h1 (by alice): 1 entries booked\n", "")
    assert run("--by", "bob", "review", "reject", "h2", "--reason", "no such patrol")[1] == (
        "rejected h2 (by bob): no such patrol\n")
    assert run("review", "list")[1] == "没有待审核的事件\n"
    assert "2026-09: 10.00" in run("explain", "M001", "2026-09")[1]
    code, _, err = run("review", "approve", "h2")
    assert code == 2 and "h2" in err and "not held" in err
    code, _, err = run("review", "approve", "zzz")
    assert code == 2 and "no held event 'zzz'" in err
    code, out, _ = run("--rules", str(EXAMPLES / "jiangsu.toml"), "--ruleset", "standard", "plugins")
    assert code == 0
    assert "  holder  [entry point of gp-test-holder 1.0]  hooks: gridpoints_checks" in out
    assert "  suspicious  kinds: every kind  by holder" in out
    assert "jiangsu 2026.1  from 2000-01-01  4 rules" in out and f"({EXAMPLES / 'jiangsu.toml'})" in out
    assert "standard 2026.1  from 2000-01-01  15 rules" in out and out.count("(active)") == 1


# -- the demo -----------------------------------------------------------------------------------


def test_demo_runs_the_month_and_its_csv_files_import_to_the_same_report(run: Run, tmp_path: Path) -> None:
    code, out, _ = run("demo", "--members", "40", "--period", "2026-09")
    assert code == 0
    assert out.startswith("Demo month 2026-09: 40 grid workers (urban ")
    assert "rule set demo (coefficients urban ×1, suburban ×1.1, rural ×1.2), store gridpoints-demo.db" in out
    for section in ("\nReport 2026-09: 40 members assessed", "\nTop 10\n", "\nFlagged members: ",
                    "\nHeld events waiting for review: ", "hash chain intact"):
        assert section in out
    again = run("demo", "--members", "40", "--period", "2026-09")[1]
    assert "0 accepted" in again and "(already imported: re-running adds nothing)" in again

    code, out, _ = run("demo", "--members", "40", "--period", "2026-09", "--write-csv", "data")
    assert code == 0 and "data/events.csv" in out
    assert run("--db", "files.db", "--ruleset", "demo", "members", "data/members.csv")[0] == 0
    code, out, _ = run("--db", "files.db", "--ruleset", "demo", "ingest", "data/events.csv")
    assert code == 0 and " 0 rejected" in out
    from_demo = json.loads(run("--db", "gridpoints-demo.db", "--ruleset", "demo", "report", "2026-09",
                               "--format", "json")[1])
    from_files = json.loads(run("--db", "files.db", "--ruleset", "demo", "report", "2026-09", "--format", "json")[1])
    assert from_files == from_demo
    assert {row["region"] for row in from_files["rows"]} == {"urban", "suburban", "rural"}


def test_demo_refuses_a_period_that_is_not_a_month(run: Run) -> None:
    code, _, err = run("demo", "--period", "2026-Q3")
    assert code == 2 and "is not a month" in err


# -- the installed console script ----------------------------------------------------------------


def console_script() -> list[str]:
    found = shutil.which("gridpoints", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("the gridpoints console script is not installed next to this Python (pip install -e .)")
    return [found]


@pytest.mark.slow
def test_the_console_script_runs_with_exit_codes(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "GRIDPOINTS_DB"}
    members, events = xiao_li_csv(tmp_path)

    def script(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*console_script(), *argv], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=120, check=False)

    assert script("members", str(members)).returncode == 0
    done = script("ingest", str(events))
    assert (done.returncode, done.stderr) == (0, "")
    assert "127.00" in script("report", "2026-09").stdout
    assert script("report", "2026-9x").returncode == 2
    bad = write(tmp_path / "bad.csv", EVENT_HEADER + "x1,NOBODY,patrol,2026-09-01T09:00:00+08:00,,,\n")
    done = script("ingest", str(bad))
    assert done.returncode == 1 and "bad.csv:2: member_id: no member 'NOBODY'" in done.stderr
    assert "rows/s" not in done.stderr  # not a terminal: no progress display
    module = subprocess.run([sys.executable, "-m", "gridpoints", "--version"], capture_output=True, text=True,
                            check=False)
    assert (module.returncode, module.stdout) == (0, f"gridpoints {gp.__version__}\n")


def test_settle_books_the_satisfaction_award_once(run: Run, tmp_path: Path) -> None:
    members, events = xiao_li_csv(tmp_path)
    run("members", str(members))
    run("ingest", str(events))
    ratings = write(tmp_path / "ratings.csv", "id,member_id,kind,occurred_at,stars\n" + "".join(
        f"r{n},M001,rating,2026-09-{10 + n}T12:00:00+08:00,5\n" for n in range(5)))
    assert run("ingest", str(ratings))[0] == 0
    code, out, _ = run("settle", "2026-09")
    assert code == 0 and out.startswith("2026-09 settled: 1 period awards")
    assert "M001" in out and "+10" in out
    assert run("settle", "2026-09")[1] == "2026-09 was settled before: nothing booked\n"
    assert "137.00" in run("report", "2026-09")[1]
    code, _, err = run("settle", "2026-Q3")
    assert code == 2 and "not a month" in err


def test_simulate_shows_who_changes_under_a_proposed_rule_file(run: Run, tmp_path: Path) -> None:
    members, events = xiao_li_csv(tmp_path)
    run("members", str(members))
    run("ingest", str(events))
    code, out, _ = run("--lang", "en", "simulate", "--proposed", str(EXAMPLES / "jiangsu.toml"), "2026-09",
                       "--changed-only")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "2026-09: proposal jiangsu 2026.1 against the ledger, 2 members assessed"
    assert "score changes: 1 (up 0, down 1)" in lines[2]
    row = next(line for line in lines if line.startswith("M001"))
    assert row.split()[2:5] == ["127.00", "117.00", "-10.00"]
    code, out, _ = run("simulate", "--proposed", str(EXAMPLES / "jiangsu.toml"), "2026-09", "--format", "json")
    assert code == 0 and {r["member_id"]: r["new_score"] for r in json.loads(out)["rows"]} == {
        "M001": "117.00", "M002": "0.00"}
    code, _, err = run("simulate", "--proposed", "nope.toml", "2026-09")
    assert code == 2 and "nope.toml: no such file" in err
    assert run("verify")[0] == 0  # the ledger was not touched
