"""``NativeChecked``: ``checked.c``, the core over columns with the built-in checks on, booking
into a native in-memory store.

``NativeChecked(engine).run(pack(events, engine))`` does for a call what ``engine.ingest`` does
on an in-memory engine with checks on — dedupe, admission, the checks on each member's running
state in judging order, the entries chained in input order, the event rows (held ones with
their check, reason and ref) and the intake log's row — natively, into the store's C arenas.
``contents()`` and ``CheckedPass.result()`` turn the arenas into what the memory store and
``IngestResult`` hold, for tests.

Refused (``NotImplementedError``), besides what the core over columns refuses: checks other than
the built-in burst (every kind), daily_limit (whole limits), evidence (at most one condition a
kind), duplicate_submission and outlier (which holds nothing); a zone whose UTC offset changes
within the call's span ± the widest check window; an engine whose store already holds rows
(the native store starts empty, a new in-memory ledger).

Two options of the trial, each measured apart: ``grouped=True`` gathers the call's columns
member by member at the start of the timed pass (judging and the commit then read them side by
side; the outcomes and the store's bytes are the same); ``intake_format="gpi2"`` makes each
intake row's digest one SHA-256 over ``gpi2`` and its rows' line texts in judging order (member,
instant, id) — a ledger format the library does not have (``verify()`` knows ``gpi1`` only),
whose reference is ``gpi2_digest`` and ``gpi2_hash`` here.

A third, ``threads=2`` (with ``grouped=True`` and ``intake_format="gpi2"`` only: the combination
measured): after judging, the commit's rows are written on a second thread while this one, which
keeps the GIL, chains the entries (its tail cache's misses call Python); the commit is published
after the join, or taken back if the chaining failed. Its stages add ``side_by_side``: chaining
and commit together, wall clock; ``commit`` is then the second thread's own time.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Sequence
from datetime import timedelta
from types import ModuleType
from typing import Any, cast

import attrs

import gridpoints as gp
from benchmarks.native_core.columns import _ADMISSION, NativeColumns, PackedColumns, text_column, texts_of
from benchmarks.native_core.compiling import build
from gridpoints.ingest.outcomes import conflict_message
from gridpoints.plugins.checks import Burst, DailyLimit, DuplicateSubmission, Evidence, Outlier
from gridpoints.plugins.checks.evidence import _verified
from gridpoints.schema import GENESIS
from gridpoints.stores.intakes import event_line_text
from gridpoints.timeline import Timeline

__all__ = ["INTAKE_FORMATS", "CheckedPass", "NativeChecked", "gpi2_digest", "gpi2_hash"]

_MICROSECOND = timedelta(microseconds=1)
#: checked.c's check codes; outlier (no kinds) never reaches a kind's list.
_CODES: dict[type[Any], int] = {Burst: 1, DailyLimit: 2, Evidence: 3, DuplicateSubmission: 4}
_CHECKS_PER_KIND = 4
#: checked.c's outcome bytes: the core over columns' codes, then held.
_OUTCOMES = (
    "booked", "duplicate", "unknown_member", "invalid", "unknown_kind", "no_matching_rule", "stored_conflict",
    "call_conflict", "held",
)  # fmt: skip

Rejection = tuple[int, str, str, str | None]
#: The library's intake format, and the trial's one-digest format.
INTAKE_FORMATS = ("gpi1", "gpi2")


def gpi2_digest(rows: Iterable[Sequence[Any]]) -> str:
    """The trial format gpi2's intake digest of event rows (their first ten columns what
    ``event_line`` takes): SHA-256 over ``gpi2`` and, for each row by (member, occurred_us, id),
    the text ``event_line`` hashes (``event_line_text``) — one digest, none per row, no sort by
    id. The texts, each column's length written before it, split back into rows unambiguously."""
    sha = hashlib.sha256(b"gpi2")
    for row in sorted(rows, key=lambda row: (row[1], row[3], row[0])):
        sha.update(event_line_text(row[:10]).encode())
    return sha.hexdigest()


def gpi2_hash(prev_hash: str, seq: int, events: int, digest: str) -> str:
    """A gpi2 intake row's chained hash: ``intake_hash``'s with the tag ``gpi2``."""
    return hashlib.sha256(f"{prev_hash}\x1egpi2\x1f{seq}\x1f{events}\x1f{digest}".encode()).hexdigest()


