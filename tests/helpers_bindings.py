"""Tampering with event rows and entries, for the properties that hold each store's event
bindings to the statement the SQL stores share (tests/test_sqlite_event_bindings.py,
tests/test_postgres_event_bindings.py): the steps, and how each database spells them."""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

from hypothesis import strategies as st

__all__ = ["POSTGRES_SQL", "SQLITE_SQL", "TamperSQL", "tamper", "tampering"]


class TamperSQL(NamedTuple):
    """One database's statements for the steps (parameters: as ``tamper`` passes them)."""

    delete_row: str  # (event id,)
    rename_row: str  # (new id, old id); a clash changes nothing
    insert_row: str  # (event id, status); a clash changes nothing
    insert_entry: str  # (event id, reason, ref): the next seq, with hashes of its own


SQLITE_SQL = TamperSQL(
    "DELETE FROM events WHERE event_id = ?",
    "UPDATE OR IGNORE events SET event_id = ? WHERE event_id = ?",
    "INSERT OR IGNORE INTO events VALUES (?, 'M1', 'patrol', 5, '2026-11', ?, 'x', '', '', '', 1)",
    "INSERT INTO entries VALUES ((SELECT MAX(seq) + 1 FROM entries), 'M2', ?, 'patrol', '2026-11', "
    "'2026-11-03', 100, '1', '1', 'r', 'std', '1', 'd', ?, ?, 'p', 'h')",
)
POSTGRES_SQL = TamperSQL(
    "DELETE FROM events WHERE event_id = %s",
    "UPDATE events SET event_id = n.new FROM (SELECT %s::text AS new, %s::text AS old) n "
    "WHERE event_id = n.old AND NOT EXISTS (SELECT 1 FROM events WHERE event_id = n.new)",
    "INSERT INTO events VALUES (%s, 'M1', 'patrol', 5, '2026-11', %s, 'x', '', '', '', 1) ON CONFLICT DO NOTHING",
    "INSERT INTO entries SELECT MAX(seq) + 1, 'M2', %s, 'patrol', '2026-11', '2026-11-03', 100, '1', '1', "
    "'r', 'std', '1', 'd', %s, %s, 'p-' || (MAX(seq) + 1), 'h-' || (MAX(seq) + 1) FROM entries",
)


class _Executes(Protocol):
    def execute(self, statement: Any, parameters: Any = ..., /) -> Any: ...


def tampering(ids: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    """One step: an event row deleted, renamed or invented, or an entry invented (for an id with
    or without a row, maybe twice, maybe derived by its ref), with ids drawn from ``ids``."""
    reasons = st.sampled_from(["rule", "cap", "limit", "correction", "derived", "late"])
    return st.one_of(
        st.tuples(st.just("delete row"), st.integers(0, 40)),
        st.tuples(st.just("rename row"), st.integers(0, 40), ids),
        st.tuples(st.just("insert row"), ids, st.sampled_from(["booked", "held", "rejected"])),
        st.tuples(st.just("insert entry"), ids, reasons, st.booleans()),
    )


def tamper(conn: _Executes, step: tuple[Any, ...], spelled: TamperSQL) -> None:
    """Apply one ``tampering`` step through ``conn`` in the database's own SQL."""
    ids = [row[0] for row in conn.execute("SELECT event_id FROM events ORDER BY event_id")]
    what = step[0]
    if what == "delete row" and ids:
        conn.execute(spelled.delete_row, (ids[step[1] % len(ids)],))
    elif what == "rename row" and ids:
        conn.execute(spelled.rename_row, (step[2], ids[step[1] % len(ids)]))
    elif what == "insert row":
        conn.execute(spelled.insert_row, (step[1], step[2]))
    elif what == "insert entry":
        event_id, reason, derived_ref = step[1], step[2], step[3]
        conn.execute(spelled.insert_entry, (event_id, reason, event_id if derived_ref else ""))
