"""A Hypothesis state machine drives ingest / hold / approve / reject / appeal / uphold / close
against a simple model and checks the ledger's invariants after every step."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import gridpoints as gp
from tests.conftest import NOW, at

MEMBERS = ("M1", "M2", "M3")
POINTS = {"patrol": Decimal(5), "service": Decimal(10), "complaint": Decimal(-10), "mediation": Decimal(15)}
MONTHS = ("2026-10", "2026-11", "2026-12")
#: Only the evidence check: a mediation without evidence is held, everything else is accepted.
ONLY_EVIDENCE = {"duplicate_submission": False, "daily_limit": False, "burst": False, "outlier": False}


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = gp.Engine(":memory:", load_entrypoints=False, clock=lambda: NOW, check_config=ONLY_EVIDENCE)
        self.engine.add_members([gp.Member(id=m, region="urban") for m in MEMBERS])
        self.count = 0
        self.closed: list[str] = []
        self.frozen: dict[str, tuple[gp.ReportRow, ...]] = {}
        self.expected: Counter[tuple[str, str]] = Counter()
        self.held: dict[str, tuple[str, str, Decimal]] = {}
        self.appealable: dict[int, tuple[str, str, Decimal]] = {}
        self.open_appeals: dict[int, int] = {}
        self.outcomes: Counter[str] = Counter()
        self.inputs = 0
        self.statuses: Counter[str] = Counter()
        self.prefix: list[tuple[int, str]] = []
        self.checkpoint: gp.Checkpoint | None = None

    def open_month(self, month: str) -> str:
        while month in self.closed:
            month = str(gp.Period.parse(month).shift(1))
        return month

    def record_new_entries(self) -> list[gp.Entry]:
        new = [e for e in self.engine.ledger.entries() if e.seq > len(self.prefix)]
        self.prefix.extend((e.seq, e.hash) for e in new)
        return new

    # -- rules ---------------------------------------------------------------------------

    @rule(member=st.sampled_from(MEMBERS), kind=st.sampled_from(sorted(POINTS)), month=st.sampled_from([10, 11]),
          day=st.integers(1, 28), evidence=st.booleans(), resend=st.booleans())
    def ingest(self, member: str, kind: str, month: int, day: int, evidence: bool, resend: bool) -> None:
        self.count += 1
        event_id = f"e{self.count}"
        attributes = {"evidence": "photo.jpg"} if evidence else {}
        event = gp.Event(event_id, member, kind, at(day, 9, month=month), attributes=attributes)
        batch = [event, event] if resend else [event]
        result = self.engine.ingest(batch)
        self.inputs += len(batch)
        assert result.total == len(batch)
        self.outcomes.update(result.counts())
        assert result.duplicates == ((event_id,) if resend else ())
        own = f"2026-{month:02d}"
        if kind == "mediation" and not evidence:
            assert result.held == (event_id,) and not result.accepted
            self.held[event_id] = (member, own, POINTS[kind])
            self.statuses["held"] += 1
            return
        assert result.accepted == (event_id,)
        self.statuses["booked"] += 1
        self.book(member, own, POINTS[kind])

    def book(self, member: str, own_month: str, points: Decimal) -> None:
        month = self.open_month(own_month)
        self.expected[(member, month)] += points  # type: ignore[assignment]
        (entry,) = self.record_new_entries()
        assert (entry.member_id, entry.period, entry.points) == (member, month, points)
        self.appealable[entry.seq] = (member, own_month, points)

    @precondition(lambda self: bool(self.held))
    @rule(data=st.data())
    def approve(self, data: st.DataObject) -> None:
        event_id = data.draw(st.sampled_from(sorted(self.held)))
        member, own, points = self.held.pop(event_id)
        assert self.engine.review.approve(event_id, by="审核员") == 1
        self.statuses.update({"held": -1, "booked": 1})
        month = self.open_month(own)
        self.expected[(member, month)] += points  # type: ignore[assignment]
        award, decision = self.record_new_entries()
        assert (award.points, award.period, decision.rule) == (points, month, "approve")
        self.appealable[award.seq] = (member, own, points)
        with pytest.raises(gp.ReviewError):
            self.engine.review.approve(event_id, by="again")

    @precondition(lambda self: bool(self.held))
    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        event_id = data.draw(st.sampled_from(sorted(self.held)))
        self.held.pop(event_id)
        self.engine.review.reject(event_id, by="审核员", reason="no record")
        self.statuses.update({"held": -1, "rejected": 1})
        (decision,) = self.record_new_entries()
        assert (decision.rule, decision.points) == ("reject", 0)

    @precondition(lambda self: bool(set(self.appealable) - set(self.open_appeals.values())))
    @rule(data=st.data())
    def appeal(self, data: st.DataObject) -> None:
        seq = data.draw(st.sampled_from(sorted(set(self.appealable) - set(self.open_appeals.values()))))
        appeal = self.engine.appeal(seq, by="member", reason="contested")
        self.open_appeals[appeal.id] = seq
        self.record_new_entries()

    @precondition(lambda self: bool(self.open_appeals))
    @rule(data=st.data(), dismiss=st.booleans())
    def decide_appeal(self, data: st.DataObject, dismiss: bool) -> None:
        appeal_id = data.draw(st.sampled_from(sorted(self.open_appeals)))
        seq = self.open_appeals.pop(appeal_id)
        appeal = self.engine.get_appeal(appeal_id)
        if dismiss:
            appeal.dismiss(by="主任", reason="stands")
            self.record_new_entries()
            return
        upheld = appeal.uphold(by="主任")
        member, own, points = self.appealable.pop(seq)
        month = self.open_month(own)
        self.expected[(member, month)] -= points  # type: ignore[assignment]
        reversal, _decision = self.record_new_entries()
        assert (reversal.seq, reversal.points, reversal.ref, reversal.period) == (
            upheld.reversal_seq, -points, f"seq:{seq}", month)
        with pytest.raises(gp.ReviewError):
            appeal.uphold(by="someone else")
        with pytest.raises(gp.LedgerError):
            self.engine.appeal(seq, by="member", reason="again")

    @precondition(lambda self: len(self.closed) < 2)
    @rule()
    def close(self) -> None:
        month = ("2026-10", "2026-11")[len(self.closed)]
        closed = self.engine.close_period(month, by="考核办")
        self.closed.append(month)
        self.frozen[month] = closed.report.rows
        self.record_new_entries()
        with pytest.raises(gp.LedgerError):
            self.engine.close_period(month, by="again")

    @rule()
    def take_checkpoint(self) -> None:
        self.checkpoint = self.engine.ledger.checkpoint(key=b"k")

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def balances_equal_the_model_and_the_sum_of_entries(self) -> None:
        for member in MEMBERS:
            for month in MONTHS:
                score = self.engine.score(member, month)
                assert score == self.expected[(member, month)], (member, month)
                assert score == sum((e.points for e in self.engine.explain(member, month)), Decimal(0))

    @invariant()
    def no_entry_is_reversed_twice(self) -> None:
        refs = [e.ref for e in self.engine.ledger.entries() if e.reason == "reversal"]
        assert len(refs) == len(set(refs))

    @invariant()
    def earlier_prefix_hashes_are_unchanged_and_the_chain_verifies(self) -> None:
        entries = self.engine.ledger.entries()
        assert [(e.seq, e.hash) for e in entries[: len(self.prefix)]] == self.prefix
        assert len(entries) == len(self.prefix)
        assert self.engine.ledger.verify()
        if self.checkpoint is not None:
            assert self.engine.ledger.verify(checkpoint=self.checkpoint, key=b"k")

    @invariant()
    def outcome_counts_add_up(self) -> None:
        assert sum(self.outcomes.values()) == self.inputs
        assert self.outcomes["accepted"] + self.outcomes["held"] == self.count
        stored = Counter(row[5] for row in self.engine.store.event_rows())
        assert +stored == +self.statuses
        assert len(self.engine.review.pending()) == len(self.held)
        assert {a.id for a in self.engine.appeals(status="open")} == set(self.open_appeals)

    @invariant()
    def closed_reports_never_change(self) -> None:
        for month, rows in self.frozen.items():
            assert self.engine.report(month).rows == rows

    def teardown(self) -> None:
        self.engine.close()


LedgerMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=20, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_ledger_state_machine = pytest.mark.slow(LedgerMachine.TestCase)
