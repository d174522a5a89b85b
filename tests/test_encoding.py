"""The fast canonical encodings equal their plain definitions, byte for byte."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints._decimal import canonical
from gridpoints.demo import demo_events, demo_members
from gridpoints.ledger import entry_bytes, entry_tail, entry_text, utf8_entry_bytes, verify_rows, verify_utf8_rows
from gridpoints.model import canonical_attributes
from gridpoints.stores.sqlite import SQLiteStore
from tests.conftest import NOW


def _reference_json(attributes: dict[str, object]) -> str:
    def default(value: object) -> str:
        assert isinstance(value, Decimal)
        return canonical(value)

    return json.dumps(attributes, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=default)


scalars = st.one_of(
    st.text(),
    st.integers(),
    st.booleans(),
    st.none(),
    st.decimals(allow_nan=False, allow_infinity=False),
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1), scalars, min_size=1, max_size=6))
def test_canonical_attributes_is_sorted_compact_json(attributes: dict[str, object]) -> None:
    assert canonical_attributes(attributes) == _reference_json(attributes)


def test_canonical_attributes_escapes_quotes_controls_and_keeps_chinese() -> None:
    attributes = {"位置": '网格"A"\n', "b": True, "a": None, "n": -3, "d": Decimal("1.50")}
    assert canonical_attributes(attributes) == '{"a":null,"b":true,"d":"1.5","n":-3,"位置":"网格\\"A\\"\\n"}'


def test_entry_bytes_follow_the_documented_layout() -> None:
    row = (
        "7",
        "M001",
        "e1",
        "hazard",
        "2026-11",
        "2026-11-03",
        -305,
        "1.2",
        "1.5",
        "hazard-major",
        "standard",
        "2000-01-01",
        "d" * 64,
        "derived",
        "e0",
    )
    expected = "\x1f".join(
        [
            "gp1",
            "7",
            "M001",
            "e1",
            "hazard",
            "2026-11",
            "2026-11-03",
            "-3.05",
            "1.2",
            "1.5",
            "hazard-major",
            "standard",
            "2000-01-01",
            "d" * 64,
            "derived",
            "e0",
        ]
    )
    assert entry_bytes(row) == expected.encode()
    tail = entry_tail(-305, "1.2", "1.5", "hazard-major", "standard", "2000-01-01", "d" * 64)
    assert entry_text(*row[:6], tail, "derived", "e0") == expected


texts = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=10)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 10**12), st.integers(-(10**9), 10**9), st.lists(texts, min_size=13, max_size=13))
def test_utf8_entry_bytes_equal_entry_bytes(seq: int, cents: int, fields: list[str]) -> None:
    row = (seq, *fields[:5], cents, *fields[5:13])
    utf8_row = (seq, *(f.encode() for f in fields[:5]), cents, *(f.encode() for f in fields[5:13]))
    assert utf8_entry_bytes(utf8_row) == entry_bytes(row)


def test_sqlite_verify_takes_the_utf8_path_and_agrees_with_the_text_path(tmp_path: Path) -> None:
    engine = gp.Engine(str(tmp_path / "v.db"), load_entrypoints=False, clock=lambda: NOW)
    members = demo_members(15)
    engine.add_members(members)
    engine.ingest(demo_events(members, "2026-11"))
    store = engine.store
    assert isinstance(store, SQLiteStore)
    fast, plain = verify_utf8_rows(store.chain_rows_utf8()), verify_rows(store.chain_rows())
    assert fast == plain and fast.ok and fast.entries == engine.ledger.head()[0]
    assert engine.ledger.verify() == fast
    # A change in a text column is caught on the bytes path, at its seq.
    rows = list(store.chain_rows_utf8())
    rows[4] = (*rows[4][:4], b"2026-12", *rows[4][5:])
    assert verify_utf8_rows(rows).first_bad_seq == 5
