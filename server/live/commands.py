"""Facilitator commands (``cmd`` → ``result`` + ``event``), docs/protocol.md §5.

Session state (timer, follow, private mode) lives in the board's meta, so a
client that joins or reconnects finds it in its ``welcome``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from schemas.elements import ID_PATTERN
from schemas.messages import Cmd
from server.core import errors
from server.core.board import Actor, Change, Rejection, lock_ops, private_count, reveal_ops
from server.core.clock import now_ms
from server.core.errors import ProtocolError
from server.live import snapshots
from server.live.room import Room

log = logging.getLogger("tussentafel.commands")

MAX_TIMER_S = 24 * 3600
Args = dict[str, Any]
Handler = Callable[[Room, Actor, Args], Awaitable[Args]]
Reply = Callable[[dict[str, Any]], None]


def _frame_arg(args: dict[str, Any]) -> str | None:
    import re

    frame = args.get("frame")
    if frame is None:
        return None
    if not isinstance(frame, str) or not re.fullmatch(ID_PATTERN[1:-1], frame):
        raise ProtocolError(errors.INVALID, "frame must be an element id")
    return frame


def _ids_arg(args: dict[str, Any]) -> list[str]:
    ids = args.get("ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise ProtocolError(errors.INVALID, "ids must be a non-empty list of element ids")
    if len(ids) > 5000:
        raise ProtocolError(errors.TOO_LARGE, "at most 5000 ids at once")
    return ids


class Commands:
    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {
            "timer.start": self.timer_start,
            "timer.stop": self.timer_stop,
            "follow.start": self.follow_start,
            "follow.stop": self.follow_stop,
            "private.start": self.private_start,
            "private.stop": self.private_stop,
            "reveal": self.reveal,
            "lock": self.lock,
            "unlock": self.unlock,
            "snapshot": self.snapshot,
            "present.frame": self.present_frame,
            "present.insights": self.present_insights,
            "present.stop": self.present_stop,
        }

    async def handle(
        self, room: Room, actor: Actor, message: dict[str, Any], reply: Reply
    ) -> None:
        """Answer one ``cmd`` of ``actor`` with a ``result`` through ``reply``;
        raises ValidationError for a malformed cmd (the caller answers
        ``bad_message``)."""
        cmd = Cmd.model_validate(message)
        result: dict[str, Any] = {"type": "result", "id": cmd.id}
        handler = self.handlers.get(cmd.name)
        try:
            if handler is None:
                raise ProtocolError(errors.INVALID, f"unknown command {cmd.name[:40]!r}")
            if not actor.facilitator:
                raise ProtocolError(errors.FORBIDDEN, "only a facilitator may do this")
            result.update(await handler(room, actor, cmd.args))
            result["ok"] = True
        except ProtocolError as exc:
            result.update(ok=False, code=exc.code, message=exc.message)
        reply(result)

    async def _set_session(self, room: Room, event: dict[str, Any], **fields: Any) -> None:
        session = {**room.session, **fields}
        try:
            await room.store.update_meta(room.board, session=session)
        except Exception as exc:
            log.warning("board %s: cannot keep session: %s", room.board, exc)
            raise ProtocolError(errors.UNAVAILABLE, "the store cannot take this now") from None
        room.meta.session = session
        room.broadcast({"type": "event", **event})

    async def timer_start(self, room: Room, actor: Actor, args: Args) -> Args:
        seconds, label = args.get("seconds"), args.get("label", "")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise ProtocolError(errors.INVALID, "seconds must be a number")
        if not 0 < seconds <= MAX_TIMER_S:
            raise ProtocolError(errors.INVALID, f"seconds must be between 0 and {MAX_TIMER_S}")
        if not isinstance(label, str) or len(label) > 200:
            raise ProtocolError(errors.text_error(label),
                               "label must be a string of at most 200 characters")
        timer = {"label": label, "ends": now_ms() + int(seconds * 1000)}
        await self._set_session(room, {"name": "timer", "timer": timer}, timer=timer)
        return {"timer": timer}

    async def timer_stop(self, room: Room, actor: Actor, args: Args) -> Args:
        await self._set_session(room, {"name": "timer", "timer": None}, timer=None)
        return {"timer": None}

    async def follow_start(self, room: Room, actor: Actor, args: Args) -> Args:
        me = actor.participant
        await self._set_session(room, {"name": "follow", "follow": me}, follow=me)
        return {"follow": me}

    async def follow_stop(self, room: Room, actor: Actor, args: Args) -> Args:
        await self._set_session(room, {"name": "follow", "follow": None}, follow=None)
        return {"follow": None}

    async def private_start(self, room: Room, actor: Actor, args: Args) -> Args:
        frame = _frame_arg(args)
        count = private_count(room.state, frame or "")
        event = {"name": "private", "private": True, "frame": frame, "count": count}
        await self._set_session(room, event, private=True, private_frame=frame)
        room.private_count_now()
        return {"private": True, "frame": frame}

    async def private_stop(self, room: Room, actor: Actor, args: Args) -> Args:
        event = {"name": "private", "private": False, "frame": None, "count": 0}
        await self._set_session(room, event, private=False, private_frame=None)
        room.private_count_now()
        return {"private": False}

    async def present_frame(self, room: Room, actor: Actor, args: Args) -> Args:
        """Show one frame on the projector; participants' views do not move."""
        frame = _frame_arg(args)
        if frame is None:
            raise ProtocolError(errors.INVALID, "frame must be an element id")
        async with room.lock:
            el = room.state.elements.get(frame)
        if el is None or el.get("kind") != "frame" or el.get("private") is True:
            raise ProtocolError(errors.NOT_FOUND, "no such frame")
        return await self._present(room, frame, insights=False)

    async def present_insights(self, room: Room, actor: Actor, args: Args) -> Args:
        return await self._present(room, None, insights=True)

    async def present_stop(self, room: Room, actor: Actor, args: Args) -> Args:
        return await self._present(room, None, insights=False)

    async def _present(self, room: Room, frame: str | None, *, insights: bool) -> Args:
        state = {"present": frame, "insights": insights}
        await self._set_session(room, {"name": "present", **state},
                                present=frame, present_insights=insights)
        return state

    async def _change(
        self, room: Room, actor: Actor, ops: list[dict[str, Any]]
    ) -> Change | None:
        if not ops:
            return None
        result = await room.submit(actor, ops)
        if isinstance(result, Rejection):
            raise ProtocolError(result.code, result.message)
        return result if isinstance(result, Change) else None  # Unchanged: no new clock

    async def reveal(self, room: Room, actor: Actor, args: Args) -> Args:
        frame = _frame_arg(args)
        async with room.lock:
            ops = reveal_ops(room.state, frame)
        change = await self._change(room, actor, ops)
        ids = [op["id"] for op in ops]
        clock = change.clock if change else room.state.clock
        event = {"name": "reveal", "ids": ids, "frame": frame, "clock": clock}
        scope = room.session.get("private_frame")
        if room.session.get("private") and (frame is None or frame == scope):
            await self._set_session(room, event, private=False, private_frame=None)
        else:
            room.broadcast({"type": "event", **event})
        return {"ids": ids, "clock": clock}

    async def _lock(self, room: Room, actor: Actor, args: Args, locked: bool) -> Args:
        ids = _ids_arg(args)
        async with room.lock:
            ops = lock_ops(room.state, ids, locked=locked)
        change = await self._change(room, actor, ops)
        changed = [op["id"] for op in ops]
        clock = change.clock if change else room.state.clock
        room.broadcast({"type": "event", "name": "lock", "locked": locked, "ids": changed,
                        "clock": clock})
        return {"ids": changed, "clock": clock}

    async def lock(self, room: Room, actor: Actor, args: Args) -> Args:
        return await self._lock(room, actor, args, True)

    async def unlock(self, room: Room, actor: Actor, args: Args) -> Args:
        return await self._lock(room, actor, args, False)

    async def snapshot(self, room: Room, actor: Actor, args: Args) -> Args:
        label = snapshots.clean_label(args.get("label"))
        if label is None:
            raise ProtocolError(errors.text_error(args.get("label")),
                               "label must be a string of at most 200 characters")
        meta = await snapshots.save(room, label)
        room.broadcast({"type": "event", "name": "snapshot", "snapshot": meta.to_dict()})
        return {"snapshot": meta.to_dict()}

