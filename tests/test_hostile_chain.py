"""Issue 14, defects 2 and 7, written as the attacks on a SQLite file (append-only triggers dropped).

Defect 2: the tables beside the chain — closes, settlements, events, rule-set versions — could be
edited or emptied without ``verify`` noticing: a month reopened, a month paid twice, an event
booked twice, the review queue emptied. Its last part: held rows and what an event says beyond
its entries (evidence, stars, reported time), bound by the intake log. Defect 7: a column of the
wrong type crashed ``verify``. Each test fails on the code before the fix.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.cli import main
from gridpoints.ledger import Ledger
from gridpoints.schema import EventRow
from gridpoints.testing.stores import NOW
from tests.conftest import at
from tests.test_tampering import KEY, build_ledger

CLOCK = datetime(2026, 11, 10, tzinfo=UTC)
TRIGGERS = ("entries_no_update", "entries_no_delete", "decisions_no_update", "decisions_no_delete",
            "period_closes_no_update", "period_closes_no_delete", "intakes_no_update", "intakes_no_delete")  # fmt: skip


def attack(path: Path, *statements: str) -> None:
    """Run ``statements`` as someone with the file would: the append-only triggers dropped first."""
    conn = sqlite3.connect(path, isolation_level=None)
    for name in TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in statements:
        conn.execute(statement)
    conn.close()


def open_engine(path: Path) -> gp.Engine:
    return gp.Engine(str(path), load_entrypoints=False, clock=lambda: CLOCK)


def verify(path: Path, checkpoint: gp.Checkpoint | None = None) -> gp.Verification:
    with open_engine(path) as engine:
        if checkpoint is None:
            return engine.ledger.verify()
        return engine.ledger.verify(checkpoint=checkpoint, key=KEY)


@pytest.fixture
def ledger(tmp_path: Path) -> tuple[Path, gp.Checkpoint]:
    """build_ledger's October (closed, so settled) and November, plus one event still held."""
    path = tmp_path / "ledger.db"
    engine = build_ledger(path)
    assert engine.ingest([gp.Event("held1", "M3", "mediation", at(6))]).held == ("held1",)
    engine.ingest([gp.Event("held2", "M3", "mediation", at(7))])
    engine.review.reject("held2", by="审核员", reason="no evidence")
    checkpoint = engine.ledger.checkpoint(key=KEY)
    assert engine.ledger.verify() and engine.ledger.verify(checkpoint=checkpoint, key=KEY)
    engine.close()
    return path, checkpoint


def assert_caught(path: Path, checkpoint: gp.Checkpoint, table: str, row: str, words: str) -> None:
    """Caught with and without the sealed checkpoint, naming the table and the row."""
    for result in (verify(path), verify(path, checkpoint)):
        assert not result, result
        assert (result.table, result.row) == (table, row), result
        assert words in result.problem, result.problem


# -- defect 2 --------------------------------------------------------------------------------


def test_deleting_the_close_of_a_month_is_caught(ledger: tuple[Path, gp.Checkpoint]) -> None:
    path, checkpoint = ledger
    attack(path, "DELETE FROM period_closes WHERE period = '2026-10'")
    with open_engine(path) as engine:  # what the attack buys: October takes bookings again
        assert engine.closed_periods() == []
    assert_caught(path, checkpoint, "period_closes", "2026-10", "has no row: it was deleted")


