"""Rule sets as data: read a TOML rule file into RuleSet versions (docs/rules.md).

The file is parsed with ``tomllib`` (numbers with a fraction become ``Decimal``, never float),
then every key is checked against the schema below; nothing in the file is ever executed.
Any problem raises ``RuleFileError`` naming the file, the line and the key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from gridpoints.errors import RuleFileError
from gridpoints.rules._toml_lines import KeyLines, TooDeep
from gridpoints.rules._toml_values import KeyPath, ValueReader, show_path, type_name
from gridpoints.rules._types import MAX_REPORT_DEADLINE_HOURS, OPERATORS, Rule, RuleSet
from gridpoints.rules.bounds import LIMIT_SCOPES

__all__ = ["RuleSource", "load_rules", "parse_rules", "read_rule_file"]

#: The kind of the deduction a late report of a ``reportable`` kind books.
LATE_REPORT = "late_report"
_FILE_KEYS = frozenset({"id", "label", "versions"})
_VERSION_KEYS = frozenset(
    {
        "version", "effective_from", "label", "rules", "coefficients", "grades", "reportable",
        "report_deadline_hours", "checks", "regions", "grids", "titles",
    }
)
_RULE_KEYS = frozenset({"kind", "points", "label", "label_en", "id", "when", "cap"})
# Keys of assessment schemes, named apart in "unknown key" messages.
_VERSION_SCHEME_KEYS = frozenset({"assessment", "sections", "tallies"})
_RULE_SCHEME_KEYS = frozenset({"section", "quantity", "limit", "veto"})
_ASSESSMENT_KEYS = frozenset({"period", "base", "year", "min_months_in_post"})
_SECTION_KEYS = frozenset({"id", "label", "label_en", "base", "min", "max", "weight"})
_BAND_KEYS = frozenset({"code", "label", "label_en", "min"})
_TALLY_KEYS = frozenset({"id", "kinds", "over", "points", "section", "label", "label_en"})
_NUMERIC_OPS = frozenset({"gt", "gte", "lt", "lte"})
_LIST_OPS = frozenset({"in", "not_in"})


class _Reader(ValueReader):
    """Reads one parsed document as a rule file: the schema of versions, rules and schemes."""

    # -- parts of a version ----------------------------------------------------------------

    def when(self, value: object, path: KeyPath) -> dict[str, object]:
        """Conditions, checked here so errors carry lines; ``Rule`` normalises them again."""
        if not isinstance(value, dict):
            raise self.fail(path, f"is {type_name(value)}; expected a table of attribute conditions")
        result: dict[str, object] = {}
        for attribute, test in value.items():
            here = (*path, attribute)
            if not isinstance(test, dict):
                result[attribute] = self.scalar(test, here)
                continue
            if not test:
                raise self.fail(here, "empty condition")
            ops: dict[str, object] = {}
            for op, operand in test.items():
                at = (*here, op)
                if op not in OPERATORS:
                    raise self.fail(at, f"unknown operator (use one of {', '.join(OPERATORS)})")
                if op in _NUMERIC_OPS:
                    ops[op] = self.number(operand, at)
                elif op in _LIST_OPS:
                    if not isinstance(operand, list) or not operand:
                        raise self.fail(at, f"is {type_name(operand)}; expected a non-empty array of values")
                    ops[op] = [self.scalar(item, (*at, i)) for i, item in enumerate(operand)]
                else:
                    ops[op] = self.scalar(operand, at)
            result[attribute] = ops
        return result

    def cap(self, value: object, path: KeyPath) -> dict[str, Decimal]:
        table = self.table(value, path, frozenset({"day", "month"}))
        if len(table) != 1:
            raise self.fail(path, "give exactly one of day = N or month = N")
        ((per, points),) = table.items()
        amount = self.number(points, (*path, per))
        if amount < 0:
            raise self.fail((*path, per), f"{amount} must not be negative")
        return {per: amount}

    def rule(self, value: object, path: KeyPath) -> Rule:
        table = self.table(value, path, _RULE_KEYS, _RULE_SCHEME_KEYS)
        kind = self.text(self.required(table, "kind", path), (*path, "kind"))
        points = self.number(self.required(table, "points", path), (*path, "points"))
        options: dict[str, Any] = {}
        for key in ("label", "label_en", "id"):
            if key in table:
                options[key] = self.text(table[key], (*path, key))
        if "when" in table:
            options["when"] = self.when(table["when"], (*path, "when"))
        if "cap" in table:
            options["cap"] = self.cap(table["cap"], (*path, "cap"))
        if "section" in table:
            options["section"] = self.text(table["section"], (*path, "section"))
        if "quantity" in table:
            here = (*path, "quantity")
            bounds = self.table(table["quantity"], here, frozenset({"min", "max"}))
            if not bounds:
                raise self.fail(here, "give min, max or both")
            options["quantity"] = self.fields(bounds, here, numbers=("min", "max"))
        if "limit" in table:
            options["limit"] = self.limit(table["limit"], (*path, "limit"))
        if "veto" in table:
            options["veto"] = self.boolean(table["veto"], (*path, "veto"))
        try:
            return Rule(kind, points, **options)
        except (TypeError, ValueError) as error:
            raise self.located(error, table, path) from None

    def limit(self, value: object, path: KeyPath) -> dict[str, Decimal]:
        table = self.table(value, path, frozenset(LIMIT_SCOPES))
        if len(table) != 1:
            raise self.fail(path, f"give exactly one of {', '.join(f'{s} = N' for s in LIMIT_SCOPES)}")
        ((per, units),) = table.items()
        amount = self.number(units, (*path, per))
        if amount <= 0:
            raise self.fail((*path, per), f"{amount} must be positive")
        return {per: amount}

    # -- an assessment scheme ------------------------------------------------------------

    def assessment(self, value: object, path: KeyPath) -> dict[str, Any]:
        table = self.table(value, path, _ASSESSMENT_KEYS)
        found = self.fields(table, path, texts=("period",), numbers=("base",))
        if "min_months_in_post" in table:
            found["min_months_in_post"] = self.whole(table["min_months_in_post"], (*path, "min_months_in_post"))
        if "year" in table:
            year = table["year"]
            if isinstance(year, list):
                found["year"] = [self.number(w, (*path, "year", i)) for i, w in enumerate(year)]
            elif isinstance(year, str):
                found["year"] = year
            else:
                expected = 'expected "sum", "mean" or an array of weights'
                raise self.fail((*path, "year"), f"is {type_name(year)}; {expected}")
        return found

    def sections(self, value: object, path: KeyPath) -> list[dict[str, Any]]:
        texts, numbers = ("id", "label", "label_en"), ("base", "min", "max", "weight")
        return self.records(value, path, "sections", _SECTION_KEYS, ("id", "label"), texts=texts, numbers=numbers)

    def bands(self, value: object, path: KeyPath) -> list[dict[str, Any]]:
        texts = ("code", "label", "label_en")
        return self.records(value, path, "grades", _BAND_KEYS, ("code", "label"), texts=texts, numbers=("min",))

    def tallies(self, value: object, path: KeyPath) -> list[dict[str, Any]]:
        tables = self.tables(value, path, "tallies")
        texts = ("id", "section", "label", "label_en")
        found = self.records(tables, path, "tallies", _TALLY_KEYS, ("id", "kinds", "points"), texts=texts,
                             numbers=("points",))  # fmt: skip
        for i, (item, table) in enumerate(zip(found, tables, strict=True)):
            here = (*path, i)
            kinds = table["kinds"]
            if not isinstance(kinds, list) or not kinds:
                raise self.fail((*here, "kinds"), f"is {type_name(kinds)}; expected a non-empty array of event kinds")
            item["kinds"] = [self.text(kind, (*here, "kinds", j)) for j, kind in enumerate(kinds)]
            if "over" in table:
                item["over"] = self.whole(table["over"], (*here, "over"))
        return found

    def rules(self, value: object, path: KeyPath) -> list[Rule]:
        if not isinstance(value, list) or not value:
            raise self.fail(path, f"is {type_name(value)}; expected [[rules]] tables (at least one)")
        rules = [self.rule(item, (*path, i)) for i, item in enumerate(value)]
        self._refuse_duplicates(rules, path)
        return rules

    def _refuse_duplicates(self, rules: Sequence[Rule], path: KeyPath) -> None:
        """Refuse a rule that could never apply, and two rules with one id."""
        ids: dict[str, int] = {}
        seen: dict[tuple[str, tuple[str, ...]], int] = {}
        catch_all: dict[str, int] = {}
        for i, rule in enumerate(rules):
            here = (*path, i)
            if rule.id is not None:
                if rule.id in ids:
                    also = show_path((*path, ids[rule.id]))
                    raise self.fail((*here, "id"), f"duplicate rule id {rule.id!r} (also {also})")
                ids[rule.id] = i
            if rule.kind in catch_all:
                earlier = show_path((*path, catch_all[rule.kind]))
                raise self.fail(
                    here,
                    f"duplicate rule: {earlier} already matches every {rule.kind!r} event, so this one never applies",
                )
            conditions = (rule.kind, tuple(repr(c.key()) for c in rule.when))
            if conditions in seen:
                raise self.fail(
                    here,
                    f"duplicate rule: same kind {rule.kind!r} and conditions as {show_path((*path, seen[conditions]))}",
                )
            seen[conditions] = i
            if not rule.when:
                catch_all[rule.kind] = i

    def effective_from(self, value: object, path: KeyPath) -> date:
        if isinstance(value, datetime):
            raise self.fail(path, f"{value.isoformat()} is a date-time; write a date like 2026-01-01")
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise self.fail(path, f"{value!r} is not a date like 2026-01-01") from None
        raise self.fail(path, f"is {type_name(value)}; expected a date like 2026-01-01")

    def version(self, value: object, path: KeyPath, ruleset_id: str, file_label: str | None) -> RuleSet:
        table = self.table(value, path, _VERSION_KEYS | ({"id"} if not path else frozenset()), _VERSION_SCHEME_KEYS)
        version = self.text(self.required(table, "version", path), (*path, "version"))
        starts = self.effective_from(self.required(table, "effective_from", path), (*path, "effective_from"))
        rules = self.rules(self.required(table, "rules", path), (*path, "rules"))
        options: dict[str, Any] = {"label": file_label}
        if "label" in table:
            options["label"] = self.text(table["label"], (*path, "label"))
        if "coefficients" in table:
            here = (*path, "coefficients")
            coefficients = self.table(table["coefficients"], here, frozenset(table["coefficients"]))
            options["coefficients"] = {
                region: self.number(number, (*here, region)) for region, number in coefficients.items()
            }
        if "grades" in table:
            here = (*path, "grades")
            if isinstance(table["grades"], list):
                options["grades"] = self.bands(table["grades"], here)
            else:
                grades = self.table(table["grades"], here, frozenset({"excellent", "qualified"}))
                options["grades"] = {key: self.number(number, (*here, key)) for key, number in grades.items()}
        if "assessment" in table:
            options["assessment"] = self.assessment(table["assessment"], (*path, "assessment"))
        if "sections" in table:
            options["sections"] = self.sections(table["sections"], (*path, "sections"))
        if "tallies" in table:
            options["tallies"] = self.tallies(table["tallies"], (*path, "tallies"))
        if "reportable" in table:
            here = (*path, "reportable")
            kinds = table["reportable"]
            if not isinstance(kinds, list):
                raise self.fail(here, f"is {type_name(kinds)}; expected an array of event kinds")
            options["reportable"] = tuple(self.text(kind, (*here, i)) for i, kind in enumerate(kinds))
            if options["reportable"] and not any(rule.kind == LATE_REPORT for rule in rules):
                raise self.fail(
                    here,
                    f"lists kinds whose late reports cost points, but no rule has kind {LATE_REPORT!r}, so they "
                    f'would cost nothing; add [[rules]] kind = "{LATE_REPORT}" with negative points, or leave '
                    "reportable out (late-report deductions are then off)",
                )
        if "report_deadline_hours" in table:
            here = (*path, "report_deadline_hours")
            hours = self.number(table["report_deadline_hours"], here)
            if hours < 0:
                raise self.fail(here, f"{hours} must not be negative")
            if hours > MAX_REPORT_DEADLINE_HOURS:
                raise self.fail(here, f"{hours} is beyond the bound of {MAX_REPORT_DEADLINE_HOURS:,} hours")
            options["report_deadline"] = timedelta(microseconds=int(hours * 3_600_000_000))
        for key in ("checks", "regions", "grids", "titles"):  # checked by RuleSet; errors located
            if key in table:
                options[key] = self.table(table[key], (*path, key), frozenset(table[key]))
        try:
            return RuleSet(ruleset_id, version, starts, rules, **options)
        except (TypeError, ValueError) as error:
            # The message starts with the field it is about (coefficients.rural: …).
            raise self.located(error, table, path) from None

    def document(self, data: dict[str, Any]) -> tuple[RuleSet, ...]:
        ruleset_id = self.text(self.required(data, "id", ()), ("id",))
        file_label = self.text(data["label"], ("label",)) if "label" in data else None
        if "versions" not in data:
            return (self.version({k: v for k, v in data.items() if k != "label"}, (), ruleset_id, file_label),)
        self.table(data, (), _FILE_KEYS)
        versions = data["versions"]
        if not isinstance(versions, list) or not versions:
            raise self.fail(("versions",), f"is {type_name(versions)}; expected [[versions]] tables (at least one)")
        result: list[RuleSet] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(versions):
            ruleset = self.version(item, ("versions", i), ruleset_id, file_label)
            if ruleset.version in seen:
                raise self.fail(
                    ("versions", i, "version"),
                    f"duplicate version {ruleset.version!r} (also {show_path(('versions', seen[ruleset.version]))})",
                )
            seen[ruleset.version] = i
            result.append(ruleset)
        return tuple(result)


def parse_rules(text: str, source: str = "<string>") -> tuple[RuleSet, ...]:
    """Read the versions of one rule set from TOML ``text``; ``source`` names it in errors."""
    try:
        lines = KeyLines(text)  # first: it refuses nesting that would exhaust tomllib
    except TooDeep as error:
        raise RuleFileError(source, error.line, None, f"not a rule file: {error}") from None
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        raise RuleFileError(source, _decode_error_line(error), None, f"not valid TOML: {error}") from None
    except (ValueError, RecursionError) as error:  # an integer of over 4,300 digits; nesting
        raise RuleFileError(source, None, None, f"not a rule file: {error}") from None
    return _Reader(source, lines).document(data)


def _decode_error_line(error: tomllib.TOMLDecodeError) -> int | None:
    line = getattr(error, "lineno", None)  # Python 3.14 adds it; older versions say it in the text
    if isinstance(line, int):
        return line
    marker = "line "
    text = str(error)
    at = text.rfind(marker)
    if at < 0:
        return None
    digits = "".join(c for c in text[at + len(marker) :].split(",")[0] if c.isdigit())
    return int(digits) if digits else None


#: What ``load_rules`` reads: a path, or a package resource (``importlib.resources.files(pkg) / "x.toml"``).
RuleSource = str | os.PathLike[str] | Traversable


def read_rule_file(path: RuleSource) -> tuple[str, bytes]:
    """The name a rule file is known by (an absolute path, or a package resource's text) and its
    bytes; ``FileNotFoundError`` when it does not exist, a ``RuleFileError`` for a directory."""
    if isinstance(path, Traversable) and not isinstance(path, os.PathLike):
        file: Traversable = path
        name = str(path)
    else:
        file = Path(path)
        name = os.path.abspath(file)
    if file.is_dir():
        raise RuleFileError(str(file), None, None, "is a directory, not a rule file")
    return name, file.read_bytes()


def decode_rules(raw: bytes, source: str) -> tuple[RuleSet, ...]:
    """The versions in a rule file's bytes (UTF-8, a BOM allowed); ``source`` names it in errors."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise RuleFileError(source, line, None, "is not UTF-8 (TOML files must be)") from None
    return parse_rules(text, source)


def load_rules(path: RuleSource) -> tuple[RuleSet, ...]:
    """Read a TOML rule file into its rule-set versions (one, or one per ``[[versions]]``).

    ``path`` is a file path or a package resource, so a locality's package can ship its rules
    as data: ``load_rules(importlib.resources.files("gridpoints_county") / "rules.toml")``
    works in an installed wheel, a zip or a source tree alike.

    Raises ``RuleFileError`` (a ``ConfigurationError``) naming file, line and key on any
    problem, and ``FileNotFoundError`` when the file does not exist.
    """
    file = path if isinstance(path, Traversable) and not isinstance(path, os.PathLike) else Path(path)
    if file.is_dir():
        raise RuleFileError(str(file), None, None, "is a directory, not a rule file")
    return decode_rules(file.read_bytes(), str(file))
