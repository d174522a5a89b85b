"""Regenerate the screenshots of the HTML pack shown in docs/reports.md.

Run from the repository root: python docs/gen_screenshot.py
(needs the extra ``gridpoints[html]`` and a Chromium on PATH: ``apt-get install chromium``).

It runs ``examples/monthly_results.py`` into a temporary directory (the demo district's October
2026, with the Jiangsu what-if) and has headless Chromium photograph the top of the analysis pack
and of the public notice into ``docs/img/``. Nothing here is drawn by hand.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers_browser import screenshot  # noqa: E402  (after the path is set)

#: Screenshot → (the example's page, width, height in CSS pixels).
SHOTS = {
    "pack.png": ("results-2026-10.html", 1000, 1500),
    "notice.png": ("notice-2026-10.html", 1000, 800),
}


def main(target: Path = ROOT / "docs" / "img") -> list[Path]:
    """Write the screenshots into ``target``; return their paths."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="gp-pack-") as folder:
        subprocess.run([sys.executable, str(ROOT / "examples" / "monthly_results.py"), folder], check=True,
                       capture_output=True)  # fmt: skip
        for name, (page, width, height) in SHOTS.items():
            console = screenshot(Path(folder) / page, target / name, width=width, height=height)
            if console:
                raise RuntimeError(f"{page}: the browser's console says {console}")
            written.append(target / name)
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img"):
        print(path)
