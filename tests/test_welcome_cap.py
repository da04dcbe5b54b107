"""The process's budget of unread welcomes (server/ws/welcomes.py), through real
servers and raw sockets that stop reading.

A welcome (the whole board) goes outside the per-connection send bound, so
that a full board can always be joined; without a bound on the sum, sockets
that say hello to a big board and never read each kept several MiB in the
server. Each test fills a board with ~6.6 MB of JSON welcome, far more than
the kernel takes for a client that does not read (~3 MB on loopback), so
that most of a stalled welcome stays in the server, where the budget counts it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess, note, put
from tests.test_ws_frames import CLOSE, TEXT, RawWs, text

pytestmark = pytest.mark.timeout(90)

NOTES = 3000  # of 2 000 characters: ~6.3 MB of board, a ~6.6 MB JSON welcome
BUDGET = 8_000_000  # more than one such welcome, less than two


def start(tmp: Path, **env: str) -> ServerProcess:
    base = {"TUSSENTAFEL_RATE_BURST": "1000000", "TUSSENTAFEL_RATE_OPS_PER_S": "1000000",
            # no keepalive pings: a stalled reader is closed by the welcome deadline only
            "TUSSENTAFEL_WS_PING_INTERVAL_S": "0",
            "TUSSENTAFEL_MAX_UNREAD_WELCOME_BYTES": str(BUDGET)}
    return ServerProcess(tmp / "data", env={**base, **env}).start()


async def big_board(server: ServerProcess) -> dict[str, Any]:
    board = server.create_board()
    async with BoardClient(server.url, board["board"], board["tokens"]["facilitator"]) as w:
        for first in range(0, NOTES, 400):  # 400 notes: under the 1 MiB frame limit
            last = min(first + 400, NOTES)
            ops = [put(note(f"n{i}", "x" * 2000, x=float(i))) for i in range(first, last)]
            ack = await w.push(ops)
            assert ack["ok"], ack
    return board


def unread_welcome_bytes(server: ServerProcess) -> float:
    r = httpx.get(f"{server.url}/metrics", timeout=10)
    for line in r.text.splitlines():
        if line.startswith("tussentafel_welcome_unread_bytes "):
            return float(line.split()[1])
    raise AssertionError("no tussentafel_welcome_unread_bytes gauge in /metrics")


async def until_unread(server: ServerProcess, test: Any, timeout: float = 10.0) -> float:
    """The gauge once ``test(value)`` holds (bounded wait)."""
    deadline = time.monotonic() + timeout
    value = unread_welcome_bytes(server)
    while not test(value):
        assert time.monotonic() < deadline, f"unread welcome bytes stayed at {value}"
        await asyncio.sleep(0.1)
        value = unread_welcome_bytes(server)
    return value


async def stalled(server: ServerProcess, board: dict[str, Any], client: str, *,
                  source: str = "127.0.0.1", reads: bool = False) -> RawWs:
    """A joiner that says hello and then reads nothing: a tiny receive buffer,
    and the stream reader stops pulling from the socket after 4 KiB. From
    ``source`` (any 127.x.y.z is loopback); with ``reads``, an ordinary one."""
    sock = socket.socket()
    sock.bind((source, 0))
    if not reads:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.wait_for(
        asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.port)), 10)
    reader, writer = await asyncio.open_connection(sock=sock, limit=2**16 if reads else 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((
        f"GET /api/boards/{board['board']}/ws HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: tussentafel.v1.json\r\n\r\n").encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 101"), head
    ws = RawWs(reader, writer)
    await ws.send(text({"type": "hello", "token": board["tokens"]["viewer"], "client": client}))
    return ws


async def hello(server: ServerProcess, board: dict[str, Any], client: str) -> RawWs:
    ws = await RawWs.open(server, board["board"])
    await ws.send(text({"type": "hello", "token": board["tokens"]["viewer"], "client": client}))
    return ws


async def welcomed(server: ServerProcess, board: dict[str, Any], client: str) -> RawWs:
    """A joiner that reads, once it has the whole board."""
    ws = await hello(server, board, client)
    seen = await ws.messages_until("welcome")
    assert len(seen[-1]["elements"]) == NOTES
    return ws


async def to_the_end(ws: RawWs, timeout: float = 20.0) -> tuple[list[dict[str, Any]], int | None]:
    """Every message until the server closes: the messages and the close code
    (None: the stream just ended, without a close frame). Fails if the
    connection is still open after ``timeout``."""
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"still open after {timeout} s; got {[m['type'] for m in messages]}"
        try:
            opcode, payload = await asyncio.wait_for(ws.frame(), left)
        except (asyncio.IncompleteReadError, ConnectionError):
            return messages, None
        except TimeoutError:
            continue  # the assertion above says it
        if opcode == CLOSE:
            code: int = struct.unpack("!H", payload[:2])[0]
            return messages, code
        if opcode == TEXT:
            message = json.loads(payload)
            messages.extend(message["messages"] if message["type"] == "bundle" else [message])


async def test_a_full_budget_refuses_the_next_joiner_retryably_until_a_welcome_is_freed(
        tmp_path: Path) -> None:
    server = start(tmp_path)
    try:
        board = await big_board(server)
        first = await stalled(server, board, "stall-1")
        await asyncio.sleep(1.0)  # its welcome is written: what the kernel took is freed
        second = await stalled(server, board, "stall-2")
        messages, code = await to_the_end(second)
        assert [m["type"] for m in messages] == ["error"], messages
        assert messages[0]["code"] == "full" and messages[0]["fatal"] is True
        # word for word as docs/protocol.md §6 ("Large welcomes") promises it
        assert messages[0]["message"] == ("the server is busy sending boards to other joiners: "
                                          "try again shortly")
        assert code == 1013  # retryable: sync.js and the Python client reconnect
        second.close()
        held = await until_unread(server, lambda v: v > 0)
        assert BUDGET - held < NOTES * 2000  # the first still holds what refused the second
        first.close()  # the first joiner goes away: its share comes back at once
        await until_unread(server, lambda v: v == 0)
        (await welcomed(server, board, "third")).close()
    finally:
        server.stop()


async def test_a_joiner_that_does_not_read_its_welcome_in_time_is_closed_and_freed(
        tmp_path: Path) -> None:
    server = start(tmp_path, TUSSENTAFEL_WELCOME_READ_S="1.5")
    try:
        board = await big_board(server)
        began = time.monotonic()
        staller = await stalled(server, board, "stall")
        await asyncio.sleep(4.0)  # past the deadline (1.5 s), checked every 0.5 s
        messages, code = await to_the_end(staller)
        # dropped with its welcome half sent (the close frame would have sat behind it)
        assert not any(m["type"] == "welcome" for m in messages), "the welcome arrived whole"
        assert code in (None, 4408)
        staller.close()
        await until_unread(server, lambda v: v == 0, timeout=5.0)
        assert time.monotonic() - began >= 1.5
        (await welcomed(server, board, "reader")).close()  # the budget is free again
    finally:
        server.stop()


async def test_joiners_that_read_are_unaffected_and_give_their_share_back(
        tmp_path: Path) -> None:
    server = start(tmp_path)
    try:
        board = await big_board(server)
        readers: list[RawWs] = []
        for i in range(4):  # each stays connected: only reading frees its share
            readers.append(await welcomed(server, board, f"reader-{i}"))
            await until_unread(server, lambda v: v == 0, timeout=5.0)
        async with BoardClient(server.url, board["board"],
                               board["tokens"]["facilitator"]) as writer:
            assert (await writer.push([put(note("after", "after the welcomes"))]))["ok"]
        for ws in readers:  # ordinary traffic flows as before
            patch = next(m for m in await ws.messages_until("patch") if m["type"] == "patch")
            assert patch["ops"][0]["el"]["id"] == "after"
            ws.close()
        # the writer's welcome too: given back at the next check (a timer) or its close
        await until_unread(server, lambda v: v == 0, timeout=5.0)
    finally:
        server.stop()


async def test_one_address_cannot_take_the_whole_budget(tmp_path: Path) -> None:
    """Sockets from one address that never read fill that address's share (a
    quarter of the budget) and its next joiner is refused; a joiner from
    another address still gets its welcome."""
    server = start(tmp_path, TUSSENTAFEL_MAX_UNREAD_WELCOME_BYTES=str(30_000_000))
    try:
        board = await big_board(server)
        first = await stalled(server, board, "stall-1")
        await until_unread(server, lambda v: v > 0)
        second = await stalled(server, board, "stall-2")  # same address: over its share
        messages, code = await to_the_end(second)
        assert [m["code"] for m in messages if m["type"] == "error"] == ["full"], messages
        assert code == 1013
        second.close()
        other = await stalled(server, board, "elsewhere", source="127.0.0.2", reads=True)
        seen = await other.messages_until("welcome")
        assert len(seen[-1]["elements"]) == NOTES
        other.close()
        first.close()
    finally:
        server.stop()


def test_the_budget_bookkeeping() -> None:
    # imported here: on a server without it, only this test fails to import it
    from server.ws.welcomes import WelcomeBudget

    budget = WelcomeBudget(100)
    big = budget.reserve(150, "a")  # nothing held: let in even past the limit
    assert big is not None and budget.reserved == 150
    assert budget.reserve(1, "b") is None
    assert not big.shrink_to(200) and big.held == 150  # never grows by what follows it
    assert not big.shrink_to(60) and budget.reserved == 60
    assert budget.reserve(1, "a") is None  # "a" holds more than its share (100 / 4)
    small = budget.reserve(40, "b")
    assert small is not None and budget.reserve(1, "c") is None
    small.resize(45)  # its header, once encoded
    assert budget.reserved == 105 and budget.by_address == {"a": 60, "b": 45}
    assert big.shrink_to(0) and budget.reserved == 45 and "a" not in budget.by_address
    big.release()
    small.release()
    small.release()  # idempotent
    small.resize(45)  # a released reservation stays released
    assert budget.reserved == 0 and budget.by_address == {}
    shared = WelcomeBudget(100)
    assert shared.reserve(20, "a") is not None and shared.reserve(5, "a") is not None
    assert shared.reserve(1, "a") is None and shared.reserve(70, "b") is not None
    unbounded = WelcomeBudget(0)
    assert unbounded.reserve(10**9) is not None and unbounded.reserve(10**9) is not None


def open_connections(server: ServerProcess) -> float:
    r = httpx.get(f"{server.url}/metrics", timeout=10)
    for line in r.text.splitlines():
        if line.startswith("tussentafel_connections "):
            return float(line.split()[1])
    raise AssertionError("no tussentafel_connections gauge in /metrics")


async def test_a_reader_that_stopped_is_dropped_when_it_cannot_take_its_close(
        tmp_path: Path) -> None:
    """A peer that stops reading overflows its send queue and is closed (4408),
    but the close frame sits behind everything it did not read: the connection
    (socket, buffer, descriptor) must still end, not wait for a read that never
    comes."""
    server = start(tmp_path, TUSSENTAFEL_MAX_QUEUE_BYTES=str(1 << 20))
    try:
        board = server.create_board()
        staller = await stalled(server, board, "stopped")
        async with BoardClient(server.url, board["board"],
                               board["tokens"]["facilitator"]) as writer:
            assert open_connections(server) == 2
            stroke = {"id": "s", "kind": "stroke", "x": 0, "y": 0, "z": "a",
                      "color": "#123456", "width": 2, "points": [123.456789] * 10_000}
            for i in range(120):  # ~14 MB of patches: past the kernel's buffers and the bound
                assert (await writer.push([put({**stroke, "x": i})]))["ok"]
            deadline = time.monotonic() + 20
            while open_connections(server) > 1:  # the writer's own stays
                assert time.monotonic() < deadline, "the stopped reader is still connected"
                await asyncio.sleep(0.25)
        staller.close()
    finally:
        server.stop()
