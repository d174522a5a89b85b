"""Decimal helpers: exact parsing that refuses floats, one rounding rule, one canonical form."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = ["CENT", "ZERO", "canonical", "quantize", "to_cents", "to_decimal"]

ZERO = Decimal(0)
CENT = Decimal("0.01")


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
