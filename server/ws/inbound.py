"""What a joined connection's messages do: push, presence, ping, cmd."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError

from schemas.elements import MAX_COORD
from schemas.messages import PresenceIn
from server.core import errors
from server.core.clock import now_ms
from server.core.codec import DecodeError, Frame, decode
from server.live.room import Room
from server.ws.connection import WsConnection
from server.ws.ratelimit import PresenceMeter, TokenBucket

if TYPE_CHECKING:
    from server.services import Services

log = logging.getLogger("tussentafel.ws")


def error_message(code: str, message: str, *, fatal: bool = False) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, "fatal": fatal}


def fatal(conn: WsConnection, code: str, message: str, close_code: int) -> None:
    log.info("refuse conn=%s code=%s close=%d: %s", conn.id, code, close_code, message)
    conn.send_now(error_message(code, message, fatal=True))
    conn.close(close_code, message[:100])


class Inbound:
    """What one joined connection's messages do.

    ``handle`` is synchronous: a push only queues a job for the room, presence
    only updates the room's table, a ping only queues a pong. The WebSocket
    protocol (``server.ws.frames``) calls it straight from the socket's read
    callback, with no task switch per message, whenever nothing is waiting in
    the connection's receive queue; a ``cmd`` (which awaits) and anything that
    arrives while one runs goes through the queue to ``_serve``, in order.
    """

    def __init__(self, conn: WsConnection, room: Room, services: Services) -> None:
        self.conn = conn
        self.room = room
        self.services = services
        settings = services.settings
        self.bucket = TokenBucket(settings.rate_ops_per_s, settings.rate_burst)
        self.bad_limit = settings.bad_messages_before_close
        self.bad_in_a_row = 0
        self.busy = False  # _serve is running a queued message: keep the order
        self.meter = PresenceMeter(settings.presence_per_s, settings.presence_bytes_per_s)
        self.max_selection = settings.presence_max_selection
        self._held: dict[str, Any] | None = None  # presence over the budget, sent when it fits
        self._held_size = 0
        self._selection_bytes = 0  # what this participant's selection adds to each update

    def direct(self, frame: Frame) -> bool:
        """The protocol's fast path: True if handled, False to queue it instead."""
        if self.busy:
            return False
        if self.conn.closing is not None:
            return True  # closing: nothing more is read
        try:
            return self.handle(frame) is None
        except Exception:  # never raise into the transport's callback
            log.exception("conn %s: message failed", self.conn.id)
            fatal(self.conn, errors.UNAVAILABLE, "internal error", errors.CLOSE_TRY_AGAIN)
            return True

    def handle(self, frame: Frame) -> dict[str, Any] | None:
        """Do what ``frame`` asks; a command is returned to be awaited by the caller."""
        conn = self.conn
        try:
            message = decode(frame, conn.encoding)
            kind = message.get("type")
            if kind == "presence":
                fields = _presence_fields(message)
                if "pointer" in fields and not conn.actor.facilitator:
                    conn.send_now(error_message(errors.FORBIDDEN,
                                                "only a facilitator has a pointer"))
                    return None
                self._presence(fields, len(frame))
            elif kind == "push":
                self._push(message)
            elif kind == "ping":
                conn.send_now({"type": "pong", "time": now_ms()})
            elif kind == "cmd":
                self.bad_in_a_row = 0
                return message
            elif kind == "hello":
                raise DecodeError("hello was already said")
            else:
                raise DecodeError(f"unknown message type {str(kind)[:40]!r}")
            self.bad_in_a_row = 0
        except (DecodeError, ValidationError) as exc:
            self.bad(exc)
        return None

    def _presence(self, fields: dict[str, Any], size: int) -> None:
        """Presence within the connection's budget goes to the room; over it,
        the latest of each field waits and goes when the budget allows. An
        update costs what it will cost the others: the participant's entry
        goes out whole, so a cursor move costs the selection it carries along."""
        selection = fields.get("selection")
        if selection is not None:
            if len(selection) > self.max_selection:
                fields["selection"] = selection = selection[:self.max_selection]
            self._selection_bytes = sum(len(i) + 3 for i in selection)
        else:
            size += self._selection_bytes
        if self._held is not None:  # one is waiting already: merge, the latest wins
            self._held.update(fields)
            self._held_size = max(self._held_size, size)
            return
        wait = self.meter.wait(size)
        if not wait:
            self.room.point(self.conn, fields)
            return
        self._held, self._held_size = dict(fields), size
        asyncio.get_running_loop().call_later(wait, self._release_held)

    def _release_held(self) -> None:
        if self._held is None or self.conn.closing is not None:
            self._held = None
            return
        wait = self.meter.wait(self._held_size)
        if wait:
            asyncio.get_running_loop().call_later(wait, self._release_held)
            return
        held, self._held = self._held, None
        self.room.point(self.conn, held)

    async def command(self, message: dict[str, Any]) -> None:
        try:
            await self.services.commands.handle(self.room, self.conn.actor, message,
                                                self.conn.send_now)
        except (DecodeError, ValidationError) as exc:
            self.bad(exc)

    def bad(self, exc: DecodeError | ValidationError) -> None:
        """A message that is not one: say why; close after too many in a row."""
        self.bad_in_a_row += 1
        self.services.metrics.rejects.labels(errors.BAD_MESSAGE).inc()
        reason = str(exc) if isinstance(exc, DecodeError) else first_error(exc)
        if self.bad_in_a_row >= self.bad_limit:
            fatal(self.conn, errors.BAD_MESSAGE, f"too many bad messages: {reason}",
                   errors.CLOSE_POLICY)
        else:
            self.conn.send_now(error_message(errors.BAD_MESSAGE, reason))

    def _push(self, message: dict[str, Any]) -> None:
        push_id, ops = message.get("id"), message.get("ops")
        if isinstance(push_id, bool) or not (
            (isinstance(push_id, int) and -(2**63) <= push_id < 2**63)
            or (isinstance(push_id, str) and 0 < len(push_id) <= 128)
        ):
            raise DecodeError("a push needs an id: a string of 1-128 or a 64-bit integer")
        if not isinstance(ops, list):
            raise DecodeError("a push needs a list of ops")
        if not self.bucket.take(len(ops)):
            self.services.metrics.rejects.labels(errors.RATE_LIMITED).inc()
            self.conn.send_now({"type": "ack", "id": push_id, "ok": False,
                                "code": errors.RATE_LIMITED,
                                "message": "too many changes: slow down"})
            return
        self.services.metrics.ops.inc(len(ops))
        self.room.push(self.conn, push_id, ops)


_NUMBER: Final = (int, float)  # exactly these (``type(v) in``): not bool


def _presence_fields(message: dict[str, Any]) -> dict[str, Any]:
    """A presence message's fields: the common cursor-only message is checked
    here, anything else by the ``PresenceIn`` schema (same rules, same errors)."""
    if len(message) == 2:
        cursor = message.get("cursor")
        if type(cursor) is list and len(cursor) == 2:  # no generator: ~20 000 of these a second
            x, y = cursor
            if (type(x) in _NUMBER and type(y) in _NUMBER
                    and -MAX_COORD <= x <= MAX_COORD and -MAX_COORD <= y <= MAX_COORD):
                return {"cursor": [float(x), float(y)]}
    # exclude_unset, not exclude_none: ``cursor: null`` and ``selection: []``
    # clear what the others show (docs/protocol.md §3.2)
    fields = PresenceIn.model_validate(message).model_dump(exclude_unset=True)
    fields.pop("type", None)
    return fields


def first_error(exc: ValidationError) -> str:
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "message"
    return f"{where}: {first['msg']}"[:200]
