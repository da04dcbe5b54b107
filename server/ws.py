"""The WebSocket endpoint: handshake, hello, decode, dispatch, send queues.

Each connection has a bounded queue. The room only enqueues (already encoded
frames); a flush at the end of the tick writes whatever has piled up as one
``bundle`` frame, so a busy room costs a reader few frames, and a reader that
stops reading fills only its own queue (its sender task waits for the socket)
until it is closed (4408). Incoming messages are handled by ``Inbound``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from schemas.elements import MAX_COORD
from schemas.messages import SUBPROTOCOL_JSON, SUBPROTOCOL_MSGPACK, Hello, PresenceIn
from server import errors
from server.board import Actor
from server.codec import DecodeError, Encoding, Frame, Outgoing, bundle, decode, encode
from server.room import Room, now_ms
from server.ws_protocol import DIRECT_EXTENSION, WRITE_EXTENSION

if TYPE_CHECKING:
    from server.app import Services

log = logging.getLogger("tussentafel.ws")

HELLO_TIMEOUT_S = 10.0


class TokenBucket:
    """Per-connection op budget: ``rate`` ops/s sustained, ``burst`` at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.at = time.monotonic()

    def take(self, count: int) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if count > self.tokens:
            return False
        self.tokens -= count
        return True


class WsConnection:
    """One client socket and its bounded outgoing queue.

    The room only appends (already encoded frames). A flush, scheduled with
    ``call_soon`` so that everything queued in this tick goes as one ``bundle``,
    writes straight to the socket when it can take more (``tussentafel.write``
    of ``server.ws_protocol``). When the socket is full, or the protocol has no
    direct write, or the connection is closing, the sender task takes over: it
    awaits the socket, so a reader that stops reading only fills its own queue
    until it is closed (4408). Under load (``server.pacing``) a flush waits
    until ``frame_interval`` has passed since the previous frame.
    """

    def __init__(self, ws: WebSocket, encoding: Encoding, services: Services) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.ws = ws
        self.encoding: Encoding = encoding
        self.services = services
        settings = services.settings
        self.max_bytes = settings.max_queue_bytes
        self.max_messages = settings.max_queue_messages
        self.pacing = services.pacing
        self.actor = Actor("", "viewer")
        self.generation = 0
        self.queue: deque[Frame] = deque()
        self.queued_bytes = 0
        self.closing: tuple[int, str] | None = None
        self._flush_before_close = True
        self._ready = asyncio.Event()
        self.done = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._write: Callable[[Frame], bool] | None = ws.scope.get("extensions", {}).get(
            WRITE_EXTENSION)
        self._flush_due = False  # a flush is scheduled
        self._sender_busy = False  # the sender task holds frames: direct writes wait
        self._last_frame = 0.0

    def send(self, message: Outgoing) -> None:
        if self.closing is not None:
            return
        frame = message.frame(self.encoding)
        self.queue.append(frame)
        self.queued_bytes += len(frame)
        self.pacing.enqueued += 1
        if len(self.queue) > self.max_messages or self.queued_bytes > self.max_bytes:
            self.services.metrics.queue_drops.inc()
            self.close(errors.CLOSE_SLOW, "too far behind: reconnect with since", flush=False)
            return
        if not self._flush_due:
            self._flush_due = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_due = False
        if not self.queue or self.closing is not None:
            return
        if self._write is None or self._sender_busy:
            self._ready.set()
            return
        interval = self.pacing.frame_interval  # > 0 only when the process is busy
        if interval:
            wait = self._last_frame + interval - self._loop.time()
            if wait > 0:
                self._flush_due = True
                self._loop.call_later(wait, self._flush)
                return
        frame = self.queue[0] if len(self.queue) == 1 else bundle(list(self.queue), self.encoding)
        if not self._write(frame):  # the socket is full (or closing): the sender waits
            self._ready.set()
            return
        self.queue.clear()
        self.queued_bytes = 0
        self._last_frame = self._loop.time()

    def send_now(self, message: dict[str, Any]) -> None:
        self.send(Outgoing(message))

    def close(self, code: int, reason: str, *, flush: bool = True) -> None:
        if self.closing is None:
            self.closing = (code, reason)
            self._flush_before_close = flush
            self._ready.set()

    async def run_sender(self) -> None:
        ws = self.ws
        try:
            while True:
                await self._ready.wait()
                self._ready.clear()
                if self.closing is not None and not self._flush_before_close:
                    break
                if self.queue and self._write is None:  # no direct write (deflate): pace here
                    interval = self.pacing.frame_interval
                    wait = self._last_frame + interval - self._loop.time() if interval else 0.0
                    if wait > 0:
                        await asyncio.sleep(wait)
                        if self.closing is not None and not self._flush_before_close:
                            break
                if self.queue:
                    self._sender_busy = True
                    frames = list(self.queue)
                    self.queue.clear()
                    self.queued_bytes = 0
                    frame = frames[0] if len(frames) == 1 else bundle(frames, self.encoding)
                    if isinstance(frame, bytes):
                        await ws.send_bytes(frame)
                    else:
                        await ws.send_text(frame)
                    self._last_frame = self._loop.time()
                    self._sender_busy = False
                    if self.queue:  # more came meanwhile
                        if self._write is None:
                            self._ready.set()
                        elif not self._flush_due:
                            self._flush_due = True
                            self._loop.call_soon(self._flush)
                if self.closing is not None and not self.queue:
                    break
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass  # the peer went away; the receive loop sees it too
        except Exception:  # a frame that cannot be sent must not take anything else down
            log.exception("conn %s: send failed", self.id)
            self.closing = self.closing or (errors.CLOSE_TRY_AGAIN, "internal error")
        finally:
            self._sender_busy = False
            self.done.set()
        code, reason = self.closing or (errors.CLOSE_NORMAL, "")
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(code, reason), 2.0)


