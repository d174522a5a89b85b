"""Built-in plugin: regional coefficients (区域系数) from a table, default 1."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from gridpoints._markers import hookimpl
from gridpoints.model import Member
from gridpoints.rules import RuleSet
from gridpoints.rules._types import to_coefficients

__all__ = ["RegionalCoefficients"]

ONE = Decimal(1)


class RegionalCoefficients:
    """Coefficient by the member's region: the engine's table first, then the rule set's, then 1.

    One instance is registered per engine with the table passed as ``Engine(coefficients=…)``.
    """

    def __init__(self, table: Mapping[str, object] | None = None) -> None:
        self.table: Mapping[str, Decimal] = to_coefficients(table)

    def lookup(self, region: str, ruleset: RuleSet) -> Decimal:
        """The coefficient for ``region`` under ``ruleset``; depends on nothing else."""
        found = self.table.get(region)
        if found is None:
            found = ruleset.coefficients.get(region, ONE)
        return found

    @hookimpl(trylast=True)
    def gridpoints_coefficient(self, member: Member, ruleset: RuleSet) -> Decimal:
        """Answer for every member, last, so any locality plugin overrides it."""
        return self.lookup(member.region, ruleset)
