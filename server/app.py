"""The Starlette app: settings -> store, tokens, rooms; routes; lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, WebSocketRoute

from server import http, insights_feed, lifecycle, lifecycle_http, pages, ws
from server.auth import Tokens
from server.commands import Commands
from server.metrics import Metrics
from server.pacing import Pacing
from server.rooms import Rooms
from server.settings import Settings
from server.store import BoardMeta, Store

log = logging.getLogger("tussentafel")

WEB_DIR = Path(__file__).resolve().parent.parent / "canvas_client" / "web"


def make_store(settings: Settings) -> Store:
    if settings.redis_url:
        from server.store.redis import RedisStore

        return RedisStore(
            settings.redis_url,
            history_clocks=settings.history_clocks,
            history_ms=settings.history_ms,
        )
    from server.store.sqlite import SqliteStore

    return SqliteStore(
        settings.data_dir,
        history_clocks=settings.history_clocks,
        history_ms=settings.history_ms,
    )


class Services:
    """Everything a request handler needs, made once per app."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or make_store(settings)
        self.metrics = Metrics()
        self.pacing = Pacing(settings)
        self.rooms = Rooms(self.store, settings, self.metrics, self.pacing)
        self.rooms.on_open.append(insights_feed.attach)
        self.rooms.on_open.append(lifecycle.watch_deletes(self.rooms))
        self.commands = Commands()
        self._tokens: Tokens | None = None
        self._meta: dict[str, BoardMeta] = {}
        self._pacer: asyncio.Task[None] | None = None
        self._retention: asyncio.Task[None] | None = None
        self.ready = False

    @property
    def tokens(self) -> Tokens:
        if self._tokens is None:
            raise RuntimeError("the app is not started: tokens need the store's secret")
        return self._tokens

    async def start(self) -> None:
        await self.store.start()
        secret = self.settings.secret or await self.store.secret()
        self._tokens = Tokens(secret)
        self._pacer = asyncio.create_task(self.pacing.run(), name="pacing")
        self._retention = lifecycle.start_retention(self)
        self.ready = True

    async def stop(self) -> None:
        self.ready = False
        for task in (self._pacer, self._retention):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.rooms.close_all()
        await self.store.close()

    async def meta(self, board: str) -> BoardMeta | None:
        """A board's meta: the live room's if there is one, else the store's."""
        room = self.rooms.live.get(board)
        if room is not None:
            return room.meta
        return await self.store.get_meta(board)

    def forget_meta(self, board: str) -> None:
        self._meta.pop(board, None)


async def metrics_endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    services.metrics.boards.set(len(services.rooms.live))
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
        *lifecycle_http.routes,
        *http.routes,
        Route("/metrics", metrics_endpoint),
        WebSocketRoute("/api/boards/{board}/ws", ws.endpoint),
        *pages.routes(WEB_DIR),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.services = services
    return app


__all__ = ["Mount", "Services", "create_app"]
