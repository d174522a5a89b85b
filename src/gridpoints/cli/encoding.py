"""Which encoding an input file is in: UTF-8 (with or without BOM) or GB18030, never a guess.

UTF-8 is unambiguous: text in another encoding almost never decodes as UTF-8. GB18030 is not:
nearly any bytes decode as GB18030, so a Latin-1 ``Cafés`` reads as ``Caf閟``. A file that is
not UTF-8 is therefore read as GB18030 only when that reading looks like Chinese text — at
least ``GB2312_SHARE`` of its non-ASCII characters are in GB2312, the common simplified set —
and when no line of it is UTF-8 text (a file mixing encodings has no one right reading).
Otherwise it is refused with the line that decides it and a hint to pass ``--encoding``.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import attrs

__all__ = ["GB2312_SHARE", "InputError", "detect_encoding"]

_CHUNK = 1 << 20
#: The least share of non-ASCII characters in GB2312 for a file to be read as GB18030 unasked.
GB2312_SHARE = 0.9
_ASCII = re.compile(r"[\x00-\x7f]+")
_HINT = "pass --encoding with the file's encoding"


class InputError(Exception):
    """A file cannot be used at all (a usage error: exit code 2). The message names the file."""


def _decodes(path: Path, encoding: str) -> tuple[int, str] | None:
    """None when the whole file decodes in ``encoding``; else ``(line, reason)`` of the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 1
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            pending = len(decoder.getstate()[0])  # bytes of a character split by the last chunk
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                return lines + chunk[: max(error.start - pending, 0)].count(b"\n"), error.reason
            if not chunk:
                return None
            lines += chunk.count(b"\n")


@attrs.define
class _Evidence:
    """What the lines of a file that is not UTF-8 say about it."""

    utf8: int | None = None  # the first line that is UTF-8 text, and not plausible GB18030
    non_ascii: int = 0  # non-ASCII characters in the GB18030 reading
    common: int = 0  # of which in GB2312
    doubtful: tuple[int, bytes, str] | None = None  # the first line with a character outside GB2312

    def add(self, number: int, line: bytes) -> None:
        gb_text = line.decode("gb18030", "replace")
        unusual = _ASCII.sub("", gb_text)
        common = len(unusual.encode("gb2312", "ignore")) // 2  # two bytes per GB2312 character
        if common < len(unusual) and self.utf8 is None and _is_utf8(line):
            self.utf8 = number
        self.non_ascii += len(unusual)
        self.common += common
        if common < len(unusual) and self.doubtful is None:
            self.doubtful = (number, line.strip()[:60], gb_text.strip()[:60])


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _evidence(path: Path) -> _Evidence:
    """Read line by line (a line over ``_CHUNK`` bytes in pieces, so memory stays bounded)."""
    evidence = _Evidence()
    number = 1
    with path.open("rb") as handle:
        while piece := handle.readline(_CHUNK):
            if not piece.isascii():
                evidence.add(number, piece)
            number += piece.endswith(b"\n")
    return evidence


def detect_encoding(path: Path, chosen: str | None = None) -> str:
    """The file's encoding: ``chosen`` if given, else UTF-8 (with or without BOM), else GB18030.

    The whole file is decoded, streamed, so a bad byte deep in a large file is found before
    anything is imported; an ambiguous or mixed file is an ``InputError`` naming its line.
    """
    if chosen is not None:
        try:
            codecs.lookup(chosen)
        except LookupError:
            raise InputError(f"--encoding: {chosen!r} is not an encoding Python knows") from None
        return _whole(path, chosen)
    with path.open("rb") as handle:
        if handle.read(3) == codecs.BOM_UTF8:
            return _whole(path, "utf-8-sig")
    failure = _decodes(path, "utf-8")
    if failure is None:
        return "utf-8"
    evidence = _evidence(path)
    if evidence.utf8 is not None:
        raise InputError(
            f"{path}:{failure[0]}: is not UTF-8 ({failure[1]}), but line {evidence.utf8} is: the file mixes "
            f"encodings; save it again in one encoding, or {_HINT}"
        )
    if _decodes(path, "gb18030") is not None:
        raise InputError(f"{path}:{failure[0]}: cannot be read as utf-8 or gb18030 ({failure[1]}); {_HINT}")
    if evidence.doubtful is not None and evidence.common < GB2312_SHARE * evidence.non_ascii:
        line, raw, text = evidence.doubtful
        raise InputError(
            f"{path}:{line}: is not UTF-8, and reading it as GB18030 is doubtful ({raw!r} would read as "
            f"{text!r}); {_HINT}: --encoding gb18030 if that reading is right, else for example "
            "--encoding cp1252 (Western European) or latin-1"
        )
    return "gb18030"


def _whole(path: Path, encoding: str) -> str:
    failure = _decodes(path, encoding)
    if failure is not None:
        raise InputError(f"{path}:{failure[0]}: cannot be read as {encoding} ({failure[1]}); {_HINT}")
    return encoding
