"""The ``[checks.<name>]`` tables of a rule file: the built-in checks' options, as rule data.

A rule-set version may configure the built-in anti-gaming checks (docs/rules.md). The options
are checked here, against the schema below, so a rule file's mistake is a ``RuleFileError`` at
its line before any check is built; the engine then passes them to the checks' constructors
(``gridpoints.plugins.checks.configure_checks``). ``tests/test_check_tables.py`` holds the
schema to the constructors' keyword arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from gridpoints._decimal import canonical, to_decimal

__all__ = ["CHECK_OPTIONS", "check_tables_key", "to_check_tables"]

#: Built-in check → option → what it takes: ``count`` a whole number ≥ 1, ``amount`` a number
#: > 0, ``text`` a non-empty string, ``kinds`` an array of event kinds, ``kind_amounts`` kind →
#: amount, ``evidence_kinds`` an array of kinds (always) or kind → attribute conditions.
CHECK_OPTIONS: Mapping[str, Mapping[str, str]] = {
    "duplicate_submission": {"minutes": "count", "attribute": "text", "kinds": "kinds"},
    "daily_limit": {"limits": "kind_amounts"},
    "evidence": {"kinds": "evidence_kinds", "evidence_attribute": "text", "verified_attribute": "text"},
    "burst": {"count": "count", "minutes": "count", "kinds": "kinds"},
    "outlier": {"threshold": "amount", "min_peers": "count"},
}

#: Switches a check off (``enabled = false``); every check takes it.
ENABLED = "enabled"


def _kind(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"{field}: {value!r} is not an event kind")
    return value


def _count(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{field}: {value!r} is not a whole number")
    if value < 1:
        raise ValueError(f"{field}: {value} must be at least 1")
    return value


def _amount(value: object, field: str) -> Decimal:
    if isinstance(value, (bool, float)):
        raise TypeError(f"{field}: {value!r} is not a number (give an int, a Decimal or a string)")
    number = to_decimal(value, field)
    if not number.is_finite() or number <= 0:
        raise ValueError(f"{field}: {value!r} must be a number greater than 0")
    return number


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"{field}: {value!r} is not a non-empty string")
    return value


def _kinds(value: object, field: str) -> list[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise TypeError(f"{field}: {value!r} is not an array of event kinds")
    return [_kind(kind, f"{field}[{i + 1}]") for i, kind in enumerate(value)]


def _kind_amounts(value: object, field: str) -> dict[str, Decimal]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{field}: {value!r} is not a table of event kind = number")
    return {_kind(kind, field): _amount(amount, f"{field}.{kind}") for kind, amount in value.items()}


def _evidence_kinds(value: object, field: str) -> dict[str, dict[str, str] | None]:
    if isinstance(value, (list, tuple)):
        return dict.fromkeys(_kinds(value, field))
    if not isinstance(value, Mapping):
        raise TypeError(f"{field}: {value!r} is not an array of event kinds or a table of kind = conditions")
    found: dict[str, dict[str, str] | None] = {}
    for kind, condition in value.items():
        here = f"{field}.{_kind(kind, field)}"
        if condition is None or (isinstance(condition, Mapping) and not condition):
            found[kind] = None  # an empty table: the kind always needs evidence
            continue
        if not isinstance(condition, Mapping):
            raise TypeError(f"{here}: {condition!r} is not a table of attribute = value")
        conditions: dict[str, str] = {}
        for attribute, wanted in condition.items():
            if not isinstance(wanted, (str, int, Decimal)) or isinstance(wanted, bool):
                raise TypeError(f"{here}.{attribute}: {wanted!r} is not a string or number")
            conditions[_text(attribute, here)] = str(wanted)
        found[kind] = conditions
    return found


_READERS: Mapping[str, Any] = {
    "count": _count,
    "amount": _amount,
    "text": _text,
    "kinds": _kinds,
    "kind_amounts": _kind_amounts,
    "evidence_kinds": _evidence_kinds,
}


def _table(name: str, value: object) -> dict[str, object]:
    field = f"checks.{name}"
    if not isinstance(value, Mapping):
        raise TypeError(f"{field}: {value!r} is not a table of options")
    schema = CHECK_OPTIONS[name]
    options: dict[str, object] = {}
    shorthand: dict[str, object] = {}
    for option, given in value.items():
        here = f"{field}.{option}"
        if option == ENABLED:
            if not isinstance(given, bool):
                raise TypeError(f"{here}: {given!r} is not true or false")
            options[ENABLED] = given
        elif option in schema:
            options[option] = _READERS[schema[option]](given, here)
        elif name == "daily_limit":  # [checks.daily_limit] patrol = 12: kind = units per day
            shorthand[option] = _amount(given, here)
        else:
            allowed = ", ".join([*schema, ENABLED])
            raise ValueError(f"{here}: unknown option of check {name} (options: {allowed})")
    if shorthand:
        if "limits" in options:
            raise ValueError(f"{field}.{next(iter(shorthand))}: give the limits either as limits = {{...}} or as "
                             "kind = units, not both")
        options["limits"] = shorthand
    return options


def to_check_tables(value: object) -> Mapping[str, Mapping[str, object]]:
    """Normalise ``checks``: built-in check name → its options (``enabled`` among them).

    Errors start with the field they are about (``checks.burst.count: …``), so a rule file's
    reader can point at its line.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"checks: {value!r} is not a table of check name = options")
    tables: dict[str, Mapping[str, object]] = {}
    for name, options in value.items():
        if name not in CHECK_OPTIONS:
            raise ValueError(f"checks.{name}: no built-in check {name!r} (known: {', '.join(CHECK_OPTIONS)})")
        tables[name] = _table(name, options)
    return tables


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return canonical(value)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return canonical(Decimal(value))
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    raise TypeError(f"{value!r} cannot be part of a digest")


def check_tables_key(tables: Mapping[str, Mapping[str, object]]) -> object:
    """What a version's digest holds of its check tables (numbers in canonical text)."""
    return _plain(tables)
