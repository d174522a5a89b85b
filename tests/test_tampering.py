"""Sealed checkpoints and tampering with a SQLite file: every case caught, no false alarms."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.ledger import ENTRY_COLUMNS, GENESIS, entry_bytes
from tests.conftest import NOW, at

KEY = b"district-7 audit key, kept in the supervising office"
CLOCK = datetime(2026, 11, 10, tzinfo=UTC)


def build_ledger(path: Path) -> gp.Engine:
    """Oct closed early, then November work, a review, an appeal and a correction."""
    engine = gp.Engine(str(path), load_entrypoints=False, clock=lambda: CLOCK)
    engine.add_members([gp.Member(id=f"M{n}", region="urban") for n in range(1, 4)])
    engine.ingest([gp.Event("o1", "M1", "patrol", at(3, month=10))])
    engine.close_period("2026-10", by="考核办")
    engine.ingest([gp.Event(f"p{n}", f"M{1 + n % 3}", "patrol", at(1 + n % 9, 8 + n % 5)) for n in range(12)])
    engine.ingest([gp.Event("m1", "M1", "mediation", at(4)), gp.Event("c1", "M2", "complaint", at(5))])
    engine.review.approve("m1", by="审核员")
    complaint = next(e for e in engine.explain("M2", "2026-11") if e.event_id == "c1")
    engine.appeal(complaint.seq, by="M2", reason="not mine").uphold(by="主任")
    engine.correct("p3", gp.Event("p3b", "M1", "service", at(4, 10)), by="录入员", reason="was a service")
    return engine


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[tuple[Path, gp.Checkpoint, int]]:
    path = tmp_path / "ledger.db"
    engine = build_ledger(path)
    assert engine.ledger.verify()
    checkpoint = engine.ledger.checkpoint(key=KEY)
    head = engine.ledger.head()[0]
    engine.close()
    yield path, checkpoint, head


def open_raw(path: Path) -> sqlite3.Connection:
    """A connection an attacker with file access would use: the append-only triggers dropped."""
    conn = sqlite3.connect(path, isolation_level=None)
    for name in ("entries_no_update", "entries_no_delete", "decisions_no_update", "decisions_no_delete",
                 "period_closes_no_update", "period_closes_no_delete", "intakes_no_update", "intakes_no_delete"):
        conn.execute(f"DROP TRIGGER {name}")
    return conn


def verify(path: Path, checkpoint: gp.Checkpoint | None = None) -> gp.Verification:
    with gp.Engine(str(path), load_entrypoints=False, clock=lambda: CLOCK) as engine:
        if checkpoint is None:
            return engine.ledger.verify()
        return engine.ledger.verify(checkpoint=checkpoint, key=KEY)


def rows(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    return list(conn.execute(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM entries ORDER BY seq"))


def rechain(conn: sqlite3.Connection, from_seq: int = 1) -> None:
    """Recompute every hash from ``from_seq`` on, as someone rewriting the chain would."""
    prev = GENESIS
    for row in rows(conn):
        if row[0] >= from_seq:
            digest = hashlib.sha256(prev.encode() + b"\x1e" + entry_bytes(row)).hexdigest()
            conn.execute("UPDATE entries SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, row[0]))
            prev = digest
        else:
            prev = str(row[16])


def test_the_untampered_ledger_verifies_with_and_without_the_checkpoint(
    ledger: tuple[Path, gp.Checkpoint, int],
) -> None:
    path, checkpoint, head = ledger
    assert verify(path) and verify(path, checkpoint)
    assert verify(path).entries == head


def test_editing_a_field_is_caught(ledger: tuple[Path, gp.Checkpoint, int]) -> None:
    path, _, _ = ledger
    with open_raw(path) as conn:
        conn.execute("UPDATE entries SET points_cents = points_cents + 500 WHERE seq = 7")
    result = verify(path)
    assert not result and result.first_bad_seq == 7 and "hash does not match" in result.problem


def test_deleting_a_row_is_caught(ledger: tuple[Path, gp.Checkpoint, int]) -> None:
    path, _, _ = ledger
    with open_raw(path) as conn:
        conn.execute("DELETE FROM entries WHERE seq = 6")
    result = verify(path)
    assert not result and result.first_bad_seq == 6 and "seq 6 missing" in result.problem


def test_swapping_two_rows_is_caught(ledger: tuple[Path, gp.Checkpoint, int]) -> None:
    path, _, _ = ledger
    with open_raw(path) as conn:
        a, b = (r for r in rows(conn) if r[0] in (8, 9))
        columns = ENTRY_COLUMNS[1:]
        update = f"UPDATE entries SET {', '.join(f'{c} = ?' for c in columns)} WHERE seq = ?"
        conn.execute(update, (*b[1:], 8))
        conn.execute(update, (*a[1:], 9))
    result = verify(path)
    assert not result and result.first_bad_seq == 8


def test_inserting_a_forged_row_is_caught(ledger: tuple[Path, gp.Checkpoint, int]) -> None:
    path, _, head = ledger
    with open_raw(path) as conn:
        # Make room at seq 5 and insert a well-hashed forged award there.
        for seq in range(head, 4, -1):
            conn.execute("UPDATE entries SET seq = ? WHERE seq = ?", (seq + 1, seq))
        before = rows(conn)[3]
        forged = (5, "M1", "forged", "patrol", "2026-11", "2026-11-02", 50000, "1", "1", "patrol.1",
                  "standard", "2026.1", str(before[12]), "rule", "")
        digest = hashlib.sha256(str(before[16]).encode() + b"\x1e" + entry_bytes(forged)).hexdigest()
        conn.execute(f"INSERT INTO entries VALUES ({', '.join('?' * 17)})", (*forged, before[16], digest))
    result = verify(path)
    assert not result and result.first_bad_seq == 6 and "prev_hash" in result.problem


def test_appending_a_forged_row_with_a_made_up_hash_is_caught(ledger: tuple[Path, gp.Checkpoint, int]) -> None:
    path, _, head = ledger
    with open_raw(path) as conn:
        last = rows(conn)[-1]
        conn.execute(f"INSERT INTO entries VALUES ({', '.join('?' * 17)})",
                     (head + 1, *last[1:15], last[16], "f" * 64))
    result = verify(path)
    assert not result and result.first_bad_seq == head + 1


def test_rewriting_the_whole_chain_is_caught_by_the_checkpoint(ledger: tuple[Path, gp.Checkpoint, int]) -> None:
    path, checkpoint, _ = ledger
    with open_raw(path) as conn:
        conn.execute("UPDATE entries SET points_cents = 99900 WHERE seq = 10")
        rechain(conn, 10)
    assert verify(path), "a consistent rewrite after the last close passes the chain check alone"
    result = verify(path, checkpoint)
    assert not result and "differs from the checkpoint" in result.problem


def test_rewriting_before_a_closed_month_is_caught_even_without_a_checkpoint(
    ledger: tuple[Path, gp.Checkpoint, int],
) -> None:
    path, _, _ = ledger
    with open_raw(path) as conn:
        conn.execute("UPDATE entries SET points_cents = 99900 WHERE seq = 1")
        rechain(conn)
    result = verify(path)
    assert not result and "the close of 2026-10" in result.problem


def test_cutting_the_tail_is_caught_by_the_checkpoint(ledger: tuple[Path, gp.Checkpoint, int]) -> None:
    path, checkpoint, head = ledger
    with open_raw(path) as conn:
        # Cut back to before the last correction (its decision row goes too).
        conn.execute("DELETE FROM entries WHERE seq > ?", (head - 4,))
        conn.execute("DELETE FROM decisions WHERE seq > ?", (head - 4,))
    result = verify(path)
    # The events table remembers: the replacement's row and the original's status outlive the cut.
    assert not result and result.table == "events" and result.row in ("event 'p3'", "event 'p3b'")
    with open_raw(path) as conn:  # a careful attacker undoes the correction in the events table too
        conn.execute("DELETE FROM events WHERE event_id = 'p3b'")
        conn.execute("UPDATE events SET status = 'booked' WHERE event_id = 'p3'")
    # The intake log remembers: the correction wrote p3b's row in an intake of its own.
    result = verify(path)
    assert not result and (result.table, result.row) == ("events", "intake 4") and "a row was deleted" in result.problem
    with open_raw(path) as conn:  # ... so the attacker cuts the intake log's tail too
        conn.execute("DELETE FROM intakes WHERE seq = 4")
    assert verify(path)
    result = verify(path, checkpoint)
    assert not result and f"ends at seq {head - 4}" in result.problem and result.first_bad_seq == head - 3


def test_restoring_an_older_copy_is_caught_by_the_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    engine = build_ledger(path)
    old_copy = tmp_path / "old.db"
    engine.close()
    shutil.copy(path, old_copy)
    with gp.Engine(str(path), load_entrypoints=False, clock=lambda: CLOCK) as engine:
        engine.ingest([gp.Event("late", "M1", "patrol", at(9, 17))])
        checkpoint = engine.ledger.checkpoint(key=KEY)
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{old_copy}{suffix}").exists():
            shutil.copy(f"{old_copy}{suffix}", f"{path}{suffix}")
    assert verify(path)
    result = verify(path, checkpoint)
    assert not result and "an older copy was restored" in result.problem


def test_editing_a_decision_record_or_a_frozen_report_is_caught(ledger: tuple[Path, gp.Checkpoint, int]) -> None:
    path, _, _ = ledger
    with open_raw(path) as conn:
        conn.execute("UPDATE decisions SET actor = '别人' WHERE action = 'approve'")
    result = verify(path)
    assert not result and "decision record was changed" in result.problem
    with open_raw(path) as conn:
        conn.execute("UPDATE decisions SET actor = '审核员' WHERE action = 'approve'")
    assert verify(path)
    with open_raw(path) as conn:
        conn.execute("UPDATE period_closes SET report = replace(report, '5.00', '95.00')")
    result = verify(path)
    assert not result and "the close of 2026-10 does not match its decision" in result.problem


def test_a_decision_row_without_its_entry_is_caught(ledger: tuple[Path, gp.Checkpoint, int]) -> None:
    path, _, head = ledger
    with open_raw(path) as conn:
        conn.execute("INSERT INTO decisions VALUES (?, 'approve', 'event:x', 'a', '2026-11-01', '', '')", (head + 7,))
    result = verify(path)
    assert not result and f"decision record {head + 7} has no decision entry" in result.problem


# -- the checkpoint itself -----------------------------------------------------------------


def test_checkpoint_text_round_trips_and_is_sealed_with_the_key() -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW)
    engine.add_members([gp.Member(id="M1", region="urban")])
    engine.ingest([gp.Event("p", "M1", "patrol", at(3))])
    plain = engine.ledger.checkpoint()
    sealed = engine.ledger.checkpoint(key=KEY)
    assert (plain.seq, plain.hash, plain.seal) == (1, engine.ledger.head()[1], None)
    assert plain.intake is not None and plain.intake[0] == 1
    assert str(plain) == f"gpcp2:1:{plain.hash}:1:{plain.intake[1]}"
    assert gp.Checkpoint.parse(str(sealed)) == sealed and gp.Checkpoint.parse(str(plain)) == plain
    assert sealed.seal_matches(KEY) and not sealed.seal_matches(b"another key")
    assert engine.ledger.verify(checkpoint=str(sealed), key=KEY)
    assert engine.ledger.verify(checkpoint=plain)
    wrong = engine.ledger.verify(checkpoint=sealed, key=b"another key")
    assert not wrong and "seal that does not match" in wrong.problem
    unsealed = engine.ledger.verify(checkpoint=plain, key=KEY)
    assert not unsealed and "is not sealed" in unsealed.problem
    with pytest.raises(ValueError, match="the checkpoint is sealed; pass the key"):
        engine.ledger.verify(checkpoint=sealed)
    # Still valid as the ledger grows.
    engine.ingest([gp.Event("q", "M1", "patrol", at(4))])
    assert engine.ledger.verify(checkpoint=sealed, key=KEY)


def test_a_checkpoint_made_before_the_intake_log_still_parses_and_verifies() -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW)
    engine.add_members([gp.Member(id="M1", region="urban")])
    engine.ingest([gp.Event("p", "M1", "patrol", at(3))])
    seq, head = engine.ledger.head()
    old = gp.Checkpoint.at(seq, head, KEY)  # what gridpoints wrote before: no intake head
    assert str(old).startswith(f"gpcp1:{seq}:{head}:") and gp.Checkpoint.parse(str(old)) == old
    assert old.intake is None and engine.ledger.verify(checkpoint=str(old), key=KEY)
    forged = gp.Checkpoint(seq, "a" * 64, old.seal)
    assert not engine.ledger.verify(checkpoint=forged, key=KEY)


def test_the_seal_covers_the_intake_head() -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW)
    engine.add_members([gp.Member(id="M1", region="urban")])
    engine.ingest([gp.Event("p", "M1", "patrol", at(3))])
    real = engine.ledger.checkpoint(key=KEY)
    assert real.intake is not None
    moved = attrs.evolve(real, intake=(real.intake[0], "b" * 64))
    assert not moved.seal_matches(KEY)
    assert not engine.ledger.verify(checkpoint=moved, key=KEY)


def test_a_checkpoint_forged_without_the_key_fails() -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW)
    engine.add_members([gp.Member(id="M1", region="urban")])
    engine.ingest([gp.Event("p", "M1", "patrol", at(3))])
    real = engine.ledger.checkpoint(key=KEY)
    forged = gp.Checkpoint(real.seq, "a" * 64, real.seal)
    assert not engine.ledger.verify(checkpoint=forged, key=KEY)
    assert not engine.ledger.verify(checkpoint=gp.Checkpoint.at(real.seq, "a" * 64, b"guess"), key=KEY)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gpcp3:1:" + "a" * 64, "does not start with gpcp2: \\(or gpcp1:\\)"),
        ("gpcp2:1:" + "a" * 64, "is not gpcp2:<seq>:<hash>:<intake seq>:<intake hash>"),
        ("gpcp2:1:" + "a" * 64 + ":y:" + "a" * 64, "intake seq 'y' is not a whole number"),
        ("gpcp2:1:" + "a" * 64 + ":1:abc", "intake hash 'abc' is not 64 lowercase hex digits"),
        ("gpcp2:1:" + "a" * 64 + ":1:" + "a" * 64 + ":zz", "seal 'zz' is not 64"),
        ("gpcp1:x:" + "a" * 64, "seq 'x' is not a whole number"),
        ("gpcp1:1:abc", "hash 'abc' is not 64 lowercase hex digits"),
        ("gpcp1:1:" + "a" * 64 + ":zz", "seal 'zz' is not 64"),
        ("gpcp1:1", "is not gpcp1:<seq>:<hash>"),
    ],
)
def test_bad_checkpoint_text_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gp.Checkpoint.parse(text)


def test_the_key_is_never_stored_in_the_database(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    with gp.Engine(str(path), load_entrypoints=False, clock=lambda: NOW) as engine:
        engine.add_members([gp.Member(id="M1", region="urban")])
        engine.ingest([gp.Event("p", "M1", "patrol", at(3))])
        checkpoint = engine.ledger.checkpoint(key=KEY)
        assert engine.ledger.verify(checkpoint=checkpoint, key=KEY)
    stored = b"".join(Path(f"{path}{s}").read_bytes() for s in ("", "-wal") if Path(f"{path}{s}").exists())
    assert KEY not in stored and checkpoint.seal is not None and checkpoint.seal.encode() not in stored


def test_a_checkpoint_beyond_the_head_or_of_an_empty_ledger() -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW)
    empty = engine.ledger.checkpoint(key=KEY)
    assert (empty.seq, empty.hash) == (0, GENESIS) and engine.ledger.verify(checkpoint=empty, key=KEY)
    assert not engine.ledger.verify(checkpoint=gp.Checkpoint.at(0, "b" * 64, KEY), key=KEY)
    assert not engine.ledger.verify(checkpoint=gp.Checkpoint.at(3, "b" * 64, KEY), key=KEY)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(1, 3), st.sampled_from(["patrol", "service", "complaint", "mediation"]),
                          st.integers(1, 28), st.integers(0, 23)), min_size=1, max_size=25),
       st.integers(0, 24))
def test_no_false_alarms_on_untampered_ledgers(events: list[tuple[int, str, int, int]], cut: int) -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW)
    engine.add_members([gp.Member(id=f"M{n}", region="urban") for n in range(1, 4)])
    batch = [gp.Event(f"e{i}", f"M{m}", kind, at(day, hour) + timedelta(seconds=i)) for i, (m, kind, day, hour)
             in enumerate(events)]
    engine.ingest(batch[:cut])
    checkpoint = engine.ledger.checkpoint(key=KEY)
    engine.ingest(batch[cut:])
    for held in engine.review.pending()[::2]:
        engine.review.approve(held.event.id, by="r")
    assert engine.ledger.verify()
    assert engine.ledger.verify(checkpoint=checkpoint, key=KEY)
    assert engine.ledger.verify(checkpoint=engine.ledger.checkpoint(key=KEY), key=KEY)
