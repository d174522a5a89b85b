"""Settling a month: collect period awards once per member and book them, once.

The awards come from ``gridpoints_period_awards`` (the built-in one is resident satisfaction),
asked once per active member with a ``PeriodSummary`` built from three store aggregates — never
once per event. They are booked as ``period_award`` entries in one transaction, and the month is
recorded as settled in the same transaction, so settling twice (or from two processes at once)
books them once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import timedelta

import attrs

from gridpoints._decimal import cents_to_points, quantize, to_cents
from gridpoints.desk.desk import Desk, Sitting
from gridpoints.ledger.bindings import SETTLE_ACTION
from gridpoints.model import Award, Event, Member, PeriodSummary
from gridpoints.periods import Period
from gridpoints.ratings import RATING_KIND, stars_of
from gridpoints.rules.compiled import RuleBook
from gridpoints.stores import Store

__all__ = ["PERIOD_AWARD", "PeriodAwards", "SettleResult", "settle_month"]

#: What settling asks for a member's month: its awards, each with the plugin that gave it
#: (the engine's ``plugins.period_awards``, which calls ``gridpoints_period_awards``).
PeriodAwards = Callable[[Member, Period, PeriodSummary], Sequence[tuple[Award, str]]]

PERIOD_AWARD = "period_award"
#: Who a ``settle`` decision names: settling is done by the engine (before a close, or asked
#: for), not decided by a person.
SETTLED_BY = "gridpoints"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@attrs.frozen
class SettleResult:
    """What ``Engine.settle`` did: awards booked now (empty when the month was settled before)."""

    period: str
    already_settled: bool
    awards: tuple[tuple[str, Award], ...] = ()
    entries: int = 0


def _summaries(store: Store, month: str, members: Sequence[Member]) -> dict[str, PeriodSummary]:
    points = store.totals_by_kind([month])
    quantities = store.quantities_by_kind([month])
    ratings: dict[str, list[int]] = {}
    for event_id, payload in store.booked_events([month], kinds=[RATING_KIND]):
        event = Event.from_payload(event_id, payload)
        stars = stars_of(event.attributes)
        if stars is not None:  # ingest refuses ratings without valid stars
            ratings.setdefault(event.member_id, []).append(stars)
    return {
        m.id: PeriodSummary(
            member_id=m.id,
            period=month,
            score=cents_to_points(sum(points.get(m.id, {}).values())),
            quantities=dict(quantities.get(m.id, {})),
            points={k: cents_to_points(v) for k, v in points.get(m.id, {}).items()},
            ratings=tuple(ratings.get(m.id, ())),
        )
        for m in members
    }


def settle_month(
    desk: Desk,
    period_awards: PeriodAwards,
    members: Sequence[Member],
    rulebook: RuleBook,
    period: str | Period,
) -> SettleResult:
    """Book month ``period``'s period awards unless it was settled already.

    A month that has not ended by the desk's clock is refused: its ratings are not all in yet,
    and a settled month is never settled again.
    """
    month = Period.parse(period)
    if month.kind != "month":
        raise ValueError(f"period: {period} is a {month.kind}; settle months one at a time")
    now, tz = desk.clock(), desk.tz
    if now < month.end(tz):
        raise ValueError(f"period: {month} has not ended yet (now {now.astimezone(tz).isoformat()})")
    label = str(month)
    active = [m for m in members if m.active_between(month.first_day, month.last_day)]
    version = rulebook.version_at(month.end(tz) - timedelta(microseconds=1)) or rulebook.versions[0]

    def book_awards(sitting: Sitting, summaries: dict[str, PeriodSummary]) -> SettleResult:
        decided = sitting.tx.decision_rows(subjects=[f"period:{label}"])
        if sitting.tx.is_settled(label) or any(row.action == SETTLE_ACTION for row in decided):
            # A settle decision settles the month even if its row went missing: never pay twice.
            return SettleResult(label, already_settled=True)
        booking = sitting.booking
        booked: list[tuple[str, Award]] = []
        for member in active:
            used: dict[str, int] = {}
            for award, _plugin in period_awards(member, month, summaries[member.id]):
                cents = to_cents(quantize(award.points))
                if cents == 0:
                    continue
                used[award.kind] = used.get(award.kind, 0) + 1
                suffix = "" if used[award.kind] == 1 else f"#{used[award.kind]}"
                booking.chain(
                    (
                        member.id,
                        f"{label}:{award.kind}:{member.id}{suffix}",
                        award.kind,
                        label,
                        month.last_day.isoformat(),
                        cents,
                        "1",  # period awards are never scaled by the regional coefficient
                        "1",
                        award.kind,
                        version.ruleset.id,
                        version.ruleset.version,
                        version.digest,
                        PERIOD_AWARD,
                        _CONTROL.sub(" ", award.note)[:200],
                    )
                )
                booked.append((member.id, award))
        entries = len(booking.entries)
        # A zero-point decision commits the chain to the settlement (verify() matches it with the
        # settlements row), so a deleted settlement row is noticed and cannot pay twice.
        head_seq = booking.seq
        sitting.record(
            SETTLE_ACTION, f"period:{label}", by=SETTLED_BY, detail={"head_seq": head_seq, "awards": entries},
            month=booking.open_month(label),
        )  # fmt: skip
        booking.flush()  # the awards first: the settlement records the head after them
        sitting.tx.mark_settled(label, head_seq)
        return SettleResult(label, already_settled=False, awards=tuple(booked), entries=entries)

    # The month's aggregates are read through the store, as of the head the awards are booked on.
    return desk.decide_on(lambda: _summaries(desk.store, label, active), book_awards)
