"""The live rooms of this process: opened on first use, closed when idle."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from server.live.metrics import Metrics
from server.live.pacing import Pacing
from server.live.room import Room
from server.settings import Settings
from server.store import Store

log = logging.getLogger("tussentafel.rooms")


class Rooms:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        metrics: Metrics | None = None,
        pacing: Pacing | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics or Metrics()
        self.pacing = pacing or Pacing(settings)
        self.settings = settings
        self.live: dict[str, Room] = {}
        self._users: dict[str, int] = {}
        self._opening: dict[str, asyncio.Lock] = {}
        self._closers: dict[str, asyncio.TimerHandle] = {}
        self.on_open: list[Callable[[Room], None]] = []  # hooks, e.g. debounced insights

    async def acquire(self, board: str) -> Room | None:
        """The board's room (loaded on first use), or None if there is no such board."""
        lock = self._opening.setdefault(board, asyncio.Lock())
        async with lock:
            room = self.live.get(board)
            if room is None:
                meta = await self.store.get_meta(board)
                if meta is None:
                    return None
                state = await self.store.load(board)
                participants = await self.store.list_participants(board)
                room = Room(
                    meta, state, self.store, self.settings, participants, self.metrics, self.pacing
                )
                for hook in self.on_open:
                    hook(room)
                await room.start()
                self.live[board] = room
            self._users[board] = self._users.get(board, 0) + 1
            closer = self._closers.pop(board, None)
            if closer is not None:
                closer.cancel()
            return room

    def release(self, room: Room) -> None:
        board = room.board
        left = self._users.get(board, 1) - 1
        self._users[board] = left
        if left <= 0 and board not in self._closers:
            loop = asyncio.get_running_loop()
            self._closers[board] = loop.call_later(
                self.settings.room_linger_s, lambda: asyncio.ensure_future(self._close(board))
            )

    async def _close(self, board: str) -> None:
        self._closers.pop(board, None)
        async with self._opening.setdefault(board, asyncio.Lock()):
            if self._users.get(board, 0) > 0:
                return
            room = self.live.pop(board, None)
            self._users.pop(board, None)
            if room is not None:
                await room.stop()

    @contextlib.asynccontextmanager
    async def use(self, board: str) -> AsyncIterator[Room | None]:
        room = await self.acquire(board)
        try:
            yield room
        finally:
            if room is not None:
                self.release(room)

    def online(self, board: str) -> int:
        room = self.live.get(board)
        return len(room.conns) if room else 0

    @property
    def connections(self) -> int:
        return sum(len(room.conns) for room in self.live.values())

    async def close_all(self) -> None:
        for closer in self._closers.values():
            closer.cancel()
        self._closers.clear()
        for room in list(self.live.values()):
            await room.stop()
        self.live.clear()
