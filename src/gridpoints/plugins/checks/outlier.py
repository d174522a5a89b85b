"""Built-in check ``outlier``: a month score far above the region's peers (异常高分), for audit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from statistics import median

from gridpoints.checks import Verdict
from gridpoints.model import Event, Member
from gridpoints.periods import Period
from gridpoints.plugins.checks._base import BuiltinCheck, positive_decimal, positive_int
from gridpoints.timeline import Timeline

__all__ = ["Outlier", "robust_z_scores"]

#: 0.6745 is the 0.75 quantile of the standard normal: it makes MAD comparable to a std. dev.
CONSISTENCY = Decimal("0.6745")


def robust_z_scores(scores: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Member id → 0.6745·(x − median)/MAD over ``scores``; empty when MAD is 0."""
    values = list(scores.values())
    if not values:
        return {}
    middle = median(values)
    mad = median([abs(v - middle) for v in values])
    if mad == 0:
        return {}
    return {member: CONSISTENCY * (score - middle) / mad for member, score in scores.items()}


class Outlier(BuiltinCheck):
    """Flag ``outlier`` on a month's report when a score's robust z-score exceeds ``threshold``.

    Peers are the members of the same region assessed in the month; the median and the median
    absolute deviation (MAD) are taken over the whole region, the member included. Options:
    ``threshold`` (default 3.5; only high scores are flagged — low ones are the grades'
    business), ``min_peers`` (default 8: a region needs 8 members besides the one scored). A
    region whose MAD is 0 flags no one. Points are never changed; no event is held.
    """

    name = "outlier"
    label = "异常高分"
    label_en = "outlier score"
    kinds: frozenset[str] | None = frozenset()

    def __init__(self, *, threshold: object = "3.5", min_peers: int = 8) -> None:
        self.threshold = positive_decimal(threshold, "threshold")
        self.min_peers = positive_int(min_peers, "min_peers")

    def options(self) -> dict[str, object]:
        """``threshold`` and ``min_peers``."""
        return {"threshold": self.threshold, "min_peers": self.min_peers}

    def judge(self, event: Event, at_us: int, timeline: Timeline) -> Verdict | None:
        """Looks at months, not events: never holds."""
        return None

    def period_flags(
        self, period: Period, members: Sequence[Member], scores: Mapping[str, Decimal]
    ) -> Mapping[str, str]:
        """``{member_id: "outlier"}`` for members whose z-score within their region is too high."""
        regions: dict[str, dict[str, Decimal]] = {}
        for member in members:
            if member.id in scores:
                regions.setdefault(member.region, {})[member.id] = scores[member.id]
        flagged: dict[str, str] = {}
        for group in regions.values():
            if len(group) - 1 < self.min_peers:
                continue
            for member_id, z in robust_z_scores(group).items():
                if z > self.threshold:
                    flagged[member_id] = "outlier"
        return flagged
