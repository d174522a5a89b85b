"""The source article's worked example: 小李 (urban), one month → 127 points.

Run: python examples/worked_example.py [STORE]   (default: worked_example.db, SQLite)
"""

from __future__ import annotations

import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import gridpoints as gp

SHANGHAI = ZoneInfo("Asia/Shanghai")


def month_of_xiao_li() -> list[gp.Event]:
    """20 patrols on 20 days (+100), 2 mediations with evidence (+30), 1 late report (−3)."""
    events = [
        gp.Event(f"patrol-{day}", "M001", "patrol", datetime(2026, 11, day, 9, tzinfo=SHANGHAI)) for day in range(1, 21)
    ]
    events += [
        gp.Event(
            f"mediation-{n}",
            "M001",
            "mediation",
            datetime(2026, 11, 5 + n, 15, tzinfo=SHANGHAI),
            attributes={"evidence": f"photo-{n}.jpg"},
        )
        for n in (1, 2)
    ]
    events.append(gp.Event("late-1", "M001", "late_report", datetime(2026, 11, 12, 10, tzinfo=SHANGHAI)))
    return events


def main(store: str = "worked_example.db") -> int:
    with gp.Engine(store) as engine:
        engine.add_members([gp.Member(id="M001", region="urban", name="小李")])
        result = engine.ingest(month_of_xiao_li())
        print(f"ingest: {result.counts()}")
        for entry in engine.explain("M001", "2026-11"):
            print(f"  #{entry.seq:<3} {entry.kind:<12} {entry.points:>7}  {entry.hash[:12]}")
        score = engine.score("M001", "2026-11")
        row = engine.report("2026-11").row("M001")
        print(f"小李 2026-11: {score} points, {row.grade.label_zh} ({row.grade.value}), rank {row.rank}")
        print(f"ledger intact: {bool(engine.ledger.verify())}")
        return 0 if score == 127 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
