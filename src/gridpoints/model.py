"""The domain types: Member, Event, Award, Entry and Grade."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from json.encoder import encode_basestring as _json_string
from typing import Any, ClassVar

import attrs

from gridpoints._decimal import MAX_POINTS, bounded, canonical, to_decimal
from gridpoints._validate import (
    check_id,
    check_name,
    freeze_attributes,
    to_aware_datetime,
    to_date,
    to_optional_aware_datetime,
    to_quantity,
)

__all__ = ["Award", "Entry", "Event", "Grade", "Member", "PeriodSummary"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


# One named converter per id field (mypy's attrs plugin needs named functions): each checks the
# id and returns its NFC form.
def _id(value: object) -> str:
    return check_id("id", value)


def _member_id(value: object) -> str:
    return check_id("member_id", value)


def _region(value: object) -> str:
    return check_id("region", value)


def _kind(value: object) -> str:
    return check_id("kind", value)


def _grid(value: object) -> str | None:
    return None if value is None else check_id("grid", value)


def _joined(value: object) -> date | None:
    return to_date(value, "joined")


def _left(value: object) -> date | None:
    return to_date(value, "left")


def _occurred_at(value: object) -> datetime:
    return to_aware_datetime(value, "occurred_at")


def _reported_at(value: object) -> datetime | None:
    return to_optional_aware_datetime(value, "reported_at")


def _points(value: object) -> Decimal:
    return bounded(to_decimal(value, "points"), "points", MAX_POINTS)


def _name(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"name: {value!r} is a {type(value).__name__}, not a string")
    return check_name("name", value)


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return canonical(value)
    raise TypeError(f"cannot encode {value!r}")


_JSON_LITERALS: dict[object, str] = {True: "true", False: "false", None: "null"}


def canonical_attributes(attributes: Mapping[str, object]) -> str:
    """Attributes as sorted compact JSON, decimals in canonical form; ``""`` when empty.

    The output is exactly ``json.dumps(attributes, sort_keys=True, ensure_ascii=False,
    separators=(",", ":"))`` with decimals as canonical strings. Flat str/int/bool/None values
    (what events carry) are joined here directly, which is several times faster than building a
    JSON encoder per event; anything else takes json.dumps.
    """
    if not attributes:
        return ""
    parts = []
    for key in sorted(attributes):
        value = attributes[key]
        kind = type(value)
        if type(value) is str:
            text = _json_string(value)
        elif type(value) is int:
            text = int.__repr__(value)
        elif kind is bool or value is None:
            text = _JSON_LITERALS[value]
        else:
            return _canonical_json(attributes)
        if type(key) is not str:
            return _canonical_json(attributes)
        parts.append(f"{_json_string(key)}:{text}")
    return "{" + ",".join(parts) + "}"


def _canonical_json(attributes: Mapping[str, object]) -> str:
    return json.dumps(attributes, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def payload_of(event: Event) -> tuple[int, str]:
    """``(occurred µs since the epoch, canonical payload)``; the pipeline needs both."""
    occurred = (event.occurred_at - _EPOCH) // _MICROSECOND
    reported = "" if event.reported_at is None else (event.reported_at - _EPOCH) // _MICROSECOND
    quantity = event.quantity
    qty = str(quantity) if isinstance(quantity, int) else canonical(quantity)
    attributes = canonical_attributes(event.attributes) if event.attributes else ""
    return occurred, f"{event.member_id}\x1f{event.kind}\x1f{occurred}\x1f{qty}\x1f{reported}\x1f{attributes}"


def payload_fields(payload: str) -> tuple[str, str, int, int | Decimal, str]:
    """``(member id, kind, occurred µs, quantity, attributes JSON or "")`` of a canonical
    payload, without building an Event: what the checks' running state reads per stored event."""
    member, kind, occurred, quantity, _, attributes = payload.split("\x1f", 5)
    return member, kind, int(occurred), int(quantity) if quantity.isdigit() else Decimal(quantity), attributes


_GRADE_CODE = re.compile(r"^[a-z_]+$")


