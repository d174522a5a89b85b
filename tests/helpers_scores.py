"""Helpers that give members exact month scores with few events."""

from __future__ import annotations

import itertools
from datetime import datetime

import gridpoints as gp
from tests.conftest import SHANGHAI

_ids = itertools.count(1)


def give(engine: gp.Engine, member_id: str, month: str, points: int, *, day: int = 10) -> None:
    """Book ``points`` (a multiple of 5) for a member in ``month`` ("2026-11") with one or two events."""
    year, number = (int(x) for x in month.split("-"))
    when = datetime(year, number, day, 9, tzinfo=SHANGHAI)
    events = []
    if points > 0:
        assert points % 5 == 0
        events.append(gp.Event(f"t{next(_ids)}", member_id, "patrol", when, quantity=points // 5))
    elif points < 0:
        assert points % 5 == 0
        events.append(gp.Event(f"t{next(_ids)}", member_id, "absence", when, quantity=-points // 5))
    result = engine.ingest(events)
    assert not result.rejected and not result.held, result
