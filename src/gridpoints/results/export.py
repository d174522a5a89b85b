"""Exports of reports and explanations: CSV (UTF-8 with BOM), JSON and xlsx, in zh or en.

A report or an explanation is first turned into a ``Table`` (stable English column keys,
headers and labels in the chosen language, names optionally masked), then written in one of
the formats. CSV carries a BOM so Excel shows Chinese intact; JSON keeps numbers as exact
decimal strings; xlsx needs the optional extra ``gridpoints[xlsx]`` (openpyxl).

Names and ids come from the people assessed, so a text cell may look like a formula
(``=HYPERLINK(…)``, ``+cmd``, ``@SUM(…)``). CSV and xlsx never let a spreadsheet run one: a
text cell starting with ``= + - @``, a tab or a carriage return gets a leading ``'`` in CSV and
is stored as quote-prefixed text in xlsx. Numbers stay numbers. JSON is data, written as is.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import IO

import attrs

from gridpoints.results.explain import Explanation, reason_label
from gridpoints.results.grids import GridReport
from gridpoints.results.reports import Report
from gridpoints.results.whatif import WhatIf

__all__ = [
    "FORMATS",
    "Table",
    "explanation_table",
    "export",
    "grid_table",
    "header",
    "looks_like_formula",
    "mask_name",
    "report_table",
    "whatif_table",
]

FORMATS = ("csv", "json", "xlsx")
Cell = str | int | Decimal | None
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")

_HEADERS: Mapping[str, tuple[str, str]] = {
    "rank": ("排名", "rank"),
    "member_id": ("编号", "member id"),
    "name": ("姓名", "name"),
    "region": ("区域", "region"),
    "grid": ("网格", "grid"),
    "score": ("积分", "score"),
    "average": ("月均积分", "average monthly score"),
    "active_months": ("在岗月数", "active months"),
    "grade": ("等级", "grade"),
    "percentile": ("百分位", "percentile"),
    "rank_in_region": ("区域排名", "rank in region"),
    "rank_in_grid": ("网格排名", "rank in grid"),
    "titles": ("称号", "titles"),
    "flags": ("标记", "flags"),
    "seq": ("序号", "seq"),
    "day": ("日期", "day"),
    "event_id": ("事件编号", "event id"),
    "item": ("项目", "item"),
    "rule": ("规则", "rule"),
    "version": ("规则版本", "rule version"),
    "quantity": ("数量", "quantity"),
    "coefficient": ("系数", "coefficient"),
    "points": ("积分", "points"),
    "reason": ("原因", "reason"),
    "ref": ("关联", "reference"),
    "sentence": ("说明", "explanation"),
    "hash": ("哈希", "hash"),
    "old_score": ("现积分", "old score"),
    "new_score": ("新积分", "new score"),
    "delta": ("变化", "change"),
    "old_grade": ("现等级", "old grade"),
    "new_grade": ("新等级", "new grade"),
    "old_rank": ("现排名", "old rank"),
    "new_rank": ("新排名", "new rank"),
    "members": ("人数", "members"),
    "mean": ("平均分", "mean score"),
}
_FLAGS = {
    "accountability": ("问责", "accountability"),
    "outlier": ("异常", "outlier"),
    "veto": ("一票否决", "veto"),
    "not_eligible": ("不参评", "not eligible"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def header(key: str, lang: str) -> str:
    """The exports' header of column ``key`` in ``lang`` (``header("score", "zh")`` → 积分)."""
    return _pick(_HEADERS[key], lang)


def looks_like_formula(cell: object) -> bool:
    """Whether a spreadsheet would take text ``cell`` for a formula (a number written as text is not one)."""
    return isinstance(cell, str) and cell.startswith(_FORMULA_START) and not _NUMBER.fullmatch(cell)


