"""Input files, streamed: CSV and JSON Lines records with their line numbers, bounded in size.

Nothing here holds more than one record (and one read buffer) in memory, whatever the file size.
A file that cannot be read at all (missing, undecodable, bad header) raises ``InputError`` before
any of it is used; a record that is wrong on its own comes back as a ``Record`` with ``error``.
A field may hold ``MAX_FIELD_CHARS`` characters and a record ``MAX_RECORD_CHARS``; a longer one
is a bad record at its own line, and reading goes on at the record after it.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import attrs

from gridpoints._validate import MAX_FIELD_CHARS
from gridpoints.cli.encoding import InputError, detect_encoding
from gridpoints.cli.splitting import MAX_RECORD_CHARS, RawRecord, csv_fields, csv_records, lines

__all__ = [
    "RAW_COLUMN",
    "REJECT_COLUMN",
    "InputError",
    "Record",
    "Source",
    "detect_encoding",
    "open_source",
]

#: The column (CSV) or key (JSON Lines) a rejects file adds for the reason; ignored on import.
REJECT_COLUMN = "reject_reason"
#: The column (CSV) or key (JSON Lines) a rejects file keeps a record's raw text in, when the
#: record could not be split into its fields; ignored on import.
RAW_COLUMN = "reject_raw"
_IGNORED = (REJECT_COLUMN, RAW_COLUMN)


@attrs.frozen
class Record:
    """One record: where it starts, its raw text (for a rejects file) and its values.

    ``raw`` is the record as read, line breaks inside quoted fields included, the final one not
    (only its first ``MAX_FIELD_CHARS`` characters when the record was over the size limit).
    ``cells`` are a CSV record's fields as read (None for JSON Lines or an unreadable record).
    ``values`` maps column (or JSON key) → value, None when the record could not be read into
    fields; ``error`` is ``(field, reason)`` when the record is refused as it stands.
    """

    line: int
    raw: str
    values: dict[str, Any] | None
    error: tuple[str, str] | None = None
    cells: tuple[str, ...] | None = None


def _raw(record: RawRecord) -> str:
    text = record.text
    return text if record.oversized else text.removesuffix("\n").removesuffix("\r")


def _oversized(record: RawRecord, field: str) -> Record:
    reason = (
        f"is {record.size:,} characters long, over the limit of {MAX_RECORD_CHARS:,} for a record; "
        "none of it is imported"
    )
    return Record(record.line, _raw(record), None, (field, reason))


def _too_long(names: Sequence[str], values: Sequence[object]) -> tuple[str, str] | None:
    for name, value in zip(names, values, strict=True):
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            return name, f"is {len(value):,} characters long; the limit is {MAX_FIELD_CHARS:,}"
    return None


class Source:
    """One opened input file: its format, encoding, header (CSV) and records."""

    def __init__(
        self,
        path: Path,
        encoding: str,
        fmt: str,
        handle: IO[str],
        raw_records: Iterator[RawRecord],
        header: list[str] | None = None,
    ) -> None:
        self.path = path
        self.encoding = encoding
        self.format = fmt
        self.header = header
        self._handle = handle
        self._raw_records = raw_records

    def records(self) -> Iterator[Record]:
        """Every record in file order (blank lines skipped)."""
        try:
            if self.format == "csv":
                yield from self._csv_records()
            else:
                yield from self._jsonl_records()
        finally:
            self._handle.close()

    def close(self) -> None:
        """Close the file (``records`` closes it when exhausted)."""
        self._handle.close()

    def _csv_records(self) -> Iterator[Record]:
        assert self.header is not None
        header = self.header
        width = len(header)
        kept = [i for i, name in enumerate(header) if name not in _IGNORED]
        for raw in self._raw_records:
            if raw.oversized:
                yield _oversized(raw, "(row)")
                continue
            text = raw.text
            try:
                cells = csv_fields(text)
            except csv.Error as error:  # a field over the csv module's own limit, say
                yield Record(raw.line, _raw(raw), None, ("(row)", f"unreadable CSV: {error}"))
                continue
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            row = tuple(cells)
            if len(row) != width:
                yield Record(raw.line, _raw(raw), None, ("(row)", f"has {len(row)} fields; the header has {width}"))
                continue
            too_long = _too_long(header, row) if len(text) > MAX_FIELD_CHARS else None
            yield Record(raw.line, _raw(raw), {header[i]: row[i] for i in kept}, too_long, row)

    def _jsonl_records(self) -> Iterator[Record]:
        for raw in self._raw_records:
            if raw.oversized:
                yield _oversized(raw, "(line)")
                continue
            text = _raw(raw)
            if not text.strip():
                continue
            try:
                value = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
            except json.JSONDecodeError as error:
                reason = f"not valid JSON: {error.msg} at column {error.colno}"
                yield Record(raw.line, text, None, ("(line)", reason))
                continue
            except (ValueError, RecursionError) as error:  # NaN, a 5,000-digit integer, [[[[…
                yield Record(raw.line, text, None, ("(line)", f"not valid JSON: {_why(error)}"))
                continue
            if not isinstance(value, dict):
                yield Record(raw.line, text, None, ("(line)", f"is a JSON {type(value).__name__}, not an object"))
                continue
            for name in _IGNORED:
                value.pop(name, None)
            yield Record(raw.line, text, value, _too_long_json(value) if len(text) > MAX_FIELD_CHARS else None)


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _why(error: Exception) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return str(error).split(";")[0]


def _too_long_json(value: Mapping[str, Any]) -> tuple[str, str] | None:
    attributes = value.get("attributes")
    if isinstance(attributes, Mapping):
        nested = _too_long([f"attributes.{key}" for key in attributes], list(attributes.values()))
        if nested is not None:
            return nested
    return _too_long(list(value), list(value.values()))


def _format_of(path: Path, text: IO[str]) -> str:
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if path.suffix.lower() in (".csv", ".txt"):
        return "csv"
    # No telling suffix: a JSON object on the first non-blank line means JSON Lines.
    for record in lines(text):
        if record.text.strip():
            return "jsonl" if record.text.lstrip().startswith("{") else "csv"
    return "csv"


def _clean_header(path: Path, row: list[str], required: Sequence[str]) -> list[str]:
    header = [name.strip() for name in row]
    for index, name in enumerate(header):
        if not name:
            raise InputError(f"{path}:1: header: column {index + 1} has no name")
        if header.index(name) != index:
            raise InputError(f"{path}:1: header: column {name!r} appears twice")
    missing = [name for name in required if name not in header]
    if missing:
        raise InputError(
            f"{path}:1: header: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(found: {', '.join(header)}; needed: {', '.join(required)})"
        )
    return header


def open_source(path: str | os.PathLike[str], required: Sequence[str], encoding: str | None = None) -> Source:
    """Open ``path`` for streaming; check it exists, decodes, and (CSV) has the required columns."""
    file = Path(path)
    if not file.exists():
        raise InputError(f"{file}: no such file")
    if file.is_dir():
        raise InputError(f"{file}: is a directory, not a file")
    chosen = detect_encoding(file, encoding)
    handle = file.open(encoding=chosen, newline="")
    try:
        fmt = _format_of(file, handle)
        handle.seek(0)
        if fmt != "csv":
            return Source(file, chosen, fmt, handle, lines(handle))
        records = csv_records(handle)
        first = next(records, None)
        if first is None:
            raise InputError(f"{file}: is empty; expected a header line: {','.join(required)}")
        if first.size > MAX_FIELD_CHARS:
            raise InputError(f"{file}:1: header: is {first.size:,} characters long; the limit is {MAX_FIELD_CHARS:,}")
        try:
            names = csv_fields(first.text)
        except csv.Error as error:
            raise InputError(f"{file}:1: header: unreadable CSV: {error}") from None
        return Source(file, chosen, fmt, handle, records, _clean_header(file, names, required))
    except BaseException:
        handle.close()
        raise
