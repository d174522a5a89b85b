"""``gridpoints report PERIOD``: score, grade, rank, titles and flags as a table, CSV, JSON or xlsx;
``--group-by grid``: one row per grid; ``--format html``: the month on one page (charts, ranking,
movers; ``--proposed FILE`` adds a what-if, ``--public`` writes the public notice instead)."""

from __future__ import annotations

import io
from pathlib import Path

from gridpoints.cli import formatting
from gridpoints.cli.commands import Subparsers
from gridpoints.cli.context import Context, UsageError, parse_period
from gridpoints.cli.notes import empty_report_note
from gridpoints.cli.output import write_table
from gridpoints.periods import Period
from gridpoints.results.export import grid_table, report_table
from gridpoints.results.grids import GridReport

__all__ = ["add_parser", "run"]


def add_parser(commands: Subparsers) -> None:
    report = commands.add_parser("report", help="a period's report: score, grade, rank, titles, flags")
    report.add_argument("period", help="2026-11, 2026-Q4, 2026-H2 or 2026")
    report.add_argument("--format", choices=("table", "csv", "json", "xlsx", "html"), default="table")
    report.add_argument("--group-by", choices=("grid",), help="one row per grid: members, mean score, rank")
    report.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    report.add_argument("--mask-names", action="store_true", help="show names as 张* (privacy)")
    report.add_argument("--proposed", metavar="FILE",
                        help="html: add a what-if section under these proposed rules (TOML)")
    report.add_argument("--public", action="store_true",
                        help="html: the public notice only (masked names, grid, score, grade, rank)")
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


def _html(ctx: Context, period: Period) -> int:
    """``--format html``: the pack (or ``--public`` notice) to ``--output``, or standard output."""
    args = ctx.args
    if args.group_by:
        raise UsageError("--format html is the whole period's page; leave out --group-by")
    if args.proposed and args.public:
        raise UsageError("--proposed adds a what-if to the pack; the --public notice has none")
    if args.proposed and not Path(args.proposed).exists():
        raise FileNotFoundError(2, "no such file", args.proposed)
    engine = ctx.engine()
    target = args.output or io.BytesIO()
    try:
        engine.export_report(period, target, format="html", lang=ctx.lang, mask_names=args.mask_names,
                             public=args.public, proposed=args.proposed)  # fmt: skip
    except ImportError as error:  # the extra is not installed: say what to install
        raise UsageError(str(error)) from None
    if isinstance(target, io.BytesIO):
        ctx.out.write(target.getvalue().decode("utf-8"))
    else:
        ctx.out.write(f"{'public notice' if args.public else 'results pack'} written to {target}\n")
    return 0


def run(ctx: Context) -> int:
    period = parse_period(ctx.args.period)
    fmt = ctx.args.format
    if fmt == "html":
        return _html(ctx, period)
    if ctx.args.proposed or ctx.args.public:
        raise UsageError("--proposed and --public are for --format html")
    engine = ctx.engine()
    if ctx.args.group_by == "grid":
        return _grids(ctx, engine.report(period, by="grid"))
    report = engine.report(period)
    note = empty_report_note(report, ctx.lang)
    if note is not None:  # on standard error: the table, CSV or JSON on standard output stays whole
        ctx.err.write(note + "\n")
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
        section_labels=engine.section_labels(ctx.lang), region_labels=engine.region_labels(ctx.lang),
        grid_labels=engine.grid_labels(ctx.lang),
    )  # fmt: skip
    write_table(ctx, table, fmt, len(report))
    return 0
