"""The validated events of an ingest chunk (or of a whole call), kept in a GC-friendly shape."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby

from gridpoints.model import Event, Member
from gridpoints.rules.compiled import CompiledRule, CompiledVersion

__all__ = ["Ready"]


class Ready:
    """The events of a chunk that passed validation, as parallel lists.

    Not a tuple per event: a tuple holding an Event is tracked by Python's cyclic garbage
    collector, and thousands of them outliving a chunk get promoted to the oldest generation
    and trigger full collections over every live object (measured on 408,646 events: 7 full
    collections taking 0.76–1.37 s, about a fifth of the ingest). Lists of them are a handful
    of tracked objects per chunk.
    """

    __slots__ = ("events", "indexes", "members", "occurred", "payloads", "rules", "versions")

    def __init__(self) -> None:
        self.indexes: list[int] = []
        self.events: list[Event] = []
        self.members: list[Member] = []
        self.versions: list[CompiledVersion] = []
        self.rules: list[CompiledRule] = []
        self.occurred: list[int] = []
        self.payloads: list[str] = []

    def add(
        self,
        index: int,
        event: Event,
        member: Member,
        version: CompiledVersion,
        rule: CompiledRule,
        occurred: int,
        payload: str,
    ) -> None:
        self.indexes.append(index)
        self.events.append(event)
        self.members.append(member)
        self.versions.append(version)
        self.rules.append(rule)
        self.occurred.append(occurred)
        self.payloads.append(payload)

    def extend(self, other: Ready) -> None:
        """Append ``other``'s events (the next chunk of a call) after these."""
        for name in self.__slots__:
            getattr(self, name).extend(getattr(other, name))

    def judging_order(self) -> list[int]:
        """Positions ordered by member, then instant, then event id, then position (for a
        repeated id, the copy that came first): the order events are judged in.

        Every check, cap and count limit keeps its state per member, so each member's events
        are judged in time order whatever the other members' are; taking one member's events
        together keeps its timeline in the CPU's caches (14–21 % less time per event at 250,000
        and 1,000,000 events in random order, and less growth with the size of the call).

        Linear in the call but for small sorts: the positions are put in one group per member
        in one pass over the compact columns (the events themselves are not read), and each
        group is sorted on its own by instant, in the caches, where one sort of the whole call
        by (member, instant, id) reached across all of it. Only instants shared within a group
        (rare) read the events' ids to break the tie.
        """
        groups: dict[str, list[int]] = {}
        for position, member in enumerate(self.members):
            group = groups.get(member.id)
            if group is None:
                group = groups[member.id] = []
            group.append(position)
        instant = self.occurred.__getitem__
        order: list[int] = []
        for member_id in sorted(groups):
            group = groups[member_id]
            group.sort(key=instant)  # stable: positions stay ascending within one instant
            if len(set(map(instant, group))) < len(group):
                group = self._ties_by_id(group)
            order.extend(group)
        return order

    def _ties_by_id(self, group: list[int]) -> list[int]:
        """``group`` (sorted by instant) with each run of one instant ordered by id, then
        position."""
        events, instant = self.events, self.occurred.__getitem__
        ordered: list[int] = []
        for _, run in groupby(group, key=instant):
            tied = list(run)
            if len(tied) > 1:
                tied.sort(key=lambda position: (events[position].id, position))
            ordered.extend(tied)
        return ordered

    def __iter__(self) -> Iterator[tuple[int, Event, Member, CompiledVersion, CompiledRule, int, str]]:
        return zip(
            self.indexes,
            self.events,
            self.members,
            self.versions,
            self.rules,
            self.occurred,
            self.payloads,
            strict=True,
        )