def _grade_code(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _GRADE_CODE.match(value):
        raise ValueError(f"code: {value!r} is not a grade code of lower-case letters and _ (like 'excellent')")


def _grade_label(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{attribute.name}: {value!r} is not a non-empty label")


def _grade_band(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"band: {value!r} is not a band number (0 for the best grade)")


class _GradeType(type):
    """Iterating ``Grade`` gives the three built-in grades, as it did when Grade was an enum."""

    _BUILTIN: tuple[Grade, ...]

    def __iter__(cls) -> Iterator[Grade]:
        return iter(cls._BUILTIN)


@attrs.frozen
class Grade(metaclass=_GradeType):
    """An assessment grade (等级): a code, its labels and its band (0 for the best grade).

    The built-in scale is ``Grade.EXCELLENT`` 优秀, ``Grade.QUALIFIED`` 合格 and
    ``Grade.UNQUALIFIED`` 不合格 (``iter(Grade)`` gives them, best first); a rule set's
    ``[[grades]]`` bands or a ``gridpoints_grade`` plugin may give others. ``.value`` is the
    code, as when Grade was an enum.
    """

    code: str = attrs.field(validator=_grade_code)
    label_zh: str = attrs.field(validator=_grade_label)
    label_en: str | None = attrs.field(default=None)
    band: int = attrs.field(default=0, validator=_grade_band)

    EXCELLENT: ClassVar[Grade]
    QUALIFIED: ClassVar[Grade]
    UNQUALIFIED: ClassVar[Grade]

    def __attrs_post_init__(self) -> None:
        if self.label_en is not None:
            _grade_label(self, attrs.fields(Grade).label_en, self.label_en)

    @property
    def value(self) -> str:
        """The code (``excellent``…), as ``.value`` of the former enum."""
        return self.code

    def label(self, lang: str = "zh") -> str:
        """The label in ``lang`` (``zh``; ``en`` falls back to the code)."""
        return self.label_zh if lang == "zh" else (self.label_en or self.code)

    @classmethod
    def builtin(cls, code: str) -> Grade:
        """The built-in grade with this code; ValueError for any other code."""
        for grade in cls._BUILTIN:
            if grade.code == code:
                return grade
        raise ValueError(f"grade: {code!r} is not a built-in grade (excellent, qualified, unqualified)")

    def interned(self) -> Grade:
        """The built-in instance when this grade equals one (so ``is Grade.EXCELLENT`` holds)."""
        return next((grade for grade in Grade._BUILTIN if grade == self), self)


Grade.EXCELLENT = Grade("excellent", "优秀", "excellent", 0)
Grade.QUALIFIED = Grade("qualified", "合格", "qualified", 1)
Grade.UNQUALIFIED = Grade("unqualified", "不合格", "unqualified", 2)
Grade._BUILTIN = (Grade.EXCELLENT, Grade.QUALIFIED, Grade.UNQUALIFIED)


@attrs.frozen
class Member:
    """A grid worker (网格员). Only ``id`` and ``region`` enter the ledger; the rest is erasable."""

    id: str = attrs.field(converter=_id)
    region: str = attrs.field(converter=_region)
    name: str | None = attrs.field(default=None, converter=_name)
    grid: str | None = attrs.field(default=None, converter=_grid)
    joined: date | None = attrs.field(default=None, converter=_joined)
    left: date | None = attrs.field(default=None, converter=_left)
    attributes: Mapping[str, object] = attrs.field(factory=dict, converter=freeze_attributes, hash=False)

    def __attrs_post_init__(self) -> None:
        if self.joined and self.left and self.left < self.joined:
            raise ValueError(f"left: {self.left} is before joined {self.joined}")

    def active_between(self, first: date, last: date) -> bool:
        """Whether the member was on the books at some day of ``[first, last]``."""
        if self.joined is not None and self.joined > last:
            return False
        return not (self.left is not None and self.left < first)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Member:
        """Build a member from plain data (CSV row, JSON object); unknown keys are an error."""
        known = {"id", "region", "name", "grid", "joined", "left", "attributes"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown member field")
        values: dict[str, Any] = {k: (v if v != "" or k in ("id", "region") else None) for k, v in data.items()}
        return cls(**values)


@attrs.frozen
class Event:
    """One thing a member did or that happened to them (事件).

    ``occurred_at`` and ``reported_at`` must be zone-aware; ``quantity`` is a positive int or
    Decimal; ``attributes`` are scalar values conditions and checks look at.
    """

    id: str = attrs.field(converter=_id)
    member_id: str = attrs.field(converter=_member_id)
    kind: str = attrs.field(converter=_kind)
    occurred_at: datetime = attrs.field(converter=_occurred_at)
    quantity: int | Decimal = attrs.field(default=1, converter=to_quantity)
    reported_at: datetime | None = attrs.field(default=None, converter=_reported_at)
    attributes: Mapping[str, object] = attrs.field(factory=dict, converter=freeze_attributes, hash=False)

    def __attrs_post_init__(self) -> None:
        if self.reported_at is not None and self.reported_at < self.occurred_at:
            raise ValueError(
                f"reported_at: {self.reported_at.isoformat()} is before occurred_at {self.occurred_at.isoformat()}"
            )

    _FIELDS = frozenset({"id", "member_id", "kind", "occurred_at", "quantity", "reported_at", "attributes"})

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Event:
        """Build an event from plain data; keys other than the fields must go in ``attributes``."""
        unknown = sorted(set(data) - cls._FIELDS)
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown event field (put it in attributes)")
        missing = [f for f in ("id", "member_id", "kind", "occurred_at") if data.get(f) in (None, "")]
        if missing:
            raise ValueError(f"{missing[0]}: missing")
        values = dict(data)
        if values.get("quantity") in (None, ""):
            values.pop("quantity", None)
        return cls(**values)

    def payload(self) -> str:
        """The canonical payload text: equal for events that are the same event.

        Instants are compared whatever zone they are written in; attributes as sorted JSON.
        """
        return payload_of(self)[1]

    @classmethod
    def from_payload(cls, event_id: str, payload: str) -> Event:
        """Rebuild an event from its stored canonical payload (times come back in UTC)."""
        member, kind, occurred, quantity, reported, attributes = payload.split("\x1f", 5)
        return cls(
            id=event_id,
            member_id=member,
            kind=kind,
            occurred_at=_EPOCH + int(occurred) * _MICROSECOND,
            quantity=int(quantity) if quantity.isdigit() else Decimal(quantity),
            reported_at=None if reported == "" else _EPOCH + int(reported) * _MICROSECOND,
            attributes=json.loads(attributes) if attributes else {},
        )

    def to_mapping(self) -> dict[str, Any]:
        """Plain data (ISO times, canonical decimals) that ``from_mapping`` reads back."""
        return {
            "id": self.id,
            "member_id": self.member_id,
            "kind": self.kind,
            "occurred_at": self.occurred_at.isoformat(),
            "quantity": self.quantity if isinstance(self.quantity, int) else canonical(self.quantity),
            "reported_at": None if self.reported_at is None else self.reported_at.isoformat(),
            "attributes": {k: canonical(v) if isinstance(v, Decimal) else v for k, v in self.attributes.items()},
        }


@attrs.frozen
class Award:
    """Points a plugin gives a member for a period (a period award), before it is booked."""

    kind: str = attrs.field(converter=_kind)
    points: Decimal = attrs.field(converter=_points)
    reason: str = "period_award"
    note: str = ""


@attrs.frozen
class Entry:
    """One immutable ledger line (台账记录). ``points`` are quantized to 0.01.

    ``reason`` is ``rule`` (a rule's award), ``cap`` (clipped or zeroed by a cap), ``derived``
    (a deduction derived from another event, named in ``ref``), ``period_award`` or
    ``reversal``/``correction`` (see the review and appeals docs).
    """

    seq: int
    member_id: str
    event_id: str
    kind: str
    period: str
    day: str
    points: Decimal
    coefficient: Decimal
    quantity: str
    rule: str
    ruleset: str
    version: str
    digest: str
    reason: str
    ref: str
    prev_hash: str
    hash: str


@attrs.frozen
class PeriodSummary:
    """What period-award plugins see of one member's month before it is settled.

    ``quantities`` and ``points`` are per event kind (booked entries only); ``ratings`` are the
    ``stars`` of the month's booked ``rating`` events, in order of occurrence.
    """

    member_id: str
    period: str
    score: Decimal
    quantities: Mapping[str, Decimal] = attrs.field(factory=dict, hash=False)
    points: Mapping[str, Decimal] = attrs.field(factory=dict, hash=False)
    ratings: tuple[int, ...] = ()
