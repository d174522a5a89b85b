"""Field validators and converters shared by the domain types; every error names its field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from dateutil import parser as dateparser

from gridpoints._decimal import to_decimal

__all__ = [
    "check_id",
    "freeze_attributes",
    "to_aware_datetime",
    "to_date",
    "to_optional_aware_datetime",
    "to_quantity",
]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_ID_LENGTH = 200


def check_id(field: str, value: object) -> str:
    """A non-empty text id without control characters (they separate fields in the ledger)."""
    # Fast accept for the common case: printable text has no control characters.
    if type(value) is str and 0 < len(value) <= MAX_ID_LENGTH and value.isprintable() and not value.isspace():
        return value
    if not isinstance(value, str):
        raise TypeError(f"{field}: {value!r} is a {type(value).__name__}, not a string")
    if not value.strip():
        raise ValueError(f"{field}: must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"{field}: {value[:20]!r}… is longer than {MAX_ID_LENGTH} characters")
    if _CONTROL.search(value):
        raise ValueError(f"{field}: {value!r} contains a control character")
    return value


def to_aware_datetime(value: object, field: str) -> datetime:
    """A zone-aware datetime; ISO strings with an offset are parsed, naive values refused."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            try:
                parsed = dateparser.isoparse(value.strip())
            except (ValueError, OverflowError):
                raise ValueError(f"{field}: {value!r} is not an ISO 8601 date-time") from None
        value = parsed
    if not isinstance(value, datetime):
        raise TypeError(f"{field}: {value!r} is a {type(value).__name__}, not a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{field}: {value.isoformat()} has no time zone; give an aware datetime "
            "(for example tzinfo=ZoneInfo('Asia/Shanghai'))"
        )
    return value


def to_optional_aware_datetime(value: object, field: str) -> datetime | None:
    """An optional aware datetime (None or empty text for none)."""
    if value is None or value == "":
        return None
    return to_aware_datetime(value, field)


def to_date(value: object, field: str) -> date | None:
    """An optional calendar date: a date or an ISO ``YYYY-MM-DD`` string."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        raise TypeError(f"{field}: {value!r} is a datetime; give a date")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{field}: {value!r} is not a date like 2026-11-03") from None
    raise TypeError(f"{field}: {value!r} is a {type(value).__name__}, not a date")


def to_quantity(value: object) -> int | Decimal:
    """A positive quantity: an int stays an int, other numbers become Decimal."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value <= 0:
            raise ValueError(f"quantity: {value!r} must be positive")
        return value
    number = to_decimal(value, "quantity")
    if number <= 0:
        raise ValueError(f"quantity: {value!r} must be positive")
    if number == number.to_integral_value():
        return int(number)
    return number


def _scalar(key: str, value: object) -> object:
    if value is None or isinstance(value, (str, bool, int, Decimal)):
        return value
    if isinstance(value, float):
        # An attribute (unlike points) may arrive from JSON as a float: keep the digits written.
        return Decimal(repr(value))
    raise TypeError(
        f"attributes[{key!r}]: {value!r} is a {type(value).__name__}; "
        "attribute values are str, int, Decimal, bool or None"
    )


def freeze_attributes(value: object) -> Mapping[str, object]:
    """Copy an attribute mapping, checking keys are text and values are scalars."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"attributes: {value!r} is a {type(value).__name__}, not a mapping")
    result: dict[str, object] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"attributes: key {key!r} is not a non-empty string")
        result[key] = _scalar(key, item)
    return result
