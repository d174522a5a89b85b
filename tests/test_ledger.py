"""The ledger on every store: duplicates, conflicts, replay, tampering, settings, atomicity."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import gridpoints as gp
from gridpoints.ledger import ENTRY_COLUMNS, GENESIS, entry_bytes, points_text
from tests.conftest import NOW, at, xiao_li_month


def members(engine: gp.Engine) -> gp.Engine:
    engine.add_members([gp.Member(id="M001", region="urban"), gp.Member(id="M002", region="rural")])
    return engine


def test_reingesting_the_same_events_adds_nothing(make_engine: Callable[..., gp.Engine]) -> None:
    engine = members(make_engine())
    first = engine.ingest(xiao_li_month())
    head = engine.ledger.head()
    again = engine.ingest(xiao_li_month())
    assert again.duplicates == first.accepted and not again.accepted and again.entries == 0
    assert engine.ledger.head() == head and engine.score("M001", "2026-11") == 127


def test_same_instant_in_another_zone_is_a_duplicate(engine: gp.Engine) -> None:
    members(engine)
    engine.ingest([gp.Event("e1", "M001", "patrol", at(3, 9))])
    utc = datetime(2026, 11, 3, 1, tzinfo=ZoneInfo("UTC"))
    assert engine.ingest([gp.Event("e1", "M001", "patrol", utc)]).duplicates == ("e1",)


@pytest.mark.parametrize(
    "changed",
    [
        {"member_id": "M002"}, {"kind": "service"}, {"occurred_at": at(3, 10)}, {"quantity": 2},
        {"reported_at": at(4)}, {"attributes": {"location": "gate"}},
    ],
)
def test_same_id_with_a_different_payload_is_a_conflict(engine: gp.Engine, changed: dict[str, object]) -> None:
    members(engine)
    base: dict[str, object] = {"id": "e1", "member_id": "M001", "kind": "patrol", "occurred_at": at(3, 9)}
    engine.ingest([base])
    result = engine.ingest([{**base, **changed}])
    assert [(r.event_id, r.code) for r in result.rejected] == [("e1", "conflict")]
    assert "already booked with a different payload" in result.rejected[0].message
    assert engine.ledger.head()[0] == 1


def test_duplicates_and_conflicts_within_one_call(engine: gp.Engine) -> None:
    members(engine)
    result = engine.ingest([
        gp.Event("e1", "M001", "patrol", at(3)),
        gp.Event("e1", "M001", "patrol", at(3)),
        gp.Event("e1", "M001", "patrol", at(4)),
    ])
    assert result.accepted == ("e1",) and result.duplicates == ("e1",)
    assert [r.code for r in result.rejected] == ["conflict"]


def test_store_conflicts_and_refusals_come_in_input_order(engine: gp.Engine) -> None:
    # Found by two stages (dedupe against the store, then admission), reported as one pass would.
    members(engine)
    engine.ingest([gp.Event("e1", "M001", "patrol", at(3)), gp.Event("e2", "M001", "patrol", at(3, 10))])
    result = engine.ingest([
        gp.Event("x1", "nobody", "patrol", at(5)),
        gp.Event("e2", "M001", "patrol", at(6)),
        gp.Event("x2", "M001", "karaoke", at(5)),
        gp.Event("e1", "M001", "patrol", at(7)),
        {"id": "bad"},
    ])
    assert [(r.index, r.event_id, r.code) for r in result.rejected] == [
        (4, "bad", "invalid"), (0, "x1", "unknown_member"), (1, "e2", "conflict"), (2, "x2", "unknown_kind"),
        (3, "e1", "conflict"),
    ]


def test_rejected_ids_are_not_remembered(engine: gp.Engine) -> None:
    event = gp.Event("e1", "M003", "patrol", at(3))
    assert [r.code for r in engine.ingest([event]).rejected] == ["unknown_member"]
    engine.add_members([gp.Member(id="M003", region="urban")])
    assert engine.ingest([event]).accepted == ("e1",)


def test_replaying_into_a_fresh_store_gives_the_same_head(make_engine: Callable[..., gp.Engine]) -> None:
    heads = []
    for _ in range(2):
        engine = members(gp.Engine(load_entrypoints=False, clock=lambda: NOW))
        engine.ingest(xiao_li_month())
        heads.append(engine.ledger.head())
    other = members(make_engine())
    other.ingest(xiao_li_month())
    assert heads[0] == heads[1] == other.ledger.head()
    assert heads[0][0] == 23 and heads[0][1] != GENESIS


def test_each_entry_hashes_its_documented_bytes(engine: gp.Engine) -> None:
    members(engine)
    engine.ingest(xiao_li_month()[:1])
    (entry,) = engine.ledger.entries()
    expected = (
        f"gp1\x1f1\x1fM001\x1fM001-patrol-1\x1fpatrol\x1f2026-11\x1f2026-11-01\x1f5.00\x1f1\x1f1\x1f"
        f"patrol.1\x1fstandard\x1f2026.1\x1f{entry.digest}\x1frule\x1f"
    ).encode()
    import hashlib

    assert hashlib.sha256(GENESIS.encode() + b"\x1e" + expected).hexdigest() == entry.hash
    row = tuple(getattr(entry, c) for c in ENTRY_COLUMNS[:15] if c != "points_cents")
    assert expected == entry_bytes((*row[:6], 500, *row[6:]))
    assert points_text(-300) == "-3.00" and points_text(5) == "0.05" and points_text(-5) == "-0.05"


def tamper_sqlite(path: Path, sql: str, *params: object) -> None:
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER IF EXISTS entries_no_update")
    conn.execute(sql, params)
    conn.commit()
    conn.close()


@pytest.mark.parametrize("seq", [1, 12, 23])
@pytest.mark.parametrize(
    ("column", "value"),
    [("points_cents", 99900), ("member_id", "M002"), ("coefficient", "2"), ("reason", "cap"), ("hash", "0" * 64)],
)
def test_editing_any_stored_entry_fails_verify_at_that_seq(
    tmp_path: Path, seq: int, column: str, value: object
) -> None:
    path = tmp_path / "p.db"
    with members(gp.Engine(str(path), load_entrypoints=False, clock=lambda: NOW)) as engine:
        engine.ingest(xiao_li_month())
        assert engine.ledger.verify()
    tamper_sqlite(path, f"UPDATE entries SET {column} = ? WHERE seq = ?", value, seq)
    with gp.Engine(str(path), load_entrypoints=False) as engine:
        result = engine.ledger.verify()
        assert not result and result.first_bad_seq == seq


def test_editing_an_entry_in_the_memory_store_fails_verify() -> None:
    engine = members(gp.Engine(load_entrypoints=False, clock=lambda: NOW))
    engine.ingest(xiao_li_month())
    store = engine.store
    assert isinstance(store, gp.MemoryStore)
    row = list(store._entries[4])
    row[6] = 1000
    store._replace_entry(4, tuple(row))
    assert engine.ledger.verify().first_bad_seq == 5


def test_sqlite_refuses_updates_and_deletes_of_entries(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    with members(gp.Engine(str(path), load_entrypoints=False, clock=lambda: NOW)) as engine:
        engine.ingest(xiao_li_month())
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE entries SET points_cents = 0 WHERE seq = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM entries WHERE seq = 1")


def test_sqlite_refuses_updates_and_deletes_of_the_intake_log(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    with members(gp.Engine(str(path), load_entrypoints=False, clock=lambda: NOW)) as engine:
        engine.ingest(xiao_li_month())
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT seq, events FROM intakes").fetchall() == [(1, 23)]
    with pytest.raises(sqlite3.IntegrityError, match="the intake log is append-only"):
        conn.execute("UPDATE intakes SET events = 22 WHERE seq = 1")
    with pytest.raises(sqlite3.IntegrityError, match="the intake log is append-only"):
        conn.execute("DELETE FROM intakes WHERE seq = 1")


def test_auditors_read_the_chain_with_plain_sql(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    with members(gp.Engine(str(path), load_entrypoints=False, clock=lambda: NOW)) as engine:
        engine.ingest(xiao_li_month())
    conn = sqlite3.connect(path)
    (total,) = conn.execute("SELECT SUM(points_cents) / 100.0 FROM entries WHERE member_id = 'M001'").fetchone()
    assert total == 127
    names = [r[1] for r in conn.execute("PRAGMA table_info(entries)")]
    assert names == list(ENTRY_COLUMNS)
    assert dict(conn.execute("SELECT key, value FROM meta")) == {
        "tz": "Asia/Shanghai", "ruleset": "standard", "rule_files": "[]"}


def test_store_remembers_zone_and_rule_set(tmp_path: Path) -> None:
    path = str(tmp_path / "p.db")
    gp.Engine(path, load_entrypoints=False).close()
    with pytest.raises(gp.ConfigurationError, match="created with tz='Asia/Shanghai', not 'Asia/Urumqi'"):
        gp.Engine(path, tz="Asia/Urumqi", load_entrypoints=False)
    with pytest.raises(gp.ConfigurationError, match="no rule set 'jiangsu'"):
        gp.Engine(path, ruleset="jiangsu", load_entrypoints=False)
    gp.Engine(path, tz="Asia/Urumqi", migrate=True, load_entrypoints=False).close()
    gp.Engine(path, tz="Asia/Urumqi", load_entrypoints=False).close()
    with pytest.raises(gp.ConfigurationError, match="tz: 'Mars/Olympus' is not a known time zone"):
        gp.Engine(path, tz="Mars/Olympus", load_entrypoints=False)


def test_members_persist_and_names_live_outside_the_chain(tmp_path: Path) -> None:
    path = str(tmp_path / "p.db")
    with gp.Engine(path, load_entrypoints=False, clock=lambda: NOW) as engine:
        engine.add_members([gp.Member(id="M001", region="urban", name="小李", grid="U0001", joined="2020-01-01")])
        engine.ingest(xiao_li_month())
    with gp.Engine(path, load_entrypoints=False, clock=lambda: NOW) as engine:
        assert engine.member("M001").name == "小李" and engine.member("M001").grid == "U0001"
        # Erasing the name (an upsert without it) leaves the chain intact.
        engine.add_members([gp.Member(id="M001", region="urban", grid="U0001", joined="2020-01-01")])
        assert engine.ledger.verify() and engine.member("M001").name is None
    conn = sqlite3.connect(path)
    assert not conn.execute("SELECT 1 FROM entries WHERE member_id LIKE '%小李%'").fetchall()


def test_bad_members_change_nothing(engine: gp.Engine) -> None:
    with pytest.raises(ValueError, match=r"members\[1\] \('M2'\): region: must not be empty"):
        engine.add_members([{"id": "M1", "region": "urban"}, {"id": "M2", "region": ""}])
    assert engine.members == []
    with pytest.raises(gp.NotFoundError, match="member_id: no member 'M1'"):
        engine.score("M1", "2026-11")


def test_mappings_that_fail_validation_become_rejections(engine: gp.Engine) -> None:
    members(engine)
    result = engine.ingest([
        {"id": "ok", "member_id": "M001", "kind": "patrol", "occurred_at": "2026-11-03T09:00:00+08:00"},
        {"id": "neg", "member_id": "M001", "kind": "patrol", "occurred_at": at(3), "quantity": -1},
        {"member_id": "M001", "kind": "patrol", "occurred_at": at(3)},
        "not a mapping",
        {"id": "f", "member_id": "M001", "kind": "patrol", "occurred_at": at(3), "quantity": 1.0},
    ])
    assert result.accepted == ("ok",)
    assert [(r.index, r.event_id, r.code) for r in result.rejected] == [
        (1, "neg", "invalid"), (2, None, "invalid"), (3, None, "invalid"), (4, "f", "invalid"),
    ]
    assert [r.message for r in result.rejected] == [
        "quantity: -1 must be positive",
        "id: missing",
        "'not a mapping' is a str, not an Event or a mapping",
        "quantity: 1.0 is a float; give an int, a str or a Decimal (floats are inexact)",
    ]
    assert result.total == 5


def test_an_ingest_call_is_atomic_against_storage_faults(tmp_path: Path) -> None:
    path = str(tmp_path / "p.db")
    engine = members(gp.Engine(path, load_entrypoints=False, clock=lambda: NOW))
    engine.pipeline.chunk_size = 5
    store = engine.store
    original = store.transaction

    class Fault(Exception):
        pass

    def failing_transaction():  # type: ignore[no-untyped-def]
        context = original()

        class Wrapper:
            def __enter__(self):  # type: ignore[no-untyped-def]
                tx = context.__enter__()
                append = tx.append
                calls = {"n": 0}

                def append_then_fail(entries, events):  # type: ignore[no-untyped-def]
                    calls["n"] += 1
                    if calls["n"] == 3:
                        raise Fault("disk full")
                    append(entries, events)

                tx.append = append_then_fail
                return tx

            def __exit__(self, *exc):  # type: ignore[no-untyped-def]
                return context.__exit__(*exc)

        return Wrapper()

    store.transaction = failing_transaction  # type: ignore[method-assign]
    with pytest.raises(Fault):
        engine.ingest(xiao_li_month())
    store.transaction = original  # type: ignore[method-assign]
    assert engine.ledger.head()[0] == 0 and engine.score("M001", "2026-11") == Decimal(0)
    assert engine.ingest(xiao_li_month()).accepted and engine.score("M001", "2026-11") == 127


def test_every_anchor_is_checked_in_seq_order_and_a_later_one_can_fail() -> None:
    from gridpoints.ledger.chain import verify_rows

    engine = members(gp.Engine(load_entrypoints=False, clock=lambda: NOW))
    engine.ingest(xiao_li_month())
    rows = list(engine.store.chain_rows())
    hashes = {int(row[0]): str(row[16]) for row in rows}  # type: ignore[call-overload]
    good = {3: (hashes[3], "A"), 7: (hashes[7], "B"), len(rows): (hashes[len(rows)], "C")}
    assert verify_rows(rows, {}, good)
    wrong_middle = {**good, 7: ("f" * 64, "B")}
    result = verify_rows(rows, {}, wrong_middle)
    assert (result.ok, result.first_bad_seq, result.problem) == (
        False, 7, "the chain differs from B at seq 7: it was rewritten or replaced",
    )
    beyond = {**good, len(rows) + 5: ("f" * 64, "D")}
    result = verify_rows(rows, {}, beyond)
    assert not result.ok and "but D is at seq" in result.problem


def test_a_stretch_of_the_chain_verifies_from_the_hash_it_starts_after() -> None:
    from gridpoints.ledger.chain import verify_rows

    engine = members(gp.Engine(load_entrypoints=False, clock=lambda: NOW))
    engine.ingest(xiao_li_month())
    rows = list(engine.store.chain_rows())
    cut = len(rows) // 2
    before = str(rows[cut - 1][16])
    head, tail = rows[:cut], rows[cut:]
    assert verify_rows(head).entries == cut
    result = verify_rows(tail, start=(cut + 1, before))
    assert (result.ok, result.entries) == (True, len(rows) - cut)
    # Started after the wrong hash, or at the wrong seq, the stretch does not verify.
    result = verify_rows(tail, start=(cut + 1, "f" * 64))
    assert (result.ok, result.first_bad_seq, result.entries) == (False, cut + 1, 0)
    assert "prev_hash does not link" in result.problem
    result = verify_rows(tail, start=(cut, before))
    assert (result.ok, result.first_bad_seq) == (False, cut)
    assert "missing or out of order" in result.problem
