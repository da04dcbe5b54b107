"""Board templates as data (pure except for reading this package's JSON files).

A template is a JSON list of elements in ``server/templates/<name>.json``
(English), with its texts in another language in ``<name>.<lang>.json`` (same
ids, kinds and places; a language without its own file gets English), each
valid per ``schemas.elements.check_element`` and without the stamps the server
adds (``author``, ``v``, ``created``, ``updated``). Ids start with ``tpl-``.
The server applies a template as the board's change 1.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from server.core.i18n import LANGS

TEMPLATES: tuple[str, ...] = ("blank", "atelier")

#: The scaffolding a template lays out is locked (the facilitator can unlock
#: it): frames, the joint table, the grade scale, lanes and instruction texts.
#: By kind, so that it holds for every language's template file.
LOCKED_KINDS: frozenset[str] = frozenset({"frame", "table", "grade_scale", "lane", "text"})


@cache
def _load(name: str, lang: str) -> tuple[dict[str, Any], ...]:
    folder = resources.files("server").joinpath("templates")
    path = folder.joinpath(f"{name}.{lang}.json")
    if lang == "en" or not path.is_file():
        path = folder.joinpath(f"{name}.json")
    data = json.loads(path.read_text("utf-8"))
    if not isinstance(data, list) or not all(isinstance(el, dict) for el in data):
        raise ValueError(f"template {name!r} is not a list of elements")
    return tuple(data)


def template_elements(name: str, lang: str = "en") -> list[dict[str, Any]]:
    """The elements of template ``name`` in ``lang`` (fresh copies: callers may change them).

    Raises:
        KeyError: ``name`` is not one of ``TEMPLATES``.
    """
    if name not in TEMPLATES:
        raise KeyError(name)
    elements = [copy.deepcopy(el) for el in _load(name, lang if lang in LANGS else "en")]
    for el in elements:
        if el.get("kind") in LOCKED_KINDS:
            el["locked"] = True
    return elements
