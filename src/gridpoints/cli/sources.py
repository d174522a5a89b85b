"""Input files, streamed: encoding detection, CSV and JSON Lines records with their line numbers.

Nothing here holds more than one record (and one read buffer) in memory, whatever the file size.
A file that cannot be read at all (missing, undecodable, bad header) raises ``InputError`` before
any of it is used; a record that is wrong on its own comes back as a ``Record`` with ``error``.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import attrs

__all__ = ["REJECT_COLUMN", "InputError", "Record", "Source", "detect_encoding", "open_source"]

#: The column (CSV) or key (JSON Lines) a rejects file adds; ignored when a file is imported.
REJECT_COLUMN = "reject_reason"
_CHUNK = 1 << 20


class InputError(Exception):
    """A file cannot be used at all (a usage error: exit code 2). The message names the file."""


@attrs.frozen
class Record:
    """One record: where it starts, its raw form (for a rejects file) and its values.

    ``values`` maps column (or JSON key) → value; None when the record itself is malformed,
    and then ``error`` is ``(field, reason)``.
    """

    line: int
    raw: Sequence[str] | str
    values: dict[str, Any] | None
    error: tuple[str, str] | None = None


def _utf8_bom(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(3) == codecs.BOM_UTF8


def _decodes(path: Path, encoding: str) -> tuple[int, str] | None:
    """None when the whole file decodes in ``encoding``; else ``(line, reason)`` of the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 1
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                return lines + chunk[: max(error.start, 0)].count(b"\n"), error.reason
            if not chunk:
                return None
            lines += chunk.count(b"\n")


def detect_encoding(path: Path, chosen: str | None = None) -> str:
    """The file's encoding: ``chosen`` if given, else UTF-8 (with or without BOM), else GB18030.

    The whole file is decoded once, streamed, so a bad byte deep in a large file is found before
    anything is imported.
    """
    if chosen is not None:
        try:
            codecs.lookup(chosen)
        except LookupError:
            raise InputError(f"--encoding: {chosen!r} is not an encoding Python knows") from None
        candidates = [chosen]
    elif _utf8_bom(path):
        candidates = ["utf-8-sig"]
    else:
        candidates = ["utf-8", "gb18030"]
    failure: tuple[int, str] | None = None
    for encoding in candidates:
        failure = _decodes(path, encoding)
        if failure is None:
            return encoding
    assert failure is not None
    tried = " or ".join(candidates)
    raise InputError(
        f"{path}:{failure[0]}: cannot be read as {tried} ({failure[1]}); pass --encoding with the file's encoding"
    )


def _format_of(path: Path, text: IO[str]) -> str:
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if path.suffix.lower() in (".csv", ".txt"):
        return "csv"
    # No telling suffix: a JSON object on the first non-blank line means JSON Lines.
    for line in text:
        if line.strip():
            return "jsonl" if line.lstrip().startswith("{") else "csv"
    return "csv"


class Source:
    """One opened input file: its format, encoding, header (CSV) and records."""

    def __init__(
        self,
        path: Path,
        encoding: str,
        fmt: str,
        handle: IO[str],
        reader: Iterator[list[str]] | None = None,
        header: list[str] | None = None,
    ) -> None:
        self.path = path
        self.encoding = encoding
        self.format = fmt
        self.header = header
        self._handle = handle
        self._reader = reader

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
        assert self.header is not None and self._reader is not None
        reader: Any = self._reader
        width = len(self.header)
        ignored = {i for i, name in enumerate(self.header) if name == REJECT_COLUMN}
        line = reader.line_num + 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:  # a NUL byte, an over-long field: that row only
                start, line = line, reader.line_num + 1
                yield Record(start, [], None, ("(row)", f"unreadable CSV: {error}"))
                continue
            start, line = line, reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                yield Record(start, row, None, ("(row)", f"has {len(row)} fields; the header has {width}"))
                continue
            values = {name: value for i, (name, value) in enumerate(zip(self.header, row, strict=True))
                      if i not in ignored}
            yield Record(start, row, values)

    def _jsonl_records(self) -> Iterator[Record]:
        for number, line in enumerate(self._handle, start=1):
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            try:
                value = json.loads(text, parse_float=Decimal)
            except json.JSONDecodeError as error:
                yield Record(number, text, None, ("(line)", f"not valid JSON: {error.msg} at column {error.colno}"))
                continue
            if not isinstance(value, dict):
                yield Record(number, text, None, ("(line)", f"is a JSON {type(value).__name__}, not an object"))
                continue
            value.pop(REJECT_COLUMN, None)
            yield Record(number, text, value)


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
            return Source(file, chosen, fmt, handle)
        reader = csv.reader(handle)
        first = next(reader, None)
        if first is None:
            raise InputError(f"{file}: is empty; expected a header line: {','.join(required)}")
        return Source(file, chosen, fmt, handle, reader, _clean_header(file, first, required))
    except BaseException:
        handle.close()
        raise
