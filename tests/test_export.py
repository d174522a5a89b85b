"""Exports: CSV (BOM) re-read with the csv module round-trips, JSON is exact, xlsx opens."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

import gridpoints as gp
from tests.conftest import at, xiao_li_month

Make = Callable[..., gp.Engine]


@pytest.fixture
def engine(make_engine: Make) -> gp.Engine:
    engine = make_engine(checks=False, coefficients={"rural": "1.25"})
    engine.add_members(
        [
            gp.Member(id="M001", region="urban", name="小李", grid="G1"),
            gp.Member(id="M002", region="rural", name="欧阳修"),
            gp.Member(id="M003", region="urban", name='张三, "老张"', grid="G1"),
        ]
    )
    engine.ingest(xiao_li_month())
    engine.ingest([gp.Event("r1", "M002", "patrol", at(3), quantity=3), gp.Event("c1", "M003", "complaint", at(4))])
    return engine


def _read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to show Chinese
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_report_csv_round_trips(engine: gp.Engine, tmp_path: Path) -> None:
    report = engine.report("2026-11")
    path = tmp_path / "report.csv"
    engine.export_report(report, path, lang="zh")
    header, *rows = _read_csv(path.read_bytes())
    assert header[:7] == ["排名", "编号", "姓名", "区域", "网格", "积分", "等级"]
    assert "巡查得分" in header and "迟报得分" in header
    assert len(rows) == len(report)
    for line, row in zip(rows, report, strict=True):
        record = dict(zip(header, line, strict=True))
        assert record["编号"] == row.member_id and record["姓名"] == row.name
        assert Decimal(record["积分"]) == row.score and record["积分"] == str(row.score)
        assert record["等级"] == row.grade.label_zh
        assert int(record["排名"]) == row.rank and Decimal(record["百分位"]) == row.percentile
        assert record["网格"] == (row.grid or "")
        assert Decimal(record["巡查得分"]) == row.breakdown.get("patrol", 0)
    assert rows[0][header.index("称号")] == "金牌网格员"
    assert rows[1][header.index("姓名")] == "欧阳修"
    assert rows[2][header.index("姓名")] == '张三, "老张"'  # quoting survives


def test_masked_english_csv(engine: gp.Engine) -> None:
    buffer = io.BytesIO()
    engine.export_report("2026-11", buffer, format="csv", lang="en", mask_names=True)
    header, *rows = _read_csv(buffer.getvalue())
    assert header[:7] == ["rank", "member id", "name", "region", "grid", "score", "grade"]
    assert [r[2] for r in rows] == ["小*", "欧**", "张*******"]
    assert rows[0][6] == "excellent" and rows[0][header.index("titles")] == "gold"
    assert "patrol points" in header


def test_mask_name() -> None:
    assert gp.mask_name("张三") == "张*"
    assert gp.mask_name("欧阳修") == "欧**"
    assert gp.mask_name("李") == "*"
    assert gp.mask_name(None) is None and gp.mask_name("") == ""


def test_json_keeps_exact_decimals_and_stable_keys(engine: gp.Engine, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    engine.export_report("2026-11", path, lang="en")
    document = json.loads(path.read_text("utf-8"))
    assert document["columns"]["score"] == "score" and document["lang"] == "en"
    first = document["rows"][0]
    assert (first["member_id"], first["score"], first["points.patrol"]) == ("M001", "127.00", "100.00")
    assert first["grade"] == "excellent" and first["rank_in_grid"] == 1


def test_quarter_export_has_month_columns(engine: gp.Engine) -> None:
    buffer = io.BytesIO()
    engine.export_report("2026-Q4", buffer, format="csv", lang="zh")
    header, *rows = _read_csv(buffer.getvalue())
    assert {"2026-10", "2026-11", "2026-12", "月均积分", "在岗月数"} <= set(header)
    assert rows[0][header.index("2026-11")] == "127.00" and rows[0][header.index("月均积分")] == "42.33"


def test_xlsx_opens_with_openpyxl(engine: gp.Engine, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    path = tmp_path / "report.xlsx"
    engine.export_report("2026-11", path, mask_names=True)
    sheet = openpyxl.load_workbook(path).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("排名", "编号", "姓名")
    assert values[1][1:3] == ("M001", "小*")
    assert Decimal(str(values[1][5])) == Decimal("127")  # a number, not text
    assert len(values) == 4


def test_explanation_exports(engine: gp.Engine, tmp_path: Path) -> None:
    explanation = engine.explain("M002", "2026-11")
    engine.export_explanation("M002", "2026-11", tmp_path / "x.csv", lang="en")
    header, *rows = _read_csv((tmp_path / "x.csv").read_bytes())
    assert header[:4] == ["seq", "day", "event id", "item"]
    assert [dict(zip(header, r, strict=True))["explanation"] for r in rows] == [e.sentence("en") for e in explanation]
    record = dict(zip(header, rows[0], strict=True))
    assert (record["points"], record["coefficient"], record["hash"]) == ("18.75", "1.25", explanation[0].hash)
    engine.export_explanation("M002", "2026-11", tmp_path / "x.json")
    rows_json = json.loads((tmp_path / "x.json").read_text("utf-8"))["rows"]
    assert rows_json[0]["sentence"] == "2026-11-03 巡查 ×3 ×系数1.25 = +18.75（规则 standard 2026.1）"
    pytest.importorskip("openpyxl")
    engine.export_explanation("M002", "2026-11", tmp_path / "x.xlsx")
    assert (tmp_path / "x.xlsx").stat().st_size > 0


def test_bad_format_and_language_are_refused(engine: gp.Engine, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format"):
        engine.export_report("2026-11", tmp_path / "report.pdf")
    with pytest.raises(ValueError, match="format"):
        engine.export_report("2026-11", io.BytesIO())
    with pytest.raises(ValueError, match="lang"):
        engine.export_report("2026-11", tmp_path / "r.csv", lang="fr")
    assert not (tmp_path / "r.csv").exists() and not (tmp_path / "report.pdf").exists()


@pytest.mark.slow
def test_the_monthly_results_example_runs(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = Path(__file__).parents[1] / "examples" / "monthly_results.py"
    out = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, check=True)
    assert "合计" in out.stdout and "under the Jiangsu table" in out.stdout
    header, *rows = _read_csv((tmp_path / "report-2026-10.csv").read_bytes())
    assert len(rows) == 500 and header[0] == "排名"
    assert all(row[2].endswith("*") for row in rows)  # names masked
    # The month on one page (extra html, in dev): the pack with the Jiangsu what-if, and the notice.
    from tests.helpers_html import charts

    pack = (tmp_path / "results-2026-10.html").read_text(encoding="utf-8")
    assert {"distribution", "trend", "accountability", "held", "kinds", "whatif"} <= set(charts(pack))
    assert "网格员积分公示" in (tmp_path / "notice-2026-10.html").read_text(encoding="utf-8")


def test_xlsx_sheet_names_lose_the_characters_excel_forbids(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    table = gp.Table("区/1:[a]?*", "zh", ("k",), ("键",), (("v",),))
    gp.export(table, tmp_path / "t.xlsx")
    assert openpyxl.load_workbook(tmp_path / "t.xlsx").active.title == "区-1--a---"
