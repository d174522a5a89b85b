"""The month on one page: the HTML analysis pack and the public notice (extra ``gridpoints[html]``).

``render_pack`` and ``render_notice`` turn a ``MonthPack`` (``Engine.month_pack``) into one
self-contained HTML page — every style inline, no script, no font or image to fetch — in ``zh``
or ``en``, laid out for A4 paper. ``write_html`` writes it. The charts are drawn by matplotlib
as inline SVG and the page is a Jinja2 template; both come with the extra, and importing this
module without them is an ImportError that says what to install.
"""

from __future__ import annotations

import os
from typing import IO

__all__ = ["MISSING_EXTRA", "render_notice", "render_pack", "require_extra", "write_html"]

MISSING_EXTRA = "the HTML pack needs the extra 'html' (Jinja2 and matplotlib): pip install 'gridpoints[html]'"


def require_extra() -> None:
    """Raise ImportError with ``MISSING_EXTRA`` (naming the missing module) unless the extra is installed."""
    try:
        import jinja2  # noqa: F401
        import matplotlib  # noqa: F401
    except ImportError as error:
        raise ImportError(f"{MISSING_EXTRA} ({error})", name=error.name) from error


require_extra()

from gridpoints.results.html.page import render_notice, render_pack  # noqa: E402  (after the check)
from gridpoints.results.pack import MonthPack  # noqa: E402


def write_html(
    pack: MonthPack,
    target: str | os.PathLike[str] | IO[bytes],
    *,
    lang: str = "zh",
    public: bool = False,
    mask_names: bool = False,
) -> None:
    """Write the pack (``public``: the notice only) as UTF-8 HTML to a path or a binary file."""
    page = render_notice(pack, lang=lang) if public else render_pack(pack, lang=lang, mask_names=mask_names)
    data = page.encode("utf-8")
    if isinstance(target, (str, os.PathLike)):
        with open(target, "wb") as handle:
            handle.write(data)
    else:
        target.write(data)
