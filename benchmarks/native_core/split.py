"""``NativeVerifySplit``: ``NativeVerifyOnce`` split by event id over processes (a trial;
docs/performance.md, "Reading each table once, split by event id over processes, tried").

The parent reads the few rows first (``once.read_known``) and cuts the event ids into ranges
[lo, hi) at quantiles of the ids (``id_ranges``). One forked process per range calls ``verify.c``'s
``once`` for its range on a read connection of its own, in one read transaction: it reads every
entry in seq order but keeps hash-table slots only for its range's ids, and scans only its range
of the events' primary key. The first process also verifies the chain (and notes the decision
entries, rule-set-version changes and anchors on the way); the others only read the entries.
Each hands back its range's rows off the fast path and orphans, and per intake seq its rows'
``event_line`` digests in id order: SHA-256 cannot be merged, so the parent feeds ``gpi1`` and
each intake's lines, range after range, into that intake's one SHA-256 (``merge``), and judges
the merged result with ``once.judge``, the code ``NativeVerifyOnce`` judges with.

Snapshots: each process's read transaction sees its own snapshot (SQLite's WAL readers), taken
at its first read. They are one snapshot only when no writer commits while the processes start.
``merge`` refuses results that read different entry counts or intake rows — every ingest and
decision changes those — but an editor of the file who commits between two processes' first
reads without appending could go unseen: shipping this would need a snapshot the processes share.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import sqlite3
import time
from contextlib import closing
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import ModuleType
from typing import Any

from benchmarks.native_core.compiling import build
from benchmarks.native_core.once import (
    ENTRIES_IN_SEQ_ORDER,
    EVENTS_SELECT,
    INTAKES_IN_SEQ_ORDER,
    Known,
    judge,
    read_known,
)
from gridpoints.ledger.chain import Verification
from gridpoints.stores.intakes import INTAKE_FORMAT, event_line
from gridpoints.stores.sqlite import SQLiteStore

__all__ = ["NativeVerifySplit", "events_between", "id_ranges", "merge"]

#: An event-id range [lo, hi); None: unbounded on that side.
Range = tuple[str | None, str | None]


def events_between(lo: str | None, hi: str | None) -> str:
    """The event rows with ids in [lo, hi) in id order: a range of the primary key, no sort. The
    bounds are the statement's parameters ``:lo`` and ``:hi`` (``once`` binds them)."""
    tests = [test for bound, test in ((lo, "event_id >= :lo"), (hi, "event_id < :hi")) if bound is not None]
    where = f" WHERE {' AND '.join(tests)}" if tests else ""
    return f"{EVENTS_SELECT}{where} ORDER BY event_id"


