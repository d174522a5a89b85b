"""Headless Chromium for the HTML pack's browser tests and the docs screenshot script.

Chromium comes from the system's package manager (``.ci/run`` installs Debian's ``chromium``).
Each run gets a fresh profile directory, no network services, and its console logged to stderr,
so a test can tell that the page drew and that nothing complained.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["BROWSERS", "browser", "console_messages", "dump_dom", "print_pdf", "screenshot"]

#: Names the browser goes by on Debian and elsewhere.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
)  # fmt: skip
_CONSOLE = re.compile(r":CONSOLE[^\]]*\] (.*)")


def browser() -> str | None:
    """The path of a Chromium on this machine, or None."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def _run(page: Path, *mode: str) -> subprocess.CompletedProcess[str]:
    executable = browser()
    if executable is None:
        raise FileNotFoundError("no chromium on PATH (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="gp-chromium-") as profile:
        return subprocess.run(
            [executable, *_FLAGS, f"--user-data-dir={profile}", *mode, page.resolve().as_uri()],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip


def console_messages(stderr: str) -> list[str]:
    """The page's console messages (errors, warnings, logs) in Chromium's log."""
    return _CONSOLE.findall(stderr)


def screenshot(page: Path, target: Path, *, width: int = 1000, height: int = 1400) -> list[str]:
    """Write a PNG of the top ``width`` × ``height`` CSS pixels of ``page``; return the console messages."""
    done = _run(page, f"--screenshot={target}", f"--window-size={width},{height}")
    return console_messages(done.stderr)


def dump_dom(page: Path) -> tuple[str, list[str]]:
    """The DOM after the page's scripts ran, and the console messages."""
    done = _run(page, "--dump-dom", "--virtual-time-budget=5000")
    return done.stdout, console_messages(done.stderr)


def print_pdf(page: Path, target: Path) -> list[str]:
    """Print ``page`` to a PDF as the browser's print dialog would (its own @page size, no header)."""
    done = _run(page, f"--print-to-pdf={target}", "--no-pdf-header-footer")
    return console_messages(done.stderr)
