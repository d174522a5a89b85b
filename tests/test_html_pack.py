"""The HTML results pack: every chart's data is the report's, the page fetches nothing, the public
notice leaks nothing internal, Chinese is drawn, and a missing extra says what to install."""

from __future__ import annotations

import csv
import io
import itertools
import re
import sys
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

import gridpoints as gp
from gridpoints.cli.main import main
from gridpoints.results.html import fonts as html_fonts
from gridpoints.results.html import render_notice, render_pack
from gridpoints.results.html.page import NOTICE_COLUMNS
from gridpoints.results.html.words import Words
from gridpoints.results.pack import MonthPack, previous_period
from tests.conftest import IN_CI, NOW
from tests.helpers_html import MONTH, MONTHS, WEAK, charts, district, external_references, marks, parse, table_rows
from tests.helpers_scores import give

JIANGSU = Path(__file__).resolve().parents[1] / "examples" / "rules" / "jiangsu.toml"


@pytest.fixture(scope="module")
def engine() -> gp.Engine:
    return district()


@pytest.fixture(scope="module")
def pack(engine: gp.Engine) -> MonthPack:
    return engine.month_pack(MONTH)


@pytest.fixture(scope="module")
def page(pack: MonthPack) -> str:
    return render_pack(pack, lang="zh")


@pytest.fixture(scope="module")
def whatif_page(engine: gp.Engine) -> tuple[MonthPack, str]:
    pack = engine.month_pack(MONTH, proposed=JIANGSU)
    return pack, render_pack(pack, lang="en")


def _dec(values: list[str | None]) -> list[Decimal | None]:
    return [None if v is None else Decimal(v) for v in values]


# -- every chart's data against the report --------------------------------------------------------------------------


def test_the_pack_is_built_on_the_report_the_exports_use(engine: gp.Engine, pack: MonthPack) -> None:
    assert pack.report == engine.report(MONTH)
    assert [str(r.period) for r in pack.history] == ["2026-05", "2026-06", *MONTHS]
    assert pack.history[-1] is pack.report
    assert pack.previous == engine.report("2026-09")
    assert [h.event.id for h in pack.held] == ["no-evidence"] + [
        h.event.id for h in engine.review.pending(period=MONTH) if h.event.id != "no-evidence"
    ]
    assert pack.open_appeals == 1
    assert [(b.grade, b.min) for b in pack.bands] == [
        (gp.Grade.EXCELLENT, Decimal(80)), (gp.Grade.QUALIFIED, Decimal(60)), (gp.Grade.UNQUALIFIED, None),
    ]  # fmt: skip


def test_the_histogram_counts_each_ranked_member_in_its_bin_and_draws_one_bar_per_bin(
    pack: MonthPack, page: str
) -> None:
    data, svg = charts(page)["distribution"]
    edges = [Decimal(e) for e in data["edges"]]
    scores = [row.score for row in pack.report if row.rank is not None]
    assert data["counts"] == [sum(1 for s in scores if low <= s < high) for low, high in itertools.pairwise(edges)]
    assert sum(data["counts"]) == len(scores) == pack.report.summary().count
    assert len(marks(svg, r"distribution-bar-\d+")) == len(data["counts"])
    assert [(b["grade"], b["min"]) for b in data["bands"]] == [("excellent", "80"), ("qualified", "60"),
                                                               ("unqualified", None)]  # fmt: skip
    assert {Decimal(80), Decimal(60)} <= set(edges)  # the thresholds are bin edges: no bar mixes grades
    assert len(marks(svg, r"distribution-band-\w+")) == 2


def test_grade_counts_by_region_and_by_grid_are_the_reports(pack: MonthPack, page: str) -> None:
    found = charts(page)
    for by, names in (("region", ["grades-region"]), ("grid", sorted(n for n in found if n.startswith("grades-grid")))):
        expected = pack.report.grade_distribution(by)
        groups, counts = [], []
        for name in names:
            data, svg = found[name]
            assert data["grades"] == ["excellent", "qualified", "unqualified"]
            assert len(marks(svg, rf"{name}-seg-\d+-\d+")) == len(data["groups"]) * 3
            groups += data["groups"]
            counts += data["counts"]
        assert groups == list(expected)
        assert counts == [[expected[g][grade] for grade in gp.Grade] for g in groups]
    assert len([n for n in found if n.startswith("grades-grid")]) == 1  # 9 grids fit one chart


