"""The spec's worked example, on every store, and after reopening a file in a new process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import gridpoints as gp
from tests.conftest import NOW, xiao_li_month


def test_worked_example_gives_127(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine()
    engine.add_members([gp.Member(id="M001", region="urban", name="小李")])
    result = engine.ingest(xiao_li_month())
    assert len(result.accepted) == 23 and not result.rejected and not result.held
    assert engine.score("M001", "2026-11") == Decimal("127")
    row = engine.report("2026-11").row("M001")
    assert (row.score, row.grade, row.rank) == (Decimal("127.00"), gp.Grade.EXCELLENT, 1)
    assert engine.ledger.verify()


def test_rural_coefficient_scales_awards_not_deductions(make_engine: Callable[..., gp.Engine]) -> None:
    engine = make_engine(coefficients={"rural": "1.2"})
    engine.add_members([gp.Member(id="M002", region="rural")])
    engine.ingest(xiao_li_month("M002"))
    # (100 + 30) × 1.2 − 3
    assert engine.score("M002", "2026-11") == Decimal("153")
    late = [e for e in engine.explain("M002", "2026-11") if e.kind == "late_report"]
    assert [(e.points, e.coefficient) for e in late] == [(Decimal("-3.00"), Decimal(1))]
    patrol = next(e for e in engine.explain("M002", "2026-11") if e.kind == "patrol")
    assert (patrol.points, patrol.coefficient) == (Decimal("6.00"), Decimal("1.2"))


def test_rule_set_coefficient_table_applies_when_engine_has_none() -> None:
    table = gp.standard_ruleset()
    import attrs

    local = attrs.evolve(table, id="local", coefficients={"rural": "1.2"})

    class Plugin:
        @gp.hookimpl
        def gridpoints_rulesets(self) -> list[gp.RuleSet]:
            return [local]

    engine = gp.Engine(ruleset="local", plugins=[Plugin()], load_entrypoints=False, clock=lambda: NOW)
    engine.add_members([gp.Member(id="M002", region="rural")])
    engine.ingest(xiao_li_month("M002"))
    assert engine.score("M002", "2026-11") == Decimal("153")


def test_reopening_a_file_in_a_new_process_still_gives_127(tmp_path: Path) -> None:
    path = tmp_path / "points.db"
    with gp.Engine(str(path), load_entrypoints=False, clock=lambda: NOW) as engine:
        engine.add_members([gp.Member(id="M001", region="urban", name="小李")])
        engine.ingest(xiao_li_month())
        head = engine.ledger.head()
    script = textwrap.dedent(f"""
        import gridpoints as gp
        engine = gp.Engine({str(path)!r}, load_entrypoints=False)
        print(engine.score("M001", "2026-11"), bool(engine.ledger.verify()), engine.ledger.head()[1])
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["127.00", "True", head[1]]


def test_the_example_script_runs(tmp_path: Path) -> None:
    script = Path(__file__).parents[1] / "examples" / "worked_example.py"
    out = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "x.db")], capture_output=True, text=True, check=True
    )
    assert "127.00 points" in out.stdout
