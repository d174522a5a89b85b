"""Running totals of caps and count limits within one ingest call.

Apart from the pipeline's stages because it is bookkeeping of its own: a cap or count limit
counts what earlier calls booked (read from the store once for the events judged together,
never per event) plus what this call has booked or staged so far, and the stages need only ask
how much of an entry fits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal

from gridpoints._decimal import ZERO, quantize, to_cents
from gridpoints.ingest._call import Call
from gridpoints.model import Event, Member
from gridpoints.periods import Period
from gridpoints.rules.compiled import CompiledRule, CompiledVersion
from gridpoints.schema import CapKey, EntryValues
from gridpoints.stores import limit_rows, limit_units

__all__ = ["CapsAndLimits"]


def _staged_cap_totals(entries: list[EntryValues], keys: list[CapKey]) -> dict[CapKey, int]:
    """Points (hundredths) per cap key of entries staged but not yet in the store — a
    correction's reversals — so the replacement booked after them has their room back."""
    wanted = set(keys)
    totals: dict[CapKey, int] = {}
    for _, member_id, _, _, period, day, cents, _, _, rule, ruleset, *_ in entries:
        for key in (CapKey(member_id, ruleset, rule, "day", day), CapKey(member_id, ruleset, rule, "period", period)):
            if key in wanted:
                totals[key] = totals.get(key, 0) + cents
    return totals


class CapsAndLimits:
    """The cap and count-limit keys and arithmetic of one engine; the totals are the Call's
    (``cap_used``, ``limit_used``). Kept per engine for its cache of period labels, which
    depends only on the rule sets, not on the call (nor on the engine's time zone: callers pass
    local day and month labels)."""

    __slots__ = ("_periods",)

    def __init__(self) -> None:
        self._periods: dict[tuple[str, str], str] = {}  # (month, kind) → the period label

    def load(
        self,
        call: Call,
        ready: Iterable[tuple[Event, Member, CompiledVersion, CompiledRule]],
        labels: Callable[[datetime], tuple[str, str]],
    ) -> None:
        """Running totals for every cap and count limit these events may touch, fetched once
        (one ``cap_totals`` and one ``limit_totals`` query at most). ``labels`` gives an
        instant's local day and month."""
        keys: set[CapKey] = set()
        limits: set[CapKey] = set()
        for event, member, version, rule in ready:
            for capped in (rule, version.late_rule):
                if capped is None or (capped.cap is None and capped.limit is None):
                    continue
                day, month = labels(event.occurred_at)
                month = call.open_month(month)
                if capped.cap is not None:
                    scope = ("day", day) if capped.cap.per == "day" else ("period", month)
                    keys.add(CapKey(member.id, version.ruleset.id, capped.id, *scope))
                if capped.limit is not None:
                    limits.add(self._limit_key(member.id, version, capped, day, month))
        missing = [k for k in keys if k not in call.cap_used]
        if missing:
            found = call.tx.cap_totals(missing)
            # Entries staged but not yet in the store (a correction's reversals) count too.
            staged = _staged_cap_totals(call.entries, missing) if call.entries else {}
            for key in missing:
                call.cap_used[key] = found.get(key, 0) + staged.get(key, 0)
        missing = [k for k in limits if k not in call.limit_used]
        if missing:
            counted = call.tx.limit_totals(missing)
            for key in missing:
                # Entries staged but not yet in the store (a correction's reversals) count too.
                call.limit_used[key] = counted.get(key, ZERO) + limit_units(limit_rows(call.entries, key))

    def count_units(
        self,
        call: Call,
        member_id: str,
        version: CompiledVersion,
        rule: CompiledRule,
        day: str,
        month: str,
        quantity: int | Decimal,
    ) -> tuple[int | Decimal, bool]:
        """The units of ``quantity`` that ``rule``'s count limit leaves room for, added to the
        call's running total, and whether that is fewer than ``quantity``."""
        if rule.limit is None:  # the pipeline asks only about rules with a limit
            return quantity, False
        key = self._limit_key(member_id, version, rule, day, month)
        units = call.limit_used.get(key, ZERO)
        room = max(ZERO, rule.limit.units - units)
        limited = quantity > room
        if limited:
            quantity = int(room) if room == room.to_integral_value() else room
        call.limit_used[key] = units + quantity
        return quantity, limited

    @staticmethod
    def clip_to_cap(
        call: Call,
        member_id: str,
        version: CompiledVersion,
        rule: CompiledRule,
        day: str,
        month: str,
        cents: int,
    ) -> tuple[int, bool]:
        """The points (hundredths) of ``cents`` that ``rule``'s cap leaves room for in ``day``
        or ``month``, added to the call's running total, and whether they were clipped."""
        cap = rule.cap
        if cap is None:  # the pipeline asks only about rules with a cap
            return cents, False
        scope = ("day", day) if cap.per == "day" else ("period", month)
        key = CapKey(member_id, version.ruleset.id, rule.id, *scope)
        used = call.cap_used.get(key, 0)
        remaining = max(0, to_cents(quantize(cap.points)) - abs(used))
        clipped = abs(cents) > remaining
        if clipped:
            cents = remaining if cents > 0 else -remaining
        call.cap_used[key] = used + cents
        return cents, clipped

    def _limit_key(self, member_id: str, version: CompiledVersion, rule: CompiledRule, day: str, month: str) -> CapKey:
        """The count-limit key: the day, or the month / assessed period containing ``month``."""
        per = rule.limit.per if rule.limit is not None else "day"
        if per == "day":
            return CapKey(member_id, version.ruleset.id, rule.id, "day", day)
        kind = "month" if per == "month" else version.ruleset.assessment.period
        label = self._periods.get((month, kind))
        if label is None:
            label = self._periods[(month, kind)] = str(Period.parse(month).within(kind))
        return CapKey(member_id, version.ruleset.id, rule.id, "period", label)
