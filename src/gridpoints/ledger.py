"""The hash chain: canonical entry bytes, chaining, verification and the Ledger facade."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from gridpoints.decisions import decision_digest
from gridpoints.model import Entry

if TYPE_CHECKING:
    from gridpoints.stores import Store

__all__ = [
    "ENTRY_COLUMNS",
    "GENESIS",
    "Ledger",
    "Verification",
    "chain_hash",
    "entry_bytes",
    "entry_from_row",
    "points_text",
]

GENESIS = "0" * 64
FORMAT = "gp1"

#: The columns of table ``entries``, in the order rows are handed to and from stores.
ENTRY_COLUMNS = (
    "seq",
    "member_id",
    "event_id",
    "kind",
    "period",
    "day",
    "points_cents",
    "coefficient",
    "quantity",
    "rule",
    "ruleset",
    "version",
    "digest",
    "reason",
    "ref",
    "prev_hash",
    "hash",
)

Row = tuple[int, str, str, str, str, str, int, str, str, str, str, str, str, str, str, str, str]


def points_text(cents: int) -> str:
    """Hundredths as the canonical points text: ``12345`` → ``"123.45"``, ``-300`` → ``"-3.00"``."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def entry_bytes(row: Row | tuple[object, ...]) -> bytes:
    """The canonical bytes of an entry: format tag and fields 0–14 joined by U+001F.

    No field may contain a control character (ids are validated), so the join is unambiguous.
    """
    (
        seq,
        member,
        event,
        kind,
        period,
        day,
        cents,
        coefficient,
        quantity,
        rule,
        ruleset,
        version,
        digest,
        reason,
        ref,
    ) = row[:15]
    return (
        f"{FORMAT}\x1f{seq}\x1f{member}\x1f{event}\x1f{kind}\x1f{period}\x1f{day}\x1f"
        f"{points_text(cents)}\x1f{coefficient}\x1f{quantity}\x1f{rule}\x1f{ruleset}\x1f"  # type: ignore[arg-type]
        f"{version}\x1f{digest}\x1f{reason}\x1f{ref}"
    ).encode()


def chain_hash(prev_hash: str, content: bytes) -> str:
    """``SHA-256(prev_hash ‖ 0x1E ‖ content)`` as lowercase hex."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\x1e" + content).hexdigest()


def entry_from_row(row: tuple[object, ...]) -> Entry:
    """Build an Entry from a stored row in ``ENTRY_COLUMNS`` order."""
    values = list(row)
    values[6] = Decimal(points_text(int(values[6])))  # type: ignore[call-overload]
    values[7] = Decimal(str(values[7]))
    return Entry(*values)  # type: ignore[arg-type]


@attrs.frozen
class Verification:
    """The result of ``verify()``: truthy when the chain is intact."""

    ok: bool
    entries: int
    first_bad_seq: int | None = None
    problem: str = ""

    def __bool__(self) -> bool:
        return self.ok


def verify_rows(
    rows: Iterable[tuple[object, ...]], decisions: Mapping[int, tuple[object, ...]] | None = None
) -> Verification:
    """Recompute the chain over rows in seq order; name the first bad sequence number.

    With ``decisions`` (seq → decision row), each ``decision`` entry must have its row, whose
    digest must equal the entry's ``digest`` column, and no row may lack its entry.
    """
    prev = GENESIS
    expected_seq = 1
    count = 0
    sha = hashlib.sha256
    unmatched = dict(decisions) if decisions is not None else None
    for row in rows:
        seq = row[0]
        if seq != expected_seq:
            bad = min(expected_seq, int(seq))  # type: ignore[call-overload]
            return Verification(False, count, bad, f"seq {expected_seq} missing or out of order")
        if row[15] != prev:
            return Verification(False, count, expected_seq, "prev_hash does not link to the entry before")
        digest = sha(prev.encode("ascii") + b"\x1e" + entry_bytes(row)).hexdigest()
        if digest != row[16]:
            return Verification(False, count, expected_seq, "hash does not match the entry's fields")
        if unmatched is not None and row[13] == "decision":
            decision = unmatched.pop(expected_seq, None)
            if decision is None:
                return Verification(False, count, expected_seq, "the decision record of this entry is missing")
            if decision_digest(decision) != row[12]:
                return Verification(False, count, expected_seq, "the decision record was changed after the fact")
        prev = digest
        expected_seq += 1
        count += 1
    if unmatched:
        stray = min(unmatched)
        return Verification(False, count, stray, f"decision record {stray} has no decision entry in the chain")
    return Verification(True, count)


class Ledger:
    """The engine's view of the ledger: entries, head and verification."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def head(self) -> tuple[int, str]:
        """``(seq, hash)`` of the last entry; ``(0, GENESIS)`` when empty."""
        return self._store.head()

    def entries(self, *, member_id: str | None = None, periods: Iterable[str] | None = None) -> list[Entry]:
        """Entries in seq order, optionally for one member and some months."""
        return [entry_from_row(row) for row in self._store.entry_rows(member_id=member_id, periods=periods)]

    def verify(self) -> Verification:
        """Rebuild every entry's bytes from its stored columns, recompute the chain, and match
        every decision record against the digest its entry committed to."""
        decisions = {int(row[0]): row for row in self._store.decision_rows()}
        return verify_rows(self._store.chain_rows(), decisions)

    def __len__(self) -> int:
        return self._store.head()[0]