def test_deleting_a_settlement_is_caught_and_cannot_pay_twice(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with gp.Engine(str(path), load_entrypoints=False, checks=False, clock=lambda: CLOCK) as engine:
        engine.add_members([gp.Member(id="M1", region="urban")])
        engine.ingest([gp.Event(f"r{n}", "M1", "rating", at(n, month=10), attributes={"stars": 5})
                       for n in range(1, 6)])  # fmt: skip
        assert engine.settle("2026-10").entries == 1
        score = engine.score("M1", "2026-10")
        checkpoint = engine.ledger.checkpoint(key=KEY)
    attack(path, "DELETE FROM settlements WHERE period = '2026-10'")
    assert_caught(path, checkpoint, "settlements", "2026-10", "has no row: it was deleted")
    with gp.Engine(str(path), load_entrypoints=False, checks=False, clock=lambda: CLOCK) as engine:
        again = engine.settle("2026-10")
        assert again.already_settled and again.entries == 0 and engine.score("M1", "2026-10") == score


def test_a_forged_settlement_is_caught(ledger: tuple[Path, gp.Checkpoint]) -> None:
    path, _checkpoint = ledger
    attack(path, "INSERT INTO settlements VALUES ('2026-11', 30, '2026-11-09T00:00:00+00:00')")
    result = verify(path)
    assert not result and (result.table, result.row) == ("settlements", "2026-11")
    assert "without a settle decision: the row was forged" in result.problem


def test_deleting_a_booked_event_row_is_caught(ledger: tuple[Path, gp.Checkpoint]) -> None:
    path, checkpoint = ledger
    attack(path, "DELETE FROM events WHERE event_id = 'p5'")
    with open_engine(path) as engine:  # what the attack buys: the same event books again
        assert engine.ingest([gp.Event("p5", "M3", "patrol", at(6, 13))]).accepted == ("p5",)
    assert_caught(path, checkpoint, "events", "event 'p5'", "it is booked 2 times (first at seq ")


def test_deleting_a_booked_event_row_before_sending_it_again_is_caught(ledger: tuple[Path, gp.Checkpoint]) -> None:
    path, checkpoint = ledger
    attack(path, "DELETE FROM events WHERE event_id = 'p5'")
    assert_caught(path, checkpoint, "events", "event 'p5'", "its row is gone: deleted, so it could be booked again")


def test_deleting_a_rejected_event_row_is_caught(ledger: tuple[Path, gp.Checkpoint]) -> None:
    path, checkpoint = ledger
    attack(path, "DELETE FROM events WHERE event_id = 'held2'")
    assert_caught(path, checkpoint, "events", "event 'held2'", "(reject) is about it but its row is gone")


def test_a_held_event_made_rejected_is_caught(ledger: tuple[Path, gp.Checkpoint]) -> None:
    path, checkpoint = ledger
    attack(path, "UPDATE events SET status = 'rejected' WHERE event_id = 'held1'")
    with open_engine(path) as engine:  # what the attack buys: the review queue is empty
        assert engine.review.pending() == []
    assert_caught(path, checkpoint, "events", "event 'held1'", "status is 'rejected', but it has no entries")


def test_a_held_event_made_booked_or_a_rejected_one_held_is_caught(ledger: tuple[Path, gp.Checkpoint]) -> None:
    path, checkpoint = ledger
    attack(path, "UPDATE events SET status = 'booked' WHERE event_id = 'held1'")
    assert_caught(path, checkpoint, "events", "event 'held1'", "it must be 'held'")
    attack(path, "UPDATE events SET status = 'held' WHERE event_id = 'held1'",
           "UPDATE events SET status = 'held' WHERE event_id = 'held2'")  # fmt: skip
    assert_caught(path, checkpoint, "events", "event 'held2'", "its entries and decisions make it 'rejected'")


@pytest.mark.parametrize(
    ("statement", "words"),
    [
        ("UPDATE events SET payload = replace(payload, 'M3', 'M1') WHERE event_id = 'p5'",
         "member, kind or time differs from its payload"),
        ("UPDATE events SET member_id = 'M1', payload = replace(payload, 'M3', 'M1') WHERE event_id = 'p5'",
         "member or kind differs from its entry"),
        ("UPDATE events SET payload = replace(payload, char(31) || '1' || char(31), char(31) || '9' || char(31)) "
         "WHERE event_id = 'p5'", "quantity of its payload (9) differs from its entry"),
        ("UPDATE events SET occurred_us = occurred_us + 1 WHERE event_id = 'p5'",
         "member, kind or time differs from its payload"),
        ("UPDATE events SET payload = 'garbage' WHERE event_id = 'p5'", "is not a stored event's payload"),
    ],
)  # fmt: skip
def test_editing_an_event_row_or_its_payload_is_caught(
    ledger: tuple[Path, gp.Checkpoint], statement: str, words: str
) -> None:
    path, checkpoint = ledger
    attack(path, statement)
    assert_caught(path, checkpoint, "events", "event 'p5'", words)


def local_rules(points: int) -> object:
    class Local:
        @gp.hookimpl
        def gridpoints_rulesets(self) -> list[gp.RuleSet]:
            return [gp.RuleSet("local", "1", "2000-01-01", [gp.Rule("patrol", points)])]

    return Local()


def test_a_rule_set_version_deleted_and_changed_in_place_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with gp.Engine(str(path), ruleset="local", plugins=[local_rules(5)], load_entrypoints=False,
                   clock=lambda: CLOCK) as engine:  # fmt: skip
        engine.add_members([gp.Member(id="M1", region="urban")])
        engine.ingest([gp.Event("p1", "M1", "patrol", at(3))])
    # Opening with changed rules under the same version is refused while the row is there...
    with pytest.raises(gp.ConfigurationError, match="changed in place"):
        gp.Engine(str(path), ruleset="local", plugins=[local_rules(50)], load_entrypoints=False)
    # ...so the attacker deletes it first, and the changed rules open and book.
    attack(path, "DELETE FROM ruleset_versions WHERE ruleset = 'local'")
    with gp.Engine(str(path), ruleset="local", plugins=[local_rules(50)], load_entrypoints=False,
                   clock=lambda: CLOCK) as engine:  # fmt: skip
        result = engine.ledger.verify()
        assert not result and (result.table, result.row) == ("ruleset_versions", "local 1")
        assert "its digest differs from the one its entries carry (seq 1): it was changed in place" in result.problem
        engine.ingest([gp.Event("p2", "M1", "patrol", at(4))])
        result = engine.ledger.verify()
        assert not result and "carry two digests (first differing at seq 2)" in result.problem


def test_a_rule_set_version_row_deleted_or_changed_is_caught_by_a_bare_store(
    ledger: tuple[Path, gp.Checkpoint],
) -> None:
    path, _ = ledger
    attack(path, "UPDATE ruleset_versions SET digest = 'f' || substr(digest, 2) WHERE version = '2026.1'")
    store = gp.SQLiteStore(str(path))  # an auditor's script: no engine registering its own rules
    try:
        result = Ledger(store).verify()
        assert not result and (result.table, result.row) == ("ruleset_versions", "standard 2026.1")
        attack(path, "DELETE FROM ruleset_versions WHERE version = '2026.1'")
        result = Ledger(store).verify()
        assert not result and "its row is gone: deleted, so the version could be changed in place" in result.problem
    finally:
        store.close()


def test_the_cli_names_the_table_and_row_and_exits_1(
    ledger: tuple[Path, gp.Checkpoint], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = ledger
    attack(path, "DELETE FROM period_closes WHERE period = '2026-10'")
    code = main(["--db", str(path), "--no-plugins", "verify"])
    out = capsys.readouterr().out
    assert code == 1 and out.startswith("ledger BROKEN in table period_closes, row 2026-10: the close of 2026-10")


# -- the intake log: held rows and payloads ----------------------------------------------------
# The ledger fixture's intakes: 1 o1, 2 p0…p11, 3 m1 c1, 4 p3b (the correction), 5 held1, 6 held2.


def test_deleting_a_held_event_row_is_caught(ledger: tuple[Path, gp.Checkpoint]) -> None:
    path, checkpoint = ledger
    attack(path, "DELETE FROM events WHERE event_id = 'held1'")
    with open_engine(path) as engine:  # what the attack buys: the review queue empties unnoticed
        assert engine.review.pending() == []
    assert_caught(path, checkpoint, "events", "intake 5",
                  "intake 5 wrote 1 event rows and 0 carry its seq (), which do not match its digest: a row was "
                  "deleted (a held event leaves the review queue unnoticed)")  # fmt: skip


def test_inventing_a_held_event_row_is_caught(ledger: tuple[Path, gp.Checkpoint]) -> None:
    path, checkpoint = ledger
    invent = ("INSERT INTO events SELECT 'held3', member_id, kind, occurred_us + 1, period, status, "
              "replace(payload, occurred_us, occurred_us + 1), hold_check, hold_reason, hold_ref, {seq} "
              "FROM events WHERE event_id = 'held1'")  # fmt: skip
    attack(path, invent.format(seq=5))
    with open_engine(path) as engine:  # what the attack buys: work to review that nobody sent
        assert [h.event.id for h in engine.review.pending()] == ["held1", "held3"]
    assert_caught(path, checkpoint, "events", "intake 5", "1 event rows and 2 carry its seq ('held1', 'held3')")
    assert "a row was invented" in verify(path).problem
    attack(path, "DELETE FROM events WHERE event_id = 'held3'", invent.format(seq=7))
    assert_caught(path, checkpoint, "events", "event 'held3'",
                  "it carries intake_seq 7, but no such intake is recorded: the row was invented")  # fmt: skip


def test_a_row_invented_as_older_than_the_intake_log_is_caught(ledger: tuple[Path, gp.Checkpoint]) -> None:
    """A row claiming intake_seq 0 would read as written before the log: the first intake
    committed to how many such rows there were (none, on a ledger bound from the start)."""
    path, checkpoint = ledger
    attack(path, "INSERT INTO events SELECT 'held3', member_id, kind, occurred_us, period, status, payload, "
                 "hold_check, hold_reason, hold_ref, 0 FROM events WHERE event_id = 'held1'")  # fmt: skip
    assert_caught(path, checkpoint, "events", "intake 0",
                  "1 event rows carry intake_seq 0 (written before the intake log), not as many as the log's first "
                  "intake recorded: one was invented or deleted")  # fmt: skip


def stars_ledger(path: Path) -> gp.Checkpoint:
    """M1 rated 1 star once (intake 1), then a late hazard (intake 2)."""
    with open_engine(path) as engine:
        engine.add_members([gp.Member(id="M1", region="urban")])
        engine.ingest([gp.Event("r1", "M1", "rating", at(2), attributes={"stars": 1})])
        engine.ingest([gp.Event("h1", "M1", "hazard", at(3), reported_at=at(3) + timedelta(hours=30),
                                attributes={"evidence": "photo.jpg"})])  # fmt: skip
        checkpoint = engine.ledger.checkpoint(key=KEY)
        assert engine.ledger.verify()
    return checkpoint


@pytest.mark.parametrize(
    ("event_id", "old", "new", "intake"),
    [
        ("r1", '"stars":1', '"stars":5', 1),
        ("h1", "photo.jpg", "other.jpg", 2),
        ("h1", str(int((at(3) + timedelta(hours=30)).timestamp() * 1_000_000)),
         str(int((at(3) + timedelta(hours=1)).timestamp() * 1_000_000)), 2),
    ],
    ids=["stars", "evidence", "reported_at"],
)  # fmt: skip
def test_editing_what_an_event_says_beyond_its_entries_is_caught(
    tmp_path: Path, event_id: str, old: str, new: str, intake: int
) -> None:
    path = tmp_path / "ledger.db"
    checkpoint = stars_ledger(path)
    (payload,) = sqlite3.connect(path).execute("SELECT payload FROM events WHERE event_id = ?", (event_id,)).fetchone()
    assert old in payload
    attack(path, f"UPDATE events SET payload = '{payload.replace(old, new)}' WHERE event_id = '{event_id}'")
    assert_caught(path, checkpoint, "events", f"intake {intake}",
                  "a row was changed after intake: its payload (evidence, stars, reported time)")  # fmt: skip


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET hold_reason = 'no reason' WHERE event_id = 'held1'",
        "UPDATE events SET hold_check = '' WHERE event_id = 'held1'",
        "UPDATE events SET period = '2026-12' WHERE event_id = 'held1'",
    ],
)
def test_editing_a_held_rows_hold_is_caught(ledger: tuple[Path, gp.Checkpoint], statement: str) -> None:
    path, checkpoint = ledger
    attack(path, statement)
    assert_caught(path, checkpoint, "events", "intake 5", "a row was changed after intake")


