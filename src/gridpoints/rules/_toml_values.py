"""Typed reading of a parsed TOML document, every error located by its key path.

``ValueReader`` knows TOML's value types and where each key is in the text (``KeyLines``), not
what a rule file means: ``toml_file`` builds the rule-file schema on it. Each method checks one
value and returns it converted, or raises the ``RuleFileError`` naming the file, the line and
the key (``versions[1].rules[3].points``, counted from 1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from gridpoints.errors import RuleFileError
from gridpoints.rules._toml_lines import KeyLines

__all__ = ["KeyPath", "ValueReader", "show_path", "type_name"]

KeyPath = tuple[str | int, ...]

_FIELD_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def show_path(path: KeyPath) -> str:
    """``("versions", 0, "rules", 2, "points")`` → ``versions[1].rules[3].points`` (counted from 1)."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += ("." if text else "") + part
    return text or "(file)"


def type_name(value: object) -> str:
    """How an error names a value's TOML type: ``a number``, ``a table``, ``a date``…"""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, Decimal)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, (date, datetime)):
        return "a date"
    return type(value).__name__


class ValueReader:
    """Checks the values of one parsed document; every error is located through ``KeyLines``."""

    def __init__(self, source: str, lines: KeyLines) -> None:
        self.source = source
        self.lines = lines

    def fail(self, path: KeyPath, message: str) -> RuleFileError:
        return RuleFileError(self.source, self.lines.line_of(path), show_path(path), message)

    def table(
        self, value: object, path: KeyPath, allowed: frozenset[str], scheme: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"is {type_name(value)}; expected a table")
        for key in value:
            if key not in allowed and key not in scheme:
                also = f", or a scheme key ({', '.join(sorted(scheme))})" if scheme else ""
                raise self.fail((*path, key), f"unknown key (allowed here: {', '.join(sorted(allowed))}){also}")
        return value

    def text(self, value: object, path: KeyPath) -> str:
        if not isinstance(value, str):
            hint = f' (write it in quotes: "{value}")' if isinstance(value, (int, Decimal)) else ""
            raise self.fail(path, f"is {type_name(value)}; expected a string{hint}")
        if not value.strip():
            raise self.fail(path, "must not be empty")
        return value

    def number(self, value: object, path: KeyPath) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            hint = " (write it without quotes)" if isinstance(value, str) else ""
            raise self.fail(path, f"is {type_name(value)}; expected a number{hint}")
        if isinstance(value, Decimal) and not value.is_finite():
            raise self.fail(path, f"{value} is not a finite number")
        return Decimal(value)

    def boolean(self, value: object, path: KeyPath) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"is {type_name(value)} ({value!r}); expected true or false")
        return value

    def whole(self, value: object, path: KeyPath) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            shown = f" ({value})" if isinstance(value, (int, Decimal)) and not isinstance(value, bool) else ""
            raise self.fail(path, f"is {type_name(value)}{shown}; expected a whole number ≥ 0")
        return value

    def tables(self, value: object, path: KeyPath, what: str) -> list[Any]:
        if not isinstance(value, list) or not value:
            raise self.fail(path, f"is {type_name(value)}; expected [[{what}]] tables (at least one)")
        return value

    def fields(
        self, table: Mapping[str, Any], path: KeyPath, *, texts: Sequence[str] = (), numbers: Sequence[str] = ()
    ) -> dict[str, Any]:
        """The given keys of ``table`` checked as text or numbers (each optional)."""
        found: dict[str, Any] = {}
        for key in texts:
            if key in table:
                found[key] = self.text(table[key], (*path, key))
        for key in numbers:
            if key in table:
                found[key] = self.number(table[key], (*path, key))
        return found

    def scalar(self, value: object, path: KeyPath) -> object:
        if isinstance(value, (str, bool, int, Decimal)):
            return value
        raise self.fail(path, f"is {type_name(value)}; expected a string, number or boolean")

    def required(self, table: Mapping[str, Any], key: str, path: KeyPath) -> Any:
        if key not in table:
            raise self.fail(path, f"missing key {key!r}")
        return table[key]

    def records(
        self,
        value: object,
        path: KeyPath,
        what: str,
        allowed: frozenset[str],
        required: Sequence[str],
        *,
        texts: Sequence[str] = (),
        numbers: Sequence[str] = (),
    ) -> list[dict[str, Any]]:
        """``[[what]]`` tables: known keys only, ``required`` present, texts and numbers checked."""
        result = []
        for i, item in enumerate(self.tables(value, path, what)):
            here = (*path, i)
            table = self.table(item, here, allowed)
            for key in required:
                self.required(table, key, here)
            result.append(self.fields(table, here, texts=texts, numbers=numbers))
        return result

    def located(self, error: Exception, table: Mapping[str, Any], path: KeyPath) -> RuleFileError:
        """A type's error (``tallies[2].kinds[1]: unknown kind …``) at the key it names, when
        that key is in ``table``; at ``path`` otherwise."""
        field, _, rest = str(error).partition(": ")
        parts: list[str | int] = []
        for name, number in _FIELD_PART.findall(field):
            parts.append(name if name else int(number) - 1)
        if rest and parts and isinstance(parts[0], str) and parts[0] in table and " " not in field:
            return self.fail((*path, *parts), rest)
        return self.fail(path, str(error))
