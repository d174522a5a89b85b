"""The HTML pack in tests: a district's months to build it from, and reading the page back — a
small element tree from the standard library's parser, the chart figures with their data, tables
as rows of text, and a finder for external references."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any

import attrs

import gridpoints as gp
from gridpoints.demo import demo_events, demo_members
from tests.conftest import NOW, SHANGHAI
from tests.helpers_scores import give

#: The months ``district`` books, and the one its pack is for.
MONTHS = ("2026-07", "2026-08", "2026-09", "2026-10")
MONTH = "2026-10"
#: A member unqualified every month, so accountable in October.
WEAK = gp.Member("Z001", "urban", name="钱多多", grid="U9999", joined=date(2026, 7, 1))


def district(members: int = 80) -> gp.Engine:
    """Four demo months for ``members`` members and one who is unqualified every month (so
    accountable in October), an event held for review, and an open appeal."""
    engine = gp.Engine(load_entrypoints=False, clock=lambda: NOW)
    crew = [attrs.evolve(m, joined=date(2026, 7, 1)) for m in demo_members(members)]
    engine.add_members([*crew, WEAK])
    for month in MONTHS:
        engine.ingest(demo_events(crew, month))
        give(engine, WEAK.id, month, 5)
    held = engine.ingest([gp.Event("no-evidence", "G00002", "mediation", datetime(2026, 10, 9, 10, tzinfo=SHANGHAI))])
    assert held.held == ("no-evidence",)
    entry = engine.explain("G00001", MONTH)[0]
    engine.appeal(entry.seq, by="G00001", reason="not my patrol")
    return engine


_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)


@attrs.define
class Node:
    """One element: tag, attributes, children, and its own text pieces."""

    tag: str
    attributes: dict[str, str]
    children: list[Node] = attrs.field(factory=list)
    texts: list[str] = attrs.field(factory=list)

    def iter(self, tag: str | None = None) -> Iterator[Node]:
        """This element and every one below it (only ``tag`` ones when given), in document order."""
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            yield from child.iter(tag)

    def text(self) -> str:
        """All the text inside, concatenated."""
        return "".join(self.texts) + "".join(child.text() for child in self.children)

    def find(self, tag: str, **wanted: str) -> Node:
        """The first element ``tag`` with these attribute values (``class_`` for class); AssertionError if none."""
        for node in self.iter(tag):
            if all(node.attributes.get(k.rstrip("_")) == v for k, v in wanted.items()):
                return node
        raise AssertionError(f"no <{tag}> with {wanted}")


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attributes})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attributes}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].texts.append(data)


def parse(page: str) -> Node:
    """The page as an element tree."""
    builder = _Builder()
    builder.feed(page)
    builder.close()
    return builder.root


def charts(page: str | Node) -> dict[str, tuple[dict[str, Any], Node]]:
    """Chart name → (its data, its ``<svg>`` element), for every chart figure of the page."""
    root = parse(page) if isinstance(page, str) else page
    found = {}
    for figure in root.iter("figure"):
        if "data-chart" in figure.attributes:
            (svg,) = list(figure.iter("svg"))
            found[figure.attributes["data-chart"]] = (json.loads(figure.attributes["data-values"]), svg)
    return found


def marks(svg: Node, pattern: str) -> list[Node]:
    """The elements of a chart whose id matches ``pattern`` (ids are prefixed with the chart name)."""
    return [node for node in svg.iter() if re.fullmatch(pattern, node.attributes.get("id", ""))]


def table_rows(table: Node) -> tuple[list[str], list[list[str]]]:
    """A ``<table>`` as its header texts and its rows of cell texts."""
    headers = [th.text() for th in table.iter("th")]
    rows = [[td.text() for td in tr.iter("td")] for tr in table.find("tbody").iter("tr")]
    return headers, rows


#: Elements that load something by themselves.
_FETCHING = frozenset({"link", "script", "iframe", "frame", "object", "embed", "img", "video", "audio", "source",
                       "track", "image", "base", "form", "input"})  # fmt: skip
#: Attributes that point at something; only a fragment (``#id``, this page) is allowed.
_REFERENCES = frozenset({"src", "href", "xlink:href", "action", "formaction", "poster", "data", "srcset",
                         "background", "cite", "manifest", "ping"})  # fmt: skip
_CSS = re.compile(r"url\(\s*[\"']?\s*(?!#)[^)]*\)|@import|@font-face", re.IGNORECASE)
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*://[^\s\"'<>]*", re.IGNORECASE)


def external_references(page: str) -> list[str]:
    """Everything in the page that could make a browser fetch something (empty when self-contained):
    elements that load, reference attributes not to a fragment, CSS ``url()`` not to a fragment,
    ``@import`` and ``@font-face``, and any ``scheme://`` anywhere, text included."""
    root = parse(page)
    found = []
    for node in root.iter():
        if node.tag in _FETCHING:
            found.append(f"<{node.tag}>")
        for name, value in node.attributes.items():
            if name in _REFERENCES and not value.startswith("#"):
                found.append(f'{name}="{value}"')
            if name == "style":
                found += _CSS.findall(value)
    for style in root.iter("style"):
        found += _CSS.findall(style.text())
    return found + _SCHEME.findall(page)
