"""A month of results for 500 grid workers: settle, report, explain, what-if and exports.

Run: python examples/monthly_results.py [OUTPUT_DIR]   (default: the current directory)

Uses the deterministic demo months (``gridpoints.demo``) from May to October 2026 — the five
before October give the HTML pack its trend, movers and accountable members — then:
settles the months (resident satisfaction), prints October's summary and top rows, explains
the best member's score, asks what the Jiangsu table would change, and writes October's report
as CSV (Excel-ready), JSON and — when openpyxl is installed — xlsx, with names masked; and —
with the extra ``gridpoints[html]`` — the month on one page (``results-2026-10.html``, with the
Jiangsu what-if) and the public notice (``notice-2026-10.html``).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import attrs

import gridpoints as gp
from gridpoints.demo import demo_events, demo_members

MONTH = "2026-10"
HISTORY = ("2026-05", "2026-06", "2026-07", "2026-08", "2026-09")


def jiangsu() -> gp.RuleSet:
    """The article's Jiangsu table as a proposal: mediation +10, complaint −10 (any severity)."""
    rules = []
    for rule in gp.standard_ruleset().rules:
        if rule.kind == "mediation":
            rule = gp.Rule("mediation", 10, label="调解纠纷", label_en="dispute mediated", id=rule.id)
        elif rule.kind == "complaint":
            if rule.when:
                continue
            rule = gp.Rule("complaint", -10, label="有效投诉", label_en="valid complaint", id=rule.id)
        rules.append(rule)
    return gp.RuleSet("jiangsu", "2027.1", date(2027, 1, 1), rules)


def main(out: Path) -> None:
    engine = gp.Engine(coefficients={"rural": "1.2", "suburban": "1.1"}, load_entrypoints=False)
    # The ledger starts in May: say so with `joined`, or the empty months before it would
    # count as unqualified months for the accountability flag (see docs/reports.md).
    members = [attrs.evolve(m, joined=date(2026, 5, 1)) for m in demo_members(500)]
    engine.add_members(members)
    for month in HISTORY:
        engine.ingest(demo_events(members, month))
        engine.settle(month)
    result = engine.ingest(demo_events(members, MONTH))
    print(f"{len(result.accepted)} events booked, {len(result.held)} held for review")

    settled = engine.settle(MONTH)
    print(f"settled {MONTH}: {len(settled.awards)} satisfaction awards")

    report = engine.report(MONTH)
    summary = report.summary(n=3)
    print(f"mean {summary.mean}, median {summary.median}; grades:", {g.label_zh: n for g, n in summary.grades.items()})
    for row in summary.top:
        print(
            f"  {row.rank:>3} {row.member_id} {gp.mask_name(row.name)} {row.score} {row.grade.label_zh} "
            f"{row.percentile}% {'金牌' if 'gold' in row.titles else ''}"
        )
    print(
        f"gold: {sum('gold' in r.titles for r in report)}, accountability: "
        f"{sum('accountability' in r.flags for r in report)}"
    )

    print(engine.explain(report.rows[0].member_id, MONTH).text("zh"))

    what_if = engine.simulate(jiangsu(), MONTH)
    changes = what_if.grade_changes()
    rescored = [r for r in what_if if r.delta]
    print(f"under the Jiangsu table {len(rescored)} scores change, {len(changes)} grades:")
    for row in changes[:5]:
        grades = f"{row.old_grade.label_zh} → {row.new_grade.label_zh}"
        print(f"  {row.member_id} {row.old_score} → {row.new_score}  {grades}")

    out.mkdir(parents=True, exist_ok=True)
    engine.export_report(report, out / f"report-{MONTH}.csv", mask_names=True)
    engine.export_report(report, out / f"report-{MONTH}.json", lang="en")
    try:
        engine.export_report(report, out / f"report-{MONTH}.xlsx", mask_names=True)
    except ImportError as error:
        print(error)
    print(f"wrote {out / f'report-{MONTH}.csv'} and friends")

    # The month on one page for the analysis meeting (with the Jiangsu what-if), and the notice.
    try:
        engine.export_report(report, out / f"results-{MONTH}.html", proposed=jiangsu())
        engine.export_report(report, out / f"notice-{MONTH}.html", public=True)
    except ImportError as error:
        print(error)
    else:
        print(f"wrote {out / f'results-{MONTH}.html'} and {out / f'notice-{MONTH}.html'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd())
