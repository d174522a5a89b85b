"""Bad rows of an import: listed on standard error (the first ``MAX_LISTED``), all to ``--rejects``."""

from __future__ import annotations

from collections.abc import Callable

from gridpoints.cli.context import Context
from gridpoints.cli.importing import BadRow, RejectsWriter

__all__ = ["MAX_LISTED", "bad_row_reporter"]

#: Bad rows listed on stderr before the rest are only counted (all go to --rejects).
MAX_LISTED = 50


def bad_row_reporter(ctx: Context, rejects: RejectsWriter | None) -> tuple[Callable[[BadRow], None], list[int]]:
    """A function reporting one bad row, and the one-item list counting the rows it was given."""
    listed = [0]

    def report(bad: BadRow) -> None:
        if listed[0] < MAX_LISTED:
            ctx.err.write(bad.text() + "\n")
        listed[0] += 1
        if rejects is not None:
            rejects.write(bad)

    return report, listed
