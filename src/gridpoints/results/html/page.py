"""Assemble the pack's pages: the figures, charts and tables of a ``MonthPack`` into Jinja2 templates.

Two pages: the analysis pack (积分分析会: headline, charts, ranking, movers, what-if) and the
public notice (积分公示: masked names, grid, score, grade and rank only). Tables are cut from
``report_table`` / ``whatif_table``, the same tables the CSV and JSON exports write.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs
import jinja2
from markupsafe import Markup

from gridpoints.model import Grade
from gridpoints.results import figures
from gridpoints.results.export import Table, header, mask_name, report_table, whatif_table
from gridpoints.results.html import charts
from gridpoints.results.html.fonts import FONT_STACK
from gridpoints.results.html.words import Words
from gridpoints.results.pack import MonthPack
from gridpoints.results.reports import Report

__all__ = ["GRID_CHUNK", "NOTICE_COLUMNS", "RANKING_COLUMNS", "render_notice", "render_pack"]

#: The ranking's columns (keys of ``report_table``); quarters and years add the average.
RANKING_COLUMNS = (
    "rank", "member_id", "name", "region", "grid", "score", "average", "grade", "rank_in_region", "rank_in_grid",
    "titles", "flags",
)  # fmt: skip
#: What a public notice shows, and nothing else.
NOTICE_COLUMNS = ("rank", "name", "grid", "score", "grade")
#: Grids per chart: a long list of grids goes over several charts, each fitting a page.
GRID_CHUNK = 40
_NUMERIC = frozenset({"rank", "score", "average", "rank_in_region", "rank_in_grid", "old_score", "new_score",
                      "delta", "old_rank", "new_rank", "before", "rank_before", "change", "events"})  # fmt: skip

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("gridpoints.results.html", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@attrs.frozen
class Chart:
    """One chart on the page: its name, inline SVG, data (JSON) and caption."""

    name: str
    svg: Markup
    values: str
    caption: str


def _chart(name: str, svg: str, data: Any, caption: str) -> Chart:
    return Chart(name, Markup(svg), json.dumps(data.to_json(), ensure_ascii=False, separators=(",", ":")), caption)


def _columns(table: Table, keys: Sequence[str]) -> Table:
    """``table`` with only the columns ``keys`` (those it has), in that order."""
    index = [table.keys.index(k) for k in keys if k in table.keys]
    return Table(
        table.title,
        table.lang,
        tuple(table.keys[i] for i in index),
        tuple(table.headers[i] for i in index),
        tuple(tuple(row[i] for i in index) for row in table.rows),
    )


def _numeric(table: Table) -> tuple[str, ...]:
    return tuple(k for k in table.keys if k in _NUMERIC)


def _grade_cards(report: Report, words: Words) -> list[dict[str, Any]]:
    counts = report.summary().grades
    colors = charts.grade_colors(list(counts))
    return [{"key": f"grade.{g.code}", "value": n, "label": g.label(words.lang), "color": colors[g]}
            for g, n in counts.items()]  # fmt: skip


def _common(pack: MonthPack, words: Words, title: str) -> dict[str, Any]:
    return {
        "words": words,
        "title": title,
        "period": str(pack.period),
        "made_at": pack.made_at.strftime("%Y-%m-%d %H:%M"),
        "font_stack": Markup(FONT_STACK),
    }


def render_notice(pack: MonthPack, *, lang: str = "zh") -> str:
    """The public notice (积分公示): masked names, grid, score, grade and rank, fit for a notice
    board. No member id, flag, title, held event or appeal is on it."""
    words = Words(lang)
    report = pack.report
    regions, grids = pack.labels.places(lang)
    table = _columns(report_table(report, lang=lang, mask_names=True, region_labels=regions, grid_labels=grids),
                     NOTICE_COLUMNS)  # fmt: skip
    context = _common(pack, words, words("notice_title", period=pack.period))
    context.update(
        notice=table,
        notice_numeric=_numeric(table),
        count=report.summary().count,
        grades=_grade_cards(report, words),
    )
    return _ENVIRONMENT.get_template("notice.html.j2").render(context)


def _cards(pack: MonthPack, words: Words) -> list[dict[str, Any]]:
    """The headline: members assessed, mean, median, members per grade, held events, open appeals."""
    summary = pack.report.summary()

    def card(key: str, value: object) -> dict[str, Any]:
        return {"key": key, "value": "–" if value is None else value, "label": words[key], "color": None}

    return [
        card("assessed", summary.count), card("mean", summary.mean), card("median", summary.median),
        *_grade_cards(pack.report, words),
        card("held", len(pack.held)), card("open_appeals", pack.open_appeals),
    ]  # fmt: skip


def _charts(pack: MonthPack, words: Words) -> dict[str, Any]:
    """Every chart of the pack but the what-if's, by section (None or [] where there is nothing to draw)."""
    report, labels = pack.report, pack.labels
    found: dict[str, Any] = {"distribution": None, "accountability": None, "held": None, "kinds": None}
    dist = figures.distribution(report, pack.bands)
    if dist.counts:
        svg = charts.distribution_chart(dist, words, words["distribution"])
        found["distribution"] = _chart("distribution", svg, dist, words["distribution_note"])
    regions = figures.grade_groups(report, "region")
    svg = charts.grade_groups_chart(regions, words, "grades-region", words["grades_by_region"])
    found["grades_region"] = _chart("grades-region", svg, regions, "")
    grids = figures.grade_groups(report, "grid")
    found["grades_grid"] = []
    if any(grids.groups):  # members without a grid only: nothing to show per grid
        for i, part in enumerate(grids.chunks(GRID_CHUNK)):
            name = f"grades-grid-{i + 1}"
            svg = charts.grade_groups_chart(part, words, name, words["grades_by_grid"])
            found["grades_grid"].append(_chart(name, svg, part, ""))
    trend = figures.mean_trend(pack.history)
    svg = charts.trend_chart(trend, words, words("trend", n=len(trend.months)))
    found["trend"] = _chart("trend", svg, trend, words["trend_note"] if None in trend.means else "")
    lines = figures.accountability(report, pack.history)
    if lines:
        qualifying = figures.qualifying_score(pack.bands)
        svg = charts.accountability_chart(lines, trend.months, qualifying, words, words["accountability"])
        found["accountability"] = _chart("accountability", svg, _AccountabilityData(trend.months, lines), "")
    held = figures.held_counts(pack.held)
    if held.checks:
        svg = charts.held_chart(held, labels, words, words["held_by_check"])
        found["held"] = _chart("held", svg, held, words["held_note"])
    kinds = figures.kind_points(report)
    if kinds.kinds:
        found["kinds"] = _chart("kinds", charts.kinds_chart(kinds, labels, words, words["points_by_kind"]), kinds, "")
    return found


