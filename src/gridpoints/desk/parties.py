"""Nobody decides their own case: who the parties of a case are, and when two names are one person.

``by`` is free text (a login name, 审核员王, a member id), so "the same person" is decided on
names as people type them: trimmed, NFKC-normalised (full-width ``Ｒ１`` is ``R1``) and case-folded
(``R1`` is ``r1``). See docs/fair-play.md, "Nobody decides their own case".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping

from gridpoints.errors import ReviewError
from gridpoints.model import Member

__all__ = ["Party", "member_parties", "person_key", "refuse_own_case", "same_person"]

#: A party of a case: how a message names it (``member 'M001'``) and the name it goes by.
Party = tuple[str, str]


def person_key(name: str) -> str:
    """``name`` as compared for "the same person": NFKC, case-folded, NFKC again (folding can
    un-normalise), trimmed."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return folded.strip()


def same_person(a: str, b: str) -> bool:
    """Whether two names are one person under ``person_key``."""
    return person_key(a) == person_key(b)


def member_parties(members: Mapping[str, Member], member_id: str) -> list[Party]:
    """A member as a party: their id, and their name when the engine knows one (a reviewer who
    shares a member's name must act under another, say ``张伟（审核）``)."""
    parties: list[Party] = [(f"member {member_id!r}", member_id)]
    member = members.get(member_id)
    if member is not None and member.name:
        parties.append((f"the name of member {member_id!r}", member.name))
    return parties


def refuse_own_case(by: str, case: str, parties: Iterable[Party]) -> None:
    """ReviewError naming the party when ``by`` is one of ``case``'s parties."""
    key = person_key(by)
    for described, name in parties:
        if person_key(name) == key:
            raise ReviewError(
                f"by: {by!r} is {described}, a party to {case}; nobody may decide their own case — "
                "another person must"
            )
