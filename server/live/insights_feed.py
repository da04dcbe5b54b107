"""The ``insights`` event: recomputed after changes that matter, debounced."""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from schemas.kinds import INSIGHT_KINDS
from server.core.board import Change
from server.live.room import Room
from server.report.insights import insights

log = logging.getLogger("tussentafel.insights")

#: Kinds the TTTR analysis reads (the registry's); other changes do not re-run it.
RELEVANT: Final = INSIGHT_KINDS


def _relevant(change: Change) -> bool:
    for el in (*change.before.values(), *change.after.values()):
        if el is not None and el.get("kind") in RELEVANT:
            return True
    return False


def attach(room: Room, delay: float = 1.0) -> None:
    """After a relevant change, send everyone one ``insights`` event ``delay``
    seconds later; changes in between ride along (at most one event per delay,
    even while the board never stops changing)."""
    pending: list[asyncio.TimerHandle] = []

    def fire() -> None:
        pending.clear()
        try:
            public = [el for el in room.state.elements.values() if el.get("private") is not True]
            result = insights(public, room.presence.all())
        except Exception:
            log.exception("board %s: insights failed", room.board)
            return
        room.broadcast({"type": "event", "name": "insights", "insights": result}, publish=False)

    def on_change(room: Room, change: Change) -> None:
        if pending or not _relevant(change):
            return
        pending.append(asyncio.get_running_loop().call_later(delay, fire))

    room.on_change.append(on_change)
