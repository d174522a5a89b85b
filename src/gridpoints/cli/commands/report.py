"""``gridpoints report PERIOD``: score, grade, rank, titles and flags as a table, CSV, JSON or xlsx."""

from __future__ import annotations

from pathlib import Path

from gridpoints.cli import formatting
from gridpoints.cli.commands import Subparsers
from gridpoints.cli.context import Context, parse_period
from gridpoints.cli.output import write_table
from gridpoints.results.export import report_table

__all__ = ["add_parser", "run"]


def add_parser(commands: Subparsers) -> None:
    report = commands.add_parser("report", help="a period's report: score, grade, rank, titles, flags")
    report.add_argument("period", help="2026-11, 2026-Q4 or 2026")
    report.add_argument("--format", choices=("table", "csv", "json", "xlsx"), default="table")
    report.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    report.add_argument("--mask-names", action="store_true", help="show names as 张* (privacy)")
    report.set_defaults(handler=run)


def run(ctx: Context) -> int:
    period = parse_period(ctx.args.period)
    engine = ctx.engine()
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
    table = report_table(report, lang=ctx.lang, mask_names=ctx.args.mask_names, kind_labels=labels)
    write_table(ctx, table, fmt, len(report))
    return 0
