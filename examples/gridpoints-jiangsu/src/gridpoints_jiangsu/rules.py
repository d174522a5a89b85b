"""The Jiangsu city's rule set (the source article's second table) and its regional coefficients."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import gridpoints as gp

__all__ = ["COEFFICIENTS", "RULESET_ID", "VERSION", "jiangsu_ruleset"]

RULESET_ID = "jiangsu"
VERSION = "2026.1-js"

#: Region → coefficient on positive awards: rural grids cover more ground per worker.
COEFFICIENTS = {"rural": Decimal("1.2"), "suburban": Decimal("1.1")}


def jiangsu_ruleset() -> gp.RuleSet:
    """Patrol +5 (at most +10 a day), hazard +10, mediation +10, complaint −10, late report −3."""
    return gp.RuleSet(
        RULESET_ID,
        VERSION,
        date(2000, 1, 1),
        [
            gp.Rule("patrol", 5, label="巡查", label_en="patrol", cap={"day": 10}),
            gp.Rule("hazard", 10, label="发现隐患", label_en="hazard found"),
            gp.Rule("mediation", 10, label="调解纠纷", label_en="dispute mediated"),
            gp.Rule("complaint", -10, label="有效投诉", label_en="valid complaint"),
            gp.Rule("late_report", -3, label="迟报", label_en="late report"),
        ],
        coefficients=COEFFICIENTS,
        label="江苏某市积分规则",
    )
