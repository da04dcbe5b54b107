"""The WebSocket byte stream, frame by frame (server/ws/frames.py's fast lane).

A raw TCP client writes frames the way a network may deliver them: split
anywhere, several in one segment, fragmented, with control frames in between,
and broken ones. Every case runs through a real server on a loopback port.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
from typing import Any

import pytest

from tests.conftest import ServerProcess, note, put

pytestmark = pytest.mark.timeout(30)

TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA


def client_frame(opcode: int, payload: bytes, *, fin: bool = True, masked: bool = True,
                 rsv: int = 0) -> bytes:
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    n = len(payload)
    bit = 0x80 if masked else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 1 << 16:
        head += bytes([bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", n)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class RawWs:
    """Just enough of RFC 6455 to say anything, right or wrong, to the server."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, server: ServerProcess, board: str) -> RawWs:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((
            f"GET /api/boards/{board}/ws HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: tussentafel.v1.json\r\n\r\n").encode())
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    async def send(self, data: bytes, *, pieces: int = 1) -> None:
        """Write ``data`` in ``pieces`` separate writes, a moment apart."""
        step = max(1, -(-len(data) // pieces))
        for i in range(0, len(data), step):
            self.writer.write(data[i:i + step])
            await self.writer.drain()
            if pieces > 1:
                await asyncio.sleep(0.002)

    async def frame(self) -> tuple[int, bytes]:
        b0, b1 = await self.reader.readexactly(2)
        assert not b1 & 0x80, "server frames are not masked"
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", await self.reader.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", await self.reader.readexactly(8))[0]
        return b0 & 0x0F, await self.reader.readexactly(n)

    async def message(self) -> dict[str, Any]:
        """The next data message (bundles unpacked one at a time by the caller)."""
        while True:
            opcode, payload = await asyncio.wait_for(self.frame(), 10)
            assert opcode != CLOSE, f"closed: {payload!r}"
            if opcode == TEXT:
                decoded: dict[str, Any] = json.loads(payload)
                return decoded

    async def messages_until(self, kind: str) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        while not any(m["type"] == kind for m in seen):
            message = await self.message()
            seen.extend(message["messages"] if message["type"] == "bundle" else [message])
        return seen

    async def close_code(self) -> int:
        while True:
            opcode, payload = await asyncio.wait_for(self.frame(), 10)
            if opcode == CLOSE:
                code: int = struct.unpack("!H", payload[:2])[0]
                return code

    def close(self) -> None:
        self.writer.close()


def text(message: dict[str, Any]) -> bytes:
    return client_frame(TEXT, json.dumps(message).encode())


async def joined(server: ServerProcess, role: str = "facilitator") -> tuple[RawWs, dict[str, Any]]:
    board = server.create_board()
    ws = await RawWs.open(server, board["board"])
    await ws.send(text({"type": "hello", "token": board["tokens"][role], "client": "raw"}))
    assert (await ws.messages_until("welcome"))[-1]["type"] == "welcome"
    return ws, board


async def test_a_hello_split_into_single_bytes_and_frames_packed_together(
        server: ServerProcess) -> None:
    board = server.create_board()
    ws = await RawWs.open(server, board["board"])
    hello = text({"type": "hello", "token": board["tokens"]["participant"], "client": "raw"})
    await ws.send(hello, pieces=len(hello))  # one byte per TCP write
    assert (await ws.messages_until("welcome"))[-1]["type"] == "welcome"
    packed = (text({"type": "push", "id": "a", "ops": [put(note("n1"))]})
              + text({"type": "push", "id": "b", "ops": [put(note("n2"))]})
              + text({"type": "ping"}))
    await ws.send(packed, pieces=len(packed) // 7)  # 7-byte writes: splits headers too
    seen = await ws.messages_until("pong")  # a ping is answered at once, acks after the fsync
    while sum(m["type"] == "ack" for m in seen) < 2:
        seen += await ws.messages_until("ack")
    acks = [m for m in seen if m["type"] == "ack"]
    assert [(a["id"], a["ok"]) for a in acks] == [("a", True), ("b", True)]
    assert acks[1]["clock"] == acks[0]["clock"] + 1
    ws.close()
    state = server.state(board["board"], board["tokens"]["viewer"])
    assert {el["id"] for el in state["elements"]} == {"n1", "n2"}


async def test_16_and_64_bit_payload_lengths(server: ServerProcess) -> None:
    ws, board = await joined(server)
    medium = put(note("m", "x" * 1_000))  # 126: 16-bit length
    stroke = {"id": "s", "kind": "stroke", "x": 0, "y": 0, "z": "a", "color": "#123456",
              "width": 2, "points": [1234.5678] * 8_000}  # > 64 KiB: 64-bit length
    await ws.send(text({"type": "push", "id": 1, "ops": [medium]})
                  + text({"type": "push", "id": 2, "ops": [put(stroke)]}), pieces=5)
    seen = await ws.messages_until("ack")
    while len([m for m in seen if m["type"] == "ack"]) < 2:
        seen += await ws.messages_until("ack")
    assert [m["ok"] for m in seen if m["type"] == "ack"] == [True, True]
    ws.close()
    state = server.state(board["board"], board["tokens"]["viewer"])
    assert len(next(el for el in state["elements"] if el["id"] == "s")["points"]) == 8_000


async def test_a_fragmented_message_is_put_together_and_the_connection_goes_on(
        server: ServerProcess) -> None:
    ws, board = await joined(server)
    body = json.dumps({"type": "push", "id": "f", "ops": [put(note("frag"))]}).encode()
    await ws.send(client_frame(TEXT, body[:10], fin=False)
                  + client_frame(PING, b"in-between")  # control frames may interleave
                  + client_frame(CONT, body[10:]))
    pong = await asyncio.wait_for(ws.frame(), 10)
    assert pong == (PONG, b"in-between")
    seen = await ws.messages_until("ack")
    assert next(m for m in seen if m["type"] == "ack")["ok"] is True
    await ws.send(text({"type": "push", "id": "g", "ops": [put(note("after"))]}))
    seen = await ws.messages_until("ack")
    assert next(m for m in seen if m["type"] == "ack")["id"] == "g"
    ws.close()
    ids = {el["id"] for el in server.state(board["board"], board["tokens"]["viewer"])["elements"]}
    assert ids == {"frag", "after"}


async def test_a_client_ping_is_answered_with_its_payload(server: ServerProcess) -> None:
    ws, _ = await joined(server)
    await ws.send(client_frame(PING, b"are you there"))
    assert await asyncio.wait_for(ws.frame(), 10) == (PONG, b"are you there")
    ws.close()


@pytest.mark.parametrize(("frame", "code"), [
    (client_frame(TEXT, b'{"type": "ping", "x": "\xff"}'), 1007),  # not UTF-8
    (client_frame(TEXT, b'{"type": "ping"}', masked=False), 1002),  # clients must mask
    (client_frame(TEXT, b'{"type": "ping"}', rsv=0x40), 1002),  # no extension agreed
    (client_frame(CONT, b"orphan"), 1002),  # a continuation of nothing
    (client_frame(BINARY, b"x" * 16)[:2] + b"\x00" * 8, None),  # see below: 1009
], ids=["invalid-utf8", "unmasked", "rsv1", "orphan-continuation", "too-big"])
async def test_broken_frames_close_with_the_rfc_code_and_change_nothing(
        server: ServerProcess, frame: bytes, code: int | None) -> None:
    ws, board = await joined(server)
    if code is None:  # a header announcing 2 MiB (the limit is 1 MiB): refused at once
        frame = bytes([0x82, 0x80 | 127]) + struct.pack("!Q", 2 << 20) + os.urandom(4)
        code = 1009
    await ws.send(text({"type": "push", "id": "ok", "ops": [put(note("kept"))]}) + frame)
    assert await ws.close_code() == code
    ws.close()
    state = server.state(board["board"], board["tokens"]["viewer"])
    assert [el["id"] for el in state["elements"]] == ["kept"]
    other = await RawWs.open(server, board["board"])  # the server still serves the board
    await other.send(text({"type": "hello", "token": board["tokens"]["viewer"], "client": "v"}))
    welcome = (await other.messages_until("welcome"))[-1]
    assert [el["id"] for el in welcome["elements"]] == ["kept"]
    other.close()


async def test_a_command_and_what_follows_it_keep_their_order(server: ServerProcess) -> None:
    """A cmd waits for the store; what is sent behind it, in the same segment or
    while it runs, must not overtake it."""
    ws, _ = await joined(server)
    await ws.send(text({"type": "cmd", "id": "t", "name": "timer.start",
                        "args": {"seconds": 60, "label": "go"}})
                  + text({"type": "ping"})
                  + text({"type": "push", "id": "p", "ops": [put(note("late"))]}))
    seen = await ws.messages_until("ack")
    assert [m["type"] for m in seen if m["type"] in ("result", "pong", "ack")] == [
        "result", "pong", "ack"]
    for batch in range(8):  # 4 000 notes: a snapshot of them takes the store a while
        ops = [put(note(f"n{batch}-{i}")) for i in range(500)]
        await ws.send(text({"type": "push", "id": f"b{batch}", "ops": ops}))
        await ws.messages_until("ack")
    for delay in (0.0002, 0.0005, 0.001, 0.0015):
        await ws.send(text({"type": "cmd", "id": "s", "name": "snapshot", "args": {}}))
        await asyncio.sleep(delay)  # the snapshot (~2 ms) is being written now
        await ws.send(text({"type": "ping"}))
        seen = await ws.messages_until("pong")
        assert [m["type"] for m in seen if m["type"] in ("result", "pong")] == [
            "result", "pong"], delay
    ws.close()
