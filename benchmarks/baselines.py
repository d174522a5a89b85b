"""The floors and peers the pipeline is measured against, over the same events.

- ``naive_scores``: the source article's ``GridMember`` logic ported to the standard rule table —
  a dict from kind to points, ``score += points`` per member; no validation, no ledger.
- ``article_scores``: the article's ``GridMember`` class as written — a method call per event
  that builds its score map, adds, and appends a text record — over the same table.
- ``raw_sqlite_insert``: ``executemany`` of ledger-shaped rows into the store's own ``entries``
  table (same schema, indexes and pragmas) in one transaction — the floor for persisting.
- ``business_rules_scores`` / ``rule_engine_scores``: the peer engines evaluating the same rule
  table per event (extra ``bench``); None when the package is not installed.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

import gridpoints as gp
from gridpoints.stores.sqlite import SQLiteStore

__all__ = [
    "article_scores",
    "ledger_shaped_rows",
    "naive_scores",
    "peer_scorers",
    "raw_sqlite_insert",
    "rule_table",
]


def rule_table() -> list[tuple[str, int, str | None, object]]:
    """The standard rule set as ``(kind, points, attribute, value)`` rows, in matching order.

    Built from ``gp.standard_ruleset()``, so every baseline scores the same table as the engine.
    """
    table: list[tuple[str, int, str | None, object]] = []
    for rule in gp.standard_ruleset().rules:
        if rule.when:
            (condition,) = rule.when  # the standard set has at most one equality per rule
            table.append((rule.kind, int(rule.points), condition.attribute, condition.value))
        else:
            table.append((rule.kind, int(rule.points), None, None))
    return table


class GridMember:
    """The article's ``GridMember``: a name and a running score."""

    __slots__ = ("name", "score")

    def __init__(self, name: str) -> None:
        self.name = name
        self.score: int | Decimal = 0


def naive_scores(events: Iterable[gp.Event]) -> dict[str, GridMember]:
    """Score events with plain dict look-ups: the floor any scoring engine is compared with."""
    plain: dict[str, int] = {}
    conditional: dict[str, tuple[str, object, int, int]] = {}
    table = rule_table()
    for kind, points, attribute, value in table:
        if attribute is not None:
            fallback = next(p for k, p, a, _ in table if k == kind and a is None)
            conditional[kind] = (attribute, value, points, fallback)
        elif kind not in conditional:
            plain[kind] = points
    members: dict[str, GridMember] = {}
    for event in events:
        member = members.get(event.member_id)
        if member is None:
            member = members[event.member_id] = GridMember(event.member_id)
        found = plain.get(event.kind)
        if found is None:
            attribute, value, special, fallback = conditional[event.kind]
            found = special if event.attributes.get(attribute) == value else fallback
        member.score += found * event.quantity
    return members


class ArticleGridMember:
    """The article's ``GridMember`` as written: a score and a text record per event.

    Its methods build their score map (a dict literal) on every call and record
    ``"{kind}: +{points} at {time}"``. Here the map is the standard table, copied per call as the
    literal is built per call, with the one attribute test the table needs; the time is the
    event's (the article stamps ``datetime.now()``, which costs the same to format).
    """

    def __init__(self, name: str, plain: dict[str, int], conditional: dict[str, tuple[str, object, int]]) -> None:
        self.name = name
        self.score = 0
        self.records: list[str] = []
        self._plain = plain
        self._conditional = conditional

    def add_score(self, event: gp.Event) -> int:
        """Score one event (table points × quantity) and keep a text record; return the points."""
        score_map = dict(self._plain)
        points = score_map.get(event.kind, 0)
        special = self._conditional.get(event.kind)
        if special is not None and event.attributes.get(special[0]) == special[1]:
            points = special[2]
        added = points * int(event.quantity)
        self.score += added
        self.records.append(f"{event.kind}: {added:+d} at {event.occurred_at}")
        return added


def article_scores(events: Iterable[gp.Event]) -> dict[str, ArticleGridMember]:
    """Score events with the article's class as written: one object per member, a call per event."""
    plain: dict[str, int] = {}
    conditional: dict[str, tuple[str, object, int]] = {}
    for kind, points, attribute, value in rule_table():
        if attribute is None:
            plain.setdefault(kind, points)
        else:
            conditional.setdefault(kind, (attribute, value, points))
    members: dict[str, ArticleGridMember] = {}
    for event in events:
        member = members.get(event.member_id)
        if member is None:
            member = members[event.member_id] = ArticleGridMember(event.member_id, plain, conditional)
        member.add_score(event)
    return members


