"""A board's life after the Atelier: copies made from an archive or a snapshot,
deletion on every process, and retention of idle boards.

Deleting removes the board from the store (which tells the other processes on
a shared store), then closes the board's connections here with 4404 and drops
its room, so no token of it opens anything any more. Retention
(``TUSSENTAFEL_RETENTION_DAYS``) runs a sweep every ``retention_interval``:
boards with connections here are marked active first, so a board in use on
any process is never idle; boards idle longer than the retention are deleted
and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from server.core import errors
from server.core.archive import Archive
from server.core.auth import new_board_id
from server.core.board import SYSTEM, Actor, BoardState, Change, Rejection, apply, restore_ops
from server.core.clock import now_ms
from server.live.room import Room
from server.live.rooms import Rooms
from server.settings import Settings
from server.store import BoardMeta, SnapshotMeta, Store, StoreError

log = logging.getLogger("tussentafel.lifecycle")

DAY_MS = 24 * 3600 * 1000
_tasks: set[asyncio.Task[Any]] = set()


def _spawn(work: Coroutine[Any, Any, Any]) -> None:
    task = asyncio.ensure_future(work)
    _tasks.add(task)  # keep a reference until it is done
    task.add_done_callback(_tasks.discard)


def watch_deletes(rooms: Rooms) -> Callable[[Room], None]:
    """A ``Rooms.on_open`` hook: a board deleted by another process closes here too."""

    def attach(room: Room) -> None:
        room.on_bus["deleted"] = lambda room, _message: _spawn(evict(rooms, room.board))

    return attach


async def evict(rooms: Rooms, board: str) -> None:
    """Close the board's connections here (4404) and drop its room."""
    room = rooms.live.pop(board, None)
    if room is None:
        return
    for conn in list(room.conns.values()):
        conn.close(errors.CLOSE_UNKNOWN_BOARD, "this board was deleted")
    await room.stop()


async def delete(store: Store, rooms: Rooms, board: str) -> bool:
    """Delete the board everywhere; False if there was no such board."""
    existed = await store.delete_board(board)
    await evict(rooms, board)
    if existed:  # once more: what work in flight here wrote meanwhile (a join's record)
        await store.delete_board(board)
    return existed


# -- new boards from old ones --------------------------------------------------------


async def create_from_archive(store: Store, archive: Archive) -> BoardMeta:
    """A new board (new id, new tokens) holding the archive's state, clock,
    snapshots and participants. Raises StoreError; then nothing is left."""
    board, now = new_board_id(), now_ms()
    meta = BoardMeta(board, archive.title, archive.template, 1, archive.created,
                     archive.session, archive.lang)
    first = None
    if archive.clock:  # the whole state as the archive's last change, stamps as they were
        first = Change(
            clock=archive.clock, time=now, by=SYSTEM,
            ops=[{"op": "put", "el": el} for el in archive.elements],
            before=dict.fromkeys((el["id"] for el in archive.elements), None),
            after={el["id"]: el for el in archive.elements},
        )
    try:
        await store.create_board(meta, first)
        for snap, elements in archive.snapshots:
            await store.save_snapshot(board, SnapshotMeta(**snap), elements)
        for person in archive.participants:
            await store.save_participant(board, {**person, "online": False})
        await store.touch(board, now)
    except StoreError:
        with contextlib.suppress(StoreError):
            await store.delete_board(board)
        raise
    return meta


async def create_from_elements(
    store: Store, title: str, template: str, elements: list[dict[str, Any]], max_elements: int,
    lang: str = "en",
) -> BoardMeta:
    """A new board whose change 1 puts ``elements`` (a snapshot's state).
    Raises ValueError if they do not make a valid board."""
    board, now = new_board_id(), now_ms()
    meta = BoardMeta(board, title, template, 1, now, {}, lang)
    empty = BoardState(board)
    result = apply(empty, restore_ops(empty, elements), Actor(SYSTEM, "facilitator"), now,
                   restore=True, max_elements=max_elements)
    if isinstance(result, Rejection):
        raise ValueError(result.message)
    await store.create_board(meta, result if isinstance(result, Change) and result.ops else None)
    return meta


# -- retention ------------------------------------------------------------------------


def retention_ms(settings: Settings) -> int:
    return int(settings.retention_days * DAY_MS)


def retention_interval(settings: Settings) -> float:
    """Seconds between sweeps: often enough that a board in use is always seen."""
    return max(0.1, min(settings.retention_sweep_s, retention_ms(settings) / 4000))


async def sweep(store: Store, rooms: Rooms, settings: Settings, now: int) -> list[str]:
    """Delete the boards idle for longer than the retention; their ids."""
    for board, room in list(rooms.live.items()):
        if room.conns:
            await store.touch(board, now)
    cutoff = now - retention_ms(settings)
    deleted = []
    for summary in await store.list_boards():
        if summary.active >= cutoff or rooms.online(summary.board):
            continue
        if await delete(store, rooms, summary.board):
            idle = (now - summary.active) / DAY_MS
            log.info("retention: deleted board %s (%r), idle for %.2f days",
                     summary.board, summary.title, idle)
            deleted.append(summary.board)
    return deleted


async def run_retention(store: Store, rooms: Rooms, settings: Settings) -> None:
    interval = retention_interval(settings)
    log.info("retention: boards idle for %s days are deleted (a sweep every %.1f s)",
             settings.retention_days, interval)
    while True:
        try:
            await sweep(store, rooms, settings, now_ms())
        except StoreError as exc:
            log.warning("retention: the store failed, trying again later: %s", exc)
        except Exception:  # a bug must not end retention for the process's lifetime
            log.exception("retention: sweep failed")
        await asyncio.sleep(interval)


def start_retention(store: Store, rooms: Rooms, settings: Settings) -> asyncio.Task[None] | None:
    """The retention task, or None when ``retention_days`` is 0 (off)."""
    if settings.retention_days <= 0:
        return None
    return asyncio.create_task(run_retention(store, rooms, settings), name="retention")
