"""What naming a row costs on the hot paths: ``python -m benchmarks.rows [--entries N]``.

Ingest builds an entry row and an event row per event; ``verify()`` reads every entry row from
the store. Each line prints the best of ``--repeat`` timings, in ns per row, of the plain tuple
and of the named row types of ``gridpoints.schema`` built or read the ways a store can:

- ``EntryRow(a, b, …)``: the NamedTuple's own ``__new__`` (a Python function);
- ``tuple.__new__(EntryRow, values)``: the tuple built in C straight into the named type (what
  ``_make`` does, without its length check);
- reading a SQLite cursor as plain tuples, or mapping it through the C constructor above.
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import tempfile
import timeit
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from gridpoints.ledger.chain import verify_rows
from gridpoints.schema import ENTRY_COLUMNS, GENESIS, EntryRow, EntryValues, EventRow
from gridpoints.stores.sqlite import SQLiteStore

__all__ = ["main"]

_FIELDS = ("M00001", "e-000001", "patrol", "2026-11", "2026-11-03", 500, "1", "1", "patrol",
           "standard", "1", "d" * 64, "rule", "")
_PREV = "a" * 64
_HASH = "b" * 64
_EVENT = ("e-000001", "M00001", "patrol", 1_793_000_000_000_000, "2026-11", "booked", "{}", "", "", "")


def _ns(statement: Callable[[], object], number: int, repeat: int) -> float:
    """Best of ``repeat`` runs of ``number`` calls, in ns per call."""
    return min(timeit.repeat(statement, number=number, repeat=repeat)) / number * 1e9


def _entry_builds(number: int, repeat: int) -> dict[str, float]:
    fields, prev, digest = _FIELDS, _PREV, _HASH
    new = tuple.__new__
    e = _EVENT
    return {
        "entry row: plain tuple (seq, *fields, prev, hash)": _ns(lambda: (7, *fields, prev, digest), number, repeat),
        "entry row: EntryRow(seq, *fields, prev, hash)": _ns(
            lambda: EntryRow(7, *fields, prev, digest), number, repeat
        ),
        "entry row: tuple.__new__(EntryRow, (seq, *fields, prev, hash))": _ns(
            lambda: new(EntryRow, (7, *fields, prev, digest)), number, repeat
        ),
        "event row: plain tuple literal": _ns(
            lambda: (e[0], e[1], e[2], e[3], e[4], "booked", e[6], "", "", ""), number, repeat
        ),
        "event row: EventRow(…) positional": _ns(
            lambda: EventRow(e[0], e[1], e[2], e[3], e[4], "booked", e[6], "", "", ""), number, repeat
        ),
        "event row: tuple.__new__(EventRow, (…))": _ns(
            lambda: new(EventRow, (e[0], e[1], e[2], e[3], e[4], "booked", e[6], "", "", "")), number, repeat
        ),
    }


def _ledger(path: Path, entries: int) -> None:
    """A store file with ``entries`` chained entry rows (valid hashes, so verify runs to the end)."""
    SQLiteStore(str(path)).close()
    rows = []
    prev = GENESIS
    from gridpoints.ledger.chain import entry_bytes

    for seq in range(1, entries + 1):
        values = (seq, f"M{seq % 5000:05d}", f"e-{seq:07d}", "patrol", "2026-11", f"2026-11-{seq % 28 + 1:02d}",
                  500, "1", "1", "patrol", "standard", "1", "d" * 64, "rule", "")
        digest = hashlib.sha256(prev.encode() + b"\x1e" + entry_bytes(values)).hexdigest()
        rows.append((*values, prev, digest))
        prev = digest
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executemany(f"INSERT INTO entries VALUES ({', '.join('?' * 17)})", rows)
    conn.close()


def _reads(path: Path, entries: int, repeat: int) -> dict[str, float]:
    """Reading the ledger back, the SQLite fetch apart: the rows are fetched once, and what is
    timed is going over them plain or named (the fetch itself, ~2 µs a row, is the same)."""
    conn = sqlite3.connect(path)
    rows: list[EntryValues] = conn.execute(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM entries ORDER BY seq").fetchall()
    conn.close()
    named = partial(tuple.__new__, EntryRow)

    def plain_unpack() -> None:
        for row in rows:
            (_seq, _member, _event, _kind, _period, _day, _cents, _coefficient, _quantity, _rule, _ruleset,
             _version, _digest, _reason, _ref, _linked, _stored) = row

    def named_unpack() -> None:
        for row in map(named, rows):
            (_seq, _member, _event, _kind, _period, _day, _cents, _coefficient, _quantity, _rule, _ruleset,
             _version, _digest, _reason, _ref, _linked, _stored) = row

    def named_attributes() -> None:
        for row in map(named, rows):
            row.seq, row.reason, row.ref, row.prev_hash, row.hash  # noqa: B018 - timing the reads

    def verify(source: Callable[[], Iterable[EntryValues]]) -> Callable[[], None]:
        def run() -> None:
            assert verify_rows(source())

        return run

    return {
        "go over fetched rows + unpack: plain": _ns(plain_unpack, 1, repeat) / entries,
        "go over fetched rows + unpack: map(tuple.__new__, EntryRow)": _ns(named_unpack, 1, repeat) / entries,
        "go over fetched rows + 5 attribute reads: named": _ns(named_attributes, 1, repeat) / entries,
        "verify_rows over fetched rows: plain": _ns(verify(lambda: rows), 1, repeat) / entries,
        "verify_rows over fetched rows: named": _ns(verify(lambda: map(named, rows)), 1, repeat) / entries,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the figures (ns per row, best of ``--repeat``)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rows", description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=200_000, help="entries in the SQLite ledger read back")
    parser.add_argument("--number", type=int, default=1_000_000, help="rows built per timing")
    parser.add_argument("--repeat", type=int, default=5, help="timings per figure; the best is shown")
    args = parser.parse_args(argv)
    figures = _entry_builds(args.number, args.repeat)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rows.db"
        _ledger(path, args.entries)
        figures.update(_reads(path, args.entries, args.repeat))
    width = max(map(len, figures))
    for label, ns in figures.items():
        print(f"{label:<{width}}  {ns:8.1f} ns/row")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
