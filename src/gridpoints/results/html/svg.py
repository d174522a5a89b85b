"""Make matplotlib's SVG fit inside an HTML page: no prolog, no metadata, no namespace URLs, ids
unique on the page, and a size that follows the page's width."""

from __future__ import annotations

import re

__all__ = ["inline_svg"]

_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->\s*", re.DOTALL)
_NAMESPACE = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')
_SIZE = re.compile(r'\s+(width|height)="[^"]*pt"')
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(href="#|url\(#)([^")]+)')


def inline_svg(document: str, prefix: str, label: str) -> str:
    """The ``<svg>`` element of a matplotlib SVG document, ready to inline in HTML.

    HTML needs no XML prolog or ``xmlns`` (and namespace names are URLs, which a page that
    must never reach the network should not carry); ``xlink:href`` is plain ``href`` in SVG 2.
    Every id gets ``prefix`` so that several charts on one page do not share clip paths or
    glyphs by accident. ``label`` becomes the image's accessible name.
    """
    svg = document[document.index("<svg") :]
    svg = _METADATA.sub("", svg)
    svg = _COMMENT.sub("", svg)
    svg = _NAMESPACE.sub("", svg)
    svg = _SIZE.sub("", svg, count=2)
    svg = svg.replace("xlink:href=", "href=")
    ids = set(_ID.findall(svg))
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = _REF.sub(lambda m: m.group(1) + (f"{prefix}-{m.group(2)}" if m.group(2) in ids else m.group(2)), svg)
    escaped = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return svg.replace("<svg", f'<svg role="img" aria-label="{escaped}"', 1).strip()
