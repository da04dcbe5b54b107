"""An asyncio client of a Tussentafel board (websockets + msgpack or JSON).

    async with BoardClient("http://127.0.0.1:8000", board, token, name="Ada") as c:
        ack = await c.push([{"op": "put", "el": {...}}])
        print(c.elements, c.clock)

It keeps a replica (``canvas_client.replica``): optimistic pushes, rollback on
a rejected ack, gap detection, and reconnection with ``since`` that re-sends
the batches still unacked under the same id (the server remembers the ids of
committed pushes per participant and answers a re-send with the original
ack, so a batch never applies twice). ``undo_last()`` inverts this client's
last batch; an undone delete is a ``restore``, so the element keeps its id
and author.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import msgpack
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from canvas_client.replica import Gap, Replica
from schemas.codes import FATAL_CLOSES
from schemas.messages import PROTOCOL_VERSION, SUBPROTOCOL_JSON, SUBPROTOCOL_MSGPACK

log = logging.getLogger("tussentafel.client")

PROTOCOL = PROTOCOL_VERSION  # the protocol version this client speaks (docs/protocol.md §8)
SUBPROTOCOLS = {"msgpack": SUBPROTOCOL_MSGPACK, "json": SUBPROTOCOL_JSON}


class Closed(Exception):
    """The server closed the connection for good (``code``, ``reason``)."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed {code}: {reason}")
        self.code = code
        self.reason = reason


