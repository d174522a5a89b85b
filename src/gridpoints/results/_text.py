"""Small text helpers shared by explanations: the language check and signed points."""

from __future__ import annotations

from decimal import Decimal

from gridpoints._decimal import canonical

__all__ = ["check_lang", "format_points"]


def check_lang(lang: str) -> str:
    """``lang`` when it is ``zh`` or ``en``; a ValueError naming it otherwise."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang: {lang!r} is not 'zh' or 'en'")
    return lang


def format_points(points: Decimal) -> str:
    """``+100``, ``-3``, ``+6.50``, ``0``: a sign, and decimals only when there are any."""
    text = canonical(points) if points == points.to_integral_value() else f"{points:.2f}"
    return text if points <= 0 else f"+{text}"
