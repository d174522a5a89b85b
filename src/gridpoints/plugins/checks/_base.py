"""What every built-in check shares: it is its own plugin, and reads its options strictly."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from gridpoints._decimal import to_decimal
from gridpoints._markers import hookimpl
from gridpoints.checks import Check

__all__ = ["BuiltinCheck", "kinds_option", "positive_decimal", "positive_int", "sorted_kinds"]


class BuiltinCheck(Check):
    """A configured check that registers itself through ``gridpoints_checks``.

    The engine registers one instance of each built-in check class (configured from
    ``Engine(check_config=…)``) in its plugin manager, the same way a locality registers a
    plugin object; pluggy then finds this hook implementation on it.
    """

    # trylast: the engine registers the built-in checks once the rule set (and so their
    # [checks] tables) is known, after the installed plugins; they still run after those.
    @hookimpl(trylast=True)
    def gridpoints_checks(self) -> list[Check]:
        """This check, configured."""
        return [self]


def positive_int(value: object, option: str) -> int:
    """``value`` as an int ≥ 1; a ValueError/TypeError naming ``option`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{option}: {value!r} is not a whole number")
    if value < 1:
        raise ValueError(f"{option}: {value} must be at least 1")
    return value


def positive_decimal(value: object, option: str) -> Decimal:
    """``value`` (int, str or Decimal; never float) as a Decimal > 0."""
    number = to_decimal(value, option)
    if number <= 0:
        raise ValueError(f"{option}: {value!r} must be greater than 0")
    return number


def kinds_option(value: Iterable[str] | None, option: str = "kinds") -> frozenset[str] | None:
    """A set of event kinds (None: every kind); a bare string is refused (it is not a list)."""
    if value is None:
        return None
    if isinstance(value, str):
        raise TypeError(f"{option}: give a list of kinds, not the string {value!r}")
    kinds = frozenset(value)
    for kind in kinds:
        if not isinstance(kind, str) or not kind:
            raise TypeError(f"{option}: {kind!r} is not an event kind")
    return kinds


def sorted_kinds(kinds: frozenset[str] | None) -> list[str] | None:
    """A ``kinds`` option as it was given: a sorted list, or None for every kind."""
    return None if kinds is None else sorted(kinds)
