"""``NativeColumns``: ``columns.c``, the skeleton's per-event pass over packed columns.

``pack(events, engine)`` turns a call's events into the columns a file parser would give (no
Python object per event reaches the C pass); ``NativeColumns.run`` books them natively into C
arenas — nothing goes to the store — and ``ColumnsPass.materialize`` turns the arenas into the
rows and outcomes the skeleton's C pass returns, for tests. The rule tables and the entries'
points and tail texts are the skeleton's own (``NativeSkeleton``).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from types import ModuleType
from typing import Any

import attrs

import gridpoints as gp
from benchmarks.native_core.compiling import build
from benchmarks.native_core.skeleton import NativeSkeleton
from gridpoints.ingest._call import Call
from gridpoints.ingest.outcomes import conflict_message
from gridpoints.ratings import RATING_KIND

__all__ = ["ColumnsPass", "NativeColumns", "PackedColumns", "pack", "text_column", "texts_of", "zone_table"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
#: What columns.c's outcome bytes mean, in its enum's order.
_OUTCOMES = (
    "booked", "duplicate", "unknown_member", "invalid", "unknown_kind", "no_matching_rule", "stored_conflict",
    "call_conflict",
)  # fmt: skip
_ADMISSION = frozenset({"unknown_member", "invalid", "unknown_kind", "no_matching_rule"})

TextColumn = tuple[bytes, bytes]


def text_column(values: Iterable[str]) -> TextColumn:
    """Texts as one UTF-8 buffer and the int64 offsets of their starts (and the end)."""
    data, offsets = bytearray(), array("q", [0])
    for value in values:
        data += value.encode()
        offsets.append(len(data))
    return bytes(data), offsets.tobytes()


def texts_of(column: TextColumn) -> list[str]:
    """The texts of a ``text_column``, back."""
    data, offsets = column
    ends = array("q")
    ends.frombytes(offsets)
    return [data[ends[i] : ends[i + 1]].decode() for i in range(len(ends) - 1)]


@attrs.frozen
class PackedColumns:
    """A call's events as columns: ids; member and kind indices (-1 unknown) into
    ``NativeColumns``' member and kind lists; instants (µs since the epoch, UTC); quantities;
    per attribute (sorted by name) its name, values, offsets and presence bytes."""

    count: int
    ids: TextColumn
    members: bytes
    kinds: bytes
    micros: bytes
    quantities: bytes
    attributes: tuple[tuple[bytes, bytes, bytes, bytes], ...]


def member_ids(engine: gp.Engine) -> list[str]:
    """The engine's member ids, in the order ``pack``'s member indices count."""
    return [member.id for member in engine.members]


def kind_names(engine: gp.Engine) -> list[str]:
    """The rule set's kinds, in the order ``pack``'s kind indices count."""
    return list(engine.pipeline.rulebook.versions[0].by_kind)


def pack(events: Sequence[gp.Event], engine: gp.Engine) -> PackedColumns:
    """``events`` as columns for ``engine``; refuses (``NotImplementedError``) what the skeleton
    refuses per event (late reports, decimal quantities, ratings) and attribute values other
    than text, which the columns do not carry."""
    members = {member: at for at, member in enumerate(member_ids(engine))}
    kinds = {kind: at for at, kind in enumerate(kind_names(engine))}
    names = sorted({name for event in events for name in event.attributes})
    member_column, kind_column = array("i"), array("i")
    micros, quantities = array("q"), array("q")
    values: dict[str, list[str]] = {name: [] for name in names}
    present: dict[str, bytearray] = {name: bytearray() for name in names}
    for event in events:
        if event.reported_at is not None or type(event.quantity) is not int:
            raise NotImplementedError("the columns carry no late reports or decimal quantities")
        if event.kind == RATING_KIND:
            raise NotImplementedError(f"the columns carry no {event.kind} events")
        member_column.append(members.get(event.member_id, -1))
        kind_column.append(kinds.get(event.kind, -1))
        micros.append((event.occurred_at - _EPOCH) // _MICROSECOND)
        quantities.append(event.quantity)
        for name in names:
            value = event.attributes.get(name)
            if value is not None and type(value) is not str:
                raise NotImplementedError(f"attribute {name!r}: the columns carry text only")
            values[name].append(value or "")
            present[name].append(value is not None)
    return PackedColumns(
        count=len(events),
        ids=text_column(event.id for event in events),
        members=member_column.tobytes(),
        kinds=kind_column.tobytes(),
        micros=micros.tobytes(),
        quantities=quantities.tobytes(),
        attributes=tuple((name.encode(), *text_column(values[name]), bytes(present[name])) for name in names),
    )


def zone_table(zone: tzinfo, first_us: int, last_us: int) -> tuple[bytes, bytes]:
    """The UTC offsets (µs) of ``zone`` over [first_us, last_us] as (starts, offsets) int64
    columns: each offset in force from its start (the first from the beginning of time).
    Sampled hourly, each change found to the second by bisection."""

    def offset(us: int) -> int:
        moment = _EPOCH + us * _MICROSECOND
        return moment.astimezone(zone).utcoffset() // _MICROSECOND  # type: ignore[operator]

    hour, second = 3_600_000_000, 1_000_000
    starts, offsets = array("q", [-(2**63)]), array("q", [offset(first_us)])
    at = first_us
    while at < last_us:
        step = min(hour, last_us - at)
        if offset(at + step) != offsets[-1]:
            low, high = at, at + step  # the offset at low is the old one, at high the new
            while high - low > second:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == offsets[-1] else (low, middle)
            starts.append(high)
            offsets.append(offset(high))
        at += step
    return starts.tobytes(), offsets.tobytes()


@attrs.define
class ColumnsPass:
    """One pass of ``columns.c``: its counts and timings, and its arenas (``materialize``)."""

    booked: int
    duplicates: int
    rejected: int
    seq: int
    prev: str
    #: The C pass's seconds, and those of them spent in ``tail_for`` (its cache's misses).
    seconds: float
    tail_seconds: float
    tail_misses: int
    _arenas: Any
    _context: tuple[Any, ...]

    @property
    def arenas(self) -> Any:
        """The pass's arenas (a capsule ``columns.h`` describes), for an instrument that reads
        them natively (``pgcopy.c``)."""
        return self._arenas

    def materialize(self) -> tuple[list[Any], list[Any], list[Any], list[Any], list[Any], int, str]:
        """The arenas as the skeleton's C pass returns them: (entries, event rows, accepted,
        rejected, duplicates, seq, prev)."""
        module, packed, members, kinds, meta, known_statuses, prev = self._context
        outcomes, conflicts_with, booked, tails = module.materialize(self._arenas, prev)
        ids = texts_of(packed.ids)
        member_at, kind_at, micros = array("i"), array("i"), array("q")
        member_at.frombytes(packed.members)
        kind_at.frombytes(packed.kinds)
        micros.frombytes(packed.micros)
        entries, rows, accepted, rejected, duplicates = [], [], [], [], []
        for seq, index, rule, tail_index, day, payload, prev_hash, hash_ in booked:
            member, kind, month = members[member_at[index]], kinds[kind_at[index]], day[:7]
            cents, coefficient, quantity, _ = tails[tail_index]
            entries.append((seq, member, ids[index], kind, month, day, cents, coefficient, quantity, *meta[rule],
                            "rule", "", prev_hash, hash_))  # fmt: skip
            rows.append((ids[index], member, kind, micros[index], month, "booked", payload, "", "", ""))
        for index, outcome in enumerate(map(_OUTCOMES.__getitem__, outcomes)):
            event_id = ids[index]
            if outcome == "booked":
                accepted.append((index, event_id))
            elif outcome == "duplicate":
                duplicates.append((index, event_id))
            elif outcome in _ADMISSION:
                rejected.append((index, event_id, outcome, "refused by the skeleton"))
            else:
                status = known_statuses[conflicts_with[index]] if outcome == "stored_conflict" else "booked"
                rejected.append((index, event_id, "conflict", conflict_message(event_id, status)))
        return entries, rows, accepted, rejected, duplicates, self.seq, self.prev


class NativeColumns:
    """``columns.c`` set up for ``engine`` (what ``NativeSkeleton`` takes: standard-shaped
    rules, checks off)."""

    def __init__(self, engine: gp.Engine, module: ModuleType | None = None, *, checks: bool = False) -> None:
        """``checks``: the engine's checks are run by the caller (``NativeChecked``), not refused."""
        self._module = module or build("columns")
        self._engine = engine
        # The skeleton's rule tables, rule metadata and tails: the columns book what it books.
        self._skeleton = NativeSkeleton(engine, build("skeleton"), checks=checks)
        self._members, self._kinds = member_ids(engine), kind_names(engine)
        #: The member and kind names as the pass reads them (the packed indices count into them).
        self.member_column, self.kind_column = text_column(self._members), text_column(self._kinds)
        #: Each rule's (rule, ruleset, version, digest) texts, four per rule index, as one column.
        self.rule_meta = text_column(text for meta in self._skeleton._meta for text in meta)
        table = self._skeleton._kinds
        kind_rules, rule_index, rule_values = array("i", [0]), array("i"), []
        self._rule_attributes: list[str | None] = []
        for kind in self._kinds:
            for index, attribute, value in table[kind] or ():
                rule_index.append(index)
                self._rule_attributes.append(attribute)
                rule_values.append(str(value) if attribute is not None else "")
            kind_rules.append(len(rule_index))
        self._kind_rules, self._rule_index, self._rule_values = (
            kind_rules.tobytes(),
            rule_index,
            text_column(rule_values),
        )

    def _inputs(self, packed: PackedColumns, margin_us: int = 0) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """The C pass's ``events`` and ``tables`` tuples (``columns.h``, ``Input``): the zone
        table covers the call's instants ± ``margin_us``."""
        names = [name.decode() for name, *_ in packed.attributes]
        # -2: a rule on an attribute no event carries, which matches no event.
        rule_attribute = array("i", (-1 if a is None else names.index(a) if a in names else -2
                                     for a in self._rule_attributes))  # fmt: skip
        micros = array("q")
        micros.frombytes(packed.micros)
        zone = zone_table(
            self._engine.pipeline.tz, min(micros, default=0) - margin_us, max(micros, default=0) + margin_us
        )
        events = (packed.count, packed.ids, packed.members, packed.kinds, packed.micros, packed.quantities,
                  packed.attributes)  # fmt: skip
        tables = (self.member_column, self.kind_column, self._kind_rules, self._rule_index.tobytes(),
                  rule_attribute.tobytes(), self._rule_values, *zone)  # fmt: skip
        return events, tables

    def run(self, packed: PackedColumns) -> ColumnsPass:
        """Book ``packed`` in one C pass after the store's chain head and the ids it knows of
        them (read in a transaction that writes nothing): the booked rows stay in the pass's
        arenas."""
        with self._engine.store.transaction() as tx:
            call = Call(tx)
            if call.closed:
                raise NotImplementedError("the columns book into no closed month")
            stored = tx.lookup(list(dict.fromkeys(texts_of(packed.ids))))
            head = call.seq, call.prev
        return self.run_after(packed, head, stored)

    def run_after(
        self, packed: PackedColumns, head: tuple[int, str], stored: dict[str, tuple[str, str]]
    ) -> ColumnsPass:
        """Book ``packed`` in one C pass after chain head ``head`` (seq, hash), ``stored`` the
        ids of them a store knows with their (payload, status) — for a store other than the
        engine's, which reads them itself (``NativePgCopy``)."""
        deadline, _ = self._skeleton._deadline_and_members()
        seq, prev = head
        known = list(stored)
        events, tables = self._inputs(packed)
        answer = self._module.run(
            events, tables, text_column(known), text_column(stored[k][0] for k in known), deadline, seq, prev,
            self._skeleton._tail,
        )  # fmt: skip
        arenas, booked, duplicates, rejected, seq_after, prev_after, seconds, tail_seconds, misses = answer
        statuses = [stored[k][1] for k in known]
        context = (self._module, packed, self._members, self._kinds, self._skeleton._meta, statuses, prev)
        return ColumnsPass(booked, duplicates, rejected, seq_after, prev_after, seconds, tail_seconds, misses,
                           arenas, context)  # fmt: skip
