"""The Atelier report: everything the printed report shows (pure).

``report(board, participants, snapshots)`` gives, per snapshot in order, its
insights and what changed since the one before (``server.report.diff``), then
the agreements (locked notes and texts at the last snapshot) and the notes of
each topic side by side, so a repeated round can be compared. The server runs
it in a worker thread (``asyncio.to_thread``): it only reads its arguments.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from server.core.board import SYSTEM
from server.report.diff import Element, by_id, diff, short_text, summary
from server.report.insights import insights

#: The order of note topics in the agreements and the topic comparison.
TOPICS = ("why_here", "collective_task", "value", "do", "dont", "decision_rule",
          "conflict_rule", "other", "")
AGREEMENT_KINDS = frozenset({"note", "text"})


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
    """The locked notes and texts (what the group agreed on), by topic then place.
    The template's own texts are locked too (scaffolding), but are no agreement."""
    locked = [el for el in by_id(elements).values()
              if el.get("kind") in AGREEMENT_KINDS and el.get("locked") is True
              and el.get("author") != SYSTEM]
    return [_note(el) for el in sorted(locked, key=_topic_rank)]


def missing_domains(elements: Iterable[Any]) -> list[str]:
    """Domain circles nobody owns: knowledge the table lacks (the facilitator's
    question marks)."""
    return sorted(eid for eid, el in by_id(elements).items()
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
    snapshots: Sequence[tuple[Mapping[str, Any], list[dict[str, Any]]]],
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
    rounds = [(meta, by_id(elements)) for meta, elements in ordered]
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
