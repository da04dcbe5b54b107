"""The REST endpoints (docs/protocol.md §2). Errors are JSON ``{"error", "message"}``."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from importlib import metadata
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schemas.messages import PROTOCOL_VERSION, SUBPROTOCOLS
from server.core import errors, i18n
from server.core.auth import Grant, new_board_id
from server.core.board import (
    SYSTEM,
    Actor,
    BoardState,
    Change,
    Rejection,
    apply,
    deleted_entries,
)
from server.core.clock import now_ms
from server.core.codec import has_lone_surrogate
from server.core.errors import ProtocolError
from server.live import snapshots
from server.live.room import Room
from server.store import BoardMeta, StoreError
from server.web import heavy, reach
from server.web.guards import CHANGING, JSONResponse, retry_after

if TYPE_CHECKING:
    from server.services import Services

log = logging.getLogger("tussentafel.http")

try:
    SERVER_VERSION = metadata.version("tussentafel")
except metadata.PackageNotFoundError:  # run from a source tree that was not installed
    SERVER_VERSION = "0+unknown"

MAX_BODY = 64 * 1024
MAX_TITLE = 200


def error_response(code: errors.Code, message: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=errors.HTTP_STATUS[code],
                        headers=headers)


async def store_unavailable(request: Request, exc: Exception) -> Response:
    """Any request the store fails (a full disk, Redis away): JSON 503, never a bare 500."""
    log.warning("%s %s: store unavailable: %s", request.method, request.url.path, exc)
    return error_response(errors.UNAVAILABLE, "the store cannot take this now; try again")


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    if request.method not in CHANGING:
        return request.query_params.get("t")
    if "t" in request.query_params:  # a link's token must not be enough to change anything
        raise ProtocolError(errors.UNAUTHORIZED,
                            "send the token in the Authorization header (Bearer); "
                            "?t= is only read by GET requests")
    return None


def take_board_budget(request: Request) -> None:
    """Creating boards is limited per client address (429 with Retry-After)."""
    address = request.client.host if request.client else ""
    wait = _services(request).board_rate.take(address)
    if wait:
        raise ProtocolError(errors.RATE_LIMITED, "too many boards created from this address; "
                            "try again later", {"retry-after": retry_after(wait)})


def check_unicode(raw: bytes, data: Any) -> None:
    """Strings must be valid Unicode: only an escape can smuggle a lone surrogate in."""
    if b"\\u" in raw and has_lone_surrogate(data):
        raise ProtocolError(errors.INVALID, "strings must be valid Unicode (no lone surrogates)")


async def _json_body(request: Request) -> dict[str, Any]:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        raise ProtocolError(errors.TOO_LARGE, f"a request body holds at most {MAX_BODY} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise ProtocolError(errors.TOO_LARGE, f"a request body holds at most {MAX_BODY} bytes")
    if not body.strip():
        return {}
    return json_object(body)


def json_object(raw: bytes) -> dict[str, Any]:
    """A request body that must be one JSON object of valid Unicode (no NaN)."""
    try:
        data = _parse_json(raw)
    except (ValueError, RecursionError):
        raise ProtocolError(errors.BAD_MESSAGE, "the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise ProtocolError(errors.BAD_MESSAGE, "the body must be a JSON object")
    check_unicode(raw, data)
    return data


def _parse_json(raw: bytes) -> Any:
    return json.loads(raw, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))


async def authorize(
    request: Request, *roles: str, board: str | None = None
) -> tuple[BoardMeta, Grant]:
    """The board (404 first), then the token (401), then the role (403).
    ``board``: the board named in the body rather than in the path."""
    services = _services(request)
    board = board if board is not None else request.path_params["board"]
    meta = await services.meta(board)
    if meta is None:
        raise ProtocolError(errors.UNKNOWN_BOARD, "no such board")
    grant = services.tokens.verify(_bearer(request))
    if grant is None or grant.board != board or grant.generation != meta.generation:
        raise ProtocolError(errors.UNAUTHORIZED, "a valid token of this board is needed")
    if roles and grant.role not in roles:
        raise ProtocolError(errors.FORBIDDEN, f"only a {' or '.join(roles)} may do this")
    return meta, grant


def _viewer(grant: Grant) -> Actor:
    return Actor("", grant.role)


def share_base(request: Request) -> str:
    """The base of links to hand out: one the room can reach (server/web/reach.py)."""
    settings = _services(request).settings
    return reach.share_base(str(request.base_url), settings.host, settings.public_url)


def links(request: Request, board: str, tokens: dict[str, str]) -> dict[str, str]:
    base = share_base(request)
    return {
        "facilitator": f"{base}/b/{board}?t={tokens['facilitator']}",
        "participant": f"{base}/b/{board}?t={tokens['participant']}",
        "viewer": f"{base}/b/{board}/screen?t={tokens['viewer']}",
    }


async def new_board(request: Request, body: dict[str, Any]) -> Response:
    """``POST /api/boards`` with a title and template (``web.aftercare`` reads
    the body: it may instead ask for an import or a copy of a snapshot)."""
    services = _services(request)
    admin = services.settings.admin_token
    if admin is not None:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {admin}".encode()):
            raise ProtocolError(errors.UNAUTHORIZED, "creating a board needs the admin token")
    title, template = body.get("title", ""), body.get("template", "blank")
    if not isinstance(title, str) or len(title) > MAX_TITLE:
        raise ProtocolError(errors.text_error(title),
                            f"title must be a string of at most {MAX_TITLE} characters")
    lang = i18n.lang_or_none(body["lang"]) if "lang" in body else i18n.from_accept_language(
        request.headers.get("accept-language"))
    if lang is None:
        raise ProtocolError(errors.INVALID, f"lang must be one of {', '.join(i18n.LANGS)}")
    from server.core.templates import TEMPLATES, template_elements

    if not isinstance(template, str) or template not in TEMPLATES:
        raise ProtocolError(errors.INVALID, f"template must be one of {', '.join(TEMPLATES)}")
    board = new_board_id()
    now = now_ms()
    meta = BoardMeta(board, title.strip() or i18n.t(lang, "board.untitled"), template, 1, now, {},
                     lang)
    first: Change | None = None
    elements = template_elements(template, lang)
    if elements:
        result = apply(
            BoardState(board), [{"op": "put", "el": el} for el in elements],
            Actor(SYSTEM, "facilitator"), now, restore=True,
        )
        if not isinstance(result, Change):
            raise RuntimeError(f"template {template} does not apply: {result}")
        first = result
    await services.store.create_board(meta, first)
    tokens = services.tokens.issue_all(board, meta.generation)
    body_out = {
        "board": board, "title": meta.title, "template": template, "lang": lang, "tokens": tokens,
        "links": links(request, board, tokens),
    }
    return JSONResponse(body_out, status_code=201)


async def get_board(request: Request) -> Response:
    services = _services(request)
    meta, _ = await authorize(request)
    async with services.rooms.use(meta.board) as room:
        assert room is not None
        async with room.lock:
            clock, count = room.state.clock, len(room.state.elements)
        online = sum(1 for p in room.presence.all() if p.get("online"))
    return JSONResponse(
        {"board": meta.board, "title": meta.title, "template": meta.template,
         "lang": meta.lang, "clock": clock, "elements": count, "online": online}
    )


async def _live_read(
    request: Request, read: Callable[[Room, Actor], Awaitable[bytes]]
) -> Response:
    """A big read of the live board (made off the loop, once per clock: ``heavy``)."""
    services = _services(request)
    meta, grant = await authorize(request)
    async with services.rooms.use(meta.board) as room:
        assert room is not None
        body = await read(room, _viewer(grant))
    return Response(body, media_type="application/json")


async def get_state(request: Request) -> Response:
    return await _live_read(request, heavy.state_body)


async def rotate(request: Request) -> Response:
    services = _services(request)
    meta, _ = await authorize(request, "facilitator")
    generation = meta.generation + 1
    await services.store.update_meta(meta.board, generation=generation)
    room = services.rooms.live.get(meta.board)
    if room is not None:
        room.meta.generation = generation
        room.close_older(generation)
    if services.store.shared:
        await services.store.publish(meta.board, {"type": "rotate", "generation": generation})
    tokens = services.tokens.issue_all(meta.board, generation)
    return JSONResponse({"tokens": tokens, "links": links(request, meta.board, tokens)})


# -- snapshots -------------------------------------------------------------------


async def create_snapshot(request: Request) -> Response:
    services = _services(request)
    meta, _ = await authorize(request, "facilitator")
    body = await _json_body(request)
    label = snapshots.clean_label(body.get("label"))
    if label is None:
        raise ProtocolError(errors.text_error(body.get("label")),
                        "label must be a string of at most 200 characters")
    async with services.rooms.use(meta.board) as room:
        assert room is not None
        snap = await snapshots.save(room, label)
        room.broadcast({"type": "event", "name": "snapshot", "snapshot": snap.to_dict()})
    return JSONResponse(snap.to_dict(), status_code=201)


async def list_snapshots(request: Request) -> Response:
    services = _services(request)
    meta, _ = await authorize(request)
    metas = await services.store.list_snapshots(meta.board)
    return JSONResponse({"snapshots": [m.to_dict() for m in metas]})


async def get_snapshot(request: Request) -> Response:
    services = _services(request)
    meta, grant = await authorize(request)
    try:
        body = await heavy.snapshot_body(
            services, meta.board, request.path_params["snapshot"], _viewer(grant)
        )
    except heavy.NoSnapshot:
        raise ProtocolError(errors.NOT_FOUND, "no such snapshot") from None
    return Response(body, media_type="application/json")


async def snapshot_svg(request: Request) -> Response:
    services = _services(request)
    meta, grant = await authorize(request)
    try:
        sid, svg = await heavy.snapshot_svg(
            services, meta.board, request.path_params["snapshot"], _viewer(grant), meta.title,
            meta.lang,
        )
    except heavy.NoSnapshot:
        raise ProtocolError(errors.NOT_FOUND, "no such snapshot") from None
    filename = f"{meta.board}-{sid}.svg"
    return Response(
        svg, media_type="image/svg+xml",
        headers={"content-disposition": f'inline; filename="{filename}"'},
    )


async def restore_snapshot(request: Request) -> Response:
    services = _services(request)
    meta, _ = await authorize(request, "facilitator")
    found = await services.store.get_snapshot(meta.board, request.path_params["snapshot"])
    if found is None:
        raise ProtocolError(errors.NOT_FOUND, "no such snapshot")
    _, elements = found
    async with services.rooms.use(meta.board) as room:
        assert room is not None
        result = await snapshots.restore(room, elements, Actor(SYSTEM, "facilitator"))
    if isinstance(result, Rejection):
        raise ProtocolError(result.code, result.message)
    return JSONResponse({"clock": result.clock})


# -- the "recently deleted" bin ------------------------------------------------------

BIN_LIMIT = 200
BIN_MAX = 1000


async def list_deleted(request: Request) -> Response:
    services = _services(request)
    meta, _ = await authorize(request, "facilitator")
    raw = request.query_params.get("limit", str(BIN_LIMIT))
    # isdigit() takes "²" and "١٢" too: only ASCII digits are a number here
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= BIN_MAX:
        raise ProtocolError(errors.INVALID, f"limit must be a whole number from 1 to {BIN_MAX}")
    async with services.rooms.use(meta.board) as room:
        assert room is not None
        async with room.lock:
            entries = deleted_entries(room.state, int(raw))
    return JSONResponse({"deleted": entries})


async def restore_deleted(request: Request) -> Response:
    services = _services(request)
    meta, _ = await authorize(request, "facilitator")
    body = await _json_body(request)
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise ProtocolError(errors.INVALID, "ids must be a non-empty list of element ids")
    ids = list(dict.fromkeys(ids))
    async with services.rooms.use(meta.board) as room:
        assert room is not None
        result = await room.submit(
            Actor(SYSTEM, "facilitator"), [{"op": "restore", "id": eid} for eid in ids]
        )
    if isinstance(result, Rejection):
        raise ProtocolError(result.code, result.message)
    return JSONResponse({"clock": result.clock, "restored": ids})


async def get_insights(request: Request) -> Response:
    return await _live_read(request, heavy.insights_body)


async def version(request: Request) -> Response:
    """What a client needs to know it can talk to this server (docs/protocol.md §8)."""
    return JSONResponse({"protocol": PROTOCOL_VERSION, "server": SERVER_VERSION,
                         "subprotocols": list(SUBPROTOCOLS)})


async def get_reach(request: Request) -> Response:
    """Where the room reaches this server: the base of links and QR codes, and
    whether other devices can reach it at all."""
    settings = _services(request).settings
    return JSONResponse({"base": share_base(request),
                         "loopback_only": reach.loopback_only(settings.host)})


async def healthz(request: Request) -> Response:
    services = _services(request)
    if not services.ready:
        return JSONResponse({"ok": False, "reason": "starting or stopping"}, status_code=503)
    if not await services.store.healthy():
        reason = services.store.problem or "the store cannot be reached"
        return JSONResponse({"ok": False, "reason": reason}, status_code=503)
    return JSONResponse({"ok": True})


async def _protocol_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProtocolError)
    return error_response(exc.code, exc.message, exc.headers)


# Every route's refusals become JSON ``{"error", "message"}`` here, in one place.
exception_handlers: dict[Any, Any] = {ProtocolError: _protocol_error, StoreError: store_unavailable}


routes = [
    Route("/healthz", healthz),
    Route("/api/version", version),
    Route("/api/reach", get_reach),
    Route("/api/boards/{board}", get_board),
    Route("/api/boards/{board}/state", get_state),
    Route("/api/boards/{board}/rotate", rotate, methods=["POST"]),
    Route("/api/boards/{board}/insights", get_insights),
    Route("/api/boards/{board}/deleted", list_deleted, methods=["GET"]),
    Route("/api/boards/{board}/deleted/restore", restore_deleted, methods=["POST"]),
    Route("/api/boards/{board}/snapshots", create_snapshot, methods=["POST"]),
    Route("/api/boards/{board}/snapshots", list_snapshots, methods=["GET"]),
    Route("/api/boards/{board}/snapshots/{snapshot}.svg", snapshot_svg),
    Route("/api/boards/{board}/snapshots/{snapshot}", get_snapshot),
    Route(
        "/api/boards/{board}/snapshots/{snapshot}/restore", restore_snapshot,
        methods=["POST"],
    ),
]
