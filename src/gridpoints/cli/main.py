"""The ``gridpoints`` entry point: parse, run the subcommand, map failures to exit codes.

Exit codes: 0 ok (held events are not an error); 1 findings (rows rejected, ledger verification
failed); 2 the command could not run as asked (bad arguments, missing or unreadable file, bad
header, bad rule file, unknown period format, member or event). argparse's own errors are 2 too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from gridpoints.cli.args import build_parser, merge_general
from gridpoints.cli.commands import Handler
from gridpoints.cli.context import Context, UsageError
from gridpoints.cli.messages import explained
from gridpoints.cli.sources import InputError
from gridpoints.errors import GridpointsError

__all__ = ["main", "run"]

OK, FINDINGS, USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``gridpoints`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = merge_general(parser, parser.parse_args(argv))
    except SystemExit as done:  # --help, --version, or argparse's usage error (2)
        return done.code if isinstance(done.code, int) else USAGE
    ctx = Context(args, sys.stdout, sys.stderr)
    handler: Handler = args.handler  # bound by the command's own parser
    try:
        return handler(ctx)
    except (UsageError, InputError, GridpointsError, ValueError) as error:
        # The library refuses bad input with a ValueError naming the field: a usage error here.
        sys.stderr.write(f"gridpoints {args.command}: error: {explained(error)}\n")
        return USAGE
    except FileNotFoundError as error:
        sys.stderr.write(f"gridpoints {args.command}: error: {error.filename}: no such file\n")
        return USAGE
    except KeyboardInterrupt:
        sys.stderr.write("gridpoints: interrupted; every finished batch is stored, re-running skips it\n")
        return 130
    finally:
        ctx.close()


def run() -> None:
    """Console-script entry point."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # `gridpoints report … | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    sys.exit(code)
