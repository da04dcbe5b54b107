"""Restore instead of re-create: the ``restore`` op, undo of a delete in the
Python client, and the "recently deleted" bin (REST)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess, note, put
from tests.redis_fixture import RedisServer, redis_server_fixture  # noqa: F401

pytestmark = pytest.mark.timeout(60)


def client(server: ServerProcess, board: dict[str, Any], role: str = "participant",
           **kw: Any) -> BoardClient:
    return BoardClient(server.url, board["board"], board["tokens"][role], **kw)


def restore(eid: str) -> dict[str, Any]:
    return {"op": "restore", "id": eid}


async def deleted_by_bob(server: ServerProcess, board: dict[str, Any], ada: BoardClient,
                         bob: BoardClient, eid: str) -> dict[str, Any]:
    """Ada writes a note, Bob deletes it; returns the note as it was."""
    ack = await ada.push([put(note(eid, "Ada's mandate", topic="why_here", color="#fde68a"))])
    await bob.wait_clock(ack["clock"])
    before = dict(bob.elements[eid])
    assert (await bob.push([{"op": "del", "id": eid}]))["ok"]
    return before


@pytest.mark.parametrize("who", ["deleter", "author", "facilitator"])
async def test_restore_brings_the_element_back_as_it_was(
        server: ServerProcess, board: dict[str, Any], who: str) -> None:
    async with client(server, board, client_id="ada") as ada, \
            client(server, board, client_id="bob") as bob, \
            client(server, board, "facilitator", client_id="fay") as fay, \
            client(server, board, "viewer", client_id="vic") as vic:
        before = await deleted_by_bob(server, board, ada, bob, "n")
        actor = {"deleter": bob, "author": ada, "facilitator": fay}[who]
        ack = await actor.push([restore("n")])
        assert ack["ok"], ack
        for c in (ada, bob, fay, vic):
            await c.wait_clock(ack["clock"])
            el = c.elements["n"]
            assert el["author"] == ada.you and el["created"] == before["created"]
            assert {k: v for k, v in el.items() if k not in ("v", "updated")} == {
                k: v for k, v in before.items() if k not in ("v", "updated")}
            assert el["v"] == ack["clock"]
        patch = await vic.next_message("patch", clock=ack["clock"])
        assert patch["ops"] == [{"op": "put", "el": vic.elements["n"]}]
    state = server.state(board["board"], board["tokens"]["facilitator"])
    assert next(el for el in state["elements"] if el["id"] == "n")["author"] == before["author"]


async def test_anyone_else_may_not_restore(server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board, client_id="ada") as ada, \
            client(server, board, client_id="bob") as bob, \
            client(server, board, client_id="cas") as cas:
        await deleted_by_bob(server, board, ada, bob, "n")
        ack = await cas.push([restore("n")])
        assert (ack["ok"], ack["code"], ack["op"]) == (False, "forbidden", 0)
        assert "n" not in cas.elements


async def test_restoring_a_live_or_unknown_id_is_a_conflict(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board, "facilitator") as fay:
        assert (await fay.push([put(note("live"))]))["ok"]
        for eid in ("live", "never-was"):
            ack = await fay.push([restore(eid)])
            assert (ack["ok"], ack["code"]) == (False, "conflict"), ack
        bad = await fay.push([{"op": "restore", "id": "live", "el": {}}])
        assert (bad["ok"], bad["code"]) == (False, "invalid")


async def test_undo_of_a_delete_in_the_python_client_keeps_id_and_author(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board, client_id="ada") as ada, \
            client(server, board, client_id="bob") as bob:
        before = await deleted_by_bob(server, board, ada, bob, "n")
        ack = await bob.undo_last()
        assert ack is not None and ack["ok"], ack
        assert bob.elements["n"]["author"] == ada.you
        await ada.wait_clock(ack["clock"])
        assert ada.elements["n"]["author"] == ada.you
        assert ada.elements["n"]["created"] == before["created"]
        assert ada.elements["n"]["text"] == "Ada's mandate"
        # an undone patch puts the old values back; an undone put removes it
        assert (await bob.push([{"op": "patch", "id": "n", "set": {"text": "Bob's"}}]))["ok"]
        assert (await bob.undo_last())["ok"]  # type: ignore[index]
        assert (await bob.push([put(note("fresh"))]))["ok"]
        undo = await bob.undo_last()
        assert undo is not None and undo["ok"]
        await ada.wait_clock(undo["clock"])
        assert ada.elements["n"]["text"] == "Ada's mandate" and "fresh" not in ada.elements


async def test_a_client_that_never_saw_the_element_catches_up_after_restoring(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board, "facilitator") as fay:
        assert (await fay.push([put(note("old"))]))["ok"]
        assert (await fay.push([{"op": "del", "id": "old"}]))["ok"]
    async with client(server, board, "facilitator") as late:
        ack = await late.push([restore("old")])
        assert ack["ok"]
        await late.wait_for(lambda c: "old" in c.elements and c.clock >= ack["clock"])


async def test_the_bin_lists_and_restores_for_the_facilitator(
        server: ServerProcess, board: dict[str, Any]) -> None:
    fac, part = board["tokens"]["facilitator"], board["tokens"]["participant"]
    path = f"/api/boards/{board['board']}/deleted"
    async with client(server, board, client_id="ada") as ada, \
            client(server, board, client_id="bob") as bob:
        long = "x" * 300
        await ada.push([put(note("a", long)), put(note("p", "secret", private=True)),
                        put({"id": "f", "kind": "frame", "x": 0, "y": 0, "z": "b",
                             "label": "Frame", "w": 10, "h": 10})])
        await ada.push([{"op": "del", "id": "p"}])
        await bob.wait_clock(ada.clock)
        await bob.push([{"op": "del", "id": "a"}, {"op": "del", "id": "f"}])
        assert server.get(path, part).status_code == 403
        assert server.get(path + "?limit=0", fac).status_code == 400
        listed = server.get(path, fac).json()["deleted"]
        assert {e["id"] for e in listed[:2]} == {"a", "f"} and listed[2]["id"] == "p"
        by_id = {e["id"]: e for e in listed}
        assert by_id["a"]["text"] == "x" * 80 and by_id["f"]["text"] == "Frame"
        assert by_id["a"]["author"] == ada.you and by_id["a"]["deleted_by"] == bob.you
        assert by_id["p"]["deleted_by"] == ada.you and by_id["p"]["kind"] == "note"
        assert by_id["a"]["clock"] == bob.clock and isinstance(by_id["a"]["deleted_at"], int)
        assert len(server.get(path + "?limit=1", fac).json()["deleted"]) == 1
        assert server.post(path + "/restore", part, {"ids": ["a"]}).status_code == 403
        r = server.post(path + "/restore", fac, {"ids": ["a", "f"]})
        assert r.status_code == 200, r.text
        assert r.json() == {"clock": bob.clock + 1, "restored": ["a", "f"]}
        await bob.wait_clock(r.json()["clock"])
        assert bob.elements["a"]["author"] == ada.you and "f" in bob.elements
        assert server.post(path + "/restore", fac, {"ids": ["a"]}).status_code == 409
        assert [e["id"] for e in server.get(path, fac).json()["deleted"]] == ["p"]


async def test_restore_after_a_restart(fresh_server: ServerProcess) -> None:
    fresh_server.start()
    board = fresh_server.create_board()
    async with client(fresh_server, board, client_id="ada") as ada:
        assert (await ada.push([put(note("n", "kept"))]))["ok"]
        assert (await ada.push([{"op": "del", "id": "n"}]))["ok"]
    fresh_server.kill()
    fresh_server.start()
    async with client(fresh_server, board, client_id="ada") as ada:
        ack = await ada.push([restore("n")])
        assert ack["ok"], ack
        await ada.wait_for(lambda c: "n" in c.elements)
        assert ada.elements["n"]["text"] == "kept" and ada.elements["n"]["author"] == ada.you


@pytest.mark.redis
async def test_restore_in_another_process(tmp_path: Path, redis_server: RedisServer) -> None:
    a = ServerProcess(tmp_path / "a", redis=redis_server.url).start()
    b = ServerProcess(tmp_path / "b", redis=redis_server.url).start()
    try:
        board = a.create_board()
        async with client(a, board, client_id="ada") as ada, \
                client(b, board, client_id="bob") as bob:
            before = await deleted_by_bob(a, board, ada, bob, "n")
            ack = await ada.push([restore("n")])  # A learnt the grave from B's change
            assert ack["ok"], ack
            await bob.wait_clock(ack["clock"])
            assert bob.elements["n"]["created"] == before["created"]
            assert (await bob.push([{"op": "del", "id": "n"}]))["ok"]
        async with client(b, board, "facilitator") as fay:  # a room loaded from Redis
            r = b.get(f"/api/boards/{board['board']}/deleted", board["tokens"]["facilitator"])
            assert [e["id"] for e in r.json()["deleted"]] == ["n"]
            ack = await fay.push([restore("n")])
            assert ack["ok"], ack
    finally:
        a.kill()
        b.kill()
