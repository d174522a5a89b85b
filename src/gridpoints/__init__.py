"""gridpoints: points-based performance assessment (积分制考核) for grid workers (网格员).

Events are scored by versioned, pluggable rule sets, scaled by regional coefficients, screened
by anti-gaming checks and booked into an append-only, hash-chained ledger.
"""

from gridpoints._markers import hookimpl, hookspec
from gridpoints.appeals import Appeal
from gridpoints.checkpoints import Checkpoint
from gridpoints.checks import Check, CheckContext, Verdict
from gridpoints.closing import ClosedPeriod
from gridpoints.decisions import Decision
from gridpoints.engine import Engine
from gridpoints.errors import (
    ConfigurationError,
    GridpointsError,
    LedgerError,
    NotFoundError,
    PluginError,
    ReviewError,
    RuleFileError,
    StoreBusyError,
    StoreError,
)
from gridpoints.ledger import Verification
from gridpoints.model import Award, Entry, Event, Grade, Member, PeriodSummary
from gridpoints.outcomes import IngestResult, Rejection
from gridpoints.periods import Period
from gridpoints.reports import Report, ReportRow
from gridpoints.review import HeldEvent
from gridpoints.rules import Cap, Condition, GradeThresholds, Rule, RuleSet, standard_ruleset
from gridpoints.rules.toml_file import load_rules, parse_rules
from gridpoints.stores import Store
from gridpoints.stores.memory import MemoryStore
from gridpoints.stores.sqlite import SQLiteStore

__all__ = [
    "Appeal",
    "Award",
    "Cap",
    "Check",
    "CheckContext",
    "Checkpoint",
    "ClosedPeriod",
    "Condition",
    "ConfigurationError",
    "Decision",
    "Engine",
    "Entry",
    "Event",
    "Grade",
    "GradeThresholds",
    "GridpointsError",
    "HeldEvent",
    "IngestResult",
    "LedgerError",
    "Member",
    "MemoryStore",
    "NotFoundError",
    "Period",
    "PeriodSummary",
    "PluginError",
    "Rejection",
    "Report",
    "ReportRow",
    "ReviewError",
    "Rule",
    "RuleFileError",
    "RuleSet",
    "SQLiteStore",
    "Store",
    "StoreBusyError",
    "StoreError",
    "Verdict",
    "Verification",
    "hookimpl",
    "hookspec",
    "load_rules",
    "parse_rules",
    "standard_ruleset",
]

__version__ = "0.1.0"
