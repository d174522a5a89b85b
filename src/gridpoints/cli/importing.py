"""Streaming import of event and member files into an engine.

Events go to ``Engine.ingest`` in batches (each call atomic), so memory stays flat on any file
size and good rows are never held back by bad ones. Every bad row is reported with file, line,
field and reason, and (with ``--rejects``) written to a rejects file in the input's own format
plus a ``reject_reason`` column, ready to be fixed and imported again; a row that could not be
split into its fields keeps its raw text in a ``reject_raw`` column, so nothing typed is lost.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import tzinfo
from pathlib import Path
from typing import IO, Any

import attrs

from gridpoints.cli.progress import Progress
from gridpoints.cli.records import (
    REQUIRED_EVENT_FIELDS,
    REQUIRED_MEMBER_FIELDS,
    FieldError,
    event_mapping,
    member_mapping,
)
from gridpoints.cli.sources import RAW_COLUMN, REJECT_COLUMN, InputError, Record, Source, open_source
from gridpoints.engine import Engine
from gridpoints.model import Event, Member

__all__ = ["BadRow", "Counts", "RejectsWriter", "import_events", "import_members", "read_events"]

_FIELD = re.compile(r"^[A-Za-z_][\w.\[\]'\"-]*$")


@attrs.define
class Counts:
    """Rows read and their outcomes; accepted + held + rejected + duplicate == rows."""

    rows: int = 0
    accepted: int = 0
    held: int = 0
    rejected: int = 0
    duplicate: int = 0

    def add(self, other: Counts) -> None:
        """Add another file's counts to these."""
        for name in ("rows", "accepted", "held", "rejected", "duplicate"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def line(self) -> str:
        """``1,234 rows: 1,200 accepted, 20 held, 10 rejected, 4 duplicate``."""
        return (
            f"{self.rows:,} rows: {self.accepted:,} accepted, {self.held:,} held, "
            f"{self.rejected:,} rejected, {self.duplicate:,} duplicate"
        )


@attrs.frozen
class BadRow:
    """A row that was not imported, and why."""

    source: Source
    record: Record
    field: str
    reason: str
    code: str

    def text(self) -> str:
        """``events.csv:12: occurred_at: … [invalid]``."""
        return f"{self.source.path}:{self.record.line}: {self.field}: {self.reason} [{self.code}]"


class RejectsWriter:
    """Writes bad rows in the format of the file they came from, plus a reason column.

    Opened on the first bad row, in the input's encoding (a UTF-8 BOM or GB18030 file gives a
    rejects file Excel reads the same way). All inputs must share format and columns.

    CSV: the header is the input's columns, then ``reject_reason`` and ``reject_raw``. A row read
    into its fields is written as those fields; a row that was not (wrong number of fields,
    unreadable, over the size limit) has empty fields and its raw text under ``reject_raw``.
    JSON Lines: an object line is written as read with a ``reject_reason`` key added at its end;
    any other line as ``{"reject_reason": …, "reject_raw": "<the line>"}``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None
        self._writer: Any = None
        self.written = 0

    @staticmethod
    def check_compatible(sources: Sequence[Source]) -> None:
        """Raise InputError unless one rejects file can hold rows of every source."""
        shapes = {(s.format, tuple(_kept_header(s))) for s in sources}
        if len(shapes) > 1:
            raise InputError("--rejects: the files differ in format or columns; import them one at a time")

    def write(self, bad: BadRow) -> None:
        """Append one bad row."""
        source = bad.source
        if self._handle is None:
            # Raw text always encodes (it was decoded from this encoding); a reason may not.
            self._handle = self.path.open("w", encoding=source.encoding, newline="", errors="backslashreplace")
            if source.format == "csv":
                self._writer = csv.writer(self._handle)
                self._writer.writerow([*_kept_header(source), REJECT_COLUMN, RAW_COLUMN])
        record = bad.record
        if source.format == "csv":
            kept = _kept_header(source)
            if record.cells is None:
                self._writer.writerow([*[""] * len(kept), bad.text(), record.raw])
            else:
                by_name = dict(zip(source.header or (), record.cells, strict=True))
                # A row of an earlier rejects file keeps the raw text it carried.
                self._writer.writerow([*[by_name[name] for name in kept], bad.text(), by_name.get(RAW_COLUMN, "")])
        else:
            self._handle.write(_json_reject(record, bad.text()) + "\n")
        self.written += 1

    def close(self) -> None:
        """Flush and close (an empty rejects file is still created when nothing was bad)."""
        if self._handle is None:
            self.path.write_text("", encoding="utf-8")
            return
        self._handle.close()
        self._handle = None


def _json_reject(record: Record, reason: str) -> str:
    """The line as read, with the reason added as its object's last key (so it wins on reading)."""
    reason_item = f"{json.dumps(REJECT_COLUMN)}: {json.dumps(reason, ensure_ascii=False)}"
    if record.values is None:
        return "{" + reason_item + f", {json.dumps(RAW_COLUMN)}: {json.dumps(record.raw, ensure_ascii=False)}}}"
    inner = record.raw.rstrip()[:-1].rstrip()  # without the closing brace
    return inner + ("" if inner.endswith("{") else ", ") + reason_item + "}"


def _kept_header(source: Source) -> list[str]:
    return [name for name in source.header or [] if name not in (REJECT_COLUMN, RAW_COLUMN)]


def _field_of(message: str, code: str) -> tuple[str, str]:
    """Split an engine rejection message into (field, reason)."""
    if code == "gaming":
        return "(check)", message
    head, sep, rest = message.partition(": ")
    if sep and _FIELD.match(head):
        return head, rest
    return "(event)", message


def _event_values(source: Source, record: Record, assume: tzinfo | None, assume_name: str) -> dict[str, Any] | BadRow:
    """The record as the mapping ``Engine.ingest`` takes, or why it cannot be one."""
    if record.error is not None or record.values is None:
        field, reason = record.error or ("(row)", "unreadable")
        return BadRow(source, record, field, reason, "invalid")
    try:
        return event_mapping(record.values, assume, assume_name)
    except FieldError as error:
        return BadRow(source, record, error.field, error.reason, "invalid")


def read_events(
    sources: Sequence[Source], *, assume: tzinfo | None, assume_name: str, report: Callable[[BadRow], None]
) -> Iterator[tuple[Source, Record, Event]]:
    """Every valid event of the files, streamed in file order, with where it came from; a row
    that is not a valid event goes to ``report`` (code ``invalid``) instead. For commands that
    score events without booking them (``simulate --events``, ``rules check --events``)."""
    for source in sources:
        for record in source.records():
            parsed = _event_values(source, record, assume, assume_name)
            if isinstance(parsed, BadRow):
                report(parsed)
                continue
            try:
                event = Event.from_mapping(parsed)
            except (TypeError, ValueError) as error:
                field, reason = _field_of(str(error), "invalid")
                report(BadRow(source, record, field, reason, "invalid"))
                continue
            yield source, record, event


class _EventImport:
    """The state of one ``ingest`` command: batches, counts, reporting."""

    def __init__(
        self,
        engine: Engine,
        *,
        assume: tzinfo | None,
        batch_size: int,
        report: Callable[[BadRow], None],
        progress: Progress,
    ) -> None:
        self.engine = engine
        self.assume = assume
        self.assume_name = engine.tz_name
        self.batch_size = batch_size
        self.report = report
        self.progress = progress

    def run(self, source: Source) -> Counts:
        counts = Counts()
        pending: list[tuple[Record, dict[str, Any]]] = []
        bad: list[BadRow] = []
        for record in source.records():
            counts.rows += 1
            parsed = _event_values(source, record, self.assume, self.assume_name)
            if isinstance(parsed, BadRow):
                bad.append(parsed)
            else:
                pending.append((record, parsed))
            if len(pending) + len(bad) >= self.batch_size:
                self._flush(source, pending, bad, counts)
                pending, bad = [], []
            self.progress.tick()
        self._flush(source, pending, bad, counts)
        return counts

    def _flush(
        self, source: Source, pending: list[tuple[Record, dict[str, Any]]], bad: list[BadRow], counts: Counts
    ) -> None:
        if pending:
            result = self.engine.ingest(mapping for _, mapping in pending)
            counts.accepted += len(result.accepted)
            counts.held += len(result.held)
            counts.duplicate += len(result.duplicates)
            for rejection in result.rejected:
                field, reason = _field_of(rejection.message, rejection.code)
                bad.append(BadRow(source, pending[rejection.index][0], field, reason, rejection.code))
        counts.rejected += len(bad)
        for row in sorted(bad, key=lambda b: b.record.line):
            self.report(row)


def open_all(paths: Sequence[str | Path], required: Sequence[str], encoding: str | None) -> list[Source]:
    """Open every file first, so a missing file or bad header stops the command before any import."""
    sources: list[Source] = []
    try:
        for path in paths:
            sources.append(open_source(path, required, encoding))
    except BaseException:
        for source in sources:
            source.close()
        raise
    return sources


def import_events(
    engine: Engine,
    sources: Sequence[Source],
    *,
    assume: tzinfo | None,
    report: Callable[[BadRow], None],
    progress: Progress,
    batch_size: int = 10_000,
) -> Iterator[tuple[Source, Counts]]:
    """Import each source in turn, yielding its counts when it is done."""
    job = _EventImport(engine, assume=assume, batch_size=batch_size, report=report, progress=progress)
    for source in sources:
        yield source, job.run(source)


def import_members(engine: Engine, source: Source, report: Callable[[BadRow], None]) -> tuple[int, int]:
    """Read every member row; if all are valid upsert them at once, else import none.

    Returns ``(rows, bad rows)``. Members are few (one district), so they are held in memory;
    all-or-nothing keeps a half-read roster out of the store.
    """
    members: list[Member] = []
    seen: dict[str, int] = {}
    rows = bad = 0
    for record in source.records():
        rows += 1
        try:
            if record.error is not None or record.values is None:
                raise FieldError(*(record.error or ("(row)", "unreadable")))
            member = Member.from_mapping(member_mapping(record.values))
            problem = engine.region_problem(member.region)
            if problem is not None:
                raise FieldError("region", problem)
            if member.id in seen:
                raise FieldError("id", f"member {member.id!r} appears twice (also line {seen[member.id]})")
            seen[member.id] = record.line
            members.append(member)
        except FieldError as error:
            bad += 1
            report(BadRow(source, record, error.field, error.reason, "invalid"))
        except (TypeError, ValueError) as error:
            bad += 1
            field, reason = _field_of(str(error), "invalid")
            report(BadRow(source, record, field, reason, "invalid"))
    if not bad:
        engine.add_members(members)
    return rows, bad


REQUIRED_FOR = {"events": REQUIRED_EVENT_FIELDS, "members": REQUIRED_MEMBER_FIELDS}