def choose_subprotocol(offered: list[str]) -> Encoding | None:
    for name in offered:
        if name == SUBPROTOCOL_MSGPACK:
            return "msgpack"
        if name == SUBPROTOCOL_JSON:
            return "json"
    return None


def origin_allowed(ws: WebSocket, allowed: tuple[str, ...]) -> bool:
    """Cross-site WebSocket hijacking guard: a browser's Origin must be this
    server (same host) or on the allow-list; non-browser clients send none."""
    origin = ws.headers.get("origin")
    if origin is None or origin in allowed or "*" in allowed:
        return True
    host = ws.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


async def endpoint(ws: WebSocket) -> None:
    services: Services = ws.app.state.services
    board = ws.path_params["board"]
    encoding = choose_subprotocol(list(ws.scope.get("subprotocols", [])))
    if encoding is None or not origin_allowed(ws, services.settings.allowed_origins):
        await ws.close(code=errors.CLOSE_POLICY)  # before accept: the handshake is refused
        return
    if services.rooms.connections >= services.settings.max_conns:
        await ws.close(code=errors.CLOSE_TRY_AGAIN)
        return
    subprotocol = SUBPROTOCOL_MSGPACK if encoding == "msgpack" else SUBPROTOCOL_JSON
    await ws.accept(subprotocol=subprotocol)
    conn = WsConnection(ws, encoding, services)
    sender = asyncio.create_task(conn.run_sender(), name=f"send:{conn.id}")
    services.metrics.connections.inc()
    services.pacing.connections += 1
    room: Room | None = None
    try:
        room = await _handshake(ws, conn, board, services)
        if room is not None:
            await _serve(ws, conn, room, services)
    except WebSocketDisconnect:
        pass
    except Exception:
        log.exception("board %s conn %s: unexpected error", board, conn.id)
        conn.send_now(_error(errors.UNAVAILABLE, "internal error", fatal=True))
        conn.close(errors.CLOSE_TRY_AGAIN, "internal error")
    finally:
        services.metrics.connections.dec()
        services.pacing.connections -= 1
        if room is not None:
            room.leave(conn)
            services.rooms.release(room)
        conn.close(errors.CLOSE_NORMAL, "")
        log.info("leave board=%s conn=%s close=%s", board, conn.id,
                 conn.closing[0] if conn.closing else None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(sender, 5.0)
        if not sender.done():
            sender.cancel()


def _error(code: str, message: str, *, fatal: bool = False) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, "fatal": fatal}


