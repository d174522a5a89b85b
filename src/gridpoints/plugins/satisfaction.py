"""Built-in plugin: the resident-satisfaction period award (群众满意度).

``rating`` events carry a resident's stars (1–5) in ``attributes["stars"]`` and score 0 each.
When a month is settled, a member with at least ``minimum`` ratings gets ``+bonus`` if the
average is at least ``high`` and ``−deduction`` if it is below ``low`` (defaults 5, 4.5 → +10,
3.0 → −10). The comparison is exact: ``sum(stars) >= high × count``, no rounding of averages.

To change the thresholds, pass a configured instance to the engine; it replaces this default
(``gridpoints_replaces``), so the award is never given twice::

    gp.Engine(plugins=[SatisfactionAward(high="4.8", low="3.5", minimum=10)])
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

import attrs

from gridpoints._decimal import quantize, to_decimal
from gridpoints._markers import hookimpl
from gridpoints.model import Award, PeriodSummary
from gridpoints.ratings import RATING_KIND

__all__ = ["RATING_KIND", "SATISFACTION_KIND", "SatisfactionAward", "gridpoints_period_awards"]

SATISFACTION_KIND = "satisfaction"


def _high(value: object) -> Decimal:
    return to_decimal(value, "high")


def _low(value: object) -> Decimal:
    return to_decimal(value, "low")


def _bonus(value: object) -> Decimal:
    return to_decimal(value, "bonus")


def _deduction(value: object) -> Decimal:
    return to_decimal(value, "deduction")


@attrs.frozen
class SatisfactionAward:
    """The satisfaction award with its thresholds; ``deduction`` is a magnitude (10 → −10)."""

    high: Decimal = attrs.field(default=Decimal("4.5"), converter=_high)
    low: Decimal = attrs.field(default=Decimal("3.0"), converter=_low)
    minimum: int = 5
    bonus: Decimal = attrs.field(default=Decimal(10), converter=_bonus)
    deduction: Decimal = attrs.field(default=Decimal(10), converter=_deduction)

    #: Built-in plugins this one stands in for (the plugin manager unregisters them).
    gridpoints_replaces: ClassVar[tuple[str, ...]] = ("gridpoints.plugins.satisfaction",)

    def __attrs_post_init__(self) -> None:
        if not (Decimal(1) <= self.low <= self.high <= Decimal(5)):
            raise ValueError(f"low/high: need 1 ≤ low ≤ high ≤ 5, got low {self.low}, high {self.high}")
        if isinstance(self.minimum, bool) or not isinstance(self.minimum, int) or self.minimum < 1:
            raise ValueError(f"minimum: {self.minimum!r} is not a whole number of ratings ≥ 1")
        if self.bonus < 0 or self.deduction < 0:
            raise ValueError(f"bonus/deduction: give magnitudes ≥ 0, got {self.bonus} and {self.deduction}")

    def awards(self, summary: PeriodSummary) -> list[Award]:
        """The award (at most one) for one member's month."""
        count = len(summary.ratings)
        if count < self.minimum:
            return []
        total = Decimal(sum(summary.ratings))
        note = f"ratings={count} average={quantize(total / count)}"
        if total >= self.high * count:
            return [Award(SATISFACTION_KIND, self.bonus, note=note)] if self.bonus else []
        if total < self.low * count:
            return [Award(SATISFACTION_KIND, -self.deduction, note=note)] if self.deduction else []
        return []

    @hookimpl
    def gridpoints_period_awards(self, summary: PeriodSummary) -> list[Award]:
        """Hook: this instance's award for the month."""
        return self.awards(summary)


DEFAULT = SatisfactionAward()


@hookimpl
def gridpoints_period_awards(summary: PeriodSummary) -> list[Award]:
    """Hook: the default thresholds (≥ 4.5 → +10, < 3.0 → −10, at least 5 ratings)."""
    return DEFAULT.awards(summary)
