"""The store conformance suite: one abstract test class every ledger store must pass.

A store's test module subclasses ``StoreConformance`` and says how to open its store and how to
tamper with a stored entry; pytest then runs every test of the suite against it::

    from gridpoints.testing.stores import StoreConformance

    class TestMyStore(StoreConformance):
        def open_store(self) -> gp.Store:
            return MyStore(self.tmp_path / "ledger")   # the same storage each time

        def tamper(self, store: gp.Store, seq: int, column: str, value: object) -> None:
            ...  # overwrite one column of entry ``seq``, bypassing every guard

        def tamper_row(self, store, table, key, column, value) -> None:
            ...  # the attacks on the tables beside the chain: overwrite one column of a row of
                 # period_closes, settlements or events (``key``: its period or event id), or
                 # delete that row when ``column`` is None

gridpoints runs it for memory, SQLite file, SQLite ``:memory:`` and PostgreSQL
(tests/test_store_conformance.py). The memory store is the reference: where results are
compared, they are compared with it. Only the public API, pytest and Hypothesis are used; the
pytest plugin registers this module for pytest's assertion rewriting.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.ledger import chain_hash, entry_bytes
from gridpoints.ledger.decisions import decision_digest
from gridpoints.schema import (
    DECISION_COLUMNS,
    ENTRY_COLUMNS,
    EVENT_COLUMNS,
    GENESIS,
    PERIOD_CLOSE_COLUMNS,
    CapKey,
    DecisionRow,
    EntryRow,
    EntryValues,
    EventRow,
    PeriodCloseRow,
    RuleKey,
)

__all__ = ["StoreConformance"]

RowType = type[EntryRow] | type[EventRow] | type[DecisionRow] | type[PeriodCloseRow]

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: The engines' clock: a fixed "now", so no event of the suite is ever in the future.
NOW = datetime(2027, 6, 1, tzinfo=SHANGHAI)
OCT = 10


def at(day: int, hour: int = 9, month: int = 11, year: int = 2026) -> datetime:
    """A Shanghai time in November 2026 by default."""
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


def xiao_li_month(member: str = "M001") -> list[gp.Event]:
    """The article's worked example: 20 patrols, 2 mediations with evidence, 1 late report (127)."""
    events = [gp.Event(f"{member}-patrol-{d}", member, "patrol", at(d)) for d in range(1, 21)]
    events += [
        gp.Event(f"{member}-mediation-{n}", member, "mediation", at(5 + n, 15),
                 attributes={"evidence": f"photo-{n}.jpg"})
        for n in (1, 2)
    ]
    events.append(gp.Event(f"{member}-late-1", member, "late_report", at(12, 10)))
    return events


def complaint_patrol_hazard(engine: gp.Engine) -> dict[str, gp.Entry]:
    """M1: a complaint (−10), a patrol (+5) and a late-reported hazard (+10, −3 derived), by
    ``event_id/reason``."""
    engine.add_members([gp.Member(id="M1", region="urban"), gp.Member(id="M2", region="urban")])
    result = engine.ingest([
        gp.Event("c1", "M1", "complaint", at(3)),
        gp.Event("p1", "M1", "patrol", at(4)),
        gp.Event("h1", "M1", "hazard", at(5), reported_at=at(5) + timedelta(hours=30)),
    ])
    assert len(result.accepted) == 3
    return {f"{e.event_id}/{e.reason}": e for e in engine.explain("M1", "2026-11")}


def october(engine: gp.Engine) -> None:
    """Two members' October: three events booked, one mediation held (no evidence)."""
    engine.add_members([gp.Member(id="M1", region="urban", grid="G1"), gp.Member(id="M2", region="urban")])
    result = engine.ingest([
        gp.Event("p1", "M1", "patrol", at(3, month=OCT)),
        gp.Event("s1", "M1", "service", at(4, month=OCT)),
        gp.Event("p2", "M2", "patrol", at(5, month=OCT)),
        gp.Event("m1", "M2", "mediation", at(6, month=OCT)),  # held: no evidence
    ])
    assert result.held == ("m1",)


def rate(engine: gp.Engine, member_id: str, stars: list[int], month: int = 11) -> None:
    """Book one ``rating`` event per star count, on consecutive days of the month."""
    first = len(engine.store.event_rows())
    events = [
        gp.Event(f"r{first + i}", member_id, "rating", at(1 + i, month=month), attributes={"stars": s})
        for i, s in enumerate(stars)
    ]
    result = engine.ingest(events)
    assert len(result.accepted) == len(stars), result


def chained(head: tuple[int, str], fields: Sequence[tuple[Any, ...]]) -> list[EntryValues]:
    """Entry rows continuing the chain at ``head``, from their fields ``member_id`` … ``ref``."""
    seq, prev = head
    rows: list[EntryValues] = []
    for values in fields:
        seq += 1
        digest = chain_hash(prev, entry_bytes((seq, *values)))
        rows.append((seq, *values, prev, digest))
        prev = digest
    return rows


def decision(
    seq: int, action: str, subject: str, moment: datetime, detail: str = "", **entry: str
) -> tuple[DecisionRow, tuple[Any, ...]]:
    """A decision row and its zero-point ledger entry's fields (``member_id`` … ``ref``)."""
    row = DecisionRow(seq, action, subject, "主任", moment.astimezone(UTC).isoformat(), "ok", detail)
    fields = (entry.get("member_id", ""), entry.get("event_id", ""), "decision", entry["month"], entry["day"], 0,
              "1", "0", action, "", "", decision_digest(row), "decision", entry.get("ref", ""))
    return row, fields


class HoldFlagged(gp.Check):
    """Holds events whose attributes say ``flag=yes`` — a stand-in for any anti-gaming check."""

    name = "flagged"

    def judge(self, event: gp.Event, at_us: int, timeline: gp.Timeline) -> gp.Verdict | None:
        if event.attributes.get("flag") == "yes":
            return gp.Verdict.hold(self.name, "flagged for review")
        return None


