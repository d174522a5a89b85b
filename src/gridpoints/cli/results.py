"""Subcommands about results: report (table, csv, json, xlsx), settle, simulate."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from gridpoints.cli import formatting
from gridpoints.cli.context import Context, UsageError, parse_period
from gridpoints.results.export import Table, export, report_table, whatif_table

__all__ = ["RESULT_COMMANDS"]


def _write(ctx: Context, table: Table, fmt: str, count: int) -> None:
    """A table as csv/json/xlsx to ``--output`` or standard output (xlsx needs a file)."""
    output = ctx.args.output
    if output:
        export(table, output, format=fmt)
        ctx.out.write(f"{count} rows written to {output}\n")
        return
    if fmt == "xlsx":
        raise UsageError("--format xlsx needs --output FILE (a workbook is binary)")
    buffer = io.BytesIO()
    export(table, buffer, format=fmt)
    # On a terminal the CSV's BOM (there for Excel) is noise.
    text = buffer.getvalue().decode("utf-8-sig")
    ctx.out.write(text if text.endswith("\n") else text + "\n")


def cmd_report(ctx: Context) -> int:
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
    _write(ctx, table, fmt, len(report))
    return 0


def cmd_settle(ctx: Context) -> int:
    period = parse_period(ctx.args.period)
    if period.kind != "month":
        raise UsageError(f"period: {period} is not a month; settle one month at a time")
    result = ctx.engine().settle(period)
    if result.already_settled:
        ctx.out.write(f"{period} was settled before: nothing booked\n")
        return 0
    ctx.out.write(f"{period} settled: {len(result.awards)} period awards, {result.entries} entries\n")
    for member_id, award in result.awards:
        ctx.out.write(f"  {member_id} {award.kind} {award.points:+} {award.note}\n")
    return 0


def cmd_simulate(ctx: Context) -> int:
    period = parse_period(ctx.args.period)
    proposed = Path(ctx.args.proposed)
    if not proposed.exists():
        raise FileNotFoundError(2, "no such file", str(proposed))
    result = ctx.engine().simulate(proposed, period)
    table = whatif_table(result, lang=ctx.lang, mask_names=ctx.args.mask_names)
    if ctx.args.format != "table":
        _write(ctx, table, ctx.args.format, len(result))
        return 0
    changed = [row for row in result if row.changed] if not ctx.args.all else list(result)
    ctx.out.write(
        f"{period}: {result.ruleset} {result.version} vs the ledger — "
        f"{sum(1 for r in result if r.changed)} of {len(result)} members change\n"
    )
    headers = ["member", "name", "old", "new", "Δ", "old grade", "new grade", "old rank", "new rank"]
    rows = [
        [r.member_id, r.name or "", str(r.old_score), str(r.new_score), f"{r.delta:+}",
         r.old_grade.label(ctx.lang), r.new_grade.label(ctx.lang), str(r.old_rank), str(r.new_rank)]
        for r in changed
    ]
    if rows:
        ctx.out.write(formatting.table(headers, rows, right=(2, 3, 4, 7, 8)) + "\n")
    for rejection in result.unscored:
        ctx.out.write(f"not scorable under the proposal: {rejection.event_id} [{rejection.code}] {rejection.message}\n")
    return 0


RESULT_COMMANDS: dict[str, Callable[[Context], int]] = {
    "report": cmd_report,
    "settle": cmd_settle,
    "simulate": cmd_simulate,
}
