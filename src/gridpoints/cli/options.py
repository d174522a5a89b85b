"""Argument types and options that more than one command's parser uses."""

from __future__ import annotations

import argparse

__all__ = ["add_encoding_option", "positive"]


def positive(text: str) -> int:
    """An argparse type: a whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def add_encoding_option(parser: argparse.ArgumentParser) -> None:
    """``--encoding``, for the commands that read files (``members``, ``ingest``)."""
    parser.add_argument(
        "--encoding",
        default=None,
        help="the files' encoding; default: detected (UTF-8, UTF-8 with BOM, or GB18030)",
    )
