"""The Starlette app: settings -> store, tokens, rooms; routes; lifespan."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute

from server.services import Services
from server.settings import Settings
from server.store import Store
from server.web import aftercare, pages, rest
from server.web.security import SecurityMiddleware
from server.ws import endpoint as ws

log = logging.getLogger("tussentafel")

WEB_DIR = Path(__file__).resolve().parent.parent / "canvas_client" / "web"


async def metrics_endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    services.metrics.boards.set(len(services.rooms.live))
    services.metrics.welcome_bytes.set(services.welcomes.reserved)  # read when asked: no cost
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def create_app(settings: Settings | None = None, store: Store | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    services = Services(settings, store)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await services.start()
        log.info("tussentafel ready on %s store", services.store.name)
        try:
            yield
        finally:
            await services.stop()

    routes = [
        *aftercare.routes,
        *rest.routes,
        Route("/metrics", metrics_endpoint),
        WebSocketRoute("/api/boards/{board}/ws", ws.endpoint),
        Route("/api/boards/{board}/ws", ws.probe),
        *pages.routes(WEB_DIR),
    ]
    security = Middleware(SecurityMiddleware, policy=services.origins,
                          frame_ancestors=settings.frame_ancestors)
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[security],
                    exception_handlers=rest.exception_handlers)
    app.state.services = services
    return app