def render_pack(pack: MonthPack, *, lang: str = "zh", mask_names: bool = False) -> str:
    """The analysis pack (积分分析会) of ``pack`` as one self-contained HTML page."""
    words = Words(lang)
    report = pack.report
    found = _charts(pack, words)
    months = [str(r.period) for r in pack.history]
    accountable = _accountable_table(figures.accountability(report, pack.history), months, words, mask_names)
    risers, fallers = figures.movers(report, pack.previous)
    kind_labels = {k: pack.labels.kind(k, lang) for k in pack.labels.kinds}
    regions, grids = pack.labels.places(lang)
    ranking = _columns(report_table(report, lang=lang, mask_names=mask_names, kind_labels=kind_labels,
                                    region_labels=regions, grid_labels=grids), RANKING_COLUMNS)  # fmt: skip
    context = _common(pack, words, words("pack_title", period=pack.period))
    context.update(
        settled=report.settled,
        cards=_cards(pack, words),
        charts=found,
        bands=pack.bands,
        trend_months=len(months),
        monthly=report.period.kind == "month",
        accountable=accountable,
        accountable_numeric=tuple(months),
        held_table=_held_table(figures.held_counts(pack.held), pack, words),
        previous=None if pack.previous is None else str(pack.previous.period),
        risers=_movers_table(risers, words, mask_names),
        fallers=_movers_table(fallers, words, mask_names),
        mover_numeric=("before", "score", "change", "rank_before", "rank"),
        ranking=ranking,
        ranking_numeric=_numeric(ranking),
        whatif=_whatif(pack, words, mask_names, found),
        whatif_numeric=("old_score", "new_score", "delta", "old_rank", "new_rank"),
    )
    return _ENVIRONMENT.get_template("pack.html.j2").render(context)


@attrs.frozen
class _AccountabilityData:
    months: tuple[str, ...]
    lines: tuple[figures.TrendLine, ...]

    def to_json(self) -> dict[str, Any]:
        return {"months": list(self.months), "members": [line.to_json() for line in self.lines]}


def _name(name: str | None, mask: bool) -> str | None:
    return mask_name(name) if mask else name


def _accountable_table(lines: Sequence[figures.TrendLine], months: Sequence[str], words: Words, mask: bool) -> Table:
    keys = ("member_id", "name", "grid", *months)
    headers = (_header("member_id", words), _header("name", words), _header("grid", words), *months)
    rows = tuple((line.member_id, _name(line.name, mask), line.grid, *line.scores) for line in lines)
    return Table("", words.lang, keys, headers, rows)


def _header(key: str, words: Words) -> str:
    return header(key, words.lang)


def _held_table(held: figures.HeldCounts, pack: MonthPack, words: Words) -> Table:
    rows = tuple((pack.labels.check(c, words.lang), pack.labels.kind(k, words.lang), n) for c, k, n in held.by_kind)
    return Table("", words.lang, ("check", "kind", "events"), (words["check"], words["kind"], words["events"]), rows)


def _movers_table(found: Sequence[figures.Mover], words: Words, mask: bool) -> Table:
    keys = ("member_id", "name", "before", "score", "change", "rank_before", "rank")
    headers = (_header("member_id", words), _header("name", words), words["before"], _header("score", words),
               words["change"], words["rank_before"], _header("rank", words))  # fmt: skip
    rows = tuple(
        (m.row.member_id, _name(m.row.name, mask), m.before, m.row.score, _signed(m.delta), m.rank_before, m.row.rank)
        for m in found
    )
    return Table("", words.lang, keys, headers, rows)


def _signed(value: Decimal) -> str:
    return f"+{value}" if value > 0 else str(value)


def _whatif(pack: MonthPack, words: Words, mask: bool, found: dict[str, Any]) -> dict[str, Any] | None:
    result = pack.whatif
    if result is None:
        return None
    points = figures.whatif_points(result)
    thresholds = [b.min for b in pack.bands if b.min is not None]
    found["whatif"] = _chart("whatif", charts.whatif_chart(points, thresholds, words, words["whatif"]), points,
                             words["whatif_note"])  # fmt: skip
    summary = result.summary()
    changes = attrs.evolve(result, rows=tuple(result.grade_changes()))
    return {
        "ruleset": result.ruleset,
        "version": result.version,
        "grade_changes": summary.grade_changes,
        "moves": [
            {"old": _grade(m.old, words), "new": _grade(m.new, words), "count": m.count} for m in summary.grade_moves
        ],
        "table": whatif_table(changes, lang=words.lang, mask_names=mask),
    }


def _grade(grade: Grade | None, words: Words) -> str:
    return "–" if grade is None else grade.label(words.lang)
