"""How much work a frame that dribbles in costs (issue #12, finding 10).

A peer may send one big frame a few bytes at a time. If every read re-joins
what has arrived so far (``partial + data``), a 1 MiB frame in 64-byte reads
copies ~8 GB: seconds of CPU for one message, before any hello. Through a
real socket the kernel merges small writes into bigger reads, so the
difference hides in the noise (``python -m bench dribble`` measures it there);
here the protocol object of server/ws/frames.py gets exactly one 64-byte read
per call, and the work for a 1 MiB frame is compared with that for a 256 KiB
one. Linear reassembly costs about 4 times as much, a quadratic one 16 times.
It is a ratio of two runs of the same code on the same machine, so a slow or
busy machine moves both.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState
from websockets.speedups import apply_mask

from server.ws.frames import WebSocketProtocol

pytestmark = pytest.mark.timeout(120)

PIECE = 64


class Transport(asyncio.Transport):
    """The socket side: takes what the protocol writes, reads nothing itself."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000),
                "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def write(self, data: Any) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


async def _open() -> tuple[WebSocketProtocol, list[Any]]:
    """A protocol object after a real handshake with an app that keeps what it receives."""
    received: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "websocket"
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        while True:
            event = await receive()
            if event["type"] == "websocket.disconnect":
                return
            received.append(event.get("text") or event.get("bytes"))

    config = Config(app=app, ws=WebSocketProtocol, ws_max_size=4 << 20, lifespan="off",
                    ws_per_message_deflate=False,  # as the server runs it: the fast lane
                    log_level="warning")
    config.load()
    proto = WebSocketProtocol(config, ServerState(), {})
    transport = Transport()
    proto.connection_made(transport)
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    proto.data_received(
        ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
         "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
         f"Sec-WebSocket-Key: {key}\r\n\r\n").encode())
    for _ in range(200):  # bounded: the app task accepts within a few loop turns
        if proto.handshake_complete:
            break
        await asyncio.sleep(0.01)
    assert proto.handshake_complete, bytes(transport.written)
    assert transport.written.startswith(b"HTTP/1.1 101")
    assert proto._fast  # the lane under test, not uvicorn's own parser
    return proto, received


def _frame(size: int) -> bytes:
    """A masked binary frame of ``size`` payload bytes."""
    payload = bytes(size)
    mask = os.urandom(4)
    return b"\x82\xff" + size.to_bytes(8, "big") + mask + apply_mask(payload, mask)


async def _cpu_for(size: int) -> float:
    """CPU seconds to take one ``size``-byte frame in 64-byte reads."""
    proto, received = await _open()
    frame = _frame(size)
    pieces = [frame[i:i + PIECE] for i in range(0, len(frame), PIECE)]
    start = time.process_time()
    for piece in pieces:
        proto.data_received(piece)
    spent = time.process_time() - start
    for _ in range(200):
        if received:
            break
        await asyncio.sleep(0.01)
    assert received and len(received[0]) == size  # the frame arrived whole
    proto.connection_lost(None)
    return spent


async def test_a_dribbled_frame_costs_work_linear_in_its_size() -> None:
    small = min([await _cpu_for(256 << 10) for _ in range(3)])
    big = min([await _cpu_for(1 << 20) for _ in range(3)])
    ratio = big / max(small, 1e-6)
    # linear: ~4; quadratic: ~16. 8 leaves room for noise on either side.
    assert ratio < 8, f"1 MiB took {big:.3f} s of CPU, 256 KiB {small:.3f} s: {ratio:.1f} times"
