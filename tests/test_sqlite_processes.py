"""Several processes appending to one SQLite file never fork the chain or book an id twice."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import gridpoints as gp

WRITER = textwrap.dedent("""
    import sys
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo
    import gridpoints as gp

    path, offset = sys.argv[1], int(sys.argv[2])
    start = datetime(2026, 11, 1, 8, tzinfo=ZoneInfo("Asia/Shanghai"))
    now = datetime(2027, 1, 1, tzinfo=ZoneInfo("UTC"))
    engine = gp.Engine(path, load_entrypoints=False, clock=lambda: now)
    # Overlapping id ranges: writer k sends ids [100k, 100k + 200).
    for batch in range(10):
        ids = range(offset * 100 + batch * 20, offset * 100 + batch * 20 + 20)
        engine.ingest([gp.Event(f"e{i}", f"M{i % 7}", "patrol", start + timedelta(hours=i)) for i in ids])
    engine.close()
""")


@pytest.mark.slow
def test_three_writer_processes_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    with gp.Engine(str(path), load_entrypoints=False) as engine:
        engine.add_members([gp.Member(id=f"M{n}", region="urban") for n in range(7)])
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(k)], stderr=subprocess.PIPE, text=True)
        for k in range(3)
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    conn = sqlite3.connect(path)
    ((entries, events, links),) = conn.execute(
        "SELECT COUNT(*), COUNT(DISTINCT event_id), COUNT(DISTINCT prev_hash) FROM entries"
    ).fetchall()
    assert entries == events == links == 400  # ids 0..399, each once; no two entries share a parent
    with gp.Engine(str(path), load_entrypoints=False) as engine:
        assert engine.ledger.verify().entries == 400
