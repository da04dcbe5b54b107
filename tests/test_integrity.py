"""Idempotent pushes: a re-sent push is answered with its original ack and
never applies twice, in one commit group, after a restart, across processes."""

from __future__ import annotations

import asyncio
import time
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


def wait_state(server: ServerProcess, board: dict[str, Any], clock: int) -> dict[str, Any]:
    """/state once its clock reached ``clock`` (bounded)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        state = server.state(board["board"], board["tokens"]["facilitator"])
        if state["clock"] >= clock:
            return state
        time.sleep(0.02)
    raise AssertionError(f"the board never reached clock {clock}")


async def push_and_vanish(server: ServerProcess, board: dict[str, Any], client_id: str,
                          batch: str, ops: list[dict[str, Any]]) -> None:
    """Send a push and close the connection at once, never reading its ack."""
    c = client(server, board, client_id=client_id, reconnect=False)
    await c.connect()
    await c._send({"type": "push", "id": batch, "ops": ops})
    assert c._ws is not None and c._ws.transport is not None
    c._ws.transport.close()  # FIN right after the frame: the ack has nowhere to go
    await c.close()


async def lost_ack_then_newer_edit(
    first: ServerProcess, second: ServerProcess, board: dict[str, Any], between: Any = None
) -> None:
    """The scenario of the issue: committed, ack lost, someone edits, re-send."""
    ops = [put(note("n1", "first words"))]
    await push_and_vanish(first, board, "ada-device", "batch-1", ops)
    state = wait_state(first, board, 1)
    committed = next(el for el in state["elements"] if el["id"] == "n1")
    clock, at = committed["v"], committed["created"]
    if between is not None:
        between()
    async with client(second, board, client_id="bob-device") as bob:
        assert (await bob.push([{"op": "patch", "id": "n1", "set": {"text": "newer"}}]))["ok"]
    async with client(second, board, client_id="ada-device") as ada:
        ack = await ada.push(ops, batch="batch-1")
        assert ack == {"type": "ack", "id": "batch-1", "ok": True, "clock": clock, "time": at}
        fresh = await ada.push([put(note("n2"))], batch="batch-2")
        assert fresh["ok"] and fresh["clock"] == clock + 2
    state = second.state(board["board"], board["tokens"]["facilitator"])
    n1 = next(el for el in state["elements"] if el["id"] == "n1")
    assert n1["text"] == "newer", "the re-send applied a second time"
    assert state["clock"] == clock + 2


async def test_resend_after_a_lost_ack_gets_the_original_ack(
        server: ServerProcess, board: dict[str, Any]) -> None:
    await lost_ack_then_newer_edit(server, server, board)


async def test_resend_after_a_restart_gets_the_original_ack(fresh_server: ServerProcess) -> None:
    fresh_server.start()
    board = fresh_server.create_board()

    def restart() -> None:
        fresh_server.kill()  # SIGKILL: only what was durable survives
        fresh_server.start()

    await lost_ack_then_newer_edit(fresh_server, fresh_server, board, between=restart)


@pytest.mark.redis
async def test_resend_to_another_process_gets_the_original_ack(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    a = ServerProcess(tmp_path / "a", redis=redis_server.url).start()
    b = ServerProcess(tmp_path / "b", redis=redis_server.url).start()
    try:
        board = a.create_board()
        async with client(b, board, "viewer"):  # B's room is live: it learns by the bus
            await lost_ack_then_newer_edit(a, b, board)
        await lost_ack_then_newer_edit(a, b, a.create_board())  # B loads it from Redis
    finally:
        a.kill()
        b.kill()


async def test_the_same_push_twice_in_one_group_applies_once(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board) as ada, client(server, board, "facilitator") as fay:
        acks: list[dict[str, Any]] = []
        ada.listeners.append(lambda m: acks.append(m) if m["type"] == "ack" else None)
        frame = {"type": "push", "id": 7, "ops": [put(note("twice"))]}
        for _ in range(3):  # back to back: one commit group, or the next
            await ada._send(frame)
        await ada.wait_for(lambda c: len(acks) == 3)
        assert [a["ok"] for a in acks] == [True] * 3
        assert len({(a["clock"], a["time"]) for a in acks}) == 1
        clock = acks[0]["clock"]
        await fay.wait_clock(clock)
        await ada.push([put(note("after"))])  # a marker: everything before it is in
        assert ada.clock == clock + 1
        assert server.state(board["board"], board["tokens"]["facilitator"])["clock"] == clock + 1


async def test_push_ids_are_per_participant(server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board, client_id="one") as one, \
            client(server, board, client_id="two") as two:
        a = await one.push([put(note("a"))], batch="same")
        b = await two.push([put(note("b"))], batch="same")
        assert a["ok"] and b["ok"] and b["clock"] == a["clock"] + 1
        # the integer 1 and the string "1" are different ids
        await one._send({"type": "push", "id": 1, "ops": [put(note("c"))]})
        await one._send({"type": "push", "id": "1", "ops": [put(note("d"))]})
        await one.wait_clock(b["clock"] + 2)
    state = server.state(board["board"], board["tokens"]["facilitator"])
    assert {"a", "b", "c", "d"} <= {el["id"] for el in state["elements"]}


async def test_a_refused_push_is_not_remembered(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board) as ada:
        bad = await ada.push([{"op": "patch", "id": "missing", "set": {"text": "x"}}],
                             batch="retry-me")
        assert bad["ok"] is False and bad["code"] == "conflict"
        good = await ada.push([put(note("missing"))], batch="retry-me")
        assert good["ok"] is True


async def test_the_client_resends_unacked_batches_under_the_same_id(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board) as ada:
        sent: list[Any] = []
        original = ada._send

        async def spy(message: dict[str, Any]) -> None:
            if message.get("type") == "push":
                sent.append(message["id"])
            await original(message)

        ada._send = spy  # type: ignore[method-assign]
        future = ada.push_nowait([put(note("kept"))])
        await ada.drop()  # maybe before, maybe after the commit: either way once
        ack = await asyncio.wait_for(future, 10)
        assert ack["ok"] and len(sent) >= 1 and len(set(sent)) == 1
    state = server.state(board["board"], board["tokens"]["facilitator"])
    assert [el["id"] for el in state["elements"]].count("kept") == 1
