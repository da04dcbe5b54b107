"""The cross-process bus of the Redis store: one pub/sub connection per process.

Board ``B``'s channel is ``tt:{B}:bus``. The commit script publishes every
change there; rooms publish events, presence and link rotations with
``RedisStore.publish`` (tagged with the process's ``origin``, so a process
does not hear its own). See ``server/store/redis.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import msgpack
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from server.store import BusHandler

log = logging.getLogger("tussentafel.store.redis")


def channel(board: str) -> str:
    return f"tt:{{{board}}}:bus"


def _unpack(raw: bytes) -> Any:
    return msgpack.unpackb(raw, raw=False, strict_map_key=False)


class RedisBus:
    """One pub/sub connection per process, read by one task.

    Every (re)subscription confirmed by Redis is followed by a ``{"type":
    "resync"}`` to the board's handler: the room reads the log from its clock,
    which covers whatever was published while it was not listening (the gap
    between loading a board and subscribing, or a Redis outage). The reader
    pings when the line is quiet and reconnects with backoff when it breaks.
    """

    QUIET_S = 2.0  # ping after this long without a message
    DEAD_S = 3.0  # reconnect if the ping is not answered in this long

    def __init__(self, client: Any, origin: str) -> None:
        self.client = client
        self.origin = origin
        self.handlers: dict[str, BusHandler] = {}
        self.seen: dict[str, int] = {}  # board -> highest clock heard on the bus
        self._moved: dict[str, asyncio.Event] = {}  # board -> set when ``seen`` grows
        self.up = False
        self._pubsub: Any = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="redis-bus")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), 5.0)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        with contextlib.suppress(Exception):
            await self.client.aclose()

    async def subscribe(self, board: str, handler: BusHandler) -> None:
        self.handlers[board] = handler
        await self._send("subscribe", board)

    async def unsubscribe(self, board: str) -> None:
        self.seen.pop(board, None)
        if self.handlers.pop(board, None) is not None:
            await self._send("unsubscribe", board)

    async def wait_past(self, board: str, clock: int, timeout: float) -> None:
        """Until a change after ``clock`` of ``board`` has come by, or ``timeout``."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.seen.get(board, -1) <= clock:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return
            moved = self._moved.setdefault(board, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(moved.wait(), left)

    async def _send(self, command: str, board: str) -> None:
        pubsub = self._pubsub
        if pubsub is None:
            return  # the reader subscribes everything when it (re)connects
        try:
            await getattr(pubsub, command)(channel(board))
        except (RedisError, OSError) as exc:
            log.warning("bus: %s %s failed (%s); reconnecting", command, board, exc)
            with contextlib.suppress(Exception):
                await pubsub.connection.disconnect(nowait=True)

    async def _run(self) -> None:
        delay = 0.05
        while True:
            pubsub = self.client.pubsub()
            try:
                await pubsub.connect()
                # from here on subscribe() sends its own SUBSCRIBE; no await
                # between these two lines, so no board is left out
                self._pubsub = pubsub
                boards = list(self.handlers)
                if boards:
                    await pubsub.subscribe(*(channel(b) for b in boards))
                else:
                    await pubsub.ping()
                if not self.up:
                    log.info("bus: connected to Redis")
                self.up = True
                self._ready.set()
                delay = 0.05
                await self._read(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.up:
                    log.warning("bus: lost Redis (%s); reconnecting", exc)
                self.up = False
            finally:
                self._pubsub = None
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    async def _read(self, pubsub: Any) -> None:
        heard = asyncio.get_running_loop().time()
        pinged: float | None = None
        while True:
            message = await pubsub.get_message(timeout=1.0)
            now = asyncio.get_running_loop().time()
            if message is None:
                if pinged is None and now - heard > self.QUIET_S:
                    await pubsub.ping()
                    pinged = now
                elif pinged is not None and now - pinged > self.DEAD_S:
                    raise RedisConnectionError("the bus does not answer pings")
                continue
            heard, pinged = now, None
            if message["type"] == "message":
                await self._deliver(message["channel"], message["data"])
            elif message["type"] == "subscribe":
                await self._deliver(message["channel"], None)

    async def _deliver(self, channel: bytes, data: bytes | None) -> None:
        board = channel.decode()[4:-5]  # tt:{board}:bus
        handler = self.handlers.get(board)
        if handler is None:
            return
        try:
            if data is None:
                payload: Any = {"type": "resync"}
            else:
                payload = _unpack(data)
                if not isinstance(payload, dict) or payload.get("origin") == self.origin:
                    return  # our own event or presence: the room has it already
                if payload.get("type") == "change":
                    self.seen[board] = max(self.seen.get(board, 0), int(payload["clock"]))
                    moved = self._moved.pop(board, None)
                    if moved is not None:
                        moved.set()
            await handler(board, payload)
        except Exception:
            log.exception("bus: handler of board %s failed", board)

