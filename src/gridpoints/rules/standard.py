"""The standard rule set from the source article (see docs/rules.md for the readings)."""

from __future__ import annotations

from datetime import date

from gridpoints.rules._types import Rule, RuleSet

__all__ = ["STANDARD_VERSION", "standard_ruleset"]

STANDARD_VERSION = "2026.1"


def standard_ruleset() -> RuleSet:
    """The article's table; in effect from 2000-01-01 so any historical event can be scored."""
    return RuleSet(
        "standard",
        STANDARD_VERSION,
        date(2000, 1, 1),
        [
            Rule("patrol", 5, label="巡查", label_en="patrol"),
            Rule("hazard", 20, label="发现重大隐患", label_en="major hazard found", when={"severity": "major"}),
            Rule("hazard", 10, label="发现隐患", label_en="hazard found"),
            Rule("mediation", 15, label="调解纠纷", label_en="dispute mediated"),
            Rule("group_incident", 30, label="化解群体性事件", label_en="group incident defused"),
            Rule("service", 10, label="民生服务", label_en="service for residents"),
            Rule("activity", 5, label="组织社区活动", label_en="community activity"),
            Rule("suggestion_adopted", 20, label="建议被采纳", label_en="suggestion adopted"),
            Rule("late_report", -3, label="迟报", label_en="late report"),
            Rule("missed_report", -5, label="漏报", label_en="missed report"),
            Rule(
                "complaint",
                -20,
                label="有效投诉（严重）",
                label_en="valid complaint (serious)",
                when={"severity": "serious"},
            ),
            Rule("complaint", -10, label="有效投诉", label_en="valid complaint"),
            Rule("absence", -5, label="无故缺勤", label_en="unexcused absence"),
            Rule("privacy_breach", -30, label="泄露隐私", label_en="privacy breach"),
            Rule("rating", 0, label="群众评价", label_en="resident rating"),
        ],
        label="标准积分规则",
    )
