"""The browser pages (canvas_client/web) and the QR code (their security
headers come from ``server.web.security``)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import segno
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

MAX_QR_DATA = 1024


def _page(web_dir: Path, name: str) -> Any:
    async def page(request: Request) -> Response:
        path = web_dir / name
        if not path.is_file():
            return PlainTextResponse("page not installed", status_code=404)
        return FileResponse(path, media_type="text/html")

    return page


async def qr_svg(request: Request) -> Response:
    data = request.query_params.get("data", "")
    if not data or len(data) > MAX_QR_DATA:
        return PlainTextResponse(f"data: 1 to {MAX_QR_DATA} characters", status_code=400)
    # A standalone document: <img> needs the SVG namespace (svg_inline omits it),
    # and a viewBox lets the page scale the code to any size.
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="svg", scale=4, border=2, dark="#111",
                                     light="#fff", xmldecl=False, omitsize=True)
    return Response(out.getvalue(), media_type="image/svg+xml")


def routes(web_dir: Path) -> list[BaseRoute]:
    return [
        Route("/", _page(web_dir, "index.html")),
        Route("/b/{board}", _page(web_dir, "board.html")),
        Route("/b/{board}/screen", _page(web_dir, "screen.html")),
        Route("/api/qr.svg", qr_svg),
        Mount("/static", app=StaticFiles(directory=web_dir, check_dir=False), name="static"),
    ]
