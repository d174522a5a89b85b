"""Where a command's result table goes: ``--output FILE``, or standard output."""

from __future__ import annotations

import io

from gridpoints.cli.context import Context, UsageError
from gridpoints.results.export import Table, export

__all__ = ["write_table"]


def write_table(ctx: Context, table: Table, fmt: str, count: int) -> None:
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
