"""The intake log checked against the event rows (docs/ledger.md, "The intake log").

Its own hash chain must link; each intake's digest is recomputed from the event rows that carry
its seq, each with the status it had at intake (its decisions say which: approve or reject →
held, correct → booked, otherwise its status now), so a held row deleted or invented, an edited
payload (evidence, stars, reported time) or hold is caught; a checkpoint's intake anchor catches
intakes cut off at the end. Rows written before the log (``intake_seq`` 0) are a note. One pass
over ``Store.intake_bindings``; only one intake's row digests are held at a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gridpoints.ledger.broken import Broken
from gridpoints.schema import BOOKED, GENESIS, HELD, IntakeBinding
from gridpoints.stores.intakes import event_line, intake_digest, intake_genesis, intake_hash

if TYPE_CHECKING:
    from gridpoints.stores import Store

__all__ = ["check_intakes"]


def _status_at_intake(status: object, decided: dict[str, int] | None) -> object:
    """The status an event row had when it was written: held if a reviewer decided it, booked if
    it was corrected, otherwise the status it has now."""
    if decided is None:
        return status
    if "approve" in decided or "reject" in decided:
        return HELD
    return BOOKED if "correct" in decided else status


class _IntakeWalk:
    """The intake log walked in seq order, each intake's event rows gathered for its digest."""

    def __init__(self, anchor: tuple[int, str, str] | None) -> None:
        self.prev = GENESIS
        self.expected = 1
        self.anchor = anchor
        self.anchor_hash: str | None = GENESIS if anchor is not None and anchor[0] == 0 else None
        self.current: IntakeBinding | None = None
        self.lines: list[tuple[str, bytes]] = []
        self.unbound = 0
        self.orphan: Broken | None = None

    def intake(self, row: IntakeBinding) -> Broken | None:
        """The next intake row: it must continue the intake chain."""
        broken = self.close_group()
        if broken is not None:
            return broken
        seq = row.intake_seq
        if seq != self.expected:
            return Broken("intakes", f"seq {self.expected}", f"intake {self.expected} is missing or out of order "
                          f"(found {seq!r}): the intake log was cut or rewritten")  # fmt: skip
        if seq == 1:  # the rows written before the log (all read by now: they sort first)
            self.prev = intake_genesis(self.unbound)
        if row.prev_hash != self.prev:
            if seq == 1:
                return Broken(
                    "events", "intake 0",
                    f"{self.unbound} event rows carry intake_seq 0 (written before the intake log), not as many as "
                    "the log's first intake recorded: one was invented or deleted (or intake 1 was changed)",
                )  # fmt: skip
            return Broken("intakes", f"seq {seq}", "prev_hash does not link to the intake before")
        if type(row.events) is not int or type(row.digest) is not str:
            return Broken("intakes", f"seq {seq}", "a column holds a value of the wrong type")
        if intake_hash(self.prev, seq, row.events, row.digest) != row.hash:
            return Broken("intakes", f"seq {seq}", "hash does not match the intake's fields")
        self.prev = str(row.hash)
        if self.anchor is not None and self.anchor[0] == seq:
            self.anchor_hash = self.prev
        self.expected += 1
        self.current = row
        return None

    def stray(self, row: IntakeBinding) -> None:
        """An event row that is not under the intake just read: written before the log (intake
        seq 0), or carrying the seq of no intake (noted, reported at the end: a missing intake
        row further on is the break to name first)."""
        seq = row.intake_seq
        if seq == 0:
            self.unbound += 1
            return
        self.orphan = self.orphan or Broken(
            "events", f"event {row.event_id!r}",
            f"it carries intake_seq {seq!r}, but no such intake is recorded: the row was invented "
            "(or its intake_seq changed)",
        )  # fmt: skip

    def close_group(self) -> Broken | None:
        """The event rows gathered for the current intake against its count and digest."""
        current, lines = self.current, self.lines
        if current is None:
            return None
        self.current, self.lines = None, []
        seq, recorded = current.intake_seq, int(current.events or 0)
        if len(lines) == recorded and intake_digest(lines) == current.digest:
            return None
        ids = sorted(event_id for event_id, _ in lines)
        shown = ", ".join(repr(i) for i in ids[:5]) + (", …" if len(ids) > 5 else "")
        if len(lines) < recorded:
            what = "a row was deleted (a held event leaves the review queue unnoticed)"
        elif len(lines) > recorded:
            what = "a row was invented"
        else:
            what = ("a row was changed after intake: its payload (evidence, stars, reported time), time, hold "
                    "or status")  # fmt: skip
        return Broken(
            "events", f"intake {seq}",
            f"intake {seq} wrote {recorded} event rows and {len(lines)} carry its seq ({shown}), which do not "
            f"match its digest: {what}",
        )  # fmt: skip

    def finish(self) -> Broken | None:
        """The last intake's rows, then the anchor: the log must reach it with its hash."""
        broken = self.close_group() or self.orphan
        if broken is not None or self.anchor is None:
            return broken
        seq, expected_hash, what = self.anchor
        last = self.expected - 1
        if self.anchor_hash is None:
            return Broken(
                "intakes", f"seq {seq}",
                f"the intake log ends at intake {last} but {what} is at intake {seq}: intakes were cut off with "
                "their event rows, or an older copy was restored",
            )  # fmt: skip
        if self.anchor_hash != expected_hash:
            return Broken("intakes", f"seq {seq}", f"the intake log differs from {what} at intake {seq}: "
                          "it was rewritten or replaced")  # fmt: skip
        return None


def check_intakes(
    store: Store, acts: dict[str, dict[str, int]], anchor: tuple[int, str, str] | None, notes: list[str]
) -> Broken | None:
    """The intake log's chain, each intake's digest against the event rows carrying its seq, and
    the anchor a checkpoint recorded. One pass over the store's ``intake_bindings`` (intake rows
    and event rows, by intake seq); only one intake's row digests are held at a time."""
    read = getattr(store, "intake_bindings", None)
    if read is None:
        notes.append("events: not bound to an intake log: the store keeps none (held rows and payloads unchecked)")
        return None
    walk = _IntakeWalk(anchor)
    row: IntakeBinding | None = None
    # The loop runs once per event row: the current intake's seq and row list are locals.
    current_seq: object = None
    lines = walk.lines
    try:
        for row in read():
            event_id = row[5]
            if event_id is None:
                broken = walk.intake(row)
                if broken is not None:
                    return broken
                current_seq, lines = row[0], walk.lines
            elif row[0] == current_seq:
                decided = acts.get(event_id)
                fields = row[5:] if decided is None else (*row[5:10], _status_at_intake(row[10], decided), *row[11:])
                lines.append((event_id, event_line(fields)))
            else:
                walk.stray(row)
        broken = walk.finish()
    except (TypeError, ValueError) as error:
        where = "events" if row is not None and row.event_id is not None else "intakes"
        name = f"event {row.event_id!r}" if where == "events" and row is not None else f"seq {walk.expected}"
        return Broken(where, name, f"a column holds a value of the wrong type ({error})")
    if broken is None and walk.unbound:
        notes.append(f"events: {walk.unbound} event rows are not bound: written before the intake log "
                     "(intake_seq 0)")  # fmt: skip
    return broken