def test_the_trend_is_each_months_mean_and_marks_every_month_assessed(
    engine: gp.Engine, pack: MonthPack, page: str
) -> None:
    data, svg = charts(page)["trend"]
    assert data["months"] == ["2026-05", "2026-06", *MONTHS]
    expected = [None, None] + [engine.report(m).summary().mean for m in MONTHS]  # nothing booked before July
    assert _dec(data["means"]) == expected
    assert _dec(data["means"])[-1] == pack.report.summary().mean
    (line,) = marks(svg, "trend-mean-line")
    assert len(list(line.iter("use"))) == 4  # one marker per month with a mean


def test_accountable_members_are_drawn_with_their_monthly_scores(engine: gp.Engine, page: str) -> None:
    data, svg = charts(page)["accountability"]
    flagged = [row.member_id for row in engine.report(MONTH) if "accountability" in row.flags]
    assert WEAK.id in flagged
    assert [m["member_id"] for m in data["members"]] == flagged
    for member in data["members"]:
        expected = [None, None] + [engine.report(m).row(member["member_id"]).score for m in MONTHS]
        assert _dec(member["scores"]) == expected
    assert len(marks(svg, r"accountability-member-\d+")) == len(flagged)
    section = parse(page).find("section", id="accountability")
    _, rows = table_rows(section.find("table"))
    assert [r[0] for r in rows] == flagged and rows[flagged.index(WEAK.id)][-1] == "5.00"


def test_held_events_are_counted_by_check(engine: gp.Engine, page: str) -> None:
    data, svg = charts(page)["held"]
    expected = Counter(h.check for h in engine.review.pending(period=MONTH))
    assert dict(zip(data["checks"], data["counts"], strict=True)) == expected
    assert data["counts"] == sorted(data["counts"], reverse=True)
    assert len(marks(svg, r"held-bar-\d+")) == len(expected)


def test_points_by_kind_add_up_to_every_score(pack: MonthPack, page: str) -> None:
    data, svg = charts(page)["kinds"]
    points = dict(zip(data["kinds"], (Decimal(p) for p in data["points"]), strict=True))
    for kind, total in points.items():
        assert total == sum((row.breakdown.get(kind, Decimal(0)) for row in pack.report), Decimal(0))
    assert sum(points.values()) == sum((row.score for row in pack.report), Decimal(0))  # conservation
    assert len(marks(svg, r"kinds-bar-\d+")) == len(points)


def test_the_headline_figures_are_the_reports_summary(pack: MonthPack, page: str) -> None:
    cards = {c.attributes["data-key"]: c.find("div", class_="value").text() for c in parse(page).iter("div")
             if c.attributes.get("class") == "card"}  # fmt: skip
    summary = pack.report.summary()
    assert cards["assessed"] == str(summary.count)
    assert cards["mean"] == str(summary.mean) and cards["median"] == str(summary.median)
    assert {k: int(v) for k, v in cards.items() if k.startswith("grade.")} == {
        f"grade.{g.code}": n for g, n in summary.grades.items()
    }
    assert cards["held"] == str(len(pack.held)) and cards["open_appeals"] == "1"


def test_the_ranking_table_is_the_csv_export_cell_for_cell(engine: gp.Engine, page: str, tmp_path: Path) -> None:
    engine.export_report(MONTH, tmp_path / "r.csv")
    exported = list(csv.reader(io.StringIO((tmp_path / "r.csv").read_bytes().decode("utf-8-sig"))))
    headers, rows = table_rows(parse(page).find("section", id="ranking").find("table"))
    columns = [exported[0].index(h) for h in headers]
    assert headers[:3] == ["排名", "编号", "姓名"] and "标记" in headers
    assert rows == [[line[i] for i in columns] for line in exported[1:]]


def test_movers_are_the_biggest_changes_against_the_previous_month(engine: gp.Engine, page: str) -> None:
    now, before = engine.report(MONTH), engine.report("2026-09")
    deltas = {r.member_id: r.score - before.row(r.member_id).score for r in now}
    section = parse(page).find("section", id="movers")
    up, down = (table_rows(t)[1] for t in section.iter("table"))
    assert [r[0] for r in up] == sorted((m for m in deltas if deltas[m] > 0), key=lambda m: (-deltas[m], m))[:10]
    assert [r[0] for r in down] == sorted((m for m in deltas if deltas[m] < 0), key=lambda m: (deltas[m], m))[:10]
    assert all(Decimal(r[4]) == deltas[r[0]] for r in up + down)