@pytest.mark.parametrize(
    ("statement", "row", "words"),
    [
        ("UPDATE intakes SET digest = hash WHERE seq = 2", "seq 2", "hash does not match the intake's fields"),
        ("UPDATE intakes SET prev_hash = hash WHERE seq = 3", "seq 3", "prev_hash does not link to the intake before"),
        ("DELETE FROM intakes WHERE seq = 3", "seq 3", "intake 3 is missing or out of order (found 4)"),
        ("UPDATE intakes SET events = 'two' WHERE seq = 1", "seq 1", "a column holds a value of the wrong type"),
    ],
)  # fmt: skip
def test_editing_the_intake_log_itself_is_caught(
    ledger: tuple[Path, gp.Checkpoint], statement: str, row: str, words: str
) -> None:
    path, checkpoint = ledger
    attack(path, statement)
    assert_caught(path, checkpoint, "intakes", row, words)


def test_cutting_the_intake_logs_tail_is_caught_by_the_checkpoint(ledger: tuple[Path, gp.Checkpoint]) -> None:
    path, _ = ledger
    with open_engine(path) as engine:
        assert engine.ingest([gp.Event("held3", "M3", "mediation", at(8))]).held == ("held3",)  # intake 7
        checkpoint = engine.ledger.checkpoint(key=KEY)
    attack(path, "DELETE FROM events WHERE event_id = 'held3'", "DELETE FROM intakes WHERE seq = 7")
    assert verify(path)  # the last intake with all its rows leaves no trace in the tables
    result = verify(path, checkpoint)
    assert not result and (result.table, result.row) == ("intakes", "seq 7"), result
    assert result.problem.startswith("the intake log ends at intake 6 but the checkpoint gpcp2:")
    # A checkpoint made before the intake log anchors the ledger only: it cannot see this.
    old = gp.Checkpoint.at(checkpoint.seq, checkpoint.hash, KEY)
    assert verify(path, old)


