"""The hash chain: canonical entry bytes, chaining, verification and the Ledger facade."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from gridpoints.ledger.bindings import EntryFacts, check_bindings, close_mismatch
from gridpoints.ledger.checkpoints import Checkpoint
from gridpoints.ledger.decisions import decision_digest
from gridpoints.model import Entry
from gridpoints.schema import ENTRY_COLUMNS, GENESIS, DecisionRow, EntryRow, EntryValues, PeriodCloseRow
from gridpoints.stores import one_snapshot

if TYPE_CHECKING:
    from gridpoints.stores import Store

__all__ = [
    "ENTRY_COLUMNS",
    "GENESIS",
    "Ledger",
    "Verification",
    "chain_hash",
    "chain_text_hash",
    "close_anchors",
    "entry_bytes",
    "entry_from_row",
    "entry_tail",
    "entry_text",
    "points_text",
]

FORMAT = "gp1"
#: Distinct entry tails verify keeps at once (a ledger has a few per rule and coefficient).
_TAIL_CACHE = 4096

def points_text(cents: int) -> str:
    """Hundredths as the canonical points text: ``12345`` → ``"123.45"``, ``-300`` → ``"-3.00"``."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def entry_tail(cents: int, coefficient: str, quantity: str, rule: str, ruleset: str, version: str, digest: str) -> str:
    """Fields 6–12 of an entry's canonical text (points … rule digest), joined by U+001F.

    They depend only on the rule, quantity and coefficient, so the pipeline builds this once per
    such combination instead of once per entry.
    """
    return f"{points_text(cents)}\x1f{coefficient}\x1f{quantity}\x1f{rule}\x1f{ruleset}\x1f{version}\x1f{digest}"


def entry_text(
    seq: object, member: str, event: str, kind: str, period: str, day: str, tail: str, reason: str, ref: str
) -> str:
    """An entry's canonical text: format tag, fields 0–5, the tail (fields 6–12), reason and ref."""
    return f"{FORMAT}\x1f{seq}\x1f{member}\x1f{event}\x1f{kind}\x1f{period}\x1f{day}\x1f{tail}\x1f{reason}\x1f{ref}"


#: An entry's hashed fields: ``ENTRY_COLUMNS`` up to ``ref`` (everything but the two hashes).
HashedFields = tuple[int, str, str, str, str, str, int, str, str, str, str, str, str, str, str]


def entry_bytes(row: HashedFields | EntryValues) -> bytes:
    """The canonical bytes of an entry: format tag and fields 0–14 joined by U+001F.

    ``row`` is an entry row, or its first 15 fields (seq … ref). No field may contain a control
    character (ids are validated), so the join is unambiguous.
    """
    seq, member, event, kind, period, day, cents, coefficient, quantity, rule, ruleset, version, digest, reason, ref = (
        row[:15]
    )
    tail = entry_tail(cents, coefficient, quantity, rule, ruleset, version, digest)
    return entry_text(seq, member, event, kind, period, day, tail, reason, ref).encode()


