"""``verify()`` and ``Engine.report`` read every table from one snapshot: a write that lands
while they read (a review decision, an import) is not half seen, so an intact ledger never fails
verification, and a report never disagrees with itself, because someone worked on it meanwhile."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import gridpoints as gp
from gridpoints.ledger import Ledger
from gridpoints.stores import Store
from gridpoints.stores.sqlite import SQLiteStore
from tests.conftest import at, with_query
from tests.test_review import held_setup

#: Writes another user could make while verify() reads: each changes decisions, entries, event
#: rows and the intake log together.
WRITES: dict[str, Callable[[gp.Engine], object]] = {
    "approve": lambda engine: engine.review.approve("m1", by="审核员"),
    "reject": lambda engine: engine.review.reject("m2", by="审核员", reason="no evidence"),
    "ingest": lambda engine: engine.ingest([gp.Event("later", "M2", "patrol", at(9, 9))]),
}
#: verify()'s reads, in the order it makes them: a write may land before any one of them.
READS = (
    "decision_rows",
    "period_closes",
    "chain_rows",
    "settlements",
    "event_bindings",
    "ruleset_versions",
    "intake_bindings",
)


def write_before(store: Store, read: str, write: Callable[[], object]) -> None:
    """Make ``store.<read>`` run ``write`` (through another connection) first, once."""
    original = getattr(store, read)
    done: list[bool] = []

    def after_the_write(*args: Any, **kwargs: Any) -> Any:
        if not done:
            done.append(True)
            write()
        return original(*args, **kwargs)

    setattr(store, read, after_the_write)


def assert_seen_whole_or_not_at_all(during: gp.Verification, after: gp.Verification, read: str) -> None:
    """Every write adds an entry (a decision's or a booking's). The snapshot begins at verify()'s
    first read: a write before it is wholly seen; a write after it not at all, until the next
    verify()."""
    assert after
    assert after.entries == during.entries if read == READS[0] else after.entries > during.entries


def verified_with_a_write_between(engine: gp.Engine, reader: Store, read: str, write: str) -> gp.Verification:
    write_before(reader, read, lambda: WRITES[write](engine))
    return Ledger(reader).verify()


@pytest.mark.parametrize("read", READS)
@pytest.mark.parametrize("write", sorted(WRITES))
def test_sqlite_a_write_while_verify_reads_is_not_a_false_alarm(tmp_path: Path, read: str, write: str) -> None:
    path = tmp_path / "ledger.db"
    engine = gp.Engine(str(path), load_entrypoints=False)
    held_setup(engine)
    reader = SQLiteStore(str(path))
    result = verified_with_a_write_between(engine, reader, read, write)
    assert result, result.problem
    assert not reader._conn.in_transaction  # the snapshot ended with verify()
    assert_seen_whole_or_not_at_all(result, Ledger(reader).verify(), read)
    reader.close()
    engine.close()


@pytest.fixture(params=[None, 3], ids=["one connection", "a pool"])
def on_postgres(pg_url: str, request: pytest.FixtureRequest) -> Iterator[tuple[gp.Engine, Store]]:
    # With a pool, each read outside the snapshot would take a connection, and a snapshot, of its own.
    pytest.importorskip("psycopg", reason="the PostgreSQL store needs psycopg")
    from gridpoints.stores.postgres import PostgresStore

    engine = gp.Engine(pg_url, load_entrypoints=False)
    held_setup(engine)
    reader = PostgresStore(pg_url if request.param is None else with_query(pg_url, pool_size=request.param))
    yield engine, reader
    reader.close()
    engine.close()


@pytest.mark.postgres
@pytest.mark.parametrize("read", READS)
@pytest.mark.parametrize("write", sorted(WRITES))
def test_postgres_a_write_while_verify_reads_is_not_a_false_alarm(
    on_postgres: tuple[gp.Engine, Store], read: str, write: str
) -> None:
    engine, reader = on_postgres
    result = verified_with_a_write_between(engine, reader, read, write)
    assert result, result.problem
    assert_seen_whole_or_not_at_all(result, Ledger(reader).verify(), read)


def quarter_report_with_an_import_between(engine: gp.Engine, reader_engine: gp.Engine) -> gp.Report:
    """The quarter's report read by ``reader_engine``, with a patrol of M1 booked by ``engine``
    between its points by kind and its points by month."""
    write_before(
        reader_engine.store, "totals_by_month", lambda: engine.ingest([gp.Event("p9", "M1", "patrol", at(9, 9))])
    )
    return reader_engine.report("2026-Q4")


def assert_months_add_up(report: gp.Report) -> None:
    for row in report.rows:
        assert sum(row.months.values(), Decimal(0)) == row.score, row


def test_sqlite_a_report_reads_one_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    engine = gp.Engine(str(path), load_entrypoints=False)
    held_setup(engine)
    reader = gp.Engine(str(path), load_entrypoints=False)
    before = reader.report("2026-Q4")
    during = quarter_report_with_an_import_between(engine, reader)
    assert_months_add_up(during)
    assert during == before  # the import landed after the snapshot began
    assert reader.report("2026-Q4") != before  # and the next report has it
    reader.close()
    engine.close()


@pytest.mark.postgres
def test_postgres_a_report_reads_one_snapshot(pg_url: str) -> None:
    engine = gp.Engine(pg_url, load_entrypoints=False)
    held_setup(engine)
    reader = gp.Engine(with_query(pg_url, pool_size=2), load_entrypoints=False)
    before = reader.report("2026-Q4")
    during = quarter_report_with_an_import_between(engine, reader)
    assert_months_add_up(during)
    assert during == before
    assert reader.report("2026-Q4") != before
    reader.close()
    engine.close()
