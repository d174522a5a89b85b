"""Decimal helpers: exact parsing that refuses floats, bounds, one rounding rule, one canonical form."""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, Overflow

__all__ = [
    "CENT",
    "MAX_COEFFICIENT",
    "MAX_PLACES",
    "MAX_POINTS",
    "MAX_QUANTITY",
    "ZERO",
    "award_cents",
    "bounded",
    "canonical",
    "cents_to_points",
    "quantize",
    "to_cents",
    "to_decimal",
]

ZERO = Decimal(0)
CENT = Decimal("0.01")

#: Bounds on the numbers that make an award (docs/rules.md, "Numeric bounds"). Within them
#: rule points × quantity × coefficient is computed exactly and fits the ledger's integer cents;
#: beyond them a value is refused where it enters (event, rule, coefficient), never mid-batch.
MAX_QUANTITY = Decimal(1_000_000)
MAX_POINTS = Decimal(1_000_000)
MAX_COEFFICIENT = Decimal(100)
MAX_PLACES = 6
# 7 + 7 + 3 integer digits and 3 × 6 places: 35 digits at most, so 40 keeps every product exact.
_EXACT = Context(prec=40, traps=[InvalidOperation, Overflow])


def to_decimal(value: object, field: str) -> Decimal:
    """Return ``value`` as a finite Decimal; int, str and Decimal are accepted, floats refused.

    Floats are refused because ``0.1`` is not one tenth: points must be exact.
    """
    if isinstance(value, (bool, float)):
        raise TypeError(
            f"{field}: {value!r} is a {type(value).__name__}; give an int, a str or a Decimal (floats are inexact)"
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{field}: {value!r} is not a decimal number") from None
    else:
        raise TypeError(f"{field}: {value!r} is a {type(value).__name__}, not a number")
    if not result.is_finite():
        raise ValueError(f"{field}: {value!r} is not a finite number")
    return result


def _places(value: Decimal) -> int:
    """Decimal places once trailing zeros are dropped (``1.500`` has 1); no context involved."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    if exponent >= 0:
        return 0
    trailing = len(digits) - len(bytes(digits).rstrip(b"\0"))
    return max(0, -exponent - trailing)


def bounded(value: Decimal, field: str, limit: Decimal, *, positive: bool = False) -> Decimal:
    """``value`` when ``|value| <= limit`` (and ``> 0`` if ``positive``) with at most ``MAX_PLACES`` places.

    The error names the field and the bound, so a bad row or rule file says what to change.
    """
    if positive and value <= 0:
        raise ValueError(f"{field}: {value} must be positive")
    if abs(value) > limit:
        raise ValueError(f"{field}: {value} is beyond the bound of {limit:,} (docs/rules.md, numeric bounds)")
    if _places(value) > MAX_PLACES:
        raise ValueError(f"{field}: {value} has more than {MAX_PLACES} decimal places")
    return value


def award_cents(points: Decimal, quantity: int | Decimal, coefficient: Decimal) -> int:
    """``points × quantity × coefficient`` computed exactly, rounded once, in hundredths."""
    return to_cents(quantize(_EXACT.multiply(_EXACT.multiply(points, Decimal(quantity)), coefficient)))


def quantize(value: Decimal) -> Decimal:
    """Round to 0.01 with ROUND_HALF_UP (四舍五入); negative zero becomes zero."""
    result = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return result if result else ZERO.quantize(CENT)


def canonical(value: Decimal) -> str:
    """The one text form of a value: no exponent, no trailing zeros, no negative zero.

    ``Decimal("1.000")``, ``Decimal("1")`` and ``Decimal("1E0")`` all become ``"1"``.
    """
    if not value:
        return "0"
    text = format(value.normalize(), "f")
    return text


def to_cents(value: Decimal) -> int:
    """Points (already quantized to 0.01) as an integer number of hundredths."""
    return int(value.scaleb(2))


@functools.lru_cache(maxsize=1 << 16)
def cents_to_points(cents: int) -> Decimal:
    """Hundredths as Decimal points with two places.

    Cached: a report converts every member's total and every kind's subtotal, and those values
    repeat (multiples of a rule's points), so most conversions are a look-up.
    """
    return Decimal(cents).scaleb(-2)
