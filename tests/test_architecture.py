"""The layers of docs/architecture.md, as the import-linter contracts in pyproject.toml say them.

``.ci/run`` runs ``lint-imports`` on the package; these tests show the contracts hold today and
that crossing a layer breaks them (a copy of the package with one import added).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed (pip install -e '.[dev]')")


def lint(src: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the project's contracts over the package found in ``src``."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=tmp_path, capture_output=True, text=True, env={"PYTHONPATH": str(src)},
        check=False,
    )


def test_the_package_keeps_every_contract(tmp_path: Path) -> None:
    done = lint(ROOT / "src", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "added", "broken"),
    [
        ("model.py", "import gridpoints.stores\n", "the model layer imports nothing above it BROKEN"),
        ("rules/compiled.py", "import gridpoints.engine\n", "rules never import stores"),
        ("desk/review.py", "import gridpoints.results.reports\n", "cli > engine > results > desk"),
        ("ingest/booking.py", "from gridpoints import engine\n", "nothing below the engine imports it"),
        ("stores/sql.py", "import gridpoints.testing.stores\n", "the core never imports the testing kit"),
        ("checks.py", "import gridpoints.ingest.pipeline\n", "the public check interface never imports the pipeline"),
        ("timeline.py", "import gridpoints.stores\n", "the public check interface never imports the pipeline"),
        ("hookspecs.py", "import gridpoints.ledger\n", "the hook specifications never import the pipeline"),
    ],
)
def test_crossing_a_layer_breaks_a_contract(tmp_path: Path, module: str, added: str, broken: str) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "gridpoints", src / "gridpoints", ignore=shutil.ignore_patterns("__pycache__"))
    target = src / "gridpoints" / module
    target.write_text(target.read_text() + added)
    done = lint(src, tmp_path)
    assert done.returncode == 1
    assert broken in " ".join(done.stdout.split()), done.stdout
