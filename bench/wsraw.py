"""A minimal WebSocket client as an asyncio Protocol, for the load generator.

Why not ``websockets``/``canvas_client``: a generator with 100-200 clients in
one process on a 2-core machine must spend as little CPU per frame as it can,
or it (not the server) sets the latency. This client does the least RFC 6455
needs: the HTTP upgrade, unmasked server frames parsed with slicing, pongs to
pings, and client frames masked with the all-zero key (valid: the key is
XORed, a zero key leaves the payload as is, so no per-byte work in Python).
No compression is offered. Payloads are handed to ``on_payload`` as bytes.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
from collections.abc import Callable
from typing import Any

_ZERO_MASK = b"\x00\x00\x00\x00"


def frame(payload: bytes, opcode: int = 0x2) -> bytes:
    """One client frame (FIN, masked with the zero key)."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    return head + _ZERO_MASK + payload


class WsClient(asyncio.Protocol):
    """One connection; ``on_payload(client, payload, now)`` gets every data message."""

    def __init__(
        self,
        host: str,
        port: int,
        path: str,
        subprotocol: str | None,
        on_payload: Callable[[WsClient, bytes, float], None],
        tag: Any = None,
    ) -> None:
        self.host, self.port, self.path = host, port, path
        self.subprotocol = subprotocol
        self.on_payload = on_payload
        self.tag = tag
        self.transport: asyncio.Transport | None = None
        self.upgraded = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.close_code: int | None = None
        self.rx_bytes = 0
        self.rx_frames = 0
        self.tx_bytes = 0
        self._buf = b""
        self._frag: list[bytes] = []
        self._http = True
        #: False: data frames are only counted, not handed on (a load-only client: the
        #: generator's CPU goes to the clients that measure)
        self.deliver = True

    # -- asyncio.Protocol ----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {self.path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
        if self.subprotocol:
            lines.append(f"Sec-WebSocket-Protocol: {self.subprotocol}")
        self.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.rx_bytes += len(data)
        buf = self._buf + data if self._buf else data
        if self._http:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self._buf = buf
                return
            status = buf[: buf.find(b"\r\n")]
            if b" 101 " not in status + b" ":
                if not self.upgraded.done():
                    self.upgraded.set_exception(ConnectionError(status.decode(errors="replace")))
                self.transport.close()  # type: ignore[union-attr]
                return
            self._http = False
            if not self.upgraded.done():
                self.upgraded.set_result(True)
            buf = buf[end + 4 :]
        pos = 0
        size = len(buf)
        on_payload = self.on_payload
        while size - pos >= 2:
            b0 = buf[pos]
            n = buf[pos + 1] & 0x7F
            head = 2
            if n == 126:
                if size - pos < 4:
                    break
                n = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                head = 4
            elif n == 127:
                if size - pos < 10:
                    break
                n = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                head = 10
            end = pos + head + n
            if end > size:
                break
            payload = buf[pos + head : end]
            pos = end
            opcode = b0 & 0x0F
            if opcode in (1, 2):
                self.rx_frames += 1
                if not self.deliver:
                    continue
                if b0 & 0x80:
                    on_payload(self, payload, now)
                else:
                    self._frag = [payload]
            elif opcode == 0:
                if not self.deliver:
                    continue
                self._frag.append(payload)
                if b0 & 0x80:
                    whole = b"".join(self._frag)
                    self._frag = []
                    self.rx_frames += 1
                    on_payload(self, whole, now)
            elif opcode == 9:  # ping -> pong
                self.send_frame(frame(payload, 0xA))
            elif opcode == 8:
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self.transport.close()  # type: ignore[union-attr]
                break
        self._buf = buf[pos:] if pos < size else b""

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(exc or ConnectionError("closed before the upgrade"))
        if not self.closed.done():
            self.closed.set_result(self.close_code)

    # -- sending ---------------------------------------------------------------------

    def send_frame(self, data: bytes) -> None:
        transport = self.transport
        if transport is not None and not transport.is_closing():
            self.tx_bytes += len(data)
            transport.write(data)

    def send(self, payload: bytes) -> None:
        self.send_frame(frame(payload))

    def close(self, code: int = 1000) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.send_frame(frame(code.to_bytes(2, "big"), 0x8))
            self.transport.close()


async def connect(
    host: str,
    port: int,
    path: str,
    subprotocol: str | None,
    on_payload: Callable[[WsClient, bytes, float], None],
    tag: Any = None,
    timeout: float = 10.0,
) -> WsClient:
    loop = asyncio.get_running_loop()
    _, proto = await asyncio.wait_for(
        loop.create_connection(
            lambda: WsClient(host, port, path, subprotocol, on_payload, tag), host, port
        ),
        timeout,
    )
    await asyncio.wait_for(proto.upgraded, timeout)
    return proto
