"""The order an ingest call judges its events in: member, then instant, then id, then position.

``Ready.judging_order`` groups positions per member and sorts each group by instant, reading
event ids only to break ties; the property compares it with one plain sort of the whole call.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

import gridpoints as gp
from gridpoints.ingest._ready import Ready

_START = datetime(2026, 11, 1, tzinfo=UTC)

#: Few members, instants and ids: shared instants (ties) and repeated ids are common.
_ROWS = st.lists(
    st.tuples(st.sampled_from(["M2", "M1", "M10"]), st.integers(0, 3), st.sampled_from(["b", "a", "c", "a2"])),
    max_size=40,
)


def _ready(rows: list[tuple[str, int, str]]) -> Ready:
    """The rows (member, instant, id) as a call's admitted events, in the order given."""
    members = {m: gp.Member(m, "R") for m, _, _ in rows}
    ready = Ready()
    for position, (member_id, instant, event_id) in enumerate(rows):
        event = gp.Event(event_id, member_id, "patrol", _START)
        # The instant column is what the order reads; the event's own occurred_at is not.
        ready.add(position, event, members[member_id], None, None, instant, "")  # type: ignore[arg-type]
    return ready


@given(_ROWS)
def test_judging_order_is_member_instant_id_position(rows: list[tuple[str, int, str]]) -> None:
    expected = [position for *_, position in sorted((m, t, i, p) for p, (m, t, i) in enumerate(rows))]
    assert _ready(rows).judging_order() == expected


def test_a_tie_on_the_instant_is_broken_by_id_then_by_position() -> None:
    rows = [("M1", 5, "b"), ("M1", 5, "a"), ("M1", 1, "z"), ("M1", 5, "a"), ("M0", 9, "y")]
    assert _ready(rows).judging_order() == [4, 2, 1, 3, 0]
