"""Residents' ratings (群众评价): the ``rating`` kind and how its stars are read."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

__all__ = ["RATING_KIND", "stars_of"]

#: Residents' ratings: scored 0 each, turned into a period award when the month is settled.
RATING_KIND = "rating"
_STARS = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5}


def stars_of(attributes: Mapping[str, object]) -> int | None:
    """The stars (1–5) of a rating: an int or a one-digit string (as CSV gives it); else None."""
    value = attributes.get("stars")
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    return _STARS.get(value) if isinstance(value, (int, str)) else None
