"""The fast canonical encodings equal their plain definitions, byte for byte."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from gridpoints._decimal import canonical
from gridpoints.ledger import entry_bytes, entry_tail, entry_text
from gridpoints.model import canonical_attributes


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

