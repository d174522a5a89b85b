"""Per-event rule keys: count limits ("2 visits a day") and bounds on an event's quantity.

These are the only parts of an assessment scheme applied when an event is booked; everything
else (sections, bases, tallies, vetoes) is derived when a period is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import attrs

from gridpoints._decimal import MAX_QUANTITY, bounded, canonical, to_decimal

__all__ = ["LIMIT_SCOPES", "Limit", "QuantityBounds", "to_limit", "to_quantity_bounds"]

#: What a count limit counts over: the local day, the month, or the scheme's assessed period.
LIMIT_SCOPES = ("day", "month", "period")


def _units(value: object) -> Decimal:
    return bounded(to_decimal(value, "limit.units"), "limit.units", MAX_QUANTITY)


@attrs.frozen
class Limit:
    """At most ``units`` of quantity per member per ``per`` count toward a rule's points.

    Counted before the coefficient (units, not points): "2 visits a day" at a coefficient of
    1.5 books 2 visits × points × 1.5. Units beyond the limit book nothing, with reason
    ``limit``. A ``cap``, by contrast, counts points after the coefficient.
    """

    units: Decimal = attrs.field(converter=_units)
    per: str = attrs.field(default="day")

    def __attrs_post_init__(self) -> None:
        if self.per not in LIMIT_SCOPES:
            raise ValueError(f"limit: unknown scope {self.per!r} (use {', '.join(LIMIT_SCOPES)})")
        if self.units <= 0:
            raise ValueError(f"limit.{self.per}: {canonical(self.units)} must be positive")

    def key(self) -> list[str]:
        """A JSON-able form for the rule set digest."""
        return [canonical(self.units), self.per]


def to_limit(value: object) -> Limit | None:
    """Normalise ``limit``: None, a Limit, ``{"day": 2}`` or ``{"units": 2, "per": "day"}``."""
    if value is None or isinstance(value, Limit):
        return value
    if isinstance(value, Mapping):
        if set(value) <= {"units", "per"} and "units" in value:
            return Limit(value["units"], value.get("per", "day"))
        if len(value) == 1:
            ((per, units),) = value.items()
            if per not in LIMIT_SCOPES:
                raise ValueError(f"limit: unknown scope {per!r} (use {', '.join(LIMIT_SCOPES)})")
            return Limit(bounded(to_decimal(units, f"limit.{per}"), f"limit.{per}", MAX_QUANTITY), per)
    raise TypeError(f"limit: {value!r} is not a limit like {{'day': 2}}")


def _min(value: object) -> Decimal | None:
    return None if value is None else bounded(to_decimal(value, "quantity.min"), "quantity.min", MAX_QUANTITY)


def _max(value: object) -> Decimal | None:
    return None if value is None else bounded(to_decimal(value, "quantity.max"), "quantity.max", MAX_QUANTITY)


@attrs.frozen
class QuantityBounds:
    """The quantities a rule accepts (an assessor's mark within 0–100, say); outside them the
    event is rejected with code ``quantity``."""

    min: Decimal | None = attrs.field(default=None, converter=_min)
    max: Decimal | None = attrs.field(default=None, converter=_max)

    def __attrs_post_init__(self) -> None:
        if self.min is None and self.max is None:
            raise ValueError("quantity: give min, max or both")
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError(f"quantity.max: {canonical(self.max)} is below quantity.min {canonical(self.min)}")

    def problem(self, quantity: int | Decimal) -> str | None:
        """Why ``quantity`` is outside the bounds (naming the bound), or None when inside."""
        if self.min is not None and quantity < self.min:
            return f"{quantity} is below the minimum {canonical(self.min)}"
        if self.max is not None and quantity > self.max:
            return f"{quantity} is above the maximum {canonical(self.max)}"
        return None

    def key(self) -> list[str | None]:
        """A JSON-able form for the rule set digest."""
        return [None if self.min is None else canonical(self.min), None if self.max is None else canonical(self.max)]


def to_quantity_bounds(value: object) -> QuantityBounds | None:
    """Normalise ``quantity``: None, a QuantityBounds or ``{"min": 0, "max": 100}``."""
    if value is None or isinstance(value, QuantityBounds):
        return value
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {"min", "max"})
        if unknown:
            raise ValueError(f"quantity.{unknown[0]}: unknown key (use min, max)")
        return QuantityBounds(**value)
    raise TypeError(f"quantity: {value!r} is not bounds like {{'max': 100}}")