def test_the_what_if_section_plots_every_member_and_lists_grade_changes(
    whatif_page: tuple[MonthPack, str],
) -> None:
    pack, page = whatif_page
    result = pack.whatif
    assert result is not None
    data, svg = charts(page)["whatif"]
    assert _dec(data["old"]) == [r.old_score for r in result] and _dec(data["new"]) == [r.new_score for r in result]
    changes = result.grade_changes()
    assert sum(data["grade_changed"]) == len(changes) == result.summary().grade_changes > 0
    (same,) = marks(svg, "whatif-same")
    (changed,) = marks(svg, "whatif-changed")
    assert len(list(same.iter("use"))) + len(list(changed.iter("use"))) == len(result)
    section = parse(page).find("section", id="whatif")
    card = next(c for c in section.iter("div") if c.attributes.get("data-key") == "grade_changes")
    assert card.find("div", class_="value").text() == str(len(changes))
    _, rows = table_rows(section.find("table"))
    assert [r[0] for r in rows] == [r.member_id for r in changes]


# -- self-contained, deterministic, safe ----------------------------------------------------------------------------


def test_the_detector_of_external_references_finds_each_kind() -> None:
    planted = (
        '<img src="x.png">', '<a href="https://example.org">', "<link rel=stylesheet href=a.css>",
        "<style>@import 'x.css';</style>", "<div style=\"background: url('x.png')\">", '<video poster="p.png">',
        '<script src="//cdn.example.org/a.js"></script>', '<svg><use href="icons.svg#a"/></svg>', "see ftp://x/y",
        "<style>@font-face { font-family: x; }</style>",
    )  # fmt: skip
    for reference in planted:
        assert external_references(f"<p>ok</p>{reference}"), reference
    assert external_references('<svg><use href="#c-1"/><g clip-path="url(#c-2)"/></svg><p>src=x</p>') == []


def test_no_page_refers_to_anything_outside_itself(page: str, whatif_page: tuple[MonthPack, str],
                                                    pack: MonthPack) -> None:  # fmt: skip
    for html in (page, whatif_page[1], render_notice(pack, lang="en")):
        assert external_references(html) == []
        assert "http" not in html  # not even a namespace name
        assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html


def test_the_same_ledger_gives_the_same_page(engine: gp.Engine, page: str) -> None:
    assert render_pack(engine.month_pack(MONTH), lang="zh") == page


def test_ids_are_unique_on_the_page(page: str) -> None:
    ids = [node.attributes["id"] for node in parse(page).iter() if "id" in node.attributes]
    assert len(ids) == len(set(ids)) and len(ids) > 100


def test_english_pack(pack: MonthPack) -> None:
    root = parse(render_pack(pack, lang="en"))
    assert root.find("html").attributes["lang"] == "en"
    assert root.find("h1").text() == "Grid workers' results, 2026-10"
    headings = [h.text() for h in root.iter("h2")]
    assert "Score distribution" in headings and not any(re.search(r"[\u4e00-\u9fff]", h) for h in headings)


def test_names_can_be_masked_in_the_pack(pack: MonthPack) -> None:
    page = render_pack(pack, lang="zh", mask_names=True)
    assert "钱多多" not in page and "钱**" in page


def test_hostile_names_and_grids_stay_text() -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW, checks=False)
    engine.add_members([gp.Member("H1", "urban", name="<script>alert(1)</script>", grid="--><b>x</b>"),
                        gp.Member("H2", "<i>r</i>", name='"><img src=x>', grid="g")])  # fmt: skip
    give(engine, "H1", MONTH, 50)
    give(engine, "H2", MONTH, 90)
    page = render_pack(engine.month_pack(MONTH), lang="zh")
    root = parse(page)
    assert not list(root.iter("script")) and not list(root.iter("img")) and not list(root.iter("i"))
    assert not list(root.find("body").iter("b"))
    assert "<script>alert(1)</script>" in root.find("section", id="ranking").text()
    assert external_references(page) == []


