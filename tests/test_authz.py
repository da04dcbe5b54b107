"""Who may change what (server/core/board.py), through a real server: locks,
votes, privacy, private rounds, catch-up, the template's scaffolding."""

from __future__ import annotations

from typing import Any

import pytest

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess, note, put

pytestmark = pytest.mark.timeout(60)


def client(server: ServerProcess, board: dict[str, Any], role: str = "participant",
           **kw: Any) -> BoardClient:
    return BoardClient(server.url, board["board"], board["tokens"][role], **kw)


def patch(eid: str, **sets: Any) -> dict[str, Any]:
    return {"op": "patch", "id": eid, "set": sets}


def frame(eid: str, x: float, y: float, w: float = 400, h: float = 300) -> dict[str, Any]:
    return {"id": eid, "kind": "frame", "x": x, "y": y, "z": "a", "label": eid, "w": w, "h": h}


def refused(ack: dict[str, Any], code: str = "forbidden") -> bool:
    return ack["ok"] is False and ack["code"] == code


async def test_only_the_facilitator_changes_locked(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board) as ada, client(server, board, "facilitator") as fay:
        assert (await ada.push([put(note("mine"))]))["ok"]
        assert refused(await ada.push([patch("mine", locked=False)]))
        assert refused(await ada.push([put(note("mine", locked=False))]))
        assert refused(await ada.push([put(note("new", locked=False))]))
        assert refused(await ada.push([put(note("new2", locked=True))]))
        assert (await fay.push([patch("mine", locked=True)]))["ok"]
        await ada.wait_clock(fay.clock)
        assert refused(await ada.push([patch("mine", locked=False)]))
        assert refused(await ada.push([{"op": "patch", "id": "mine", "set": {},
                                        "unset": ["locked"]}]))
        assert refused(await ada.push([put(note("mine", "other"))]))
        assert (await fay.push([patch("mine", locked=False)]))["ok"]


async def test_a_vote_belongs_to_its_voter(server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board) as ada, client(server, board) as bob, \
            client(server, board, "facilitator") as fay:
        vote = {"id": "v1", "kind": "vote", "x": 0, "y": 0, "z": "a", "target": "n",
                "value": "agree"}
        assert (await ada.push([put(note("n")), put(vote)]))["ok"]
        await bob.wait_clock(ada.clock)
        assert refused(await bob.push([patch("v1", value="disagree")]))
        assert refused(await bob.push([{"op": "del", "id": "v1"}]))
        assert refused(await bob.push([put({**vote, "value": "plus"})]))
        assert (await ada.push([patch("v1", value="plus")]))["ok"]
        await fay.wait_clock(ada.clock)
        assert (await fay.push([{"op": "del", "id": "v1"}]))["ok"]


async def test_only_the_author_changes_private(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board) as ada, client(server, board) as bob, \
            client(server, board, "facilitator") as fay:
        assert (await ada.push([put(note("n"))]))["ok"]
        await bob.wait_clock(ada.clock)
        assert refused(await bob.push([patch("n", private=True)]))
        assert refused(await bob.push([patch("n", private=False)]))
        assert refused(await bob.push([put(note("n", private=True))]))
        assert (await ada.push([patch("n", private=True)]))["ok"]
        await fay.wait_clock(ada.clock)
        assert (await fay.push([patch("n", private=False)]))["ok"]


async def test_catch_up_never_names_other_peoples_private_elements(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board, client_id="ada") as ada:
        assert (await ada.push([put(note("seen")), put(note("gone"))]))["ok"]
        async with client(server, board, client_id="bob") as bob:
            await bob.wait_clock(ada.clock)
            since = bob.clock
        await ada.push([put(note("secret", private=True)), put(note("brief", private=True))])
        await ada.push([{"op": "del", "id": "brief"}, {"op": "del", "id": "gone"}])
        await ada.push([patch("secret", text="edited"), patch("seen", private=True)])
        bob = client(server, board, client_id="bob")
        await bob.connect(since=since)
        try:
            welcome = await bob.next_message("welcome")
        finally:
            await bob.close()
    assert welcome["full"] is False
    assert sorted(welcome["deleted"]) == ["gone", "seen"]  # seen: turned private since
    assert welcome["elements"] == []


