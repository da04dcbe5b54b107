"""The browser pages (canvas_client/web) and the QR code (their security
headers come from ``server.web.security``)."""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any

import segno
from segno.encoder import DataOverflowError
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from server.core import errors
from server.live.reads import off_loop

MAX_QR_DATA = 1024


def _page(web_dir: Path, name: str) -> Any:
    async def page(request: Request) -> Response:
        path = web_dir / name
        if not path.is_file():
            return PlainTextResponse("page not installed", status_code=404)
        return FileResponse(path, media_type="text/html")

    return page


@functools.lru_cache(maxsize=32)  # the same few links are asked for again and again
def _qr(data: str) -> bytes | None:
    """The QR code of ``data`` as a standalone SVG document (<img> needs the
    SVG namespace, which svg_inline omits; a viewBox lets the page scale it);
    None when no QR code holds that much (up to 2 331 bytes at level M)."""
    out = io.BytesIO()
    try:
        code = segno.make(data, error="m")
    except DataOverflowError:
        return None
    code.save(out, kind="svg", scale=4, border=2, dark="#111", light="#fff", xmldecl=False,
              omitsize=True)
    return out.getvalue()


async def qr_svg(request: Request) -> Response:
    data = request.query_params.get("data", "")
    invalid = JSONResponse(
        {"error": errors.INVALID, "message": f"data: 1 to {MAX_QR_DATA} characters that fit "
         "in a QR code"}, status_code=errors.HTTP_STATUS[errors.INVALID])
    if not data or len(data) > MAX_QR_DATA:
        return invalid
    svg = await off_loop(_qr, data, lane="export")  # up to ~0.2 s of pure Python
    return invalid if svg is None else Response(svg, media_type="image/svg+xml")


def routes(web_dir: Path) -> list[BaseRoute]:
    return [
        Route("/", _page(web_dir, "index.html")),
        Route("/b/{board}", _page(web_dir, "board.html")),
        Route("/b/{board}/screen", _page(web_dir, "screen.html")),
        Route("/b/{board}/report", _page(web_dir, "report.html")),
        Route("/api/qr.svg", qr_svg),
        Mount("/static", app=StaticFiles(directory=web_dir, check_dir=False), name="static"),
    ]
