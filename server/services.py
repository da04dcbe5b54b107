"""What every request handler needs, made once per app: store, tokens, rooms."""

from __future__ import annotations

import asyncio
import contextlib

from server.core.auth import Tokens
from server.core.origins import OriginPolicy
from server.live import insights_feed
from server.live.commands import Commands
from server.live.metrics import Metrics
from server.live.pacing import Pacing
from server.live.rooms import Rooms
from server.settings import Settings
from server.store import BoardMeta, Store


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
        self.commands = Commands()
        self.origins = OriginPolicy.of(settings.public_url, settings.allowed_origins)
        self._tokens: Tokens | None = None
        self._pacer: asyncio.Task[None] | None = None
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
        self.ready = True

    async def stop(self) -> None:
        self.ready = False
        if self._pacer is not None:
            self._pacer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pacer
        await self.rooms.close_all()
        await self.store.close()

    async def meta(self, board: str) -> BoardMeta | None:
        """A board's meta: the live room's if there is one, else the store's."""
        room = self.rooms.live.get(board)
        if room is not None:
            return room.meta
        return await self.store.get_meta(board)
