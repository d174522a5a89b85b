"""Install a throwaway plugin package (module + dist-info with a ``gridpoints`` entry point) for one test."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest


def install_plugin(site: Path, monkeypatch: pytest.MonkeyPatch, *, name: str, dist: str, source: str) -> None:
    """Make module ``gp_test_<name>`` with ``source`` importable, declared as entry point ``name``
    of distribution ``dist`` 1.0, in the directory ``site`` (put on sys.path for this test)."""
    site.mkdir(exist_ok=True)
    module = f"gp_test_{name}"
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[gridpoints]\n{name} = {module}\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, module, raising=False)
