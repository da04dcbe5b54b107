"""What both stores keep for integrity: push ids with their change, and
graves (deleter and last content) with tombstones; both forgotten with history."""

from __future__ import annotations

from typing import Any

import pytest

from server.core.board import BoardState, push_key
from tests.conftest import note, put
from tests.redis_fixture import redis_server_fixture  # noqa: F401
from tests.test_store import BOSS, ME, NOW, Backend, backend, change, new_board, store

__all__ = ["backend", "store"]  # fixtures, re-used

pytestmark = pytest.mark.timeout(30)


async def test_push_ids_and_graves_survive_a_reload(store: Any) -> None:
    state = await new_board(store)
    first = change(state, [put(note("a", "words"))])
    first.push = push_key(ME.participant, "batch-1")
    state.pushes[first.push] = (first.clock, first.time)
    second = change(state, [{"op": "del", "id": "a"}], BOSS, now=NOW + 5)
    await store.commit("b1", [first, second])
    loaded = await store.load("b1")
    assert loaded.pushes == {push_key(ME.participant, "batch-1"): (1, NOW)}
    assert loaded.graves == {"a": (BOSS.participant, state.graves["a"][1])}
    assert loaded.graves["a"][1]["text"] == "words"
    assert loaded.tombstones == {"a": (2, NOW + 5)}
    back = change(loaded, [{"op": "restore", "id": "a"}], ME, now=NOW + 9)
    await store.commit("b1", [back])
    again = await store.load("b1")
    assert again.graves == {} and again.tombstones == {}
    assert again.elements["a"]["author"] == ME.participant


async def test_push_ids_and_graves_are_forgotten_with_history(backend: Backend) -> None:
    s = backend.make(history_clocks=2)
    await s.start()
    try:
        state = await new_board(s)
        changes = []
        for i in range(4):
            c = change(state, [put(note(f"n{i}"))], now=NOW + i)
            c.push = push_key(ME.participant, i)
            state.pushes[c.push] = (c.clock, c.time)
            changes.append(c)
        changes.append(change(state, [{"op": "del", "id": "n0"}], now=NOW + 9))
        changes += [change(state, [put(note(f"m{i}"))], now=NOW + 10) for i in range(3)]
        await s.commit("b1", changes)
        loaded = await s.load("b1")
        assert loaded.pushes == {}  # clocks 1-4: older than the last 2 of 8
        assert loaded.graves == {} and loaded.tombstones == {}
    finally:
        await s.close()


def test_a_state_forgets_pushes_by_clock_and_age() -> None:
    state = BoardState("b", clock=10)
    state.pushes = {"old": (1, NOW), "new": (9, NOW), "stale": (9, NOW - 100)}
    assert sorted(state.forget_pushes(now=NOW, max_age_ms=50, max_clocks=5)) == ["old", "stale"]
    assert state.pushes == {"new": (9, NOW)}
