"""The intake log's hashing (gridpoints.stores.intakes): unambiguous row text, order-free digests,
a chain of its own. The attacks it catches are in tests/test_hostile_chain.py and the store
conformance suite."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridpoints.schema import GENESIS
from gridpoints.stores.intakes import IntakeLog, event_line, intake_digest, intake_hash

#: Any text, separators and digits included: a payload or a hold reason may hold anything.
texts = st.text(alphabet=st.sampled_from("ab1:;\x1f\x1e,\"中"), max_size=6)
rows = st.tuples(texts, texts, texts, st.integers(-(2**63), 2**63 - 1), texts, texts, texts, texts, texts, texts)


@given(rows, rows)
def test_two_rows_have_the_same_line_only_when_they_are_the_same(a: tuple[object, ...], b: tuple[object, ...]) -> None:
    assert (event_line(a) == event_line(b)) == (a == b)


#: Adjacent text columns (the time, column 3, sits between kind and month).
NEIGHBOURS = [(0, 1), (1, 2), (4, 5), (5, 6), (6, 7), (7, 8), (8, 9)]


@given(rows, st.sampled_from(NEIGHBOURS), st.integers(1, 6))
def test_text_moved_from_a_field_to_the_next_changes_the_line(
    row: tuple[object, ...], pair: tuple[int, int], count: int
) -> None:
    left, right = pair
    fields = list(row)
    text = str(fields[left])
    if len(text) < count:
        return
    fields[left], fields[right] = text[: len(text) - count], text[len(text) - count :] + str(fields[right])
    assert event_line(tuple(fields)) != event_line(row)


def test_text_cannot_move_between_fields() -> None:
    row = ("e1", "M1", "patrol", 1, "2026-11", "held", "p", "check", "a\x1fb", "c")
    moved = ("e1", "M1", "patrol", 1, "2026-11", "held", "p", "check", "a", "b\x1fc")
    assert event_line(row) != event_line(moved)


def test_a_time_that_is_not_a_whole_number_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="occurred_us '1' is not a whole number"):
        event_line(("e1", "M1", "patrol", "1", "2026-11", "held", "p", "", "", ""))


@given(st.lists(st.tuples(texts, st.binary(min_size=32, max_size=32)), unique_by=lambda line: line[0]), st.randoms())
def test_an_intakes_digest_does_not_depend_on_the_order_rows_were_written(
    lines: list[tuple[str, bytes]], random: object
) -> None:
    shuffled = list(lines)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert intake_digest(shuffled) == intake_digest(lines)


def test_the_log_of_one_transaction_chains_to_the_head_it_was_given() -> None:
    assert IntakeLog().row() is None  # nothing written: no intake row
    first = IntakeLog()
    first.add([("e2", "M1", "patrol", 2, "2026-11", "booked", "p2", "", "", ""),
               ("e1", "M1", "patrol", 1, "2026-11", "held", "p1", "evidence", "no photo", "")])  # fmt: skip
    row = first.row()
    assert row is not None and (row.seq, row.events, row.prev_hash) == (1, 2, GENESIS)
    lines = hashlib.sha256(b"gpi1")
    for values in sorted([("e1", "M1", "patrol", 1, "2026-11", "held", "p1", "evidence", "no photo", ""),
                          ("e2", "M1", "patrol", 2, "2026-11", "booked", "p2", "", "", "")]):  # fmt: skip
        lines.update(event_line(values))
    assert row.digest == lines.hexdigest()
    assert row.hash == hashlib.sha256(f"{GENESIS}\x1egpi1\x1f1\x1f2\x1f{row.digest}".encode()).hexdigest()
    assert row.hash == intake_hash(GENESIS, 1, 2, row.digest)
    second = IntakeLog((row.seq, row.hash))
    second.add([("e3", "M1", "patrol", 3, "2026-11", "booked", "p3", "", "", "")])
    following = second.row()
    assert following is not None and (following.seq, following.prev_hash) == (2, row.hash)
