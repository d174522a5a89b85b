"""One row per event on PostgreSQL, natively (benchmarks/native_core/pgcopy.c): the rows its
binary COPY writes are, column by column, the entries and event rows ``engine.ingest`` books for
the same events (checks off) merged as ``benchmarks.store_rows.merged_rows`` merges them, and its
intake rows and chain head are the in-memory store's — so the figures it gives measure the same
work. Skipped without a PostgreSQL server, except under CI=true (conftest's ``postgres_server``)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import attrs
import pytest
from benchmarks.store_rows import MERGED_AFTER, MERGED_COLUMNS, merged_rows
from benchmarks.workload import make_engine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.errors import StoreError
from tests.conftest import drop_schema
from tests.test_native_columns import _pool
from tests.test_native_core import _built

pytest.importorskip("psycopg", reason="the trial writes with psycopg: pip install -e '.[dev]'")

import psycopg
from benchmarks.native_core import NativeColumns, pack
from benchmarks.native_core.pgcopy import NativePgCopy
from psycopg import sql

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def modules() -> tuple[ModuleType, ModuleType]:
    _built("skeleton")  # the columns take the skeleton's rule tables
    return _built("pgcopy"), _built("columns")


def _engine(members: list[gp.Member]) -> gp.Engine:
    engine = make_engine(checks=False)
    engine.add_members(members)
    return engine


@contextmanager
def _trial(engine: gp.Engine, url: str, schema: str, modules: tuple[ModuleType, ModuleType]) -> Iterator[NativePgCopy]:
    pgcopy, columns = modules
    trial = NativePgCopy(engine, url, schema, pgcopy, NativeColumns(engine, columns))
    try:
        trial.create()
        yield trial
    finally:
        trial.close()
        drop_schema(schema)


def _written(url: str, schema: str) -> dict[str, Any]:
    """What the schema holds: the merged rows by seq, the intake rows, the chain head row, the
    merged table's index names."""
    with psycopg.connect(url) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        return {
            "rows": conn.execute(f"SELECT {', '.join(MERGED_COLUMNS)} FROM merged ORDER BY seq").fetchall(),
            "intakes": conn.execute("SELECT * FROM intakes ORDER BY seq").fetchall(),
            "head": conn.execute("SELECT seq, hash FROM chain_head").fetchall(),
            "indexes": sorted(
                name
                for (name,) in conn.execute(
                    "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = 'merged'", [schema]
                )
            ),
        }


def _booked(engine: gp.Engine) -> dict[str, Any]:
    """What ``engine``'s in-memory store holds, as the trial's schema would hold it."""
    store = engine.store
    lines = list(store.intake_bindings())
    events = [(*line[5:], line.intake_seq) for line in lines if line.events is None]
    rows = sorted(merged_rows(list(store.chain_rows()), events), key=lambda row: row[0])
    return {"rows": rows, "intakes": [tuple(line[:5]) for line in lines if line.events is not None],
            "head": [engine.ledger.head()]}  # fmt: skip


def _assert_writes_what_ingest_books(
    members: list[gp.Member], calls: Sequence[list[gp.Event]], url: str, schema: str, modules: Any
) -> None:
    """Each call booked by ``engine.ingest`` on one engine and by the trial on another: after
    each, the same outcomes and the same rows, intake rows and heads."""
    python, native = _engine(members), _engine(members)
    with _trial(native, url, schema, modules) as trial:
        for call in calls:
            expected = python.ingest(call)
            written = trial.ingest(pack(call, native))
            _, _, accepted, rejected, duplicates, seq, prev = written.done.materialize()
            assert [event_id for _, event_id in accepted] == list(expected.accepted)
            assert [event_id for _, event_id in duplicates] == list(expected.duplicates)
            assert sorted((index, event_id, code) for index, event_id, code, _ in rejected) == sorted(
                (r.index, r.event_id, r.code) for r in expected.rejected
            )
            got, booked = _written(url, schema), _booked(python)
            assert got["rows"] == booked["rows"]
            assert got["intakes"] == booked["intakes"]
            assert got["head"] == booked["head"] == [(seq, prev)]
            assert (written.intake is None) == (not accepted)
            assert len(got["indexes"]) == 1 + len(MERGED_AFTER)  # the key, and the read indexes again


def test_two_dense_calls_write_the_rows_ingest_books(
    postgres_server: str, pg_schema: str, modules: tuple[ModuleType, ModuleType]
) -> None:
    """The second call meets the first's ids (stored duplicates and conflicts, looked up in the
    merged table), repeats within itself, unknown members and kinds, future instants."""
    members, events, extra = _pool(2000, 2026)
    rng = random.Random(13)
    second = events[1200:] + extra + rng.sample(events, 80)
    rng.shuffle(second)
    _assert_writes_what_ingest_books(members, [events[:1200], second], postgres_server, pg_schema, modules)


def test_a_head_moved_around_the_trial_is_refused_and_nothing_written(
    postgres_server: str, pg_schema: str, modules: tuple[ModuleType, ModuleType]
) -> None:
    members, events, _ = _pool(400, 5)
    engine = _engine(members)
    with _trial(engine, postgres_server, pg_schema, modules) as trial:
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(sql.SQL("UPDATE {}.chain_head SET seq = 7").format(sql.Identifier(pg_schema)))
        with pytest.raises(StoreError, match="written around the trial"):
            trial.ingest(pack(events, engine))
        assert _written(postgres_server, pg_schema)["rows"] == []


def _odd_pool() -> tuple[list[gp.Member], list[gp.Event]]:
    """A small dense pool with its extras, and copies with ids and attribute values beyond
    ASCII and with what JSON escapes (lengths in the intake line count characters)."""
    members, events, extra = _pool(300, 11)
    rng = random.Random(3)
    odd = [
        attrs.evolve(event, id=f"ü-{event.id}-✓", attributes={**event.attributes, "location": 'Zürich "A"\\\n\t✓'})
        for event in rng.sample(events, 30)
    ]
    return members, events + extra + odd


ODD = _odd_pool()
_examples = itertools.count(1)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.lists(st.integers(0, len(ODD[1]) - 1), max_size=60),
    second=st.lists(st.integers(0, len(ODD[1]) - 1), max_size=120),
)
def test_any_two_calls_write_the_rows_ingest_books(
    postgres_server: str, pg_schema: str, modules: tuple[ModuleType, ModuleType], first: list[int], second: list[int]
) -> None:
    members, pool = ODD
    calls = [[pool[i] for i in first], [pool[i] for i in second]]
    _assert_writes_what_ingest_books(members, calls, postgres_server, f"{pg_schema}_{next(_examples)}", modules)
