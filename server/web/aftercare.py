"""REST endpoints after the Atelier (docs/protocol.md §2): the report, snapshot
diffs, the admin's board list, export, import, copies from a snapshot, delete;
and ``POST /api/boards`` itself, which reads the body and hands an ordinary
create to ``rest.new_board``.

Big work (building a report, encoding an export) runs in a worker thread, so
one big board never blocks the others; a big archive is parsed and checked in a
worker process (``server.web.imports``: a JSON parse holds the GIL).
"""

from __future__ import annotations

import functools
import hmac
import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.core import archive, errors
from server.core.board import Actor, visible_to
from server.core.clock import now_ms
from server.core.errors import ProtocolError
from server.live import lifecycle
from server.live.reads import off_loop
from server.report import atelier, diff
from server.web import imports
from server.web.rest import (
    MAX_BODY,
    MAX_TITLE,
    authorize,
    json_object,
    links,
    new_board,
    take_board_budget,
)

if TYPE_CHECKING:
    from server.services import Services

Elements = list[dict[str, Any]]


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _is_admin(request: Request) -> bool:
    """True when the request carries the admin token (TUSSENTAFEL_ADMIN_TOKEN)."""
    admin = _services(request).settings.admin_token
    given = request.headers.get("authorization", "")
    return admin is not None and hmac.compare_digest(given.encode(), f"Bearer {admin}".encode())


async def read_create_body(request: Request) -> dict[str, Any]:
    """The body of ``POST /api/boards``: archives may be big, but only for
    whoever may create boards (the admin, or anyone without an admin token)."""
    settings = _services(request).settings
    limit = settings.max_archive if settings.admin_token is None or _is_admin(request) else MAX_BODY
    length = request.headers.get("content-length")
    too_large = ProtocolError(errors.TOO_LARGE, f"a request body holds at most {limit} bytes")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise too_large
    raw = b"".join(chunks)
    if size > MAX_BODY:  # only an archive may be big: parsed and checked in a process
        settings = _services(request).settings
        found = await imports.in_worker(
            raw, max_elements=settings.max_elements, max_bytes=settings.max_board_bytes,
            max_points=settings.max_board_points,
        )
        if isinstance(found, tuple):
            code, message = found
            if code == errors.TOO_LARGE:
                message = f"a request body holds at most {MAX_BODY} bytes"
            raise ProtocolError(code, message)
        return {"import": found}
    if not raw.strip():
        return {}
    return json_object(raw)


async def create_board(request: Request) -> Response:
    take_board_budget(request)
    body = await read_create_body(request)
    if "import" in body or "from_snapshot" in body:
        return await create_from(request, body)
    return await new_board(request, body)


def _created(request: Request, meta: Any, **extra: Any) -> Response:
    tokens = _services(request).tokens.issue_all(meta.board, meta.generation)
    return JSONResponse(
        {"board": meta.board, "title": meta.title, "template": meta.template, "tokens": tokens,
         "links": links(request, meta.board, tokens), **extra},
        status_code=201,
    )


async def create_from(request: Request, body: dict[str, Any]) -> Response:
    """``POST /api/boards`` with ``import`` or ``from_snapshot``."""
    if "import" in body and "from_snapshot" in body:
        raise ProtocolError(errors.INVALID, "give either import or from_snapshot, not both")
    if "import" in body:
        return await _import(request, body)
    return await _from_snapshot(request, body)


async def _import(request: Request, body: dict[str, Any]) -> Response:
    services = _services(request)
    if services.settings.admin_token is not None and not _is_admin(request):
        raise ProtocolError(errors.UNAUTHORIZED, "importing a board needs the admin token")
    if set(body) != {"import"}:
        raise ProtocolError(errors.INVALID, "an import takes no other fields")
    settings = services.settings
    found = body["import"] if isinstance(body["import"], archive.Archive) else (
        await off_loop(functools.partial(
            archive.check, body["import"], max_elements=settings.max_elements,
            max_bytes=settings.max_board_bytes, max_points=settings.max_board_points,
        ), lane="export"))
    if isinstance(found, archive.ArchiveError):
        raise ProtocolError(errors.INVALID, f"not a board archive: {found}")
    meta = await lifecycle.create_from_archive(services.store, found)
    return _created(request, meta, clock=found.clock, snapshots=len(found.snapshots))


async def _from_snapshot(request: Request, body: dict[str, Any]) -> Response:
    services = _services(request)
    source, title = body.get("from_snapshot"), body.get("title")
    if set(body) - {"from_snapshot", "title"} or not isinstance(source, dict) or set(source) != {
        "board", "snapshot"} or not all(isinstance(v, str) for v in source.values()):
        raise ProtocolError(errors.INVALID,
                        'from_snapshot must be {"board": ID, "snapshot": SID} (and a title)')
    if title is not None and (not isinstance(title, str) or len(title) > MAX_TITLE):
        raise ProtocolError(errors.INVALID,
                            f"title must be a string of at most {MAX_TITLE} characters")
    meta, _ = await authorize(request, "facilitator", board=source["board"])
    found = await services.store.get_snapshot(meta.board, source["snapshot"])
    if found is None:
        raise ProtocolError(errors.NOT_FOUND, "no such snapshot")
    snap, elements = found
    name = (title or "").strip() or f"{meta.title} — {snap.label}"[:MAX_TITLE]
    try:
        new = await lifecycle.create_from_elements(services.store, name, meta.template, elements,
                                                   services.settings.max_elements, meta.lang)
    except ValueError as exc:
        raise ProtocolError(errors.INVALID, f"the snapshot cannot start a board: {exc}") from None
    return _created(request, new, source={"board": meta.board, "snapshot": snap.snapshot})


