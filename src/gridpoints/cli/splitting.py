"""Split a text stream into records, bounded: CSV records (quoted fields may span lines) and lines.

A record longer than ``MAX_RECORD_CHARS`` is read to its true end but not kept: only its first
``MAX_FIELD_CHARS`` characters come back (enough to find it again), with its full size. So a
huge quoted field can neither fill memory nor have its contents read as records of their own,
and the record after it is found where the CSV rules put it.

Record boundaries follow the ``csv`` module's default dialect exactly: a ``"`` opens quoting only
at the start of a field, ``""`` inside quotes is a quote, and a line break inside quotes belongs
to the field. Lines end at ``\\n``, ``\\r\\n`` or ``\\r`` (the file is opened with ``newline=""``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO, NamedTuple

from gridpoints._validate import MAX_FIELD_CHARS

__all__ = ["MAX_RECORD_CHARS", "RawRecord", "csv_fields", "csv_records", "lines"]

#: The most characters one record (a CSV record or a JSON Lines line) may have: sixteen fields
#: at the field-size limit. Longer records are rejected whole.
MAX_RECORD_CHARS = 16 * MAX_FIELD_CHARS

_FIELD_START, _IN_FIELD, _IN_QUOTES, _AFTER_QUOTE = range(4)
_ENDS = ("\n", "\r")


class RawRecord(NamedTuple):
    """One record as read (a NamedTuple: one is built per input row)."""

    line: int  # the line it starts on, counted from 1
    text: str  # its text with line breaks; cut to MAX_FIELD_CHARS when oversized
    size: int  # its full length in characters

    @property
    def oversized(self) -> bool:
        """Whether it is longer than ``MAX_RECORD_CHARS`` (and so was not kept whole)."""
        return self.size > MAX_RECORD_CHARS


def _pieces(handle: IO[str]) -> Iterator[str]:
    """Physical lines with their line breaks; a line over the record limit comes in pieces."""
    limit = MAX_RECORD_CHARS + 1
    piece = handle.readline(limit)
    while piece:
        following = handle.readline(limit)
        if len(piece) == limit and piece.endswith("\r") and following.startswith("\n"):
            # A size-limited read can stop between the \r and \n of one line break.
            piece, following = piece + "\n", following[1:] or handle.readline(limit)
        yield piece
        piece = following


def _advance(text: str, state: int) -> int:
    """The CSV parser's state after ``text``, given its state before."""
    i, n = 0, len(text)
    while i < n:
        if state == _IN_QUOTES:
            j = text.find('"', i)
            if j < 0:
                return _IN_QUOTES
            i, state = j + 1, _AFTER_QUOTE
        elif state == _AFTER_QUOTE:
            if text[i] == '"':  # "" inside quotes: a quote character
                i, state = i + 1, _IN_QUOTES
            else:  # the closing quote; what follows up to the comma joins the field
                state = _IN_FIELD
        elif state == _FIELD_START and text[i] == '"':
            i, state = i + 1, _IN_QUOTES
        else:  # unquoted: quotes are plain characters, a comma starts the next field
            j = text.find(",", i)
            if j < 0:
                return _IN_FIELD
            i, state = j + 1, _FIELD_START
    return state


def _bounded(handle: IO[str], line: int, quoted: bool) -> Iterator[RawRecord]:
    parts: list[str] = []
    size = 0
    start = line
    state = _FIELD_START
    for piece in _pieces(handle):
        ended = piece.endswith(_ENDS)
        if not parts and ended and len(piece) <= MAX_RECORD_CHARS and not (quoted and '"' in piece):
            yield RawRecord(line, piece, len(piece))  # the common case: one whole line
            line += 1
            continue
        if not parts:
            start, size, state = line, 0, _FIELD_START
        was_kept = size <= MAX_RECORD_CHARS
        size += len(piece)
        if size <= MAX_RECORD_CHARS:
            parts.append(piece)
        elif was_kept:  # it just outgrew the limit: keep its start only, read the rest past
            parts = [("".join(parts) + piece)[:MAX_FIELD_CHARS]]
        if quoted:
            state = _advance(piece, state)
        if ended:
            line += 1
            if state in (_IN_QUOTES, _AFTER_QUOTE):
                continue  # a line break inside quotes: the record goes on
            yield RawRecord(start, "".join(parts), size)
            parts = []
    if parts:  # the file ends inside a record (no final line break, or an unclosed quote)
        yield RawRecord(start, "".join(parts), size)


def csv_records(handle: IO[str], line: int = 1) -> Iterator[RawRecord]:
    """CSV records from ``handle`` (opened with ``newline=""``); ``line`` is the first one's number."""
    return _bounded(handle, line, quoted=True)


def csv_fields(text: str) -> list[str]:
    """The fields of one CSV record's text (as ``csv_records`` gives it); ``csv.Error`` if unreadable."""
    if '"' not in text:  # no quoting: nothing for the csv module to do
        return text.rstrip("\r\n").split(",")
    return next(csv.reader([text]), [])


def lines(handle: IO[str], line: int = 1) -> Iterator[RawRecord]:
    """Lines (JSON Lines records) from ``handle``, bounded like CSV records."""
    return _bounded(handle, line, quoted=False)
