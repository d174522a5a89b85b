"""Admission: whether an event can be scored now — known, active member; believable times;
a rule-set version in effect, a rule that matches and a quantity within the rule's bounds.
Refusals carry the rejection code."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo

from gridpoints.model import Event, Member
from gridpoints.ratings import RATING_KIND, stars_of
from gridpoints.rules.compiled import CompiledRule, CompiledVersion, RuleBook

__all__ = ["Admission", "Refusal"]


class Refusal(Exception):
    """An event cannot be scored: ``code`` is its rejection code, ``message`` names the field."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Admission:
    """Validates events against the engine's members and rule book (one per pipeline)."""

    def __init__(self, members: Mapping[str, Member], rulebook: RuleBook, tz: tzinfo) -> None:
        self.members = members
        self.rulebook = rulebook
        self.tz = tz

    def admit(self, event: Event, deadline: datetime) -> tuple[Member, CompiledVersion, CompiledRule]:
        """The event's member, rule-set version and matching rule; Refusal with a code if none.

        ``deadline`` is the latest believable time (the clock plus its tolerance).
        """
        member = self.members.get(event.member_id)
        if member is None:
            raise Refusal("unknown_member", f"member_id: no member {event.member_id!r}")
        if event.occurred_at > deadline:
            raise Refusal("invalid", f"occurred_at: {event.occurred_at.isoformat()} is in the future")
        if event.reported_at is not None and event.reported_at > deadline:
            raise Refusal("invalid", f"reported_at: {event.reported_at.isoformat()} is in the future")
        if event.kind not in self.rulebook.kinds:
            raise Refusal("unknown_kind", f"kind: rule set {self.rulebook.id} has no rule for {event.kind!r}")
        if event.kind == RATING_KIND and stars_of(event.attributes) is None:
            raise Refusal(
                "invalid",
                f"attributes.stars: {event.attributes.get('stars')!r} is not a whole number of stars from 1 to 5",
            )
        version = self.rulebook.version_at(event.occurred_at)
        if version is None:
            first = self.rulebook.versions[0]
            raise Refusal(
                "no_rule_version",
                f"occurred_at: {event.occurred_at.isoformat()} is before rule set "
                f"{self.rulebook.id}'s first version {first.ruleset.version} "
                f"(effective {first.ruleset.effective_from})",
            )
        rule = version.match(event.kind, event.attributes)
        if rule is None:
            if event.kind not in version.by_kind:
                raise Refusal(
                    "unknown_kind",
                    f"kind: rule set {self.rulebook.id} version {version.ruleset.version} "
                    f"has no rule for {event.kind!r}",
                )
            raise Refusal(
                "no_matching_rule",
                f"attributes: no rule of kind {event.kind!r} matches {dict(event.attributes)!r}",
            )
        if rule.quantity is not None:
            problem = rule.quantity.problem(event.quantity)
            if problem is not None:
                raise Refusal("quantity", f"quantity: {problem} of rule {rule.id}")
        if member.joined is not None or member.left is not None:
            day = event.occurred_at.astimezone(self.tz).date()
            if (member.joined is not None and day < member.joined) or (member.left is not None and day > member.left):
                raise Refusal(
                    "inactive_member",
                    f"occurred_at: member {member.id!r} was not active on {day} "
                    f"(joined {member.joined}, left {member.left})",
                )
        return member, version, rule
