"""What only the PostgreSQL store has: URL options, schema migrations, timeouts, busy and down
servers, dropped connections, retry-safe ingest, the pool, append-only triggers.

The behaviour every store shares is pinned by tests/test_store_conformance.py.
"""

from __future__ import annotations

import socket
import string
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("psycopg", reason="the PostgreSQL store needs psycopg: pip install -e '.[dev]'")

import psycopg
from psycopg import sql

import gridpoints as gp
from gridpoints.stores._pg_connect import parse_url
from gridpoints.stores._pg_schema import MIGRATIONS
from gridpoints.stores.postgres import PostgresStore
from tests.conftest import NOW, PG_URL, at, drop_schema, with_query, xiao_li_month

pytestmark = pytest.mark.postgres


def engine_on(url: str, **kwargs: Any) -> gp.Engine:
    kwargs.setdefault("clock", lambda: NOW)
    engine = gp.Engine(url, load_entrypoints=False, **kwargs)
    engine.add_members([gp.Member(id="M001", region="urban")])
    return engine


@contextmanager
def admin(schema: str | None = None) -> Iterator[psycopg.Connection[Any]]:
    """A separate connection, as another server or an administrator would have."""
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        if schema is not None:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        yield conn


# -- URL options -------------------------------------------------------------------------


def test_own_options_are_taken_out_of_the_url_and_the_password_is_hidden() -> None:
    options = parse_url("postgresql://u:s3cret@db:5433/x?schema=district_a&lock_timeout=2.5&sslmode=prefer&pool_size=3")
    assert options.conninfo == "postgresql://u:s3cret@db:5433/x?sslmode=prefer&connect_timeout=10"
    assert (options.schema, options.lock_timeout, options.pool_size) == ("district_a", 2.5, 3)
    assert "s3cret" not in options.display and ":***@" in options.display
    assert "hidden" not in parse_url("postgres://h/x?password=hidden").display
    assert parse_url("postgres://h/x?connect_timeout=3", lock_timeout=1).connect_timeout == 3
    assert parse_url("postgres://h/x?lock_timeout=9", lock_timeout=1).lock_timeout == 1


@settings(max_examples=50)
@given(
    password=st.text(alphabet=string.ascii_letters + string.digits, min_size=4, max_size=20),
    schema=st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,62}", fullmatch=True),
)
def test_any_password_is_hidden_and_any_identifier_is_a_schema(password: str, schema: str) -> None:
    options = parse_url(f"postgresql://u:{password}@h/db?schema={schema}&password={password}")
    shown = urlsplit(options.display)
    assert shown.password == "***" and dict(parse_qsl(shown.query))["password"] == "***"
    assert options.schema == schema and "schema=" not in options.conninfo


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("schema=a-b", "schema: 'a-b' is not a plain identifier"),
        ("schema=1abc", "schema: '1abc' is not a plain identifier"),
        ("lock_timeout=soon", "lock_timeout: 'soon' is not a number of seconds"),
        ("lock_timeout=0", "lock_timeout: '0' must be more than 0 seconds"),
        ("lock_timeout=20&statement_timeout=10", "lock_timeout: 20.0 s must be shorter than statement_timeout"),
        ("pool_size=0", "pool_size: '0' must be a whole number"),
        ("connect_timeout=soon", "connect_timeout: 'soon' must be a whole number of seconds"),
    ],
)
def test_bad_url_options_are_clear_errors(query: str, message: str) -> None:
    with pytest.raises(gp.ConfigurationError, match=message):
        gp.Engine(f"postgresql://127.0.0.1/test?{query}", load_entrypoints=False)


def test_without_psycopg_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    for name in ("gridpoints.stores.postgres", "gridpoints.stores._pg_connect"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    with pytest.raises(gp.ConfigurationError, match=r"pip install 'gridpoints\[postgres\]'"):
        gp.Engine("postgresql://user:pw@127.0.0.1/test", load_entrypoints=False)


# -- schema and migrations ---------------------------------------------------------------


def test_both_url_schemes_open_the_store_in_its_own_schema(pg_url: str, pg_schema: str) -> None:
    with engine_on(pg_url) as engine:
        assert isinstance(engine.store, PostgresStore) and engine.store.schema == pg_schema
        engine.ingest(xiao_li_month())
    with engine_on(pg_url.replace("postgresql://", "postgres://")) as engine:
        assert engine.score("M001", "2026-11") == 127
    with admin() as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (pg_schema,))}
    assert tables == {"schema_migrations", "meta", "chain_head", "entries", "events", "members", "ruleset_versions",
                      "decisions", "period_closes", "settlements", "intakes"}


