"""The store contract for whole boards (delete, list, activity), on SQLite and
on a real Redis, with the fixtures of tests/test_store.py."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from server.core.board import BoardState
from server.store import BoardMeta, SnapshotMeta
from server.store.redis import RedisStore
from tests import test_store as contract
from tests.conftest import note, put
from tests.redis_fixture import (  # noqa: F401
    RedisCluster,
    redis_cluster_fixture,
    redis_server_fixture,
)
from tests.test_store import NOW, Backend, change, new_board

pytestmark = pytest.mark.timeout(30)

backend, store = contract.backend, contract.store  # the same two stores, made the same way


async def filled(store: Any, board: str) -> BoardState:
    state = await new_board(store, board)
    await store.commit(board, [change(state, [put(note("a")), put(note("b"))], now=NOW + 10)])
    await store.commit(board, [change(state, [{"op": "del", "id": "b"}], now=NOW + 20)])
    await store.save_snapshot(board, SnapshotMeta("s1", "one", state.clock, NOW, 1),
                              list(state.elements.values()))
    await store.save_participant(board, {"id": "p1", "name": "Anna", "color": "#123456",
                                         "role": "participant", "online": False})
    return state


async def test_delete_removes_everything_of_one_board(store: Any, backend: Backend) -> None:
    await filled(store, "b1")
    kept = await filled(store, "b2")
    assert await store.delete_board("b1") is True
    assert await store.get_meta("b1") is None
    assert await store.list_snapshots("b1") == []
    assert await store.get_snapshot("b1", "s1") is None
    assert await store.list_participants("b1") == []
    assert await store.changes_since("b1", 0) in ([], None)
    assert await store.delete_board("b1") is False
    assert [b.board for b in await store.list_boards()] == ["b2"]
    assert (await store.load("b2")).elements == kept.elements
    assert len(await store.list_participants("b2")) == 1
    if backend.kind == "redis":
        keys = Redis.from_url(backend.where).keys("tt:{b1}:*")
        assert keys == []
    else:
        db = sqlite3.connect(Path(backend.where) / "tussentafel.sqlite3")  # a second reader
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
                  if t != "settings"]
        for table in tables:
            assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE board='b1'").fetchone() == (0,)
        db.close()


async def test_a_new_board_may_take_a_deleted_boards_place(store: Any) -> None:
    await filled(store, "b1")
    await store.delete_board("b1")
    state = await new_board(store, "b1")
    await store.commit("b1", [change(state, [put(note("z"))])])
    assert set((await store.load("b1")).elements) == {"z"}


async def test_list_boards_counts_and_activity(store: Any) -> None:
    await store.create_board(BoardMeta("quiet", "Quiet", created=NOW - 5000), None)
    await filled(store, "busy")
    boards = {b.board: b for b in await store.list_boards()}
    assert set(boards) == {"quiet", "busy"}
    quiet, busy = boards["quiet"], boards["busy"]
    assert (quiet.title, quiet.elements, quiet.snapshots, quiet.clock) == ("Quiet", 0, 0, 0)
    assert quiet.active == NOW - 5000  # never changed: active since it was made
    assert (busy.elements, busy.snapshots, busy.clock) == (1, 1, 2)
    assert busy.active >= NOW  # its commits count as activity
    await store.touch("quiet", NOW + 10**9)
    await store.touch("quiet", NOW)  # activity never goes back
    await store.touch("gone", NOW)  # nothing to touch: nothing made
    boards = {b.board: b for b in await store.list_boards()}
    assert boards["quiet"].active == NOW + 10**9
    assert set(boards) == {"quiet", "busy"}


@pytest.mark.slow
async def test_list_and_delete_on_a_redis_cluster(redis_cluster: RedisCluster) -> None:
    """Boards on every master are listed (SCAN on each) and deleted whole."""
    store = RedisStore(redis_cluster.url)
    await store.start()
    try:
        boards = [f"b{i}" for i in range(12)]  # 12 hash tags: all three masters get some
        assert len({redis_cluster.master_of(f"tt:{{{b}}}:meta") for b in boards}) == 3
        for board in boards:
            await filled(store, board)
        assert sorted(b.board for b in await store.list_boards()) == sorted(boards)
        for board in boards[:6]:
            assert await store.delete_board(board) is True
            assert await store.get_meta(board) is None
            assert await store.list_snapshots(board) == []
        assert sorted(b.board for b in await store.list_boards()) == sorted(boards[6:])
    finally:
        await store.close()
