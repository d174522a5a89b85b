"""What-if (积分分析会): rescore a period's booked events under a proposed rule set.

Nothing touches the engine's ledger. The period's booked events are streamed from the store and
run through a throwaway ``Pipeline`` (the proposed rules, the engine's coefficients, no checks:
the events already passed review) into a ``ScoreSink``, a write-only transaction that keeps
only sums per member, month and kind — memory grows with members, not with events. Entries
that score no event (period awards, reversals, decisions) are carried over unchanged. The
proposed report is then built by the same ``build_report`` as a real one and compared row by row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal

import attrs

from gridpoints.errors import StoreError
from gridpoints.ledger import GENESIS
from gridpoints.model import Event, Grade
from gridpoints.outcomes import Rejection
from gridpoints.periods import Period
from gridpoints.reports import Report
from gridpoints.rules import RuleSet
from gridpoints.stores import EVENT_REASONS, CapKey, EventRow, Store

__all__ = [
    "Overlay",
    "ScoreSink",
    "WhatIf",
    "WhatIfRow",
    "carry_over",
    "compare",
    "proposed_versions",
    "replay_events",
]


@attrs.frozen
class WhatIfRow:
    """One member's result now and under the proposed rules."""

    member_id: str
    name: str | None
    region: str
    old_score: Decimal
    new_score: Decimal
    old_grade: Grade
    new_grade: Grade
    old_rank: int
    new_rank: int

    @property
    def delta(self) -> Decimal:
        """``new_score − old_score``."""
        return self.new_score - self.old_score

    @property
    def changed(self) -> bool:
        """Whether the score, grade or rank would change."""
        return (self.old_score, self.old_grade, self.old_rank) != (self.new_score, self.new_grade, self.new_rank)


