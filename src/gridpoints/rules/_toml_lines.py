"""Find the source line of every key in a TOML document (tomllib reports values, not lines).

The scanner walks the text once and records, for each key path (``("rules", 2, "points")``),
the line where the key or table header appears. It understands what can move a key's line:
``[table]`` and ``[[array-of-tables]]`` headers (array elements are numbered from 0, nested
arrays counted per parent element), dotted and quoted keys, comments, basic and literal strings
(multi-line ones too) and values that span lines (arrays, inline tables). Keys inside an inline
table or a multi-line array are not recorded: ``line_of`` falls back to the nearest recorded
ancestor, which is the line of the key that opens the value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["MAX_DEPTH", "KeyLines", "TooDeep"]

Path = tuple[str | int, ...]

#: How deeply keys (``a.b.c``, ``[a.b]``) and values (``[[…]]``, ``{…}``) may nest. A rule file
#: needs 6; tomllib recurses once per level and handles a key in time quadratic in its parts, so
#: a file nested 100,000 deep must be refused before it is parsed.
MAX_DEPTH = 32


class TooDeep(ValueError):
    """A key or value nests deeper than ``MAX_DEPTH``; ``line`` is where."""

    def __init__(self, line: int, what: str) -> None:
        super().__init__(f"{what} nests deeper than {MAX_DEPTH} levels")
        self.line = line

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


def _unescape(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "uU":
            return chr(int(code[1:], 16))
        return _SIMPLE_ESCAPES.get(code, code)

    return _ESCAPE.sub(replace, text)


def _parse_key(text: str, start: int) -> tuple[list[str], int] | None:
    """Read a (dotted, possibly quoted) key at ``start``; return its parts and the end index."""
    parts: list[str] = []
    i = start
    while True:
        while i < len(text) and text[i] in " \t":
            i += 1
        if i >= len(text):
            return None
        char = text[i]
        if char == '"':
            end = i + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            if end >= len(text):
                return None
            parts.append(_unescape(text[i + 1 : end]))
            i = end + 1
        elif char == "'":
            end = text.find("'", i + 1)
            if end < 0:
                return None
            parts.append(text[i + 1 : end])
            i = end + 1
        else:
            match = _BARE.match(text, i)
            if match is None:
                return None
            parts.append(match.group(0))
            i = match.end()
        while i < len(text) and text[i] in " \t":
            i += 1
        if i < len(text) and text[i] == ".":
            i += 1
            continue
        return parts, i


class _ValueScanner:
    """Tracks what spans lines inside values: open brackets and multi-line strings."""

    def __init__(self) -> None:
        self.depth = 0
        self.deepest = 0
        self.multiline: str | None = None  # '"""' or "'''" while inside one

    @property
    def inside(self) -> bool:
        return self.depth > 0 or self.multiline is not None

    def feed(self, text: str, start: int = 0) -> None:
        i = start
        n = len(text)
        while i < n:
            if self.multiline is not None:
                end = self._close_multiline(text, i)
                if end < 0:
                    return
                self.multiline = None
                i = end
                continue
            char = text[i]
            if char == "#":
                return
            if text.startswith('"""', i) or text.startswith("'''", i):
                self.multiline = text[i : i + 3]
                i += 3
            elif char == '"':
                i += 1
                while i < n and text[i] != '"':
                    i += 2 if text[i] == "\\" else 1
                i += 1
            elif char == "'":
                close = text.find("'", i + 1)
                i = n if close < 0 else close + 1
            elif char in "[{":
                self.depth += 1
                self.deepest = max(self.deepest, self.depth)
                i += 1
            elif char in "]}":
                self.depth = max(0, self.depth - 1)
                i += 1
            else:
                i += 1

    def _close_multiline(self, text: str, i: int) -> int:
        """Index just after the closing delimiter on this line, or -1."""
        quote = self.multiline or ""
        while True:
            found = text.find(quote, i)
            if found < 0:
                return -1
            if quote == '"""':
                backslashes = 0
                j = found - 1
                while j >= i and text[j] == "\\":
                    backslashes += 1
                    j -= 1
                if backslashes % 2:
                    i = found + 1
                    continue
            end = found + 3
            # Up to two extra quotes just before the delimiter belong to the string.
            while end < len(text) and text[end] == quote[0] and end - found < 5:
                end += 1
            return end


class KeyLines:
    """Line numbers (from 1) of the keys and tables of one TOML document.

    Raises ``TooDeep`` for a key or value nested deeper than ``MAX_DEPTH``; it scans any text
    without failing otherwise, so it runs before the document is parsed.
    """

    def __init__(self, text: str) -> None:
        self.lines: dict[Path, int] = {}
        self._arrays: dict[Path, int] = {}
        self._scan(text)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path``, or of its nearest recorded ancestor; None if nothing matches."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return None

    def _resolve(self, parts: Sequence[str]) -> Path:
        """Key parts → a path, stepping into the last element of every array of tables."""
        path: Path = ()
        for part in parts:
            path = (*path, part)
            if path in self._arrays:
                path = (*path, self._arrays[path])
        return path

    def _record(self, path: Path, line: int) -> None:
        self.lines.setdefault(path, line)

    def _scan(self, text: str) -> None:
        values = _ValueScanner()
        table: Path = ()
        for number, raw in enumerate(text.splitlines(), start=1):
            if values.inside:
                values.feed(raw)
                self._check(values.deepest, number, "a value")
                continue
            stripped = raw.lstrip(" \t")
            offset = len(raw) - len(stripped)
            if not stripped or stripped.startswith("#"):
                continue
            if stripped.startswith("[["):
                parsed = _parse_key(raw, offset + 2)
                if parsed is not None:
                    self._check(len(parsed[0]), number, "a table name")
                    array = (*self._resolve(parsed[0][:-1]), parsed[0][-1])
                    index = self._arrays.get(array, -1) + 1
                    self._arrays[array] = index
                    table = (*array, index)
                    self._record(array, number)
                    self._record(table, number)
                continue
            if stripped.startswith("["):
                parsed = _parse_key(raw, offset + 1)
                if parsed is not None:
                    self._check(len(parsed[0]), number, "a table name")
                    table = self._resolve(parsed[0])
                    self._record(table, number)
                continue
            parsed = _parse_key(raw, offset)
            if parsed is None:
                continue
            parts, end = parsed
            self._check(len(table) + len(parts), number, "a key")
            path = table
            for part in parts:
                path = (*path, part)
                self._record(path, number)
            if end < len(raw) and raw[end] == "=":
                values.feed(raw, end + 1)
                self._check(values.deepest, number, "a value")

    @staticmethod
    def _check(depth: int, line: int, what: str) -> None:
        if depth > MAX_DEPTH:
            raise TooDeep(line, what)
