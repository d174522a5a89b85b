"""The city's own anti-gaming check: patrols self-reported in the small hours wait for review."""

from __future__ import annotations

from datetime import timedelta

import gridpoints as gp

__all__ = ["NightPatrolCheck"]


class NightPatrolCheck(gp.Check):
    """Hold a patrol whose local time is between ``start_hour`` and ``end_hour`` (default 0–5 h).

    Grid patrols are day work; a patrol logged at 3 a.m. is more often padding than duty, so a
    reviewer looks at it. Nothing is rejected outright.
    """

    name = "night_patrol"
    label = "夜间巡查"
    label_en = "night patrol"
    kinds = frozenset({"patrol"})
    window = timedelta(0)

    def __init__(self, start_hour: int = 0, end_hour: int = 5) -> None:
        if not 0 <= start_hour < end_hour <= 24:
            raise ValueError(f"start_hour/end_hour: {start_hour}..{end_hour} is not a range within 0..24")
        self.start_hour = start_hour
        self.end_hour = end_hour

    def options(self) -> dict[str, object]:
        """The night window, as ``gridpoints plugins`` lists it."""
        return {"start_hour": self.start_hour, "end_hour": self.end_hour}

    def judge(self, event: gp.Event, at_us: int, timeline: gp.Timeline) -> gp.Verdict | None:
        """Hold the patrol when its local hour (in the engine's zone) falls in the night window."""
        hour = timeline.local(at_us).hour
        if self.start_hour <= hour < self.end_hour:
            return gp.Verdict.hold(self.name, f"patrol logged at {hour:02d}h local time, outside patrol hours")
        return None