def mask_name(name: str | None) -> str | None:
    """Keep the first character, star the rest: 张三 → 张*, 欧阳修 → 欧**, 李 → *.

    A first character that would start a formula (``=cmd`` → ``****``) is starred too.
    """
    if not name:
        return name
    if len(name) == 1 or looks_like_formula(name):
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


@attrs.frozen
class Table:
    """Columns (stable keys and headers in one language) and rows of cells."""

    title: str
    lang: str
    keys: tuple[str, ...]
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def records(self) -> list[dict[str, Cell]]:
        """Rows as ``key → cell`` mappings."""
        return [dict(zip(self.keys, row, strict=True)) for row in self.rows]


def _check(lang: str) -> None:
    if lang not in ("zh", "en"):
        raise ValueError(f"lang: {lang!r} is not 'zh' or 'en'")


def report_table(
    report: Report,
    *,
    lang: str = "zh",
    mask_names: bool = False,
    kind_labels: Mapping[str, str] | None = None,
    section_labels: Mapping[str, str] | None = None,
    region_labels: Mapping[str, str] | None = None,
    grid_labels: Mapping[str, str] | None = None,
) -> Table:
    """A report as a table: one column per field, per month (quarters, years) and per kind.

    A scheme's report has a column per assessed period it is made of (``part.2026-H1``) instead
    of the months and the average, and one per section (``section.info``) before the kinds.
    ``region_labels`` and ``grid_labels`` (id → name in ``lang``, from the rule file's
    ``[regions]`` and ``[grids]``) replace the ids they name; titles are the rows' own labels.
    """
    _check(lang)
    labels = kind_labels or {}
    kinds = sorted({kind for row in report for kind in row.breakdown})
    sections = list(dict.fromkeys(section for row in report for section in row.sections))
    parts = sorted({part for row in report for part in row.parts})
    months = [str(m) for m in report.period.months()] if report.period.kind != "month" and not report.scheme else []
    keys = ["rank", "member_id", "name", "region", "grid", "score"]
    if months:
        keys += ["average", "active_months"]
    keys += ["grade", "percentile", "rank_in_region", "rank_in_grid", "titles", "flags"]
    headers = [_pick(_HEADERS[k], lang) for k in keys]
    keys += [f"month.{m}" for m in months] + [f"part.{p}" for p in parts]
    keys += [f"section.{s}" for s in sections] + [f"points.{k}" for k in kinds]
    headers += months + parts
    headers += [(section_labels or {}).get(s, s) for s in sections]
    headers += [f"{labels.get(k, k)}{'得分' if lang == 'zh' else ' points'}" for k in kinds]
    rows = []
    for row in report:
        cells: list[Cell] = [
            row.rank,
            row.member_id,
            mask_name(row.name) if mask_names else row.name,
            (region_labels or {}).get(row.region, row.region),
            None if row.grid is None else (grid_labels or {}).get(row.grid, row.grid),
            row.score,
        ]
        if months:
            cells += [row.average, row.active_months]
        cells += [
            "" if row.grade is None else row.grade.label(lang),
            row.percentile,
            row.rank_in_region,
            row.rank_in_grid,
            ";".join(row.title_texts(lang)),
            ";".join(_pick(_FLAGS.get(f, (f, f)), lang) for f in row.flags),
        ]
        cells += [row.months.get(m, Decimal("0.00")) for m in months]
        cells += [row.parts.get(p, Decimal("0.00")) for p in parts]
        cells += [row.sections.get(s) for s in sections]
        cells += [row.breakdown.get(k, Decimal("0.00")) for k in kinds]
        rows.append(tuple(cells))
    return Table(str(report.period), lang, tuple(keys), tuple(headers), tuple(rows))


def grid_table(report: GridReport, *, lang: str = "zh") -> Table:
    """A grid report as a table: grid, members, mean score, rank."""
    _check(lang)
    keys = ("grid", "members", "mean", "rank")
    rows = tuple((r.grid, r.members, r.mean, r.rank) for r in report)
    return Table(str(report.period), lang, keys, tuple(_pick(_HEADERS[k], lang) for k in keys), rows)