async def test_private_round_by_position_whatever_the_parent(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board) as ada, client(server, board, "facilitator") as fay:
        assert (await fay.push([put(frame("round", 1000, 1000)), put(frame("other", 0, 0))]))["ok"]
        assert (await fay.cmd("private.start", frame="round"))["ok"]
        inside: dict[str, Any] = {"x": 1100, "y": 1100}
        for el in (note("n1", **inside), note("n2", parent="other", **inside),
                   {"id": "t1", "kind": "text", "z": "b", "text": "mine", **inside}):
            ack = await ada.push([put(el)])
            assert refused(ack) and "private" in ack["message"], ack
        assert (await ada.push([put(note("n3", private=True, **inside))]))["ok"]
        assert (await ada.push([put(note("n4", x=50, y=50))]))["ok"]  # outside: free
        text = {"id": "t2", "kind": "text", "z": "c", "text": "t", "private": True, **inside}
        assert (await ada.push([put(text)]))["ok"]
        reveal = await fay.cmd("reveal", frame="round")
        assert sorted(reveal["ids"]) == ["n3", "t2"]


async def test_grade_markers_of_a_private_round_stay_private_until_the_reveal(
        server: ServerProcess, board: dict[str, Any]) -> None:
    scale = {"id": "scale", "kind": "grade_scale", "x": 0, "y": 0, "z": "a", "label": "Grade"}
    marker = {"id": "g1", "kind": "grade_vote", "x": 10, "y": 10, "z": "b", "scale": "scale",
              "grade": "aligned", "aspect": "current"}
    async with client(server, board) as ada, client(server, board) as bob, \
            client(server, board, "facilitator") as fay:
        assert (await fay.push([put(scale)]))["ok"]
        assert (await fay.cmd("private.start"))["ok"]
        assert refused(await ada.push([put(marker)]))
        ack = await ada.push([put({**marker, "private": True})])
        assert ack["ok"]
        await fay.wait_clock(ack["clock"])
        assert "g1" in fay.elements and "g1" not in bob.elements
        reveal = await fay.cmd("reveal")
        assert reveal["ids"] == ["g1"]
        await bob.wait_for(lambda c: "g1" in c.elements)
        assert bob.elements["g1"]["private"] is False


async def test_the_private_count_is_live_for_projector_and_participants(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board) as ada, client(server, board, "facilitator") as fay, \
            client(server, board, "viewer") as screen:
        assert fay.session["private_count"] == 0
        assert (await fay.cmd("private.start"))["ok"]
        event = await screen.next_message("event", name="private")
        assert event["count"] == 0
        await ada.push([put(note("a", private=True))])
        await ada.push([put(note("b", private=True)), put(note("c", private=True))])
        counts: list[int] = []
        while not counts or counts[-1] != 3:
            counts.append((await screen.next_message("event", name="private_count"))["count"])
        assert counts == sorted(counts) and len(counts) <= 2
        late = client(server, board, "viewer")
        async with late:
            assert late.session["private"] is True and late.session["private_count"] == 3
        await fay.cmd("reveal")
        assert (await screen.next_message("event", name="private_count"))["count"] == 0


async def test_the_atelier_scaffolding_is_locked(server: ServerProcess) -> None:
    board = server.create_board(template="atelier")
    async with client(server, board) as ada, client(server, board, "facilitator") as fay:
        locked = {el["id"] for el in ada.elements.values() if el.get("locked") is True}
        assert {"tpl-frame-task", "tpl-table", "tpl-grades", "tpl-lane-a",
                "tpl-howto-task", "tpl-area-why"} <= locked
        assert "tpl-role-example" not in locked and "tpl-ritual" not in locked
        for eid in ("tpl-frame-task", "tpl-table", "tpl-grades", "tpl-lane-a", "tpl-howto-role"):
            assert refused(await ada.push([patch(eid, x=5)])), eid
            assert refused(await ada.push([{"op": "del", "id": eid}])), eid
        assert (await fay.cmd("unlock", ids=["tpl-table"]))["ok"]
        await ada.wait_clock(fay.clock)
        assert (await ada.push([patch("tpl-table", label="Hofplein")]))["ok"]
        assert (await ada.push([put(note("on-frame", parent="tpl-frame-task"))]))["ok"]
