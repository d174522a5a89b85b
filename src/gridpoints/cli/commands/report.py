"""``gridpoints report PERIOD``: score, grade, rank, titles and flags as a table, CSV, JSON or xlsx;
``--group-by grid``: one row per grid."""

from __future__ import annotations

from pathlib import Path

from gridpoints.cli import formatting
from gridpoints.cli.commands import Subparsers
from gridpoints.cli.context import Context, parse_period
from gridpoints.cli.output import write_table
from gridpoints.results.export import grid_table, report_table
from gridpoints.results.grids import GridReport

__all__ = ["add_parser", "run"]


def add_parser(commands: Subparsers) -> None:
    report = commands.add_parser("report", help="a period's report: score, grade, rank, titles, flags")
    report.add_argument("period", help="2026-11, 2026-Q4, 2026-H2 or 2026")
    report.add_argument("--format", choices=("table", "csv", "json", "xlsx"), default="table")
    report.add_argument("--group-by", choices=("grid",), help="one row per grid: members, mean score, rank")
    report.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    report.add_argument("--mask-names", action="store_true", help="show names as 张* (privacy)")
    report.set_defaults(handler=run)


def _grids(ctx: Context, report: GridReport) -> int:
    """``--group-by grid``: one row per grid, as a table or csv/json/xlsx."""
    table = grid_table(report, lang=ctx.lang)
    if ctx.args.format != "table":
        write_table(ctx, table, ctx.args.format, len(report))
        return 0
    cells = [[str(cell) for cell in row] for row in table.rows]
    ctx.out.write(f"{report.period}\n" + formatting.table(table.headers, cells, right=(1, 2, 3)) + "\n")
    return 0


def run(ctx: Context) -> int:
    period = parse_period(ctx.args.period)
    engine = ctx.engine()
    if ctx.args.group_by == "grid":
        return _grids(ctx, engine.report(period, by="grid"))
    report = engine.report(period)
    fmt = ctx.args.format
    if fmt == "table":
        body = f"{period}\n" + formatting.report_table(engine, report.rows, ctx.lang) + "\n"
        if ctx.args.output:
            Path(ctx.args.output).write_text(body, encoding="utf-8")
            ctx.out.write(f"{len(report)} rows written to {ctx.args.output}\n")
        else:
            ctx.out.write(body)
        return 0
    labels = engine.kind_labels(ctx.lang)
    table = report_table(
        report, lang=ctx.lang, mask_names=ctx.args.mask_names, kind_labels=labels,
        section_labels=engine.section_labels(ctx.lang),
    )  # fmt: skip
    write_table(ctx, table, fmt, len(report))
    return 0