def whatif_table(result: WhatIf, *, lang: str = "zh", mask_names: bool = False) -> Table:
    """A what-if as a table: one row per member, current and proposed side by side."""
    _check(lang)
    keys = (
        "member_id", "name", "region", "old_score", "new_score", "delta", "old_grade", "new_grade", "old_rank",
        "new_rank",
    )  # fmt: skip
    rows = tuple(
        (
            r.member_id,
            mask_name(r.name) if mask_names else r.name,
            r.region,
            r.old_score,
            r.new_score,
            r.delta,
            "" if r.old_grade is None else r.old_grade.label(lang),
            "" if r.new_grade is None else r.new_grade.label(lang),
            r.old_rank,
            r.new_rank,
        )
        for r in result
    )
    title = f"{result.period} {result.ruleset} {result.version}"
    return Table(title, lang, keys, tuple(_pick(_HEADERS[k], lang) for k in keys), rows)


def explanation_table(explanation: Explanation, *, lang: str = "zh") -> Table:
    """An explanation as a table: one row per entry, with its sentence."""
    _check(lang)
    keys = (
        "seq", "day", "event_id", "item", "rule", "version", "quantity", "coefficient", "points", "reason", "ref",
        "sentence", "hash",
    )  # fmt: skip
    rows = tuple(
        (
            e.seq,
            e.day,
            e.event_id,
            e.display(lang),
            e.rule,
            f"{e.ruleset} {e.version}",
            e.quantity,
            e.coefficient,
            e.points,
            reason_label(e.reason, lang),
            e.ref,
            e.sentence(lang),
            e.hash,
        )
        for e in explanation
    )
    title = f"{explanation.member_id} {explanation.period}"
    return Table(title, lang, keys, tuple(_pick(_HEADERS[k], lang) for k in keys), rows)


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    return f"'{cell}" if looks_like_formula(cell) else str(cell)


def _csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_text(h) for h in table.headers])
    writer.writerows([_text(c) for c in row] for row in table.rows)
    return buffer.getvalue().encode("utf-8-sig")


def _json(table: Table) -> bytes:
    document = {
        "title": table.title,
        "lang": table.lang,
        "columns": dict(zip(table.keys, table.headers, strict=True)),
        "rows": [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in r.items()} for r in table.records()],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def _xlsx(table: Table) -> bytes:
    try:
        from openpyxl import Workbook
        from openpyxl.styles import Font
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("xlsx export needs openpyxl: pip install 'gridpoints[xlsx]'") from None
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    # Excel forbids : \ / ? * [ ] in sheet names and allows 31 characters.
    sheet.title = re.sub(r"[:\\/?*\[\]]", "-", table.title)[:31] or "gridpoints"
    sheet.append(list(table.headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append(list(row))
    for line in sheet.iter_rows():
        for cell in line:
            if looks_like_formula(cell.value):
                cell.data_type = "s"  # openpyxl made it a formula; text it is
                cell.quotePrefix = True  # and stays text when edited in Excel
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export(table: Table, target: str | os.PathLike[str] | IO[bytes], *, format: str | None = None) -> None:
    """Write ``table`` to a path or a binary file; ``format`` defaults to the path's suffix."""
    if format is None:
        if not isinstance(target, (str, os.PathLike)):
            raise ValueError("format: give csv, json or xlsx when writing to a file object")
        format = os.path.splitext(os.fspath(target))[1].lstrip(".").lower()
    if format not in FORMATS:
        raise ValueError(f"format: {format!r} is not one of {', '.join(FORMATS)}")
    data = {"csv": _csv, "json": _json, "xlsx": _xlsx}[format](table)
    if isinstance(target, (str, os.PathLike)):
        with open(target, "wb") as handle:
            handle.write(data)
    else:
        target.write(data)