class HoldRepeatsAtOneLocation(gp.Check):
    """Holds a patrol at a location the member already patrolled within an hour (needs history)."""

    name = "repeat"
    kinds = frozenset({"patrol"})
    window = timedelta(hours=1)
    needs = frozenset({"location"})

    def judge(self, event: gp.Event, at_us: int, timeline: gp.Timeline) -> gp.Verdict | None:
        place = event.attributes.get("location")
        hour = 3_600_000_000
        for other in timeline.between(at_us - hour, at_us + hour, kind="patrol"):
            if place is not None and other.attributes.get("location") == place:
                return gp.Verdict.hold(self.name, "same place within an hour", ref=other.id)
        return None


class ChecksPlugin:
    def __init__(self, *checks: gp.Check) -> None:
        self.checks = checks

    @gp.hookimpl
    def gridpoints_checks(self) -> list[gp.Check]:
        return list(self.checks)


class RaiseOnNth(gp.Check):
    """A check that fails on the n-th event it sees: a fault in the middle of a batch."""

    name = "faulty"

    def __init__(self, n: int) -> None:
        self.n = n
        self.seen = 0

    def judge(self, event: gp.Event, at_us: int, timeline: gp.Timeline) -> gp.Verdict | None:
        self.seen += 1
        if self.seen == self.n:
            raise RuntimeError(f"fault at event {self.n}")
        return None


class LocalRules:
    """A locality with a month cap, so cap totals are read back from the store."""

    @gp.hookimpl
    def gridpoints_rulesets(self) -> list[gp.RuleSet]:
        return [gp.RuleSet("capped", "1", "2000-01-01", [gp.Rule("complaint", -10, cap={"month": 25}),
                                                        gp.Rule("patrol", 5)])]


class LimitedRules:
    """A locality with a count limit of two visits a day, read back from the store across calls."""

    @gp.hookimpl
    def gridpoints_rulesets(self) -> list[gp.RuleSet]:
        return [gp.RuleSet("limited", "1", "2000-01-01", [gp.Rule("visit", 2, limit={"day": 2}),
                                                         gp.Rule("case", 3, limit={"month": "2.5"})])]


#: A rule file of one version (``tmp_path / "local.toml"`` in the settings cases).
LOCAL_RULES = """id = "local"
version = "1"
effective_from = 2000-01-01

[[rules]]
kind = "patrol"
points = 7
"""

MEMBERS = [
    gp.Member(id="M001", region="urban", name="小李", grid="U1", joined="2020-01-01", attributes={"team": "a"}),
    gp.Member(id="M002", region="rural", left="2030-12-31"),
    gp.Member(id="M003", region="urban"),
]

event_ids = st.sampled_from([f"e{n}" for n in range(24)])
events = st.builds(
    lambda event_id, member, kind, day, hour: gp.Event(event_id, member, kind, at(day, hour)),
    event_ids,
    st.sampled_from(["M001", "M002", "M003", "M404"]),
    st.sampled_from(["patrol", "mediation", "complaint", "late_report", "dancing"]),
    st.integers(1, 30),
    st.sampled_from([0, 9, 23]),
)


