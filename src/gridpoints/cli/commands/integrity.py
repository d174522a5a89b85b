"""``gridpoints verify`` and ``gridpoints checkpoint``: the ledger's hash chain and its position."""

from __future__ import annotations

from pathlib import Path

from gridpoints.cli.commands import Subparsers
from gridpoints.cli.context import Context, UsageError

__all__ = ["add_parser", "run_checkpoint", "run_verify"]


def add_parser(commands: Subparsers) -> None:
    verify = commands.add_parser("verify", help="recompute the ledger's hash chain (and check a checkpoint)")
    verify.add_argument("--checkpoint", metavar="TEXT", help="a checkpoint printed earlier by `checkpoint`")
    verify.add_argument("--key-file", metavar="FILE", help="the key a sealed checkpoint was sealed with")
    verify.set_defaults(handler=run_verify)
    checkpoint = commands.add_parser("checkpoint", help="print the ledger's current position, to keep elsewhere")
    checkpoint.add_argument("--key-file", metavar="FILE", help="seal it with HMAC-SHA256 under the key in FILE")
    checkpoint.set_defaults(handler=run_checkpoint)


def _key(ctx: Context) -> bytes | None:
    """The key in --key-file (its bytes, without a trailing line break), or None."""
    if not ctx.args.key_file:
        return None
    try:
        return Path(ctx.args.key_file).read_bytes().rstrip(b"\r\n")
    except OSError as error:
        raise UsageError(f"--key-file: {ctx.args.key_file}: {error.strerror}") from None


def run_checkpoint(ctx: Context) -> int:
    ctx.out.write(f"{ctx.engine().ledger.checkpoint(_key(ctx))}\n")
    return 0


def run_verify(ctx: Context) -> int:
    try:
        result = ctx.engine().ledger.verify(checkpoint=ctx.args.checkpoint, key=_key(ctx))
    except ValueError as error:  # a malformed checkpoint, or a sealed one without its key
        raise UsageError(f"--checkpoint: {error}") from None
    if result:
        against = " (checkpoint matches)" if ctx.args.checkpoint else ""
        ctx.out.write(f"ledger intact: {result.entries:,} entries{against}\n")
    elif result.table in ("entries", "decisions"):
        ctx.out.write(f"ledger BROKEN at seq {result.first_bad_seq}: {result.problem}\n")
    else:
        ctx.out.write(f"ledger BROKEN in table {result.table}, row {result.row}: {result.problem}\n")
    for note in result.notes:
        ctx.out.write(f"note: {note}\n")
    return 0 if result else 1