def test_migrations_are_recorded_once_and_a_newer_schema_is_refused(pg_url: str, pg_schema: str) -> None:
    PostgresStore(pg_url).close()
    store = PostgresStore(pg_url)
    assert store.schema_version() == MIGRATIONS[-1].version
    store.close()
    with admin(pg_schema) as conn:
        assert conn.execute("SELECT version, description FROM schema_migrations ORDER BY version").fetchall() == [
            (1, "ledger, events, members, rule-set versions"),
            (2, "review and appeal decisions, closed periods"),
            (3, "settled months"),
            (4, "report sums read one covering index (period, member, kind)"),
            (5, "no second unique index on entries.hash (prev_hash and seq make the chain)"),
            (6, "the intake log: one hashed row per write of event rows"),
        ]
        conn.execute("INSERT INTO schema_migrations (version, description) VALUES (99, 'from the future')")
    with pytest.raises(gp.StoreError, match="is at version 99, newer than this gridpoints"):
        PostgresStore(pg_url)


def test_a_version_1_schema_is_migrated_to_the_current_version(pg_url: str, pg_schema: str) -> None:
    with engine_on(pg_url) as engine:
        engine.ingest(xiao_li_month())
        head = engine.ledger.head()
    with admin(pg_schema) as conn:  # put the schema back to version 1, entries and all
        conn.execute("DROP TABLE decisions, period_closes, settlements, intakes")
        conn.execute("ALTER TABLE events DROP COLUMN intake_seq")
        conn.execute("DROP FUNCTION gridpoints_refuse()")
        conn.execute("DROP INDEX entries_event, entries_ref, entries_period_member_kind")
        conn.execute("CREATE INDEX entries_period_member ON entries (period, member_id) INCLUDE (points_cents)")
        conn.execute("DELETE FROM schema_migrations WHERE version > 1")
    with engine_on(pg_url) as engine:
        assert engine.store.decision_rows() == [] and engine.store.period_closes() == []
        verified = engine.ledger.verify()
        assert engine.ledger.head() == head and verified
        assert "events: 23 event rows are not bound: written before the intake log (intake_seq 0)" in verified.notes
        # Closing settles first: the settle decision is the entry after the old head.
        assert engine.close_period("2026-11", by="考核办").head_seq == head[0] + 1
    with admin(pg_schema) as conn:
        versions = conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
        assert [v for (v,) in versions] == [1, 2, 3, 4, 5, 6]
        listed = conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        indexes = {name for (name,) in listed}
        assert "entries_period_member_kind" in indexes and "entries_period_member" not in indexes
        assert "entries_hash_key" not in indexes and "entries_prev_hash_key" in indexes
        for statement in ("UPDATE period_closes SET report = '{}'", "DELETE FROM decisions", "TRUNCATE intakes"):
            with pytest.raises(psycopg.errors.RaiseException, match=r"cannot be reopened|append-only"):
                conn.execute(statement)


def test_servers_opening_a_fresh_schema_at_once_create_it_once(pg_url: str, pg_schema: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def open_store() -> None:
        start.wait()
        try:
            PostgresStore(pg_url).close()
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with admin(pg_schema) as conn:
        assert conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone() == (MIGRATIONS[-1].version,)


def test_search_path_in_libpq_options_picks_the_schema(postgres_server: str, pg_schema: str) -> None:
    url = with_query(postgres_server, options=f"-csearch_path%3D{pg_schema}")
    with pytest.raises(gp.ConfigurationError, match="search_path names no existing schema"):
        PostgresStore(url)
    with admin() as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(pg_schema)))
    store = PostgresStore(url)
    assert store.schema == pg_schema and store.head() == (0, gp.ledger.GENESIS)
    store.close()


