"""What-if (积分分析会): rescore a period's booked events under a proposed rule set.

Nothing touches the engine's ledger. The period's booked events are streamed from the store and
run through a throwaway ``Pipeline`` (the proposed rules, the engine's coefficients, no checks:
the events already passed review) into a ``ScoreSink``, a write-only transaction that keeps
only sums per member, month and rule — memory grows with members, not with events. Entries
that score no event (period awards, decisions) are carried over unchanged; reversals are
re-applied to the simulated points (see ``gridpoints.results.simulation``). The proposed report
is then built by the same ``build_report`` (or, for a proposal with an assessment scheme,
``build_scheme_report``) as a real one and compared row by row.

Events may be handed in beside the booked ones (``events=``: a month's file, with a kind the
current rules do not score, say): those the store does not know, of the period's months, are
replayed too, and then the current side is a replay as well — the same events under the
engine's own rules — so the comparison shows the rules' effect alone. ``WhatIf.summary()``
counts what changes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from importlib.resources.abc import Traversable
from itertools import chain
from typing import Any

import attrs

from gridpoints.desk.desk import Desk
from gridpoints.ingest.outcomes import Rejection
from gridpoints.ingest.pipeline import CoefficientLookup, Pipeline
from gridpoints.model import Event, Grade, Member
from gridpoints.periods import Period
from gridpoints.results.reports import Report, build_report
from gridpoints.results.scheme_report import build_scheme_report
from gridpoints.results.simulation import (
    Counted,
    EventsGiven,
    Overlay,
    ScoreSink,
    apply_reversals,
    carry_over,
    kinds_of,
    new_events,
    replay_events,
)
from gridpoints.results.whatif_summary import WhatIfSummary, count_unscored, summarize
from gridpoints.rules import RuleSet
from gridpoints.rules.compiled import CompiledVersion, RuleBook
from gridpoints.rules.toml_file import load_rules

__all__ = ["Grader", "Proposal", "WhatIf", "WhatIfRow", "compare", "proposed_versions", "simulate"]

#: A grading function for a rule set (the engine's ``plugins.grader``).
Grader = Callable[[RuleSet], Callable[[Decimal, Period], Grade]]

#: What ``Engine.simulate`` takes: a rule set, its versions, or a TOML rule file (a path or a
#: package resource).
Proposal = RuleSet | Iterable[RuleSet] | str | os.PathLike[str] | Traversable


@attrs.frozen
class WhatIfRow:
    """One member's result now and under the proposed rules."""

    member_id: str
    name: str | None
    region: str
    old_score: Decimal
    new_score: Decimal
    old_grade: Grade | None
    new_grade: Grade | None
    old_rank: int | None
    new_rank: int | None

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
    """The comparison: rows ordered by new rank then member id, and events the proposal could not score.

    ``unscored_kinds`` maps the id of every event not scored (by either side) to its kind. With
    events handed in, ``events`` says what became of them and ``unscored_now`` lists those the
    current rules cannot score either.
    """

    period: str
    ruleset: str
    version: str
    rows: tuple[WhatIfRow, ...]
    unscored: tuple[Rejection, ...] = ()
    unscored_kinds: Mapping[str, str] = attrs.field(factory=dict)
    events: EventsGiven | None = None
    unscored_now: tuple[Rejection, ...] = ()

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
        return [row for row in self.rows if row.old_grade != row.new_grade]

    def summary(self) -> WhatIfSummary:
        """Grade and rank changes, points moved, and the unscorable events by kind and reason."""
        return summarize(
            self.period,
            self.ruleset,
            self.version,
            self.rows,
            count_unscored(self.unscored, self.unscored_kinds),
            count_unscored(self.unscored_now, self.unscored_kinds),
            self.events,
        )


#: The proposal's first version is taken to be in effect from here on, for every replayed event.
PROPOSAL_START = date(1900, 1, 1)


def proposed_versions(proposed: RuleSet | Iterable[RuleSet]) -> list[RuleSet]:
    """The proposal's versions, the first made effective from ``PROPOSAL_START``: a proposal
    dated next year still applies to every event replayed (late events of a closed month
    included, which occurred before the period being discussed)."""
    versions = [proposed] if isinstance(proposed, RuleSet) else list(proposed)
    if not versions or not all(isinstance(v, RuleSet) for v in versions):
        raise TypeError(f"proposed: {proposed!r} is not a RuleSet, a list of RuleSet versions or a TOML path")
    versions.sort(key=lambda v: v.effective_from)
    if versions[0].effective_from > PROPOSAL_START:
        versions[0] = attrs.evolve(versions[0], effective_from=PROPOSAL_START)
    return versions


