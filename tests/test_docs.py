"""The docs stay true: every hook documented with its real signature, every page reachable."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from gridpoints import hookspecs

DOCS = Path(__file__).resolve().parent.parent / "docs"
HEADING = re.compile(r"^### `(?P<name>gridpoints_\w+)\((?P<args>[^)]*)\) -> (?P<returns>[^`]+)`", re.MULTILINE)


def documented_hooks(text: str) -> dict[str, tuple[list[str], str]]:
    """Hook name → (argument names, return annotation) from ``### `hook(args) -> type` `` headings."""
    found: dict[str, tuple[list[str], str]] = {}
    for match in HEADING.finditer(text):
        args = [a.strip() for a in match["args"].split(",") if a.strip()]
        found[match["name"]] = (args, match["returns"].strip())
    return found


def spec_hooks() -> dict[str, tuple[list[str], str]]:
    specs: dict[str, tuple[list[str], str]] = {}
    for name in hookspecs.__all__:
        function = getattr(hookspecs, name)
        signature = inspect.signature(function)
        returns = signature.return_annotation
        text = returns if isinstance(returns, str) else inspect.formatannotation(returns)
        specs[name] = (list(signature.parameters), text)
    return specs


def test_every_hook_is_documented_with_its_signature() -> None:
    documented = documented_hooks((DOCS / "plugins.md").read_text(encoding="utf-8"))
    specs = spec_hooks()
    assert sorted(documented) == sorted(specs), "hooks in docs/plugins.md differ from gridpoints.hookspecs"
    for name, (args, returns) in specs.items():
        assert documented[name] == (args, returns), f"docs/plugins.md documents {name} as {documented[name]}"


def test_the_signature_check_notices_a_wrong_heading() -> None:
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    wrong = text.replace("gridpoints_grade(score, period, ruleset)", "gridpoints_grade(score, ruleset)")
    assert documented_hooks(wrong)["gridpoints_grade"] != spec_hooks()["gridpoints_grade"]
    missing = re.sub(r"^### `gridpoints_store.*$", "", text, flags=re.MULTILINE)
    assert "gridpoints_store" not in documented_hooks(missing)


def test_every_docs_page_is_in_the_site_navigation() -> None:
    config = (DOCS.parent / "mkdocs.yml").read_text(encoding="utf-8")
    nav = set(re.findall(r"^\s+- [^:]+: (\S+\.md)$", config, re.MULTILINE))
    pages = {p.name for p in DOCS.glob("*.md")}
    assert pages == nav, f"pages not in mkdocs.yml nav: {sorted(pages - nav)}; missing files: {sorted(nav - pages)}"


def test_the_quickstart_runs_and_gives_the_worked_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    text = (DOCS / "quickstart.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(blocks[0], namespace)  # the "Score a month" block, as a reader would paste it
    exec(blocks[1], namespace)
    out = capsys.readouterr().out
    assert "{'accepted': 23, 'held': 0, 'rejected': 0, 'duplicate': 0}" in out and "127.00" in out
