"""Verification: verify finds tampered entries, and rows deleted or changed beside the chain."""

from __future__ import annotations

from decimal import Decimal

import pytest

import gridpoints as gp
from gridpoints.testing._conformance.base import ConformanceBase
from gridpoints.testing._conformance.fixtures import (
    OCT,
    ChecksPlugin,
    HoldFlagged,
    LimitedAndCappedRules,
    at,
    limited_and_capped,
    october,
    rate,
    xiao_li_month,
)

D = Decimal


class Verification(ConformanceBase):
    @pytest.mark.parametrize(("seq", "column", "value"), [(1, "points_cents", 99900), (12, "member_id", "M002"),
                                                          (23, "hash", "f" * 64), (7, "reason", "cap")])
    def test_verify_names_the_first_tampered_entry(self, seq: int, column: str, value: object) -> None:
        engine = self.engine()
        engine.ingest(xiao_li_month())
        assert engine.ledger.verify().entries == 23
        self.tamper(engine.store, seq, column, value)
        result = self.reopen(engine).ledger.verify()
        assert not result and result.first_bad_seq == seq

    def bound_ledger(self) -> gp.Engine:
        """October closed (so settled) with a rejected event; November with a held one."""
        engine = self.engine(members=False, plugins=[ChecksPlugin(HoldFlagged())])
        october(engine)  # p1, s1, p2 booked; m1 held (no evidence)
        engine.ingest([gp.Event("f1", "M1", "service", at(7, month=OCT), attributes={"flag": "yes"})])
        engine.review.reject("f1", by="auditor", reason="not done")
        engine.close_period("2026-10", by="office")
        engine.ingest([gp.Event("n1", "M2", "patrol", at(2)), gp.Event("n2", "M2", "mediation", at(3))])
        assert [h.event.id for h in engine.review.pending()] == ["m1", "n2"]
        assert engine.ledger.verify()
        return engine

    @pytest.mark.parametrize(
        ("attack", "table", "row", "words"),
        [
            ("delete the close of a month", "period_closes", "2026-10", "has no row: it was deleted"),
            ("delete a settlement", "settlements", "2026-10", "has no row: it was deleted"),
            ("delete a booked event", "events", "event 'p2'", "its row is gone"),
            ("delete a rejected event", "events", "event 'f1'", "its row is gone"),
            ("make a held event rejected", "events", "event 'n2'", "status is 'rejected'"),
            ("edit a payload", "events", "event 'n1'", "differs from its payload"),
        ],
    )
    def test_verify_catches_rows_deleted_or_changed_beside_the_chain(
        self, attack: str, table: str, row: str, words: str
    ) -> None:
        engine = self.bound_ledger()
        checkpoint = engine.ledger.checkpoint(key="kept elsewhere")
        store = engine.store
        if attack == "make a held event rejected":
            self.tamper_row(store, "events", "n2", "status", "rejected")
        elif attack == "edit a payload":
            (n1,) = store.event_rows(event_ids=["n1"])
            self.tamper_row(store, "events", "n1", "payload", n1.payload.replace("M2", "M1", 1))
        else:
            self.tamper_row(store, table, row.removeprefix("event '").removesuffix("'"), None)
        engine = self.reopen(engine, plugins=[ChecksPlugin(HoldFlagged())])
        for result in (engine.ledger.verify(), engine.ledger.verify(checkpoint=checkpoint, key="kept elsewhere")):
            assert not result and (result.table, result.row) == (table, row), result
            assert words in result.problem, result.problem

    @pytest.mark.parametrize("attack", ["delete a held event", "add evidence to a held event", "rename a held event"])
    def test_verify_catches_held_rows_and_payloads_changed_after_intake(self, attack: str) -> None:
        engine = self.bound_ledger()  # intake 3 wrote n1 (booked) and n2 (held)
        checkpoint = engine.ledger.checkpoint(key="kept elsewhere")
        store = engine.store
        (n2,) = store.event_rows(event_ids=["n2"])
        if attack == "delete a held event":
            self.tamper_row(store, "events", "n2", None)
            words = "wrote 2 event rows and 1 carry its seq ('n1'), which do not match its digest: a row was deleted"
        elif attack == "add evidence to a held event":
            self.tamper_row(store, "events", "n2", "payload", n2.payload + '{"evidence":"photo.jpg"}')
            words = "a row was changed after intake: its payload (evidence, stars, reported time)"
        else:
            self.tamper_row(store, "events", "n2", "event_id", "n9")
            words = "carry its seq ('n1', 'n9'), which do not match its digest: a row was changed after intake"
        engine = self.reopen(engine, plugins=[ChecksPlugin(HoldFlagged())])
        if attack != "add evidence to a held event":  # what the attack buys: n2 leaves the queue
            assert "n2" not in [h.event.id for h in engine.review.pending()]
        for result in (engine.ledger.verify(), engine.ledger.verify(checkpoint=checkpoint, key="kept elsewhere")):
            assert not result and (result.table, result.row) == ("events", "intake 3"), result
            assert words in result.problem, result.problem

    def test_the_intake_log_binds_every_write_of_event_rows(self) -> None:
        engine = self.bound_ledger()
        lines = list(engine.store.intake_bindings())
        intakes = [line for line in lines if line.event_id is None]
        # October's ingest, f1's, November's: reviews, closes and settling write no event rows.
        assert [(i.intake_seq, i.events) for i in intakes] == [(1, 4), (2, 1), (3, 2)]
        assert engine.store.intake_head() == (3, intakes[-1].hash)
        by_intake = {line.event_id: line.intake_seq for line in lines if line.event_id is not None}
        assert by_intake == {"p1": 1, "s1": 1, "p2": 1, "m1": 1, "f1": 2, "n1": 3, "n2": 3}
        engine.review.approve("m1", by="auditor", note="evidence found")
        engine.correct("n1", gp.Event("n1b", "M2", "patrol", at(2, 10)), by="auditor", reason="wrong time")
        engine = self.reopen(engine, plugins=[ChecksPlugin(HoldFlagged())])
        assert engine.store.intake_head()[0] == 4  # the correction's replacement row
        result = engine.ledger.verify()
        assert result and result.notes == (), result

    def test_cutting_the_intake_logs_tail_is_caught_by_a_checkpoint(self) -> None:
        engine = self.bound_ledger()
        assert engine.ingest([gp.Event("n3", "M2", "mediation", at(4))]).held == ("n3",)  # intake 4
        checkpoint = engine.ledger.checkpoint(key="kept elsewhere")
        assert checkpoint.intake is not None and checkpoint.intake[0] == 4
        self.tamper_row(engine.store, "events", "n3", None)
        self.tamper_row(engine.store, "intakes", "4", None)
        engine = self.reopen(engine, plugins=[ChecksPlugin(HoldFlagged())])
        assert engine.ledger.verify()  # the log alone cannot see its own tail cut: the checkpoint can
        result = engine.ledger.verify(checkpoint=checkpoint, key="kept elsewhere")
        assert not result and (result.table, result.row) == ("intakes", "seq 4"), result
        assert "the intake log ends at intake 3 but the checkpoint" in result.problem
        assert "intakes were cut off with their event rows" in result.problem

    def test_a_deleted_settlement_does_not_pay_twice(self) -> None:
        engine = self.engine(members=False, checks=False)
        engine.add_members([gp.Member(id="A", region="urban")])
        rate(engine, "A", [5] * 5)
        assert engine.settle("2026-11").entries == 1
        self.tamper_row(engine.store, "settlements", "2026-11", None)
        engine = self.reopen(engine, checks=False)
        assert engine.settle("2026-11").already_settled and engine.score("A", "2026-11") == 10
        result = engine.ledger.verify()
        assert not result and (result.table, result.row) == ("settlements", "2026-11")

    def test_settlements_and_rule_set_versions_read_back(self) -> None:
        engine = self.engine(checks=False)
        engine.ingest([gp.Event("p", "M001", "patrol", at(3))])
        engine.settle("2026-11")
        (settle,) = engine.decisions(action="settle")
        assert engine.store.settlements() == {"2026-11": settle.detail["head_seq"]} == {"2026-11": 1}
        assert settle.subject == "period:2026-11" and settle.detail["awards"] == 0
        versions = engine.store.ruleset_versions()
        entry = next(iter(engine.store.entry_rows()))
        assert versions[(entry.ruleset, entry.version)] == entry.digest

    # -- count limits and caps: what an honest ledger books must verify ----------------------

    def limited_and_capped(self, events: list[gp.Event]) -> gp.Engine:
        """``events`` booked under ``LimitedAndCappedRules`` in two calls (the second reads the
        limit and cap totals back from the store), then a freshly opened engine."""
        engine = self.engine(ruleset="both", plugins=[LimitedAndCappedRules()], checks=False)
        engine.ingest(events[:2])
        engine.ingest(events[2:])
        return self.reopen(engine, ruleset="both", plugins=[LimitedAndCappedRules()], checks=False)

    @staticmethod
    def booked(engine: gp.Engine) -> list[tuple[int, str, str, Decimal, str, str, str]]:
        return [(e.seq, e.event_id, e.kind, e.points, e.quantity, e.reason, e.ref) for e in engine.ledger.entries()]

    def test_an_entry_a_count_limit_cut_and_a_cap_clipped_verifies(self) -> None:
        engine = self.limited_and_capped([e for e in limited_and_capped() if e.kind == "visit"])
        assert self.booked(engine) == [
            (1, "v1", "visit", D("3.00"), "1.5", "rule", ""),
            (2, "v2", "visit", D("0.00"), "0.5", "cap", ""),  # the limit left 0.5 of 2, the cap clipped its point
            (3, "v3", "visit", D("0.00"), "0", "limit", ""),
            (4, "v4", "visit", D("2.00"), "1", "rule", ""),
            (5, "v5", "visit", D("1.00"), "1", "cap", ""),
        ]  # fmt: skip
        result = engine.ledger.verify()
        assert result and result.notes == (), result

    def test_a_late_reports_deduction_cut_by_a_count_limit_or_clipped_by_a_cap_verifies(self) -> None:
        engine = self.limited_and_capped([e for e in limited_and_capped() if e.kind == "hazard"])
        assert self.booked(engine) == [
            (1, "h1", "hazard", D("10.00"), "1", "rule", ""),
            (2, "h1", "late_report", D("-3.00"), "1", "derived", "h1"),
            (3, "h2", "hazard", D("10.00"), "1", "rule", ""),
            (4, "h2", "late_report", D("-1.00"), "1", "cap", "h2"),  # clipped by the cap of 4 a day
            (5, "h3", "hazard", D("10.00"), "1", "rule", ""),
            (6, "h3", "late_report", D("0.00"), "0", "limit", "h3"),  # beyond the limit of 2 a day
        ]  # fmt: skip
        # A deduction derived from an event (its ref is the event's own id) is not an award of it.
        assert {b.event_id: (b.entry_seq, b.entry_reason, b.awards) for b in engine.store.event_bindings()} == {
            "h1": (1, "rule", 1), "h2": (3, "rule", 1), "h3": (5, "rule", 1)}  # fmt: skip
        result = engine.ledger.verify()
        assert result and result.notes == (), result

    @pytest.mark.parametrize(("seq", "column", "value"), [
        (2, "quantity", "2"), (2, "reason", "limit"), (3, "reason", "rule"), (3, "quantity", "1"),
        (9, "reason", "derived"), (11, "ref", ""), (11, "reason", "derived"), (11, "quantity", "1"),
    ])  # fmt: skip
    def test_verify_still_catches_limited_and_capped_entries_edited(self, seq: int, column: str, value: str) -> None:
        engine = self.limited_and_capped(limited_and_capped())
        assert [(s, e, r) for s, e, _, _, _, r, _ in self.booked(engine)][1:11:2] == [
            (2, "v2", "cap"), (4, "v4", "rule"), (6, "h1", "rule"), (8, "h2", "rule"), (10, "h3", "rule")]
        assert engine.ledger.verify()
        self.tamper(engine.store, seq, column, value)
        result = self.reopen(engine, ruleset="both", plugins=[LimitedAndCappedRules()], checks=False).ledger.verify()
        assert not result and result.first_bad_seq == seq, result

    @pytest.mark.parametrize(
        ("attack", "row", "words"),
        [
            # v2 booked 0.5 of its 2 units (reason cap): fewer units in its payload cannot be
            ("v2 0.25", "event 'v2'", "the quantity of its payload (0.25) differs from its entry at seq 2 (0.5)"),
            # v3 booked 0 of its 1 unit (reason limit): a limit books fewer units than the event has
            ("v3 0", "event 'v3'", "the quantity of its payload (0) is not above its entry's at seq 3 (0)"),
            # More units than v2 booked are what a limit leaves: the intake log binds the payload
            ("v2 3", "intake 1", "a row was changed after intake: its payload"),
            ("h2 sent again", "event 'h2'", "it is booked 2 times (first at seq 8): its row was deleted"),
        ],
    )
    def test_verify_still_catches_limited_and_capped_events_edited_or_booked_again(
        self, attack: str, row: str, words: str
    ) -> None:
        engine = self.limited_and_capped(limited_and_capped())
        event_id, change = attack.split(" ", 1)
        if change == "sent again":
            self.tamper_row(engine.store, "events", event_id, None)
            engine = self.reopen(engine, ruleset="both", plugins=[LimitedAndCappedRules()], checks=False)
            (again,) = [e for e in limited_and_capped() if e.id == event_id]
            assert engine.ingest([again]).accepted == (event_id,)
        else:
            (stored,) = engine.store.event_rows(event_ids=[event_id])
            parts = stored.payload.split("\x1f")
            parts[3] = change
            self.tamper_row(engine.store, "events", event_id, "payload", "\x1f".join(parts))
        result = self.reopen(engine, ruleset="both", plugins=[LimitedAndCappedRules()], checks=False).ledger.verify()
        assert not result and (result.table, result.row) == ("events", row), result
        assert words in result.problem, result.problem