# -- ledgers written before the bindings -------------------------------------------------------


def downgrade(path: Path) -> None:
    """Make the file what gridpoints wrote before the intake log (schema version 3)."""
    attack(path, "DROP TABLE intakes", "ALTER TABLE events DROP COLUMN intake_seq",
           "UPDATE schema_migrations SET version = 3")  # fmt: skip


def test_a_ledger_written_before_the_intake_log_verifies_with_a_note(ledger: tuple[Path, gp.Checkpoint]) -> None:
    path, checkpoint = ledger
    downgrade(path)
    unbound = "events: 18 event rows are not bound: written before the intake log (intake_seq 0)"
    result = verify(path)  # reopening migrates: intake_seq 0 on every row, an empty intake log
    assert result and result.notes == (unbound,)
    old = gp.Checkpoint.at(checkpoint.seq, checkpoint.hash, KEY)  # a checkpoint of those days: gpcp1
    assert verify(path, old).notes == (unbound,)
    # A checkpoint that recorded the intake log sees it gone (dropping it is no way to hide a cut).
    gone = verify(path, checkpoint)
    assert not gone and (gone.table, gone.row) == ("intakes", "seq 6")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone() == (gp.stores.SCHEMA_VERSION,)
    with open_engine(path) as engine:  # rows written from now on are bound
        assert engine.ingest([gp.Event("held3", "M3", "mediation", at(8))]).held == ("held3",)
        assert engine.store.intake_head()[0] == 1
        later = engine.ledger.checkpoint(key=KEY)
    assert verify(path, later).notes == (unbound,)
    attack(path, "DELETE FROM events WHERE event_id = 'held3'")
    assert_caught(path, later, "events", "intake 1", "a row was deleted")
    # Intake 1 also committed to the 18 older rows: one deleted (or invented) from them is caught.
    attack(path, "INSERT INTO events SELECT 'held3', member_id, kind, occurred_us, period, 'held', payload, "
                 "'evidence', 'no photo', '', 1 FROM events WHERE event_id = 'held1'",
           "DELETE FROM events WHERE event_id = 'held1'")  # fmt: skip
    assert_caught(path, later, "events", "intake 0", "17 event rows carry intake_seq 0")


