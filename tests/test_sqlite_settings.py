"""The SQLite store's connection settings: WAL, synchronous=FULL, a page cache sized for imports."""

from __future__ import annotations

from pathlib import Path

import pytest

import gridpoints as gp


def test_a_file_store_writes_ahead_and_syncs_fully(tmp_path: Path) -> None:
    store = gp.SQLiteStore(str(tmp_path / "a.db"))
    assert store._conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert store._conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    store.close()


def test_the_page_cache_is_32_mib_unless_told_otherwise_and_refuses_nonsense(tmp_path: Path) -> None:
    store = gp.SQLiteStore(str(tmp_path / "a.db"))
    assert store._conn.execute("PRAGMA cache_size").fetchone() == (-32 * 1024,)
    store.close()
    store = gp.SQLiteStore(str(tmp_path / "b.db"), cache_mib=8)
    assert store._conn.execute("PRAGMA cache_size").fetchone() == (-8 * 1024,)
    store.close()
    for wrong in (0, -1, 2.5, True, "64"):
        with pytest.raises(ValueError, match="cache_mib"):
            gp.SQLiteStore(str(tmp_path / "c.db"), cache_mib=wrong)  # type: ignore[arg-type]
    assert not (tmp_path / "c.db").exists()