def test_a_quarter_is_drawn_on_the_average_and_compared_with_the_quarter_before(engine: gp.Engine) -> None:
    pack = engine.month_pack("2026-Q4")
    assert pack.previous is not None and str(pack.previous.period) == "2026-Q3"
    assert [str(r.period) for r in pack.history] == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
    page = render_pack(pack, lang="en")
    data, _ = charts(page)["distribution"]
    assert data["value"] == "average"
    averages = [row.average for row in pack.report if row.rank is not None]
    edges = [Decimal(e) for e in data["edges"]]
    assert data["counts"] == [sum(1 for a in averages if lo <= a < hi) for lo, hi in itertools.pairwise(edges)]
    assert "accountability" not in charts(page)
    assert "monthly judgement" in parse(page).find("section", id="accountability").text()
    assert str(previous_period(gp.Period.parse("2026-01"))) == "2025-12"


def test_a_plugin_that_grades_leaves_the_bands_unmarked() -> None:
    class Pass:
        @gp.hookimpl
        def gridpoints_grade(self, score: Decimal) -> gp.Grade:
            return gp.Grade.QUALIFIED

    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW, plugins=[Pass()], checks=False)
    engine.add_members([gp.Member("A", "urban")])
    give(engine, "A", MONTH, 85)
    pack = engine.month_pack(MONTH)
    assert pack.bands == ()
    page = render_pack(pack, lang="en")
    assert charts(page)["distribution"][0]["bands"] == []
    assert "thresholds are not known" in page


# -- the public notice ----------------------------------------------------------------------------------------------


def test_the_public_notice_shows_masked_names_grid_score_grade_and_rank_only(pack: MonthPack) -> None:
    page = render_notice(pack, lang="zh")
    root = parse(page)
    (table,) = list(root.iter("table"))
    headers, rows = table_rows(table)
    assert headers == [gp.report_table(pack.report, lang="zh").headers[
        gp.report_table(pack.report).keys.index(k)] for k in NOTICE_COLUMNS]  # fmt: skip
    assert rows == [[str(r.rank), gp.mask_name(r.name) or "", r.grid or "", str(r.score), r.grade and r.grade.label()]
                    for r in pack.report]  # fmt: skip
    assert not charts(page)


def test_the_public_notice_leaks_no_internal_field(pack: MonthPack) -> None:
    report = pack.report
    assert any(r.flags for r in report) and any(r.titles for r in report) and pack.held and pack.open_appeals
    for lang in ("zh", "en"):
        page = render_notice(pack, lang=lang)
        text = parse(page).find("body").text()
        for row in report:
            assert row.member_id not in page
            assert not row.name or len(row.name) < 2 or row.name not in page
        for word in ("问责", "accountability", "异常", "outlier", "金牌", "gold", "审核", "review", "held",
                     "flag", "标记", "称号", "percentile", "百分位"):  # fmt: skip
            assert word not in text, (lang, word)
        for held in pack.held:
            assert held.event.id not in page and held.check not in page and held.reason not in page


# -- fonts: Chinese is drawn, not tofu ------------------------------------------------------------------------------


def _cjk(text: str) -> set[str]:
    return {c for c in text if "\u4e00" <= c <= "\u9fff"}


def test_chinese_in_the_charts_is_drawn_with_a_cjk_font(pack: MonthPack, page: str) -> None:
    family = html_fonts.cjk_family()
    if family is None:
        message = "no CJK font for matplotlib (install fonts-wqy-microhei or fonts-noto-cjk; .ci/run does)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    _, svg = charts(page)["distribution"]
    glyphs = [node.attributes.get("id", "") for node in svg.iter("path")]
    glyphs = [g for g in glyphs if g.startswith("distribution-") and not re.fullmatch(r"distribution-m[0-9a-f]{10}", g)]
    words = Words("zh")
    drawn = _cjk("".join(b.grade.label("zh") for b in pack.bands) + words["score"] + words["members"])
    assert drawn == _cjk("优秀合格不合格积分人数")
    # A missing glyph is matplotlib's last-resort box or the Latin font's .notdef, one id for all:
    # the CJK font must give each distinct character its own outline.
    cjk_glyphs = {g for g in glyphs if not g.startswith("distribution-DejaVuSans")}
    assert not any("LastResort" in g for g in glyphs)
    assert len(cjk_glyphs) == len(drawn)  # one outline per distinct character
    assert not list(svg.iter("text"))  # outlines, whatever fonts the viewer has