@attrs.frozen
class WhatIf:
    """The comparison: rows ordered by new rank then member id, and events the proposal could not score."""

    period: str
    ruleset: str
    version: str
    rows: tuple[WhatIfRow, ...]
    unscored: tuple[Rejection, ...] = ()

    def __iter__(self) -> Iterator[WhatIfRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def row(self, member_id: str) -> WhatIfRow:
        """The row of one member (KeyError if not assessed)."""
        for row in self.rows:
            if row.member_id == member_id:
                return row
        raise KeyError(member_id)

    def changed(self) -> list[WhatIfRow]:
        """Rows whose score, grade or rank would change."""
        return [row for row in self.rows if row.changed]

    def grade_changes(self) -> list[WhatIfRow]:
        """Rows whose grade would change (who would change grade under the proposal)."""
        return [row for row in self.rows if row.old_grade is not row.new_grade]


def proposed_versions(proposed: RuleSet | Iterable[RuleSet], period: Period) -> list[RuleSet]:
    """The proposal's versions, the first made effective no later than the period's first day,
    so a proposal dated in the future still applies to the period being discussed."""
    versions = [proposed] if isinstance(proposed, RuleSet) else list(proposed)
    if not versions or not all(isinstance(v, RuleSet) for v in versions):
        raise TypeError(f"proposed: {proposed!r} is not a RuleSet, a list of RuleSet versions or a TOML path")
    versions.sort(key=lambda v: v.effective_from)
    if versions[0].effective_from > period.first_day:
        versions[0] = attrs.evolve(versions[0], effective_from=period.first_day)
    return versions


def replay_events(store: Store, months: Sequence[str]) -> Iterator[Event]:
    """The booked events of the months, streamed from the store."""
    for event_id, payload in store.booked_events(months):
        yield Event.from_payload(event_id, payload)


class ScoreSink:
    """A write-only ``Transaction`` for simulations: it keeps sums, not entries.

    It starts empty, so it knows no event ids, no history and no cap totals (the pipeline keeps
    running cap totals for the whole call itself). It answers the report aggregates.
    """

    def __init__(self) -> None:
        self.head: tuple[int, str] = (0, GENESIS)
        self._cents: dict[tuple[str, str, str], int] = {}

    def add(self, member_id: str, month: str, kind: str, cents: int) -> None:
        """Count ``cents`` for a member's kind in a month."""
        key = (member_id, month, kind)
        self._cents[key] = self._cents.get(key, 0) + cents

    # -- Transaction -------------------------------------------------------------------

    def lookup(self, event_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """Nothing is stored, so nothing is known."""
        return {}

    def history(self, member_ids: Sequence[str], start_us: int, end_us: int) -> list[tuple[str, str]]:
        """No history: simulations run without checks."""
        return []

    def cap_totals(self, keys: Iterable[CapKey]) -> dict[CapKey, int]:
        """No earlier entries."""
        return {}

    def append(self, entries: Sequence[tuple[object, ...]], events: Sequence[EventRow]) -> None:
        """Add the entries' points to the sums; drop everything else."""
        for row in entries:
            self.add(str(row[1]), str(row[4]), str(row[3]), int(row[6]))  # type: ignore[call-overload]
        if entries:
            self.head = (int(entries[-1][0]), str(entries[-1][16]))  # type: ignore[call-overload]

    def set_status(self, event_id: str, status: str) -> None:
        """Simulations decide nothing."""
        raise StoreError("a simulation cannot change an event's status")

    def is_settled(self, period: str) -> bool:
        """Simulations settle nothing."""
        return False

    def mark_settled(self, period: str, head_seq: int) -> None:
        """Simulations settle nothing."""
        raise StoreError("a simulation cannot settle a month")

    # -- aggregates ----------------------------------------------------------------------

    def totals(self, periods: Iterable[str], *, member_id: str | None = None) -> dict[str, int]:
        """member → hundredths over the months."""
        months = set(periods)
        result: dict[str, int] = {}
        for (member, month, _kind), cents in self._cents.items():
            if month in months and (member_id is None or member == member_id):
                result[member] = result.get(member, 0) + cents
        return result

    def totals_by_kind(self, periods: Iterable[str]) -> dict[str, dict[str, int]]:
        """member → kind → hundredths over the months."""
        months = set(periods)
        result: dict[str, dict[str, int]] = {}
        for (member, month, kind), cents in self._cents.items():
            if month in months:
                kinds = result.setdefault(member, {})
                kinds[kind] = kinds.get(kind, 0) + cents
        return result

    def totals_by_month(self, periods: Iterable[str]) -> dict[str, dict[str, int]]:
        """member → month → hundredths over the months."""
        months = set(periods)
        result: dict[str, dict[str, int]] = {}
        for (member, month, _kind), cents in self._cents.items():
            if month in months:
                by_month = result.setdefault(member, {})
                by_month[month] = by_month.get(month, 0) + cents
        return result


def carry_over(store: Store, months: Sequence[str], sink: ScoreSink) -> None:
    """Add the months' entries that score no event (period awards, reversals…) to ``sink``."""
    for row in store.entry_rows(periods=months):
        if row[13] not in EVENT_REASONS:
            sink.add(str(row[1]), str(row[4]), str(row[3]), int(row[6]))  # type: ignore[call-overload]


class Overlay:
    """Aggregates of the simulated months from ``simulated``; any other month from ``real``."""

    def __init__(self, simulated: ScoreSink, real: Store, months: Iterable[str]) -> None:
        self.simulated = simulated
        self.real = real
        self.months = frozenset(months)

    def _simulated(self, periods: Iterable[str]) -> tuple[bool, list[str]]:
        wanted = list(periods)
        return set(wanted) <= self.months, wanted

    def totals(self, periods: Iterable[str], *, member_id: str | None = None) -> Mapping[str, int]:
        """member → hundredths."""
        simulated, wanted = self._simulated(periods)
        source = self.simulated if simulated else self.real
        return source.totals(wanted, member_id=member_id)

    def totals_by_kind(self, periods: Iterable[str]) -> Mapping[str, Mapping[str, int]]:
        """member → kind → hundredths."""
        simulated, wanted = self._simulated(periods)
        return self.simulated.totals_by_kind(wanted) if simulated else self.real.totals_by_kind(wanted)

    def totals_by_month(self, periods: Iterable[str]) -> Mapping[str, Mapping[str, int]]:
        """member → month → hundredths."""
        simulated, wanted = self._simulated(periods)
        return self.simulated.totals_by_month(wanted) if simulated else self.real.totals_by_month(wanted)


def compare(current: Report, proposed: Report, ruleset: RuleSet, unscored: Sequence[Rejection]) -> WhatIf:
    """Pair the rows of the current and the proposed report."""
    new = {row.member_id: row for row in proposed}
    rows = [
        WhatIfRow(
            member_id=old.member_id,
            name=old.name,
            region=old.region,
            old_score=old.score,
            new_score=new[old.member_id].score,
            old_grade=old.grade,
            new_grade=new[old.member_id].grade,
            old_rank=old.rank,
            new_rank=new[old.member_id].rank,
        )
        for old in current
    ]
    rows.sort(key=lambda r: (r.new_rank, r.member_id))
    return WhatIf(str(current.period), ruleset.id, ruleset.version, tuple(rows), tuple(unscored))
