"""Notes the command line adds when a result is empty: said, not an error (exit code 0)."""

from __future__ import annotations

from gridpoints.results.pack import has_entries
from gridpoints.results.reports import Report

__all__ = ["empty_report_note"]


def empty_report_note(report: Report, lang: str) -> str | None:
    """Why the report shows nothing worth reading — no member assessed, or nothing booked — in
    ``lang``; None when it has results."""
    period = report.period
    if not len(report):
        if lang == "zh":
            return f"提示：{period} 没有参加考核的网格员（请先导入网格员：gridpoints members FILE）"
        return f"note: no member is assessed in {period} (import members first: gridpoints members FILE)"
    if not has_entries(report):
        if lang == "zh":
            return f"提示：{period} 没有任何积分记录，所有人得分为 0（请先导入事件：gridpoints ingest FILE）"
        return f"note: nothing is booked in {period}, so every score is 0 (import events first: gridpoints ingest FILE)"
    return None
