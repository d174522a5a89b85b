"""What the tests build on: a fixed clock and members, ledgers set up, and check and rule plugins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.ledger import chain_hash, entry_bytes
from gridpoints.ledger.decisions import decision_digest
from gridpoints.schema import DecisionRow, EntryRow, EntryValues, EventRow, PeriodCloseRow

RowType = type[EntryRow] | type[EventRow] | type[DecisionRow] | type[PeriodCloseRow]

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: The engines' clock: a fixed "now", so no event of the suite is ever in the future.
NOW = datetime(2027, 6, 1, tzinfo=SHANGHAI)
OCT = 10


def at(day: int, hour: int = 9, month: int = 11, year: int = 2026) -> datetime:
    """A Shanghai time in November 2026 by default."""
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


def xiao_li_month(member: str = "M001") -> list[gp.Event]:
    """The article's worked example: 20 patrols, 2 mediations with evidence, 1 late report (127)."""
    events = [gp.Event(f"{member}-patrol-{d}", member, "patrol", at(d)) for d in range(1, 21)]
    events += [
        gp.Event(f"{member}-mediation-{n}", member, "mediation", at(5 + n, 15),
                 attributes={"evidence": f"photo-{n}.jpg"})
        for n in (1, 2)
    ]
    events.append(gp.Event(f"{member}-late-1", member, "late_report", at(12, 10)))
    return events


def complaint_patrol_hazard(engine: gp.Engine) -> dict[str, gp.Entry]:
    """M1: a complaint (−10), a patrol (+5) and a late-reported hazard (+10, −3 derived), by
    ``event_id/reason``."""
    engine.add_members([gp.Member(id="M1", region="urban"), gp.Member(id="M2", region="urban")])
    result = engine.ingest([
        gp.Event("c1", "M1", "complaint", at(3)),
        gp.Event("p1", "M1", "patrol", at(4)),
        gp.Event("h1", "M1", "hazard", at(5), reported_at=at(5) + timedelta(hours=30)),
    ])
    assert len(result.accepted) == 3
    return {f"{e.event_id}/{e.reason}": e for e in engine.explain("M1", "2026-11")}


def october(engine: gp.Engine) -> None:
    """Two members' October: three events booked, one mediation held (no evidence)."""
    engine.add_members([gp.Member(id="M1", region="urban", grid="G1"), gp.Member(id="M2", region="urban")])
    result = engine.ingest([
        gp.Event("p1", "M1", "patrol", at(3, month=OCT)),
        gp.Event("s1", "M1", "service", at(4, month=OCT)),
        gp.Event("p2", "M2", "patrol", at(5, month=OCT)),
        gp.Event("m1", "M2", "mediation", at(6, month=OCT)),  # held: no evidence
    ])
    assert result.held == ("m1",)


def rate(engine: gp.Engine, member_id: str, stars: list[int], month: int = 11) -> None:
    """Book one ``rating`` event per star count, on consecutive days of the month."""
    first = len(engine.store.event_rows())
    events = [
        gp.Event(f"r{first + i}", member_id, "rating", at(1 + i, month=month), attributes={"stars": s})
        for i, s in enumerate(stars)
    ]
    result = engine.ingest(events)
    assert len(result.accepted) == len(stars), result


def chained(head: tuple[int, str], fields: Sequence[tuple[Any, ...]]) -> list[EntryValues]:
    """Entry rows continuing the chain at ``head``, from their fields ``member_id`` … ``ref``."""
    seq, prev = head
    rows: list[EntryValues] = []
    for values in fields:
        seq += 1
        digest = chain_hash(prev, entry_bytes((seq, *values)))
        rows.append((seq, *values, prev, digest))
        prev = digest
    return rows


def decision(
    seq: int, action: str, subject: str, moment: datetime, detail: str = "", **entry: str
) -> tuple[DecisionRow, tuple[Any, ...]]:
    """A decision row and its zero-point ledger entry's fields (``member_id`` … ``ref``)."""
    row = DecisionRow(seq, action, subject, "主任", moment.astimezone(UTC).isoformat(), "ok", detail)
    fields = (entry.get("member_id", ""), entry.get("event_id", ""), "decision", entry["month"], entry["day"], 0,
              "1", "0", action, "", "", decision_digest(row), "decision", entry.get("ref", ""))
    return row, fields


class HoldFlagged(gp.Check):
    """Holds events whose attributes say ``flag=yes`` — a stand-in for any anti-gaming check."""

    name = "flagged"

    def judge(self, event: gp.Event, at_us: int, timeline: gp.Timeline) -> gp.Verdict | None:
        if event.attributes.get("flag") == "yes":
            return gp.Verdict.hold(self.name, "flagged for review")
        return None


