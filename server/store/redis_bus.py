"""The cross-process bus of the Redis store: sharded pub/sub, one reader per node.

Board ``B``'s channel is ``tt:{B}:bus``, a *shard channel* (Redis 7:
``SPUBLISH``/``SSUBSCRIBE``): on a Redis Cluster it lives on the node that
holds the board's keys (same ``{B}`` hash tag), so a change goes to that node
and its subscribers only, not to every node of the cluster. The commit script
publishes every change there; rooms publish events, presence and link
rotations with ``RedisStore.publish`` (tagged with the process's ``origin``,
so a process does not hear its own). A process keeps one reader (one pub/sub
connection) per node it has boards on. See ``server/store/redis.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

import msgpack
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from server.store import BusHandler

log = logging.getLogger("tussentafel.store.redis")


def channel(board: str) -> str:
    return f"tt:{{{board}}}:bus"


def _unpack(raw: bytes) -> Any:
    return msgpack.unpackb(raw, raw=False, strict_map_key=False)


class Shards(Protocol):
    """Where a channel lives: one node for a single Redis, the slot's master
    on a cluster."""

    def nodes(self) -> list[str]: ...

    def node_for(self, channel: str) -> str: ...

    def client(self, node: str) -> Any:
        """A plain (non-cluster) client of ``node`` for its pub/sub connection."""
        ...


class RedisBus:
    """One reader per node; ``handlers`` and ``seen`` are shared by all.

    Every (re)subscription confirmed by Redis is followed by a ``{"type":
    "resync"}`` to the board's handler: the room reads the log from its clock,
    which covers whatever was published while it was not listening (the gap
    between loading a board and subscribing, or a Redis outage).
    """

    def __init__(self, shards: Shards, origin: str) -> None:
        self.shards = shards
        self.origin = origin
        self.handlers: dict[str, BusHandler] = {}
        self.seen: dict[str, int] = {}  # board -> highest clock heard on the bus
        self._moved: dict[str, asyncio.Event] = {}  # board -> set when ``seen`` grows
        self.readers: dict[str, _Reader] = {}

    @property
    def up(self) -> bool:
        return bool(self.readers) and all(reader.up for reader in self.readers.values())

    async def start(self) -> None:
        for node in self.shards.nodes():
            self._reader(node)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(r.ready.wait() for r in self.readers.values())), 5.0)

    def _reader(self, node: str) -> _Reader:
        reader = self.readers.get(node)
        if reader is None:
            reader = self.readers[node] = _Reader(self, node)
            reader.start()
        return reader

    async def close(self) -> None:
        for reader in self.readers.values():
            await reader.close()

    async def subscribe(self, board: str, handler: BusHandler) -> None:
        self.handlers[board] = handler
        await self._reader(self.shards.node_for(channel(board))).send("ssubscribe", board)

    async def unsubscribe(self, board: str) -> None:
        self.seen.pop(board, None)
        if self.handlers.pop(board, None) is not None:
            await self._reader(self.shards.node_for(channel(board))).send("sunsubscribe", board)

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

    async def deliver(self, channel: bytes, data: bytes | None) -> None:
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


class _Reader:
    """One node's pub/sub connection, read by one task.

    It pings when the line is quiet and reconnects with backoff when it
    breaks; on every (re)connect it subscribes the boards that live on its
    node now (asking the topology again, so boards follow a moved slot).
    """

    QUIET_S = 2.0  # ping after this long without a message
    DEAD_S = 3.0  # reconnect if the ping is not answered in this long

    def __init__(self, bus: RedisBus, node: str) -> None:
        self.bus = bus
        self.node = node
        self.up = False
        self.ready = asyncio.Event()
        self._pubsub: Any = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"redis-bus:{self.node}")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def send(self, command: str, board: str) -> None:
        pubsub = self._pubsub
        if pubsub is None:
            return  # the reader subscribes everything when it (re)connects
        try:
            await getattr(pubsub, command)(channel(board))
        except (RedisError, OSError) as exc:
            log.warning("bus %s: %s %s failed (%s); reconnecting", self.node, command, board, exc)
            with contextlib.suppress(Exception):
                await pubsub.connection.disconnect(nowait=True)

    def _boards(self) -> list[str]:
        return [b for b in self.bus.handlers if self.bus.shards.node_for(channel(b)) == self.node]

    async def _run(self) -> None:
        delay = 0.05
        client = self.bus.shards.client(self.node)
        try:
            while True:
                pubsub = client.pubsub()
                try:
                    await pubsub.connect()
                    # from here on subscribe() sends its own SSUBSCRIBE; no await
                    # between these two lines, so no board is left out
                    self._pubsub = pubsub
                    boards = self._boards()
                    if boards:
                        await pubsub.ssubscribe(*(channel(b) for b in boards))
                    else:
                        await pubsub.ping()
                    if not self.up:
                        log.info("bus: connected to Redis %s", self.node)
                    self.up = True
                    self.ready.set()
                    delay = 0.05
                    await self._read(pubsub)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    if self.up:
                        log.warning("bus: lost Redis %s (%s); reconnecting", self.node, exc)
                    self.up = False
                finally:
                    self._pubsub = None
                    with contextlib.suppress(Exception):
                        await pubsub.aclose()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()

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
            if message["type"] == "smessage":
                await self.bus.deliver(message["channel"], message["data"])
            elif message["type"] == "ssubscribe":
                await self.bus.deliver(message["channel"], None)