def _fatal(conn: WsConnection, code: str, message: str, close_code: int) -> None:
    log.info("refuse conn=%s code=%s close=%d: %s", conn.id, code, close_code, message)
    conn.send_now(_error(code, message, fatal=True))
    conn.close(close_code, message[:100])


async def _receive(ws: WebSocket) -> Frame:
    message = await ws.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    if message.get("bytes") is not None:
        data: bytes = message["bytes"]
        return data
    text: str = message.get("text") or ""
    return text


async def _handshake(
    ws: WebSocket, conn: WsConnection, board: str, services: Services
) -> Room | None:
    try:
        frame = await asyncio.wait_for(_receive(ws), HELLO_TIMEOUT_S)
    except TimeoutError:
        _fatal(conn, errors.UNAUTHORIZED, "say hello first", errors.CLOSE_UNAUTHORIZED)
        return None
    try:
        hello = Hello.model_validate(decode(frame, conn.encoding))
    except (DecodeError, ValidationError):
        _fatal(conn, errors.UNAUTHORIZED, "the first message must be a valid hello",
               errors.CLOSE_UNAUTHORIZED)
        return None
    meta = await services.meta(board)
    if meta is None:
        _fatal(conn, errors.UNKNOWN_BOARD, "no such board", errors.CLOSE_UNKNOWN_BOARD)
        return None
    grant = services.tokens.verify(hello.token)
    if grant is None or grant.board != board or grant.generation != meta.generation:
        _fatal(conn, errors.UNAUTHORIZED, "this link is not valid for this board",
               errors.CLOSE_UNAUTHORIZED)
        return None
    room = await services.rooms.acquire(board)
    if room is None:
        _fatal(conn, errors.UNKNOWN_BOARD, "no such board", errors.CLOSE_UNKNOWN_BOARD)
        return None
    if len(room.conns) >= services.settings.max_conns_per_board:
        services.rooms.release(room)
        _fatal(conn, errors.FULL, "this board is full", errors.CLOSE_TRY_AGAIN)
        return None
    if grant.generation != room.meta.generation:
        services.rooms.release(room)
        _fatal(conn, errors.UNAUTHORIZED, "this link was revoked", errors.CLOSE_UNAUTHORIZED)
        return None
    conn.actor = Actor(services.tokens.participant_id(board, hello.client), grant.role)
    conn.generation = grant.generation
    await room.join(conn, (hello.name or "").strip(), hello.since)
    log.info("join board=%s conn=%s participant=%s role=%s encoding=%s since=%s",
             board, conn.id, conn.actor.participant, grant.role, conn.encoding, hello.since)
    return room


