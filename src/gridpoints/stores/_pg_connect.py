"""PostgreSQL connections for the store: URL options, timeouts, one connection or a pool, errors.

Needs psycopg 3 (the ``postgres`` extra); the pool needs psycopg_pool (``postgres-pool``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs
import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from gridpoints.errors import ConfigurationError, StoreBusyError, StoreError, StoreUnavailableError

__all__ = [
    "PgOptions",
    "PooledConnections",
    "SingleConnection",
    "check_schema",
    "connection_source",
    "parse_url",
    "translate_errors",
]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
#: Options gridpoints reads from the URL's query; everything else is handed to libpq.
_OWN_OPTIONS = ("schema", "lock_timeout", "statement_timeout", "pool_size")
#: Query parameters whose values are never shown: password, sslpassword, and any like them.
_SECRET = re.compile(r"pass|secret|token|key", re.IGNORECASE)
#: What the server says when it was reached but refuses these settings: retrying cannot help.
_REFUSED = re.compile(
    r'(database|role) "[^"]*" does not exist|password authentication failed|no pg_hba\.conf entry'
    r"|is not permitted to log in|permission denied for database"
)


@attrs.frozen
class PgOptions:
    """How the store connects: libpq URL (without gridpoints' own options) and its settings.

    Timeouts are in seconds. ``lock_timeout`` is how long a writer waits for the chain head
    before ``StoreBusyError``; ``statement_timeout`` bounds any one statement;
    ``connect_timeout`` bounds reaching the server. ``pool_size`` None = one connection.
    """

    conninfo: str
    display: str
    schema: str | None = None
    lock_timeout: float = 30.0
    statement_timeout: float = 300.0
    connect_timeout: int = 10
    pool_size: int | None = None


def _seconds(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigurationError(f"{name}: {text!r} is not a number of seconds") from None
    if not value > 0:
        raise ConfigurationError(f"{name}: {text!r} must be more than 0 seconds")
    return value


def check_schema(name: str, source: str = "schema") -> str:
    """Refuse PostgreSQL's own schemas (``pg_*``, ``information_schema``): the ledger is not theirs."""
    if name.lower().startswith("pg_") or name.lower() == "information_schema":
        raise ConfigurationError(f"{source}: {name!r} is a PostgreSQL system schema; give a schema of your own")
    return name


def _shown(url: str) -> str:
    """``url`` with its password and every secret parameter replaced by ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    query = parse_qsl(parts.query, keep_blank_values=True)
    shown = urlencode([(k, "***" if _SECRET.search(k) else v) for k, v in query], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, shown, ""))


def parse_url(url: str, **overrides: object) -> PgOptions:
    """Split a ``postgresql://`` URL into libpq's part and gridpoints' options.

    ``overrides`` (keyword arguments of the store) win over the URL's query parameters. A
    parameter given twice is an error (which one would win is not obvious), and so is a
    system schema; both are refused before any connection is made.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigurationError(f"url: {_shown(url)!r} is not a postgresql:// URL")
    query = parse_qsl(parts.query, keep_blank_values=True)
    names = [k for k, _ in query]
    for name in names:
        if names.count(name) > 1:
            raise ConfigurationError(f"{name}: given {names.count(name)} times in the URL; give it once")
    own = {k: v for k, v in query if k in _OWN_OPTIONS}
    rest = [(k, v) for k, v in query if k not in _OWN_OPTIONS]
    own.update({k: str(v) for k, v in overrides.items() if v is not None})
    libpq = dict(rest)
    text = libpq.setdefault("connect_timeout", "10")
    if not text.isdigit() or int(text) < 1:
        raise ConfigurationError(f"connect_timeout: {text!r} must be a whole number of seconds, 1 or more")
    connect_timeout = int(text)
    conninfo = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(list(libpq.items())), ""))
    display = _shown(url)
    schema = own.get("schema") or None
    if schema is not None and not _IDENTIFIER.fullmatch(schema):
        raise ConfigurationError(
            f"schema: {schema!r} is not a plain identifier (letters, digits, _; at most 63; not starting with a digit)"
        )
    if schema is not None:
        check_schema(schema)
    pool_size = None
    if own.get("pool_size"):
        text = own["pool_size"]
        if not text.isdigit() or int(text) < 1:
            raise ConfigurationError(f"pool_size: {text!r} must be a whole number of connections, 1 or more")
        pool_size = int(text)
    options = PgOptions(
        conninfo=conninfo,
        display=display,
        schema=schema,
        lock_timeout=_seconds("lock_timeout", own.get("lock_timeout", "30")),
        statement_timeout=_seconds("statement_timeout", own.get("statement_timeout", "300")),
        connect_timeout=connect_timeout,
        pool_size=pool_size,
    )
    if options.lock_timeout >= options.statement_timeout:
        # Otherwise a lock wait would end as a statement timeout, not as StoreBusyError.
        raise ConfigurationError(
            f"lock_timeout: {options.lock_timeout} s must be shorter than statement_timeout "
            f"({options.statement_timeout} s)"
        )
    return options


