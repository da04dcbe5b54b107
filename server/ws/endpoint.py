"""The WebSocket endpoint: handshake, hello, then the receive loop.

Sending lives in ``connection``, message handling in ``inbound``, the op
budget in ``ratelimit``, frame handling (uvicorn's protocol with a fast lane)
in ``frames``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Scope
from starlette.websockets import WebSocket, WebSocketDisconnect

from schemas.messages import (
    PROTOCOL_VERSION,
    SUBPROTOCOL_JSON,
    SUBPROTOCOL_MSGPACK,
    SUBPROTOCOLS,
    Hello,
)
from server.core import errors
from server.core.board import Actor
from server.core.codec import DecodeError, Encoding, Frame, decode
from server.live.room import Room
from server.web.security import origin_allowed
from server.ws.connection import WsConnection
from server.ws.frames import DIRECT_EXTENSION
from server.ws.inbound import Inbound, error_message, fatal, first_error

if TYPE_CHECKING:
    from server.services import Services

log = logging.getLogger("tussentafel.ws")

WELCOMES_FULL = "the server is busy sending boards to other joiners: try again shortly"


def choose_subprotocol(offered: list[str]) -> Encoding | None:
    for name in offered:
        if name == SUBPROTOCOL_MSGPACK:
            return "msgpack"
        if name == SUBPROTOCOL_JSON:
            return "json"
    return None


def _refusal(services: Services, scope: Scope) -> tuple[errors.Code, str] | None:
    """Why the handshake would be refused before it is accepted (None: it would
    not be): the browser cannot see the status of a refused WebSocket
    handshake, so ``probe`` tells it the same answer over plain HTTP."""
    if not origin_allowed(services.origins, scope):
        return errors.FORBIDDEN, "this page's origin may not connect to this server"
    if services.rooms.connections >= services.settings.max_conns:
        return errors.FULL, "the server is full: try again later"
    return None


async def probe(request: Request) -> Response:
    """``GET`` of the WebSocket URL without an upgrade: 200 if a handshake from
    this origin would be accepted now, else the refusal's status and code. Any
    origin may read the answer (it reveals only whether that origin may connect)."""
    services: Services = request.app.state.services
    refusal = _refusal(services, request.scope)
    cors = {"access-control-allow-origin": "*"}
    if refusal is not None:
        code, message = refusal
        return JSONResponse({"error": code, "message": message},
                            status_code=errors.HTTP_STATUS[code], headers=cors)
    return JSONResponse({"ok": True, "protocol": PROTOCOL_VERSION,
                         "subprotocols": list(SUBPROTOCOLS)}, headers=cors)


async def endpoint(ws: WebSocket) -> None:
    services: Services = ws.app.state.services
    board = ws.path_params["board"]
    encoding = choose_subprotocol(list(ws.scope.get("subprotocols", [])))
    if encoding is None or _refusal(services, ws.scope) is not None:
        await ws.close(code=errors.CLOSE_POLICY)  # before accept: the handshake is refused (403)
        return
    address = ws.client.host if ws.client else ""
    refused = services.admission.admit(address)  # before any await: no race for the last slot
    if refused is not None:
        log.debug("refuse a WebSocket from %s: the %s cap is reached", address, refused)
        services.metrics.rejects.labels(errors.FULL).inc()
        await ws.close(code=errors.CLOSE_TRY_AGAIN)
        return
    try:
        await _connected(ws, board, encoding, services)
    finally:
        services.admission.release(address)


async def _connected(ws: WebSocket, board: str, encoding: Encoding, services: Services) -> None:
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
        conn.send_now(error_message(errors.UNAVAILABLE, "internal error", fatal=True))
        conn.close(errors.CLOSE_TRY_AGAIN, "internal error")
    finally:
        try:
            services.metrics.connections.dec()
            services.pacing.connections -= 1
            if room is not None:
                room.leave(conn)
                services.rooms.free_seat(room.board)
                services.rooms.release(room)
            conn.close(errors.CLOSE_NORMAL, "")
            log.info("leave board=%s conn=%s close=%s", board, conn.id,
                     conn.closing[0] if conn.closing else None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sender, 5.0)
            if not sender.done():
                sender.cancel()
        finally:
            conn.finish()  # never keep a welcome's share of the budget past the connection


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
        frame = await asyncio.wait_for(_receive(ws), services.settings.hello_timeout_s)
    except TimeoutError:
        fatal(conn, errors.UNAUTHORIZED, "say hello first", errors.CLOSE_UNAUTHORIZED)
        return None
    hello = _hello(conn, frame)
    if hello is None:
        return None
    meta = await services.meta(board)
    if meta is None:
        fatal(conn, errors.UNKNOWN_BOARD, "no such board", errors.CLOSE_UNKNOWN_BOARD)
        return None
    grant = services.tokens.verify(hello.token)
    if grant is None or grant.board != board or grant.generation != meta.generation:
        fatal(conn, errors.UNAUTHORIZED, "this link is not valid for this board",
               errors.CLOSE_UNAUTHORIZED)
        return None
    room = await services.rooms.acquire(board)
    if room is None:
        fatal(conn, errors.UNKNOWN_BOARD, "no such board", errors.CLOSE_UNKNOWN_BOARD)
        return None
    if not services.rooms.take_seat(board):  # before any await: joins cannot overbook
        services.rooms.release(room)
        fatal(conn, errors.FULL, "this board is full", errors.CLOSE_TRY_AGAIN)
        return None
    joined = False
    try:
        if grant.generation != room.meta.generation:
            fatal(conn, errors.UNAUTHORIZED, "this link was revoked", errors.CLOSE_UNAUTHORIZED)
            return None
        conn.actor = Actor(services.tokens.participant_id(board, hello.client), grant.role)
        conn.generation = grant.generation
        if not await room.join(conn, (hello.name or "").strip(), hello.since):
            # the process's budget of unread welcomes is full (server/ws/welcomes.py):
            # others are still downloading big boards; retryable like a full board
            services.metrics.rejects.labels(errors.FULL).inc()
            fatal(conn, errors.FULL, WELCOMES_FULL, errors.CLOSE_TRY_AGAIN)
            return None
        joined = True
    finally:
        if not joined:
            services.rooms.free_seat(board)
            services.rooms.release(room)
    log.info("join board=%s conn=%s participant=%s role=%s encoding=%s since=%s",
             board, conn.id, conn.actor.participant, grant.role, conn.encoding, hello.since)
    return room


def _hello(conn: WsConnection, frame: Frame) -> Hello | None:
    """The first message as a hello, or None once the connection is refused:
    not a hello at all → ``unauthorized`` (4401); a hello asking for another
    protocol version → ``incompatible`` (4426); a hello with a bad field →
    ``invalid`` naming it (1008: a client bug, not a revoked link); a first
    frame that cannot be decoded at all (e.g. a lone surrogate in the name) →
    ``bad_message`` saying why (1008 too)."""
    try:
        message = decode(frame, conn.encoding)
    except DecodeError as exc:
        fatal(conn, errors.BAD_MESSAGE, f"hello: {exc}", errors.CLOSE_POLICY)
        return None
    if message.get("type") != "hello":
        fatal(conn, errors.UNAUTHORIZED, "the first message must be a hello",
              errors.CLOSE_UNAUTHORIZED)
        return None
    wanted = message.get("protocol", PROTOCOL_VERSION)
    if type(wanted) is int and wanted != PROTOCOL_VERSION:  # not an int: ``invalid`` below
        log.info("refuse conn=%s: hello asks for protocol %.40r", conn.id, wanted)
        conn.send_now({**error_message(
            errors.INCOMPATIBLE, f"this server speaks protocol {PROTOCOL_VERSION} only",
            fatal=True), "protocol": PROTOCOL_VERSION})
        conn.close(errors.CLOSE_INCOMPATIBLE, f"protocol {PROTOCOL_VERSION} only")
        return None
    try:
        return Hello.model_validate(message)
    except ValidationError as exc:
        fatal(conn, errors.INVALID, f"hello: {first_error(exc)}", errors.CLOSE_POLICY)
        return None


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
