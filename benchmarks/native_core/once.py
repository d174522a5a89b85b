"""``NativeVerifyOnce``: ``verify()`` of a SQLite ledger reading each big table once, in C
(``verify.c``'s ``once``) — the design docs/performance.md names for issue 13's verify target.

The C pass reads the entries in seq order (the chain, and per event its first own entry and
award count in a hash table) and the events in id order (each row against its entries, and its
intake line into its intake's digest), in one read transaction. What it hands back is judged
here by the library's own code: rows off the fast path by ``bindings._events`` (through
``check_bindings``), the decision entries and anchors as ``verify_rows`` does, the rule-set
versions by ``EntryFacts``; the intake log's own chain by ``intake_hash``. The decisions and
closes (few rows) are read first through the store, outside the C transaction. No checkpoint.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from benchmarks.native_core.compiling import build
from gridpoints.ledger.bindings import EntryFacts, check_bindings, event_acts
from gridpoints.ledger.broken import Broken
from gridpoints.ledger.chain import Verification, close_anchors
from gridpoints.ledger.decisions import decision_digest
from gridpoints.ledger.intake_check import _status_at_intake
from gridpoints.schema import EVENT_COLUMNS, GENESIS, DecisionRow, EntryValues, EventBinding, PeriodCloseRow
from gridpoints.stores.intakes import event_line, intake_genesis, intake_hash
from gridpoints.stores.sql import ENTRY_SELECT
from gridpoints.stores.sqlite import SQLiteStore

if TYPE_CHECKING:
    from gridpoints.stores import Store

__all__ = [
    "ENTRIES_IN_SEQ_ORDER", "EVENTS_IN_ID_ORDER", "EVENTS_SELECT", "INTAKES_IN_SEQ_ORDER", "Known", "NativeVerifyOnce",
    "judge", "read_known",
]  # fmt: skip

ENTRIES_IN_SEQ_ORDER = f"{ENTRY_SELECT} ORDER BY seq"
#: The event rows' columns as the C pass reads them: ``EVENT_COLUMNS``, then the intake seq.
EVENTS_SELECT = f"SELECT {', '.join(EVENT_COLUMNS)}, intake_seq FROM events"
#: The events in their primary key's order (``events`` is a WITHOUT ROWID table keyed by
#: ``event_id``: SQLite walks it, no sort), with the intake seq each row carries.
EVENTS_IN_ID_ORDER = f"{EVENTS_SELECT} ORDER BY event_id"
INTAKES_IN_SEQ_ORDER = "SELECT seq, events, digest, prev_hash, hash FROM intakes ORDER BY seq"
#: What ``check_intakes`` notes when a store keeps no intake log: the proxy below keeps none,
#: because the intake log is checked here from the C pass's digests.
_NO_LOG_NOTE = "events: not bound to an intake log"


class _HandedBack:
    """The store as ``check_bindings`` sees it here: the small tables from the store, and as
    ``event_bindings`` only the bindings the C pass handed back (its fast path is
    ``_events``' own ``continue``); no ``intake_bindings``."""

    def __init__(self, store: SQLiteStore, bindings: list[EventBinding]) -> None:
        self._store = store
        self._bindings = bindings

    def period_closes(self) -> list[PeriodCloseRow]:
        return self._store.period_closes()

    def settlements(self) -> dict[str, int]:
        return self._store.settlements()

    def ruleset_versions(self) -> dict[tuple[str, str], str]:
        return self._store.ruleset_versions()

    def event_bindings(self) -> Iterator[EventBinding]:
        return iter(self._bindings)


@dataclass(frozen=True)
class Known:
    """What is read through the store before the C pass (few rows): the decisions by seq, the
    closes' anchors (seq → hash, what), each decided event's status at intake, and the anchored
    seqs the C pass notes the hashes of."""

    decisions: dict[int, DecisionRow]
    anchors: dict[int, tuple[str, str]]
    at_intake: dict[str, str]

    @property
    def anchor_seqs(self) -> list[int]:
        return sorted(seq for seq in self.anchors if type(seq) is int and seq > 0)


def read_known(store: SQLiteStore) -> Known | Verification:
    """The decisions, closes and statuses at intake; a close that does not match its decision
    is the answer already."""
    decisions = {row.seq: row for row in store.decision_rows()}
    anchors: dict[int, tuple[str, str]] = {}
    broken_close = close_anchors(store.period_closes(), decisions, anchors)
    if broken_close is not None:
        return broken_close
    acts = event_acts(decisions.values())
    at_intake = {event_id: str(_status_at_intake(None, decided)) for event_id, decided in acts.items()}
    return Known(decisions, anchors, at_intake)


def judge(store: SQLiteStore, found: dict[str, Any], known: Known) -> Verification:
    """``verify()``'s answer from what the C pass found (``once``'s dict, each intake's group as
    its count and digest): the chain, then the handed-back rows and orphans by the library's
    ``check_bindings``, then the intake log."""
    decisions, anchors = known.decisions, known.anchors
    entries: int = found["entries"]
    chain = _chain(found, decisions, anchors)
    if chain is not None:
        return chain
    facts = EntryFacts()
    # The rule-set-version changes the C pass saw, as rows EntryFacts.tap reads (seq, rule
    # set, version, digest; not a decision): tap notes each, as it would among all entries.
    for seq, ruleset, version, digest in found["version_changes"]:
        changed = (seq, "", "", "", "", "", 0, "", "", "", ruleset, version, digest, "")
        for _ in facts.tap([cast(EntryValues, changed)]):
            pass
    orphans = sorted(found["orphans"], key=lambda values: values[6])
    bindings = [EventBinding._make(values) for values in [*found["handed_back"], *orphans]]
    broken, notes = check_bindings(cast("Store", _HandedBack(store, bindings)), decisions.values(), facts)
    notes = tuple(note for note in notes if not note.startswith(_NO_LOG_NOTE))
    broken = broken or _intake_log(found)
    if broken is not None:
        return Verification(False, entries, broken.seq, broken.problem, table=broken.table, row=broken.row, notes=notes)
    if found["unbound"]:
        notes += (f"events: {found['unbound']} event rows are not bound: written before the intake log "
                  "(intake_seq 0)",)  # fmt: skip
    return Verification(True, entries, notes=notes)


class NativeVerifyOnce:
    """``verify()`` of the SQLite ledger at ``path`` with the entries and the events each read
    once in C. ``verify()`` answers as ``Ledger.verify()`` does (without a checkpoint);
    afterwards ``native_seconds`` is the C pass's time (``entries_pass_seconds`` reading the
    entries, ``events_pass_seconds`` the intakes and events), ``table_bytes`` its hash table's
    size (slots and their records) for ``table_events`` events, ``intake_bytes`` its digests'."""

    def __init__(self, path: str, module: ModuleType | None = None) -> None:
        self._module = module or build("verify")
        self.path = path
        self.native_seconds = self.entries_pass_seconds = self.events_pass_seconds = 0.0
        self.table_bytes = self.table_events = self.intake_bytes = 0
        self.handed_back = 0

    def verify(self) -> Verification:
        store = SQLiteStore(self.path)
        try:
            return self._verify(store)
        finally:
            store.close()

    def _verify(self, store: SQLiteStore) -> Verification:
        known = read_known(store)
        if isinstance(known, Verification):
            return known
        started = time.perf_counter()
        found: dict[str, Any] = self._module.once(
            self.path, ENTRIES_IN_SEQ_ORDER, EVENTS_IN_ID_ORDER, INTAKES_IN_SEQ_ORDER, known.at_intake,
            known.anchor_seqs, event_line,
        )  # fmt: skip
        self.native_seconds = time.perf_counter() - started
        self.table_bytes, self.table_events = found["table_bytes"], found["table_events"]
        self.intake_bytes = found["intake_bytes"]
        self.entries_pass_seconds = found["entries_pass_seconds"]
        self.events_pass_seconds = found["events_pass_seconds"]
        self.handed_back = len(found.get("handed_back", ())) + len(found["orphans"])
        return judge(store, found, known)


def _chain(
    found: dict[str, Any], decisions: dict[int, DecisionRow], anchors: dict[int, tuple[str, str]]
) -> Verification | None:
    """The chain's first problem as ``verify_rows`` names it (None: it holds): the first bad
    seq, or before it a decision entry without its record or with another digest, or an
    anchored seq with another hash; then anchors past the end and records without entries."""
    entries, bad = found["entries"], found["bad_seq"]
    if 0 in anchors and anchors[0][0] != GENESIS:
        return Verification(False, 0, 0, f"{anchors[0][1]} is at seq 0 with a hash that is not the genesis hash")
    problems: list[tuple[int, int, Verification]] = []
    unmatched = dict(decisions)
    for seq, digest in found["decision_entries"]:
        decision = unmatched.pop(seq, None)
        if decision is None:
            problem = Verification(False, seq - 1, seq, "the decision record of this entry is missing")
        elif _digest(decision) != digest:
            problem = Verification(False, seq - 1, seq, "the decision record was changed after the fact",
                                   table="decisions", row=f"seq {seq}")  # fmt: skip
        else:
            continue
        problems.append((seq, 1, problem))
        break
    hashes: dict[int, str] = found["anchor_hashes"]
    for seq, (expected, what) in sorted((s, a) for s, a in anchors.items() if s in hashes):
        if hashes[seq] != expected:
            changed = f"the chain differs from {what} at seq {seq}: it was rewritten or replaced"
            problem = Verification(False, seq - 1, seq, changed)
            problems.append((seq, 2, problem))
            break
    if bad is not None:
        problems.append((bad, 0, Verification(False, entries, bad, "the chain breaks here")))
    if problems:
        result = min(problems, key=lambda problem: problem[:2])[2]
        return Verification(False, result.entries, result.first_bad_seq, result.problem,
                            table=result.table, row=result.row or f"seq {result.first_bad_seq}")  # fmt: skip
    beyond = [seq for seq in anchors if seq > entries]
    if beyond:
        far = max(beyond)
        return Verification(False, entries, entries + 1, f"the ledger ends at seq {entries} but {anchors[far][1]} "
                            f"is at seq {far}: entries were cut off or an older copy was restored")  # fmt: skip
    if unmatched:
        stray = min(unmatched)
        return Verification(False, entries, stray, f"decision record {stray} has no decision entry in the chain",
                            table="decisions", row=f"seq {stray}")  # fmt: skip
    return None


def _digest(decision: DecisionRow) -> str | None:
    try:
        return decision_digest(decision)
    except (TypeError, ValueError):
        return None


def _intake_log(found: dict[str, Any]) -> Broken | None:
    """The intake log's own chain, walked as ``check_intakes`` walks it, and each intake's count
    and digest against what the C pass computed from the event rows carrying its seq; then an
    event row carrying no recorded intake's seq, and a row whose columns ``event_line`` refused."""
    rows: Sequence[tuple[Any, ...]] = found["intake_rows"]
    groups: Sequence[tuple[int, str]] = found["intake_groups"]
    prev, unbound = GENESIS, found["unbound"]
    for expected, (seq, events, digest, prev_hash, hash_) in enumerate(rows, start=1):
        if seq != expected:
            return Broken("intakes", f"seq {expected}", f"intake {expected} is missing or out of order "
                          f"(found {seq!r}): the intake log was cut or rewritten")  # fmt: skip
        if seq == 1:
            prev = intake_genesis(unbound)
        if prev_hash != prev:
            if seq == 1:
                return Broken("events", "intake 0", f"{unbound} event rows carry intake_seq 0, not as many as the "
                              "log's first intake recorded")  # fmt: skip
            return Broken("intakes", f"seq {seq}", "prev_hash does not link to the intake before")
        if type(events) is not int or type(digest) is not str:
            return Broken("intakes", f"seq {seq}", "a column holds a value of the wrong type")
        if intake_hash(prev, seq, events, digest) != hash_:
            return Broken("intakes", f"seq {seq}", "hash does not match the intake's fields")
        prev = hash_
        count, computed = groups[seq - 1]
        if count != events or computed != digest:
            return Broken("events", f"intake {seq}", f"intake {seq} wrote {events} event rows and {count} carry its "
                          "seq, which do not match its digest")  # fmt: skip
    if found["stray"] is not None:
        event_id, seq = found["stray"]
        return Broken("events", f"event {event_id!r}", f"it carries intake_seq {seq!r}, but no such intake is recorded")
    if found["wrong_type"] is not None:
        event_id, error = found["wrong_type"]
        return Broken("events", f"event {event_id!r}", f"a column holds a value of the wrong type ({error})")
    return None