def test_entries_are_append_only_in_the_database(pg_url: str, pg_schema: str) -> None:
    with engine_on(pg_url) as engine:
        engine.ingest(xiao_li_month())
    with admin(pg_schema) as conn:
        for statement in ("UPDATE entries SET points_cents = 0", "DELETE FROM entries", "TRUNCATE entries",
                          "UPDATE intakes SET events = 0", "DELETE FROM intakes", "TRUNCATE intakes"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(statement)
        # Nor a second intake log from the same parent.
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("INSERT INTO intakes SELECT seq + 1, events, digest, prev_hash, hash || 'x' FROM intakes")
        # A second chain from the same parent cannot even be inserted by hand.
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                "INSERT INTO entries SELECT seq + 1000, member_id, event_id, kind, period, day, points_cents, "
                "coefficient, quantity, rule, ruleset, version, digest, reason, ref, prev_hash, 'x' "
                "FROM entries WHERE seq = 5"
            )


# -- down servers and timeouts -----------------------------------------------------------


def test_a_refused_connection_is_store_unavailable_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(gp.StoreUnavailableError, match="unreachable") as caught:
        gp.Engine("postgresql://postgres:pw@127.0.0.1:1/test", load_entrypoints=False)
    assert time.monotonic() - started < 5
    assert "pw@" not in str(caught.value)


@pytest.mark.slow
def test_a_server_that_never_answers_times_out_instead_of_hanging() -> None:
    with socket.socket() as silent:  # accepts TCP connections, never speaks PostgreSQL
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(gp.StoreUnavailableError, match="timeout"):
            gp.Engine(f"postgresql://postgres@127.0.0.1:{port}/test?connect_timeout=1", load_entrypoints=False)
        elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 6, elapsed


@pytest.mark.slow
@pytest.mark.parametrize("pool", [None, 2])
def test_a_held_chain_head_is_store_busy_after_lock_timeout(pg_url: str, pg_schema: str, pool: int | None) -> None:
    url = with_query(pg_url, lock_timeout=0.5, **({"pool_size": pool} if pool else {}))
    with engine_on(url) as engine, admin(pg_schema) as other:
        with other.transaction():
            other.execute("SELECT * FROM chain_head FOR UPDATE")
            started = time.monotonic()
            with pytest.raises(gp.StoreBusyError, match="lock_timeout"):
                engine.ingest(xiao_li_month())
            elapsed = time.monotonic() - started
        assert 0.5 <= elapsed < 3, elapsed
        assert engine.ledger.head()[0] == 0
        assert len(engine.ingest(xiao_li_month()).accepted) == 23  # retry once the lock is free


@pytest.mark.slow
def test_an_exhausted_pool_is_store_busy_after_the_timeout(pg_url: str) -> None:
    store = PostgresStore(with_query(pg_url, lock_timeout=0.5, pool_size=1))
    with store.transaction():
        seen: list[BaseException] = []
        thread = threading.Thread(target=lambda: seen.extend(_raised(store.head)))
        thread.start()
        thread.join()
    assert [type(e) for e in seen] == [gp.StoreBusyError]
    assert "no pooled connection came free within 0.5 s" in str(seen[0])
    store.close()


def test_appeals_open_and_are_decided_on_a_pool_of_one_connection(pg_url: str) -> None:
    # Every read of opening an appeal goes through its transaction: with one pooled connection,
    # a read through the store would wait for the connection the transaction holds.
    with engine_on(with_query(pg_url, lock_timeout=2, pool_size=1)) as engine:
        engine.ingest([gp.Event("c1", "M001", "complaint", at(3)), gp.Event("c2", "M001", "complaint", at(4))])
        first, second = (e.seq for e in engine.explain("M001", "2026-11"))
        assert engine.appeal(first, by="M001", reason="not me").uphold(by="考核办").status == "upheld"
        assert engine.appeal(second, by="M001", reason="nor this").id == "A-2"


