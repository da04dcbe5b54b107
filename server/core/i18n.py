"""The words of the server's user-facing outputs, in the board's language (pure).

One source for both sides: the catalogs are the browser app's
``canvas_client/web/locales/<lang>.json`` (flat dotted keys, ``{name}``
placeholders), read as package data of ``canvas_client``.
"""

from __future__ import annotations

import datetime
import json
import re
from functools import cache
from importlib import resources
from typing import Any

LANGS: tuple[str, ...] = ("nl", "en")
DEFAULT_LANG = "en"

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_RANGE = re.compile(
    r"^\s*([a-zA-Z]{1,8})(?:-[a-zA-Z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]{1,5}))?\s*$"
)


@cache
def catalog(lang: str) -> dict[str, str]:
    """The catalog of ``lang`` (a language not in ``LANGS`` gets the default's)."""
    code = lang if lang in LANGS else DEFAULT_LANG
    raw = resources.files("canvas_client").joinpath("web", "locales", f"{code}.json")
    data = json.loads(raw.read_text("utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"catalog {code!r} is not a flat object of strings")
    return data


def t(lang: str, key: str, **values: Any) -> str:
    """The message ``key`` in ``lang`` (else English, else the key), placeholders filled."""
    text = catalog(lang).get(key) or catalog(DEFAULT_LANG).get(key) or key
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


def label(lang: str, group: str, value: Any) -> str:
    """The name of an enum value (``enum.<group>.<value>``); unknown values humanised."""
    if not isinstance(value, str) or not value:
        return ""
    key = f"enum.{group}.{value}"
    if key in catalog(lang) or key in catalog(DEFAULT_LANG):
        return t(lang, key)
    text = value.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def lang_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value in LANGS else None


def from_accept_language(header: str | None) -> str:
    """The first of ``LANGS`` an ``Accept-Language`` header asks for (by q), else English."""
    best, best_q = DEFAULT_LANG, 0.0
    for i, part in enumerate((header or "")[:512].split(",")[:32]):
        match = _RANGE.match(part)
        if match is None:
            continue
        code = match.group(1).lower()
        try:
            q = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        q -= i * 1e-6  # equal weights: the earlier range wins
        if code in LANGS and q > best_q:
            best, best_q = code, q
    return best


def format_day(lang: str, value: Any) -> str:
    """An ISO date as people of ``lang`` write it (nl: ``12 mrt 2027``); other text as is."""
    if not isinstance(value, str):
        return ""
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        return value
    months = t(lang, "date.months").split(",")
    month = months[day.month - 1] if len(months) == 12 else str(day.month)
    return t(lang, "date.day", day=day.day, month=month, year=day.year)
