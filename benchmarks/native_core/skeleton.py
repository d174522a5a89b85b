"""``NativeSkeleton``: ``skeleton.c`` set up for an engine, booking a call's events into its
store as ``engine.ingest`` would (the subset the package docstring names) — through the store's
Python transaction, or, on a SQLite store, through ``writer.c`` (``NativeWriter``)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from operator import itemgetter
from types import ModuleType
from typing import Any

import attrs

import gridpoints as gp
from benchmarks.native_core.compiling import build
from benchmarks.native_core.writer import NativeWriter, WriteSeconds
from gridpoints._decimal import award_cents, canonical
from gridpoints.ingest._call import Call
from gridpoints.ingest.pipeline import FUTURE_TOLERANCE
from gridpoints.ledger.chain import entry_tail
from gridpoints.model import canonical_attributes
from gridpoints.ratings import RATING_KIND
from gridpoints.stores.sqlite import SQLiteStore

__all__ = ["NativeSkeleton", "SkeletonResult"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
#: The order the pipeline's judging writes event rows in: by member, then instant, then id.
_JUDGING_ORDER = itemgetter(1, 3, 0)


@attrs.frozen
class SkeletonResult:
    """What one skeleton call did, as ``IngestResult`` says it: accepted and duplicate ids in
    input order, rejections as ``(input index, id, code)``, entries booked."""

    accepted: tuple[str, ...]
    duplicates: tuple[str, ...]
    rejected: tuple[tuple[int, str, str], ...]
    entries: int


class NativeSkeleton:
    """The skeleton set up for ``engine`` (standard-shaped rules, checks off)."""

    def __init__(self, engine: gp.Engine, module: ModuleType | None = None, *, checks: bool = False) -> None:
        """``checks``: the engine's checks are run by the caller (``checked.c``), not refused."""
        pipeline = engine.pipeline
        if pipeline.checks_by_kind and not checks:
            raise NotImplementedError("the skeleton runs no checks: build the engine with checks=False")
        if pipeline._has_caps:
            raise NotImplementedError("the skeleton keeps no cap or count-limit totals")
        if len(pipeline.rulebook.versions) != 1:
            raise NotImplementedError("the skeleton books with one rule-set version")
        self._module = module or build()
        self._engine = engine
        self._pipeline = pipeline
        self._version = version = pipeline.rulebook.versions[0]
        self._rules: list[Any] = []
        # Kind → its rules as (index, attribute, value); None for ratings (their stars are
        # validated in Python): the C pass refuses those events with NotImplementedError.
        self._kinds: dict[str, tuple[tuple[int, str | None, object], ...] | None] = {}
        for kind, group in version.by_kind.items():
            if kind == RATING_KIND:
                self._kinds[kind] = None
                continue
            table = []
            for rule in group:
                conditions = rule.rule.when
                if rule.quantity is not None or len(conditions) > 1:
                    raise NotImplementedError(f"rule {rule.id}: quantity bounds or several conditions")
                attribute = value = None
                if conditions:
                    (condition,) = conditions
                    if condition.op != "eq" or not isinstance(condition.value, str):
                        raise NotImplementedError(f"rule {rule.id}: only string equality is matched")
                    attribute, value = condition.attribute, condition.value
                table.append((len(self._rules), attribute, value))
                self._rules.append(rule)
            self._kinds[kind] = tuple(table)
        #: Seconds the last ``ingest`` spent in the C pass, handing the rows to the store
        #: (``tx.append``) and committing; and the event rows and entries it staged (for
        #: measuring what the store does with them, and for comparing other instruments with it).
        self.native_seconds = self.append_seconds = self.commit_seconds = 0.0
        self.last_rows: list[tuple[object, ...]] = []
        self.last_entries: list[tuple[object, ...]] = []
        #: Of the last ``ingest`` through a native writer: seconds sorting the event rows into
        #: the judging order, seconds in the writer's ``write``, and where that time went.
        self.sort_seconds = self.write_seconds = 0.0
        self.last_write: WriteSeconds | None = None
        self._meta = [(r.id, version.ruleset.id, version.ruleset.version, version.digest) for r in self._rules]

    def _tail(self, member_id: str, rule_index: int, month: str, quantity: int) -> tuple[int, str, str, str]:
        """Points and texts of one (member, rule, month, quantity), as the pipeline's ``_append``."""
        rule, version = self._rules[rule_index], self._version
        member = self._engine.member(member_id)
        coefficient = Decimal(1)
        if rule.positive:  # deductions are not scaled (the pipeline's rule)
            coefficient = self._pipeline.coefficient(member, rule.rule.kind, month, version)
        cents = award_cents(rule.points, quantity, coefficient)
        texts = canonical(coefficient), str(quantity)
        ruleset = version.ruleset
        return cents, *texts, entry_tail(cents, *texts, rule.id, ruleset.id, ruleset.version, version.digest)

    def _deadline_and_members(self) -> tuple[int, dict[str, None]]:
        """The call's future limit (µs since the epoch) and the engine's member ids."""
        deadline = (self._pipeline.clock() + FUTURE_TOLERANCE - _EPOCH) // _MICROSECOND
        members: dict[str, None] = {}
        for member in self._engine.members:
            if member.joined is not None or member.left is not None:
                raise NotImplementedError(f"member {member.id}: the skeleton checks no joined/left dates")
            members[member.id] = None
        return deadline, members

    def ingest(
        self, events: Iterable[gp.Event], writer: NativeWriter | None = None, *, late_indexes: bool = False
    ) -> SkeletonResult:
        """Book ``events`` in one transaction of the engine's store, as ``engine.ingest`` would.

        With ``writer`` (a ``NativeWriter`` on the engine's SQLite file) the rows go to it
        instead of the store's Python transaction, the event rows in the pipeline's judging order
        (by member, then time): the store's transaction only reads what the C pass needs (the
        call's ids it knows, the chain head, closed months) and the intake head, and ends; the
        writer writes in a transaction of its own and refuses if either head moved meanwhile.
        ``late_indexes`` is the writer's (see ``NativeWriter.write``).
        """
        if writer is not None:
            return self._ingest_written(list(events), writer, late_indexes)
        events = list(events)
        pipeline = self._pipeline
        deadline, members = self._deadline_and_members()
        with self._engine.store.transaction() as tx:
            call = Call(tx)  # the pipeline's own call state: head, closed months, chunked writes
            if call.closed:
                raise NotImplementedError("the skeleton books into no closed month")
            stored = tx.lookup(list({e.id for e in events}))
            t0 = time.perf_counter()
            entries, rows, accepted, rejected, duplicates, _, _ = self._module.run(
                events, stored, members, self._kinds, self._meta, pipeline.tz, deadline, call.seq, call.prev,
                self._tail, canonical_attributes,
            )  # fmt: skip
            t1 = time.perf_counter()
            self.last_rows = call.events = rows
            self.last_entries = entries
            call.entries = entries
            call.flush_chunks(pipeline.chunk_size)
            t2 = time.perf_counter()
        t3 = time.perf_counter()
        self.native_seconds, self.append_seconds, self.commit_seconds = t1 - t0, t2 - t1, t3 - t2
        return _result(entries, accepted, rejected, duplicates)

    def _ingest_written(self, events: list[gp.Event], writer: NativeWriter, late_indexes: bool) -> SkeletonResult:
        store = self._engine.store
        if not isinstance(store, SQLiteStore) or store.path != writer.path:
            raise ValueError("the native writer writes to the engine's own SQLite file")
        deadline, members = self._deadline_and_members()
        with store.transaction() as tx:
            call = Call(tx)
            if call.closed:
                raise NotImplementedError("the skeleton books into no closed month")
            stored = tx.lookup(list({e.id for e in events}))
            # Read under the store's write lock: both heads are the ones ``stored`` goes with.
            chain_head, (_, intake_head) = (call.seq, call.prev), writer.heads()
        t0 = time.perf_counter()
        entries, rows, accepted, rejected, duplicates, _, _ = self._module.run(
            events, stored, members, self._kinds, self._meta, self._pipeline.tz, deadline, chain_head[0],
            chain_head[1], self._tail, canonical_attributes,
        )  # fmt: skip
        t1 = time.perf_counter()
        rows.sort(key=_JUDGING_ORDER)
        t2 = time.perf_counter()
        self.last_write = writer.write(entries, rows, chain_head, intake_head, late_indexes=late_indexes)
        t3 = time.perf_counter()
        self.last_rows = rows
        self.native_seconds, self.sort_seconds, self.write_seconds = t1 - t0, t2 - t1, t3 - t2
        return _result(entries, accepted, rejected, duplicates)


def _result(entries: list[Any], accepted: list[Any], rejected: list[Any], duplicates: list[Any]) -> SkeletonResult:
    """The C pass's lists as ``SkeletonResult`` says them."""
    return SkeletonResult(
        accepted=tuple(event_id for _, event_id in accepted),
        duplicates=tuple(event_id for _, event_id in duplicates),
        rejected=tuple((index, event_id, code) for index, event_id, code, _ in rejected),
        entries=len(entries),
    )