def chain_hash(prev_hash: str, content: bytes) -> str:
    """``SHA-256(prev_hash ‖ 0x1E ‖ content)`` as lowercase hex."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\x1e" + content).hexdigest()


def chain_text_hash(prev_hash: str, text: str) -> str:
    """``chain_hash(prev_hash, text.encode())`` with one encode (prev_hash is ASCII hex)."""
    return hashlib.sha256(f"{prev_hash}\x1e{text}".encode()).hexdigest()


def entry_from_row(row: EntryRow) -> Entry:
    """Build an Entry from a stored entry row: points from hundredths, the coefficient a Decimal."""
    return Entry(
        row.seq, row.member_id, row.event_id, row.kind, row.period, row.day,
        Decimal(points_text(row.points_cents)), Decimal(row.coefficient), row.quantity, row.rule, row.ruleset,
        row.version, row.digest, row.reason, row.ref, row.prev_hash, row.hash,
    )


@attrs.frozen
class Verification:
    """The result of ``verify()``: truthy when the chain and every table bound to it are intact.

    When not, ``problem`` says what is wrong, ``table`` in which table (``entries``,
    ``decisions``, ``period_closes``, ``settlements``, ``events``, ``ruleset_versions``,
    ``intakes``) and
    ``row`` which row (``seq 7``, ``2026-10``, ``event 'p3'``…); ``first_bad_seq`` is the ledger
    position involved, when there is one. ``notes`` are information, never a failure: rows an
    older version wrote without binding them (docs/ledger.md, "Tables bound to the chain").
    """

    ok: bool
    entries: int
    first_bad_seq: int | None = None
    problem: str = ""
    table: str = "entries"
    row: str = ""
    notes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.ok


#: The Python type each entry column must come back as (what a tampered column is checked against).
_COLUMN_TYPES = (int, *[str] * 5, int, *[str] * 10)


def wrong_types(row: tuple[object, ...]) -> str:
    """``column = value`` for each column of an entry row whose value has the wrong type."""
    return ", ".join(
        f"{column} = {value!r}"
        for column, value, wanted in zip(ENTRY_COLUMNS, row, _COLUMN_TYPES, strict=False)
        if type(value) is not wanted
    )


def _broken_row(seq: int, first_seq: int, row: object, error: Exception) -> Verification:
    columns = wrong_types(row) if isinstance(row, tuple) else ""
    what = f"a column holds a value of the wrong type ({columns or error})"
    return Verification(False, seq - first_seq, seq, f"the entry is broken: {what}", row=f"seq {seq}")


def verify_rows(
    rows: Iterable[EntryValues],
    decisions: Mapping[int, DecisionRow] | None = None,
    anchors: Mapping[int, tuple[str, str]] | None = None,
    *,
    start: tuple[int, str] = (1, GENESIS),
) -> Verification:
    """Recompute the chain over rows in seq order; name the first bad sequence number.

    ``start`` is the seq of the first row and the hash it must link to: ``(1, GENESIS)`` for a
    whole chain, or a later position to verify one stretch of it (the caller then checks that
    the stretches meet: each one's start hash is the stored hash of the entry before it).
    ``Verification.entries`` counts the rows verified.

    With ``decisions`` (seq → decision row), each ``decision`` entry must have its row, whose
    digest must equal the entry's ``digest`` column, and no row may lack its entry.
    ``anchors`` (seq → (expected hash, what expects it)) are positions recorded elsewhere — a
    checkpoint, a closed month's head: the chain must reach them with those hashes.

    Each entry's text is rebuilt from its columns with ``entry_text``/``entry_tail`` (what
    ``entry_bytes`` uses); the tail (points … rule digest) repeats across entries, so its text is
    cached by the column values it is made of. A column of the wrong type (SQLite keeps any type
    in any column) makes its row broken, never an exception.
    """
    anchors = dict(anchors or {})
    genesis = anchors.pop(0, None) if start[0] == 1 else None
    if genesis is not None and genesis[0] != GENESIS:
        return Verification(False, 0, 0, f"{genesis[1]} is at seq 0 with a hash that is not the genesis hash")
    expected_seq, prev = start
    first_seq = expected_seq
    sha = hashlib.sha256
    tails: dict[tuple[int, str, str, str, str, str, str], str] = {}
    unmatched = dict(decisions) if decisions is not None else None
    # The next anchored seq, so a row costs an int comparison rather than a dict look-up.
    next_anchor = min(anchors, default=0)
    row: object = None
    # The loop sits in a try, which costs nothing until something raises: a value of the wrong
    # type raises in the formatting or hashing of its row, which is then reported as broken.
    try:
        for row in rows:
            (
                seq, member, event, kind, period, day,
                cents, coefficient, quantity, rule, ruleset, version, rule_digest,
                reason, ref, linked, stored,
            ) = row
            if seq != expected_seq:
                if type(seq) is not int:
                    return _broken_row(expected_seq, first_seq, row, TypeError(f"seq {seq!r}"))
                bad = min(expected_seq, seq)
                return Verification(
                    False, expected_seq - first_seq, bad, f"seq {expected_seq} missing or out of order"
                )
            if linked != prev:
                return Verification(
                    False, expected_seq - first_seq, expected_seq, "prev_hash does not link to the entry before"
                )
            key = (cents, coefficient, quantity, rule, ruleset, version, rule_digest)
            tail = tails.get(key)
            if tail is None:
                if len(tails) >= _TAIL_CACHE:
                    tails.clear()
                tail = tails[key] = entry_tail(*key)
            text = entry_text(seq, member, event, kind, period, day, tail, reason, ref)
            digest = sha(f"{prev}\x1e{text}".encode()).hexdigest()
            if digest != stored:
                return Verification(
                    False, expected_seq - first_seq, expected_seq, "hash does not match the entry's fields"
                )
            if unmatched is not None and reason == "decision":
                decision = unmatched.pop(expected_seq, None)
                if decision is None:
                    return Verification(
                        False, expected_seq - first_seq, expected_seq,
                        "the decision record of this entry is missing",
                    )  # fmt: skip
                if _decision_digest(decision) != rule_digest:
                    return Verification(
                        False, expected_seq - first_seq, expected_seq,
                        "the decision record was changed after the fact",
                        table="decisions", row=f"seq {expected_seq}",
                    )  # fmt: skip
            if expected_seq == next_anchor:
                expected, what = anchors.pop(next_anchor)
                if expected != digest:
                    return Verification(
                        False, expected_seq - first_seq, expected_seq,
                        f"the chain differs from {what} at seq {expected_seq}: it was rewritten or replaced",
                    )
                next_anchor = min(anchors, default=0)
            prev = digest
            expected_seq += 1
    except (TypeError, ValueError) as error:
        return _broken_row(expected_seq, first_seq, row, error)
    count = expected_seq - first_seq
    if anchors:
        far = max(anchors)
        return Verification(
            False, count, expected_seq,
            f"the ledger ends at seq {expected_seq - 1} but {anchors[far][1]} is at seq {far}: entries were cut off "
            "or an older copy was restored",
        )
    if unmatched:
        stray = min(unmatched)
        return Verification(
            False, count, stray, f"decision record {stray} has no decision entry in the chain",
            table="decisions", row=f"seq {stray}",
        )  # fmt: skip
    return Verification(True, count)


def close_anchors(
    closes: Iterable[PeriodCloseRow], decisions: Mapping[int, DecisionRow], anchors: dict[int, tuple[str, str]]
) -> Verification | None:
    """Each closed month's row against its ``close`` decision (the first that differs is the
    failed ``Verification``); each close's head is added to ``anchors`` (seq → (hash, what)), where
    the chain must pass with that hash."""
    for close in closes:
        broken = close_mismatch(close, decisions.get(close.decision_seq))
        if broken:
            return Verification(
                False, 0, close.decision_seq if type(close.decision_seq) is int else None,
                f"the close of {close.period} does not match its decision: {broken}",
                table="period_closes", row=str(close.period),
            )  # fmt: skip
        anchors.setdefault(close.head_seq, (close.head_hash, f"the close of {close.period}"))
    return None


def _decision_digest(row: DecisionRow) -> str | None:
    """The decision row's digest, or None when a column holds what JSON cannot (a tampered blob)."""
    try:
        return decision_digest(row)
    except (TypeError, ValueError):
        return None


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

    def checkpoint(self, key: bytes | str | None = None) -> Checkpoint:
        """The current position (seq + head hash, and the intake log's head when the store keeps
        one); sealed with HMAC-SHA256 when ``key`` is given.

        Nothing is stored: keep ``str(checkpoint)`` outside the database, and the key apart.
        """
        seq, head_hash = self._store.head()
        # Read apart from the head: each is a prefix the store must keep, so a write between the
        # two reads cannot make the checkpoint fail.
        read_intake = getattr(self._store, "intake_head", None)
        return Checkpoint.at(seq, head_hash, key, intake=None if read_intake is None else read_intake())

    def verify(self, *, checkpoint: Checkpoint | str | None = None, key: bytes | str | None = None) -> Verification:
        """Rebuild every entry's bytes from its stored columns and recompute the chain; match
        every decision record against the digest its entry committed to, every closed month's
        frozen report and ledger head against the chain, and the other tables bound to the chain
        (closes, settlements, events, rule-set versions: ``gridpoints.ledger.bindings``) against
        what the chain says they must hold.

        With ``checkpoint`` (a Checkpoint or its text), the chain must also reach its seq with its
        hash, and the intake log its intake head — catching a rewritten chain, a cut tail (of
        either) or a restored older copy. A sealed
        checkpoint needs ``key`` (ValueError otherwise); with ``key``, an unsealed or wrongly
        sealed checkpoint fails verification.

        Every table is read from one snapshot when the store offers one (``snapshot()``: the
        SQLite and PostgreSQL stores do), so a decision or an import committed while verify reads
        is either wholly seen or not at all: never a false alarm.
        """
        with one_snapshot(self._store):
            return self._verify(checkpoint, key)

    def _verify(self, checkpoint: Checkpoint | str | None, key: bytes | str | None) -> Verification:
        anchors: dict[int, tuple[str, str]] = {}
        intake_anchor: tuple[int, str, str] | None = None
        if checkpoint is not None:
            if isinstance(checkpoint, str):
                checkpoint = Checkpoint.parse(checkpoint)
            if key is None and checkpoint.sealed:
                raise ValueError("key: the checkpoint is sealed; pass the key to check it")
            if key is not None and not checkpoint.seal_matches(key):
                problem = "is not sealed" if not checkpoint.sealed else "has a seal that does not match the key"
                return Verification(False, 0, None, f"the checkpoint {problem}: forged, or the wrong key")
            anchors[checkpoint.seq] = (checkpoint.hash, f"the checkpoint {checkpoint}")
            if checkpoint.intake is not None:
                intake_anchor = (*checkpoint.intake, f"the checkpoint {checkpoint}")
        decisions = {row.seq: row for row in self._store.decision_rows()}
        broken_close = close_anchors(self._store.period_closes(), decisions, anchors)
        if broken_close is not None:
            return broken_close
        facts = EntryFacts()
        result = verify_rows(facts.tap(self._store.chain_rows()), decisions, anchors)
        if not result:
            if not result.row and result.first_bad_seq is not None:
                result = attrs.evolve(result, row=f"seq {result.first_bad_seq}")
            return result
        broken_binding, notes = check_bindings(self._store, decisions.values(), facts, intake_anchor)
        if broken_binding is not None:
            return Verification(
                False, result.entries, broken_binding.seq, broken_binding.problem,
                table=broken_binding.table, row=broken_binding.row, notes=notes,
            )  # fmt: skip
        return attrs.evolve(result, notes=notes)

    def __len__(self) -> int:
        return self._store.head()[0]
