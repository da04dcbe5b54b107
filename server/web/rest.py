"""The REST endpoints (docs/protocol.md §2). Errors are JSON ``{"error", "message"}``."""

from __future__ import annotations

import hmac
import json
import logging
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.core import errors
from server.core.auth import Grant, new_board_id
from server.core.board import SYSTEM, Actor, BoardState, Change, Rejection, apply
from server.core.clock import now_ms
from server.live import snapshots
from server.store import BoardMeta, StoreError
from server.web import heavy

if TYPE_CHECKING:
    from server.services import Services

log = logging.getLogger("tussentafel.http")

MAX_BODY = 64 * 1024
MAX_TITLE = 200


class HttpError(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message


def error_response(code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=errors.HTTP_STATUS[code])


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.query_params.get("t")


async def _json_body(request: Request) -> dict[str, Any]:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        raise HttpError(errors.TOO_LARGE, f"a request body holds at most {MAX_BODY} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise HttpError(errors.TOO_LARGE, f"a request body holds at most {MAX_BODY} bytes")
    if not body.strip():
        return {}
    try:
        data = json.loads(body, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except (ValueError, RecursionError):
        raise HttpError(errors.BAD_MESSAGE, "the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise HttpError(errors.BAD_MESSAGE, "the body must be a JSON object")
    return data


async def authorize(request: Request, *roles: str) -> tuple[BoardMeta, Grant]:
    """The board (404 first), then the token (401), then the role (403)."""
    services = _services(request)
    board = request.path_params["board"]
    meta = await services.meta(board)
    if meta is None:
        raise HttpError(errors.UNKNOWN_BOARD, "no such board")
    grant = services.tokens.verify(_bearer(request))
    if grant is None or grant.board != board or grant.generation != meta.generation:
        raise HttpError(errors.UNAUTHORIZED, "a valid token of this board is needed")
    if roles and grant.role not in roles:
        raise HttpError(errors.FORBIDDEN, f"only a {' or '.join(roles)} may do this")
    return meta, grant


def _viewer(grant: Grant) -> Actor:
    return Actor("", grant.role)


def links(request: Request, board: str, tokens: dict[str, str]) -> dict[str, str]:
    services = _services(request)
    base = services.settings.public_url or str(request.base_url).rstrip("/")
    return {
        "facilitator": f"{base}/b/{board}?t={tokens['facilitator']}",
        "participant": f"{base}/b/{board}?t={tokens['participant']}",
        "viewer": f"{base}/b/{board}/screen?t={tokens['viewer']}",
    }


async def create_board(request: Request) -> Response:
    services = _services(request)
    admin = services.settings.admin_token
    if admin is not None:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {admin}".encode()):
            raise HttpError(errors.UNAUTHORIZED, "creating a board needs the admin token")
    body = await _json_body(request)
    title, template = body.get("title", ""), body.get("template", "blank")
    if not isinstance(title, str) or len(title) > MAX_TITLE:
        raise HttpError(errors.INVALID, f"title must be a string of at most {MAX_TITLE} characters")
    from server.core.templates import TEMPLATES, template_elements

    if not isinstance(template, str) or template not in TEMPLATES:
        raise HttpError(errors.INVALID, f"template must be one of {', '.join(TEMPLATES)}")
    board = new_board_id()
    now = now_ms()
    meta = BoardMeta(board, title.strip() or "Untitled board", template, 1, now, {})
    first: Change | None = None
    elements = template_elements(template)
    if elements:
        result = apply(
            BoardState(board), [{"op": "put", "el": el} for el in elements],
            Actor(SYSTEM, "facilitator"), now, restore=True,
        )
        if isinstance(result, Rejection):
            raise RuntimeError(f"template {template} does not validate: {result.message}")
        first = result
    await services.store.create_board(meta, first)
    tokens = services.tokens.issue_all(board, meta.generation)
    body_out = {
        "board": board, "title": meta.title, "template": template, "tokens": tokens,
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
         "clock": clock, "elements": count, "online": online}
    )


async def get_state(request: Request) -> Response:
    services = _services(request)
    meta, grant = await authorize(request)
    async with services.rooms.use(meta.board) as room:
        assert room is not None
        body = await heavy.state_body(room, _viewer(grant))
    return Response(body, media_type="application/json")


async def rotate(request: Request) -> Response:
    services = _services(request)
    meta, _ = await authorize(request, "facilitator")
    generation = meta.generation + 1
    await services.store.update_meta(meta.board, generation=generation)
    services.forget_meta(meta.board)
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
        raise HttpError(errors.INVALID, "label must be a string of at most 200 characters")
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
        raise HttpError(errors.NOT_FOUND, "no such snapshot") from None
    return Response(body, media_type="application/json")


async def snapshot_svg(request: Request) -> Response:
    services = _services(request)
    meta, grant = await authorize(request)
    try:
        sid, svg = await heavy.snapshot_svg(
            services, meta.board, request.path_params["snapshot"], _viewer(grant), meta.title
        )
    except heavy.NoSnapshot:
        raise HttpError(errors.NOT_FOUND, "no such snapshot") from None
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
        raise HttpError(errors.NOT_FOUND, "no such snapshot")
    _, elements = found
    async with services.rooms.use(meta.board) as room:
        assert room is not None
        result = await snapshots.restore(room, elements, Actor(SYSTEM, "facilitator"))
    if isinstance(result, Rejection):
        raise HttpError(result.code, result.message)
    return JSONResponse({"clock": result.clock})


async def get_insights(request: Request) -> Response:
    services = _services(request)
    meta, grant = await authorize(request)
    async with services.rooms.use(meta.board) as room:
        assert room is not None
        body = await heavy.insights_body(room, _viewer(grant))
    return Response(body, media_type="application/json")


async def healthz(request: Request) -> Response:
    services = _services(request)
    if not services.ready or not await services.store.healthy():
        return JSONResponse({"ok": False}, status_code=503)
    return JSONResponse({"ok": True})


def _wrap(handler: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            response: Response = await handler(request)
            return response
        except HttpError as exc:
            return error_response(exc.code, exc.message)
        except StoreError as exc:
            log.warning("%s %s: store unavailable: %s", request.method, request.url.path, exc)
            return error_response(errors.UNAVAILABLE, "the store cannot be reached; try again")

    endpoint.__name__ = handler.__name__
    return endpoint


routes = [
    Route("/healthz", healthz),
    Route("/api/boards", _wrap(create_board), methods=["POST"]),
    Route("/api/boards/{board}", _wrap(get_board)),
    Route("/api/boards/{board}/state", _wrap(get_state)),
    Route("/api/boards/{board}/rotate", _wrap(rotate), methods=["POST"]),
    Route("/api/boards/{board}/insights", _wrap(get_insights)),
    Route("/api/boards/{board}/snapshots", _wrap(create_snapshot), methods=["POST"]),
    Route("/api/boards/{board}/snapshots", _wrap(list_snapshots), methods=["GET"]),
    Route("/api/boards/{board}/snapshots/{snapshot}.svg", _wrap(snapshot_svg)),
    Route("/api/boards/{board}/snapshots/{snapshot}", _wrap(get_snapshot)),
    Route(
        "/api/boards/{board}/snapshots/{snapshot}/restore", _wrap(restore_snapshot),
        methods=["POST"],
    ),
]