@attrs.define
class CheckedPass:
    """One call of ``checked.c``: its counts, the seconds of its C pass and of each stage
    (``gather`` when grouped, ``input``, ``judging``, ``chaining``, ``commit``, ``side_by_side``
    with two threads) and of the tail cache's misses."""

    booked: int
    held: int
    duplicates: int
    rejected: int
    seq: int
    prev: str
    seconds: float
    stages: dict[str, float]
    tail_seconds: float
    tail_misses: int
    _outcomes: Any
    _context: tuple[Any, ...]

    def result(self) -> tuple[tuple[str, ...], tuple[str, ...], tuple[Rejection, ...], tuple[str, ...]]:
        """(accepted, held, rejected, duplicates) as ``IngestResult`` holds them; a rejection as
        (input index, id, code, message), the message None for admission's refusals (the columns
        do not carry the texts it quotes)."""
        module, checked, packed = self._context
        outcomes, conflicts_with = module.outcomes(self._outcomes)
        ids = texts_of(packed.ids)
        rows = checked.contents()[1]
        codes = [_OUTCOMES[code] for code in outcomes]
        accepted, held, duplicates = ([ids[i] for i, c in enumerate(codes) if c == code]
                                      for code in ("booked", "held", "duplicate"))  # fmt: skip
        earlier: list[Rejection] = []
        judged: list[Rejection] = []
        for index, code in enumerate(codes):
            if code in _ADMISSION:
                earlier.append((index, ids[index], code, None))
            elif code == "stored_conflict":
                status = rows[conflicts_with[index]][5]
                earlier.append((index, ids[index], "conflict", conflict_message(ids[index], status)))
            elif code == "call_conflict":
                status = codes[conflicts_with[index]]
                judged.append((index, ids[index], "conflict", conflict_message(ids[index], status)))
        return tuple(accepted), tuple(held), (*earlier, *judged), tuple(duplicates)


