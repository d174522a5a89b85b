"""``gridpoints ingest FILE…``: stream events from CSV or JSON Lines into the engine in batches."""

from __future__ import annotations

from pathlib import Path

from gridpoints.cli.bad_rows import MAX_LISTED, bad_row_reporter
from gridpoints.cli.commands import Subparsers
from gridpoints.cli.context import Context
from gridpoints.cli.importing import REQUIRED_FOR, Counts, RejectsWriter, import_events, open_all
from gridpoints.cli.options import add_encoding_option, positive
from gridpoints.cli.progress import Progress

__all__ = ["add_parser", "run"]


def add_parser(commands: Subparsers) -> None:
    ingest = commands.add_parser("ingest", help="import events from CSV or JSON Lines files")
    ingest.add_argument("files", nargs="+", metavar="FILE")
    add_encoding_option(ingest)
    ingest.add_argument(
        "--assume-tz",
        action="store_true",
        help="read timestamps without a zone in the engine's zone (--tz); otherwise they are errors",
    )
    ingest.add_argument("--rejects", metavar="FILE", help="write bad rows here, with a reject_reason column")
    ingest.add_argument(
        "--batch-size", type=positive, default=10_000, help="rows per atomic ingest call (default 10000)"
    )
    ingest.set_defaults(handler=run)


def run(ctx: Context) -> int:
    args = ctx.args
    sources = open_all(args.files, REQUIRED_FOR["events"], args.encoding)
    rejects = RejectsWriter(Path(args.rejects)) if args.rejects else None
    if rejects is not None:
        RejectsWriter.check_compatible(sources)
    engine = ctx.engine()
    report, listed = bad_row_reporter(ctx, rejects)
    progress = Progress(ctx.err)
    total = Counts()
    try:
        for source, counts in import_events(
            engine,
            sources,
            assume=engine.tz if args.assume_tz else None,
            report=report,
            progress=progress,
            batch_size=args.batch_size,
        ):
            progress.finish()
            ctx.out.write(f"{source.path}: {counts.line()}\n")
            total.add(counts)
    finally:
        if rejects is not None:
            rejects.close()
    if len(sources) > 1:
        ctx.out.write(f"total: {total.line()}\n")
    if listed[0] > MAX_LISTED:
        where = f"all are in {rejects.path}" if rejects is not None else "write them all with --rejects FILE"
        ctx.err.write(f"… {listed[0] - MAX_LISTED:,} more bad rows not listed; {where}\n")
    if rejects is not None and total.rejected:
        ctx.err.write(f"{total.rejected:,} bad rows written to {rejects.path}; fix them and ingest that file\n")
    return 1 if total.rejected else 0
