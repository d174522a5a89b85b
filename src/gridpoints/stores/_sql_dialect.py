"""The driver surface a SQL store needs, and how one database's SQL differs: its ``Dialect``.

``Cursor`` and ``Connection`` are the DB-API methods the shared SQL base
(``gridpoints.stores.sql``) calls — sqlite3's and psycopg's both have them. A ``Dialect`` spells
what databases write differently: the parameter mark, a list filter, insert-or-ignore, upsert.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar, Protocol, TypeVar

__all__ = ["C", "Connection", "Cursor", "Dialect"]


class Cursor(Protocol):
    """The DB-API cursor methods the base uses (sqlite3's and psycopg's both have them)."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...

    def executemany(self, query: str, params_seq: Iterable[Sequence[Any]], /) -> object: ...


class Connection(Protocol):
    """A connection as the base uses it: ``execute`` returning a cursor, and ``cursor()``."""

    def execute(self, query: str, params: Sequence[Any], /) -> Cursor: ...

    def cursor(self) -> Cursor: ...


C = TypeVar("C", bound=Connection)


class Dialect(abc.ABC):
    """How one database spells what the shared statements need. The defaults are standard SQL
    with ``?`` marks; a dialect overrides what its database spells otherwise."""

    #: The driver's parameter mark.
    mark: ClassVar[str] = "?"
    #: Most values one statement binds in a list filter (look-ups are split into chunks of it).
    max_list: ClassVar[int | None] = None

    def sql(self, text: str) -> str:
        """``text``, written with ``?`` marks, in this dialect's marks."""
        return text if self.mark == "?" else text.replace("?", self.mark)

    def marks(self, count: int) -> str:
        """``?, ?, …`` for ``count`` values."""
        return ", ".join([self.mark] * count)

    def any_of(self, column: str, values: list[Any]) -> tuple[str, list[Any]]:
        """A condition that ``column`` is one of ``values`` (none matches an empty list), and its
        parameters."""
        if not values:
            return "1 = 0", []
        return f"{column} IN ({self.marks(len(values))})", values

    def where(self, filters: Sequence[tuple[str, Iterable[Any] | None]]) -> tuple[str, list[Any]]:
        """A WHERE clause (one ``any_of`` per filter given, joined by AND) and its parameters.

        A ``ref`` filter also says ``ref <> ''``, so the database can use the partial index
        ``entries_ref``.
        """
        clauses: list[str] = []
        params: list[Any] = []
        for column, values in filters:
            if values is None:
                continue
            clause, more = self.any_of(column, list(values))
            clauses.append(clause)
            params.extend(more)
            if column == "ref":
                clauses.append("ref <> ''")
        return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), params

    def chunks(self, values: Sequence[Any]) -> Iterator[Sequence[Any]]:
        """``values`` in slices of at most ``max_list``."""
        size = self.max_list or max(len(values), 1)
        for start in range(0, len(values), size):
            yield values[start : start + size]

    @abc.abstractmethod
    def insert_or_ignore(self, table: str, count: int) -> str:
        """An INSERT of ``count`` values into ``table`` that does nothing for a duplicate key."""

    @abc.abstractmethod
    def upsert(self, table: str, columns: Sequence[str], key: str) -> str:
        """An INSERT of ``columns`` into ``table`` that replaces the row with the same ``key``."""
