"""Built-in plugin: regional coefficients (区域系数) from a table, default 1."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from gridpoints._markers import hookimpl
from gridpoints.model import Member
from gridpoints.rules import RuleSet
from gridpoints.rules._types import to_coefficients

__all__ = ["DEFAULT_REGION", "RegionalCoefficients"]

ONE = Decimal(1)
#: The table key whose coefficient applies to every region the table does not name.
DEFAULT_REGION = "default"


class RegionalCoefficients:
    """Coefficient by the member's region: the engine's table first, then the rule set's, then 1.

    One instance is registered per engine with the table passed as ``Engine(coefficients=…)``.
    """

    def __init__(self, table: Mapping[str, object] | None = None) -> None:
        self.table: Mapping[str, Decimal] = to_coefficients(table)

    def lookup(self, region: str, ruleset: RuleSet) -> Decimal:
        """The coefficient for ``region`` under ``ruleset``: the engine's table, the rule set's,
        then their ``default`` entries, then 1; depends on nothing else."""
        found = self.table.get(region)
        if found is None:
            found = ruleset.coefficients.get(region)
        if found is None:
            found = self.table.get(DEFAULT_REGION)
        if found is None:
            found = ruleset.coefficients.get(DEFAULT_REGION, ONE)
        return found

    def unnamed(self, region: str, rulesets: Iterable[RuleSet]) -> str | None:
        """Why ``region`` has no coefficient of its own in the tables of ``rulesets`` (a silent 1
        would hide a misspelt region), or None. A ``default`` entry names every region; so does
        the engine's table naming it. The engine passes the versions of rule files: a table
        given in Python (``Engine(coefficients={"rural": "1.2"})``, a ``RuleSet``) keeps its
        meaning, 1 for the regions it leaves out."""
        found = self._leaving_out(region, rulesets, engine_table_counts=False)
        if found is None:
            return None
        ruleset, known = found
        return (
            f"region {region!r} has no coefficient in rule set {ruleset.id} {ruleset.version} "
            f"(known regions: {known}); add it to the coefficients, or give a {DEFAULT_REGION!r} coefficient"
        )

    def defaulted(self, region: str, rulesets: Iterable[RuleSet]) -> str | None:
        """Why ``region`` would count with the fallback 1 although a table exists — the engine's
        or one of ``rulesets``' — naming neither it nor a ``default``; None when it would not."""
        found = self._leaving_out(region, rulesets, engine_table_counts=True)
        if found is None:
            return None
        ruleset, known = found
        return (
            f"region {region!r} has no coefficient (known regions: {known}) under rule set "
            f"{ruleset.id} {ruleset.version}, so it counts with 1; name it, or give the table a "
            f"{DEFAULT_REGION!r} entry"
        )

    def _leaving_out(
        self, region: str, rulesets: Iterable[RuleSet], *, engine_table_counts: bool
    ) -> tuple[RuleSet, str] | None:
        """The first of ``rulesets`` whose table (or, with ``engine_table_counts``, the engine's
        non-empty one beside it) exists but names neither ``region`` nor ``default``, with the
        known regions; None when every such table names it."""
        if region in self.table or DEFAULT_REGION in self.table:
            return None
        for ruleset in rulesets:
            table = ruleset.coefficients
            exists = bool(table) or (engine_table_counts and bool(self.table))
            if exists and region not in table and DEFAULT_REGION not in table:
                return ruleset, ", ".join(sorted(self.table.keys() | table.keys()))
        return None

    @hookimpl(trylast=True)
    def gridpoints_coefficient(self, member: Member, ruleset: RuleSet) -> Decimal:
        """Answer for every member, last, so any locality plugin overrides it."""
        return self.lookup(member.region, ruleset)
