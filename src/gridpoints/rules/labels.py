"""Display names a rule file gives regions and grids (``[regions]``, ``[grids]``), and its titles
(``[titles]``): what reports call things in ``zh`` and ``en``.

Region and grid names are labels: they change no score and stay out of the version's digest.
Titles decide who is named in a report, so their switch and share are digested.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from gridpoints._decimal import canonical, to_decimal

__all__ = ["TITLES", "titles_key", "to_place_labels", "to_titles"]

#: Title code → its built-in (zh, en) label and the share of the ranking it goes to.
TITLES: Mapping[str, tuple[str, str, Decimal]] = {"gold": ("金牌网格员", "gold", Decimal("0.1"))}
_TITLE_OPTIONS = ("enabled", "label", "label_en", "share")


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"{field}: {value!r} is not a non-empty string")
    return value


def to_place_labels(value: object, field: str = "regions") -> Mapping[str, tuple[str, str]]:
    """``id → (zh, en)`` from ``{id: "中文名"}`` (English: the id) or ``{id: {label, label_en}}``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{field}: {value!r} is not a table of id = name")
    labels: dict[str, tuple[str, str]] = {}
    for key, given in value.items():
        here = f"{field}.{key}"
        if isinstance(given, Mapping):
            unknown = sorted(set(given) - {"label", "label_en"})
            if unknown:
                raise ValueError(f"{here}.{unknown[0]}: unknown key (allowed here: label, label_en)")
            if "label" not in given:
                raise ValueError(f"{here}: missing key 'label'")
            zh = _text(given["label"], f"{here}.label")
            en = _text(given["label_en"], f"{here}.label_en") if "label_en" in given else str(key)
        elif isinstance(given, tuple) and len(given) == 2:  # already normalised
            zh, en = (_text(part, here) for part in given)
        else:
            zh, en = _text(given, here), str(key)
        labels[str(key)] = (zh, en)
    return labels


def to_titles(value: object) -> Mapping[str, Mapping[str, object]]:
    """``code → {enabled, label, label_en, share}`` from ``[titles]``: ``gold = false`` switches the
    gold title off; ``[titles.gold]`` renames it or changes its share of the ranking (0 < share ≤ 1)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"titles: {value!r} is not a table of title = options")
    titles: dict[str, Mapping[str, object]] = {}
    for code, given in value.items():
        here = f"titles.{code}"
        if code not in TITLES:
            raise ValueError(f"{here}: no title {code!r} (known: {', '.join(TITLES)})")
        if isinstance(given, bool):
            given = {"enabled": given}
        if not isinstance(given, Mapping):
            raise TypeError(f"{here}: {given!r} is not true, false or a table of options")
        options: dict[str, object] = {}
        for option, item in given.items():
            at = f"{here}.{option}"
            if option == "enabled":
                if not isinstance(item, bool):
                    raise TypeError(f"{at}: {item!r} is not true or false")
                options[option] = item
            elif option in ("label", "label_en"):
                options[option] = _text(item, at)
            elif option == "share":
                if isinstance(item, (bool, float)):
                    raise TypeError(f"{at}: {item!r} is not a number")
                share = to_decimal(item, at)
                if not share.is_finite() or not 0 < share <= 1:
                    raise ValueError(f"{at}: {item} must be greater than 0 and at most 1")
                options[option] = share
            else:
                raise ValueError(f"{at}: unknown option (options: {', '.join(_TITLE_OPTIONS)})")
        titles[str(code)] = options
    return titles


def titles_key(titles: Mapping[str, Mapping[str, object]]) -> object:
    """What a version's digest holds of its titles: which are on and their shares (not labels)."""
    key: dict[str, object] = {}
    for code, options in sorted(titles.items()):
        share = options.get("share", TITLES[code][2])
        assert isinstance(share, Decimal)
        key[code] = {"enabled": options.get("enabled", True), "share": canonical(share)}
    return key
