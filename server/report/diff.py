"""Snapshot diffs: what changed between two states of a board (pure).

``diff(before, after)`` compares two lists of elements (docs/protocol.md §2)::

    {"added":   [summary, ...],   # in ``after`` only
     "removed": [summary, ...],   # in ``before`` only
     "changed": [{"id", "kind", "author", "text", "fields": {name: [before, after]}}, ...],
     "grades":  [{"scale", "voter", "kind": "now"|"ambition", "from", "to"}, ...]}

A summary is ``{"id", "kind", "author", "text"}`` (``text``: the element's own
words, at most ``SHORT`` characters, ``""`` when it has none; in ``changed``
as they are after). ``changed`` names every field whose value differs, server
stamps (``v``, ``updated``) left out; a field that is absent on one side is
``None`` there. ``grades`` follows each voter's marker per scale and aspect:
``from``/``to`` are grades, ``None`` where the voter had no marker. Lists are
sorted, so equal inputs give equal answers. The server runs it in a worker
thread for big boards: it only reads its arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Element = dict[str, Any]

SHORT = 120
#: Fields a change stamps by itself: not a difference worth naming.
_STAMPED = frozenset({"v", "updated"})
#: Where an element keeps its own words, first found wins.
_WORDS = ("text", "label", "title", "holder", "question", "moment", "focus", "role", "value",
          "grade")
_ASPECT = {"current": "now", "ambition": "ambition"}


def short_text(el: Mapping[str, Any], limit: int = SHORT) -> str:
    """An element's own words on one line, cut at ``limit`` characters."""
    for key in _WORDS:
        value = el.get(key)
        if isinstance(value, str) and value.strip():
            flat = " ".join(value.split())
            return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
    return ""


def summary(el: Mapping[str, Any]) -> dict[str, Any]:
    author = el.get("author")
    return {"id": el["id"], "kind": str(el.get("kind", "")),
            "author": author if isinstance(author, str) else "", "text": short_text(el)}


def by_id(elements: Iterable[Any]) -> dict[str, Element]:
    return {el["id"]: el for el in elements
            if isinstance(el, dict) and isinstance(el.get("id"), str)}


def _markers(els: Mapping[str, Element]) -> dict[tuple[str, str, str], str]:
    """(scale, voter, aspect) -> grade; a voter's newest marker wins."""
    found: dict[tuple[str, str, str], tuple[int, str, str]] = {}
    for el in els.values():
        if el.get("kind") != "grade_vote":
            continue
        scale, voter, aspect, grade = (el.get("scale"), el.get("author"), el.get("aspect"),
                                       el.get("grade"))
        if not (isinstance(scale, str) and isinstance(voter, str) and isinstance(aspect, str)
                and isinstance(grade, str)):
            continue
        stamp = el.get("updated")
        rank = (stamp if isinstance(stamp, int) else 0, el["id"], grade)
        key = (scale, voter, aspect)
        if key not in found or rank > found[key]:
            found[key] = rank
    return {key: rank[2] for key, rank in found.items()}


def diff(before: Iterable[Any], after: Iterable[Any]) -> dict[str, list[dict[str, Any]]]:
    """What changed from ``before`` to ``after`` (see the module docstring)."""
    old, new = by_id(before), by_id(after)
    added = [summary(new[eid]) for eid in sorted(new.keys() - old.keys())]
    removed = [summary(old[eid]) for eid in sorted(old.keys() - new.keys())]
    changed = []
    for eid in sorted(old.keys() & new.keys()):
        a, b = old[eid], new[eid]
        if a == b:  # most elements of a big board: skip the field by field look
            continue
        fields = {
            name: [a.get(name), b.get(name)]
            for name in sorted((a.keys() | b.keys()) - _STAMPED)
            if a.get(name) != b.get(name) or (name in a) != (name in b)
        }
        if fields:
            changed.append({**summary(b), "fields": fields})
    was, now = _markers(old), _markers(new)
    grades = [
        {"scale": scale, "voter": voter, "kind": _ASPECT.get(aspect, aspect),
         "from": was.get((scale, voter, aspect)), "to": now.get((scale, voter, aspect))}
        for scale, voter, aspect in sorted(was.keys() | now.keys())
        if was.get((scale, voter, aspect)) != now.get((scale, voter, aspect))
    ]
    return {"added": added, "removed": removed, "changed": changed, "grades": grades}