class StoreConformance(abc.ABC):
    """Behaviour every store shares. Subclasses implement ``open_store`` and ``tamper``."""

    #: False for stores that live in the process: "reopening" then means a new engine on the
    #: same store object.
    durable: ClassVar[bool] = True

    @abc.abstractmethod
    def open_store(self) -> gp.Store:
        """A store on this test's storage (the same storage each time it is called)."""

    @abc.abstractmethod
    def tamper(self, store: gp.Store, seq: int, column: str, value: object) -> None:
        """Overwrite one column of the stored entry ``seq``, bypassing every guard."""

    def tamper_row(self, store: gp.Store, table: str, key: str, column: str | None, value: object = None) -> None:
        """Overwrite one column of a row of ``table`` (``period_closes`` or ``settlements``:
        ``key`` is its month; ``events``: its event id; ``intakes``: its seq), bypassing every
        guard; delete the row when ``column`` is None. A store implements it to run the attacks on the tables beside
        the chain (every built-in store does)."""
        raise NotImplementedError(f"{type(self).__name__}.tamper_row: needed for the attacks on {table}")

    # -- helpers -------------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _close_engines(self, tmp_path: Path) -> Iterator[None]:
        self.tmp_path = tmp_path
        self.engines: list[gp.Engine] = []
        self.stores: list[gp.Store] = []
        yield
        for engine in self.engines:
            engine.close()
        for store in self.stores:
            store.close()

    def bare_store(self) -> gp.Store:
        """``open_store()``, closed after the test."""
        store = self.open_store()
        self.stores.append(store)
        return store

    def engine(self, store: gp.Store | None = None, *, members: bool = True, **kwargs: Any) -> gp.Engine:
        kwargs.setdefault("clock", lambda: NOW)
        kwargs.setdefault("load_entrypoints", False)
        engine = gp.Engine(store if store is not None else self.open_store(), **kwargs)
        self.engines.append(engine)
        if members:
            engine.add_members(MEMBERS)
        return engine

    def reopen(self, engine: gp.Engine, **kwargs: Any) -> gp.Engine:
        """A new engine on the same data: a freshly opened store when durable."""
        if not self.durable:
            return self.engine(engine.store, members=False, **kwargs)
        engine.close()
        return self.engine(members=False, **kwargs)

    @staticmethod
    def reference(**kwargs: Any) -> gp.Engine:
        kwargs.setdefault("clock", lambda: NOW)
        engine = gp.Engine(gp.MemoryStore(), load_entrypoints=False, **kwargs)
        engine.add_members(MEMBERS)
        return engine

    # -- append and read back ------------------------------------------------------------

    def test_rows_read_back_exactly_as_the_reference_stores_them(self) -> None:
        engine, reference = self.engine(), self.reference()
        for e in (engine, reference):
            e.ingest(xiao_li_month())
            e.ingest([gp.Event("late", "M002", "hazard", at(3), reported_at=at(6),
                                attributes={"severity": "major", "evidence": "photo"})])
        rows = list(engine.store.chain_rows())
        assert rows == list(reference.store.chain_rows()) and len(rows) == 25
        assert [type(v) for v in rows[0]] == [int, *[str] * 5, int, *[str] * 10]
        assert engine.store.head() == reference.store.head() == (25, rows[-1][16])
        assert engine.store.event_rows() == reference.store.event_rows()
        # The intake log hashes the rows as written: the same on every store, 23 then 1 rows.
        assert engine.store.intake_head() == reference.store.intake_head() != (0, GENESIS)
        intakes = [line for line in engine.store.intake_bindings() if line.event_id is None]
        assert [(line.intake_seq, line.events) for line in intakes] == [(1, 23), (2, 1)]
        assert list(engine.store.entry_rows(member_id="M002")) == rows[23:]
        assert list(engine.store.entry_rows(periods=["2026-12"])) == []
        assert list(engine.store.entry_rows(member_id="M001", periods=["2026-11", "2026-12"])) == rows[:23]
        assert engine.score("M001", "2026-11") == 127 and engine.score("M002", "2026-11") == 17

    def test_an_append_that_does_not_continue_the_chain_is_refused_and_books_nothing(self) -> None:
        engine = self.engine()
        engine.ingest(xiao_li_month()[:2])
        row = next(iter(engine.store.chain_rows()))
        refused = "does not continue the chain at seq 3"
        with pytest.raises(gp.StoreError, match=refused), engine.store.transaction() as tx:
            tx.append([row], [])
        with pytest.raises(gp.StoreError, match=refused), engine.store.transaction() as tx:
            tx.append([(3, *row[1:15], GENESIS, row[16])], [])
        assert engine.store.head()[0] == 2 and engine.ledger.verify()

    def test_reads_return_named_rows_whose_fields_are_the_columns(self) -> None:
        engine = self.engine(plugins=[ChecksPlugin(HoldFlagged())])
        engine.ingest([*xiao_li_month()[:3], gp.Event("f", "M002", "patrol", at(2), attributes={"flag": "yes"})])
        engine.review.reject("f", by="auditor", reason="not done")
        engine.close_period("2026-10", by="office")
        store = engine.store
        reads: list[tuple[RowType, tuple[str, ...], list[Any]]] = [
            (EntryRow, ENTRY_COLUMNS, list(store.entry_rows(member_id="M001"))),
            (EventRow, EVENT_COLUMNS, store.event_rows()),
            (DecisionRow, DECISION_COLUMNS, store.decision_rows()),
            (PeriodCloseRow, PERIOD_CLOSE_COLUMNS, store.period_closes()),
        ]
        with store.transaction() as tx:
            reads.append((EntryRow, ENTRY_COLUMNS, tx.entry_rows(event_ids=["M001-patrol-1"])))
            reads.append((DecisionRow, DECISION_COLUMNS, tx.decision_rows(subjects=["event:f"])))
        for row_type, columns, rows in reads:
            assert rows and all(type(row) is row_type for row in rows), (row_type, rows)
            assert row_type._fields == columns
        assert [row.status for row in store.event_rows()] == ["booked", "booked", "rejected", "booked"]
        assert store.period_closes()[0].period == "2026-10" and store.decision_rows()[0].actor == "auditor"
        # chain_rows may stream plain tuples, but in the same column order.
        assert [EntryRow._make(row) for row in store.chain_rows()] == list(store.entry_rows())

    def test_rows_written_in_a_transaction_read_back(self) -> None:
        store = self.bare_store()
        # Two entries, a reversal of the first, a decision and a close, in one transaction.
        with store.transaction() as tx:
            patrols = chained(tx.head, [
                ("M1", "e1", "patrol", "2026-11", "2026-11-03", 500, "1", "1", "patrol.1", "standard", "1", "d" * 64,
                 "rule", ""),
                ("M1", "e2", "patrol", "2026-11", "2026-11-04", 500, "1", "1", "patrol.1", "standard", "1", "d" * 64,
                 "rule", ""),
            ])
            tx.append(patrols, [])
            # Staged rows are visible to the same transaction.
            assert [r.seq for r in tx.entry_rows(event_ids=["e1"])] == [1]
            first = tx.entry_rows(seqs=[1])[0]
            reversal = (first.member_id, first.event_id, first.kind, first.period, first.day, -first.points_cents,
                        first.coefficient, first.quantity, first.rule, first.ruleset, first.version, first.digest,
                        "reversal", "seq:1")
            row, fields = decision(4, "uphold", "appeal:9", datetime(2026, 12, 1, tzinfo=UTC), '{"reversal":3}',
                                   member_id="M1", event_id="e1", month="2026-11", day="2026-12-01")
            tx.append(chained(tx.head, [reversal, fields]), [])
            tx.add_decisions([row])
            assert [r.seq for r in tx.entry_rows(refs=["seq:1"])] == [3]
            assert [r.action for r in tx.decision_rows(subjects=["appeal:9"])] == ["uphold"]
            assert tx.closed_periods() == set()
            tx.add_period_close(PeriodCloseRow("2026-10", 4, 0, GENESIS, "{}"))
            assert tx.closed_periods() == {"2026-10"}
        assert [r.seq for r in store.entry_rows(refs=["seq:1"])] == [3]
        assert [r.seq for r in store.entry_rows(event_ids=["e1"], refs=["seq:1"])] == [3]
        assert [r.seq for r in store.entry_rows(seqs=[2, 4])] == [2, 4]
        assert [r.seq for r in store.entry_rows(member_id="M1", periods=["2026-11"], seqs=[1])] == [1]
        (recorded,) = store.decision_rows(actions=["uphold"])
        assert recorded[:5] == (4, "uphold", "appeal:9", "主任", "2026-12-01T00:00:00+00:00")
        assert store.decision_rows(subjects=["appeal:8"]) == []
        assert store.period_closes() == [("2026-10", 4, 0, GENESIS, "{}")]
        assert store.period_closes(periods=["2026-11"]) == []
        # The chain holds, but that close row was never committed to by a close decision.
        result = self.engine(store, members=False).ledger.verify()
        assert not result and "the close of 2026-10 does not match its decision" in result.problem

    def test_a_failed_transaction_stores_no_decision_and_no_close(self) -> None:
        store = self.bare_store()
        with pytest.raises(RuntimeError), store.transaction() as tx:
            row, fields = decision(1, "close", "period:2026-10", datetime(2026, 11, 1, tzinfo=UTC),
                                   month="2026-10", day="2026-11-01")
            tx.append(chained(tx.head, [fields]), [])
            tx.add_decisions([row])
            tx.add_period_close(PeriodCloseRow("2026-10", 1, 0, GENESIS, "{}"))
            raise RuntimeError("crash before commit")
        assert store.head()[0] == 0 and store.decision_rows() == [] and store.period_closes() == []

    def test_empty_filters_match_nothing_and_long_look_ups_are_answered_whole(self) -> None:
        engine = self.engine(checks=False)
        many = [gp.Member(id=f"L{n:04d}", region="urban") for n in range(1200)]
        engine.add_members(many)
        events = [gp.Event(f"l{n:04d}", m.id, "patrol", at(1 + n % 28)) for n, m in enumerate(many)]
        assert len(engine.ingest(events).accepted) == 1200
        store = engine.store
        assert list(store.entry_rows(seqs=[])) == [] and list(store.entry_rows(event_ids=[], member_id="L0001")) == []
        assert store.event_rows(event_ids=[]) == [] and store.decision_rows(subjects=[]) == []
        assert store.period_closes(periods=[]) == [] and store.totals([]) == {}
        # More ids than SQLite binds in one statement: look-ups, history and reads still see them all.
        again = engine.ingest(events)
        assert len(again.duplicates) == 1200 and again.entries == 0
        assert len(store.event_rows(event_ids=[e.id for e in events])) == 1200
        assert len(list(store.entry_rows(event_ids=[e.id for e in events]))) == 1200
        with store.transaction() as tx:
            assert len(tx.lookup([e.id for e in events])) == 1200
            assert len(tx.history([m.id for m in many], 0, 2**62)) == 1200
            assert len(tx.entry_rows(event_ids=[e.id for e in events])) == 1200

    # -- duplicates and conflicts --------------------------------------------------------

    def test_duplicates_and_conflicts_within_and_across_calls_and_reopening(self) -> None:
        engine = self.engine()
        first = engine.ingest(xiao_li_month())
        head = engine.store.head()
        engine = self.reopen(engine)
        again = engine.ingest([*xiao_li_month(), gp.Event("M001-patrol-1", "M001", "patrol", at(2))])
        assert again.duplicates == first.accepted and not again.accepted and again.entries == 0
        assert [(r.event_id, r.code) for r in again.rejected] == [("M001-patrol-1", "conflict")]
        one_call = engine.ingest([gp.Event("x", "M003", "patrol", at(3)), gp.Event("x", "M003", "patrol", at(3)),
                                  gp.Event("x", "M003", "patrol", at(4))])
        assert one_call.accepted == ("x",) and one_call.duplicates == ("x",)
        assert [r.code for r in one_call.rejected] == ["conflict"]
        assert engine.store.head()[0] == head[0] + 1

    def test_duplicates_and_conflicts_across_chunks_of_one_call(self) -> None:
        engine = self.engine()
        engine.pipeline.chunk_size = 2  # later chunks find earlier ones in the transaction
        result = engine.ingest([
            gp.Event("a", "M001", "patrol", at(3)),
            gp.Event("b", "M001", "patrol", at(4)),
            gp.Event("c", "M001", "patrol", at(5)),
            gp.Event("a", "M001", "patrol", at(3)),
            gp.Event("b", "M001", "patrol", at(9)),
        ])
        assert result.accepted == ("a", "b", "c") and result.duplicates == ("a",)
        assert [(r.event_id, r.code, r.index) for r in result.rejected] == [("b", "conflict", 4)]
        assert engine.score("M001", "2026-11") == 15

    # -- atomic batches ------------------------------------------------------------------

    @pytest.mark.parametrize("fault_at", [1, 12, 23])
    def test_a_failure_mid_batch_books_nothing(self, fault_at: int) -> None:
        faulty = RaiseOnNth(fault_at)
        engine = self.engine(plugins=[ChecksPlugin(faulty, HoldFlagged())])
        engine.pipeline.chunk_size = 5  # earlier chunks are already appended when the fault hits
        batch = [*xiao_li_month()[:-1], gp.Event("held", "M002", "patrol", at(4), attributes={"flag": "yes"})]
        with pytest.raises(gp.PluginError, match=f"fault at event {fault_at}"):
            engine.ingest(batch)
        assert engine.store.head() == (0, GENESIS) and engine.store.event_rows() == []
        assert engine.store.totals(["2026-11"]) == {} and engine.review.pending() == []
        faulty.n = 0
        result = engine.ingest(batch)
        assert len(result.accepted) == 22 and result.held == ("held",)
        assert engine.score("M001", "2026-11") == 130 and engine.ledger.verify()

    # -- held events and review decisions ------------------------------------------------

    def test_held_events_wait_and_decisions_persist(self) -> None:
        engine = self.engine(plugins=[ChecksPlugin(HoldFlagged())])
        flagged = [gp.Event(f"f{n}", "M001", "mediation", at(n), attributes={"flag": "yes", "n": n}) for n in (3, 1, 2)]
        result = engine.ingest([*flagged, gp.Event("ok", "M001", "patrol", at(1))])
        assert result.held == ("f3", "f1", "f2") and result.accepted == ("ok",)
        pending = engine.review.pending()
        assert [(h.event.id, h.check, h.reason) for h in pending] == [("f1", "flagged", "flagged for review"),
                                                                       ("f2", "flagged", "flagged for review"),
                                                                       ("f3", "flagged", "flagged for review")]
        assert pending[0].event == flagged[1]
        assert engine.review.approve("f1", by="auditor") == 1
        engine.review.reject("f2", by="auditor", reason="no evidence")
        engine = self.reopen(engine, plugins=[ChecksPlugin(HoldFlagged())])
        assert [h.event.id for h in engine.review.pending()] == ["f3"]
        assert engine.score("M001", "2026-11") == 20
        with pytest.raises(gp.ReviewError, match="'f1' is booked, not held"):
            engine.review.approve("f1", by="auditor")
        with pytest.raises(gp.ReviewError, match="'f2' is rejected, not held"):
            engine.review.reject("f2", by="auditor", reason="again")
        again = engine.ingest(flagged)
        assert sorted(again.duplicates) == ["f1", "f2", "f3"] and not again.held
        assert [r[5] for r in engine.store.event_rows(event_ids=["f1", "f2", "f3"])] == ["booked", "rejected", "held"]

    def test_checks_see_history_booked_by_earlier_calls(self) -> None:
        engine = self.engine(plugins=[ChecksPlugin(HoldRepeatsAtOneLocation())])
        engine.ingest([gp.Event("p1", "M001", "patrol", at(3, 9), attributes={"location": "gate"})])
        engine = self.reopen(engine, plugins=[ChecksPlugin(HoldRepeatsAtOneLocation())])
        result = engine.ingest([
            gp.Event("p2", "M001", "patrol", at(3, 9).replace(minute=30), attributes={"location": "gate"}),
            gp.Event("p3", "M001", "patrol", at(3, 11), attributes={"location": "gate"}),
            gp.Event("p4", "M002", "patrol", at(3, 9), attributes={"location": "gate"}),
        ])
        assert result.held == ("p2",) and result.accepted == ("p3", "p4")
        assert engine.review.pending()[0].ref == "p1"

    def test_caps_count_what_earlier_calls_booked(self) -> None:
        engine = self.engine(ruleset="capped", plugins=[LocalRules()])
        engine.ingest([gp.Event(f"c{n}", "M001", "complaint", at(n)) for n in (1, 2)])
        engine = self.reopen(engine, ruleset="capped", plugins=[LocalRules()])
        engine.ingest([gp.Event(f"c{n}", "M001", "complaint", at(n)) for n in (3, 4)])
        points = [(e.points, e.reason) for e in engine.explain("M001", "2026-11")]
        assert points == [(Decimal(-10), "rule"), (Decimal(-10), "rule"), (Decimal(-5), "cap"), (Decimal(0), "cap")]

    def test_count_limits_count_what_earlier_calls_booked(self) -> None:
        engine = self.engine(ruleset="limited", plugins=[LimitedRules()])
        engine.ingest([gp.Event("v1", "M001", "visit", at(3, 8)), gp.Event("c1", "M001", "case", at(3), quantity=2)])
        engine = self.reopen(engine, ruleset="limited", plugins=[LimitedRules()])
        engine.ingest([gp.Event(f"v{n}", "M001", "visit", at(3, 7 + n)) for n in (2, 3)]
                      + [gp.Event("c2", "M001", "case", at(4), quantity=2)])
        booked = [(e.event_id, e.quantity, e.reason) for e in engine.explain("M001", "2026-11")]
        assert booked == [("v1", "1", "rule"), ("c1", "2", "rule"), ("v2", "1", "rule"), ("v3", "0", "limit"),
                          ("c2", "0.5", "limit")]  # fmt: skip
        with engine.store.transaction() as tx:
            keys = [CapKey("M001", "limited", "visit.1", "day", "2026-11-03"),
                    CapKey("M001", "limited", "case.1", "period", "2026-11"),
                    CapKey("M001", "limited", "visit.1", "day", "2026-11-04")]  # fmt: skip
            assert tx.limit_totals(keys) == {keys[0]: Decimal(2), keys[1]: Decimal("2.5")}

    def test_sums_by_rule_match_the_reference(self) -> None:
        engine, reference = self.engine(), self.reference()
        for e in (engine, reference):
            e.ingest([*xiao_li_month("M001"), *xiao_li_month("M002")[:7],
                      gp.Event("late", "M002", "hazard", at(3), reported_at=at(6))])
            first = next(x for x in e.explain("M001", "2026-11") if x.kind == "mediation")
            e.appeal(first.seq, by="M001", reason="r").uphold(by="考核办")
        months = ["2026-11", "2026-12"]
        sums = engine.store.totals_by_rule(months)
        assert sums == reference.store.totals_by_rule(months) != {}
        # Per (ruleset, version, rule, kind, reason): hundredths and entries.
        assert sums["M001"][RuleKey("standard", "2026.1", "mediation.1", "mediation", "reversal")] == (-1500, 1)
        assert sums["M002"][RuleKey("standard", "2026.1", "late_report.1", "late_report", "derived")] == (-300, 1)
        assert engine.store.totals_by_rule(months, member_id="M002") == {"M002": sums["M002"]}

    def test_decisions_reversals_corrections_and_closes_match_the_reference(self) -> None:
        plugins = [ChecksPlugin(HoldFlagged())]
        engine, reference = self.engine(plugins=plugins), self.reference(plugins=plugins)

        def act(e: gp.Engine) -> Any:
            e.ingest([
                gp.Event("oct1", "M001", "patrol", at(5, month=10)),
                gp.Event("c1", "M002", "complaint", at(3)),
                gp.Event("h1", "M001", "hazard", at(4)),
                gp.Event("f1", "M003", "service", at(6), attributes={"flag": "yes"}),
                gp.Event("f2", "M003", "service", at(7), attributes={"flag": "yes"}),
            ])
            e.review.approve("f1", by="审核员", note="checked on site")
            e.review.reject("f2", by="审核员", reason="same service as f1")
            complaint = next(x for x in e.explain("M002", "2026-11") if x.event_id == "c1")
            e.appeal(complaint.seq, by="M002", reason="wrong grid").uphold(by="考核办")
            e.correct("h1", gp.Event("h1b", "M001", "hazard", at(4), attributes={"severity": "major",
                                                                                 "evidence": "h1.jpg"}),
                      by="录入员", reason="severity mistyped")
            return e.close_period("2026-10", by="考核办")

        closed, _ = act(engine), act(reference)
        assert list(engine.store.chain_rows()) == list(reference.store.chain_rows())
        assert engine.store.decision_rows() == reference.store.decision_rows()
        assert engine.store.period_closes() == reference.store.period_closes()
        assert engine.store.event_rows() == reference.store.event_rows()
        checkpoint = engine.ledger.checkpoint(key="kept elsewhere")
        engine = self.reopen(engine, plugins=plugins)
        assert engine.ledger.verify(checkpoint=str(checkpoint), key="kept elsewhere")
        assert [(c.period, c.head_seq, c.head_hash) for c in engine.closed_periods()] == [
            (closed.period, closed.head_seq, closed.head_hash)]
        assert engine.report("2026-10").rows == closed.report.rows
        decision = engine.review.decision("f2")
        assert decision is not None and (decision.action, decision.by) == ("reject", "审核员")
        assert [a.status for a in engine.appeals()] == ["upheld"]
        assert [engine.score(m, "2026-11") for m in ("M001", "M002", "M003")] == [20, 0, 10]
        with pytest.raises(gp.StoreError, match="period 2026-10 is already closed"), engine.store.transaction() as tx:
            tx.add_period_close(PeriodCloseRow("2026-10", 99, 0, GENESIS, "{}"))

    # -- appeals and corrections: look-ups by ref, errors that change nothing -------------

    def test_appeal_errors_are_clear_and_change_nothing(self) -> None:
        engine = self.engine(members=False)
        entries = complaint_patrol_hazard(engine)
        seq = entries["c1/rule"].seq
        appeal = engine.appeal(seq, by="M1", reason="r")
        head = engine.ledger.head()
        with pytest.raises(gp.NotFoundError, match="no ledger entry 999"):
            engine.appeal(999, by="M1", reason="r")
        with pytest.raises(gp.ReviewError, match=f"entry {seq} already has open appeal {appeal.id}"):
            engine.appeal(seq, by="M1", reason="again")
        with pytest.raises(gp.LedgerError, match=f"entry {appeal.seq} is a decision"):
            engine.appeal(appeal.seq, by="M1", reason="r")
        with pytest.raises(TypeError, match="entry_seq: '3' is not"):
            engine.appeal("3", by="M1", reason="r")  # type: ignore[arg-type]
        assert engine.ledger.head() == head
        upheld = appeal.uphold(by="a")
        head = engine.ledger.head()
        with pytest.raises(gp.ReviewError, match=f"appeal {appeal.id} was already upheld by a"):
            appeal.uphold(by="b")
        with pytest.raises(gp.ReviewError, match="already upheld"):
            appeal.dismiss(by="b", reason="x")
        with pytest.raises(gp.LedgerError, match=f"entry {seq} was already reversed by entry {upheld.reversal_seq}"):
            engine.appeal(seq, by="M1", reason="more")
        with pytest.raises(gp.LedgerError, match="is a reversal"):
            engine.appeal(upheld.reversal_seq, by="M1", reason="r")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="status: 'closed' is not open, reviewed, upheld or dismissed"):
            engine.appeals(status="closed")
        with pytest.raises(gp.NotFoundError, match="no appeal 12345"):
            engine.get_appeal(12345)
        assert engine.ledger.head() == head

    def test_appeals_are_numbered_in_opening_order_across_reopening(self) -> None:
        engine = self.engine(members=False)
        entries = complaint_patrol_hazard(engine)
        first = engine.appeal(entries["c1/rule"].seq, by="M1", reason="r")
        second = engine.appeal(entries["p1/rule"].seq, by="M1", reason="r")
        engine = self.reopen(engine)
        third = engine.appeal(entries["h1/rule"].seq, by="M1", reason="r")
        assert [first.id, second.id, third.id] == [a.id for a in engine.appeals()] == ["A-1", "A-2", "A-3"]
        assert engine.get_appeal("A-2").seq == engine.get_appeal(second.seq).seq == second.seq

    def test_correction_errors_change_nothing(self) -> None:
        engine = self.engine(members=False)
        complaint_patrol_hazard(engine)
        engine.ingest([gp.Event("m1", "M1", "mediation", at(8))])  # held: no evidence
        head = engine.ledger.head()
        good = gp.Event("new", "M1", "patrol", at(9))
        with pytest.raises(ValueError, match="replacement needs a new event id, not 'p1'"):
            engine.correct("p1", gp.Event("p1", "M1", "patrol", at(9)), by="x", reason="y")
        with pytest.raises(gp.NotFoundError, match="no booked event 'zz'"):
            engine.correct("zz", good, by="x", reason="y")
        with pytest.raises(gp.ReviewError, match=r"event 'm1' is held; only a booked event"):
            engine.correct("m1", good, by="x", reason="y")
        with pytest.raises(gp.ReviewError, match=r"replacement\.id: 'c1' is already booked"):
            engine.correct("p1", gp.Event("c1", "M1", "patrol", at(9)), by="x", reason="y")
        with pytest.raises(ValueError, match="replacement: 'new' cannot be booked: unknown_member"):
            engine.correct("p1", gp.Event("new", "M9", "patrol", at(9)), by="x", reason="y")
        with pytest.raises(ValueError, match="replacement: occurred_at: missing"):
            engine.correct("p1", {"id": "new", "member_id": "M1", "kind": "patrol"}, by="x", reason="y")
        with pytest.raises(ValueError, match="reason: must not be empty"):
            engine.correct("p1", good, by="x", reason="")
        assert engine.ledger.head() == head and engine.score("M1", "2026-11") == 2
        assert engine.ingest([good]).accepted == ("new",)

    # -- closing and settling ------------------------------------------------------------

    def test_a_month_is_closed_once_and_only_when_it_has_ended(self) -> None:
        engine = self.engine(members=False)
        october(engine)
        engine.close_period("2026-10", by="a")
        head = engine.ledger.head()
        with pytest.raises(gp.LedgerError, match=r"2026-10 was closed by a at .*; a closed month is never reopened"):
            engine.close_period("2026-10", by="b")
        with pytest.raises(ValueError, match="only a month can be closed, not 2026-Q4"):
            engine.close_period("2026-Q4", by="a")
        with pytest.raises(ValueError, match=r"2027-06 has not ended yet \(now 2027-06-01T00:00:00\+08:00\)"):
            engine.close_period("2027-06", by="a")
        with pytest.raises(ValueError, match="by: must not be empty"):
            engine.close_period("2026-09", by="")
        assert engine.ledger.head() == head

    def test_later_changes_to_a_closed_month_are_booked_in_the_next_open_month(self) -> None:
        engine = self.engine(members=False)
        october(engine)
        frozen = engine.close_period("2026-10", by="a").report
        oct_scores = {m: engine.score(m, "2026-10") for m in ("M1", "M2")}
        # A late event, an approval, an upheld appeal and a correction, all about October.
        assert engine.ingest([gp.Event("late", "M1", "patrol", at(20, month=OCT))]).accepted == ("late",)
        engine.review.approve("m1", by="r")
        service = next(e for e in engine.explain("M1", "2026-10") if e.event_id == "s1")
        engine.appeal(service.seq, by="M1", reason="x").uphold(by="r")
        engine.correct("p2", gp.Event("p2b", "M2", "service", at(5, month=OCT)), by="r", reason="was a service")
        assert engine.report("2026-10").rows == frozen.rows
        assert {m: engine.score(m, "2026-10") for m in ("M1", "M2")} == oct_scores
        november = engine.explain("M1", "2026-11") + engine.explain("M2", "2026-11")
        moved = {(e.event_id, e.reason): e for e in november if e.reason != "decision"}
        assert (moved["late", "rule"].day, moved["late", "rule"].ref) == ("2026-10-20", "period:2026-10")
        assert moved["m1", "rule"].ref == "period:2026-10" and moved["m1", "rule"].points == 15
        assert moved["s1", "reversal"].ref == f"seq:{service.seq}" and moved["s1", "reversal"].day == "2026-10-04"
        assert moved["p2", "reversal"].points == -5 and moved["p2b", "correction"].ref == "p2"
        assert engine.score("M1", "2026-11") == 5 - 10 and engine.score("M2", "2026-11") == 15 - 5 + 10
        assert engine.ledger.verify()

    def test_a_failing_award_plugin_books_nothing_and_leaves_the_month_open(self) -> None:
        class Broken:
            @gp.hookimpl
            def gridpoints_period_awards(self, member: gp.Member) -> list[gp.Award]:
                if member.id == "B":
                    raise RuntimeError("boom")
                return []

        engine = self.engine(members=False, checks=False, plugins=[Broken()])
        engine.add_members([gp.Member(id="A", region="urban"), gp.Member(id="B", region="urban")])
        rate(engine, "A", [5] * 5)
        head = engine.ledger.head()
        with pytest.raises(gp.PluginError, match="boom"):
            engine.settle("2026-11")
        assert engine.ledger.head() == head and engine.store.settled_periods() == set()

    def test_a_late_rating_of_a_closed_month_counts_where_it_was_booked(self) -> None:
        engine = self.engine(members=False, checks=False)
        engine.add_members([gp.Member(id="A", region="urban")])
        rate(engine, "A", [5] * 4)  # November: four ratings, too few
        engine.close_period("2026-11", by="office")  # settles November: no award
        rate(engine, "A", [5])  # a fifth November rating, booked into December
        rate(engine, "A", [5] * 4, month=12)
        assert [a.points for _, a in engine.settle("2026-12").awards] == [Decimal(10)]
        assert (engine.score("A", "2026-11"), engine.score("A", "2026-12")) == (Decimal(0), Decimal(10))

    # -- period queries ------------------------------------------------------------------

    def test_period_queries_follow_the_engine_time_zone(self) -> None:
        engine = self.engine()
        engine.ingest([
            gp.Event("nov", "M001", "patrol", at(30, 23).replace(minute=30)),  # 15:30 UTC, still November
            gp.Event("dec", "M001", "mediation", at(1, 0, month=12).replace(minute=30), attributes={"evidence": "x"}),
            gp.Event("oct", "M002", "service", at(15, month=10)),
            gp.Event("jan", "M003", "absence", at(5, month=1, year=2027)),
        ])
        assert [engine.score("M001", p) for p in ("2026-11", "2026-12", "2026-Q4", "2026")] == [5, 15, 20, 20]
        assert engine.score("M002", "2026-Q4") == 10 and engine.score("M003", "2027-Q1") == -5
        assert engine.store.totals(["2026-10", "2026-11", "2026-12"]) == {"M001": 2000, "M002": 1000}
        assert engine.store.totals(["2026-12"], member_id="M002") == {}
        assert [e.event_id for e in engine.explain("M001", "2026-Q4")] == ["nov", "dec"]
        rows = {r.member_id: (r.score, r.rank) for r in engine.report("2026-Q4")}
        assert rows == {"M001": (Decimal(20), 1), "M002": (Decimal(10), 2), "M003": (Decimal(0), 3)}

    def test_reports_aggregate_the_same_as_the_reference(self) -> None:
        engine, reference = self.engine(), self.reference()
        for e in (engine, reference):
            e.ingest(xiao_li_month("M001") + xiao_li_month("M002")[:7])
        assert list(engine.report("2026-11")) == list(reference.report("2026-11"))

    def test_aggregates_and_settled_months_match_the_reference(self) -> None:
        engine, reference = self.engine(), self.reference()
        ratings = [gp.Event(f"r{n}", "M003", "rating", at(n), attributes={"stars": 5}) for n in range(1, 7)]
        for e in (engine, reference):
            e.ingest([*xiao_li_month("M001"), *xiao_li_month("M002")[:7], *ratings,
                      gp.Event("q", "M003", "patrol", at(2), quantity="2.5"),
                      gp.Event("dec", "M003", "service", at(2, month=12))])
            e.settle("2026-11")
        store, ref = engine.store, reference.store
        months = ["2026-11", "2026-12"]
        assert store.totals_by_kind(months) == ref.totals_by_kind(months) != {}
        assert store.totals_by_kind(months, member_id="M003") == ref.totals_by_kind(months, member_id="M003")
        assert store.totals_by_month(months) == ref.totals_by_month(months)
        assert store.quantities_by_kind(months) == ref.quantities_by_kind(months)
        assert store.quantities_by_kind(["2026-11"])["M003"]["patrol"] == Decimal("2.5")
        assert list(store.booked_events(months)) == list(ref.booked_events(months))
        assert list(store.booked_events(["2026-11"], kinds=["mediation"])) == list(
            ref.booked_events(["2026-11"], kinds=["mediation"]))
        assert store.settled_periods() == ref.settled_periods() == {"2026-11"}
        engine = self.reopen(engine)
        assert engine.store.settled_periods() == {"2026-11"}
        assert engine.settle("2026-11").entries == reference.settle("2026-11").entries
        assert list(engine.store.chain_rows()) == list(ref.chain_rows())

    # -- verification --------------------------------------------------------------------

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

    # -- reopening -----------------------------------------------------------------------

    def test_reopening_keeps_members_settings_and_the_chain(self) -> None:
        engine = self.engine()
        engine.ingest(xiao_li_month())
        head = engine.store.head()
        engine = self.reopen(engine)
        assert engine.store.head() == head and engine.ledger.verify().entries == 23
        assert engine.members == MEMBERS and engine.score("M001", "2026-11") == 127
        engine.add_members([gp.Member(id="M001", region="urban")])  # erase the name: chain untouched
        engine = self.reopen(engine)
        assert engine.member("M001").name is None and engine.ledger.verify()
        if self.durable:
            engine.close()
        with pytest.raises(gp.ConfigurationError, match="created with tz='Asia/Shanghai', not 'Asia/Urumqi'"):
            self.engine(engine.store if not self.durable else None, members=False, tz="Asia/Urumqi")

    def test_a_settings_mismatch_is_a_typed_error_naming_key_and_values(self) -> None:
        engine = self.engine()
        engine.ingest(xiao_li_month()[:1])
        store = engine.store if not self.durable else None
        if self.durable:
            engine.close()
        cases: list[tuple[dict[str, Any], str, str, str]] = [
            ({"tz": "Asia/Urumqi"}, "tz", "Asia/Shanghai", "Asia/Urumqi"),
            ({"ruleset": "capped", "plugins": [LocalRules()]}, "ruleset", "standard", "capped"),
        ]
        for options, key, stored, value in cases:
            with pytest.raises(gp.StoreSettingsError) as caught:
                self.engine(store, members=False, **options)
            assert (caught.value.key, caught.value.stored, caught.value.given) == (key, stored, value)
            assert isinstance(caught.value, gp.ConfigurationError)
            assert f"was created with {key}={stored!r}, not {value!r}" in str(caught.value)
        moved = self.engine(store, members=False, tz="Asia/Urumqi", migrate=True)
        assert moved.ledger.verify().entries == 1
        if self.durable:
            moved.close()
        self.engine(store, members=False, tz="Asia/Urumqi")  # recorded by the migration

    def test_the_store_remembers_its_rule_set_rule_files_and_zone(self) -> None:
        rules = self.tmp_path / "local.toml"
        rules.write_text(LOCAL_RULES, encoding="utf-8")
        engine = self.engine(tz="Asia/Urumqi", rules_files=[rules])
        engine.ingest([gp.Event("p1", "M001", "patrol", at(3))])
        recorded = engine.store.settings()
        assert (recorded["tz"], recorded["ruleset"]) == ("Asia/Urumqi", "local")
        engine = self.reopen(engine)  # nothing given: the store's settings apply
        assert (engine.tz_name, engine.ruleset_id, engine.rule_files.paths) == ("Asia/Urumqi", "local", (str(rules),))
        assert engine.score("M001", "2026-11") == 7

    def test_a_changed_rule_file_is_refused_naming_it_and_both_digests(self) -> None:
        rules = self.tmp_path / "local.toml"
        rules.write_text(LOCAL_RULES, encoding="utf-8")
        engine = self.engine(rules_files=[rules])
        before = engine.rule_files.recorded[0][1]
        if self.durable:
            engine.close()
        store = engine.store if not self.durable else None
        rules.write_text('label = "本地规则"\n' + LOCAL_RULES, encoding="utf-8")  # same versions, new text
        with pytest.raises(gp.StoreSettingsError) as caught:
            self.engine(store, members=False)
        assert caught.value.key == "rule_files"
        assert str(rules) in str(caught.value) and before[:12] in str(caught.value)
        moved = self.engine(store, members=False, migrate=True)  # on purpose: recorded anew
        after = moved.rule_files.recorded[0][1]
        assert after != before
        if self.durable:
            moved.close()
        assert self.engine(store, members=False).rule_files.recorded[0][1] == after

    def test_the_same_rule_file_at_another_path_is_accepted(self) -> None:
        rules, moved = self.tmp_path / "local.toml", self.tmp_path / "moved.toml"
        for path in (rules, moved):
            path.write_text(LOCAL_RULES, encoding="utf-8")
        engine = self.engine(rules_files=[rules])
        engine = self.reopen(engine, rules_files=[moved])
        assert engine.ruleset_id == "local"
        engine = self.reopen(engine)
        assert engine.rule_files.paths == (str(moved),)

    def test_a_rule_version_changed_in_place_is_refused(self) -> None:
        store = self.open_store()
        store.register_versions([("local", "1", "a" * 64)])
        store.register_versions([("local", "1", "a" * 64), ("local", "2", "b" * 64)])
        with pytest.raises(gp.ConfigurationError, match="rule set local version 1 changed in place"):
            store.register_versions([("local", "1", "c" * 64)])
        store.close()

    # -- every store behaves like the reference ------------------------------------------

    def test_any_sequence_of_batches_gives_the_reference_outcomes_and_chain(self) -> None:
        engine, reference = self.engine(), self.reference()

        @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(st.lists(st.lists(events, max_size=8), min_size=1, max_size=3))
        def run(batches: list[list[gp.Event]]) -> None:
            for batch in batches:
                assert engine.ingest(batch) == reference.ingest(batch)
            assert engine.store.head() == reference.store.head()
            assert engine.store.intake_head() == reference.store.intake_head()
            assert engine.store.totals(["2026-11"]) == reference.store.totals(["2026-11"])

        run()
        assert engine.ledger.verify() and list(engine.store.chain_rows()) == list(reference.store.chain_rows())
