"""Saving and restoring snapshots of a live board."""

from __future__ import annotations

import secrets
from typing import Any

from server.core.board import Actor, Change, Rejection, Unchanged
from server.core.clock import now_ms
from server.live.room import Room
from server.store import SnapshotMeta

MAX_LABEL = 200


def new_snapshot_id() -> str:
    """Sortable by time, unguessable, and without a ``.`` (docs/protocol.md §5)."""
    return f"s{now_ms():x}{secrets.token_hex(4)}"


def clean_label(label: Any) -> str | None:
    if label is None:
        return "Snapshot"
    if not isinstance(label, str) or len(label) > MAX_LABEL:
        return None
    return label.strip() or "Snapshot"


async def save(room: Room, label: str) -> SnapshotMeta:
    """Snapshot the board's durable state (never a tentative change)."""
    async with room.lock:
        elements = list(room.state.elements.values())
        clock = room.state.clock
    meta = SnapshotMeta(new_snapshot_id(), label, clock, now_ms(), len(elements))
    await room.store.save_snapshot(room.board, meta, elements)
    return meta


async def restore(room: Room, elements: list[dict[str, Any]], actor: Actor) -> Change | Rejection:
    """The board becomes the snapshot's elements, as one new change."""
    result = await room.submit(actor, elements, restore=True)
    assert not isinstance(result, Unchanged)  # a restore is always one new change
    return result