class HoldRepeatsAtOneLocation(gp.Check):
    """Holds a patrol at a location the member already patrolled within an hour (needs history)."""

    name = "repeat"
    kinds = frozenset({"patrol"})
    window = timedelta(hours=1)
    needs = frozenset({"location"})

    def judge(self, event: gp.Event, at_us: int, timeline: gp.Timeline) -> gp.Verdict | None:
        place = event.attributes.get("location")
        hour = 3_600_000_000
        for other in timeline.between(at_us - hour, at_us + hour, kind="patrol"):
            if place is not None and other.attributes.get("location") == place:
                return gp.Verdict.hold(self.name, "same place within an hour", ref=other.id)
        return None


class ChecksPlugin:
    def __init__(self, *checks: gp.Check) -> None:
        self.checks = checks

    @gp.hookimpl
    def gridpoints_checks(self) -> list[gp.Check]:
        return list(self.checks)


class RaiseOnNth(gp.Check):
    """A check that fails on the n-th event it sees: a fault in the middle of a batch."""

    name = "faulty"

    def __init__(self, n: int) -> None:
        self.n = n
        self.seen = 0

    def judge(self, event: gp.Event, at_us: int, timeline: gp.Timeline) -> gp.Verdict | None:
        self.seen += 1
        if self.seen == self.n:
            raise RuntimeError(f"fault at event {self.n}")
        return None


class LocalRules:
    """A locality with a month cap, so cap totals are read back from the store."""

    @gp.hookimpl
    def gridpoints_rulesets(self) -> list[gp.RuleSet]:
        return [gp.RuleSet("capped", "1", "2000-01-01", [gp.Rule("complaint", -10, cap={"month": 25}),
                                                        gp.Rule("patrol", 5)])]


class LimitedRules:
    """A locality with a count limit of two visits a day, read back from the store across calls."""

    @gp.hookimpl
    def gridpoints_rulesets(self) -> list[gp.RuleSet]:
        return [gp.RuleSet("limited", "1", "2000-01-01", [gp.Rule("visit", 2, limit={"day": 2}),
                                                         gp.Rule("case", 3, limit={"month": "2.5"})])]


class LimitedAndCappedRules:
    """A count limit and a cap on one rule, and on the late_report rule whose deductions are
    derived from late reports: entries the limit cuts, the cap clips, or both (the limit first)."""

    @gp.hookimpl
    def gridpoints_rulesets(self) -> list[gp.RuleSet]:
        return [gp.RuleSet("both", "1", "2000-01-01", [gp.Rule("visit", 2, limit={"day": 2}, cap={"day": 3}),
                                                      gp.Rule("hazard", 10),
                                                      gp.Rule("late_report", -3, limit={"day": 2}, cap={"day": 4})])]


def limited_and_capped() -> list[gp.Event]:
    """For ``LimitedAndCappedRules``, M001: on the 3rd, visits of 1.5 (booked whole), 2 (the limit
    leaves 0.5, whose point the cap clips to 0: reason cap, quantity 0.5) and 1 (beyond the limit:
    0, reason limit); on the 4th a visit booked whole and one the cap clips (reason cap, quantity
    1); three hazards reported 30 hours late on the 5th: their deductions −3 (derived), −1
    (clipped by the cap: reason cap) and 0 (beyond the limit: reason limit)."""
    late = timedelta(hours=30)
    return [
        gp.Event("v1", "M001", "visit", at(3, 8), quantity=Decimal("1.5")),
        gp.Event("v2", "M001", "visit", at(3, 9), quantity=2),
        gp.Event("v3", "M001", "visit", at(3, 10)),
        gp.Event("v4", "M001", "visit", at(4, 8)),
        gp.Event("v5", "M001", "visit", at(4, 9)),
        *(gp.Event(f"h{n}", "M001", "hazard", at(5, 7 + n), reported_at=at(5, 7 + n) + late) for n in (1, 2, 3)),
    ]


#: A rule file of one version (``tmp_path / "local.toml"`` in the settings cases).
LOCAL_RULES = """id = "local"
version = "1"
effective_from = 2000-01-01

[[rules]]
kind = "patrol"
points = 7
"""

MEMBERS = [
    gp.Member(id="M001", region="urban", name="小李", grid="U1", joined="2020-01-01", attributes={"team": "a"}),
    gp.Member(id="M002", region="rural", left="2030-12-31"),
    gp.Member(id="M003", region="urban"),
]

event_ids = st.sampled_from([f"e{n}" for n in range(24)])
events = st.builds(
    lambda event_id, member, kind, day, hour: gp.Event(event_id, member, kind, at(day, hour)),
    event_ids,
    st.sampled_from(["M001", "M002", "M003", "M404"]),
    st.sampled_from(["patrol", "mediation", "complaint", "late_report", "dancing"]),
    st.integers(1, 30),
    st.sampled_from([0, 9, 23]),
)