@contextmanager
def translate_errors(display: str) -> Iterator[None]:
    """Turn psycopg errors into gridpoints' typed store errors (busy, unavailable, other)."""
    try:
        yield
    except (pg_errors.LockNotAvailable, pg_errors.SerializationFailure, pg_errors.DeadlockDetected) as error:
        raise StoreBusyError(
            f"{display}: another writer holds the ledger past lock_timeout ({error.diag.message_primary}); retry later"
        ) from error
    except pg_errors.QueryCanceled as error:
        raise StoreError(f"{display}: a statement ran past statement_timeout ({error})") from error
    except psycopg.OperationalError as error:
        if _REFUSED.search(str(error)):  # the server answered: this URL will never work as it is
            raise ConfigurationError(
                f"{display}: PostgreSQL refused the connection ({str(error).strip()}); check the URL, "
                "retrying will not help"
            ) from error
        raise StoreUnavailableError(
            f"{display}: PostgreSQL is unreachable or the connection dropped ({str(error).strip()}); "
            "the transaction did not complete: retry (events already booked come back as duplicates)"
        ) from error
    except psycopg.Error as error:
        raise StoreError(f"{display}: PostgreSQL: {str(error).strip()}") from error


def session_setup(options: PgOptions) -> Callable[[psycopg.Connection[tuple[object, ...]]], None]:
    """The per-connection settings: timeouts and search_path."""

    def configure(conn: psycopg.Connection[tuple[object, ...]]) -> None:
        for name, seconds in (
            ("lock_timeout", options.lock_timeout),
            ("statement_timeout", options.statement_timeout),
            # A client that vanishes mid-transaction must not hold the chain head for long.
            ("idle_in_transaction_session_timeout", max(options.statement_timeout, 60.0)),
        ):
            conn.execute("SELECT set_config(%s, %s, false)", (name, f"{int(seconds * 1000)}ms"))
        if options.schema is not None:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(options.schema)))
        else:  # the server's search_path decides: it must not name a system schema either
            row = conn.execute("SELECT current_schema()").fetchone()
            if row is not None and row[0] is not None:
                check_schema(str(row[0]), "search_path")

    return configure


class SingleConnection:
    """One connection per store, shared under a lock, reopened when it breaks."""

    def __init__(self, options: PgOptions) -> None:
        self._options = options
        self._configure = session_setup(options)
        self._lock = threading.RLock()
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def _open(self) -> psycopg.Connection[tuple[object, ...]]:
        conn = psycopg.connect(self._options.conninfo, autocommit=True)
        self._configure(conn)
        return conn

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
        with self._lock:
            if self._conn is None or self._conn.closed or self._conn.broken:
                if self._conn is not None:
                    self._conn.close()
                self._conn = None
                with translate_errors(self._options.display):
                    self._conn = self._open()
            yield self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class PooledConnections:
    """A psycopg_pool ConnectionPool of up to ``pool_size`` connections, checked on checkout."""

    def __init__(self, options: PgOptions) -> None:
        try:
            from psycopg_pool import ConnectionPool, PoolTimeout
        except ImportError:
            raise ConfigurationError(
                "pool_size: a connection pool needs psycopg_pool: pip install 'gridpoints[postgres-pool]'"
            ) from None
        self._options = options
        self._timeout_error = PoolTimeout
        self._pool: ConnectionPool[psycopg.Connection[tuple[object, ...]]] = ConnectionPool(
            options.conninfo,
            kwargs={"autocommit": True},
            min_size=1,
            max_size=options.pool_size,
            configure=session_setup(options),
            check=ConnectionPool.check_connection,
            timeout=options.lock_timeout,
            open=False,
            name=f"gridpoints {options.display}",
        )
        try:
            self._pool.open(wait=True, timeout=options.connect_timeout)
        except PoolTimeout as error:
            self._pool.close()
            raise StoreUnavailableError(
                f"{options.display}: no connection within connect_timeout ({options.connect_timeout} s)"
            ) from error

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except self._timeout_error as error:
            raise StoreBusyError(
                f"{self._options.display}: no pooled connection came free within {self._options.lock_timeout} s "
                f"(all {self._options.pool_size} busy, or the server is unreachable); retry later"
            ) from error

    def close(self) -> None:
        self._pool.close()


def connection_source(options: PgOptions) -> SingleConnection | PooledConnections:
    """One shared connection, or a pool when ``pool_size`` is set."""
    if options.pool_size is None:
        return SingleConnection(options)
    return PooledConnections(options)
