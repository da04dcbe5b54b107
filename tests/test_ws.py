"""The WebSocket protocol through a real server process and real sockets."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import msgpack
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from canvas_client.client import BoardClient, Closed
from schemas.messages import AckFail, AckOk, Patch, Welcome
from tests.conftest import ServerProcess, note, put

pytestmark = pytest.mark.timeout(60)


def client(server: ServerProcess, board: dict[str, Any], role: str = "participant",
           **kw: Any) -> BoardClient:
    return BoardClient(server.url, board["board"], board["tokens"][role], **kw)


@pytest.mark.parametrize("encoding", ["msgpack", "json"])
async def test_push_fans_out_to_every_other_client(
        server: ServerProcess, board: dict[str, Any], encoding: str) -> None:
    async with client(server, board, encoding=encoding, name="Ada") as a, \
            client(server, board, encoding="json") as b, \
            client(server, board, "viewer", encoding="msgpack") as v:
        ack = await a.push([put(note("n1", "why am I here"))])
        assert ack["ok"] is True and ack["clock"] == 1
        AckOk.model_validate(ack)
        for peer in (b, v):
            await peer.wait_clock(1)
            assert peer.elements["n1"]["text"] == "why am I here"
            assert peer.elements["n1"]["author"] == a.you
        patch = await b.next_message("patch")
        Patch.model_validate(patch)
        assert patch["by"] == a.you and patch["ops"][0]["el"]["v"] == 1
        assert a.elements == b.elements == v.elements


async def test_welcome_is_valid_and_private_client_id_is_not_revealed(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board, client_id="my-secret-client", name="Ada") as a:
        async with client(server, board, "viewer") as v:
            welcome = await v.next_message("welcome")
            Welcome.model_validate(welcome)
            assert welcome["full"] is True and welcome["role"] == "viewer"
            assert "my-secret-client" not in json.dumps(welcome)
            assert any(p["id"] == a.you and p["name"] == "Ada" for p in welcome["participants"])
    # the participant id is stable across reconnects of one client
    async with client(server, board, client_id="my-secret-client") as again:
        assert again.you == a.you


async def test_batch_with_one_invalid_op_changes_nothing(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board) as a, client(server, board) as b:
        await a.push([put(note("keep", "first"))])
        ack = await a.push([
            put(note("n2", "fine")),
            {"op": "patch", "id": "keep", "set": {"text": "changed"}},
            put({**note("n3"), "x": float("inf")}),
        ])
        assert ack["ok"] is False and ack["code"] == "invalid" and ack["op"] == 2
        AckFail.model_validate(ack)
        assert "n2" not in a.elements and a.elements["keep"]["text"] == "first"  # rolled back
        state = server.state(board["board"], board["tokens"]["facilitator"])
        assert state["clock"] == 1
        assert [el["id"] for el in state["elements"]] == ["keep"]
        assert state["elements"][0]["text"] == "first"
        await a.push([{"op": "patch", "id": "keep", "set": {"x": 5}}])
        await b.wait_clock(2)
        assert b.elements["keep"]["text"] == "first" and b.elements["keep"]["x"] == 5


async def test_concurrent_patches_of_different_fields_both_survive(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board) as a, client(server, board) as b:
        await a.push([put(note("n", "start"))])
        await b.wait_clock(1)
        fa = a.push_nowait([{"op": "patch", "id": "n", "set": {"text": "from a", "x": 10}}])
        fb = b.push_nowait([{"op": "patch", "id": "n", "set": {"color": "#ff0", "x": 20}}])
        acks = await asyncio.gather(fa, fb)
        assert all(ack["ok"] for ack in acks)
        await a.wait_clock(3)
        await b.wait_clock(3)
        final = server.state(board["board"], board["tokens"]["viewer"])["elements"][0]
        assert final["text"] == "from a" and final["color"] == "#ff0"
        later = max(acks, key=lambda ack: ack["clock"])
        assert final["x"] == (10 if later is acks[0] else 20)  # the later arrival wins x
        assert a.elements["n"] == b.elements["n"] == final


async def test_patch_after_delete_is_a_conflict(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board) as a, client(server, board) as b:
        await a.push([put(note("gone"))])
        await b.wait_clock(1)
        assert (await a.push([{"op": "del", "id": "gone"}]))["ok"]
        ack = await b.push([{"op": "patch", "id": "gone", "set": {"text": "too late"}}])
        assert ack["ok"] is False and ack["code"] == "conflict" and ack["op"] == 0
        again = await b.push([put(note("gone"))])
        assert again["code"] == "conflict"  # a deleted id is not re-created either
        assert "gone" not in b.elements


async def test_catch_up_with_since_sends_exactly_what_changed(
        server: ServerProcess, board: dict[str, Any]) -> None:
    token = board["tokens"]["participant"]
    async with client(server, board) as a:
        await a.push([put(note(f"n{i}", f"note {i}")) for i in range(5)])
    async with client(server, board, reconnect=False) as b:
        seen = b.clock
        saved = dict(b.elements)
    async with client(server, board) as a:
        await a.push([{"op": "patch", "id": "n1", "set": {"text": "edited"}}])
        await a.push([{"op": "del", "id": "n2"}])
        await a.push([put(note("n9", "new"))])
    async with BoardClient(server.url, board["board"], token, reconnect=False) as c:
        c.replica.base = saved
        c.replica.clock = seen
        assert c._ws is not None
        await c._ws.close()  # reconnect by hand with since
        await c.connect(since=seen)
        welcome = [m for m in _drain(c) if m["type"] == "welcome"][-1]
        assert welcome["full"] is False
        assert sorted(el["id"] for el in welcome["elements"]) == ["n1", "n9"]
        assert welcome["deleted"] == ["n2"]
        state = server.state(board["board"], token)
        assert c.clock == state["clock"]
        assert c.elements == {el["id"]: el for el in state["elements"]}


def _drain(c: BoardClient) -> list[dict[str, Any]]:
    out = []
    while not c.messages.empty():
        out.append(c.messages.get_nowait())
    return out


async def test_since_newer_than_the_board_gets_the_full_board(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board) as a:
        await a.push([put(note("n"))])
    ws = await connect(f"ws://127.0.0.1:{server.port}/api/boards/{board['board']}/ws",
                       subprotocols=[Subprotocol("tussentafel.v1.json")])
    await ws.send(json.dumps({"type": "hello", "token": board["tokens"]["viewer"],
                              "client": "x", "since": 99}))
    welcome = json.loads(await ws.recv())
    assert welcome["full"] is True and [e["id"] for e in welcome["elements"]] == ["n"]
    await ws.close()


async def test_five_concurrent_writers_see_every_clock_once_in_order(
        server: ServerProcess, board: dict[str, Any]) -> None:
    clients = [client(server, board, name=f"w{i}") for i in range(5)]
    watcher = client(server, board, "viewer")
    await asyncio.gather(*(c.connect() for c in (*clients, watcher)))
    clocks: dict[int, list[int]] = {i: [] for i in range(6)}
    for i, c in enumerate((*clients, watcher)):
        def record(m: dict[str, Any], into: list[int] = clocks[i]) -> None:
            if m["type"] == "patch" or (m["type"] == "ack" and m["ok"]):
                into.append(m["clock"])
        c.listeners.append(record)

    async def writer(i: int, c: BoardClient) -> None:
        for j in range(20):
            ack = await c.push([put(note(f"w{i}-{j}", f"{i}/{j}")),
                                {"op": "patch", "id": f"w{i}-{j}", "set": {"x": j}}])
            assert ack["ok"], ack

    await asyncio.gather(*(writer(i, c) for i, c in enumerate(clients)))
    total = 100
    for c in (*clients, watcher):
        await c.wait_clock(total)
    for i in range(6):
        assert clocks[i] == list(range(1, total + 1)), f"client {i} saw a gap or disorder"
    state = server.state(board["board"], board["tokens"]["facilitator"])
    expected = {el["id"]: el for el in state["elements"]}
    assert len(expected) == total
    for c in (*clients, watcher):
        assert c.elements == expected
        await c.close()


async def test_viewer_cannot_push(server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board, "viewer") as v:
        ack = await v.push([put(note("v"))])
        assert ack["ok"] is False and ack["code"] == "forbidden"
        assert "v" not in v.elements


async def test_token_of_another_board_is_closed_with_4401(
        server: ServerProcess, board: dict[str, Any]) -> None:
    other = server.create_board("other")
    c = BoardClient(server.url, board["board"], other["tokens"]["facilitator"], reconnect=False)
    with pytest.raises(Closed) as refused:
        await c.connect()
    assert refused.value.code == 4401


async def test_unknown_board_is_closed_with_4404(
        server: ServerProcess, board: dict[str, Any]) -> None:
    c = BoardClient(server.url, "nosuchboard", board["tokens"]["facilitator"], reconnect=False)
    with pytest.raises(Closed) as refused:
        await c.connect()
    assert refused.value.code == 4404


async def test_no_known_subprotocol_refuses_the_handshake(
        server: ServerProcess, board: dict[str, Any]) -> None:
    url = f"ws://127.0.0.1:{server.port}/api/boards/{board['board']}/ws"
    with pytest.raises(InvalidStatus):
        await connect(url, subprotocols=[Subprotocol("graphql-ws")])


async def test_first_message_must_be_hello(server: ServerProcess, board: dict[str, Any]) -> None:
    ws = await connect(f"ws://127.0.0.1:{server.port}/api/boards/{board['board']}/ws",
                       subprotocols=[Subprotocol("tussentafel.v1.json")])
    await ws.send(json.dumps({"type": "ping"}))
    error = json.loads(await ws.recv())
    assert error["code"] == "unauthorized" and error["fatal"] is True
    with pytest.raises(ConnectionClosed):
        await ws.recv()
    assert ws.close_code == 4401


async def test_garbage_leaves_the_server_and_other_connections_working(
        server: ServerProcess, board: dict[str, Any]) -> None:
    url = f"ws://127.0.0.1:{server.port}/api/boards/{board['board']}/ws"
    async with client(server, board) as good, client(server, board, "viewer") as watcher:
        raw = await connect(url, subprotocols=[Subprotocol("tussentafel.v1.msgpack")],
                            max_size=None)
        await raw.send(msgpack.packb({"type": "hello", "token": board["tokens"]["participant"],
                                      "client": "raw"}))
        assert msgpack.unpackb(await raw.recv())["type"] == "welcome"
        for frame in (b"\xc1\xc1\xc1", msgpack.packb([1, 2, 3]), msgpack.packb({"type": "nope"}),
                      msgpack.packb({"no": "type"}), "text on a msgpack connection",
                      msgpack.packb({"type": "push", "ops": []}),
                      msgpack.packb({"type": "push", "id": "x", "ops": "notalist"})):
            await raw.send(frame)
            error = msgpack.unpackb(await raw.recv())
            assert error["type"] == "error" and error["code"] == "bad_message"
            assert error["fatal"] is False
        with pytest.raises(ConnectionClosed):
            await raw.send(b"\x00" * (2 * 1024 * 1024))  # over the 1 MiB frame limit
            while True:
                await raw.recv()
        assert raw.close_code == 1009
        ack = await good.push([put(note("still"))])
        assert ack["ok"] and ack["clock"] == 1
        await watcher.wait_clock(1)
        assert "still" in watcher.elements


async def test_ten_bad_messages_in_a_row_close_with_1008(
        server: ServerProcess, board: dict[str, Any]) -> None:
    ws = await connect(f"ws://127.0.0.1:{server.port}/api/boards/{board['board']}/ws",
                       subprotocols=[Subprotocol("tussentafel.v1.json")])
    await ws.send(json.dumps({"type": "hello", "token": board["tokens"]["viewer"], "client": "x"}))
    await ws.recv()
    for _ in range(10):
        await ws.send("[not a map]")
    with pytest.raises(ConnectionClosed):
        while True:
            await ws.recv()
    assert ws.close_code == 1008


async def test_ping_answers_pong_with_server_time(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board, "viewer", encoding="json") as v:
        await v._send({"type": "ping"})
        pong = await v.next_message("pong")
        assert isinstance(pong["time"], int) and pong["time"] > 1_700_000_000_000
