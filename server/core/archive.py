"""A board as one JSON archive, and its strict check (pure: no I/O).

``make(board, elements, snapshots, participants, now)`` builds what
``GET /api/boards/{id}/export`` sends; ``check(data)`` returns an ``Archive``
or an ``ArchiveError`` saying what is wrong (never raises): an archive from
anyone is untrusted input, so every element, snapshot and participant is
validated before anything is written. The shape (docs/protocol.md §2)::

    {"format": "tussentafel.board", "version": 1, "exported": ms,
     "board": {"id", "title", "template", "lang", "created", "clock", "session"},
     "elements": [el, ...],
     "snapshots": [{"snapshot", "label", "clock", "created_at", "elements": [el...]}...],
     "participants": [{"id", "name", "color", "role"}, ...]}

Snapshots are listed oldest first. Boards and snapshot metas are plain maps
here (the store's ``BoardMeta.to_dict()``, ``SnapshotMeta.to_dict()``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from schemas.elements import ID_PATTERN, ElementError, check_element
from server.core.board import MAX_BOARD_BYTES, MAX_BOARD_POINTS, ROLES, element_cost
from server.core.i18n import LANGS
from server.core.templates import TEMPLATES

FORMAT: Final = "tussentafel.board"
VERSION: Final = 1
MAX_TITLE: Final = 200
MAX_SNAPSHOTS: Final = 1000
MAX_PARTICIPANTS: Final = 10_000
MAX_SESSION: Final = 16 * 1024  # bytes of JSON

_ID = re.compile(ID_PATTERN[1:-1])  # fullmatch: "$" would let a final newline through
_COLOR = re.compile(r"#[0-9A-Fa-f]{3,8}")
_TOP = frozenset({"format", "version", "exported", "board", "elements", "snapshots",
                  "participants"})
_BOARD = frozenset({"id", "title", "template", "lang", "created", "clock", "session"})
_SNAPSHOT = frozenset({"snapshot", "label", "clock", "created_at", "elements"})
_PERSON = frozenset({"id", "name", "color", "role", "online"})
_TIMER = frozenset({"label", "ends"})


class ArchiveError(ValueError):
    """Why an archive cannot be imported; ``str()`` names the place."""


@dataclass(slots=True)
class Archive:
    title: str
    template: str
    created: int
    clock: int
    session: dict[str, Any]
    elements: list[dict[str, Any]]
    #: (meta, elements); meta: ``snapshot``, ``label``, ``clock``, ``created_at``, ``elements`` (n)
    snapshots: list[tuple[dict[str, Any], list[dict[str, Any]]]] = field(default_factory=list)
    participants: list[dict[str, Any]] = field(default_factory=list)
    lang: str = "en"  # archives made before boards had a language: English


def make(
    board: Mapping[str, Any],
    elements: list[dict[str, Any]],
    snapshots: Sequence[tuple[Mapping[str, Any], list[dict[str, Any]]]],
    participants: list[dict[str, Any]],
    now: int,
) -> dict[str, Any]:
    """The archive of a board: ``board`` has ``board`` (its id), ``title``,
    ``template``, ``created``, ``clock``, ``session``; snapshots in any order."""
    ordered = sorted(snapshots, key=lambda s: (s[0]["created_at"], s[0]["clock"]))
    return {
        "format": FORMAT, "version": VERSION, "exported": now,
        "board": {"id": board["board"], "lang": board.get("lang", "en"), **{k: board[k] for k in (
            "title", "template", "created", "clock", "session")}},
        "elements": sorted(elements, key=lambda el: str(el.get("id"))),
        "snapshots": [
            {**{k: s[k] for k in ("snapshot", "label", "clock", "created_at")}, "elements": els}
            for s, els in ordered
        ],
        "participants": [
            {k: p[k] for k in ("id", "name", "color", "role") if k in p} for p in participants
        ],
    }


def _int(value: Any, where: str, low: int = 0, high: int = 2**53) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ArchiveError(f"{where}: must be a whole number from {low} to {high}")
    return value


def _str(value: Any, where: str, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise ArchiveError(f"{where}: must be a string of at most {limit} characters")
    return value


def _keys(value: Any, where: str, allowed: frozenset[str], required: frozenset[str]) -> None:
    if not isinstance(value, dict):
        raise ArchiveError(f"{where}: must be an object")
    if extra := sorted(set(value) - allowed):
        raise ArchiveError(f"{where}: unknown field {extra[0][:40]!r}")
    if missing := sorted(required - set(value)):
        raise ArchiveError(f"{where}: {missing[0]} is missing")


def _list(value: Any, where: str, limit: int) -> list[Any]:
    if not isinstance(value, list) or len(value) > limit:
        raise ArchiveError(f"{where}: must be a list of at most {limit} items")
    return value


def _elements(value: Any, where: str, clock: int, limit: int) -> list[dict[str, Any]]:
    els = _list(value, where, limit)
    seen: set[str] = set()
    for i, el in enumerate(els):
        at = f"{where}[{i}]"
        try:
            check_element(el)
        except ElementError as exc:
            raise ArchiveError(f"{at}: {exc}") from None
        if el["id"] in seen:
            raise ArchiveError(f"{at}: the id {el['id']!r} is there twice")
        seen.add(el["id"])
        _int(el.get("v"), f"{at}.v", 1 if clock else 0, clock)
        _str(el.get("author"), f"{at}.author", 64)
        _int(el.get("created"), f"{at}.created")
        _int(el.get("updated"), f"{at}.updated")
    return els


def _session(value: Any) -> dict[str, Any]:
    """A session as the commands write it (timer, follow, private round,
    present mode): anything else would reach every ``welcome``."""
    where = "board.session"
    if not isinstance(value, dict) or len(json.dumps(value)) > MAX_SESSION:
        raise ArchiveError(f"{where}: must be an object of at most {MAX_SESSION} bytes")
    _keys(value, where, frozenset({"timer", "follow", "private", "private_frame", "present",
                                   "present_insights"}), frozenset())
    timer = value.get("timer")
    if timer is not None:
        _keys(timer, f"{where}.timer", _TIMER, _TIMER)
        _str(timer["label"], f"{where}.timer.label", MAX_TITLE)
        _int(timer["ends"], f"{where}.timer.ends")
    for name in ("follow", "private_frame", "present"):
        eid = value.get(name)
        if eid is not None and not (isinstance(eid, str) and _ID.fullmatch(eid)):
            raise ArchiveError(f"{where}.{name}: must be null or an id of 1-64 of A-Za-z0-9_-")
    for name in ("private", "present_insights"):
        if not isinstance(value.get(name, False), bool):
            raise ArchiveError(f"{where}.{name}: must be true or false")
    return value


def _budget(elements: list[dict[str, Any]], max_bytes: int, max_points: int) -> None:
    used_bytes = used_points = 0
    for el in elements:
        size, points = element_cost(el)
        used_bytes, used_points = used_bytes + size, used_points + points
    if used_bytes > max_bytes:
        raise ArchiveError(f"elements: a board holds at most {max_bytes} bytes of elements")
    if used_points > max_points:
        raise ArchiveError(f"elements: a board's strokes hold at most {max_points} point numbers")


def check(
    data: Any,
    *,
    max_elements: int = 20_000,
    max_bytes: int = MAX_BOARD_BYTES,
    max_points: int = MAX_BOARD_POINTS,
) -> Archive | ArchiveError:
    """The archive ``data`` (parsed JSON) as an ``Archive``, or what is wrong
    with it; its live elements must fit the board budget (``max_bytes``,
    ``max_points``, as ``board.apply``)."""
    try:
        archive = _check(data, max_elements)
        _budget(archive.elements, max_bytes, max_points)
        return archive
    except ArchiveError as exc:
        return exc


def _check(data: Any, max_elements: int) -> Archive:
    _keys(data, "archive", _TOP, _TOP - {"exported"})
    if data["format"] != FORMAT:
        raise ArchiveError(f"format: must be {FORMAT!r}")
    if data["version"] != VERSION:
        raise ArchiveError(f"version: this server reads version {VERSION}")
    board = data["board"]
    _keys(board, "board", _BOARD, _BOARD - {"id", "lang"})
    lang = board.get("lang", "en")
    if lang not in LANGS:
        raise ArchiveError(f"board.lang: must be one of {', '.join(LANGS)}")
    title = _str(board["title"], "board.title", MAX_TITLE)
    template = board["template"]
    if template not in TEMPLATES:
        raise ArchiveError(f"board.template: must be one of {', '.join(TEMPLATES)}")
    created = _int(board["created"], "board.created")
    clock = _int(board["clock"], "board.clock")
    session = _session(board["session"])
    elements = _elements(data["elements"], "elements", clock, max_elements)
    snapshots: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    ids: set[str] = set()
    for i, snap in enumerate(_list(data["snapshots"], "snapshots", MAX_SNAPSHOTS)):
        at = f"snapshots[{i}]"
        _keys(snap, at, _SNAPSHOT, _SNAPSHOT)
        sid = snap["snapshot"]
        if not isinstance(sid, str) or not _ID.fullmatch(sid) or sid in ids:
            raise ArchiveError(f"{at}.snapshot: must be a new id of 1-64 of A-Za-z0-9_-")
        ids.add(sid)
        snap_clock = _int(snap["clock"], f"{at}.clock", 0, clock)
        els = _elements(snap["elements"], f"{at}.elements", snap_clock, max_elements)
        meta = {"snapshot": sid, "label": _str(snap["label"], f"{at}.label", MAX_TITLE),
                "clock": snap_clock, "created_at": _int(snap["created_at"], f"{at}.created_at"),
                "elements": len(els)}
        snapshots.append((meta, els))
    people: list[dict[str, Any]] = []
    for i, person in enumerate(_list(data["participants"], "participants", MAX_PARTICIPANTS)):
        at = f"participants[{i}]"
        _keys(person, at, _PERSON, frozenset({"id"}))
        if not isinstance(person["id"], str) or not _ID.fullmatch(person["id"]):
            raise ArchiveError(f"{at}.id: must be 1-64 of A-Za-z0-9_-")
        color = person.get("color", "#6b7280")
        if not isinstance(color, str) or not _COLOR.fullmatch(color):
            raise ArchiveError(f"{at}.color: must be a colour like #1b9e9e")
        role = person.get("role", "participant")
        if role not in ROLES:
            raise ArchiveError(f"{at}.role: must be one of {', '.join(ROLES)}")
        people.append({"id": person["id"], "name": _str(person.get("name", ""), f"{at}.name", 200),
                       "color": color, "role": role})
    return Archive(title, template, created, clock, session, elements, snapshots, people, lang)
