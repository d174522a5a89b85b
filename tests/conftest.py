"""Shared fixtures: engines on the memory store, the PostgreSQL test server, event helpers."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import gridpoints as gp

# The conformance suite's helpers, shared so the tests and the suite build the same events:
# NOW (the engines' fixed clock), at() (a Shanghai time, November 2026 by default) and the
# article's worked example (127 points).
from gridpoints.testing.stores import NOW as NOW
from gridpoints.testing.stores import SHANGHAI as SHANGHAI
from gridpoints.testing.stores import at as at
from gridpoints.testing.stores import xiao_li_month as xiao_li_month

pytest_plugins = ("pytester",)

IN_CI = os.environ.get("CI") == "true"

#: The PostgreSQL server tests use; each test gets a schema of its own there, dropped after it.
PG_URL = os.environ.get("GRIDPOINTS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
#: Prefix of every schema this test run creates, so runs never see each other.
RUN_PREFIX = f"gp_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
_schema_numbers = itertools.count(1)


def postgres_problem(url: str = PG_URL) -> str | None:
    """Why the test server cannot be used, or None when it answers."""
    try:
        import psycopg
    except ImportError as error:
        return f"psycopg is not installed ({error}); pip install -e '.[dev]'"
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return f"PostgreSQL at {url} is unreachable: {str(error).strip()}"
    return None


def with_query(url: str, **params: object) -> str:
    """``url`` with query parameters added."""
    extra = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{url}{'&' if '?' in url else '?'}{extra}"


def drop_schema(name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The server's URL; skips (or, with CI=true, fails) when it cannot be reached."""
    problem = postgres_problem()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"CI=true but {problem}")
        pytest.skip(problem)
    yield PG_URL
    # Safety net: drop whatever a crashed test left behind, and only this run's schemas.
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        left = [r[0] for r in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", (RUN_PREFIX,)
        )]
    for name in left:
        drop_schema(name)


@pytest.fixture
def pg_schema(postgres_server: str) -> Iterator[str]:
    """A fresh schema name for this test (created by the store on open), dropped afterwards."""
    name = f"{RUN_PREFIX}_{next(_schema_numbers)}"
    yield name
    drop_schema(name)


@pytest.fixture
def pg_url(postgres_server: str, pg_schema: str) -> str:
    """A PostgreSQL store URL on this test's own schema."""
    return with_query(postgres_server, schema=pg_schema)


@pytest.fixture
def make_engine() -> Iterator[Callable[..., gp.Engine]]:
    """Build engines on the memory store; keyword arguments go to ``gp.Engine``.

    Store-independent tests run on the reference store only. What each store implements is
    tested on every store by the conformance suite (tests/test_store_conformance.py).
    """
    engines: list[gp.Engine] = []

    def make(**kwargs: Any) -> gp.Engine:
        kwargs.setdefault("clock", lambda: NOW)
        kwargs.setdefault("load_entrypoints", False)
        engine = gp.Engine(None, **kwargs)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


@pytest.fixture
def engine(make_engine: Callable[..., gp.Engine]) -> gp.Engine:
    return make_engine()


#: ``run("report", "2026-09")`` → (exit code, stdout, stderr) of the gridpoints command line.
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``gridpoints ARGS`` through ``main(argv)`` in tmp_path; return (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRIDPOINTS_DB", raising=False)

    def invoke(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        from gridpoints.cli import main

        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke
