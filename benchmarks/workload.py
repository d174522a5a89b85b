"""The deterministic workload every scenario shares: demo members and their months of events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import attrs

import gridpoints as gp
from gridpoints.demo import demo_events, demo_members
from gridpoints.periods import Period

__all__ = ["COEFFICIENTS", "LAST_MONTH", "NOW", "SHANGHAI", "SIZES", "Workload", "make_engine"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: A fixed clock, so no demo event is ever "in the future" and runs are reproducible.
NOW = datetime(2027, 6, 1, tzinfo=SHANGHAI)
#: The workload's last month; earlier months go back from it.
LAST_MONTH = "2026-11"
#: Regional coefficients, so the coefficient path of the pipeline is exercised.
COEFFICIENTS = {"suburban": "1.1", "rural": "1.2"}


@attrs.frozen
class Workload:
    """``members`` demo members, each with ``months`` demo months ending at LAST_MONTH.

    The demo generator gives about 20 events a member a month.
    """

    members: int
    months: int = 1
    seed: int = 2026

    @property
    def periods(self) -> list[str]:
        """The months of the workload, oldest first."""
        last = Period.parse(LAST_MONTH)
        return [str(last.shift(-back)) for back in range(self.months - 1, -1, -1)]

    def member_list(self) -> list[gp.Member]:
        """The members (ids G00001…)."""
        return demo_members(self.members, seed=self.seed)

    def events(self, members: list[gp.Member] | None = None) -> Iterator[gp.Event]:
        """Every event of every month, streamed month by month."""
        members = self.member_list() if members is None else members
        for period in self.periods:
            yield from demo_events(members, period, seed=self.seed)


#: Named sizes: quick runs in CI in seconds; full is the issue's 1,000,000-event target.
SIZES: dict[str, Workload] = {
    "quick": Workload(members=500),
    "medium": Workload(members=5_000),
    "full": Workload(members=50_000),
}


def make_engine(store: str | None = None, *, checks: bool = True) -> gp.Engine:
    """An engine as a platform would build one: standard rules, built-in checks, coefficients."""
    return gp.Engine(store, load_entrypoints=False, clock=lambda: NOW, coefficients=COEFFICIENTS, checks=checks)
