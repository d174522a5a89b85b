"""PostgreSQL's own event-bindings statement (``postgres.EVENT_BINDINGS``: ``DISTINCT ON``, a
window and a full join) against the one the SQL stores share: the same bindings on intact and
tampered schemas."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("psycopg", reason="the PostgreSQL store needs psycopg: pip install -e '.[dev]'")

import psycopg
from psycopg import sql

import gridpoints as gp
from gridpoints.stores.postgres import EVENT_BINDINGS, PostgresStore
from gridpoints.stores.sql import EVENT_BINDINGS as SHARED_EVENT_BINDINGS
from tests.helpers_bindings import POSTGRES_SQL, tamper, tampering
from tests.test_tampering import build_ledger

pytestmark = pytest.mark.postgres

#: Event ids a tamperer could write: beyond ASCII, a prefix of another, empty (PostgreSQL text
#: holds no NUL and no lone surrogate).
IDS = st.one_of(
    st.sampled_from(["p1", "p10", "", "m1", "o1", "网格-7", "zz", "P1"]),
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=4),
)


@pytest.fixture
def ledger_schema(pg_url: str, pg_schema: str) -> str:
    build_ledger(pg_url).close()  # type: ignore[arg-type]  # a store URL, as Engine takes it
    return pg_schema


def bindings(conn: psycopg.Connection[Any], statement: str) -> Counter[tuple[Any, ...]]:
    return Counter(tuple(row) for row in conn.execute(statement))


def test_the_store_reads_its_own_statement_and_it_gives_the_shared_bindings(pg_url: str, ledger_schema: str) -> None:
    store = PostgresStore(pg_url)
    got = Counter(store.event_bindings())
    store.close()
    with psycopg.connect(pg_url.split("?")[0]) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(ledger_schema)))
        assert got == bindings(conn, SHARED_EVENT_BINDINGS) == bindings(conn, EVENT_BINDINGS)
    assert {b.status for b in got} == {"booked", "corrected"} and len(got) == 16


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(tampering(IDS), min_size=1, max_size=6))
def test_on_a_tampered_schema_it_gives_the_shared_statement_s_bindings(
    pg_url: str, ledger_schema: str, steps: list[tuple[Any, ...]]
) -> None:
    # Every example tampers inside one transaction, compares, and rolls back: the schema stays
    # as the engine wrote it. Triggers are off for the session (a superuser, as an attacker
    # with the server's keys would be).
    with psycopg.connect(pg_url.split("?")[0]) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(ledger_schema)))
        conn.execute("SET session_replication_role = replica")
        for step in steps:
            tamper(conn, step, POSTGRES_SQL)
        assert bindings(conn, EVENT_BINDINGS) == bindings(conn, SHARED_EVENT_BINDINGS)
        conn.rollback()


def test_gp_engine_verify_still_passes_on_postgres(pg_url: str, ledger_schema: str) -> None:
    engine = gp.Engine(pg_url, load_entrypoints=False)
    assert engine.ledger.verify()
    engine.close()


def test_the_cold_verify_times_either_statement_on_postgres(pg_url: str, ledger_schema: str) -> None:
    from benchmarks.verify_cold import verify

    own, shared = verify(pg_url, "after"), verify(pg_url, "before", shared_statement=True)
    assert own.startswith("after ok=True entries=") and shared.startswith("before ok=True entries=")
    assert own.split()[2] == shared.split()[2]