def compare(
    current: Report,
    proposed: Report,
    ruleset: RuleSet,
    unscored: Sequence[Rejection],
    *,
    unscored_kinds: Mapping[str, str] | None = None,
    events: EventsGiven | None = None,
    unscored_now: Sequence[Rejection] = (),
) -> WhatIf:
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
    rows.sort(key=lambda r: (r.new_rank is None, r.new_rank or 0, r.member_id))
    return WhatIf(
        str(current.period), ruleset.id, ruleset.version, tuple(rows), tuple(unscored),
        dict(unscored_kinds or {}), events, tuple(unscored_now),
    )


@attrs.frozen
class _Replay:
    """One side of a what-if: the report of the replayed events, and the events it could not score."""

    report: Report
    version: CompiledVersion
    rejected: tuple[Rejection, ...]
    kinds: dict[str, str]


@attrs.frozen
class _Current:
    """What the engine scores with now: its desk (store, zone, clock), members, rules,
    coefficients and grades."""

    desk: Desk
    members: Sequence[Member]
    rulebook: RuleBook
    coefficient: CoefficientLookup
    grader: Grader


def _replay(
    current: _Current, rulebook: RuleBook, period: Period, coefficient: CoefficientLookup, extra: Sequence[Event]
) -> _Replay:
    """The period's booked events, then ``extra``, through a throwaway pipeline on ``rulebook``."""
    store, tz, members = current.desk.store, current.desk.tz, current.members
    months = [str(m) for m in period.months()]
    closed = {row.period for row in store.period_closes()} - set(months)
    sink = ScoreSink(closed)
    pending = carry_over(store, months, sink)
    pipeline = Pipeline(
        tz=tz,
        rulebook=rulebook,
        checks=[],
        coefficient=coefficient,
        members={m.id: m for m in members},
        clock=current.desk.clock,
    )
    booked = Counted(replay_events(store, months))
    result = pipeline.ingest(sink, chain(booked, extra))
    apply_reversals(sink, pending)
    version = rulebook.version_at(period.end(tz) - timedelta(microseconds=1)) or rulebook.latest
    grader = current.grader(version.ruleset)
    sums = Overlay(sink, store, months)
    if version.ruleset.is_scheme:
        report = build_scheme_report(period, members, sums, rulebook, tz, grader)
    else:
        report = build_report(period, members, sums, grader, scale=version.ruleset.scale,
                              title=version.ruleset.title("gold"))
    # Kinds of the events not scored: the given ones are at hand, the booked ones are looked up.
    kinds = {extra[r.index - booked.count].id: extra[r.index - booked.count].kind
             for r in result.rejected if r.index >= booked.count}
    kinds.update(kinds_of(store, [r.event_id for r in result.rejected
                                  if r.index < booked.count and r.event_id is not None]))
    return _Replay(report, version, result.rejected, kinds)


def simulate(
    desk: Desk,
    proposed: Proposal,
    period: str | Period,
    *,
    members: Sequence[Member],
    rulebook: RuleBook,
    coefficient: CoefficientLookup,
    proposed_coefficient: CoefficientLookup,
    grader: Grader,
    report: Callable[[Period], Report],
    events: Iterable[Event | Mapping[str, Any]] | None = None,
) -> WhatIf:
    """Rescore ``period``'s booked events (and ``events``, see the module doc) under ``proposed``.

    What the engine scores with now: ``members``, ``rulebook``, ``coefficient``, ``grader`` and
    ``report`` (its report of a period, frozen for a closed month). ``proposed_coefficient`` is
    the same coefficient look-up with a fresh cache: a proposal may reuse a version string with a
    different coefficient table.
    """
    parsed = Period.parse(period)
    if isinstance(proposed, (str, os.PathLike, Traversable)):
        proposed = load_rules(proposed)
    current = _Current(desk, members, rulebook, coefficient, grader)
    proposed_book = RuleBook(proposed_versions(proposed), desk.tz)
    extra: list[Event] = []
    given: EventsGiven | None = None
    if events is not None:
        extra, given = new_events(desk.store, desk.tz, [str(m) for m in parsed.months()], events)
    new = _replay(current, proposed_book, parsed, proposed_coefficient, extra)
    if given is None:
        return compare(report(parsed), new.report, new.version.ruleset, new.rejected, unscored_kinds=new.kinds)
    now = _replay(current, rulebook, parsed, coefficient, extra)
    return compare(now.report, new.report, new.version.ruleset, new.rejected,
                   unscored_kinds={**now.kinds, **new.kinds}, events=given, unscored_now=now.rejected)
