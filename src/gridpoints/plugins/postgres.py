"""Built-in plugin: opens ``postgresql://`` and ``postgres://`` URLs as a PostgresStore.

psycopg is imported only when such a URL is opened, so gridpoints works without the extra.
"""

from __future__ import annotations

from gridpoints._markers import hookimpl
from gridpoints.errors import ConfigurationError
from gridpoints.stores import Store

__all__ = ["gridpoints_store"]

SCHEMES = ("postgresql://", "postgres://")


@hookimpl(trylast=True)
def gridpoints_store(url: str) -> Store | None:
    """A PostgresStore for a PostgreSQL URL; None for any other URL."""
    if not url.startswith(SCHEMES):
        return None
    try:
        from gridpoints.stores.postgres import PostgresStore
    except ImportError as error:
        raise ConfigurationError(
            f"store: {url.split('@')[-1]!r} is a PostgreSQL URL, which needs psycopg 3: "
            f"pip install 'gridpoints[postgres]' ({error})"
        ) from None
    return PostgresStore(url)