class NativeChecked(NativeColumns):
    """``checked.c`` set up for ``engine`` and its native store (empty at first); ``grouped``,
    ``intake_format`` and ``threads`` are the trial's options (the module's docstring)."""

    def __init__(
        self,
        engine: gp.Engine,
        module: ModuleType | None = None,
        *,
        grouped: bool = False,
        intake_format: str = "gpi1",
        threads: int = 1,
    ) -> None:
        if intake_format not in INTAKE_FORMATS:
            raise ValueError(f"intake_format: one of {INTAKE_FORMATS}, not {intake_format!r}")
        if threads not in (1, 2):
            raise ValueError(f"threads: 1 or 2, not {threads!r}")
        if threads == 2 and not (grouped and intake_format == "gpi2"):
            raise NotImplementedError("threads=2: with grouped=True and intake_format='gpi2' only")
        self.grouped, self.intake_format, self.threads = grouped, intake_format, threads
        super().__init__(engine, module or build("checked"), checks=True)
        pipeline = engine.pipeline
        if engine.store.head()[0] or engine.store.intake_head()[0]:
            raise NotImplementedError("the native store starts empty: the engine's store holds rows")
        self._window_us = pipeline.check_window // _MICROSECOND
        codes = bytearray(len(self._kinds) * _CHECKS_PER_KIND)
        self._checks: dict[type[Any], Any] = {}
        for k, kind in enumerate(self._kinds):
            # outlier holds nothing (and is listed for no kind: its kinds are ∅); any other check is refused
            applicable = [c for c, _, _ in pipeline.checks_by_kind.get(kind, ()) if not isinstance(c, Outlier)]
            if len(applicable) > _CHECKS_PER_KIND:
                raise NotImplementedError(f"kind {kind}: more than {_CHECKS_PER_KIND} checks")
            for j, check in enumerate(applicable):
                if type(check) not in _CODES:
                    raise NotImplementedError(f"check {check.name!r}: only the built-in checks are run natively")
                codes[k * _CHECKS_PER_KIND + j] = _CODES[type(check)]
                if self._checks.setdefault(type(check), check) is not check:
                    raise NotImplementedError(f"check {check.name!r} configured twice")
        self._codes = bytes(codes)
        burst, limits = self._checks.get(Burst), self._checks.get(DailyLimit)
        if burst is not None and burst.kinds is not None:
            raise NotImplementedError("burst: counting some kinds only")
        self._burst = (burst.count, burst.minutes) if burst is not None else (1, 1)
        daily = array("q", [-1] * len(self._kinds))
        limit_texts = [""] * len(self._kinds)
        for kind, limit in (limits.limits if limits is not None else {}).items():
            if limit != limit.to_integral_value() or kind not in self._kinds:
                raise NotImplementedError(f"daily_limit: {kind} {limit} (whole limits of the rule set's kinds only)")
            daily[self._kinds.index(kind)], limit_texts[self._kinds.index(kind)] = int(limit), str(limit)
        self._daily = (daily.tobytes(), text_column(limit_texts))
        self._evidence = self._evidence_tables(engine)
        duplicate = self._checks.get(DuplicateSubmission)
        self._duplicate = (duplicate.minutes, duplicate.attribute) if duplicate is not None else (1, "")
        ranks = {member: rank for rank, member in enumerate(sorted(self._members))}
        self._ranks = array("i", (ranks[member] for member in self._members)).tobytes()
        self._store = self._module.store(len(self._members))

    def _evidence_tables(self, engine: gp.Engine) -> tuple[list[str | None], list[str], list[str]]:
        """Per kind: evidence's condition attribute (None: none), its value, and the hold's
        reason — the check's own, asked of it for an event of the kind that has no evidence."""
        evidence = self._checks.get(Evidence)
        attributes: list[str | None] = [None] * len(self._kinds)
        values, reasons = [""] * len(self._kinds), [""] * len(self._kinds)
        if evidence is None:
            return attributes, values, reasons
        for kind, condition in evidence.conditions.items():
            if kind not in self._kinds:
                continue
            if condition and len(condition) > 1:
                raise NotImplementedError(f"evidence: kind {kind} under several conditions")
            k = self._kinds.index(kind)
            if condition:
                ((attributes[k], values[k]),) = condition.items()
            probe = gp.Event("probe", "probe", kind, engine.pipeline.clock(), attributes=dict(condition or {}))
            verdict = evidence.judge(probe, 0, cast(Timeline, None))
            assert verdict is not None  # an event of the kind under its condition without evidence is held
            reasons[k] = verdict.reason
        return attributes, values, reasons

    def run(self, packed: PackedColumns) -> CheckedPass:  # type: ignore[override]
        """Book ``packed`` into the native store, checks on, in one C call."""
        deadline, _ = self._skeleton._deadline_and_members()
        events, tables = self._inputs(packed, self._window_us)
        if len(tables[-1]) != 8:
            raise NotImplementedError("checked: a zone whose UTC offset changes within the call's span")
        names = [name.decode() for name, *_ in packed.attributes]

        def column(name: str | None) -> int:
            return names.index(name) if name in names else -2  # -2: no event carries it

        attributes, values, reasons = self._evidence
        evidence = self._checks.get(Evidence)
        conditions = array("i", (-1 if a is None else column(a) for a in attributes))
        checks = (
            self._codes, *self._burst, *self._daily, conditions.tobytes(), text_column(values), text_column(reasons),
            column(evidence.evidence_attribute) if evidence else -2,
            column(evidence.verified_attribute) if evidence else -2,
            self._duplicate[0], column(self._duplicate[1] or None), self._duplicate[1], self._window_us, self._ranks,
            _verified,
        )  # fmt: skip
        answer = self._module.run(self._store, events, tables, checks, deadline, self._skeleton._tail, self.grouped,
                                  self.intake_format == "gpi2", self.threads)  # fmt: skip
        outcomes, booked, held, duplicates, rejected, seq, prev, seconds, tail_seconds, misses = answer
        stage_names = ("gather", "input", "judging", "chaining", "commit", "side_by_side")
        stages = dict(zip(stage_names, seconds[1:], strict=True))
        if not self.grouped:
            del stages["gather"]
        if self.threads == 1:
            del stages["side_by_side"]
        return CheckedPass(booked, held, duplicates, rejected, seq, prev, seconds[0], stages, tail_seconds, misses,
                           outcomes, (self._module, self, packed))  # fmt: skip

    def contents(self) -> tuple[list[Any], list[Any], list[Any], dict[str, int], tuple[int, str], tuple[int, str]]:
        """The store as the memory store holds it: (entries, event rows, intake rows, each event
        id's intake seq, the chain head, the intake head). For tests."""
        rows, entries, intakes, tails, head = self._module.contents(self._store)
        events = [(i, self._members[m], self._kinds[k], at, day[:7], *rest[:-1])
                  for i, m, k, at, day, *rest in rows]  # fmt: skip
        days = [day for _, _, _, _, day, *_ in rows]
        booked = []
        for n, (seq, row, rule, tail, hash_) in enumerate(entries):
            event_id, member, kind, _, month, *_ = events[row]
            cents, coefficient, quantity, _ = tails[tail]
            prev = entries[n - 1][4] if n else GENESIS
            booked.append((seq, member, event_id, kind, month, days[row], cents, coefficient, quantity,
                           *self._skeleton._meta[rule], "rule", "", prev, hash_))  # fmt: skip
        intake_of = {row[0]: row[-1] for row in rows}
        intake_head = (intakes[-1][0], intakes[-1][4]) if intakes else (0, GENESIS)
        return booked, events, intakes, intake_of, head, intake_head
