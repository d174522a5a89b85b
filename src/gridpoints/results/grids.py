"""Grid-level results (网格考核): one row per grid from a member report, ranked by mean score."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import attrs

from gridpoints._decimal import quantize
from gridpoints.periods import Period
from gridpoints.results.reports import Report, competition_ranks

__all__ = ["GridReport", "GridRow", "grid_report"]


@attrs.frozen
class GridRow:
    """One grid: how many ranked members it has, their mean score (to 0.01) and the grid's rank."""

    grid: str
    members: int
    mean: Decimal
    rank: int


@attrs.frozen
class GridReport:
    """The grids of a period, ordered by rank then grid id."""

    period: Period
    rows: tuple[GridRow, ...]

    def __iter__(self) -> Iterator[GridRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def row(self, grid: str) -> GridRow:
        """The row of one grid (KeyError if no ranked member has it)."""
        for row in self.rows:
            if row.grid == grid:
                return row
        raise KeyError(grid)


def grid_report(report: Report) -> GridReport:
    """Group a member report by grid: members without a grid, and members left out of the
    ranking (not eligible), are not counted; ties in the mean share a rank (1, 2, 2, 4)."""
    scores: dict[str, list[Decimal]] = {}
    for row in report:
        if row.grid is not None and row.rank is not None:
            scores.setdefault(row.grid, []).append(row.score)
    means = {grid: quantize(sum(values, Decimal(0)) / len(values)) for grid, values in scores.items()}
    ranks = competition_ranks(means)
    rows = sorted(
        (GridRow(grid, len(scores[grid]), means[grid], ranks[grid]) for grid in means), key=lambda r: (r.rank, r.grid)
    )
    return GridReport(report.period, tuple(rows))
