"""server/archive.py: an archive made from a board checks back to the same
board; anything else is refused with a message that names the place."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from server.core.archive import Archive, ArchiveError, check, make


def el(eid: str, v: int = 1, **fields: Any) -> dict[str, Any]:
    return {"id": eid, "kind": "note", "x": 0, "y": 0, "z": "a0", "text": "hi", "w": 10, "h": 10,
            "author": "p1", "v": v, "created": 5, "updated": 6, **fields}


def archive() -> dict[str, Any]:
    board = {"board": "b1", "title": "Atelier", "template": "atelier", "generation": 3,
             "created": 1000, "clock": 7, "session": {"timer": None, "private": False}}
    snaps = [({"snapshot": "s2", "label": "two", "clock": 4, "created_at": 300, "elements": 2},
              [el("a"), el("b", v=4)]),
             ({"snapshot": "s1", "label": "one", "clock": 1, "created_at": 200, "elements": 1},
              [el("a")])]
    people = [{"id": "p1", "name": "Anna", "color": "#e6194b", "role": "participant",
               "online": True}]
    return make(board, [el("a"), el("c", v=7)], snaps, people, now=5000)


def test_an_archive_checks_back_to_its_board() -> None:
    data = archive()
    assert [s["snapshot"] for s in data["snapshots"]] == ["s1", "s2"]
    assert data["participants"] == [{"id": "p1", "name": "Anna", "color": "#e6194b",
                                     "role": "participant"}]
    found = check(data)
    assert isinstance(found, Archive)
    assert (found.title, found.template, found.created, found.clock) == (
        "Atelier", "atelier", 1000, 7)
    assert found.elements == data["elements"]
    assert [meta for meta, _ in found.snapshots] == [
        {"snapshot": "s1", "label": "one", "clock": 1, "created_at": 200, "elements": 1},
        {"snapshot": "s2", "label": "two", "clock": 4, "created_at": 300, "elements": 2}]
    assert found.session == {"timer": None, "private": False}


def _broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(archive())
    change(data)
    return data


@pytest.mark.parametrize(("change", "where"), [
    (lambda d: d.update(format="other"), "format"),
    (lambda d: d.update(version=2), "version"),
    (lambda d: d.update(extra=1), "unknown field 'extra'"),
    (lambda d: d.pop("elements"), "elements is missing"),
    (lambda d: d["board"].update(title=5), "board.title"),
    (lambda d: d["board"].update(template="nope"), "board.template"),
    (lambda d: d["board"].update(clock=-1), "board.clock"),
    (lambda d: d["board"].update(clock=True), "board.clock"),
    (lambda d: d["board"].update(session=[]), "board.session"),
    (lambda d: d["elements"].append(d["elements"][0]), "elements[2]: the id 'a' is there twice"),
    (lambda d: d["elements"][1].update(v=8), "elements[1].v"),
    (lambda d: d["elements"][0].pop("author"), "elements[0].author"),
    (lambda d: d["elements"][0].update(kind="bomb"), "elements[0]: unknown element kind"),
    (lambda d: d["elements"][0].update(x=float("inf")), "elements[0]"),
    (lambda d: d["elements"][0].update(color=1), "elements[0]"),
    (lambda d: d.update(elements={}), "elements: must be a list"),
    (lambda d: d["snapshots"][0].update(snapshot="s.1"), "snapshots[0].snapshot"),
    (lambda d: d["snapshots"][1].update(snapshot="s1"), "snapshots[1].snapshot"),
    (lambda d: d["snapshots"][0].update(clock=8), "snapshots[0].clock"),
    (lambda d: d["snapshots"][0]["elements"][0].update(v=2), "snapshots[0].elements[0].v"),
    (lambda d: d["snapshots"][0].pop("label"), "snapshots[0]: label is missing"),
    (lambda d: d["participants"][0].update(color="red"), "participants[0].color"),
    (lambda d: d["participants"][0].update(role="king"), "participants[0].role"),
    (lambda d: d["participants"][0].update(id="a\n"), "participants[0].id"),
    (lambda d: d["participants"][0].update(secret=1), "participants[0]: unknown field"),
])
def test_a_bad_archive_says_where(change: Any, where: str) -> None:
    found = check(_broken(change))
    assert isinstance(found, ArchiveError)
    assert where in str(found)


@pytest.mark.parametrize("data", [None, [], "x", 3, {}])
def test_not_an_archive_at_all(data: Any) -> None:
    assert isinstance(check(data), ArchiveError)


def test_limits() -> None:
    data = archive()
    assert isinstance(check(data, max_elements=1), ArchiveError)
    data["board"]["clock"] = 0
    data["elements"], data["snapshots"] = [], []
    assert isinstance(check(data), Archive)
