"""A row of a table beside the chain that does not agree with it: what ``verify`` reports."""

from __future__ import annotations

import attrs

__all__ = ["Broken"]


@attrs.frozen
class Broken:
    """A row that does not agree with the chain: its ``table``, which ``row``, what is wrong,
    and the ledger ``seq`` involved (None when none is)."""

    table: str
    row: str
    problem: str
    seq: int | None = None