class Inbound:
    """What one joined connection's messages do.

    ``handle`` is synchronous: a push only queues a job for the room, presence
    only updates the room's table, a ping only queues a pong. The WebSocket
    protocol (``server.ws_protocol``) calls it straight from the socket's read
    callback, with no task switch per message, whenever nothing is waiting in
    the connection's receive queue; a ``cmd`` (which awaits) and anything that
    arrives while one runs goes through the queue to ``_serve``, in order.
    """

    def __init__(self, conn: WsConnection, room: Room, services: Services) -> None:
        self.conn = conn
        self.room = room
        self.services = services
        settings = services.settings
        self.bucket = TokenBucket(settings.rate_ops_per_s, settings.rate_burst)
        self.bad_limit = settings.bad_messages_before_close
        self.bad_in_a_row = 0
        self.busy = False  # _serve is running a queued message: keep the order

    def direct(self, frame: Frame) -> bool:
        """The protocol's fast path: True if handled, False to queue it instead."""
        if self.busy:
            return False
        if self.conn.closing is not None:
            return True  # closing: nothing more is read
        try:
            return self.handle(frame) is None
        except Exception:  # never raise into the transport's callback
            log.exception("conn %s: message failed", self.conn.id)
            _fatal(self.conn, errors.UNAVAILABLE, "internal error", errors.CLOSE_TRY_AGAIN)
            return True

    def handle(self, frame: Frame) -> dict[str, Any] | None:
        """Do what ``frame`` asks; a command is returned to be awaited by the caller."""
        conn = self.conn
        try:
            message = decode(frame, conn.encoding)
            kind = message.get("type")
            if kind == "presence":
                fields = _presence_fields(message)
                if "pointer" in fields and not conn.actor.facilitator:
                    conn.send_now(_error(errors.FORBIDDEN, "only a facilitator has a pointer"))
                    return None
                self.room.point(conn, fields)
            elif kind == "push":
                self._push(message)
            elif kind == "ping":
                conn.send_now({"type": "pong", "time": now_ms()})
            elif kind == "cmd":
                self.bad_in_a_row = 0
                return message
            elif kind == "hello":
                raise DecodeError("hello was already said")
            else:
                raise DecodeError(f"unknown message type {str(kind)[:40]!r}")
            self.bad_in_a_row = 0
        except (DecodeError, ValidationError) as exc:
            self.bad(exc)
        return None

    async def command(self, message: dict[str, Any]) -> None:
        try:
            await self.services.commands.handle(self.room, self.conn, message)
        except (DecodeError, ValidationError) as exc:
            self.bad(exc)

    def bad(self, exc: DecodeError | ValidationError) -> None:
        """A message that is not one: say why; close after too many in a row."""
        self.bad_in_a_row += 1
        self.services.metrics.rejects.labels(errors.BAD_MESSAGE).inc()
        reason = str(exc) if isinstance(exc, DecodeError) else _first_error(exc)
        if self.bad_in_a_row >= self.bad_limit:
            _fatal(self.conn, errors.BAD_MESSAGE, f"too many bad messages: {reason}",
                   errors.CLOSE_POLICY)
        else:
            self.conn.send_now(_error(errors.BAD_MESSAGE, reason))

    def _push(self, message: dict[str, Any]) -> None:
        push_id, ops = message.get("id"), message.get("ops")
        if isinstance(push_id, bool) or not (
            (isinstance(push_id, int) and -(2**63) <= push_id < 2**63)
            or (isinstance(push_id, str) and 0 < len(push_id) <= 128)
        ):
            raise DecodeError("a push needs an id: a string of 1-128 or a 64-bit integer")
        if not isinstance(ops, list):
            raise DecodeError("a push needs a list of ops")
        if not self.bucket.take(len(ops)):
            self.services.metrics.rejects.labels(errors.RATE_LIMITED).inc()
            self.conn.send_now({"type": "ack", "id": push_id, "ok": False,
                                "code": errors.RATE_LIMITED,
                                "message": "too many changes: slow down"})
            return
        self.services.metrics.ops.inc(len(ops))
        self.room.push(self.conn, push_id, ops)


def _presence_fields(message: dict[str, Any]) -> dict[str, Any]:
    """A presence message's fields: the common cursor-only message is checked
    here, anything else by the ``PresenceIn`` schema (same rules, same errors)."""
    if len(message) == 2:
        cursor = message.get("cursor")
        if (type(cursor) is list and len(cursor) == 2
                and all(type(v) in (int, float) and -MAX_COORD <= v <= MAX_COORD for v in cursor)):
            return {"cursor": [float(cursor[0]), float(cursor[1])]}
    presence = PresenceIn.model_validate(message)
    fields = presence.model_dump(exclude_none=True)
    fields.pop("type", None)
    if "pointer" in presence.model_fields_set and presence.pointer is None:
        fields["pointer"] = None  # null hides the pointer
    return fields


async def _serve(ws: WebSocket, conn: WsConnection, room: Room, services: Services) -> None:
    inbound = Inbound(conn, room, services)
    direct = ws.scope.get("extensions", {}).get(DIRECT_EXTENSION)
    if direct is not None:
        direct(inbound.direct)
    while conn.closing is None:
        frame = await _receive(ws)
        inbound.busy = True
        try:
            command = inbound.handle(frame)
            if command is not None:
                await inbound.command(command)
        finally:
            inbound.busy = False


def _first_error(exc: ValidationError) -> str:
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "message"
    return f"{where}: {first['msg']}"[:200]


__all__ = ["WsConnection", "encode", "endpoint"]
