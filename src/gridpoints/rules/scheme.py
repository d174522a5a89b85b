"""Assessment schemes (百分制 scorecards): what a rule set says about assessed periods.

A scheme is data on a rule-set version: the period members are graded on, a base score,
sections (考核项目) with a base, a floor, a ceiling and a weight, count bonuses (tallies) and
grade bands. None of it is booked: the ledger keeps raw entries and
``gridpoints.results.scheme`` derives the assessed score when a period is read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from gridpoints._decimal import MAX_COEFFICIENT, MAX_POINTS, bounded, canonical, to_decimal
from gridpoints._validate import check_id
from gridpoints.model import Grade
from gridpoints.periods import PERIOD_KINDS

__all__ = [
    "YEAR_RULES",
    "Assessment",
    "GradeBand",
    "Section",
    "Tally",
    "to_assessment",
    "to_bands",
    "to_sections",
    "to_tallies",
]

#: How a year is made of its assessed periods, besides explicit weights.
YEAR_RULES = ("sum", "mean")
_CODE = re.compile(r"^[a-z_]+$")
_PART_NAMES = {"month": "month", "quarter": "quarter", "half": "half-year", "year": "year"}
T = TypeVar("T")


def _text(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field}: {value!r} is not a non-empty text")
    return value


def _optional_text(field: str, value: object) -> str | None:
    return None if value is None else _text(field, value)


def _whole(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or value != int(value) or value < 0:
        raise ValueError(f"{field}: {value!r} is not a whole number ≥ 0")
    return int(value)


# Named converters (attrs and mypy need them named): each error names its field.
def _label(value: object) -> str:
    return _text("label", value)


def _label_en(value: object) -> str | None:
    return _optional_text("label_en", value)


def _optional_label(value: object) -> str | None:
    return _optional_text("label", value)


def _base(value: object) -> Decimal:
    return bounded(to_decimal(value, "base"), "base", MAX_POINTS)


def _points(value: object) -> Decimal:
    return bounded(to_decimal(value, "points"), "points", MAX_POINTS)


def _weight(value: object) -> Decimal:
    return bounded(to_decimal(value, "weight"), "weight", MAX_COEFFICIENT)


def _min(value: object) -> Decimal | None:
    return None if value is None else bounded(to_decimal(value, "min"), "min", MAX_POINTS)


def _max(value: object) -> Decimal | None:
    return None if value is None else bounded(to_decimal(value, "max"), "max", MAX_POINTS)


def _over(value: object) -> int:
    return _whole("over", value)


def _months_in_post(value: object) -> int:
    return _whole("min_months_in_post", value)


def _check_id_field(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_id(attribute.name, value)


@attrs.frozen
class Section:
    """A section (考核项目) of the scorecard: its score in an assessed period is
    ``clamp(base + Σ its rules' points + its tallies, min, max) × weight``."""

    id: str = attrs.field(validator=_check_id_field)
    label: str = attrs.field(converter=_label)
    label_en: str | None = attrs.field(default=None, converter=_label_en, kw_only=True)
    base: Decimal = attrs.field(default=Decimal(0), converter=_base, kw_only=True)
    min: Decimal | None = attrs.field(default=None, converter=_min, kw_only=True)
    max: Decimal | None = attrs.field(default=None, converter=_max, kw_only=True)
    weight: Decimal = attrs.field(default=Decimal(1), converter=_weight, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError(f"max: {canonical(self.max)} is below min {canonical(self.min)}")
        if self.weight <= 0:
            raise ValueError(f"weight: {canonical(self.weight)} must be positive")

    def clamp(self, raw: Decimal) -> Decimal:
        """``base + raw`` held within ``[min, max]`` (before the weight)."""
        value = self.base + raw
        if self.max is not None and value > self.max:
            value = self.max
        if self.min is not None and value < self.min:
            value = self.min
        return value

    def display(self, lang: str = "zh") -> str:
        """The label in ``lang`` (English falls back to the Chinese label)."""
        return (self.label_en or self.label) if lang == "en" else self.label

    def key(self) -> list[object]:
        """What scores (labels excluded), for the rule set digest."""
        bounds = [None if b is None else canonical(b) for b in (self.min, self.max)]
        return [self.id, canonical(self.base), *bounds, canonical(self.weight)]


def _kinds(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(f"kinds: {value!r} is not a list of event kinds")
    kinds = tuple(value)
    if not kinds:
        raise ValueError("kinds: give at least one event kind")
    for i, kind in enumerate(kinds):
        check_id(f"kinds[{i + 1}]", kind)
    return kinds


@attrs.frozen
class Tally:
    """A count bonus per assessed period: booked, unreversed events of ``kinds`` beyond
    ``over`` earn ``points`` each (negative for a deduction), in ``section`` if given."""

    id: str = attrs.field(validator=_check_id_field)
    kinds: tuple[str, ...] = attrs.field(converter=_kinds)
    points: Decimal = attrs.field(converter=_points)
    over: int = attrs.field(default=0, converter=_over, kw_only=True)
    section: str | None = attrs.field(default=None, kw_only=True)
    label: str | None = attrs.field(default=None, converter=_optional_label, kw_only=True)
    label_en: str | None = attrs.field(default=None, converter=_label_en, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.section is not None:
            check_id("section", self.section)

    def earned(self, count: int) -> Decimal:
        """Points for ``count`` events: each one beyond ``over`` earns ``points``."""
        return max(0, count - self.over) * self.points

    def display(self, lang: str = "zh") -> str:
        """The label in ``lang``, falling back to the other language and then the id."""
        if lang == "en":
            return self.label_en or self.label or self.id
        return self.label or self.label_en or self.id

    def key(self) -> list[object]:
        """What scores (labels excluded), for the rule set digest."""
        return [self.id, list(self.kinds), self.over, canonical(self.points), self.section]


@attrs.frozen
class GradeBand:
    """One grade band: a score at or above ``min`` gets this grade (the last band has no min)."""

    code: str = attrs.field()
    label: str = attrs.field(converter=_label)
    label_en: str | None = attrs.field(default=None, converter=_label_en, kw_only=True)
    min: Decimal | None = attrs.field(default=None, converter=_min, kw_only=True)

    @code.validator
    def _code(self, _attribute: attrs.Attribute[str], value: object) -> None:
        if not isinstance(value, str) or not _CODE.match(value):
            raise ValueError(f"code: {value!r} is not a grade code of lower-case letters and _ (like 'basic')")

    def grade(self, band: int) -> Grade:
        """This band as a Grade (``band``: its place in the scale, 0 for the best)."""
        return Grade(self.code, self.label, self.label_en, band).interned()

    def key(self) -> list[object]:
        """What grades (labels excluded), for the rule set digest."""
        return [self.code, None if self.min is None else canonical(self.min)]


def _year(value: object) -> str | tuple[Decimal, ...]:
    if isinstance(value, str):
        if value not in YEAR_RULES:
            raise ValueError(f"year: {value!r} is not sum, mean or a list of weights")
        return value
    if not isinstance(value, Iterable):
        raise TypeError(f"year: {value!r} is not sum, mean or a list of weights")
    return tuple(bounded(to_decimal(w, f"year[{i + 1}]"), f"year[{i + 1}]", Decimal(1)) for i, w in enumerate(value))


@attrs.frozen
class Assessment:
    """What a member is graded on: the assessed period, a base score, how a year is made of its
    assessed periods (``sum``, ``mean`` or weights in order), and months in post needed."""

    period: str = attrs.field(default="month")
    base: Decimal = attrs.field(default=Decimal(0), converter=_base)
    year: str | tuple[Decimal, ...] = attrs.field(default="sum", converter=_year)
    min_months_in_post: int = attrs.field(default=0, converter=_months_in_post)

    def __attrs_post_init__(self) -> None:
        if self.period not in PERIOD_KINDS:
            raise ValueError(f"period: {self.period!r} is not month, quarter, half or year")
        if isinstance(self.year, tuple):
            parts = 12 // PERIOD_KINDS[self.period]
            if len(self.year) != parts:
                name = _PART_NAMES[self.period]
                count = f"{len(self.year)} weights for {parts} {name}s in a year"
                raise ValueError(f"year: {count} (give one weight per {name}, in order)")
            for i, weight in enumerate(self.year):
                if weight < 0:
                    raise ValueError(f"year[{i + 1}]: {canonical(weight)} must not be negative")
            total = sum(self.year, Decimal(0))
            if total != 1:
                raise ValueError(f"year: the weights sum to {canonical(total)}, not 1")

    @property
    def is_default(self) -> bool:
        """Whether this is today's behaviour: monthly, no base, years summed, everyone assessed."""
        return self == Assessment()

    def key(self) -> list[object]:
        """What scores, for the rule set digest."""
        year = self.year if isinstance(self.year, str) else [canonical(w) for w in self.year]
        return [self.period, canonical(self.base), year, self.min_months_in_post]


def _items(name: str, value: object, make: Callable[..., T], kind: type[T]) -> tuple[T, ...]:
    """Each item of ``value`` as ``kind`` (mappings are keyword arguments); errors say which one."""
    if value is None:
        return ()
    if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
        raise TypeError(f"{name}: {value!r} is not a list")
    result: list[T] = []
    for i, item in enumerate(value):
        if isinstance(item, kind):
            result.append(item)
            continue
        if not isinstance(item, Mapping):
            raise TypeError(f"{name}[{i + 1}]: {item!r} is not a {kind.__name__} or a mapping")
        try:
            result.append(make(**item))
        except (TypeError, ValueError) as error:
            raise type(error)(f"{name}[{i + 1}].{error}") from None
    return tuple(result)


def _unique(name: str, field: str, values: Sequence[str]) -> None:
    seen: dict[str, int] = {}
    for i, value in enumerate(values):
        if value in seen:
            raise ValueError(f"{name}[{i + 1}].{field}: duplicate {field} {value!r} (also {name}[{seen[value] + 1}])")
        seen[value] = i


def to_sections(value: object) -> tuple[Section, ...]:
    """Normalise ``sections``: Sections or mappings; ids must be unique."""
    sections = _items("sections", value, Section, Section)
    _unique("sections", "id", [s.id for s in sections])
    return sections


def to_tallies(value: object) -> tuple[Tally, ...]:
    """Normalise ``tallies``: Tallies or mappings; ids must be unique."""
    tallies = _items("tallies", value, Tally, Tally)
    _unique("tallies", "id", [t.id for t in tallies])
    return tallies


def to_bands(value: object) -> tuple[GradeBand, ...]:
    """Normalise grade bands: at least two, codes unique, mins strictly descending, the last
    band without a min (it takes every lower score) and every other band with one."""
    bands = _items("grades", value, GradeBand, GradeBand)
    if len(bands) < 2:
        raise ValueError(f"grades: {len(bands)} band given; a scale needs at least two")
    _unique("grades", "code", [b.code for b in bands])
    previous: Decimal | None = None
    for i, band in enumerate(bands):
        last = i == len(bands) - 1
        if last and band.min is not None:
            raise ValueError(
                f"grades[{i + 1}].min: {canonical(band.min)} on the last band; leave it out "
                "(the last band takes every lower score)"
            )
        if not last and band.min is None:
            raise ValueError(f"grades[{i + 1}].min: missing; every band but the last needs a min")
        if band.min is not None and previous is not None and band.min >= previous:
            raise ValueError(
                f"grades[{i + 1}].min: {canonical(band.min)} is not below grades[{i}].min {canonical(previous)} "
                "(bands go highest first)"
            )
        previous = band.min
    return bands


def to_assessment(value: object) -> Assessment:
    """Normalise ``assessment``: None (today's behaviour), an Assessment or a mapping."""
    if value is None:
        return Assessment()
    if isinstance(value, Assessment):
        return value
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {"period", "base", "year", "min_months_in_post"})
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown key (use period, base, year, min_months_in_post)")
        return Assessment(**value)
    raise TypeError(f"assessment: {value!r} is not a mapping like {{'period': 'quarter'}}")
