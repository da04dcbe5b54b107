"""What every request handler needs, made once per app: store, tokens, rooms."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys

from server.core.auth import Tokens
from server.core.origins import OriginPolicy
from server.live import insights_feed, lifecycle
from server.live.commands import Commands
from server.live.metrics import Metrics
from server.live.pacing import Pacing
from server.live.reads import Reads
from server.live.rooms import Rooms
from server.settings import Settings
from server.store import BoardMeta, Store
from server.store.select import open_store
from server.web.guards import AddressRate
from server.ws.admission import Admission
from server.ws.welcomes import WelcomeBudget


class Services:
    """Everything a request handler needs, made once per app."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or open_store(settings)
        self.metrics = Metrics()
        self.pacing = Pacing(settings)
        self.rooms = Rooms(self.store, settings, self.metrics, self.pacing)
        self.rooms.on_open.append(insights_feed.attach)
        self.rooms.on_open.append(lifecycle.watch_deletes(self.rooms))
        self.commands = Commands()
        self.origins = OriginPolicy.of(settings.public_url, settings.allowed_origins)
        self.admission = Admission(settings)
        self.welcomes = WelcomeBudget(settings.max_unread_welcome_bytes)
        self.board_rate = AddressRate(settings.board_rate_per_min / 60, settings.board_rate_burst)
        # snapshot reads (JSON, SVG) of any board, made off the event loop, the newest kept
        self.snapshot_reads = Reads(
            keep=4, on_made=lambda key: self.metrics.big_reads.labels(str(key[0])).inc()  # type: ignore[index]
        )
        self._tokens: Tokens | None = None
        self._pacer: asyncio.Task[None] | None = None
        self._retention: asyncio.Task[None] | None = None
        self.ready = False

    @property
    def tokens(self) -> Tokens:
        if self._tokens is None:
            raise RuntimeError("the app is not started: tokens need the store's secret")
        return self._tokens

    async def start(self) -> None:
        # Big reads run in worker threads (server/live/reads.py); a worker hands
        # the GIL back to the event loop after at most this long (default 5 ms).
        sys.setswitchinterval(self.settings.gil_switch_ms / 1000)
        await self.store.start()
        secret = self.settings.secret or await self.store.secret()
        self._tokens = Tokens(secret)
        self._pacer = asyncio.create_task(self.pacing.run(), name="pacing")
        self._retention = lifecycle.start_retention(self.store, self.rooms, self.settings)
        # What exists now (modules, classes, the app) lives as long as the
        # process: keep it out of the full collections, which otherwise walk
        # it every time and pause whichever thread runs them.
        gc.freeze()
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