# -- the report and diffs ---------------------------------------------------------------


async def _snapshots(
    services: Services, board: str, viewer: Actor
) -> list[tuple[dict[str, Any], Elements]]:
    """Every snapshot of the board (meta, elements ``viewer`` may see)."""
    out = []
    for meta in await services.store.list_snapshots(board):
        found = await services.store.get_snapshot(board, meta.snapshot)
        if found is not None:
            snap, elements = found
            out.append((snap.to_dict(), [el for el in elements if visible_to(el, viewer)]))
    return out


async def get_report(request: Request) -> Response:
    services = _services(request)
    meta, grant = await authorize(request, "facilitator", "viewer")
    viewer = Actor("", grant.role)
    snaps = await _snapshots(services, meta.board, viewer)
    people = await services.store.list_participants(meta.board)
    board = {"board": meta.board, "title": meta.title, "template": meta.template,
             "created": meta.created}
    body = await off_loop(
        lambda: json.dumps(atelier.report(board, people, snaps)).encode(), lane="export"
    )
    return Response(body, media_type="application/json")


async def _elements_at(request: Request, sid: str, viewer: Actor) -> Elements:
    services = _services(request)
    board = request.path_params["board"]
    if sid == "live":
        async with services.rooms.use(board) as room:
            if room is None:
                raise ProtocolError(errors.UNKNOWN_BOARD, "no such board")
            async with room.lock:
                return [el for el in room.state.elements.values() if visible_to(el, viewer)]
    found = await services.store.get_snapshot(board, sid)
    if found is None:
        raise ProtocolError(errors.NOT_FOUND, f"no snapshot {sid[:64]!r}")
    return [el for el in found[1] if visible_to(el, viewer)]


async def get_diff(request: Request) -> Response:
    _, grant = await authorize(request)
    viewer = Actor("", grant.role)
    to = request.query_params.get("to")
    if not to:
        raise ProtocolError(errors.INVALID, "say what to compare with: ?to=SNAPSHOT or ?to=live")
    before = await _elements_at(request, request.path_params["snapshot"], viewer)
    after = await _elements_at(request, to, viewer)
    body = await off_loop(lambda: json.dumps(diff.diff(before, after)).encode(), lane="export")
    return Response(body, media_type="application/json")


# -- listing, export, delete --------------------------------------------------------------


async def list_boards(request: Request) -> Response:
    services = _services(request)
    if services.settings.admin_token is None:
        raise ProtocolError(errors.NOT_FOUND, "listing boards needs TUSSENTAFEL_ADMIN_TOKEN set")
    if not _is_admin(request):
        raise ProtocolError(errors.UNAUTHORIZED, "listing boards needs the admin token")
    boards = await services.store.list_boards()
    boards.sort(key=lambda b: (-b.active, b.board))
    return JSONResponse({"boards": [b.to_dict() for b in boards]})


async def export_board(request: Request) -> Response:
    services = _services(request)
    meta, _ = await authorize(request, "facilitator")
    async with services.rooms.use(meta.board) as room:
        if room is None:
            raise ProtocolError(errors.UNKNOWN_BOARD, "no such board")
        async with room.lock:
            clock, elements = room.state.clock, list(room.state.elements.values())
        session = dict(room.meta.session)
    snaps = await _snapshots(services, meta.board, Actor("", "facilitator"))  # all of them
    people = await services.store.list_participants(meta.board)
    board, now = {**meta.to_dict(), "session": session, "clock": clock}, now_ms()
    body = await off_loop(
        lambda: json.dumps(archive.make(board, elements, snaps, people, now)).encode(),
        lane="export",
    )
    return Response(body, media_type="application/json", headers={
        "content-disposition": f'attachment; filename="tussentafel-{meta.board}.json"',
        "cache-control": "no-store",
    })


async def delete_board(request: Request) -> Response:
    services = _services(request)
    board = request.path_params["board"]
    if not _is_admin(request):
        await authorize(request, "facilitator")
    elif await services.meta(board) is None:
        raise ProtocolError(errors.UNKNOWN_BOARD, "no such board")
    if not await lifecycle.delete(services.store, services.rooms, board):
        raise ProtocolError(errors.UNKNOWN_BOARD, "no such board")
    return JSONResponse({"board": board, "deleted": True})


routes = [
    Route("/api/boards", create_board, methods=["POST"]),
    Route("/api/boards", list_boards, methods=["GET"]),
    Route("/api/boards/{board}", delete_board, methods=["DELETE"]),
    Route("/api/boards/{board}/report", get_report),
    Route("/api/boards/{board}/export", export_board),
    Route("/api/boards/{board}/snapshots/{snapshot}/diff", get_diff),
]