def id_ranges(path: str, count: int, first_share: float | None = None) -> list[Range]:
    """``count`` ranges of event ids cut at the ids at every (rows ÷ count)-th place in id order
    — or, with ``first_share``, the first range that fraction of the rows and the others equal
    parts of the rest — the first open below and the last open above, so together they hold
    every id whatever its type. Fewer when a cut would not be a text id above the cut before it
    (fewer rows than ranges, an id that is not UTF-8 text). The cuts only balance the work: read
    on a snapshot of their own, they need not be the processes' snapshot."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        conn.text_factory = bytes  # an id that is not UTF-8 is no cut, rather than an error
        (rows,) = conn.execute("SELECT COUNT(*) FROM events").fetchone()
        cuts: list[str] = []
        first = rows // count if first_share is None else round(rows * min(max(first_share, 0.0), 1.0))
        for share in range(1, count):
            offset = first + (share - 1) * (rows - first) // max(count - 1, 1)
            at = conn.execute("SELECT event_id FROM events ORDER BY event_id LIMIT 1 OFFSET ?", (offset,)).fetchone()
            try:
                cut = at[0].decode() if at and type(at[0]) is bytes else None
            except UnicodeDecodeError:
                cut = None
            if cut is not None and (not cuts or cut > cuts[-1]):  # str order is UTF-8's byte order
                cuts.append(cut)
    return list(zip([None, *cuts], [*cuts, None], strict=True))


def merge(founds: list[dict[str, Any]]) -> dict[str, Any]:
    """One ``once`` dict from the ranges' dicts, given in range order: the chain's findings from
    the first; the rows handed back and the orphans of all; the unbound count; the first stray
    and wrongly typed row in id order; per intake its count, and its digest: SHA-256 of ``gpi1``
    and its rows' lines, range after range (each range's in id order: so all in id order)."""
    first = founds[0]
    if first["bad_seq"] is not None:  # the chain breaks: its pass read no events, and judge stops there
        return first
    for found in founds[1:]:
        if found["entries"] != first["entries"] or found["intake_rows"] != first["intake_rows"]:
            raise RuntimeError("the processes read different snapshots: a writer committed while they started")
    groups = []
    for intake in zip(*(found["intake_groups"] for found in founds), strict=True):
        digest = hashlib.sha256(INTAKE_FORMAT.encode())
        for _, lines in intake:
            digest.update(lines)
        groups.append((sum(count for count, _ in intake), digest.hexdigest()))
    return {
        **first,
        "handed_back": [values for found in founds for values in found["handed_back"]],
        "orphans": [values for found in founds for values in found["orphans"]],
        "unbound": sum(found["unbound"] for found in founds),
        "stray": next((found["stray"] for found in founds if found["stray"] is not None), None),
        "wrong_type": next((found["wrong_type"] for found in founds if found["wrong_type"] is not None), None),
        "intake_groups": groups,
    }


class _Failed(str):
    """What a process sends instead of its dict when ``once`` raised: the error, as text."""


def _once_for(module: ModuleType, path: str, known: Known, bounds: Range, chain: bool) -> dict[str, Any]:
    """``once`` over ``bounds`` (verifying the chain when ``chain``), its dict with
    ``share_seconds``, the call's time."""
    lo, hi = bounds
    started = time.perf_counter()
    found: dict[str, Any] = module.once(
        path, ENTRIES_IN_SEQ_ORDER, events_between(lo, hi), INTAKES_IN_SEQ_ORDER, known.at_intake,
        known.anchor_seqs if chain else [], event_line, lo, hi, chain, True,
    )  # fmt: skip
    found["share_seconds"] = time.perf_counter() - started
    return found


def _share(channel: Connection, module: ModuleType, path: str, known: Known, bounds: Range, chain: bool) -> None:
    """One process's share, in the forked child: its ``_once_for`` dict sent to the parent."""
    try:
        channel.send(_once_for(module, path, known, bounds, chain))
    except BaseException as error:  # the parent raises it; the child must not die unheard
        channel.send(_Failed(f"{type(error).__name__}: {error}"))
    finally:
        channel.close()


