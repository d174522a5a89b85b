"""The hash chain: canonical entry encoding, verification, checkpoints and decision records."""

from gridpoints.ledger.chain import (
    ENTRY_COLUMNS,
    GENESIS,
    Ledger,
    Verification,
    chain_hash,
    chain_text_hash,
    entry_bytes,
    entry_from_row,
    entry_tail,
    entry_text,
    points_text,
)

__all__ = [
    "ENTRY_COLUMNS",
    "GENESIS",
    "Ledger",
    "Verification",
    "chain_hash",
    "chain_text_hash",
    "entry_bytes",
    "entry_from_row",
    "entry_tail",
    "entry_text",
    "points_text",
]
