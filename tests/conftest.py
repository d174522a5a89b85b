"""Shared fixtures: engines on every built-in store, members and event helpers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import gridpoints as gp

pytest_plugins = ("pytester",)

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: A fixed "now" for engines under test, so no event in the tests is ever "in the future".
NOW = datetime(2027, 6, 1, tzinfo=SHANGHAI)

STORE_KINDS = ["memory", "sqlite-file", "sqlite-memory"]


def at(day: int, hour: int = 9, month: int = 11, year: int = 2026) -> datetime:
    """A Shanghai time in November 2026 by default."""
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


def store_url(kind: str, tmp_path: Path) -> str | None:
    if kind == "memory":
        return None
    if kind == "sqlite-file":
        return str(tmp_path / "points.db")
    if kind == "sqlite-memory":
        return ":memory:"
    raise ValueError(kind)


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_engine(store_kind: str, tmp_path: Path) -> Iterator[Callable[..., gp.Engine]]:
    """Build engines on the parametrized store; keyword arguments go to ``gp.Engine``."""
    engines: list[gp.Engine] = []

    def make(**kwargs: object) -> gp.Engine:
        kwargs.setdefault("clock", lambda: NOW)
        kwargs.setdefault("load_entrypoints", False)
        engine = gp.Engine(store_url(store_kind, tmp_path), **kwargs)  # type: ignore[arg-type]
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


@pytest.fixture
def engine(make_engine: Callable[..., gp.Engine]) -> gp.Engine:
    return make_engine()


def xiao_li_month(member: str = "M001") -> list[gp.Event]:
    """The article's worked example: 20 patrols, 2 mediations with evidence, 1 late report."""
    events = [gp.Event(f"{member}-patrol-{d}", member, "patrol", at(d)) for d in range(1, 21)]
    events += [
        gp.Event(f"{member}-mediation-{n}", member, "mediation", at(5 + n, 15),
                 attributes={"evidence": f"photo-{n}.jpg"})
        for n in (1, 2)
    ]
    events.append(gp.Event(f"{member}-late-1", member, "late_report", at(12, 10)))
    return events


IN_CI = os.environ.get("CI") == "true"


#: ``run("report", "2026-09")`` → (exit code, stdout, stderr) of the gridpoints command line.
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``gridpoints ARGS`` through ``main(argv)`` in tmp_path; return (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRIDPOINTS_DB", raising=False)

    def invoke(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        from gridpoints.cli import main

        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke
