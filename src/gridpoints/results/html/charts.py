"""The pack's charts, drawn by matplotlib as SVG from the numbers in ``gridpoints.results.figures``.

Each function returns the inline ``<svg>`` of one chart. Drawn marks carry ids the tests count
(``bar-3``, ``seg-0-1``, ``mean-line``…, prefixed with the chart's name on the page). Output is
deterministic: fixed hash salt, no date, no randomness, so the same ledger gives the same page.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Iterator, Sequence
from decimal import Decimal

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from gridpoints.model import Grade
from gridpoints.results.figures import Distribution, GradeGroups, HeldCounts, KindPoints, Trend, TrendLine, WhatIfPoints
from gridpoints.results.html.fonts import LATIN_FAMILY, cjk_family
from gridpoints.results.html.svg import inline_svg
from gridpoints.results.html.words import Words
from gridpoints.results.pack import Labels

__all__ = [
    "accountability_chart",
    "distribution_chart",
    "grade_colors",
    "grade_groups_chart",
    "held_chart",
    "kinds_chart",
    "trend_chart",
    "whatif_chart",
]

WIDTH = 7.0  # inches: an A4 page's width inside its margins
_GOOD, _BAD, _OTHER, _UNGRADED = "#2e7d32", "#c62828", "#9e9e9e", "#546e7a"
_SCALE_COLORS = {
    2: (_GOOD, _BAD),
    3: (_GOOD, "#1565c0", _BAD),
    4: (_GOOD, "#1565c0", "#f9a825", _BAD),
    5: (_GOOD, "#1565c0", "#f9a825", "#ef6c00", _BAD),
}
_LINE_COLORS = ("#c62828", "#6a1b9a", "#ef6c00", "#00838f", "#4e342e", "#ad1457", "#1565c0", "#558b2f")


def grade_colors(grades: Sequence[Grade]) -> dict[Grade, str]:
    """A colour per grade by its band: the best green, the worst red (grey for a band beyond the scale)."""
    if not grades:
        return {}
    size = max(g.band for g in grades) + 1
    palette = _SCALE_COLORS.get(size)
    if palette is None:  # more than five bands: spread them over a green-to-red map
        cmap = matplotlib.colormaps["RdYlGn"]
        palette = tuple(matplotlib.colors.to_hex(cmap(1 - i / max(size - 1, 1))) for i in range(size))
    return {g: palette[g.band] if g.band < len(palette) else _OTHER for g in grades}


@contextlib.contextmanager
def _style() -> Iterator[None]:
    """matplotlib settings for every chart: glyph outlines with a CJK font, else text for the
    browser's fonts (and no warning per missing glyph: the browser has them)."""
    cjk = cjk_family()
    settings = matplotlib.rc_context(
        {
            "font.family": [LATIN_FAMILY, cjk] if cjk else [LATIN_FAMILY],
            "font.size": 9,
            "svg.fonttype": "path" if cjk else "none",
            "svg.hashsalt": "gridpoints",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.axisbelow": True,
            "axes.grid": True,
            "grid.color": "#dddddd",
            "grid.linewidth": 0.6,
        }
    )
    with settings, warnings.catch_warnings():
        if not cjk:
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        yield


def _axes(height: float) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(WIDTH, height), layout="constrained")
    return figure, figure.add_subplot()