def test_every_desk_operation_works_on_a_pool_of_one_connection(pg_url: str) -> None:
    # Closing froze the month's report through the store while its transaction held the only
    # pooled connection: it waited lock_timeout and failed with StoreBusyError.
    with engine_on(with_query(pg_url, lock_timeout=2, pool_size=1)) as engine:
        engine.ingest([gp.Event("m1", "M001", "mediation", at(3)), gp.Event("p1", "M001", "patrol", at(4)),
                       gp.Event("p2", "M001", "patrol", at(5))])
        assert engine.review.approve("m1", by="审核员") == 1
        engine.correct("p2", gp.Event("p3", "M001", "patrol", at(6)), by="审核员", reason="更正")
        engine.settle("2026-11")
        closed = engine.close_period("2026-11", by="考核办")
        assert closed.report.rows[0].score == engine.score("M001", "2026-11")
        assert engine.ledger.verify().ok


def _raised(call: Any) -> list[BaseException]:
    try:
        call()
    except BaseException as error:
        return [error]
    return []


# -- dropped connections and retries -----------------------------------------------------


def _terminate(pid: int) -> None:
    with admin() as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.mark.parametrize("pool", [None, 2])
def test_a_batch_retried_after_a_dropped_connection_books_once(pg_url: str, pool: int | None) -> None:
    url = with_query(pg_url, pool_size=pool) if pool else pg_url
    engine = engine_on(url)
    engine.pipeline.chunk_size = 5
    store = engine.store
    original = store.transaction

    @contextmanager
    def dropping() -> Iterator[Any]:
        with original() as tx:
            append = tx.append
            calls = [0]

            def append_then_drop(entries: Any, events: Any) -> None:
                append(entries, events)
                calls[0] += 1
                if calls[0] == 3:  # the server goes away with three chunks written, uncommitted
                    _terminate(tx._conn.info.backend_pid)

            tx.append = append_then_drop
            yield tx

    store.transaction = dropping  # type: ignore[method-assign]
    with pytest.raises(gp.StoreUnavailableError, match="connection dropped"):
        engine.ingest(xiao_li_month())
    store.transaction = original  # type: ignore[method-assign]
    assert engine.ledger.head()[0] == 0 and not engine.store.event_rows()
    result = engine.ingest(xiao_li_month())  # the same engine reconnects
    assert len(result.accepted) == 23 and engine.score("M001", "2026-11") == 127
    again = engine.ingest(xiao_li_month())  # as if the acknowledgement had been lost: nothing twice
    assert len(again.duplicates) == 23 and engine.ledger.verify().entries == 23
    engine.close()


def test_a_retry_after_a_commit_whose_acknowledgement_was_lost_adds_nothing(pg_url: str) -> None:
    engine = engine_on(pg_url)
    store = engine.store
    original = store.transaction

    @contextmanager
    def lose_the_ack() -> Iterator[Any]:
        with original() as tx:
            yield tx
        # Committed; now the connection dies before the caller hears of it.
        raise gp.StoreUnavailableError("connection dropped after COMMIT")

    store.transaction = lose_the_ack  # type: ignore[method-assign]
    with pytest.raises(gp.StoreUnavailableError):
        engine.ingest(xiao_li_month())
    store.transaction = original  # type: ignore[method-assign]
    retry = engine.ingest(xiao_li_month())
    assert len(retry.duplicates) == 23 and not retry.accepted
    assert engine.ledger.head()[0] == 23 and engine.score("M001", "2026-11") == 127
    engine.close()


def test_a_pool_replaces_connections_the_server_closed(pg_url: str) -> None:
    with engine_on(with_query(pg_url, pool_size=2)) as engine:
        engine.ingest(xiao_li_month())
        store = engine.store
        assert isinstance(store, PostgresStore)
        with store._connections.connection() as conn:
            pid = conn.info.backend_pid
        _terminate(pid)
        assert engine.score("M001", "2026-11") == 127
        with store._connections.connection() as conn:
            assert conn.info.backend_pid != pid


def test_schemas_are_isolated(postgres_server: str, pg_schema: str) -> None:
    other = f"{pg_schema}_b"
    try:
        with engine_on(with_query(postgres_server, schema=pg_schema)) as a:
            a.ingest(xiao_li_month())
        with engine_on(with_query(postgres_server, schema=other)) as b:
            assert b.ledger.head()[0] == 0 and b.store.event_rows() == []
    finally:
        drop_schema(other)
