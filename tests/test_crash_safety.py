"""Crash safety: SIGKILL a writer at random points of a large SQLite import, then check the file.

Each seeded trial starts ``tests/writer.py`` on a fresh file and kills it (SIGKILL) at a random
point: after a random number of acknowledged batches, a random part of one batch's measured time
later. Then it checks: the file opens, ``PRAGMA
integrity_check`` is ok, ``verify()`` is ok, no batch is partly booked, every batch the writer
acknowledged is there, no two entries share a parent (no fork), re-running the import reaches
exactly the full set, and a second re-run adds nothing.

Figures are printed (run with ``-s`` or ``-rP``). Size with env ``GRIDPOINTS_CRASH_TRIALS``
(default 20), ``GRIDPOINTS_CRASH_EVENTS`` (default 12000) and ``GRIDPOINTS_CRASH_SEED``.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import gridpoints as gp
from tests import writer

# Minutes of SIGKILLed imports: the fast loop (pytest -m "not slow") skips them; CI runs them.
pytestmark = pytest.mark.slow

WRITER = str(Path(__file__).with_name("writer.py"))
TRIALS = int(os.environ.get("GRIDPOINTS_CRASH_TRIALS", "20"))
EVENTS = int(os.environ.get("GRIDPOINTS_CRASH_EVENTS", "12000"))
SEED = int(os.environ.get("GRIDPOINTS_CRASH_SEED", "20261128"))
BATCH = 400  # events per ingest call
CHUNK = 100  # appends per call: 4, so a kill can land between two appends of one transaction


def start_writer(path: Path) -> tuple[subprocess.Popen[str], list[str], threading.Thread]:
    """Start the writer and wait for it to be ready; its stdout lines are collected in a list."""
    process = subprocess.Popen(
        [sys.executable, WRITER, str(path), "0", str(EVENTS), "--batch", str(BATCH), "--chunk", str(CHUNK)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    first_line = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.strip())
            first_line.set()
        first_line.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    first_line.wait(60)
    assert lines[:1] == ["ready"], (lines, process.stderr.read() if process.stderr else "")
    return process, lines, reader


def wait_for_ack(process: subprocess.Popen[str], lines: list[str], batch: int) -> None:
    """Return once the writer acknowledged ``batch`` (-1: at once) or exited."""
    wanted = f"ack {batch}"
    while batch >= 0 and wanted not in lines and process.poll() is None:
        time.sleep(0.001)


def full_import(engine: gp.Engine) -> gp.IngestResult:
    return engine.ingest(writer.event(i) for i in range(EVENTS))


def test_killed_writers_lose_no_acknowledged_batch_and_leave_no_partial_one(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    # Calibrate: how long a whole import takes on this machine, so kills land inside it.
    process, _, _ = start_writer(tmp_path / "calibrate.db")
    began = time.monotonic()
    assert process.wait(120) == 0, process.stderr.read() if process.stderr else ""
    duration = time.monotonic() - began
    full_entries = writer.entries_for(0, EVENTS)
    batches = -(-EVENTS // BATCH)

    kills = acked_total = lost = forks = partial = completed = 0
    for trial in range(TRIALS):
        path = tmp_path / f"trial{trial}.db"
        process, lines, reader = start_writer(path)
        # A random point: after a random number of acknowledged batches, part-way into the next.
        after = rng.randrange(batches)
        wait_for_ack(process, lines, after - 1)
        time.sleep(rng.uniform(0, duration / batches))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        status = process.wait(30)
        kills += status == -signal.SIGKILL
        completed += status == 0
        assert status in (0, -signal.SIGKILL), process.stderr.read() if process.stderr else ""
        reader.join(30)  # every line the writer printed before it died
        acked = {int(line.split()[1]) for line in lines if line.startswith("ack ")}
        acked_total += len(acked)

        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        per_batch = dict.fromkeys(range(batches), 0)
        for (event_id,) in conn.execute("SELECT event_id FROM events"):
            per_batch[int(event_id[1:]) // BATCH] += 1
        sizes = {b: min(BATCH, EVENTS - b * BATCH) for b in per_batch}
        partial += sum(1 for b, n in per_batch.items() if n not in (0, sizes[b]))
        lost += sum(sizes[b] - per_batch[b] for b in acked)
        ((entries, parents),) = conn.execute("SELECT COUNT(*), COUNT(DISTINCT prev_hash) FROM entries").fetchall()
        forks += entries - parents
        booked = sorted(b for b, n in per_batch.items() if n)
        assert booked == list(range(len(booked))), f"trial {trial}: booked batches are not a prefix: {booked}"
        conn.close()

        with gp.Engine(str(path), load_entrypoints=False, checks=False, clock=lambda: writer.NOW) as engine:
            assert engine.ledger.verify().entries == entries
            engine.add_members(writer.members())
            rerun = full_import(engine)
            assert len(rerun.accepted) == EVENTS - sum(per_batch.values()) and not rerun.rejected
            assert engine.ledger.verify().entries == full_entries
            second = full_import(engine)
            assert second.accepted == () and len(second.duplicates) == EVENTS and second.entries == 0
            assert engine.ledger.head()[0] == full_entries

    print(
        f"\ncrash safety: trials={TRIALS} events/trial={EVENTS} batches/trial={batches} "
        f"import={duration:.2f}s kills={kills} finished-before-kill={completed} "
        f"acked-batches={acked_total} partial-batches={partial} forks={forks} lost-events={lost}"
    )
    assert (partial, forks, lost) == (0, 0, 0)
    assert TRIALS >= 20 or "GRIDPOINTS_CRASH_TRIALS" in os.environ
    assert kills >= TRIALS * 3 // 4, f"only {kills} of {TRIALS} kills landed during the import"
