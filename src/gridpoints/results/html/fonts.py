"""Chinese text in the charts: find a CJK-capable font for matplotlib, or fall back to the page's
font stack.

With a CJK font installed (Noto Sans CJK, Source Han Sans, WenQuanYi, Microsoft YaHei, SimHei,
PingFang…), chart text is drawn as glyph outlines (matplotlib's ``svg.fonttype = "path"``), so the
charts look the same on every screen and printer whatever fonts the viewer has. Without one,
chart text stays text (``svg.fonttype = "none"``) and the viewer's browser draws it with the
page's CJK font stack, ``FONT_STACK``.
"""

from __future__ import annotations

import functools

from matplotlib import font_manager

__all__ = ["CJK_FAMILIES", "FONT_STACK", "LATIN_FAMILY", "cjk_family"]

#: Font families known to cover simplified Chinese, preferred first.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Heiti SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Droid Sans Fallback",
)
#: Latin text (digits, ids, English labels) in the charts; matplotlib ships it.
LATIN_FAMILY = "DejaVu Sans"
#: The page's fonts: the same families for the browser, then whatever sans-serif it has.
FONT_STACK = ", ".join(f'"{family}"' for family in CJK_FAMILIES) + ", sans-serif"


def _known() -> set[str]:
    return {entry.name for entry in font_manager.fontManager.ttflist}


def _first(names: set[str]) -> str | None:
    return next((family for family in CJK_FAMILIES if family in names), None)


@functools.cache
def cjk_family() -> str | None:
    """The first of ``CJK_FAMILIES`` matplotlib can use, or None.

    matplotlib caches its font list when first run; a font installed later is found by scanning
    the system's font files once more (only when the cached list has no CJK family).
    """
    found = _first(_known())
    if found is not None:
        return found
    known_files = {entry.fname for entry in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        if path not in known_files:
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # an unreadable or unsupported font file
                continue
    return _first(_known())
