"""The shell commands in README.md, docs/cli.md and docs/quickstart.md stay true: each document's commands run, in
order, in an empty temporary directory (so against the demo data the documents make themselves),
and every one must exit 0.

What counts as a command:

- every line of a ```sh block (``&&`` chains are split; ``# …`` comments dropped). Such a line
  must be runnable as written: a placeholder — a word in capitals (``FILE``, ``ID``, ``SEQ``),
  ``…`` or ``a|b`` — fails the test. Two kinds of line are recognised and not run, because the
  test environment is them: ``python3 -m pip install …`` or ``pip install …`` (gridpoints is installed) and
  ``python3 -m pytest …`` (this is that run). Any other program fails the test until it is taught here;
- an inline code span in the prose that is a ``gridpoints`` command (``gridpoints`` then an option
  or a command name). One with a placeholder is a template and is skipped; the others run.

``gridpoints`` commands run in this process through ``gridpoints.cli.main`` (what the console
script calls), with ``$GRIDPOINTS_DB`` unset.
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import attrs
import pytest

from gridpoints.cli import main
from gridpoints.cli.args import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ("README.md", "docs/cli.md", "docs/quickstart.md")
#: ``<!-- file: NAME -->`` just above a fenced block: the document asks the reader to save the
#: block as NAME; the test writes it, in order with the commands.
_FILE = re.compile(r"^<!-- file: (?P<name>[^\s/]+) -->\n```[\w-]*\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)
_FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)
#: An inline code span; it may wrap onto the next line, not across a paragraph.
_INLINE = re.compile(r"(?<!`)`(?P<code>(?:[^`\n]|\n(?!\n))+)`(?!`)")
_PLACEHOLDER = re.compile(r"\b[A-Z][A-Z_]+\b|…|\S\|\S")
#: Programs a document may name that the test environment already is.
_ENVIRONMENT = (("python3", "-m", "pip", "install"), ("pip", "install"), ("python3", "-m", "pytest"))


@attrs.frozen
class Command:
    """One command of a document: where it is, its text, and its words."""

    document: str
    line: int
    text: str
    argv: tuple[str, ...]
    inline: bool
    #: A file to write instead of a command to run (``<!-- file: NAME -->``): its text.
    content: str | None = None

    def __str__(self) -> str:
        return f"{self.document}:{self.line}: {self.text}"


def _command_names() -> set[str]:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return set(action.choices)


def _split(text: str) -> list[list[str]]:
    """``a && b  # comment`` → [[a…], [b…]]."""
    words = shlex.split(text, comments=True)
    chains: list[list[str]] = [[]]
    for word in words:
        if word == "&&":
            chains.append([])
        else:
            chains[-1].append(word)
    return [chain for chain in chains if chain]


def commands_of(document: str, text: str) -> list[Command]:
    """The document's commands, in the order they appear."""
    found: list[tuple[int, Command]] = []
    fenced: list[tuple[int, int]] = []
    names = _command_names()
    for fence in _FENCE.finditer(text):
        fenced.append((fence.start(), fence.end()))
        if fence["lang"] not in ("sh", "shell", "bash", "console"):
            continue
        position = fence.start("body")
        for raw in fence["body"].splitlines(keepends=True):
            line = text.count("\n", 0, position) + 1
            for argv in _split(raw):
                found.append((position, Command(document, line, raw.strip(), tuple(argv), inline=False)))
            position += len(raw)
    for block in _FILE.finditer(text):
        line = text.count("\n", 0, block.start()) + 1
        name = block["name"]
        saved = Command(document, line, f"(save as {name})", ("save", name), inline=False, content=block["body"])
        found.append((block.start(), saved))
    for span in _INLINE.finditer(text):
        if any(start <= span.start() < end for start, end in fenced):
            continue
        code = " ".join(span["code"].split())
        words = code.split()
        if len(words) < 2 or words[0] != "gridpoints" or not (words[1].startswith("-") or words[1] in names):
            continue
        line = text.count("\n", 0, span.start()) + 1
        found.append((span.start(), Command(document, line, code, tuple(shlex.split(code)), inline=True)))
    return [command for _, command in sorted(found, key=lambda item: item[0])]


def test_the_extractor_finds_blocks_chains_and_inline_commands_and_knows_templates() -> None:
    text = (
        "Run `gridpoints --db x.db report\n2026-11` or `gridpoints report: error: …` or `gridpoints`.\n\n"
        "```sh\npython3 -m pip install -e . && gridpoints demo   # the demo\n"
        'gridpoints review reject E1 --reason "not # a comment"\n```\n'
        "Then `gridpoints appeal open SEQ --reason …` (a template).\n"
    )
    found = commands_of("x.md", text)
    assert [c.argv for c in found] == [
        ("gridpoints", "--db", "x.db", "report", "2026-11"),
        ("python3", "-m", "pip", "install", "-e", "."),
        ("gridpoints", "demo"),
        ("gridpoints", "review", "reject", "E1", "--reason", "not # a comment"),
        ("gridpoints", "appeal", "open", "SEQ", "--reason", "…"),
    ]
    assert [c.line for c in found] == [1, 5, 5, 6, 8]
    assert [bool(_PLACEHOLDER.search(" ".join(c.argv))) for c in found] == [False, False, False, False, True]


@pytest.mark.slow  # every command of a document in turn: several seconds each
@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_command_in_the_document_runs(
    document: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRIDPOINTS_DB", raising=False)
    commands = commands_of(document, (ROOT / document).read_text(encoding="utf-8"))
    ran = 0
    for command in commands:
        if command.content is not None:
            (tmp_path / command.argv[1]).write_text(command.content, encoding="utf-8")
            continue
        templated = bool(_PLACEHOLDER.search(" ".join(command.argv[1:])))
        if templated:
            assert command.inline, f"{command}: a placeholder in a shell block; write a runnable command"
            continue
        if any(command.argv[: len(prefix)] == prefix for prefix in _ENVIRONMENT):
            continue
        assert command.argv[0] == "gridpoints", f"{command}: teach tests/test_docs_commands.py to run this program"
        capsys.readouterr()
        code = main(list(command.argv[1:]))
        captured = capsys.readouterr()
        assert code == 0, f"{command}\nexit {code}\n{captured.err}{captured.out[-2000:]}"
        ran += 1
    assert ran >= 5, f"{document}: only {ran} commands found"
