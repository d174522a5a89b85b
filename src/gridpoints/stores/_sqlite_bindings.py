"""``SQLiteStore.event_bindings``: the event rows and their own entries as two reads in event-id
order, merged here.

SQLite joins by nested loops. Run on SQLite, the one statement the SQL stores share
(``SQLStore.event_bindings``) groups the entries through their event-id index, fetching each
entry's reason from the table at a random page, then fetches each event's first entry again:
two random reads per event, about 10 µs per event in a million-event ledger
(docs/performance.md, "verify() on SQLite: the events and their entries merged"). Here the event
rows come in their primary key's order (no sort) and the own entries in one sorted scan of the
entries table (sequential reads), and this module pairs them as the statement's join would:
the same ``EventBinding`` per event id, in event-id order.

Both reads see one snapshot, as the shared statement does: they run in one read transaction
(``_sqlite_transaction.read_transaction``, unless the connection is in one already). Without it, a read that finds
no rows ends its transaction at once, and the other could see a write that landed in between.

The keys compare in SQLite's order: TEXT before BLOB (a tampered row can hold either), text by
its UTF-8 bytes, which is Python's code-point order of ``str``. A read out of that order would
pair rows wrongly, so the merge checks each key against the one before and raises rather than
pair on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from gridpoints.errors import StoreError
from gridpoints.schema import EventBinding
from gridpoints.stores._sqlite_transaction import read_transaction
from gridpoints.stores.sql import EVENT_REASONS_SQL

__all__ = ["EVENTS_BY_ID", "OWN_ENTRIES_BY_EVENT", "event_bindings"]

#: The event rows in their primary key's order (a WITHOUT ROWID table: its key's B-tree, no sort).
#: ``NOT INDEXED``: the planner would otherwise walk ``events_member_time`` and fetch each row's
#: payload from the key's B-tree at random.
EVENTS_BY_ID = (
    "SELECT event_id, member_id, kind, occurred_us, status, payload FROM events NOT INDEXED ORDER BY event_id"
)
#: The entries of an event's own reasons, by event id then seq: one scan and one sort. ``NOT
#: INDEXED``: through ``entries_event`` each entry's columns would be fetched at a random page.
OWN_ENTRIES_BY_EVENT = (
    "SELECT event_id, seq, member_id, kind, quantity, reason, ref FROM entries NOT INDEXED "
    f"WHERE reason IN ({EVENT_REASONS_SQL}) ORDER BY event_id, seq"
)

_Key = tuple[int, object]
_make = EventBinding._make


def _key(event_id: object) -> _Key:
    """``event_id``'s place in SQLite's order of values: NULL, numbers, TEXT, BLOB."""
    if type(event_id) is str:
        return (2, event_id)
    if event_id is None:
        return (0, 0)
    if isinstance(event_id, (bytes, bytearray, memoryview)):
        return (3, bytes(event_id))
    return (1, event_id)


def event_bindings(conn: sqlite3.Connection) -> Iterator[EventBinding]:
    """Every event row beside its own entries (see ``Store.event_bindings``), in event-id order,
    read in one transaction (ended when the bindings are read or the iterator is closed)."""
    with read_transaction(conn):
        events = conn.execute(EVENTS_BY_ID)
        entries = conn.execute(OWN_ENTRIES_BY_EVENT)
        yield from _merged(events, entries)


def _merged(events: Iterator[tuple[object, ...]], entries: Iterator[tuple[object, ...]]) -> Iterator[EventBinding]:
    """The event rows (in key order) paired with the groups of their own entries (in key, then
    seq order); a group without a row and a row without a group each stand alone."""
    pending = _next_entry(entries, None)
    last: _Key | None = None
    for row in events:
        key = _key(row[0])
        if last is not None and key <= last:
            raise StoreError(f"event rows came out of their key's order at {row[0]!r}: cannot pair them with entries")
        last = key
        while pending is not None and pending[0] < key:
            binding, pending = _group(None, pending, entries)
            yield binding
        if pending is not None and pending[0] == key:
            binding, pending = _group(row, pending, entries)
            yield binding
        else:
            yield _make((*row, None, None, None, None, None, 0))
    while pending is not None:
        binding, pending = _group(None, pending, entries)
        yield binding


_Pending = tuple[_Key, tuple[object, ...]]


def _next_entry(entries: Iterator[tuple[object, ...]], after: _Key | None) -> _Pending | None:
    """The next entry with its key (None at the end); its key may not come before ``after``."""
    entry = next(entries, None)
    if entry is None:
        return None
    key = _key(entry[0])
    if after is not None and key < after:
        raise StoreError(f"entries came out of event-id order at {entry[0]!r}: cannot pair them with rows")
    return key, entry


def _group(
    row: tuple[object, ...] | None, first: _Pending, entries: Iterator[tuple[object, ...]]
) -> tuple[EventBinding, _Pending | None]:
    """The binding of one event id's entries, from ``first`` (its lowest seq), and the next
    entry. Awards count the entries not derived from the event: neither reason ``derived`` nor
    ``ref`` its own id (``gridpoints.schema.is_derived``)."""
    key, entry = first
    event_id = entry[0]
    head = entry
    awards = 0
    pending: _Pending | None = first
    while pending is not None and pending[0] == key:
        entry = pending[1]
        if entry[5] != "derived" and entry[6] != event_id:
            awards += 1
        pending = _next_entry(entries, key)
    columns = row if row is not None else (event_id, None, None, None, None, None)
    return _make((*columns, *head[1:6], awards)), pending
