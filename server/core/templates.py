"""Board templates as data (pure except for reading this package's JSON files).

A template is a JSON list of elements in ``server/templates/<name>.json``,
each valid per ``schemas.elements.check_element`` and without the stamps the
server adds (``author``, ``v``, ``created``, ``updated``). Ids start with
``tpl-``. The server applies a template as the board's change 1.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

TEMPLATES: tuple[str, ...] = ("blank", "atelier")


@cache
def _load(name: str) -> tuple[dict[str, Any], ...]:
    raw = resources.files("server").joinpath("templates", f"{name}.json").read_text("utf-8")
    data = json.loads(raw)
    if not isinstance(data, list) or not all(isinstance(el, dict) for el in data):
        raise ValueError(f"template {name!r} is not a list of elements")
    return tuple(data)


def template_elements(name: str) -> list[dict[str, Any]]:
    """The elements of template ``name`` (fresh copies: callers may change them).

    Raises:
        KeyError: ``name`` is not one of ``TEMPLATES``.
    """
    if name not in TEMPLATES:
        raise KeyError(name)
    return [copy.deepcopy(el) for el in _load(name)]
