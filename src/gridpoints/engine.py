"""The Engine facade: plugin manager, store and compiled pipeline of one assessing unit."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import IO, Any, Literal, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
import pluggy

from gridpoints._decimal import cents_to_points
from gridpoints._manager import PluginFacade
from gridpoints._validate import check_id
from gridpoints._versions import collect_versions
from gridpoints.checks import Check
from gridpoints.desk.appeals import Appeal, AppealDesk
from gridpoints.desk.closing import close_period
from gridpoints.desk.corrections import correct
from gridpoints.desk.desk import Desk
from gridpoints.desk.review import ReviewQueue
from gridpoints.desk.settlement import PERIOD_AWARD, SettleResult, settle_month
from gridpoints.errors import ConfigurationError, DefaultCoefficientWarning, NotFoundError, PluginError
from gridpoints.ingest.outcomes import IngestResult
from gridpoints.ingest.pipeline import Pipeline
from gridpoints.ledger.chain import Ledger
from gridpoints.ledger.decisions import Decision
from gridpoints.model import Event, Grade, Member
from gridpoints.periods import Period
from gridpoints.plugin_manager import make_plugin_manager, register_builtin, register_plugins
from gridpoints.plugins import grades as builtin_grades
from gridpoints.plugins.checks import configure_checks, effective_check_config
from gridpoints.plugins.coefficients import RegionalCoefficients
from gridpoints.plugins.toml_rules import TomlRuleFiles
from gridpoints.results.explain import Explanation, explain_entries, kind_labels
from gridpoints.results.export import FORMATS, explanation_table, export, report_table
from gridpoints.results.frozen import ClosedPeriod, closed_from_row, report_from_json, report_to_json
from gridpoints.results.grids import GridReport, grid_report
from gridpoints.results.pack import (
    TREND_MONTHS,
    Band,
    Labels,
    MonthPack,
    has_entries,
    previous_period,
    trend_months,
)
from gridpoints.results.reports import Report, build_report
from gridpoints.results.scheme import MemberAssessment, PartScore, assess
from gridpoints.results.scheme_report import build_scheme_report
from gridpoints.results.whatif import Proposal, WhatIf, simulate
from gridpoints.rules import GradeThresholds, RuleSet
from gridpoints.rules.compiled import CompiledVersion, RuleBook
from gridpoints.rules.toml_file import RuleSource
from gridpoints.stores import Store, decode_rule_files, encode_rule_files, one_snapshot
from gridpoints.stores.memory import MemoryStore

__all__ = ["DEFAULT_RULESET", "DEFAULT_TZ", "Engine"]


#: What an engine uses when neither the caller nor the store says otherwise.
DEFAULT_TZ = "Asia/Shanghai"
DEFAULT_RULESET = "standard"


def _rule_files(url: str, stored: Mapping[str, str], given: Iterable[RuleSource] | None) -> TomlRuleFiles:
    """The rule files given, else those the store recorded (read again from where they were)."""
    if given is not None:
        return TomlRuleFiles(given)
    recorded = decode_rule_files(stored.get("rule_files"))
    for path, digest in recorded:
        if not os.path.isfile(path):
            raise ConfigurationError(
                f"store {url} was created with rule file {path} (digest {digest[:12]}), which is no longer "
                "there; give its rule files again (on the command line: --rules FILE)"
            )
    return TomlRuleFiles(path for path, _ in recorded)


def _place_labels(tables: Iterable[Mapping[str, tuple[str, str]]], lang: str) -> dict[str, str]:
    """Id → name in ``lang`` from (zh, en) tables, later tables winning."""
    return {key: zh if lang == "zh" else en for table in tables for key, (zh, en) in table.items()}


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(f"tz: {tz!r} is not a known time zone (try 'Asia/Shanghai')") from None


def _counted_months(part: PartScore) -> list[Period]:
    """The months a scheme's part counts (its assessed period, through its last counted month)."""
    return [m for m in part.period.months() if m.first_day <= part.through.last_day]


