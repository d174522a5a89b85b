"""``gridpoints simulate --proposed FILE PERIOD``: what-if — what the 积分分析会 asks first, then who changes.

The summary comes first (grade and rank changes, points moved, unscorable events by kind and
reason); then the members whose grade changes (``--changed-only``: whose score, grade or rank
changes; ``--all``: everyone, and every unscorable event one by one). ``--events FILE`` rescores
events from a file too, so a proposed new kind shows its effect. Paths are taken as given,
relative to the working directory.
"""

from __future__ import annotations

from pathlib import Path

from gridpoints.cli import formatting
from gridpoints.cli.bad_rows import bad_row_reporter
from gridpoints.cli.commands import Subparsers
from gridpoints.cli.context import Context, parse_period
from gridpoints.cli.importing import REQUIRED_FOR, open_all, read_events
from gridpoints.cli.options import add_encoding_option
from gridpoints.cli.output import write_table
from gridpoints.ingest.outcomes import Rejection
from gridpoints.model import Grade
from gridpoints.results.export import mask_name, whatif_table
from gridpoints.results.whatif import WhatIf, WhatIfRow

__all__ = ["add_parser", "run"]


def add_parser(commands: Subparsers) -> None:
    simulate = commands.add_parser(
        "simulate", help="what-if: who would change grade, rank and score under proposed rules"
    )
    simulate.add_argument("--proposed", required=True, metavar="FILE", help="the proposed rules (TOML)")
    simulate.add_argument("period", help="2026-11, 2026-Q4, 2026-H2 or 2026")
    simulate.add_argument("--events", action="append", default=[], metavar="FILE",
                          help="also rescore these events (CSV or JSON Lines, as for ingest): those not in the "
                               "ledger, of the period; repeat for several")
    add_encoding_option(simulate)
    simulate.add_argument("--assume-tz", action="store_true",
                          help="read --events timestamps without a zone in --tz; otherwise they are bad rows")
    simulate.add_argument("--format", choices=("table", "csv", "json", "xlsx"), default="table")
    simulate.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    shown = simulate.add_mutually_exclusive_group()
    shown.add_argument("--changed-only", action="store_true",
                       help="only members whose score, grade or rank changes (the table and exports)")
    shown.add_argument("--all", action="store_true",
                       help="every member, and every event the proposal cannot score, one by one")
    simulate.add_argument("--mask-names", action="store_true", help="show names as 张* (privacy)")
    simulate.set_defaults(handler=run)


def _label(grade: Grade | None, lang: str) -> str:
    return "" if grade is None else grade.label(lang)


def run(ctx: Context) -> int:
    args = ctx.args
    period = parse_period(args.period)
    proposed = Path(args.proposed)
    if not proposed.exists():
        raise FileNotFoundError(2, "no such file", str(proposed))
    engine = ctx.engine()
    report, bad_rows = bad_row_reporter(ctx, None)
    events = None
    if args.events:
        sources = open_all(args.events, REQUIRED_FOR["events"], args.encoding)
        events = (event for _, _, event in read_events(
            sources, assume=engine.tz if args.assume_tz else None, assume_name=engine.tz_name, report=report))
    result = engine.simulate(proposed, period, events=events)
    if args.format == "table":
        _print(ctx, result)
    else:
        kept = WhatIf(result.period, result.ruleset, result.version, tuple(_chosen(result, args.changed_only, True)))
        table = whatif_table(kept, lang=ctx.lang, mask_names=args.mask_names)
        write_table(ctx, table, args.format, len(kept))
    if bad_rows[0]:
        ctx.err.write(f"{bad_rows[0]:,} rows of {', '.join(args.events)} could not be read and were left out\n")
        return 1
    return 0


def _chosen(result: WhatIf, changed_only: bool, everyone: bool) -> list[WhatIfRow]:
    if changed_only:
        return result.changed()
    return list(result) if everyone else result.grade_changes()


def _print(ctx: Context, result: WhatIf) -> None:
    args = ctx.args
    lang = ctx.lang
    en = lang == "en"
    ctx.out.write(result.summary().text(lang))
    rows = _chosen(result, args.changed_only, args.all)
    if args.all:
        title = "every member:" if en else "全部网格员："
    elif args.changed_only:
        title = "members whose score, grade or rank changes:" if en else "得分、等级或排名变化的网格员："
    else:
        title = "members whose grade changes:" if en else "等级变化的网格员："
    ctx.out.write("\n" + title + ("" if rows else (" none" if en else "无")) + "\n")
    if rows:
        headers = (["member", "name", "now", "proposal", "Δ", "grade now", "grade proposed", "rank now",
                    "rank proposed"] if en else
                   ["网格员", "姓名", "现行得分", "方案得分", "变化", "现行等级", "方案等级", "现行排名", "方案排名"])
        table = [
            [r.member_id, _name(r, args.mask_names), str(r.old_score), str(r.new_score), f"{r.delta:+}",
             _label(r.old_grade, lang), _label(r.new_grade, lang), str(r.old_rank or ""), str(r.new_rank or "")]
            for r in rows
        ]
        ctx.out.write(formatting.table(headers, table, right=(2, 3, 4, 7, 8)) + "\n")
    unscored = [*(("now", r) for r in result.unscored_now), *(("proposal", r) for r in result.unscored)]
    if unscored and not args.all:
        ctx.out.write("\nlist the unscorable events one by one with --all\n" if en else
                       "\n逐条列出无法计分的事件：加 --all\n")
    if args.all:
        for side, rejection in unscored:
            ctx.out.write(_unscored_line(side, rejection, result, en) + "\n")


def _name(row: WhatIfRow, mask: bool) -> str:
    return (mask_name(row.name) if mask else row.name) or ""


def _unscored_line(side: str, rejection: Rejection, result: WhatIf, en: bool) -> str:
    kind = result.unscored_kinds.get(rejection.event_id or "", "?")
    if en:
        where = "under the current rules" if side == "now" else "under the proposal"
        return f"not scorable {where}: {rejection.event_id} {kind} [{rejection.code}] {rejection.message}"
    where = "现行规则" if side == "now" else "方案"
    return f"{where}无法计分：{rejection.event_id} {kind} [{rejection.code}] {rejection.message}"
