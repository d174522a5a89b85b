"""gridpoints: points-based performance assessment (积分制考核) for grid workers (网格员).

Events are scored by versioned, pluggable rule sets, scaled by regional coefficients, screened
by anti-gaming checks and booked into an append-only, hash-chained ledger.
"""

from gridpoints._markers import hookimpl, hookspec
from gridpoints.checks import Check, CheckContext, Verdict
from gridpoints.desk.appeals import Appeal
from gridpoints.desk.review import HeldEvent
from gridpoints.desk.settlement import SettleResult
from gridpoints.engine import Engine
from gridpoints.errors import (
    ConfigurationError,
    DefaultCoefficientWarning,
    GridpointsError,
    LedgerError,
    NotFoundError,
    PluginError,
    ReviewError,
    RuleFileError,
    RuleSetConflictError,
    StoreBusyError,
    StoreError,
    StoreSettingsError,
    StoreUnavailableError,
)
from gridpoints.ingest.outcomes import IngestResult, Rejection
from gridpoints.ledger.chain import Verification
from gridpoints.ledger.checkpoints import Checkpoint
from gridpoints.ledger.decisions import Decision
from gridpoints.model import Award, Entry, Event, Grade, Member, PeriodSummary
from gridpoints.periods import Period
from gridpoints.plugin_manager import make_plugin_manager
from gridpoints.plugins.satisfaction import SatisfactionAward
from gridpoints.results.explain import ExplainedEntry, ExplainLine, Explanation
from gridpoints.results.export import (
    Table,
    explanation_table,
    export,
    grid_table,
    mask_name,
    report_table,
    whatif_table,
)
from gridpoints.results.frozen import ClosedPeriod
from gridpoints.results.grids import GridReport, GridRow
from gridpoints.results.pack import MonthPack
from gridpoints.results.reports import Report, ReportRow, ReportSummary
from gridpoints.results.scheme import MemberAssessment
from gridpoints.results.whatif import WhatIf, WhatIfRow
from gridpoints.results.whatif_summary import WhatIfSummary
from gridpoints.rules import (
    Assessment,
    Cap,
    Condition,
    GradeBand,
    GradeThresholds,
    Limit,
    QuantityBounds,
    Rule,
    RuleSet,
    Section,
    Tally,
    standard_ruleset,
)
from gridpoints.rules.toml_file import load_rules, parse_rules
from gridpoints.stores import Store
from gridpoints.stores.memory import MemoryStore
from gridpoints.stores.sqlite import SQLiteStore
from gridpoints.timeline import Fact, Timeline

__all__ = [
    "Appeal",
    "Assessment",
    "Award",
    "Cap",
    "Check",
    "CheckContext",
    "Checkpoint",
    "ClosedPeriod",
    "Condition",
    "ConfigurationError",
    "Decision",
    "DefaultCoefficientWarning",
    "Engine",
    "Entry",
    "Event",
    "ExplainLine",
    "ExplainedEntry",
    "Explanation",
    "Fact",
    "Grade",
    "GradeBand",
    "GradeThresholds",
    "GridReport",
    "GridRow",
    "GridpointsError",
    "HeldEvent",
    "IngestResult",
    "LedgerError",
    "Limit",
    "Member",
    "MemberAssessment",
    "MemoryStore",
    "MonthPack",
    "NotFoundError",
    "Period",
    "PeriodSummary",
    "PluginError",
    "QuantityBounds",
    "Rejection",
    "Report",
    "ReportRow",
    "ReportSummary",
    "ReviewError",
    "Rule",
    "RuleFileError",
    "RuleSet",
    "RuleSetConflictError",
    "SQLiteStore",
    "SatisfactionAward",
    "Section",
    "SettleResult",
    "Store",
    "StoreBusyError",
    "StoreError",
    "StoreSettingsError",
    "StoreUnavailableError",
    "Table",
    "Tally",
    "Timeline",
    "Verdict",
    "Verification",
    "WhatIf",
    "WhatIfRow",
    "WhatIfSummary",
    "explanation_table",
    "export",
    "grid_table",
    "hookimpl",
    "hookspec",
    "load_rules",
    "make_plugin_manager",
    "mask_name",
    "parse_rules",
    "report_table",
    "standard_ruleset",
    "whatif_table",
]

__version__ = "0.1.0"
