"""Turn file records into the plain mappings ``Engine.ingest`` and ``Engine.add_members`` take.

Timestamps are parsed with dateutil; a timestamp without a zone is an error unless the caller
gives a zone to assume. Columns beyond the known fields become attributes (empty cells are left
out). Every problem is a ``FieldError`` naming the field.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from dateutil import parser as dateparser
from dateutil.parser import ParserError, UnknownTimezoneWarning

from gridpoints._validate import localize

__all__ = ["EVENT_FIELDS", "MEMBER_FIELDS", "FieldError", "event_mapping", "member_mapping", "parse_instant"]

EVENT_FIELDS = ("id", "member_id", "kind", "occurred_at", "quantity", "reported_at")
REQUIRED_EVENT_FIELDS = ("id", "member_id", "kind", "occurred_at")
MEMBER_FIELDS = ("id", "region", "name", "grid", "joined", "left")
REQUIRED_MEMBER_FIELDS = ("id", "region")
_YEAR = re.compile(r"\d{4}")


class FieldError(ValueError):
    """A value in one record is wrong; ``field`` names it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def parse_instant(value: object, field: str, assume: tzinfo | None, assume_name: str) -> datetime | None:
    """A zone-aware datetime from text (ISO 8601 or what dateutil reads, with a 4-digit year).

    Without a zone in the text, ``assume`` is attached when given; otherwise it is an error
    that says how to fix it.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif not isinstance(value, str):
        raise FieldError(field, f"{value!r} is not a date-time text")
    else:
        text = value.strip()
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            if not _YEAR.search(text):
                raise FieldError(field, f"{text!r} is not a date-time (write 2026-11-03T09:00:00+08:00)") from None
            with warnings.catch_warnings():
                warnings.simplefilter("error", UnknownTimezoneWarning)
                try:
                    moment = dateparser.parse(text, yearfirst=True)
                except UnknownTimezoneWarning:
                    raise FieldError(field, f"{text!r} names a time zone dateutil does not know; use +08:00") from None
                except (ParserError, ValueError, OverflowError):
                    raise FieldError(
                        field, f"{text!r} is not a date-time (write 2026-11-03T09:00:00+08:00)"
                    ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        if assume is None:
            raise FieldError(
                field,
                f"{value!r} has no time zone; add an offset (2026-11-03T09:00:00+08:00) "
                f"or pass --assume-tz to read it in {assume_name}",
            )
        try:
            moment = localize(moment, assume, field, assume_name)
        except ValueError as error:
            raise FieldError(field, str(error).partition(": ")[2]) from None
    return moment


def _attributes(values: Mapping[str, Any], known: tuple[str, ...]) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    nested = values.get("attributes")
    if isinstance(nested, Mapping):
        attributes.update(nested)
    elif nested not in (None, ""):
        raise FieldError("attributes", f"{nested!r} is not an object of attribute values")
    for key, value in values.items():
        if key in known or key == "attributes" or value in (None, ""):
            continue
        if key in attributes:
            raise FieldError(key, "given both as a column and inside attributes")
        attributes[key] = value
    return attributes


def event_mapping(values: Mapping[str, Any], assume: tzinfo | None, assume_name: str) -> dict[str, Any]:
    """The event fields of a record, times parsed, other columns as attributes."""
    result: dict[str, Any] = {}
    for name in ("id", "member_id", "kind", "quantity"):
        value = values.get(name)
        if isinstance(value, str):
            value = value.strip()
        if value not in (None, ""):
            result[name] = value
    missing = [name for name in REQUIRED_EVENT_FIELDS if values.get(name) in (None, "")]
    if missing:
        raise FieldError(missing[0], "missing")
    result["occurred_at"] = parse_instant(values.get("occurred_at"), "occurred_at", assume, assume_name)
    reported = parse_instant(values.get("reported_at"), "reported_at", assume, assume_name)
    if reported is not None:
        result["reported_at"] = reported
    result["attributes"] = _attributes(values, EVENT_FIELDS)
    return result


def member_mapping(values: Mapping[str, Any]) -> dict[str, Any]:
    """The member fields of a record (empty optional cells are None), other columns as attributes."""
    missing = [name for name in REQUIRED_MEMBER_FIELDS if values.get(name) in (None, "")]
    if missing:
        raise FieldError(missing[0], "missing")
    result: dict[str, Any] = {}
    for name in MEMBER_FIELDS:
        value = values.get(name)
        if isinstance(value, str):
            value = value.strip()
        result[name] = None if value == "" else value
    result["attributes"] = _attributes(values, MEMBER_FIELDS)
    return result
