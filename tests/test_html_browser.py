"""The HTML pack in a real browser: headless Chromium opens it, takes a screenshot, and the charts
drew, the Chinese text has glyphs, nothing on the console complained, and it prints on A4.

Chromium comes from the system (``.ci/run`` installs it); without one these tests skip locally and
fail in CI. The screenshot is written to a temporary directory and its path printed (``-s``).
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest

from gridpoints.results.html import render_notice, render_pack
from tests.conftest import IN_CI
from tests.helpers_browser import browser, dump_dom, print_pdf, screenshot
from tests.helpers_html import MONTH, district, parse

pytestmark = pytest.mark.slow

#: Run inside a copy of the page: measures each chart and paints Chinese characters in the page's
#: font next to an unassigned code point (drawn as the "missing glyph" box), then writes the
#: findings into the DOM for ``--dump-dom``. The page itself has no script.
PROBE = """
<script>
(function () {
  const found = {charts: [], font: getComputedStyle(document.body).fontFamily, glyphs: {}};
  for (const figure of document.querySelectorAll("figure[data-chart]")) {
    const svg = figure.querySelector("svg");
    const box = svg.getBoundingClientRect();
    const inner = svg.getBBox();
    found.charts.push({name: figure.dataset.chart, width: box.width, height: box.height,
                       drawnWidth: inner.width, drawnHeight: inner.height,
                       marks: svg.querySelectorAll("path, use, text").length});
  }
  function paint(text) {
    const canvas = document.createElement("canvas");
    canvas.width = 64; canvas.height = 64;
    const context = canvas.getContext("2d");
    context.font = "48px " + found.font;
    context.fillText(text, 4, 52);
    return Array.from(context.getImageData(0, 0, 64, 64).data).join(",");
  }
  const missing = paint("\\u0378");
  for (const character of ["优", "秀", "合", "格", "积", "分"]) {
    const drawn = paint(character);
    found.glyphs[character] = drawn !== missing && drawn !== paint(" ");
  }
  found.distinct = paint("优") !== paint("秀");
  const out = document.createElement("pre");
  out.id = "gp-probe";
  out.textContent = JSON.stringify(found);
  document.body.appendChild(out);
})();
</script>
"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if browser() is None:
        message = "no Chromium on PATH: apt-get install chromium (.ci/run does)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("pack")
    pack = district(40).month_pack(MONTH)
    written = {"pack": render_pack(pack, lang="zh"), "notice": render_notice(pack, lang="zh")}
    paths = {}
    for name, page in written.items():
        paths[name] = folder / f"{name}.html"
        paths[name].write_text(page, encoding="utf-8")
        paths[f"{name}-probe"] = folder / f"{name}-probe.html"
        paths[f"{name}-probe"].write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    return paths


def test_the_page_opens_and_its_screenshot_is_written(pages: dict[str, Path]) -> None:
    from PIL import Image  # matplotlib's own dependency, so the html extra brings it

    target = Path(tempfile.mkdtemp(prefix="gridpoints-screenshot-")) / "month.png"
    console = screenshot(pages["pack"], target, width=1000, height=1800)
    print(f"\nscreenshot of the HTML pack: {target}")
    assert console == []
    with Image.open(target) as image:
        assert image.size == (1000, 1800)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is not None and len(colours) > 50  # text, cards and coloured bars, not a blank page


def test_every_chart_drew_and_chinese_has_glyphs(pages: dict[str, Path]) -> None:
    dom, console = dump_dom(pages["pack-probe"])
    assert console == []
    found = json.loads(parse(dom).find("pre", id="gp-probe").text())
    names = [c["name"] for c in found["charts"]]
    assert {"distribution", "grades-region", "trend", "accountability", "held", "kinds"} <= set(names)
    for chart in found["charts"]:
        assert chart["width"] > 300 and chart["height"] > 100, chart
        assert chart["drawnWidth"] > 0 and chart["drawnHeight"] > 0 and chart["marks"] > 10, chart
    assert all(found["glyphs"].values()) and found["distinct"], found


def test_the_probe_sees_a_console_error(pages: dict[str, Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text(pages["pack"].read_text(encoding="utf-8").replace("</body>", "<script>nope();</script></body>"),
                      encoding="utf-8")  # fmt: skip
    _, console = dump_dom(broken)
    assert any("nope is not defined" in message for message in console)


def test_the_pack_and_the_notice_print_on_a4(pages: dict[str, Path], tmp_path: Path) -> None:
    for name in ("pack", "notice"):
        pdf = tmp_path / f"{name}.pdf"
        assert print_pdf(pages[name], pdf) == []
        data = pdf.read_bytes()
        found = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
        boxes = {(round(float(width)), round(float(height))) for width, height in found}
        assert boxes == {(595, 842)}, boxes  # A4 in points, on every page
        pages_printed = len(re.findall(rb"/Type\s*/Page\b", data))
        assert pages_printed >= (3 if name == "pack" else 1)


def test_the_docs_screenshots_are_made_by_their_script(pages: dict[str, Path], tmp_path: Path) -> None:
    import runpy

    from PIL import Image

    script = runpy.run_path(str(Path(__file__).resolve().parents[1] / "docs" / "gen_screenshot.py"))
    written = script["main"](tmp_path)
    assert [p.name for p in written] == ["pack.png", "notice.png"]
    for path in written:
        with Image.open(path) as image:
            assert image.size[0] == 1000 and len(image.convert("RGB").getcolors(maxcolors=1 << 16) or []) > 50
