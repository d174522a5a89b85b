"""``gridpoints simulate --proposed FILE PERIOD``: what-if, who would change under new rules."""

from __future__ import annotations

from pathlib import Path

from gridpoints.cli import formatting
from gridpoints.cli.commands import Subparsers
from gridpoints.cli.context import Context, parse_period
from gridpoints.cli.output import write_table
from gridpoints.model import Grade
from gridpoints.results.export import whatif_table

__all__ = ["add_parser", "run"]


def add_parser(commands: Subparsers) -> None:
    simulate = commands.add_parser("simulate", help="what-if: who would change score, grade, rank under new rules")
    simulate.add_argument("--proposed", required=True, metavar="FILE", help="the proposed rules (TOML)")
    simulate.add_argument("period", help="2026-11, 2026-Q4, 2026-H2 or 2026")
    simulate.add_argument("--format", choices=("table", "csv", "json", "xlsx"), default="table")
    simulate.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    simulate.add_argument("--all", action="store_true", help="list every member, not only those who change")
    simulate.add_argument("--mask-names", action="store_true", help="show names as 张* (privacy)")
    simulate.set_defaults(handler=run)


def _label(grade: Grade | None, lang: str) -> str:
    return "" if grade is None else grade.label(lang)


def run(ctx: Context) -> int:
    period = parse_period(ctx.args.period)
    proposed = Path(ctx.args.proposed)
    if not proposed.exists():
        raise FileNotFoundError(2, "no such file", str(proposed))
    result = ctx.engine().simulate(proposed, period)
    table = whatif_table(result, lang=ctx.lang, mask_names=ctx.args.mask_names)
    if ctx.args.format != "table":
        write_table(ctx, table, ctx.args.format, len(result))
        return 0
    changed = [row for row in result if row.changed] if not ctx.args.all else list(result)
    ctx.out.write(
        f"{period}: {result.ruleset} {result.version} vs the ledger — "
        f"{sum(1 for r in result if r.changed)} of {len(result)} members change\n"
    )
    headers = ["member", "name", "old", "new", "Δ", "old grade", "new grade", "old rank", "new rank"]
    rows = [
        [r.member_id, r.name or "", str(r.old_score), str(r.new_score), f"{r.delta:+}",
         _label(r.old_grade, ctx.lang), _label(r.new_grade, ctx.lang), str(r.old_rank or ""), str(r.new_rank or "")]
        for r in changed
    ]
    if rows:
        ctx.out.write(formatting.table(headers, rows, right=(2, 3, 4, 7, 8)) + "\n")
    for rejection in result.unscored:
        ctx.out.write(f"not scorable under the proposal: {rejection.event_id} [{rejection.code}] {rejection.message}\n")
    return 0
