"""What-if (积分分析会): rescore a period's booked events under a proposed rule set.

Nothing touches the engine's ledger. The period's booked events are streamed from the store,
run through a throwaway ``Pipeline`` (the proposed rules, the engine's coefficients, no checks:
the events already passed review) into a ``MemoryStore``; entries that no rule produced
(period awards, reversals, corrections) are carried over unchanged. The proposed report is
then built by the same ``build_report`` as a real one and compared row by row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal

import attrs

from gridpoints.ledger import chain_hash, entry_bytes
from gridpoints.model import Event, Grade
from gridpoints.outcomes import Rejection
from gridpoints.periods import Period
from gridpoints.reports import Report
from gridpoints.rules import RuleSet
from gridpoints.stores import EVENT_REASONS, Store
from gridpoints.stores.memory import MemoryStore

__all__ = ["Overlay", "WhatIf", "WhatIfRow", "carry_over", "compare", "proposed_versions", "replay_events"]


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


def carry_over(store: Store, months: Sequence[str], target: MemoryStore) -> None:
    """Copy the months' entries that no rule produced (period awards…) into ``target``, re-chained."""
    with target.transaction() as tx:
        seq, prev = tx.head
        rows: list[tuple[object, ...]] = []
        for row in store.entry_rows(periods=months):
            if row[13] in EVENT_REASONS:
                continue
            seq += 1
            body = (seq, *row[1:15])
            digest = chain_hash(prev, entry_bytes(body))
            rows.append((*body, prev, digest))
            prev = digest
        tx.append(rows, [])


class Overlay:
    """Aggregates of the simulated months from ``simulated``; any other month from ``real``."""

    def __init__(self, simulated: MemoryStore, real: Store, months: Iterable[str]) -> None:
        self.simulated = simulated
        self.real = real
        self.months = frozenset(months)

    def _source(self, periods: Iterable[str]) -> tuple[Store, list[str]]:
        wanted = list(periods)
        return (self.simulated if set(wanted) <= self.months else self.real), wanted

    def totals(self, periods: Iterable[str], *, member_id: str | None = None) -> Mapping[str, int]:
        """member → hundredths."""
        source, wanted = self._source(periods)
        return source.totals(wanted, member_id=member_id)

    def totals_by_kind(self, periods: Iterable[str]) -> Mapping[str, Mapping[str, int]]:
        """member → kind → hundredths."""
        source, wanted = self._source(periods)
        return source.totals_by_kind(wanted)

    def totals_by_month(self, periods: Iterable[str]) -> Mapping[str, Mapping[str, int]]:
        """member → month → hundredths."""
        source, wanted = self._source(periods)
        return source.totals_by_month(wanted)


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
