"""Issue 15 item 6: Chinese all the way with --lang zh — region and grid names from the rule file,
titles configurable or off, check names and entry reasons; English with --lang en."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import attrs
import pytest

import gridpoints as gp
from gridpoints.results.check_reasons import reason_text
from tests.conftest import NOW, Run, at
from tests.test_cli import EVENT_HEADER, write

RULES = """
id = "district"
version = "1"
effective_from = 2026-01-01
grades = {{ excellent = 15, qualified = 5 }}
{titles}
[regions]
urban = "城区"
rural = {{ label = "农村", label_en = "countryside" }}

[grids]
U01 = "城东一网格"

[[rules]]
kind = "patrol"
points = 10
cap = {{ day = 20 }}

[checks.daily_limit]
patrol = 3
"""


def rules(tmp_path: Path, titles: str = "") -> Path:
    return write(tmp_path / "district.toml", RULES.format(titles=titles))


def month(tmp_path: Path) -> tuple[Path, Path]:
    members = write(tmp_path / "members.csv", "id,region,name,grid\nM1,urban,小李,U01\nM2,rural,老王,R01\n")
    rows = [f"p{n},M1,patrol,2026-09-03T{8 + n:02d}:00:00+08:00,,," for n in range(4)]
    rows.append("q1,M2,patrol,2026-09-03T09:00:00+08:00,,,")
    events = write(tmp_path / "events.csv", EVENT_HEADER + "\n".join(rows) + "\n")
    return members, events


def load(run: Run, tmp_path: Path, titles: str = "") -> None:
    members, events = month(tmp_path)
    path = rules(tmp_path, titles)
    assert run("--rules", str(path), "members", str(members))[0] == 0
    assert run("ingest", str(events))[0] == 0


def test_the_report_names_regions_grids_and_titles_from_the_rule_file(run: Run, tmp_path: Path) -> None:
    load(run, tmp_path, '[titles.gold]\nlabel = "优秀网格员"\nlabel_en = "star"\n')
    code, out, _ = run("report", "2026-09")
    assert code == 0
    assert out.splitlines()[3].split() == ["1", "M1", "小李", "城区", "城东一网格", "20.00", "优秀", "1", "优秀网格员"]
    assert out.splitlines()[4].split() == ["2", "M2", "老王", "农村", "R01", "10.00", "合格", "1"]
    code, out, _ = run("--lang", "en", "report", "2026-09", "--format", "csv")
    assert code == 0 and "M1,小李,urban,U01,20.00" in out and ",star," in out and "M2,老王,countryside,R01" in out


def test_titles_can_be_switched_off(run: Run, tmp_path: Path) -> None:
    load(run, tmp_path, "[titles]\ngold = false\n")
    code, out, _ = run("report", "2026-09")
    assert code == 0 and "金牌网格员" not in out and "优秀网格员" not in out


def test_titles_are_digested_and_place_names_are_not(tmp_path: Path) -> None:
    (named,) = gp.load_rules(rules(tmp_path))
    (off,) = gp.load_rules(rules(tmp_path, "[titles]\ngold = false\n"))
    assert named.digest() != off.digest()
    bare = attrs.evolve(named, regions=None, grids=None)
    assert bare.regions == {} and bare.digest() == named.digest()


def test_row_titles_keep_codes_and_carry_labels(tmp_path: Path) -> None:
    engine = gp.Engine(rules_files=[rules(tmp_path, '[titles.gold]\nlabel = "优秀网格员"\n')], load_entrypoints=False,
                       clock=lambda: NOW)
    engine.add_members([gp.Member(id="M1", region="urban")])
    engine.ingest([gp.Event(f"p{n}", "M1", "patrol", at(3 + n)) for n in range(2)])  # 20: excellent
    row = engine.report("2026-11").rows[0]
    assert row.titles == ("gold",) and row.title_labels == (("优秀网格员", "gold"),)
    assert (row.title_texts("zh"), row.title_texts("en")) == (("优秀网格员",), ("gold",))
    closed = engine.close_period("2026-11", by="clerk")
    assert closed.report.rows[0].title_texts("zh") == ("优秀网格员",)  # frozen with its labels


def test_a_report_frozen_without_labels_uses_the_built_in_names() -> None:
    row = gp.ReportRow(member_id="M1", region="urban", grid=None, score=Decimal(1), grade=None, rank=1,
                       rank_in_region=1, rank_in_grid=None, titles=("gold",))
    assert (row.title_texts("zh"), row.title_texts("en")) == (("金牌网格员",), ("gold",))


def test_explain_and_review_speak_chinese(run: Run, tmp_path: Path) -> None:
    load(run, tmp_path)
    code, out, _ = run("explain", "M1", "2026-09")
    assert code == 0 and "规则计分" in out and "封顶" in out and " cap " not in out
    assert out.splitlines()[0] == "M1 小李 (城区) 2026-09: 20.00"
    code, out, _ = run("--lang", "en", "explain", "M1", "2026-09")
    assert code == 0 and " cap " in out
    code, out, _ = run("review", "list")
    assert code == 0 and "每日上限" in out and "daily_limit" not in out
    code, out, _ = run("--lang", "en", "review", "list")
    assert code == 0 and "daily limit" in out


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[regions]\nurban = ""\n', "regions.urban: '' is not a non-empty string"),
        ("[titles]\nsilver = true\n", "titles.silver: no title 'silver'"),
        ("[titles.gold]\nshare = 2\n", "titles.gold.share: 2 must be greater than 0 and at most 1"),
    ],
)
def test_bad_label_tables_are_located(tmp_path: Path, table: str, message: str) -> None:
    path = write(tmp_path / "r.toml", 'id = "x"\nversion = "1"\neffective_from = 2026-01-01\n' + table
                 + '[[rules]]\nkind = "patrol"\npoints = 1\n')
    with pytest.raises(gp.RuleFileError, match=r"r\.toml:\d+: " + message.replace("(", r"\(").replace(")", r"\)")):
        gp.load_rules(path)


def test_the_public_notice_names_grids_as_the_rule_file_does(run: Run, tmp_path: Path) -> None:
    pytest.importorskip("jinja2")
    load(run, tmp_path)
    code, _, err = run("report", "2026-09", "--public", "--format", "html", "-o", "notice.html")
    assert (code, err) == (0, "")
    page = (tmp_path / "notice.html").read_text(encoding="utf-8")
    assert "城东一网格" in page and ">U01<" not in page


def test_each_built_in_checks_reason_is_said_in_chinese() -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW,
                       check_config={"daily_limit": {"limits": {"patrol": 1}}, "burst": {"count": 2, "minutes": 30}})
    engine.add_members([gp.Member(id="M1", region="urban"), gp.Member(id="M2", region="urban")])
    engine.ingest([
        gp.Event("d1", "M1", "patrol", at(3, 8)), gp.Event("d2", "M1", "patrol", at(3, 20)),  # daily limit
        gp.Event("m1", "M1", "mediation", at(4)),  # evidence
        gp.Event("s1", "M2", "service", at(5, 9), attributes={"location": "A-1"}),
        gp.Event("s2", "M2", "service", at(5, 9).replace(minute=10), attributes={"location": "A-1"}),  # duplicate
        *(gp.Event(f"b{n}", "M2", "service", at(6, 9).replace(minute=n)) for n in range(3)),  # burst
    ])
    held = {h.check: h for h in engine.review.pending()}
    assert set(held) == {"daily_limit", "evidence", "duplicate_submission", "burst"}
    starts = {"daily_limit": "每日上限：", "evidence": "缺少佐证材料：", "duplicate_submission": "疑似重复提交：",
              "burst": "集中突击录入："}
    for check, event in held.items():
        said = reason_text(check, event.reason, "zh")
        assert said.startswith(starts[check]), (check, event.reason)
        assert not any(word in said for word in ("units", "evidence:", "duplicate:", "events of")), said
        assert reason_text(check, event.reason, "en") == event.reason
    assert reason_text("burst", "worded otherwise", "zh") == "worded otherwise"  # shown as recorded