class NativeVerifySplit:
    """``verify()`` of the SQLite ledger at ``path`` as ``NativeVerifyOnce`` makes it, split by
    event id over ``workers`` forked processes. ``verify()`` answers as ``Ledger.verify()`` does
    (without a checkpoint); afterwards ``ranges`` are the ranges used (as many as processes),
    ``native_seconds`` the time from the first fork to the last result received, and per process
    in range order ``share_seconds`` (its ``once`` call), ``entries_pass_seconds`` and
    ``events_pass_seconds``; ``table_bytes`` the processes' hash tables together."""

    def __init__(
        self, path: str, workers: int = 2, module: ModuleType | None = None, *, first_share: float | None = None
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self._module = module or build("verify")
        self.path, self.workers, self.first_share = path, workers, first_share
        self.ranges: list[Range] = []
        self.native_seconds = 0.0
        self.share_seconds: list[float] = []
        self.entries_pass_seconds: list[float] = []
        self.events_pass_seconds: list[float] = []
        self.table_bytes = 0

    def verify(self) -> Verification:
        store = SQLiteStore(self.path)
        try:
            known = read_known(store)
            if isinstance(known, Verification):
                return known
            self.ranges = id_ranges(self.path, self.workers, self.first_share)
            started = time.perf_counter()
            founds = self._shares(known)
            self.native_seconds = time.perf_counter() - started
            self.share_seconds = [found["share_seconds"] for found in founds]
            self.entries_pass_seconds = [found["entries_pass_seconds"] for found in founds]
            self.events_pass_seconds = [found["events_pass_seconds"] for found in founds]
            self.table_bytes = sum(found["table_bytes"] for found in founds)
            return judge(store, merge(founds), known)
        finally:
            store.close()

    def shares_in_turn(self) -> list[tuple[float, float, float]]:
        """Each share of the last ``verify()``'s ranges run in this process, one after another (no
        process beside it to share the cores with): per range its ``once`` call's seconds, its
        entries pass and its events pass."""
        store = SQLiteStore(self.path)
        try:
            known = read_known(store)
        finally:
            store.close()
        if isinstance(known, Verification):
            raise RuntimeError(f"the ledger is broken: {known.problem}")
        founds = [
            _once_for(self._module, self.path, known, bounds, index == 0) for index, bounds in enumerate(self.ranges)
        ]
        return [(f["share_seconds"], f["entries_pass_seconds"], f["events_pass_seconds"]) for f in founds]

    def balanced_first_share(self, in_turn: list[tuple[float, float, float]], entries_read: float) -> float:
        """The first range's fraction of the ids that would give every process the same work,
        from the last ``verify()``'s shares timed one after another (``shares_in_turn``) and what
        reading the entries alone costs: each process reads every entry (``entries_read``); the
        first also verifies the chain, which is its time beyond the others' at equal shares; the
        rest (slots and events) divides with the ids."""
        shares = [share for share, _, _ in in_turn]
        if len(shares) < 2:
            return 1.0
        first_fraction = 1 / len(shares) if self.first_share is None else self.first_share
        rest_fraction = (1 - first_fraction) / (len(shares) - 1)
        per_fraction = max(shares[-1] - entries_read, 0.0) / rest_fraction  # slots and events of all ids
        chain = shares[0] - entries_read - first_fraction * per_fraction
        # first: entries_read + chain + f × per_fraction = entries_read + (1 - f) / (k - 1) × per_fraction
        others = len(shares) - 1
        share = (per_fraction / others - chain) / (per_fraction * (1 + 1 / others)) if per_fraction else 1 / len(shares)
        return min(max(share, 0.0), 1.0)

    def entries_read_seconds(self) -> float:
        """What reading the entries alone costs, in this process: ``once`` without the chain over
        the empty range ["", "") (no slot, no event row) — the part of every process's first
        pass that the split does not divide."""
        found = self._module.once(
            self.path, ENTRIES_IN_SEQ_ORDER, events_between("", ""), INTAKES_IN_SEQ_ORDER, {}, [], event_line,
            "", "", False, True,
        )  # fmt: skip
        seconds: float = found["entries_pass_seconds"]
        return seconds

    def _shares(self, known: Known) -> list[dict[str, Any]]:
        """Each range's ``once`` dict, in range order, from a forked process per range (the first
        verifies the chain). Every process is reaped; one that failed or died raises here."""
        context = multiprocessing.get_context("fork")  # the children inherit the built module and ``known``
        processes: list[BaseProcess] = []
        channels: list[Connection] = []
        received: list[dict[str, Any] | _Failed] = []
        try:
            for index, bounds in enumerate(self.ranges):
                receiving, sending = context.Pipe(duplex=False)
                channels.append(receiving)
                try:
                    process = context.Process(
                        target=_share, args=(sending, self._module, self.path, known, bounds, index == 0)
                    )
                    process.start()
                    processes.append(process)
                finally:
                    sending.close()  # the parent's copy: so a child that dies unsent ends recv with EOFError
            received = [channel.recv() for channel in channels]
        finally:
            for channel in channels:
                channel.close()
            for child in processes:
                if len(received) < len(processes):  # something failed: the others' work is moot
                    child.terminate()
                child.join()
                child.close()
        failures = [found for found in received if isinstance(found, _Failed)]
        if failures:
            raise RuntimeError(f"a share of the split verify failed: {failures[0]}")
        return [found for found in received if not isinstance(found, _Failed)]
