"""What the HTML pack says, in Chinese and English: one table, looked up by key."""

from __future__ import annotations

from collections.abc import Mapping

from gridpoints.results._text import check_lang

__all__ = ["WORDS", "Words"]

WORDS: Mapping[str, tuple[str, str]] = {
    "pack_title": ("{period} 网格员积分分析", "Grid workers' results, {period}"),
    "notice_title": ("{period} 网格员积分公示", "Grid workers' results, {period}: public notice"),
    "made_at": ("生成于 {when}", "made {when}"),
    "not_settled": (
        "本期尚未结算：不含周期奖励（群众满意度）。",
        "The period is not settled yet: period awards (resident satisfaction) are not included.",
    ),
    "headline": ("概况", "At a glance"),
    "assessed": ("参评人数", "members assessed"),
    "mean": ("平均分", "mean score"),
    "median": ("中位数", "median score"),
    "held": ("待审核事件", "events held for review"),
    "open_appeals": ("待处理申诉", "appeals waiting"),
    "none": ("无", "none"),
    "distribution": ("积分分布", "Score distribution"),
    "distribution_note": (
        "每一柱为一个分数段的人数，颜色为该分数段的等级；虚线为等级分界。",
        "Each bar counts the members in one score range, coloured by that range's grade; "
        "dashed lines are the grade thresholds.",
    ),
    "distribution_no_bands": (
        "等级由插件评定，分界未知，未标出。",
        "Grades come from a plugin whose thresholds are not known, so none are marked.",
    ),
    "score": ("积分", "score"),
    "average": ("月均积分", "average monthly score"),
    "members": ("人数", "members"),
    "grades_by_region": ("各区域等级分布", "Grades by region"),
    "grades_by_grid": ("各网格等级分布", "Grades by grid"),
    "no_grid": ("（无网格）", "(no grid)"),
    "trend": ("近 {n} 个月平均分", "Mean score over the last {n} months"),
    "trend_note": (
        "空缺的月份台账中还没有记录（考核尚未开始）。",
        "A gap is a month with nothing booked in the ledger yet (before the assessment began).",
    ),
    "month": ("月份", "month"),
    "accountability": ("问责人员（连续 3 个月不合格）", "Accountability (unqualified 3 months running)"),
    "accountability_none": ("本期无问责人员。", "Nobody is accountable this period."),
    "accountability_monthly": (
        "问责按月判定，季度、半年和年度报告不标记。",
        "Accountability is a monthly judgement; quarter, half-year and year reports carry no flag.",
    ),
    "qualifying": ("合格线", "qualifying score"),
    "held_by_check": ("待审核事件（按检查项）", "Events held for review, by check"),
    "held_none": ("本期没有待审核的事件。", "No event of this period is waiting for review."),
    "held_note": (
        "被防刷分检查拦下、尚待人工审核的本期事件。",
        "Events of the period that an anti-gaming check held and nobody has decided yet.",
    ),
    "check": ("检查项", "check"),
    "kind": ("事件类型", "kind"),
    "events": ("事件数", "events"),
    "points_by_kind": ("积分构成（按事件类型）", "Points by kind"),
    "points": ("积分", "points"),
    "movers": ("升降", "Movers"),
    "movers_against": ("与 {previous} 相比", "against {previous}"),
    "movers_none": ("没有可比较的上期结果。", "No earlier result to compare with."),
    "risers": ("上升最多", "Biggest rises"),
    "fallers": ("下降最多", "Biggest falls"),
    "before": ("上期积分", "score before"),
    "rank_before": ("上期排名", "rank before"),
    "change": ("变化", "change"),
    "ranking": ("排名", "Ranking"),
    "whatif": ("规则调整测算", "What-if under the proposed rules"),
    "whatif_rules": ("方案：{ruleset} {version}", "proposal: {ruleset} {version}"),
    "whatif_changes": ("等级变化人数", "members whose grade changes"),
    "whatif_none": ("没有人的等级变化。", "Nobody's grade changes."),
    "whatif_note": (
        "每一点为一名网格员：横轴现行积分，纵轴方案积分；对角线上为不变，红点为等级变化。",
        "One point per member: current score across, proposed score up; on the diagonal nothing "
        "changes, red points change grade.",
    ),
    "current_score": ("现行积分", "current score"),
    "proposed_score": ("方案积分", "proposed score"),
    "same_grade": ("等级不变", "same grade"),
    "grade_changed": ("等级变化", "grade changes"),
    "notice_intro": (
        "现将 {period} 网格员积分考核结果公示如下（共 {count} 人）。",
        "The results of the {period} assessment of grid workers are published below ({count} members).",
    ),
    "notice_footer": (
        "如对本人考核结果有异议，请在公示期内向考核办公室提出申诉。",
        "A member who disagrees with their result may appeal to the assessment office during the notice period.",
    ),
    "chart_data": ("图表数据", "chart data"),
}


class Words:
    """The pack's words in one language: ``words["assessed"]``, ``words("trend", n=6)``."""

    def __init__(self, lang: str) -> None:
        self.lang = check_lang(lang)

    def __getitem__(self, key: str) -> str:
        pair = WORDS[key]
        return pair[0] if self.lang == "zh" else pair[1]

    def __call__(self, key: str, **values: object) -> str:
        return self[key].format(**values)
