"""One client socket and its bounded outgoing queue.

The room only enqueues (already encoded frames); a flush at the end of the tick
writes whatever has piled up as one ``bundle`` frame, so a busy room costs a
reader few frames, and a reader that stops reading fills only its own queue
(its sender task waits for the socket) until it is closed (4408).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from server.core import errors
from server.core.board import Actor
from server.core.codec import Encoding, Frame, Outgoing, bundle
from server.ws.frames import WRITE_EXTENSION

if TYPE_CHECKING:
    from server.services import Services

log = logging.getLogger("tussentafel.ws")


class WsConnection:
    """One client socket and its bounded outgoing queue.

    The room only appends (already encoded frames). A flush, scheduled with
    ``call_soon`` so that everything queued in this tick goes as one ``bundle``,
    writes straight to the socket when it can take more (``tussentafel.write``
    of ``server.ws.frames``). When the socket is full, or the protocol has no
    direct write, or the connection is closing, the sender task takes over: it
    awaits the socket, so a reader that stops reading only fills its own queue
    until it is closed (4408). Under load (``server.live.pacing``) a flush waits
    until ``frame_interval`` has passed since the previous frame.
    """

    def __init__(self, ws: WebSocket, encoding: Encoding, services: Services) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.ws = ws
        self.encoding: Encoding = encoding
        self.services = services
        settings = services.settings
        self.max_bytes = settings.max_queue_bytes
        self.max_messages = settings.max_queue_messages
        self.pacing = services.pacing
        self.actor = Actor("", "viewer")
        self.generation = 0
        self.queue: deque[Frame] = deque()
        self.queued_bytes = 0
        self.closing: tuple[int, str] | None = None
        self._flush_before_close = True
        self._ready = asyncio.Event()
        self.done = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._write: Callable[[Frame], bool] | None = ws.scope.get("extensions", {}).get(
            WRITE_EXTENSION)
        self._flush_due = False  # a flush is scheduled
        self._sender_busy = False  # the sender task holds frames: direct writes wait
        self._last_frame = 0.0

    def send(self, message: Outgoing) -> None:
        if self.closing is not None:
            return
        frame = message.frame(self.encoding)
        self.queue.append(frame)
        self.queued_bytes += len(frame)
        self.pacing.enqueued += 1
        if len(self.queue) > self.max_messages or self.queued_bytes > self.max_bytes:
            self.services.metrics.queue_drops.inc()
            self.close(errors.CLOSE_SLOW, "too far behind: reconnect with since", flush=False)
            return
        if not self._flush_due:
            self._flush_due = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_due = False
        if not self.queue or self.closing is not None:
            return
        if self._write is None or self._sender_busy:
            self._ready.set()
            return
        interval = self.pacing.frame_interval  # > 0 only when the process is busy
        if interval:
            wait = self._last_frame + interval - self._loop.time()
            if wait > 0:
                self._flush_due = True
                self._loop.call_later(wait, self._flush)
                return
        frame = self.queue[0] if len(self.queue) == 1 else bundle(list(self.queue), self.encoding)
        if not self._write(frame):  # the socket is full (or closing): the sender waits
            self._ready.set()
            return
        self.queue.clear()
        self.queued_bytes = 0
        self._last_frame = self._loop.time()

    def send_now(self, message: dict[str, Any]) -> None:
        self.send(Outgoing(message))

    def close(self, code: int, reason: str, *, flush: bool = True) -> None:
        if self.closing is None:
            self.closing = (code, reason)
            self._flush_before_close = flush
            self._ready.set()

    async def run_sender(self) -> None:
        ws = self.ws
        try:
            while True:
                await self._ready.wait()
                self._ready.clear()
                if self.closing is not None and not self._flush_before_close:
                    break
                if self.queue and self._write is None:  # no direct write (deflate): pace here
                    interval = self.pacing.frame_interval
                    wait = self._last_frame + interval - self._loop.time() if interval else 0.0
                    if wait > 0:
                        await asyncio.sleep(wait)
                        if self.closing is not None and not self._flush_before_close:
                            break
                if self.queue:
                    self._sender_busy = True
                    frames = list(self.queue)
                    self.queue.clear()
                    self.queued_bytes = 0
                    frame = frames[0] if len(frames) == 1 else bundle(frames, self.encoding)
                    if isinstance(frame, bytes):
                        await ws.send_bytes(frame)
                    else:
                        await ws.send_text(frame)
                    self._last_frame = self._loop.time()
                    self._sender_busy = False
                    if self.queue:  # more came meanwhile
                        if self._write is None:
                            self._ready.set()
                        elif not self._flush_due:
                            self._flush_due = True
                            self._loop.call_soon(self._flush)
                if self.closing is not None and not self.queue:
                    break
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass  # the peer went away; the receive loop sees it too
        except Exception:  # a frame that cannot be sent must not take anything else down
            log.exception("conn %s: send failed", self.id)
            self.closing = self.closing or (errors.CLOSE_TRY_AGAIN, "internal error")
        finally:
            self._sender_busy = False
            self.done.set()
        code, reason = self.closing or (errors.CLOSE_NORMAL, "")
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(code, reason), 2.0)
