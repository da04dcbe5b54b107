"""uvicorn's sans-I/O WebSocket protocol, with a fast lane for data frames.

Profiles of a busy server (docs/performance.md) spent a quarter of the event
loop in websockets' generator-based frame parser and in pausing and resuming
the socket after every single message, and another tenth serialising each
outgoing frame through the sans-I/O state machine. Between the handshake and
the close, nearly every frame is a complete, unfragmented, masked text or
binary frame; this class handles exactly those itself and hands everything
else to uvicorn's implementation unchanged:

- Incoming: whole data frames are sliced out of the byte stream, unmasked with
  websockets' C ``apply_mask`` and queued for the app. A control frame (ping,
  pong, close) is handed, whole, to the sans-I/O parser, which therefore always
  sits on a frame boundary. Anything unusual (a fragment, a reserved bit, an
  unmasked frame, a frame over ``ws_max_size``, invalid UTF-8 in a text frame)
  sends this and all later bytes of the connection down uvicorn's own path, so
  its errors and close codes (1002, 1007, 1009) stay exactly as they were.
- Direct delivery: after the hello the app may register a synchronous
  handler through the ``tussentafel.direct`` scope extension. A data message
  then goes straight to it from the read callback (no queue, no task switch),
  as long as nothing is waiting in the receive queue; the handler returns
  False for what must go through the queue (the order is kept either way).
- Reading pauses when 64 messages wait for the app (uvicorn pauses after every
  message) and resumes below 8: still bounded, without two syscalls a message.
- Outgoing: a data frame is written as header + payload in one ``write``
  (server frames are not masked), only while the connection is open; close,
  ping and the handshake stay with uvicorn. ``tussentafel.write`` (a scope
  extension) writes a frame synchronously, or says False when the socket is
  over its high-water mark so that the caller can wait the ASGI way.
- Welcome bookkeeping (``server.ws.welcomes``), in every mode:
  ``tussentafel.unsent`` says how many written bytes the kernel has not taken
  yet (the transport's buffer), and ``tussentafel.abort`` drops the connection
  at once with whatever it holds (a close would wait for a peer that does not
  read, with the buffer kept all that time).

With permessage-deflate on (``ws_deflate``), frames carry RSV1 and must be
(de)compressed: then everything takes uvicorn's path.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

try:
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - websockets ships the C extension for CPython
    from websockets.utils import apply_mask

DIRECT_EXTENSION = "tussentafel.direct"
WRITE_EXTENSION = "tussentafel.write"
UNSENT_EXTENSION = "tussentafel.unsent"
ABORT_EXTENSION = "tussentafel.abort"
Direct = Callable[[bytes | str], bool]

PAUSE_AT = 64  # messages queued for the app before reading pauses
RESUME_AT = 8

_TEXT, _BINARY = 0x1, 0x2
_PACK_16 = struct.Struct("!BBH").pack
_PACK_64 = struct.Struct("!BBQ").pack


def frame_header(opcode: int, length: int) -> bytes:
    """The header of an unmasked, final frame (RFC 6455 §5.2)."""
    if length < 126:
        return bytes((0x80 | opcode, length))
    if length < 1 << 16:
        return _PACK_16(0x80 | opcode, 126, length)
    return _PACK_64(0x80 | opcode, 127, length)


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's ``websockets-sansio`` protocol plus the fast lane above."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fast = not self.config.ws_per_message_deflate
        self._max_size = self.config.ws_max_size
        self._partial = bytearray()  # the start of a frame still arriving
        self._need = 0  # bytes ``_partial`` must hold before a frame can be read from it
        self._direct: Direct | None = None

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        if not hasattr(self, "scope"):
            return
        extensions: Any = self.scope["extensions"]
        extensions[UNSENT_EXTENSION] = self._unsent
        extensions[ABORT_EXTENSION] = self._abort
        if self._fast:
            extensions[DIRECT_EXTENSION] = self._set_direct
            extensions[WRITE_EXTENSION] = self._write_now

    def _set_direct(self, handler: Direct) -> None:
        self._direct = handler

    def _unsent(self) -> int:
        """Bytes written to the transport that the kernel has not taken yet."""
        if self.disconnected:
            return 0
        return self.transport.get_write_buffer_size()

    def _abort(self) -> None:
        """Drop the connection now, and its unsent bytes: asyncio's ``close``
        keeps the socket and its buffer until the peer has read everything,
        which a peer that stopped reading never does. ``connection_lost``
        follows (the app sees a disconnect)."""
        if not self.disconnected:
            self.transport.abort()

    # -- incoming ----------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if not (self._fast and self.handshake_complete and not self.close_sent
                and self.conn.state is State.OPEN):
            super().data_received(data)
            return
        partial = self._partial
        if partial:
            # a frame dribbling in is collected, not re-joined per read (which is
            # quadratic), and read once it is whole
            partial += data
            if len(partial) < self._need:
                return
            data = bytes(partial)
            partial.clear()
        queue = self.queue
        size = len(data)
        pos = 0
        need = 2  # what the frame at ``pos`` needs at least, if it is cut short
        while size - pos >= 2:
            need = 2
            b0 = data[pos]
            b1 = data[pos + 1]
            length = b1 & 0x7F
            head = 2
            if length == 126:
                head = need = 4
                if size - pos < head:
                    break
                length = int.from_bytes(data[pos + 2:pos + 4], "big")
            elif length == 127:
                head = need = 10
                if size - pos < head:
                    break
                length = int.from_bytes(data[pos + 2:pos + 10], "big")
            opcode = b0 & 0x0F
            if (b0 & 0xF0) != 0x80 or not (b1 & 0x80) or length > self._max_size:
                self._slow_lane(data[pos:])  # fragment, reserved bit, unmasked, too big
                return
            start = pos + head + 4
            end = start + length
            if end > size:
                need = end - pos
                break  # the rest of this frame has not arrived yet
            if opcode == _BINARY or opcode == _TEXT:
                payload: bytes | str = apply_mask(data[start:end], data[pos + head:start])
                if opcode == _TEXT:
                    try:
                        payload = payload.decode()  # type: ignore[union-attr]
                    except UnicodeDecodeError:
                        self._slow_lane(data[pos:])  # uvicorn closes with 1007
                        return
                direct = self._direct
                if direct is None or queue.qsize() or not direct(payload):
                    if isinstance(payload, str):
                        queue.put_nowait({"type": "websocket.receive", "text": payload})
                    else:
                        queue.put_nowait({"type": "websocket.receive", "bytes": payload})
            elif opcode >= 0x8:  # ping, pong, close: whole, to the sans-I/O parser
                super().data_received(data[pos:end])
                if self.close_sent or self.conn.state is not State.OPEN:
                    return  # closing: uvicorn ignores what follows
            else:
                self._slow_lane(data[pos:])  # a continuation frame out of the blue
                return
            pos = end
        if pos < size:
            partial += memoryview(data)[pos:]
            self._need = need
        if not self.read_paused and queue.qsize() >= PAUSE_AT:
            self.read_paused = True
            self.transport.pause_reading()

    def _slow_lane(self, rest: bytes) -> None:
        self._fast = False
        super().data_received(rest)

    async def receive(self) -> Any:
        message = await self.queue.get()
        if self.read_paused and self.queue.qsize() <= RESUME_AT:
            self.read_paused = False
            self.transport.resume_reading()
        return message

    # -- outgoing ----------------------------------------------------------------

    def _write_now(self, data: bytes | str) -> bool:
        """Write one data frame now, if the connection is open and its socket
        is not over the high-water mark; False (nothing written) otherwise."""
        if (self.close_sent or self.disconnected or not self.writable.is_set()
                or self.conn.state is not State.OPEN or self.transport.is_closing()):
            return False
        if isinstance(data, str):
            raw = data.encode()
            self.transport.write(frame_header(_TEXT, len(raw)) + raw)
        else:
            self.transport.write(frame_header(_BINARY, len(data)) + data)
        return True

    async def send(self, message: Any) -> None:
        """ASGI send (the sender task's path): a data frame goes through
        ``_write_now`` once the socket can take it; the rest, and anything
        ``_write_now`` refuses, is uvicorn's (which raises or refuses as usual)."""
        if self._fast and message["type"] == "websocket.send":
            if not self.writable.is_set():
                await self.writable.wait()  # the socket buffer is full: the sender waits
            data = message.get("bytes")
            if data is None:
                data = message.get("text")
            if data is not None and self._write_now(data):
                return
        await super().send(message)
