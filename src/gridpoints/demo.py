"""A deterministic synthetic month of grid work, for the demo, tests and benchmarks.

The distribution follows the source article's picture of a grid worker's month: a patrol most
working days, a few hazards, mediations and services, resident ratings, occasional late reports,
absences and complaints, and a handful of gaming attempts (repeated submissions at one place,
bursts, high-value claims without evidence). Events are generated lazily, so a benchmark can
stream millions of them in constant memory.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from gridpoints.model import Event, Member
from gridpoints.periods import Period

__all__ = ["REGIONS", "demo_events", "demo_members"]

#: Region → share of members. Coefficients for them are the engine's business, not the data's.
REGIONS = (("urban", 0.5), ("suburban", 0.3), ("rural", 0.2))
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def demo_members(count: int = 500, *, seed: int = 2026, grid_size: int = 10) -> list[Member]:
    """``count`` members with ids ``G00001``…, regions by REGIONS, ``grid_size`` per grid."""
    rng = random.Random(seed)
    members = []
    weights = [share for _, share in REGIONS]
    names = [region for region, _ in REGIONS]
    for number in range(1, count + 1):
        region = rng.choices(names, weights)[0]
        name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))
        members.append(
            Member(
                id=f"G{number:05d}",
                region=region,
                name=name,
                grid=f"{region[0].upper()}{(number - 1) // grid_size + 1:04d}",
            )
        )
    return members


def day_of(moment: datetime) -> str:
    """The calendar day of a moment, for evidence file names."""
    return moment.date().isoformat()


def _moment(rng: random.Random, first: datetime, days: int) -> datetime:
    day = rng.randrange(days)
    return first + timedelta(days=day, hours=rng.randint(8, 17), minutes=rng.randrange(60))


def demo_events(
    members: list[Member],
    period: str = "2026-11",
    *,
    seed: int = 2026,
    tz: tzinfo | None = None,
    gaming: bool = True,
) -> Iterator[Event]:
    """Yield one month of events for ``members`` (about 45 per member), deterministically."""
    zone = tz or ZoneInfo("Asia/Shanghai")
    month = Period.parse(period)
    first = month.start(zone)
    days = (month.last_day - month.first_day).days + 1
    for member in members:
        rng = random.Random(f"{seed}:{period}:{member.id}")
        serials = itertools.count(1)
        prefix = f"{period}-{member.id}-"

        def next_id(prefix: str = prefix, serials: Iterator[int] = serials) -> str:
            return f"{prefix}{next(serials):04d}"

        grid = member.grid or member.region
        diligence = rng.betavariate(2, 2)
        patrol_days = sorted(rng.sample(range(days), k=min(days, 3 + int(diligence * 17))))
        for day in patrol_days:
            at = first + timedelta(days=day, hours=rng.randint(8, 11), minutes=rng.randrange(60))
            yield Event(next_id(), member.id, "patrol", at, attributes={"location": f"{grid}-P{rng.randint(1, 6)}"})
        for _ in range(rng.choices((0, 1, 2), (55, 30, 15))[0]):
            at = _moment(rng, first, days)
            major = rng.random() < 0.2
            late = rng.random() < 0.1
            reported = at + (timedelta(hours=rng.randint(25, 60)) if late else timedelta(hours=rng.randint(0, 6)))
            attributes: dict[str, object] = {"severity": "major" if major else "general"}
            if major:
                attributes["evidence"] = f"hz-{member.id}-{day_of(at)}.jpg"
            yield Event(
                next_id(), member.id, "hazard", at, reported_at=min(reported, month.end(zone)), attributes=attributes
            )
        for _ in range(rng.choices((0, 1, 2), (50, 35, 15))[0]):
            yield Event(
                next_id(),
                member.id,
                "mediation",
                _moment(rng, first, days),
                attributes={"evidence": f"md-{member.id}.pdf"},
            )
        for _ in range(rng.randint(0, 2)):
            yield Event(next_id(), member.id, "service", _moment(rng, first, days))
        for _ in range(rng.choices((0, 1, 2), (50, 40, 10))[0]):
            yield Event(next_id(), member.id, "activity", _moment(rng, first, days))
        if rng.random() < 0.08:
            yield Event(
                next_id(), member.id, "suggestion_adopted", _moment(rng, first, days), attributes={"verified": "true"}
            )
        if rng.random() < 0.03:
            yield Event(
                next_id(),
                member.id,
                "group_incident",
                _moment(rng, first, days),
                attributes={"evidence": f"gi-{member.id}.pdf"},
            )
        for kind, chance in (("late_report", 0.25), ("missed_report", 0.08), ("absence", 0.06)):
            if rng.random() < chance:
                yield Event(next_id(), member.id, kind, _moment(rng, first, days))
        if rng.random() < 0.07:
            severity = "serious" if rng.random() < 0.3 else "general"
            yield Event(next_id(), member.id, "complaint", _moment(rng, first, days), attributes={"severity": severity})
        mean_stars = 3.2 + diligence * 1.8
        for _ in range(rng.randint(3, 9)):
            stars = max(1, min(5, round(rng.gauss(mean_stars, 0.7))))
            yield Event(next_id(), member.id, "rating", _moment(rng, first, days), attributes={"stars": stars})
        if gaming and rng.random() < 0.02:
            # The same patrol sent three times a few minutes apart (刷分).
            at = first + timedelta(days=rng.randrange(days), hours=20)
            for repeat in range(3):
                yield Event(
                    next_id(),
                    member.id,
                    "patrol",
                    at + timedelta(minutes=3 * repeat),
                    attributes={"location": f"{grid}-P9"},
                )
        if gaming and rng.random() < 0.01:
            # A high-value claim with no evidence.
            yield Event(next_id(), member.id, "mediation", _moment(rng, first, days))