def test_before_its_first_intake_a_migrated_ledgers_older_rows_are_a_note_only(
    ledger: tuple[Path, gp.Checkpoint],
) -> None:
    path, _ = ledger
    downgrade(path)
    assert verify(path)  # migrates
    attack(path, "DELETE FROM events WHERE event_id = 'held1'")
    result = verify(path)  # the limit: until the log's first intake, nothing commits to them
    assert result and result.notes == (
        "events: 17 event rows are not bound: written before the intake log (intake_seq 0)",)




def test_a_settlement_written_before_settling_was_a_decision_is_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.db"
    with open_engine(path) as engine:
        engine.add_members([gp.Member(id="M1", region="urban")])
        engine.ingest([gp.Event("p1", "M1", "patrol", at(3, month=9))])
        with engine.store.transaction() as tx:  # what gridpoints wrote before: a row, no decision
            tx.mark_settled("2026-09", 1)
        engine.ingest([gp.Event("p2", "M1", "patrol", at(3, month=10))])
        engine.settle("2026-10")  # today's settle: a decision
    result = verify(path)
    assert result and result.notes == (
        "settlements: 2026-09 is not bound: settled at seq 1, before settling was recorded as a decision",)
    assert main(["--db", str(path), "--no-plugins", "verify"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == f"note: {result.notes[0]}"


# -- defect 7 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "shown"),
    [
        ("points_cents", "'abc'", "points_cents = 'abc'"),
        ("points_cents", "500.5", "points_cents = 500.5"),
        ("points_cents", "x'01f4'", "points_cents = b'\\x01\\xf4'"),
        ("coefficient", "1.5", None),
        ("quantity", "x'00'", None),
        ("member_id", "42", None),
        ("hash", "123", None),
        ("prev_hash", "x'00'", None),
    ],
)
def test_a_type_tampered_entry_column_is_a_broken_row(
    ledger: tuple[Path, gp.Checkpoint], column: str, value: str, shown: str | None,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    path, checkpoint = ledger
    attack(path, f"UPDATE entries SET {column} = {value} WHERE seq = 7")
    for result in (verify(path), verify(path, checkpoint)):
        assert not result and result.first_bad_seq == 7
        if shown is not None:
            assert f"the entry is broken: a column holds a value of the wrong type ({shown})" in result.problem
    assert main(["--db", str(path), "--no-plugins", "verify"]) == 1
    assert capsys.readouterr().out.startswith("ledger BROKEN at seq 7: ")


@pytest.mark.parametrize(
    ("statement", "table"),
    [
        ("UPDATE period_closes SET head_seq = 'abc'", "period_closes"),
        ("UPDATE period_closes SET report = x'00'", "period_closes"),
        ("UPDATE decisions SET detail = x'00' WHERE action = 'close'", "period_closes"),
        ("UPDATE decisions SET note = x'00' WHERE action = 'approve'", "decisions"),
        ("UPDATE settlements SET head_seq = 'abc'", "settlements"),
        ("UPDATE events SET status = 5 WHERE event_id = 'p5'", "events"),
        ("UPDATE events SET payload = x'00' WHERE event_id = 'p5'", "events"),
        ("UPDATE events SET occurred_us = 'soon' WHERE event_id = 'p5'", "events"),
        ("UPDATE ruleset_versions SET digest = 7", "ruleset_versions"),
    ],
)
def test_type_tampered_columns_of_the_other_tables_are_broken_rows(
    ledger: tuple[Path, gp.Checkpoint], statement: str, table: str
) -> None:
    path, _ = ledger
    attack(path, statement)
    store = gp.SQLiteStore(str(path))
    try:
        result = Ledger(store).verify()
    finally:
        store.close()
    assert not result and result.table == table, result
    if table != "ruleset_versions":  # an engine refuses to open on a changed version (exit 2)
        assert main(["--db", str(path), "--no-plugins", "verify"]) == 1


def test_a_type_tampered_entry_in_the_memory_store_is_a_broken_row() -> None:
    engine = gp.Engine(load_entrypoints=False, clock=lambda: CLOCK)
    engine.add_members([gp.Member(id="M1", region="urban")])
    engine.ingest([gp.Event(f"p{n}", "M1", "patrol", at(n)) for n in range(1, 4)])
    rows = engine.store._entries  # type: ignore[attr-defined]
    for index, column, value in ((1, 0, "2"), (1, 6, "abc"), (2, 6, None), (0, 16, 7)):
        row = list(rows[index])
        good = tuple(row)
        row[column] = value
        rows[index] = tuple(row)
        result = engine.ledger.verify()
        assert not result and result.first_bad_seq == index + 1, (column, value, result)
        rows[index] = good
    assert engine.ledger.verify()


# -- a property: whatever bound row goes, verify notices ----------------------------------------

plans = st.lists(
    st.tuples(st.integers(1, 3), st.sampled_from(["patrol", "service", "complaint", "mediation", "rating"]),
              st.integers(1, 28), st.sampled_from(["approve", "reject", "leave"])),
    min_size=1, max_size=12,
)  # fmt: skip


def planned_ledger(plan: list[tuple[int, str, int, str]], batches: int = 1) -> gp.Engine:
    """A memory ledger of ``plan``'s events (member, kind, day, what the reviewer does if held),
    ingested in ``batches`` calls, with every held event decided as planned."""
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW)
    engine.add_members([gp.Member(id=f"M{n}", region="urban") for n in range(1, 4)])
    events = [
        gp.Event(f"e{i}", f"M{m}", kind, at(day) + timedelta(minutes=i),
                 attributes={"stars": 4} if kind == "rating" else {})
        for i, (m, kind, day, _) in enumerate(plan)
    ]  # fmt: skip
    for start in range(batches):
        engine.ingest(events[start::batches])
    for held in engine.review.pending():
        choice = plan[int(held.event.id[1:])][3]
        if choice == "approve":
            engine.review.approve(held.event.id, by="reviewer")
        elif choice == "reject":
            engine.review.reject(held.event.id, by="reviewer", reason="no")
    return engine


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans, st.booleans(), st.data())
def test_deleting_any_bound_row_is_caught(
    plan: list[tuple[int, str, int, str]], close: bool, data: st.DataObject
) -> None:
    engine = planned_ledger(plan)
    (engine.close_period if close else engine.settle)("2026-11", **({"by": "office"} if close else {}))
    assert engine.ledger.verify()
    store = engine.store
    assert isinstance(store, gp.MemoryStore)
    # Every row of a bound table, except held events: nothing on the chain speaks of them yet.
    targets = [("events", row.event_id) for row in store.event_rows() if row.status != "held"]
    targets += [("settlements", month) for month in store.settlements()]
    targets += [("period_closes", row.period) for row in store.period_closes()]
    table, key = data.draw(st.sampled_from(targets))
    rows: dict[str, Any] = {"events": store._events, "settlements": store._settled, "period_closes": store._closes}
    del rows[table][key]
    result = engine.ledger.verify()
    assert not result and result.table == table and key in result.row, (table, key, result)