def test_without_a_cjk_font_chart_text_stays_text_for_the_browsers_fonts(
    pack: MonthPack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gridpoints.results.html.charts.cjk_family", lambda: None)
    page = render_pack(pack, lang="zh")
    _, svg = charts(page)["distribution"]
    texts = [t.text() for t in svg.iter("text")]
    assert "优秀" in texts and "人数" in texts
    assert f"svg text {{ font-family: {html_fonts.FONT_STACK} !important; }}" in page
    assert '"WenQuanYi Micro Hei"' in html_fonts.FONT_STACK and '"Microsoft YaHei"' in html_fonts.FONT_STACK


# -- the engine, the command line and the missing extra -------------------------------------------------------------


def test_export_report_writes_html_by_suffix_or_format(engine: gp.Engine, tmp_path: Path) -> None:
    engine.export_report(MONTH, tmp_path / "month.html")
    assert parse((tmp_path / "month.html").read_text(encoding="utf-8")).find("section", id="ranking")
    buffer = io.BytesIO()
    engine.export_report(MONTH, buffer, format="html", public=True, lang="en")
    assert "public notice" in buffer.getvalue().decode("utf-8")
    with pytest.raises(ValueError, match="public, proposed: only for the html format"):
        engine.export_report(MONTH, tmp_path / "r.csv", public=True)
    with pytest.raises(ValueError, match="format: 'pdf' is not one of csv, json, xlsx, html"):
        engine.export_report(MONTH, tmp_path / "r.pdf")
    with pytest.raises(ValueError, match="lang: 'fr'"):
        engine.export_report(MONTH, tmp_path / "fr.html", lang="fr")
    assert not (tmp_path / "r.csv").exists() and not (tmp_path / "fr.html").exists()


def test_the_report_command_writes_the_pack_and_the_notice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "g.db")
    assert main(["--db", db, "--ruleset", "demo", "demo", "--members", "40", "--period", MONTH]) in (0, 1)
    capsys.readouterr()
    out = tmp_path / "month.html"
    assert main(["--db", db, "--ruleset", "demo", "report", MONTH, "--format", "html", "-o", str(out),
                 "--proposed", str(JIANGSU), "--lang", "en"]) == 0  # fmt: skip
    assert capsys.readouterr().out == f"results pack written to {out}\n"
    assert {"distribution", "whatif"} <= set(charts(out.read_text(encoding="utf-8")))
    assert main(["--db", db, "--ruleset", "demo", "report", MONTH, "--format", "html", "--public"]) == 0
    notice = capsys.readouterr().out
    assert "积分公示" in notice and "G00001" not in notice
    assert main(["--db", db, "--ruleset", "demo", "report", MONTH, "--format", "html", "--public",
                 "--proposed", str(JIANGSU)]) == 2  # fmt: skip
    assert "the --public notice has none" in capsys.readouterr().err
    assert main(["--db", db, "--ruleset", "demo", "report", MONTH, "--public"]) == 2
    assert "--proposed and --public are for --format html" in capsys.readouterr().err


def test_without_the_extra_the_message_says_what_to_install(
    engine: gp.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [n for n in sys.modules if n.startswith("gridpoints.results.html")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    with pytest.raises(ImportError, match=r"pip install 'gridpoints\[html\]'") as caught:
        engine.export_report(MONTH, tmp_path / "month.html")
    assert "matplotlib" in str(caught.value)
    assert not (tmp_path / "month.html").exists()
    engine.export_report(MONTH, tmp_path / "month.csv")  # the other formats do not need it
    db = str(tmp_path / "g.db")
    gp.Engine(db).close()
    assert main(["--db", db, "report", MONTH, "--format", "html", "-o", str(tmp_path / "m.html")]) == 2
    assert "pip install 'gridpoints[html]'" in capsys.readouterr().err
    assert not (tmp_path / "m.html").exists()


def test_month_pack_refuses_a_history_that_is_not_its_own(pack: MonthPack) -> None:
    with pytest.raises(ValueError, match="history"):
        attrs.evolve(pack, history=pack.history[:-1])
    with pytest.raises(ValueError, match="history"):
        attrs.evolve(pack, history=tuple(reversed(pack.history)))
    with pytest.raises(ValueError, match="made_at"):
        attrs.evolve(pack, made_at=datetime(2026, 11, 1))
    with pytest.raises(ValueError, match="open_appeals"):
        attrs.evolve(pack, open_appeals=-1)