def ledger_shaped_rows(events: Iterable[gp.Event]) -> list[tuple[object, ...]]:
    """One ``entries`` row per event, with the same ids and realistic field sizes.

    The hashes are computed here, outside any timing: the floor measures only the insert.
    """
    rows: list[tuple[object, ...]] = []
    prev = "0" * 64
    for seq, event in enumerate(events, start=1):
        digest = hashlib.sha256(f"{prev}{seq}".encode()).hexdigest()
        local = event.occurred_at
        rows.append(
            (
                seq,
                event.member_id,
                event.id,
                event.kind,
                f"{local.year:04d}-{local.month:02d}",
                local.date().isoformat(),
                500,
                "1",
                "1",
                event.kind,
                "standard",
                "2000-01-01",
                digest,
                "rule",
                "",
                prev,
                digest,
            )
        )
        prev = digest
    return rows


def raw_sqlite_insert(path: str, rows: Sequence[tuple[object, ...]]) -> None:
    """Insert ``rows`` into a fresh store file's ``entries`` table in one transaction.

    The file is created by ``SQLiteStore`` so schema, indexes and WAL mode are the store's own;
    ``synchronous=FULL`` as the store uses. The caller times this call.
    """
    SQLiteStore(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = FULL")
        marks = ", ".join("?" * 17)
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO entries VALUES ({marks})", rows)
        conn.execute("COMMIT")
    finally:
        conn.close()


#: Scores events; returns member id → points (ints: the standard table has whole points).
Scorer = Callable[[Sequence[gp.Event]], dict[str, int]]


def _business_rules() -> Scorer | None:
    try:
        from business_rules import run_all
        from business_rules.actions import BaseActions, rule_action
        from business_rules.fields import FIELD_NUMERIC
        from business_rules.variables import BaseVariables, string_rule_variable
    except ImportError:
        return None

    class EventVariables(BaseVariables):
        def __init__(self, event: gp.Event) -> None:
            self.event = event

        @string_rule_variable
        def kind(self) -> str:
            return self.event.kind

        @string_rule_variable
        def severity(self) -> str:
            return str(self.event.attributes.get("severity", ""))

    class ScoreActions(BaseActions):
        def __init__(self, totals: dict[str, int], event: gp.Event) -> None:
            self.totals = totals
            self.event = event

        @rule_action(params={"points": FIELD_NUMERIC})
        def add_points(self, points: int) -> None:
            member = self.event.member_id
            self.totals[member] = self.totals.get(member, 0) + points * int(self.event.quantity)

    rules: list[dict[str, Any]] = []
    for kind, points, attribute, value in rule_table():
        conditions: list[dict[str, object]] = [{"name": "kind", "operator": "equal_to", "value": kind}]
        if attribute is not None:
            conditions.append({"name": attribute, "operator": "equal_to", "value": value})
        rules.append(
            {"conditions": {"all": conditions}, "actions": [{"name": "add_points", "params": {"points": points}}]}
        )

    def score(events: Sequence[gp.Event]) -> dict[str, int]:
        totals: dict[str, int] = {}
        for event in events:
            run_all(rules, EventVariables(event), ScoreActions(totals, event), stop_on_first_trigger=True)
        return totals

    return score


def _rule_engine() -> Scorer | None:
    try:
        import rule_engine
    except ImportError:
        return None
    context = rule_engine.Context(default_value=None)
    compiled = []
    for kind, points, attribute, value in rule_table():
        text = f"kind == {kind!r}"
        if attribute is not None:
            text += f" and {attribute} == {value!r}"
        compiled.append((rule_engine.Rule(text, context=context), points))

    def score(events: Sequence[gp.Event]) -> dict[str, int]:
        totals: dict[str, int] = {}
        for event in events:
            thing = {"kind": event.kind, **event.attributes}
            for rule, points in compiled:
                if rule.matches(thing):
                    totals[event.member_id] = totals.get(event.member_id, 0) + points * int(event.quantity)
                    break
        return totals

    return score


def peer_scorers() -> dict[str, Scorer | None]:
    """Peer engine name → a scorer over events, or None when that package is not installed."""
    return {"business-rules": _business_rules(), "rule-engine": _rule_engine()}
