"""Instants as integer microseconds since the epoch: the unit of the ledger and the checks.

A low module (it imports nothing from gridpoints) so the check interface, ingest and the
stores can share it without importing each other.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["EPOCH", "MICROSECOND", "instant", "micros"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware instant (the ledger's event time unit)."""
    return (moment - EPOCH) // MICROSECOND


def instant(at_us: int) -> datetime:
    """The aware UTC instant ``at_us`` microseconds after the epoch (the inverse of ``micros``)."""
    return EPOCH + at_us * MICROSECOND