class BoardClient:
    def __init__(
        self,
        url: str,
        board: str,
        token: str,
        *,
        name: str = "",
        client_id: str | None = None,
        encoding: str = "msgpack",
        reconnect: bool = True,
        max_queue: int = 10_000,
        record: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        base = url.rstrip("/").replace("http://", "ws://").replace("https://", "wss://")
        self.ws_url = f"{base}/api/boards/{board}/ws"
        self.board = board
        self.token = token
        self.name = name
        self.client_id = client_id or uuid.uuid4().hex
        self.encoding = encoding
        self.auto_reconnect = reconnect
        self.replica = Replica()
        #: Called with ("sent" | "received", message) for every message (tests record traffic).
        self.record = record
        self.you = ""
        self.role = ""
        self.lang = "en"  # the board's language, from the welcome
        self.session: dict[str, Any] = {}
        self.participants: dict[str, dict[str, Any]] = {}
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue(max_queue)
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self.welcomes = 0
        self.closed: Closed | None = None
        self._fatal = ""
        self._ids = itertools.count(1)
        # push ids are remembered per participant, and a participant may use
        # several clients (same client_id): a nonce keeps the ids apart
        self._nonce = uuid.uuid4().hex[:10]
        self._undo: list[tuple[str, list[dict[str, Any]]]] = []  # (batch, its inverse)
        self._acks: dict[Any, asyncio.Future[dict[str, Any]]] = {}
        self._results: dict[Any, asyncio.Future[dict[str, Any]]] = {}
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._welcomed = asyncio.Event()
        self._changed = asyncio.Condition()

    # -- state -----------------------------------------------------------------

    @property
    def elements(self) -> dict[str, dict[str, Any]]:
        return self.replica.elements

    @property
    def clock(self) -> int:
        return self.replica.clock

    # -- lifecycle -------------------------------------------------------------

    async def __aenter__(self) -> BoardClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self, *, since: int | None = None, timeout: float = 10.0) -> None:
        """Connect and wait for the welcome. Raises Closed if the server refuses."""
        self._welcomed.clear()
        self._fatal = ""
        self._ws = await connect(
            self.ws_url,
            subprotocols=[SUBPROTOCOLS[self.encoding]],  # type: ignore[list-item]
            compression=None,
            max_size=None,
            open_timeout=timeout,
        )
        hello: dict[str, Any] = {"type": "hello", "protocol": PROTOCOL, "token": self.token,
                                 "client": self.client_id, "name": self.name}
        if since is not None:
            hello["since"] = since
        await self._send(hello)
        self._reader = asyncio.create_task(self._read(self._ws))
        waiter = asyncio.create_task(self._welcomed.wait())
        done, _ = await asyncio.wait({waiter, self._reader}, timeout=timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if waiter not in done:
            waiter.cancel()
            if self.closed is not None:
                raise self.closed
            raise TimeoutError("no welcome from the server")
        for batch, ops in list(self.replica.pending.items()):
            await self._send({"type": "push", "id": batch, "ops": ops})

    async def close(self) -> None:
        self.auto_reconnect = False
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        for future in (*self._acks.values(), *self._results.values()):
            if not future.done():
                future.set_exception(Closed(None, "client closed"))

    async def drop(self) -> None:
        """Close the socket abruptly (as a lost network would); reconnects if enabled."""
        if self._ws is not None and self._ws.transport is not None:
            self._ws.transport.abort()

    # -- sending ---------------------------------------------------------------

    def _encode(self, message: dict[str, Any]) -> bytes | str:
        if self.encoding == "msgpack":
            packed: bytes = msgpack.packb(message, use_bin_type=True)
            return packed
        return json.dumps(message, separators=(",", ":"))

    async def _send(self, message: dict[str, Any]) -> None:
        if self._ws is None:
            raise Closed(None, "not connected")
        if self.record is not None:
            self.record("sent", message)
        await self._ws.send(self._encode(message))

    async def send_raw(self, frame: bytes | str) -> None:
        """Send a frame as is (tests of hostile input)."""
        if self._ws is None:
            raise Closed(None, "not connected")
        await self._ws.send(frame)

    def push_nowait(
        self, ops: list[dict[str, Any]], *, batch: str | None = None, undoable: bool = True
    ) -> asyncio.Future[dict[str, Any]]:
        """Apply ``ops`` locally and send them; the future resolves to the ack.
        ``batch``: the push id (default: new and unique to this client)."""
        batch = batch or f"b{next(self._ids)}-{self._nonce}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[batch] = future
        if undoable:
            self._undo.append((batch, inverse_ops(self.replica.elements, ops)))
            del self._undo[:-100]
        self.replica.local(batch, ops)
        task = asyncio.ensure_future(self._send({"type": "push", "id": batch, "ops": ops}))
        task.add_done_callback(lambda t: t.exception())  # a reconnect re-sends it
        return future

    async def push(
        self, ops: list[dict[str, Any]], *, batch: str | None = None, timeout: float = 10.0
    ) -> dict[str, Any]:
        return await asyncio.wait_for(self.push_nowait(ops, batch=batch), timeout)

    async def undo_last(self, *, timeout: float = 10.0) -> dict[str, Any] | None:
        """Undo this client's last batch (None if there is nothing to undo).
        A deleted element comes back by ``restore``: same id, same author."""
        if not self._undo:
            return None
        _, inverse = self._undo.pop()
        return await asyncio.wait_for(self.push_nowait(inverse, undoable=False), timeout)

    async def cmd(self, name: str, timeout: float = 10.0, **args: Any) -> dict[str, Any]:
        cid = f"c{next(self._ids)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._results[cid] = future
        await self._send({"type": "cmd", "id": cid, "name": name, "args": args})
        return await asyncio.wait_for(future, timeout)

    async def presence(self, **fields: Any) -> None:
        await self._send({"type": "presence", **fields})

    # -- waiting ---------------------------------------------------------------

    async def wait_for(
        self, predicate: Callable[[BoardClient], bool], timeout: float = 10.0
    ) -> None:
        """Wait until ``predicate(self)`` holds (checked after every message)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: predicate(self)), timeout)

    async def wait_clock(self, clock: int, timeout: float = 10.0) -> None:
        await self.wait_for(lambda c: c.clock >= clock, timeout)

    async def next_message(self, kind: str, timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        """The next queued message of ``type`` kind (others are dropped)."""
        async def find() -> dict[str, Any]:
            while True:
                message = await self.messages.get()
                if message.get("type") != kind:
                    continue
                if all(message.get(k) == v for k, v in match.items()):
                    return message

        return await asyncio.wait_for(find(), timeout)

    # -- receiving ---------------------------------------------------------------

    def _decode(self, frame: bytes | str) -> dict[str, Any]:
        if isinstance(frame, bytes):
            message: dict[str, Any] = msgpack.unpackb(frame, raw=False, strict_map_key=False)
        else:
            message = json.loads(frame)
        return message

    async def _read(self, ws: ClientConnection) -> None:
        gap = False
        try:
            async for frame in ws:
                message = self._decode(frame)
                if self.record is not None:
                    self.record("received", message)
                messages = message["messages"] if message.get("type") == "bundle" else [message]
                for one in messages:
                    self._handle(one)
                async with self._changed:
                    self._changed.notify_all()
        except Gap as exc:
            log.info("board %s: %s; reconnecting with since", self.board, exc)
            gap = True
            await ws.close()
        except ConnectionClosed:
            pass
        rcvd = ws.protocol.close_rcvd
        code, reason = (rcvd.code, rcvd.reason) if rcvd else (None, "connection lost")
        if self._fatal:
            reason = self._fatal
        if not gap and code in FATAL_CLOSES:
            self.auto_reconnect = False
        if self.auto_reconnect:
            asyncio.get_running_loop().create_task(self._reconnect())
        else:
            self.closed = Closed(code, reason)
        async with self._changed:
            self._changed.notify_all()

    async def _reconnect(self) -> None:
        delay = 0.05
        for _ in range(200):
            if not self.auto_reconnect:
                return
            try:
                await self.connect(since=self.clock if self.welcomes else None)
                return
            except Closed:
                return
            except (OSError, TimeoutError, ConnectionClosed, Exception):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "patch":
            self.replica.patch(message)
        elif kind == "ack":
            future = self._acks.pop(message.get("id"), None)
            if not message.get("ok"):  # nothing to undo: it never applied
                self._undo = [entry for entry in self._undo if entry[0] != message.get("id")]
            try:
                self.replica.ack(message)  # may raise Gap: the reader reconnects
            finally:
                if future is not None and not future.done():
                    future.set_result(message)
        elif kind == "welcome":
            self.replica.welcome(message)
            self.you, self.role = message["you"], message["role"]
            self.lang = message.get("lang", "en")
            self.session = message.get("session", {})
            self.participants = {p["id"]: p for p in message.get("participants", [])}
            self.welcomes += 1
            self._welcomed.set()
        elif kind == "result":
            future = self._results.pop(message.get("id"), None)
            if future is not None and not future.done():
                future.set_result(message)
        elif kind == "presence":
            for entry in message.get("participants", []):
                self.participants[entry["id"]] = entry
        elif kind == "event":
            self._event(message)
        elif kind == "error" and message.get("fatal"):
            self._fatal = f"{message.get('code')}: {message.get('message')}"
        for listener in self.listeners:
            listener(message)
        if self.messages.full():
            self.messages.get_nowait()
        self.messages.put_nowait(message)

    def _event(self, message: dict[str, Any]) -> None:
        name = message.get("name")
        if name == "timer":
            self.session["timer"] = message.get("timer")
        elif name == "follow":
            self.session["follow"] = message.get("follow")
        elif name == "private":
            self.session["private"] = message.get("private")
            self.session["private_frame"] = message.get("frame")
        elif name == "present":
            self.session["present"] = message.get("present")
            self.session["present_insights"] = message.get("insights", False)
        elif name == "reveal" and self.session.get("private"):
            frame = message.get("frame")
            if frame is None or frame == self.session.get("private_frame"):
                self.session["private"] = False


def inverse_ops(
    elements: dict[str, dict[str, Any]], ops: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The ops that undo ``ops`` applied to ``elements`` (which is not changed):
    a new element is deleted, an old one put back, a patch reversed, and a
    deleted element restored (never re-created: its id and author stay)."""
    work: dict[str, dict[str, Any] | None] = {}
    inverse: list[dict[str, Any]] = []
    for op in ops:
        eid = op["el"]["id"] if op["op"] == "put" else op["id"]
        before = work[eid] if eid in work else elements.get(eid)
        if op["op"] == "put":
            inverse.append({"op": "del", "id": eid} if before is None
                           else {"op": "put", "el": _unstamped(before)})
            work[eid] = op["el"]
        elif op["op"] == "patch" and before is not None:
            names = [*op.get("set", {}), *(op.get("unset") or ())]
            back: dict[str, Any] = {"op": "patch", "id": eid,
                                    "set": {k: before[k] for k in names if k in before}}
            gone = [k for k in names if k not in before]
            if gone:
                back["unset"] = gone
            inverse.append(back)
            work[eid] = {**before, **op.get("set", {})}
        elif op["op"] == "del" and before is not None:
            inverse.append({"op": "restore", "id": eid})
            work[eid] = None
        elif op["op"] == "restore":
            inverse.append({"op": "del", "id": eid})
            work[eid] = {"id": eid}
    inverse.reverse()
    return inverse


def _unstamped(el: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in el.items() if k not in ("author", "v", "created", "updated")}
