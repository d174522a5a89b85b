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
pytest plugin registers the suite for pytest's assertion rewriting.

The tests live in ``gridpoints.testing._conformance``, one module and mixin class per concern
(docs/testing.md); ``StoreConformance`` assembles them. The fixtures they build on (``at``,
``xiao_li_month``, ``october``, …) are importable from here as before.
"""

from __future__ import annotations

from gridpoints.testing._conformance.appeals import AppealsAndCorrections
from gridpoints.testing._conformance.append_read import AppendAndRead
from gridpoints.testing._conformance.batches import AtomicBatches
from gridpoints.testing._conformance.closing import ClosingAndSettling
from gridpoints.testing._conformance.duplicates import Duplicates
from gridpoints.testing._conformance.fixtures import LOCAL_RULES as LOCAL_RULES
from gridpoints.testing._conformance.fixtures import MEMBERS as MEMBERS
from gridpoints.testing._conformance.fixtures import NOW as NOW
from gridpoints.testing._conformance.fixtures import OCT as OCT
from gridpoints.testing._conformance.fixtures import SHANGHAI as SHANGHAI
from gridpoints.testing._conformance.fixtures import ChecksPlugin as ChecksPlugin
from gridpoints.testing._conformance.fixtures import HoldFlagged as HoldFlagged
from gridpoints.testing._conformance.fixtures import HoldRepeatsAtOneLocation as HoldRepeatsAtOneLocation
from gridpoints.testing._conformance.fixtures import LimitedRules as LimitedRules
from gridpoints.testing._conformance.fixtures import LocalRules as LocalRules
from gridpoints.testing._conformance.fixtures import RaiseOnNth as RaiseOnNth
from gridpoints.testing._conformance.fixtures import at as at
from gridpoints.testing._conformance.fixtures import chained as chained
from gridpoints.testing._conformance.fixtures import complaint_patrol_hazard as complaint_patrol_hazard
from gridpoints.testing._conformance.fixtures import decision as decision
from gridpoints.testing._conformance.fixtures import october as october
from gridpoints.testing._conformance.fixtures import rate as rate
from gridpoints.testing._conformance.fixtures import xiao_li_month as xiao_li_month
from gridpoints.testing._conformance.periods import Periods
from gridpoints.testing._conformance.reference import Reference
from gridpoints.testing._conformance.reopening import Reopening
from gridpoints.testing._conformance.review import Review
from gridpoints.testing._conformance.verification import Verification

# The fixtures are imported as ``x as x``: re-exported for the tests and stores that import them
# from here, while ``__all__`` names the suite alone.
__all__ = ["StoreConformance"]


class StoreConformance(
    AppendAndRead,
    Duplicates,
    AtomicBatches,
    Review,
    AppealsAndCorrections,
    ClosingAndSettling,
    Periods,
    Verification,
    Reopening,
    Reference,
):
    """Behaviour every store shares. Subclasses implement ``open_store`` and ``tamper``."""
