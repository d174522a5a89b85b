"""The deterministic workload every scenario shares: demo members and their months of events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import attrs

import gridpoints as gp
from gridpoints.demo import demo_events, demo_members
from gridpoints.periods import Period

__all__ = [
    "COEFFICIENTS",
    "LAST_MONTH",
    "NOW",
    "SCORECARD",
    "SHANGHAI",
    "SIZES",
    "ScorecardRules",
    "Workload",
    "make_engine",
    "scorecard_ruleset",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: A fixed clock, so no demo event is ever "in the future" and runs are reproducible.
NOW = datetime(2027, 6, 1, tzinfo=SHANGHAI)
#: The workload's last month; earlier months go back from it.
LAST_MONTH = "2026-11"
#: Regional coefficients, so the coefficient path of the pipeline is exercised.
COEFFICIENTS = {"urban": "1", "suburban": "1.1", "rural": "1.2"}  # every region named: no silent 1


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


#: The id of the scorecard rule set the scorecard report scenario runs under.
SCORECARD = "scorecard"
# The standard kinds' sections in the benchmark scorecard; kinds not named stay out of sections.
_SECTIONS = {
    "patrol": "work", "hazard": "work", "service": "work", "activity": "work", "group_incident": "work",
    "mediation": "work", "late_report": "conduct", "missed_report": "conduct", "complaint": "conduct",
    "absence": "conduct", "suggestion_adopted": "bonus",
}  # fmt: skip


def scorecard_ruleset() -> gp.RuleSet:
    """A monthly 百分制 scorecard over the standard rules: 工作实绩 ≤ 60, 工作纪律 40 deducted
    until exhausted, a bonus ≤ 10 with a tally, patrols limited to 3 a day, a veto, four grades.
    Every derived part of a scheme is exercised, on the demo workload's kinds."""
    standard = gp.standard_ruleset()
    rules = [
        attrs.evolve(
            rule,
            section=_SECTIONS.get(rule.kind),
            limit={"day": 3} if rule.kind == "patrol" else None,
            veto=rule.kind == "privacy_breach",
        )
        for rule in standard.rules
    ]
    return gp.RuleSet(
        SCORECARD, "2026.1", "2000-01-01", rules,
        sections=[gp.Section("work", "工作实绩", max=60), gp.Section("conduct", "工作纪律", base=40, min=0, max=40),
                  gp.Section("bonus", "加分", max=10)],
        tallies=[gp.Tally("mediations", ["mediation"], 1, over=2, section="bonus")],
        grades=[gp.GradeBand("excellent", "优秀", min=90), gp.GradeBand("good", "良好", min=80),
                gp.GradeBand("qualified", "合格", min=60), gp.GradeBand("unqualified", "不合格")],
    )  # fmt: skip


class ScorecardRules:
    """Contributes ``scorecard_ruleset()`` through the ordinary hook."""

    @gp.hookimpl
    def gridpoints_rulesets(self) -> list[gp.RuleSet]:
        return [scorecard_ruleset()]


def make_engine(store: str | None = None, *, checks: bool = True, scorecard: bool = False) -> gp.Engine:
    """An engine as a platform would build one: standard rules (or, with ``scorecard``, the
    benchmark scorecard), built-in checks, coefficients."""
    return gp.Engine(
        store, load_entrypoints=False, clock=lambda: NOW, coefficients=COEFFICIENTS, checks=checks,
        ruleset=SCORECARD if scorecard else "standard", plugins=[ScorecardRules()] if scorecard else [],
    )  # fmt: skip
