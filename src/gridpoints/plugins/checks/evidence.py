"""Built-in check ``evidence``: high-value self-reported work needs proof (佐证材料)."""

from __future__ import annotations

from collections.abc import Mapping

from gridpoints.checks import Verdict
from gridpoints.model import Event
from gridpoints.plugins.checks._base import BuiltinCheck
from gridpoints.timeline import Timeline

__all__ = ["DEFAULT_EVIDENCE_KINDS", "Evidence"]

#: Kind → attribute conditions (all must equal) under which the kind needs evidence.
DEFAULT_EVIDENCE_KINDS: Mapping[str, Mapping[str, str] | None] = {
    "mediation": None,
    "group_incident": None,
    "suggestion_adopted": None,
    "hazard": {"severity": "major"},
}

_TRUE = frozenset({"true", "yes", "y", "1", "是"})


def _present(value: object) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return True


def _verified(value: object) -> bool:
    if value is True:
        return True
    if isinstance(value, int) and not isinstance(value, bool):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in _TRUE


class Evidence(BuiltinCheck):
    """Hold high-value self-reported events that carry neither evidence nor a verified mark.

    Options: ``kinds`` — kind → None (always) or attribute conditions (for example the default
    ``{"hazard": {"severity": "major"}}``: only major hazards); ``evidence_attribute``
    (default ``evidence``: any non-empty value, such as a photo or record id) and
    ``verified_attribute`` (default ``verified``: true, "true", "yes", "1" or "是").
    """

    name = "evidence"
    label = "佐证材料"
    label_en = "evidence"

    def __init__(
        self,
        *,
        kinds: Mapping[str, Mapping[str, object] | None] = DEFAULT_EVIDENCE_KINDS,
        evidence_attribute: str = "evidence",
        verified_attribute: str = "verified",
    ) -> None:
        if not isinstance(kinds, Mapping):
            raise TypeError(f"kinds: {kinds!r} is not a mapping of kind to conditions (or None)")
        for kind, condition in kinds.items():
            if condition is not None and not isinstance(condition, Mapping):
                raise TypeError(f"kinds[{kind!r}]: {condition!r} is not a mapping of attribute to value")
        self.conditions = {
            str(kind): (None if condition is None else {str(a): str(b) for a, b in condition.items()})
            for kind, condition in kinds.items()
        }
        self.kinds = frozenset(self.conditions)
        self.evidence_attribute = evidence_attribute
        self.verified_attribute = verified_attribute

    def options(self) -> dict[str, object]:
        """``kinds`` (kind → conditions, None: always), ``evidence_attribute``, ``verified_attribute``."""
        return {
            "kinds": {kind: None if c is None else dict(c) for kind, c in self.conditions.items()},
            "evidence_attribute": self.evidence_attribute,
            "verified_attribute": self.verified_attribute,
        }

    def judge(self, event: Event, at_us: int, timeline: Timeline) -> Verdict | None:
        """Hold ``event`` if its kind (and conditions) need evidence and it has none."""
        if event.kind not in self.conditions:
            return None
        condition = self.conditions[event.kind]
        attributes = event.attributes
        if condition and any(str(attributes.get(name)) != value for name, value in condition.items()):
            return None
        if _present(attributes.get(self.evidence_attribute)) or _verified(attributes.get(self.verified_attribute)):
            return None
        which = event.kind if not condition else f"{event.kind} ({', '.join(f'{k}={v}' for k, v in condition.items())})"
        return Verdict.hold(
            self.name,
            f"no evidence: {which} is high-value self-reported work but has neither "
            f"attributes[{self.evidence_attribute!r}] nor attributes[{self.verified_attribute!r}]; "
            "check the record before it counts",
        )