class Engine:
    """Scores events for one assessing unit (a district) into one ledger.

    ``store``: None (in memory), a path or URL (``points.db``, ``sqlite:///points.db``,
    ``postgresql://…`` with the extra) or a Store object. Plugins are collected once, here.
    ``rules_files``: TOML rule files (docs/rules.md), paths or package resources, whose rule sets
    become available.
    The store remembers what it was created with (docs/stores.md): ``ruleset`` (None: the
    store's, else the one rule set ``rules_files`` define, else ``default_ruleset``), ``tz``
    (None: the store's, else Asia/Shanghai) and ``rules_files`` (None: the files the store
    recorded, read again; their content must be unchanged). Asking for others is a
    ``StoreSettingsError`` unless ``migrate=True``, which records them.
    ``check_config``: the built-in checks' options by check name (a mapping of options, False
    to switch one off, True to switch it on); the rule set's ``[checks.<name>]`` tables apply
    first, these over them option by option (``Engine.check_config`` is the result).
    ``plugin_manager``: a manager from ``gridpoints.make_plugin_manager()`` with monitoring,
    tracing or blocked names already set up; the engine fills it (built-ins, entry points,
    ``plugins``; the built-in checks once the rule set is known) when it is built. Default: a
    new one. Either way it is ``plugins.pm``.
    ``plugins_enabled``: the installed plugins (entry-point names) to load; None loads every one,
    ``[]`` none (as ``load_entrypoints=False``). Plugins passed in ``plugins`` always load.
    ``allow_self_decisions``: **for tests only** — lets one name play every part, deciding its
    own events and appeals, which is otherwise a ReviewError (docs/fair-play.md).
    """

    def __init__(
        self,
        store: Store | str | os.PathLike[str] | None = None,
        *,
        ruleset: str | None = None,
        tz: str | None = None,
        default_ruleset: str = DEFAULT_RULESET,
        plugins: Iterable[object] = (),
        load_entrypoints: bool = True,
        coefficients: Mapping[str, object] | None = None,
        checks: bool = True,
        check_config: Mapping[str, Mapping[str, object] | bool | None] | None = None,
        rules_files: Iterable[RuleSource] | None = None,
        migrate: bool = False,
        appeal_levels: int = 1,
        clock: Callable[[], datetime] | None = None,
        plugin_manager: pluggy.PluginManager | None = None,
        plugins_enabled: Iterable[str] | None = None,
        allow_self_decisions: bool = False,
    ) -> None:
        self._builtin_coefficients = RegionalCoefficients(coefficients)
        self._regions_warned: set[str] = set()
        self._region_problems: dict[str, str | None] = {}
        pm = make_plugin_manager() if plugin_manager is None else plugin_manager
        builtins = [self._builtin_coefficients]
        register_plugins(pm, plugins, load_entrypoints=load_entrypoints, builtins=builtins, enabled=plugins_enabled)
        #: The hooks, called through the engine's pluggy manager ``plugins.pm``.
        self.plugins = PluginFacade(pm)
        self.store = self._open_store(store)
        try:
            self._build(pm, ruleset, default_ruleset, tz, checks, check_config, rules_files, migrate, clock)
        except BaseException:
            if self.store is not store:  # opened here from a path or URL: nobody else will close it
                self.store.close()
            raise
        #: Where review, appeals, corrections, settling and closing decide (store, pipeline, clock).
        self.desk = Desk(
            self.store, self.pipeline, self.tz, self.pipeline.clock, allow_self_decisions=allow_self_decisions
        )
        self.review = ReviewQueue(self.desk, self._members)
        self._appeals = AppealDesk(self.desk, self._members, appeal_levels)

    def _build(
        self,
        pm: pluggy.PluginManager,
        ruleset: str | None,
        default_ruleset: str,
        tz: str | None,
        checks: bool,
        check_config: Mapping[str, Mapping[str, object] | bool | None] | None,
        rules_files: Iterable[RuleSource] | None,
        migrate: bool,
        clock: Callable[[], datetime] | None,
    ) -> None:
        """What follows from the store's recorded settings: zone, rule set, rule files, checks."""
        stored = self.store.settings()
        tz = tz or stored.get("tz") or DEFAULT_TZ
        self.tz = _zone(tz)
        self.tz_name = tz
        self.rule_files = _rule_files(self.store.url, stored, rules_files)
        ruleset = ruleset or stored.get("ruleset") or self.rule_files.only_ruleset() or default_ruleset
        register_builtin(pm, self.rule_files)
        self.rulebook = RuleBook(collect_versions(self.plugins, ruleset, self.rule_files), self.tz)
        self.ruleset_id = ruleset
        #: The built-in checks' configuration: the rule set's [checks] tables, then check_config.
        self.check_config = effective_check_config(self.rulebook.latest.ruleset.checks, check_config)
        # Reversed: pluggy calls the last registered (trylast) implementation first, so the
        # built-in checks keep running in the order they did when registered with the others.
        for check in reversed(configure_checks(self.check_config) if checks else []):
            register_builtin(pm, check)
        compiled_checks = self.plugins.checks() if checks else []
        #: Checks that also flag whole months (``Check.period_flags`` overridden), with their plugin.
        self._period_checks = [(c, p) for c, p in compiled_checks if type(c).period_flags is not Check.period_flags]
        #: Check name → its labels (zh, en), for listings such as the HTML pack.
        self._check_labels = {c.name: (c.label or c.name, c.label_en or c.label or c.name) for c, _ in compiled_checks}
        self.store.check_settings(
            tz, ruleset, migrate=migrate, rule_files=encode_rule_files(self.rule_files.recorded)
        )
        self.store.register_versions((v.ruleset.id, v.ruleset.version, v.digest) for v in self.rulebook.versions)
        self._members: dict[str, Member] = {m.id: m for m in self.store.members()}
        self._coefficient_cache: dict[tuple[object, ...], Decimal] = {}
        self.pipeline = Pipeline(
            tz=self.tz,
            rulebook=self.rulebook,
            checks=compiled_checks,
            coefficient=self._coefficient_lookup(),
            members=self._members,
            clock=clock or (lambda: datetime.now(UTC)),
        )
        self.ledger = Ledger(self.store)

    # -- building ------------------------------------------------------------------------

    def _open_store(self, store: Store | str | os.PathLike[str] | None) -> Store:
        if store is None:
            return MemoryStore()
        if isinstance(store, (str, os.PathLike)):
            return self.plugins.store(os.fspath(store))
        if not isinstance(store, Store):
            raise ConfigurationError(f"store: {store!r} is not a Store, a path or a URL")
        return store

    def _coefficient_lookup(
        self, cache: dict[tuple[object, ...], Decimal] | None = None
    ) -> Callable[[Member, str, str, CompiledVersion], Decimal]:
        """Compile coefficient look-ups: a table by region when only the built-in answers.

        ``cache`` defaults to the engine's; a simulation passes its own, because a proposed
        rule set may reuse a version string with a different coefficient table.
        """
        cache = self._coefficient_cache if cache is None else cache
        if self.plugins.only_implementer("gridpoints_coefficient", self._builtin_coefficients):
            builtin = self._builtin_coefficients

            def by_region(member: Member, kind: str, month: str, version: CompiledVersion) -> Decimal:
                key = (member.region, version.ruleset.version)
                found = cache.get(key)
                if found is None:
                    found = cache[key] = builtin.lookup(member.region, version.ruleset)
                return found

            return by_region
        plugins = self.plugins

        def by_hook(member: Member, kind: str, month: str, version: CompiledVersion) -> Decimal:
            key = (member.id, kind, month, version.ruleset.version)
            found = cache.get(key)
            if found is None:
                found = cache[key] = plugins.coefficient(member, kind, Period.parse(month), version.ruleset)
            return found

        return by_hook

    # -- members -------------------------------------------------------------------------

    def add_members(self, members: Iterable[Member | Mapping[str, Any]]) -> int:
        """Insert or update members (all or none); return how many were given.

        A member whose region a rule file's coefficient table does not name (and the table has
        no ``default``) is a ValueError listing the known regions (``region_problem``)."""
        parsed: list[Member] = []
        for index, item in enumerate(members):
            if isinstance(item, Member):
                parsed.append(item)
                continue
            if not isinstance(item, Mapping):
                raise TypeError(f"members[{index}]: {item!r} is not a Member or a mapping")
            try:
                parsed.append(Member.from_mapping(item))
            except (TypeError, ValueError) as error:
                raise type(error)(f"members[{index}] ({item.get('id')!r}): {error}") from None
        for index, member in enumerate(parsed):
            problem = self.region_problem(member.region)
            if problem is not None:
                raise ValueError(f"members[{index}] ({member.id!r}): region: {problem}")
        self._warn_defaulted_regions({member.region for member in parsed})
        self.store.upsert_members(parsed)
        for member in parsed:
            self._members[member.id] = member
        self._coefficient_cache.clear()
        return len(parsed)

    def _warn_defaulted_regions(self, regions: set[str]) -> None:
        """A DefaultCoefficientWarning, once per region and engine, for each region a coefficient
        table given in Python leaves to the fallback 1 (no silent defaults; rule files refuse)."""
        in_python = [v.ruleset for v in self.rulebook.versions if self.rule_files.origin(v.ruleset) is None]
        for region in sorted(regions - self._regions_warned):
            note = self._builtin_coefficients.defaulted(region, in_python)
            if note is not None and self.plugins.only_implementer("gridpoints_coefficient", self._builtin_coefficients):
                warnings.warn(note, DefaultCoefficientWarning, stacklevel=3)
            self._regions_warned.add(region)

    def region_problem(self, region: str) -> str | None:
        """Why a member of ``region`` would be refused: the coefficient table of a rule file's
        version names neither the region nor a ``default`` (nor does the engine's table name
        it); None when it is fine. Tables given in Python keep their meaning: 1 for the rest."""
        # Once per region, not per member: the rule book and the tables are fixed at build.
        if region not in self._region_problems:
            from_files = (v.ruleset for v in self.rulebook.versions if self.rule_files.origin(v.ruleset) is not None)
            self._region_problems[region] = self._builtin_coefficients.unnamed(region, from_files)
        return self._region_problems[region]

    @property
    def members(self) -> list[Member]:
        """Every member, by id."""
        return [self._members[k] for k in sorted(self._members)]

    def member(self, member_id: str) -> Member:
        """One member; NotFoundError if unknown. The id is looked up in NFC, as ids are stored."""
        member_id = check_id("member_id", member_id)
        try:
            return self._members[member_id]
        except KeyError:
            raise NotFoundError(f"member_id: no member {member_id!r}") from None

    # -- events --------------------------------------------------------------------------

    def ingest(self, events: Iterable[Event | Mapping[str, Any]]) -> IngestResult:
        """Score and book events; every one is accepted, held, rejected or a duplicate.

        The call is atomic: all of its bookings are durable when it returns, or none are.
        """
        with self.store.transaction() as tx:
            return self.pipeline.ingest(tx, events)

    # -- results -------------------------------------------------------------------------

    def score(self, member_id: str, period: str | Period) -> Decimal:
        """A member's score for a month, quarter, half-year or year: the sum of its entries, or
        under an assessment scheme the scheme's score (a running score for a shorter period)."""
        member = self.member(member_id)
        member_id = member.id
        parsed = Period.parse(period)
        if self._scheme(parsed) is not None:
            found = self._assess(parsed, [member]).get(member_id)
            if found is not None:
                return found.score
        months = [str(m) for m in parsed.months()]
        cents = self.store.totals(months, member_id=member_id).get(member_id, 0)
        return cents_to_points(cents)

    @overload
    def report(self, period: str | Period, *, by: None = None) -> Report: ...

    @overload
    def report(self, period: str | Period, *, by: Literal["grid"]) -> GridReport: ...

    def report(self, period: str | Period, *, by: Literal["grid"] | None = None) -> Report | GridReport:
        """Every member active in the period: score, grade, ranks, percentile, titles, flags and
        points by kind, ordered by rank then member id. Aggregated in the store.

        For a closed month, the report frozen when it was closed. ``by="grid"``: one row per
        grid (members, mean score, rank) from that report.
        """
        if by is not None and by != "grid":
            raise ValueError(f"by: {by!r} is not None or 'grid'")
        parsed = Period.parse(period)
        report: Report | None = None
        # One snapshot for all its reads (when the store has one), so an import landing meanwhile
        # is wholly in the report or not at all: a member's months always add up to the score.
        with one_snapshot(self.store):
            if parsed.kind == "month":
                closed = self.store.period_closes(periods=[str(parsed)])
                if closed:
                    frozen = report_from_json(closed[0].report)
                    report = attrs.evolve(frozen, settled=str(parsed) in self.store.settled_periods())
            if report is None:
                report = self._live_report(parsed)
        return grid_report(report) if by == "grid" else report

    def annual(self, year: int | str) -> Report:
        """The annual result: each member's sum of the year's monthly scores (``row.months``),
        ranked, graded on the average monthly score (under an assessment scheme: its assessed
        periods combined by ``assessment.year``, ``row.parts``); ``grade_distribution("region")``
        per region."""
        parsed = Period.parse(str(year))
        if parsed.kind != "year":
            raise ValueError(f"year: {year!r} is not a year like 2026")
        return self.report(parsed)

    def _grader_for(self, period: Period) -> Callable[[Decimal, Period], Grade]:
        """Grade by the thresholds of the version in effect at the period's end."""
        version = self.rulebook.version_at(period.end(self.tz) - timedelta(microseconds=1))
        return self.plugins.grader((version or self.rulebook.latest).ruleset)

    def _scheme(self, period: Period) -> RuleSet | None:
        """The version in effect at the period's end when it is an assessment scheme, else None."""
        version = self.rulebook.version_at(period.end(self.tz) - timedelta(microseconds=1)) or self.rulebook.latest
        return version.ruleset if version.ruleset.is_scheme else None

    def _assess(self, period: Period, members: Sequence[Member]) -> dict[str, MemberAssessment]:
        """Assessment-scheme results of ``members`` (one member: the store sums only theirs)."""
        only = members[0].id if len(members) == 1 else None
        return assess(period, members, self.store, self.rulebook, self.tz, self._grader_for(period), member_id=only)

    def _live_report(self, parsed: Period) -> Report:
        """The report computed from the ledger now."""
        settled = self.store.settled_periods()
        flagger = self._period_flags if parsed.kind == "month" and self._period_checks else None
        all_settled = all(str(m) in settled for m in parsed.months())
        if self._scheme(parsed) is not None:
            return build_scheme_report(
                parsed, self.members, self.store, self.rulebook, self.tz, self._grader_for(parsed), flagger,
                settled=all_settled,
            )  # fmt: skip
        version = self.rulebook.version_at(parsed.end(self.tz) - timedelta(microseconds=1)) or self.rulebook.latest
        return build_report(
            parsed,
            self.members,
            self.store,
            self._grader_for(parsed),
            flagger,
            settled=all_settled,
            scale=version.ruleset.scale,
            title=version.ruleset.title("gold"),
        )

    def _period_flags(
        self, period: Period, members: Sequence[Member], scores: Mapping[str, Decimal]
    ) -> dict[str, list[str]]:
        """Member id → audit flags from the checks that look at whole months."""
        flags: dict[str, list[str]] = {}
        for check, plugin in self._period_checks:
            try:
                found = check.period_flags(period, members, scores)
                items = list(found.items())
            except Exception as error:
                raise PluginError(plugin, f"check {check.name!r} period_flags raised {error!r}") from error
            for member_id, flag in items:
                if not isinstance(flag, str) or not flag:
                    raise PluginError(plugin, f"check {check.name!r} flagged {member_id!r} with {flag!r}, not a name")
                if member_id in scores and flag not in flags.setdefault(member_id, []):
                    flags[member_id].append(flag)
        return flags

    def settle(self, period: str | Period) -> SettleResult:
        """Book an ended month's period awards (resident satisfaction…) once; settling again books
        nothing. A month that has not ended by the engine's clock is a ValueError."""
        return settle_month(self.desk, self.plugins.period_awards, self.members, self.rulebook, period)

    def explain(self, member_id: str, period: str | Period) -> Explanation:
        """The entries behind a member's score, in ledger order, each with its event, rule,
        rule-set version, coefficient, reason and a sentence (``.sentence("zh" | "en")``);
        ``.lines()`` adds them up per rule, ``.text(lang)`` prints them."""
        member_id = self.member(member_id).id
        parsed = Period.parse(period)
        scheme = self._scheme(parsed)
        assessment = self._assess(parsed, [self.member(member_id)]).get(member_id) if scheme is not None else None
        # A scheme's running score (a month of a quarterly scheme) counts from the assessed
        # period's start: explain the same entries the score is made of.
        months = [str(m) for m in parsed.months()]
        if assessment is not None:
            months = list(dict.fromkeys(str(m) for part in assessment.parts for m in _counted_months(part)))
        entries = self.ledger.entries(member_id=member_id, periods=months)
        ids = sorted({e.event_id for e in entries if e.reason != PERIOD_AWARD})
        rows = self.store.event_rows(event_ids=ids)
        events = {row.event_id: Event.from_payload(row.event_id, row.payload) for row in rows}
        return explain_entries(member_id, str(parsed), entries, events, self.rulebook, assessment)

    # -- closing -------------------------------------------------------------------------

    def close_period(self, period: str | Period, *, by: str, note: str = "") -> ClosedPeriod:
        """Close a month (结账): settle it (its period awards, booked once), freeze its report with
        the ledger head, record the decision; closing twice is a LedgerError."""
        row, decision = close_period(
            self.desk, period, by=by, note=note, freeze=lambda month: report_to_json(self._live_report(month)),
            settle=self.settle,
        )
        return closed_from_row(row, decision)

    def closed_periods(self) -> list[ClosedPeriod]:
        """Every closed month, in calendar order, with its frozen report and ledger head."""
        decisions = {d.seq: d for d in self.decisions(action="close")}
        return [closed_from_row(row, decisions[row.decision_seq]) for row in self.store.period_closes()]

    # -- appeals and corrections ---------------------------------------------------------

    def appeal(self, entry_seq: int, *, by: str, reason: str) -> Appeal:
        """Open an appeal (申诉) against ledger entry ``entry_seq``; see ``Appeal``."""
        return self._appeals.open(entry_seq, by=by, reason=reason)

    def appeals(self, *, status: str | None = None, member: str | None = None) -> list[Appeal]:
        """Appeals in opening order; ``status="open"`` lists those still waiting."""
        return self._appeals.find(status=status, member=member)

    def get_appeal(self, appeal_id: str | int) -> Appeal:
        """One appeal's current state by its id (``"A-12"``; an int is the seq of the decision
        that opened it, as appeal ids were before they had their own numbers); NotFoundError if
        unknown."""
        return self._appeals.get(appeal_id)

    def correct(self, event_id: str, replacement: Event | Mapping[str, Any], *, by: str, reason: str) -> Decision:
        """Replace booked event ``event_id`` (更正): reverse its entries, book ``replacement``."""
        return correct(self.desk, self._members, event_id, replacement, by=by, reason=reason)

    # -- decisions -----------------------------------------------------------------------

    def decisions(self, *, subject: str | None = None, action: str | None = None) -> list[Decision]:
        """Recorded decisions (who, when, why) in ledger order, filtered by subject and action."""
        rows = self.store.decision_rows(
            subjects=None if subject is None else [subject], actions=None if action is None else [action]
        )
        return [Decision.from_row(row) for row in rows]

    def kind_labels(self, lang: str = "zh") -> dict[str, str]:
        """Event kind → label in ``lang`` (see ``gridpoints.results.explain.kind_labels``)."""
        return kind_labels(self.rulebook, lang)

    def check_labels(self, lang: str = "zh") -> dict[str, str]:
        """Check name → what listings call it in ``lang`` (``daily_limit`` → 每日上限)."""
        return {name: zh if lang == "zh" else en for name, (zh, en) in self._check_labels.items()}

    def region_labels(self, lang: str = "zh") -> dict[str, str]:
        """Region id → display name in ``lang`` from the rule set's ``[regions]`` (the latest
        version naming it wins); regions it does not name are left out (shown by id)."""
        return _place_labels((v.ruleset.regions for v in self.rulebook.versions), lang)

    def grid_labels(self, lang: str = "zh") -> dict[str, str]:
        """Grid id → display name in ``lang`` from the rule set's ``[grids]``."""
        return _place_labels((v.ruleset.grids for v in self.rulebook.versions), lang)

    def section_labels(self, lang: str = "zh") -> dict[str, str]:
        """Scheme section id → label in ``lang``, from every version (the latest wins)."""
        return {s.id: s.display(lang) for v in self.rulebook.versions for s in v.ruleset.sections}

    def month_pack(
        self,
        period: str | Period | Report,
        *,
        proposed: Proposal | None = None,
        events: Iterable[Event | Mapping[str, Any]] | None = None,
    ) -> MonthPack:
        """What the HTML pack of a period shows (积分分析会): its report (or ``period`` itself when
        it is a Report), the monthly reports of the last 6 months, the previous period's report,
        the period's held events still waiting for review, the open appeals, the grade bands and,
        with ``proposed`` (and ``events``, as for ``simulate``), a what-if."""
        report = period if isinstance(period, Report) else self.report(period)
        parsed = report.period
        months = trend_months(parsed, TREND_MONTHS)
        history = tuple(report if m == parsed else self.report(m) for m in months)
        before = self.report(previous_period(parsed))
        english = self.kind_labels("en")
        labels = Labels(
            {k: (zh, english.get(k, k)) for k, zh in self.kind_labels("zh").items()},
            self._check_labels,
            regions={k: v for version in self.rulebook.versions for k, v in version.ruleset.regions.items()},
            grids={k: v for version in self.rulebook.versions for k, v in version.ruleset.grids.items()},
        )
        return MonthPack(
            report=report,
            history=history,
            previous=before if has_entries(before) else None,
            held=tuple(self.review.pending(period=parsed)),
            open_appeals=len(self.appeals(status="open")),
            made_at=self.pipeline.clock().astimezone(self.tz),
            bands=self._bands(parsed),
            labels=labels,
            whatif=None if proposed is None else self.simulate(proposed, parsed, events=events),
        )

    def _bands(self, period: Period) -> tuple[Band, ...]:
        """The grade bands of the rule set in effect at the period's end, when the built-in
        grading applies them; empty when a plugin grades (its thresholds are not known)."""
        if not self.plugins.only_implementer("gridpoints_grade", builtin_grades):
            return ()
        version = self.rulebook.version_at(period.end(self.tz) - timedelta(microseconds=1)) or self.rulebook.latest
        ruleset = version.ruleset
        grades = ruleset.grades
        if isinstance(grades, GradeThresholds):
            mins: list[Decimal | None] = [grades.excellent, grades.qualified, None]
        else:
            mins = [band.min for band in grades]
        return tuple(Band(grade, low) for grade, low in zip(ruleset.scale, mins, strict=True))

    def export_report(
        self,
        report: Report | str | Period,
        target: str | os.PathLike[str] | IO[bytes],
        *,
        format: str | None = None,
        lang: str = "zh",
        mask_names: bool = False,
        public: bool = False,
        proposed: Proposal | None = None,
    ) -> None:
        """Write a report (or the report of a period) as csv, json, xlsx or html; see docs/reports.md.

        ``html`` (extra ``gridpoints[html]``) is the month on one page (``month_pack``): charts,
        ranking, movers and, with ``proposed``, a what-if; ``public=True`` writes the public
        notice instead (masked names, grid, score, grade, rank). Both apply to html only.
        """
        if format is None and isinstance(target, (str, os.PathLike)):
            format = os.path.splitext(os.fspath(target))[1].lstrip(".").lower()
        if format is not None and format not in (*FORMATS, "html"):
            raise ValueError(f"format: {format!r} is not one of {', '.join(FORMATS)}, html")
        if format == "html":
            from gridpoints.results.html import write_html  # the optional extra, loaded when asked for

            pack = self.month_pack(report, proposed=proposed)
            write_html(pack, target, lang=lang, public=public, mask_names=mask_names)
            return
        if public or proposed is not None:
            raise ValueError(f"public, proposed: only for the html format, not {format!r}")
        if not isinstance(report, Report):
            report = self.report(report)
        table = report_table(
            report, lang=lang, mask_names=mask_names, kind_labels=self.kind_labels(lang),
            section_labels=self.section_labels(lang), region_labels=self.region_labels(lang),
            grid_labels=self.grid_labels(lang),
        )  # fmt: skip
        export(table, target, format=format)

    def export_explanation(
        self,
        member_id: str,
        period: str | Period,
        target: str | os.PathLike[str] | IO[bytes],
        *,
        format: str | None = None,
        lang: str = "zh",
    ) -> None:
        """Write a member's explanation for a period as csv, json or xlsx."""
        export(explanation_table(self.explain(member_id, period), lang=lang), target, format=format)

    def simulate(
        self,
        proposed: Proposal,
        period: str | Period,
        *,
        events: Iterable[Event | Mapping[str, Any]] | None = None,
    ) -> WhatIf:
        """What-if: rescore the period's booked events under ``proposed`` (a RuleSet, its
        versions, or a TOML rule file) without touching the ledger; one row per assessed member
        with old and new score, grade and rank. ``.summary()`` counts what changes.

        ``events``: more events to rescore (say a month's file holding a kind the current rules
        do not score): those the store does not know, of the period's months, are replayed with
        the booked ones, and the current side is then the same events under the engine's rules.
        A mapping that is not a valid event is a ValueError naming its position.
        """
        return simulate(
            self.desk, proposed, period, members=self.members, rulebook=self.rulebook,
            coefficient=self.pipeline.coefficient, proposed_coefficient=self._coefficient_lookup({}),
            grader=self.plugins.grader, report=self.report, events=events,
        )  # fmt: skip

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