def test_an_entry_problem_names_its_row_too(ledger: tuple[Path, gp.Checkpoint]) -> None:
    path, _ = ledger
    attack(path, "UPDATE entries SET points_cents = points_cents + 500 WHERE seq = 7")
    result = verify(path)
    assert not result and (result.table, result.row, result.first_bad_seq) == ("entries", "seq 7", 7)


# -- a property: whatever event row is deleted, invented or edited, the intake log notices ------

edits = st.sampled_from(["delete", "rename", "payload", "hold_reason", "status", "invent"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans, st.integers(1, 3), edits, st.data())
def test_any_event_row_changed_after_intake_is_caught(
    plan: list[tuple[int, str, int, str]], batches: int, edit: str, data: st.DataObject
) -> None:
    engine = planned_ledger(plan, batches)
    result = engine.ledger.verify()
    assert result and result.notes == ()
    store = engine.store
    assert isinstance(store, gp.MemoryStore)
    rows = store._events
    key = data.draw(st.sampled_from(sorted(rows)))
    row = EventRow._make(rows[key])
    if edit == "delete":
        del rows[key]
    elif edit == "rename":
        del rows[key]
        rows[key + "x"] = row._replace(event_id=key + "x")
        store._intake_of[key + "x"] = store._intake_of[key]
    elif edit == "invent":
        rows[key + "x"] = row._replace(event_id=key + "x")
        store._intake_of[key + "x"] = store._intake_of[key]
    elif edit == "payload":
        rows[key] = row._replace(payload=row.payload + '{"evidence":"x"}')
    elif edit == "hold_reason":
        rows[key] = row._replace(hold_reason=row.hold_reason + " (edited)")
    else:
        others = sorted({"booked", "held", "rejected", "corrected"} - {row.status})
        rows[key] = row._replace(status=data.draw(st.sampled_from(others)))
    result = engine.ledger.verify()
    assert not result and result.table == "events", (edit, key, result)
