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
from server.ws.frames import ABORT_EXTENSION, UNSENT_EXTENSION, WRITE_EXTENSION
from server.ws.welcomes import Reservation

if TYPE_CHECKING:
    from server.services import Services

log = logging.getLogger("tussentafel.ws")

# While a welcome is unread, how often to ask the transport how much of it is
# left: soon at first (most joiners read it at once and free the budget for the
# next), then every half second until it is read or its deadline has passed.
WELCOME_CHECK_FIRST_S = 0.02
WELCOME_CHECK_EVERY_S = 0.5
# How long a closing connection may wait for its peer to take the close before
# it is dropped (a peer that reads takes it within milliseconds).
CLOSE_GRACE_S = 5.0


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

    The welcome goes outside the bound, but holds a share of the process's
    budget of unread welcomes (``server.ws.welcomes``) from before it is queued
    until the kernel has taken it: checked after each flush and on a timer
    while it is held, never for ordinary traffic. A welcome still unread after
    ``welcome_read_s`` closes the connection (4408), dropping its bytes.
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
        self.exempt = 0  # queued frames outside the bound (a welcome)
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
        extensions = ws.scope.get("extensions", {})
        self._unsent: Callable[[], int] | None = extensions.get(UNSENT_EXTENSION)
        self._abort: Callable[[], None] | None = extensions.get(ABORT_EXTENSION)
        self._welcome: Reservation | None = None  # held until the kernel took the welcome
        self._welcome_written = False  # the welcome is in the transport (not in the queue)
        self._welcome_deadline = 0.0
        self._welcome_check: asyncio.TimerHandle | None = None
        self._welcome_every = WELCOME_CHECK_FIRST_S
        self._ended = False  # finish() ran
        self._close_timer: asyncio.TimerHandle | None = None

    # -- the welcome's share of the process's budget -----------------------------

    def reserve_welcome(self, size: int) -> bool:
        """Hold ``size`` bytes of the unread-welcome budget for this joiner's
        welcome; False (nothing held) when the budget is full."""
        client = self.ws.client
        reservation = self.services.welcomes.reserve(size, client.host if client else "")
        if reservation is None:
            return False
        self._welcome = reservation
        read_s = self.services.settings.welcome_read_s
        self._welcome_deadline = self._loop.time() + read_s if read_s else 0.0
        self._welcome_check = self._loop.call_later(self._welcome_every, self._check_welcome)
        return True

    def _welcome_sent(self) -> None:
        """The welcome left the queue for the transport: from now on what the
        transport still holds bounds what is left of it."""
        if self._unsent is None:  # no way to tell: count it as taken
            self._release_welcome()
            return
        self._welcome_written = True
        self._check_welcome(timer=False)

    def _check_welcome(self, *, timer: bool = True) -> None:
        welcome = self._welcome
        if welcome is None:
            return
        if timer:
            self._welcome_check = None
        if self._welcome_written and self._unsent is not None and welcome.shrink_to(
                self._unsent()):
            self._release_welcome()
            return
        if self._welcome_deadline and self._loop.time() >= self._welcome_deadline:
            self._welcome_too_slow()
            return
        if self._welcome_check is None:
            self._welcome_every = min(self._welcome_every * 2, WELCOME_CHECK_EVERY_S)
            self._welcome_check = self._loop.call_later(self._welcome_every, self._check_welcome)

    def _welcome_too_slow(self) -> None:
        """Close (4408) a joiner that has not read its welcome in time. The
        close frame would sit behind the unread welcome, so the connection is
        dropped with its unsent bytes (the peer sees it end; browsers: 1006)."""
        log.info("conn %s: welcome not read within %.0f s; closing it %d", self.id,
                 self.services.settings.welcome_read_s, errors.CLOSE_SLOW)
        self.services.metrics.queue_drops.inc()
        self.close(errors.CLOSE_SLOW, "welcome not read in time: reconnect", flush=False)
        self._drop_unsent()
        self._release_welcome()

    def _drop_unsent(self) -> None:
        if self._abort is not None:
            with contextlib.suppress(Exception):  # already gone: nothing is held
                self._abort()

    def _release_welcome(self) -> None:
        if self._welcome_check is not None:
            self._welcome_check.cancel()
            self._welcome_check = None
        if self._welcome is not None:
            self._welcome.release()
            self._welcome = None

    def finish(self) -> None:
        """The connection is over: give back what its welcome still holds. If
        the transport still buffers part of it, drop the connection instead of
        closing it gracefully, which would keep the buffer (and the memory the
        budget no longer counts) until a peer that stopped reading reads."""
        self._ended = True
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        if self._welcome is None:
            return
        try:
            self._check_welcome(timer=False)
            if self._welcome is not None:
                self._drop_unsent()
        finally:
            self._release_welcome()

    def send(self, message: Outgoing, *, bounded: bool = True) -> None:
        """Queue a message. ``bounded=False`` (the welcome) does not count
        against the queue's bound: its size is bounded by the board budget."""
        if self.closing is not None:
            return
        try:
            frame = message.frame(self.encoding)
        except Exception:  # a bug, not the peer's doing: this connection only
            self._failed("encode")
            return
        self.queue.append(frame)
        if bounded:
            self.queued_bytes += len(frame)
        else:
            self.exempt += 1
            if self._welcome is not None:  # reserved on its elements: now its whole size
                self._welcome.resize(len(frame))
        self.pacing.enqueued += 1
        if (len(self.queue) - self.exempt > self.max_messages
                or self.queued_bytes > self.max_bytes):
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
        try:
            queue = self.queue
            frame = queue[0] if len(queue) == 1 else bundle(list(queue), self.encoding)
            written = self._write(frame)
        except Exception:  # never leave a queue that every later flush trips over
            self._failed("write")
            return
        if not written:  # the socket is full (or closing): the sender waits
            self._ready.set()
            return
        self.queue.clear()
        self.queued_bytes = 0
        self._last_frame = self._loop.time()
        if self._welcome is not None:  # only while a welcome is unread
            if self.exempt:
                self._welcome_sent()
            elif self._welcome_written:
                self._check_welcome(timer=False)
        self.exempt = 0

    def _failed(self, what: str) -> None:
        log.exception("conn %s: could not %s a message; closing it 1011", self.id, what)
        self.queue.clear()
        self.queued_bytes = 0
        self.close(errors.CLOSE_INTERNAL, "internal error", flush=False)

    def send_now(self, message: dict[str, Any]) -> None:
        self.send(Outgoing(message))

    def close(self, code: int, reason: str, *, flush: bool = True) -> None:
        if self.closing is None:
            self.closing = (code, reason)
            self._flush_before_close = flush
            self._ready.set()
            # a peer that stopped reading never takes the close frame (uvicorn waits
            # for the socket to drain even to close), and the connection, its buffer
            # and its descriptor would stay until the peer reads or goes: dropped
            self._close_timer = self._loop.call_later(CLOSE_GRACE_S, self._close_overdue)

    def _close_overdue(self) -> None:
        self._close_timer = None
        if not self._ended:
            log.info("conn %s: close %s not taken by the peer in %.0f s; dropping it",
                     self.id, self.closing[0] if self.closing else None, CLOSE_GRACE_S)
            self._drop_unsent()

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
                    welcome = self.exempt
                    self.queued_bytes = self.exempt = 0
                    frame = frames[0] if len(frames) == 1 else bundle(frames, self.encoding)
                    if isinstance(frame, bytes):
                        await ws.send_bytes(frame)
                    else:
                        await ws.send_text(frame)
                    self._last_frame = self._loop.time()
                    self._sender_busy = False
                    if welcome and self._welcome is not None:
                        self._welcome_sent()
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
