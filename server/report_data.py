"""The Atelier report and snapshot diffs (pure: no I/O, no ``await``).

``diff(before, after)`` compares two lists of elements (docs/protocol.md §2)::

    {"added":   [summary, ...],   # in ``after`` only
     "removed": [summary, ...],   # in ``before`` only
     "changed": [{"id", "kind", "author", "text", "fields": {name: [before, after]}}, ...],
     "grades":  [{"scale", "voter", "kind": "now"|"ambition", "from", "to"}, ...]}

A summary is ``{"id", "kind", "author", "text"}`` (``text``: the element's own
words, at most ``SHORT`` characters, ``""`` when it has none; in ``changed``
as they are after). ``changed``
names every field whose value differs, server stamps (``v``, ``updated``)
left out; a field that is absent on one side is ``None`` there. ``grades``
follows each voter's marker per scale and aspect: ``from``/``to`` are grades,
``None`` where the voter had no marker. Lists are sorted, so equal inputs give
equal answers.

``report(board, participants, snapshots)`` is everything the printed report
shows (see ``report``'s docstring). Both run off the event loop for big
boards (``asyncio.to_thread``): they only read their arguments.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from server.insights import insights

Element = dict[str, Any]

SHORT = 120
#: Fields a change stamps by itself: not a difference worth naming.
_STAMPED = frozenset({"v", "updated"})
#: Where an element keeps its own words, first found wins.
_WORDS = ("text", "label", "title", "holder", "question", "moment", "focus", "role", "value",
          "grade")
_ASPECT = {"current": "now", "ambition": "ambition"}
#: The order of note topics in the agreements and the topic comparison.
TOPICS = ("why_here", "collective_task", "value", "do", "dont", "decision_rule",
          "conflict_rule", "other", "")
AGREEMENT_KINDS = frozenset({"note", "text"})


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


def _by_id(elements: Iterable[Any]) -> dict[str, Element]:
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
    old, new = _by_id(before), _by_id(after)
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


# -- the report -------------------------------------------------------------------


def _day(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).date().isoformat()


def _topic_rank(el: Mapping[str, Any]) -> tuple[int, float, float, str]:
    topic = el.get("topic") if isinstance(el.get("topic"), str) else ""
    rank = TOPICS.index(topic) if topic in TOPICS else len(TOPICS)
    y, x = el.get("y"), el.get("x")
    return (rank, y if isinstance(y, int | float) else 0.0,
            x if isinstance(x, int | float) else 0.0, el["id"])


def _note(el: Mapping[str, Any]) -> dict[str, Any]:
    topic = el.get("topic")
    return {**summary(el), "topic": topic if isinstance(topic, str) else "",
            "text": " ".join(str(el.get("text", "")).split())}


def agreements(elements: Iterable[Any]) -> list[dict[str, Any]]:
    """The locked notes and texts (what the group agreed on), by topic then place."""
    locked = [el for el in _by_id(elements).values()
              if el.get("kind") in AGREEMENT_KINDS and el.get("locked") is True]
    return [_note(el) for el in sorted(locked, key=_topic_rank)]


def missing_domains(elements: Iterable[Any]) -> list[str]:
    """Domain circles nobody owns: knowledge the table lacks (the facilitator's
    question marks)."""
    return sorted(eid for eid, el in _by_id(elements).items()
                  if el.get("kind") == "domain" and not str(el.get("owner") or "").strip())


def _labels(els: Mapping[str, Element], found: Mapping[str, Any]) -> dict[str, str]:
    """Readable names of the elements the insights point at."""
    ids: set[str] = set(found["territory"]["outside"]) | set(found["missing"])
    ids.update(eid for pair in found["territory"]["overlaps"] for eid in pair)
    ids.update(found["grades"])
    ids.update(eid for warning in found["roles"] for eid in warning["cards"])
    ids.update(eid for near in found["time"] for eid in near["milestones"])
    return {eid: short_text(els[eid]) or eid for eid in sorted(ids) if eid in els}


def _topics(rounds: list[tuple[Mapping[str, Any], dict[str, Element]]]) -> list[dict[str, Any]]:
    """Per note topic, the notes of every snapshot side by side."""
    grouped: list[dict[Any, list[Element]]] = []
    for _, els in rounds:
        by_topic: dict[Any, list[Element]] = {}
        for el in els.values():
            if el.get("kind") == "note":
                by_topic.setdefault(el.get("topic"), []).append(el)
        grouped.append(by_topic)
    out = []
    for topic in TOPICS[:-1]:
        if not any(topic in by_topic for by_topic in grouped):
            continue
        out.append({"topic": topic, "rounds": [
            {"snapshot": meta["snapshot"], "label": meta["label"],
             "notes": [_note(el) for el in sorted(by_topic.get(topic, []), key=_topic_rank)]}
            for (meta, _), by_topic in zip(rounds, grouped, strict=True)
        ]})
    return out


def report(
    board: Mapping[str, Any],
    participants: list[dict[str, Any]],
    snapshots: list[tuple[Mapping[str, Any], list[dict[str, Any]]]],
) -> dict[str, Any]:
    """The Atelier report of a board.

    Args:
        board: ``board``, ``title``, ``template``, ``created`` (ms).
        participants: the board's known participants (``id``, ``name``,
            ``color``, ``role``).
        snapshots: (meta, elements) per snapshot, in any order; meta has
            ``snapshot``, ``label``, ``clock``, ``created_at``. Filter private
            elements before calling.

    Returns ``{"board", "title", "template", "created", "dates": [ISO day...],
    "participants": [{"id", "name", "color", "role"}...] (facilitators first,
    then by name; viewers left out), "snapshots":
    [{"snapshot", "label", "clock", "created_at", "elements": n, "insights",
    "labels": {id: text}, "changes": diff-from-previous | None}...] (oldest
    first), "agreements": [note...], "topics": [{"topic", "rounds": [{"snapshot",
    "label", "notes"}...]}...]}``. ``insights`` is ``server.insights`` plus
    ``missing`` (domain ids without owner).
    """
    ordered = sorted(snapshots, key=lambda s: (s[0]["created_at"], s[0]["clock"]))
    people = [
        {"id": p["id"], "name": str(p.get("name") or ""), "color": str(p.get("color") or ""),
         "role": str(p.get("role") or "participant")}
        for p in participants if isinstance(p, dict) and isinstance(p.get("id"), str)
    ]
    rounds = [(meta, _by_id(elements)) for meta, elements in ordered]
    sections = []
    previous: dict[str, Element] | None = None
    for meta, els in rounds:
        found = insights(list(els.values()), participants)
        found["missing"] = missing_domains(els.values())
        sections.append({
            "snapshot": meta["snapshot"], "label": meta["label"], "clock": meta["clock"],
            "created_at": meta["created_at"], "elements": len(els), "insights": found,
            "labels": _labels(els, found),
            "changes": None if previous is None else diff(previous.values(), els.values()),
        })
        previous = els
    created = board.get("created")
    days = {_day(meta["created_at"]) for meta, _ in ordered}
    if not days and isinstance(created, int):
        days.add(_day(created))
    return {
        "board": board["board"], "title": board["title"], "template": board.get("template", ""),
        "created": created, "dates": sorted(days),
        "participants": sorted(  # stores keep no order: facilitators first, then by name
            (p for p in people if p["role"] != "viewer"),
            key=lambda p: (p["role"] != "facilitator", p["name"].casefold(), p["id"])),
        "snapshots": sections,
        "agreements": agreements(ordered[-1][1]) if ordered else [],
        "topics": _topics(rounds),
    }
