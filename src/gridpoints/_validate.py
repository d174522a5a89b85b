"""Field validators and converters shared by the domain types; every error names its field."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal

from dateutil import parser as dateparser

from gridpoints._decimal import MAX_QUANTITY, bounded, to_decimal

__all__ = [
    "MAX_FIELD_CHARS",
    "MAX_ID_LENGTH",
    "check_id",
    "check_name",
    "check_text",
    "freeze_attributes",
    "localize",
    "to_aware_datetime",
    "to_date",
    "to_optional_aware_datetime",
    "to_quantity",
]

MAX_ID_LENGTH = 200
#: The one field-size limit (docs/fair-play.md, "Threat model"): a text value — an attribute, a
#: name, a CSV field, a JSON Lines value — holds at most this many characters, whether it comes
#: from a file or from Python.
MAX_FIELD_CHARS = 65_536
#: Unicode categories an id may not contain: controls, format characters (zero-width spaces,
#: BOMs, bidirectional overrides), surrogates, line and paragraph separators. They are invisible
#: or cannot be stored, so ``z1`` and ``z1`` + U+200B would look alike yet count as two ids.
_REFUSED = {"Cc": "a control", "Cf": "a format", "Cs": "a surrogate", "Zl": "a line separator",
            "Zp": "a paragraph separator"}  # fmt: skip
# An int attribute must print (``int.__repr__``) within Python's 4,300-digit conversion limit.
_INT_LIMIT = 10**4000


def _refused_character(field: str, value: str) -> ValueError | None:
    for char in value:
        what = _REFUSED.get(unicodedata.category(char))
        if what is not None:
            name = unicodedata.name(char, "")
            code = f"U+{ord(char):04X}" + (f" {name}" if name else "")
            return ValueError(f"{field}: {value!r} contains {what} character ({code})")
    return None


def check_id(field: str, value: object) -> str:
    """A non-empty text id in NFC without control or format characters; returns the NFC form.

    Ids already in NFC (every ASCII id) come back unchanged, so their payloads and hashes do too.
    """
    # Fast accept for the common case: printable text has no refused character, ASCII is NFC.
    if (
        type(value) is str
        and 0 < len(value) <= MAX_ID_LENGTH
        and value.isprintable()
        and not value.isspace()
        and (value.isascii() or unicodedata.is_normalized("NFC", value))
    ):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{field}: {value!r} is a {type(value).__name__}, not a string")
    if not value.strip():
        raise ValueError(f"{field}: must not be empty")
    refused = _refused_character(field, value)
    if refused is not None:
        raise refused
    value = unicodedata.normalize("NFC", value)
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"{field}: {value[:20]!r}… is longer than {MAX_ID_LENGTH} characters")
    return value


#: Characters a one-line name may not hold: controls (line breaks, tabs, escape sequences that
#: drive a terminal) and the bidirectional embeddings, overrides and isolates that make a name
#: display as another (``U+202E`` turns ``Zhang`` into ``gnahZ`` on screen). Other format
#: characters (zero-width joiners, which some scripts need) stay allowed.
_NOT_IN_A_NAME = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029))


def check_name(field: str, value: str) -> str:
    """A person's name: free text on one line, without controls or bidirectional overrides."""
    value = check_text(field, value)
    if not value.isprintable():
        for char in value:
            if char in _NOT_IN_A_NAME or unicodedata.category(char) == "Cc":
                name = unicodedata.name(char, "")
                code = f"U+{ord(char):04X}" + (f" {name}" if name else "")
                raise ValueError(f"{field}: {value!r} contains {code}, which a name may not hold")
    return value


def check_text(field: str, value: str) -> str:
    """Free text (a name, an attribute): at most ``MAX_FIELD_CHARS`` characters, storable as UTF-8."""
    if len(value) > MAX_FIELD_CHARS:
        raise ValueError(f"{field}: is {len(value):,} characters long; the limit is {MAX_FIELD_CHARS:,}")
    if not value.isprintable() and any(unicodedata.category(c) == "Cs" for c in value):
        raise ValueError(f"{field}: contains a lone surrogate, which no file or database can store")
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


def localize(naive: datetime, zone: tzinfo, field: str, zone_name: str) -> datetime:
    """``naive`` read as wall-clock time in ``zone``; a time the clocks skipped or showed twice is refused.

    In a daylight-saving gap (02:30 on a spring-forward day) the time never happened; in the
    repeated hour of autumn it happened twice. Either way only an explicit offset says which
    instant is meant, so neither is guessed.
    """
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    wall = naive.replace(fold=0).isoformat()
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive.replace(fold=0):
        raise ValueError(
            f"{field}: {wall} does not exist in {zone_name}: the clocks skipped it (daylight saving time); "
            "write the time with its offset"
        )
    raise ValueError(
        f"{field}: {wall} happened twice in {zone_name} (the clocks went back); write it with its offset: "
        f"{first.isoformat()} or {second.isoformat()}"
    )


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
    """A positive quantity up to ``MAX_QUANTITY``: an int stays an int, other numbers become Decimal."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value <= 0:
            raise ValueError(f"quantity: {value!r} must be positive")
        if value > MAX_QUANTITY:
            bounded(Decimal(value), "quantity", MAX_QUANTITY)  # raises, saying the bound
        return value
    number = to_decimal(value, "quantity")
    if number <= 0:
        raise ValueError(f"quantity: {value!r} must be positive")
    bounded(number, "quantity", MAX_QUANTITY)
    if number == number.to_integral_value():
        return int(number)
    return number


def _number(key: str, value: int | Decimal) -> int | Decimal:
    # Written out (as the canonical payload writes it) a number must fit a field: 1E+999999999
    # would be a billion characters, and an int past 4,300 digits cannot be printed at all.
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"attributes[{key!r}]: {value} is not a finite number")
        _, digits, exponent = value.as_tuple()
        if len(digits) + abs(int(exponent)) > MAX_FIELD_CHARS:
            raise ValueError(f"attributes[{key!r}]: the number is longer than {MAX_FIELD_CHARS:,} characters")
    elif not -_INT_LIMIT < value < _INT_LIMIT:
        raise ValueError(f"attributes[{key!r}]: the number has more than 4,000 digits")
    return value


def _scalar(key: str, value: object) -> object:
    if isinstance(value, str):
        if len(value) <= MAX_FIELD_CHARS and value.isprintable():
            return value
        return check_text(f"attributes[{key!r}]", value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)):
        return _number(key, value)
    if isinstance(value, float):
        # An attribute (unlike points) may arrive from JSON as a float: keep the digits written.
        return _number(key, Decimal(repr(value)))
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
        if len(key) > MAX_FIELD_CHARS or not key.isprintable():
            check_text(f"attributes key {key[:20]!r}", key)
        result[key] = _scalar(key, item)
    return result