def _svg(figure: Figure, name: str, label: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return inline_svg(buffer.getvalue(), name, label)


def _float(value: Decimal | None) -> float:
    return math.nan if value is None else float(value)


def distribution_chart(data: Distribution, words: Words, label: str) -> str:
    """Histogram: one bar per bin, coloured by the bin's grade; dashed lines at the thresholds."""
    colors = grade_colors([b.grade for b in data.bands])
    with _style():
        figure, ax = _axes(3.0)
        for i, count in enumerate(data.counts):
            grade = data.bin_grade(i)
            color = colors[grade] if grade is not None else _UNGRADED
            left, right = float(data.edges[i]), float(data.edges[i + 1])
            (bar,) = ax.bar(left, count, width=right - left, align="edge", color=color, edgecolor="white", lw=0.5)
            bar.set_gid(f"bar-{i}")
        for band in data.bands:
            if band.min is not None:
                ax.axvline(float(band.min), color="#424242", linestyle="--", linewidth=1, gid=f"band-{band.grade.code}")
        if data.bands:
            ax.legend(handles=[Patch(color=colors[b.grade], label=b.grade.label(words.lang)) for b in data.bands],
                      frameon=False, loc="upper left")  # fmt: skip
        ax.set_xlabel(words[data.value])
        ax.set_ylabel(words["members"])
        ax.grid(axis="x", visible=False)
        return _svg(figure, "distribution", label)


def grade_groups_chart(data: GradeGroups, words: Words, name: str, label: str) -> str:
    """Stacked horizontal bars: one row per group, one segment per grade."""
    colors = grade_colors(data.grades)
    names = [g or words["no_grid"] for g in data.groups]
    with _style():
        figure, ax = _axes(0.9 + 0.19 * len(names))
        rows = range(len(names))
        left = [0] * len(names)
        for k, grade in enumerate(data.grades):
            widths = [counts[k] for counts in data.counts]
            label = grade.label(words.lang)
            bars = ax.barh(list(rows), widths, left=left, color=colors[grade], label=label, height=0.7)
            for g, bar in enumerate(bars):
                bar.set_gid(f"seg-{g}-{k}")
            left = [a + b for a, b in zip(left, widths, strict=True)]
        ax.set_yticks(list(rows), names)
        ax.set_ylim(len(names) - 0.5, -0.5)  # first group on top, no empty rows around
        ax.set_xlabel(words["members"])
        ax.grid(axis="y", visible=False)
        ax.legend(frameon=False, loc="lower right", bbox_to_anchor=(1, 1), ncols=len(data.grades))
        return _svg(figure, name, label)


def trend_chart(data: Trend, words: Words, label: str) -> str:
    """The unit's mean score per month: a line with a marker and its value on each month assessed."""
    means = [_float(m) for m in data.means]
    with _style():
        figure, ax = _axes(2.4)
        ax.plot(data.months, means, marker="o", color="#1565c0", gid="mean-line")
        for x, (y, text) in enumerate(zip(means, data.means, strict=True)):
            if text is not None:
                ax.annotate(str(text), (x, y), textcoords="offset points", xytext=(0, 6), ha="center")
        ax.set_ylabel(words["mean"])
        known = [m for m in means if not math.isnan(m)]
        # From zero: a zoomed axis would make a one-point change look like a collapse.
        ax.set_ylim(min([0.0, *known]), max([1.0, *known]) * 1.15)
        return _svg(figure, "trend", label)


def accountability_chart(
    lines: Sequence[TrendLine], months: Sequence[str], qualifying: Decimal | None, words: Words, label: str
) -> str:
    """Each accountable member's monthly score, one line each, with the qualifying score dashed."""
    with _style():
        figure, ax = _axes(2.6)
        for i, line in enumerate(lines):
            ax.plot(list(months), [_float(s) for s in line.scores], marker="o", label=line.member_id,
                    color=_LINE_COLORS[i % len(_LINE_COLORS)], gid=f"member-{i}")  # fmt: skip
        if qualifying is not None:
            ax.axhline(float(qualifying), color="#424242", linestyle="--", linewidth=1, label=words["qualifying"])
        if len(lines) <= 12:
            ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1, 1), fontsize=8)
        ax.set_ylabel(words["score"])
        return _svg(figure, "accountability", label)


def _horizontal_bars(
    names: Sequence[str], values: Sequence[float], colors: Sequence[str], words: Words, axis: str
) -> Figure:
    figure, ax = _axes(0.7 + 0.3 * len(names))
    bars = ax.barh(range(len(names)), values, color=list(colors), height=0.65)
    for i, bar in enumerate(bars):
        bar.set_gid(f"bar-{i}")
    ax.bar_label(bars, padding=3, fmt="%g")
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.axvline(0, color="#616161", linewidth=0.8)
    ax.set_xlabel(words[axis])
    ax.grid(axis="y", visible=False)
    ax.margins(x=0.12)
    return figure


def held_chart(data: HeldCounts, labels: Labels, words: Words, label: str) -> str:
    """Held events per check, most first."""
    names = [labels.check(c, words.lang) for c in data.checks]
    with _style():
        figure = _horizontal_bars(names, list(data.counts), ["#ef6c00"] * len(names), words, "events")
        return _svg(figure, "held", label)


def kinds_chart(data: KindPoints, labels: Labels, words: Words, label: str) -> str:
    """Points per kind over every assessed member: awards green, deductions red."""
    names = [labels.kind(k, words.lang) for k in data.kinds]
    colors = [_GOOD if p >= 0 else _BAD for p in data.points]
    with _style():
        figure = _horizontal_bars(names, [float(p) for p in data.points], colors, words, "points")
        return _svg(figure, "kinds", label)


def whatif_chart(data: WhatIfPoints, thresholds: Sequence[Decimal], words: Words, label: str) -> str:
    """Current against proposed score, one point per member; grade changes in red; the diagonal
    is "no change" and the dashed lines the grade thresholds."""
    with _style():
        figure, ax = _axes(5.0)
        for changed, gid, color, key in ((False, "same", "#90a4ae", "same_grade"),
                                         (True, "changed", _BAD, "grade_changed")):  # fmt: skip
            xs = [float(o) for o, c in zip(data.old, data.grade_changed, strict=True) if c is changed]
            ys = [float(n) for n, c in zip(data.new, data.grade_changed, strict=True) if c is changed]
            ax.scatter(xs, ys, s=10, color=color, label=words[key], gid=gid, zorder=3)
        values = [float(v) for v in (*data.old, *data.new)] or [0.0, 1.0]
        pad = (max(values) - min(values)) * 0.04 or 1.0
        low, high = min(values) - pad, max(values) + pad
        ax.plot([low, high], [low, high], color="#616161", linewidth=0.8, gid="diagonal")
        ax.set_xlim(low, high)  # the same scale both ways, so the diagonal means "no change"
        ax.set_ylim(low, high)
        for value in thresholds:
            ax.axvline(float(value), color="#bdbdbd", linestyle="--", linewidth=0.8)
            ax.axhline(float(value), color="#bdbdbd", linestyle="--", linewidth=0.8)
        ax.set_xlabel(words["current_score"])
        ax.set_ylabel(words["proposed_score"])
        ax.legend(frameon=False, loc="upper left")
        return _svg(figure, "whatif", label)
