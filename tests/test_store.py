"""The store contract: one suite, run against SQLite and against a real Redis.

Changes are made with ``board.apply`` on a ``BoardState``, as a room makes them.
At the end, Redis-only tests: the bus, outages and the commit deadline.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from server.core.board import Actor, BoardState, Change, apply, change_from_record
from server.store import BoardMeta, ClockConflict, SnapshotMeta, Store, Unavailable
from server.store.redis import RedisStore
from server.store.sqlite import SqliteStore
from tests.conftest import note, put
from tests.redis_fixture import RedisServer, redis_server_fixture  # noqa: F401

pytestmark = pytest.mark.timeout(30)

ME = Actor("p-ada", "participant")
BOSS = Actor("p-fac", "facilitator")
NOW = int(time.time() * 1000)


@dataclass
class Backend:
    kind: str
    where: str

    def make(self, **kw: Any) -> Any:
        if self.kind == "sqlite":
            return SqliteStore(Path(self.where), **kw)
        return RedisStore(self.where, **kw)


@pytest.fixture(params=["sqlite", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        return Backend("redis", server.url)
    return Backend("sqlite", str(tmp_path / "data"))


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[Store]:
    s = backend.make()
    await s.start()
    yield s
    await s.close()


def change(state: BoardState, ops: list[dict[str, Any]], actor: Actor = ME,
           now: int = NOW, **kw: Any) -> Change:
    """A real change on ``state`` (advanced); asserts the ops are accepted."""
    result = apply(state, ops, actor, now, **kw)
    assert isinstance(result, Change), result
    state.advance(result)
    return result


async def new_board(store: Any, board: str = "b1", **kw: Any) -> BoardState:
    await store.create_board(BoardMeta(board, "Atelier", created=NOW, **kw), None)
    return BoardState(board)


async def kept_changes(store: Store, board: str, since: int) -> list[dict[str, Any]]:
    """``changes_since`` where the log still reaches back that far (so never None)."""
    records = await store.changes_since(board, since)
    assert records is not None
    return records


def same_state(a: BoardState, b: BoardState) -> None:
    assert (a.clock, a.elements, a.tombstones) == (b.clock, b.elements, b.tombstones)


# -- boards and meta ----------------------------------------------------------------


async def test_create_get_and_update_meta(store: Store) -> None:
    assert await store.get_meta("b1") is None
    meta = BoardMeta("b1", "Atelier Zuid", "atelier", 1, NOW, {"timer": None})
    await store.create_board(meta, None)
    assert await store.get_meta("b1") == meta
    session = {"timer": {"label": "ronde", "ends": NOW + 60_000}, "private": True}
    await store.update_meta("b1", title="Tafel 2 — wij én zij", generation=3, session=session)
    got = await store.get_meta("b1")
    assert got is not None
    assert (got.title, got.generation, got.session) == ("Tafel 2 — wij én zij", 3, session)
    assert (got.template, got.created) == ("atelier", NOW)
    await store.update_meta("nosuch", title="x")  # no board: nothing appears
    assert await store.get_meta("nosuch") is None
    with pytest.raises(RuntimeError):
        await store.update_meta("b1", clock=5)


async def test_create_board_with_a_first_change(store: Store) -> None:
    state = BoardState("b1")
    first = change(state, [put(note(f"t{i}")) for i in range(3)], BOSS, restore=True)
    await store.create_board(BoardMeta("b1", "Atelier", "atelier", 1, NOW), first)
    same_state(await store.load("b1"), state)
    assert await store.changes_since("b1", 0) == [first.log_record()]


async def test_load_of_an_unknown_board_is_a_key_error(store: Store) -> None:
    with pytest.raises(KeyError):
        await store.load("nosuch")


# -- commits ------------------------------------------------------------------------


async def test_commit_and_load_round_trip(store: Store) -> None:
    state = await new_board(store)
    c1 = change(state, [put(note("a", "één", x=1.5, color="#ff0")), put(note("b")),
                        put(note("c"))])
    await store.commit("b1", [c1])
    c2 = change(state, [{"op": "patch", "id": "a", "set": {"text": "twee"}, "unset": ["color"]}])
    c3 = change(state, [{"op": "del", "id": "b"}], now=NOW + 5)
    c4 = change(state, [put(note("d")), {"op": "del", "id": "c"}], now=NOW + 6)
    await store.commit("b1", [c2, c3, c4])  # a group of consecutive changes
    loaded = await store.load("b1")
    same_state(loaded, state)
    assert loaded.clock == 4 and set(loaded.elements) == {"a", "d"}
    a = loaded.elements["a"]
    assert a["text"] == "twee" and "color" not in a and a["x"] == 1.5 and a["v"] == 2
    assert loaded.tombstones == {"b": (3, NOW + 5), "c": (4, NOW + 6)}


async def test_restore_re_creates_a_deleted_id_and_drops_its_tombstone(store: Store) -> None:
    state = await new_board(store)
    await store.commit("b1", [change(state, [put(note("a"))])])
    await store.commit("b1", [change(state, [{"op": "del", "id": "a"}])])
    assert "a" in (await store.load("b1")).tombstones
    back = change(state, [put(note("a", "back"))], BOSS, restore=True)
    assert back.tombs_before == {"a": (2, NOW)}
    await store.commit("b1", [back])
    loaded = await store.load("b1")
    same_state(loaded, state)
    assert loaded.tombstones == {} and loaded.elements["a"]["text"] == "back"


async def test_commit_on_a_stale_clock_is_a_conflict_and_writes_nothing(store: Store) -> None:
    state = await new_board(store)
    stale = copy.deepcopy(state)
    winner = change(state, [put(note("a", "first"))])
    await store.commit("b1", [winner])
    loser = change(stale, [put(note("a", "second")), put(note("z"))])  # also clock 1
    with pytest.raises(ClockConflict):
        await store.commit("b1", [loser])
    ahead = copy.deepcopy(state)
    change(ahead, [put(note("y"))])
    skipped = change(ahead, [put(note("x"))])  # clock 3 on a store at 1
    with pytest.raises(ClockConflict):
        await store.commit("b1", [skipped])
    same_state(await store.load("b1"), state)
    assert await store.changes_since("b1", 0) == [winner.log_record()]


async def test_changes_since_returns_exact_records(store: Store) -> None:
    state = await new_board(store)
    changes = [change(state, [put(note(f"n{i}", f"text {i}"))], now=NOW + i) for i in range(5)]
    changes.append(change(state, [{"op": "patch", "id": "n1", "set": {"x": 7}},
                                  {"op": "del", "id": "n2"}], now=NOW + 9))
    await store.commit("b1", changes[:2])
    await store.commit("b1", changes[2:])
    records = [c.log_record() for c in changes]
    assert await store.changes_since("b1", 0) == records
    assert await store.changes_since("b1", 4) == records[4:]
    assert await store.changes_since("b1", 6) == []
    assert await store.changes_since("b1", 99) == []
    assert await store.changes_since("b1", -3) is None


async def test_history_is_compacted_by_clocks_on_load(backend: Backend) -> None:
    store = backend.make(history_clocks=3)
    await store.start()
    try:
        state = await new_board(store)
        await store.commit("b1", [change(state, [put(note("a")), put(note("b"))])])
        await store.commit("b1", [change(state, [{"op": "del", "id": "a"}])])  # clock 2
        for i in range(4):
            await store.commit("b1", [change(state, [put(note(f"n{i}"))])])  # clocks 3..6
        loaded = await store.load("b1")  # the tombstone of clock 2 <= 6 - 3: compacted
        assert loaded.tombstones == {} and loaded.floor == 2
        assert (await store.load("b1")).floor == 2  # kept
        assert await store.changes_since("b1", 1) is None  # history is gone
        assert [r["clock"] for r in await store.changes_since("b1", 2)] == [3, 4, 5, 6]
    finally:
        await store.close()


async def test_history_is_compacted_by_age_on_load(store: Store) -> None:
    state = await new_board(store)
    day = 24 * 3600 * 1000
    old = NOW - 2 * day
    await store.commit("b1", [change(state, [put(note("a")), put(note("b"))], now=old)])
    await store.commit("b1", [change(state, [{"op": "del", "id": "a"}], now=old)])
    await store.commit("b1", [change(state, [{"op": "del", "id": "b"}])])  # recent
    loaded = await store.load("b1")
    assert loaded.tombstones == {"b": (3, NOW)} and loaded.floor == 2
    assert await store.changes_since("b1", 0) is None
    assert [r["clock"] for r in await kept_changes(store, "b1", 2)] == [3]


async def test_boards_do_not_share_anything(store: Store) -> None:
    s1, s2 = await new_board(store, "b1"), await new_board(store, "b2")
    await store.commit("b1", [change(s1, [put(note("a"))])])
    await store.commit("b2", [change(s2, [put(note("a", "other"))])])
    await store.commit("b2", [change(s2, [{"op": "del", "id": "a"}])])
    same_state(await store.load("b1"), s1)
    same_state(await store.load("b2"), s2)
    assert len(await kept_changes(store, "b1", 0)) == 1


# -- snapshots, participants, secret ------------------------------------------------


async def test_snapshots_newest_first(store: Store) -> None:
    await new_board(store)
    els = [note("a", "één"), note("b")]
    metas = [SnapshotMeta("s1", "start", 3, NOW, 2), SnapshotMeta("s2", "later", 5, NOW + 10, 2),
             SnapshotMeta("s3", "same ms", 5, NOW + 10, 1)]
    for meta in metas:
        await store.save_snapshot("b1", meta, els[: meta.elements])
    assert [m.snapshot for m in await store.list_snapshots("b1")] == ["s3", "s2", "s1"]
    assert await store.list_snapshots("b2") == []
    got = await store.get_snapshot("b1", "s2")
    assert got == (metas[1], els)
    assert await store.get_snapshot("b1", "nosuch") is None


async def test_participants(store: Store) -> None:
    await new_board(store)
    ada = {"id": "p1", "name": "Ada", "color": "#e6194b", "role": "participant", "online": False}
    bob = {"id": "p2", "name": "Bob", "color": "#3cb44b", "role": "viewer", "online": False}
    await store.save_participant("b1", ada)
    await store.save_participant("b1", bob)
    await store.save_participant("b1", {**ada, "name": "Ada L."})
    got = sorted(await store.list_participants("b1"), key=lambda p: p["id"])
    assert got == [{**ada, "name": "Ada L."}, bob]
    assert await store.list_participants("b2") == []


async def test_secret_is_made_once_and_kept(store: Store, backend: Backend) -> None:
    secret = await store.secret()
    assert isinstance(secret, bytes) and len(secret) >= 16
    assert await store.secret() == secret
    await store.close()  # SQLite serves one process at a time
    again = backend.make()
    await again.start()
    try:
        assert await again.secret() == secret
    finally:
        await again.close()


# -- Redis only: the bus, outages, deadlines ------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.got: list[tuple[str, dict[str, Any]]] = []
        self.event = asyncio.Event()

    async def __call__(self, board: str, message: dict[str, Any]) -> None:
        self.got.append((board, message))
        self.event.set()

    async def wait(self, predicate: Any, within: float = 5.0) -> None:
        async def until() -> None:
            while not predicate([m for _, m in self.got]):
                self.event.clear()
                await self.event.wait()
        await asyncio.wait_for(until(), within)


@pytest.fixture
async def two(redis_server: RedisServer) -> AsyncIterator[tuple[RedisStore, RedisStore]]:
    a, b = RedisStore(redis_server.url), RedisStore(redis_server.url)
    await a.start()
    await b.start()
    yield a, b
    await a.close()
    await b.close()


@pytest.mark.redis
async def test_bus_carries_changes_in_clock_order_and_events_to_others(
        two: tuple[RedisStore, RedisStore]) -> None:
    a, b = two
    state = await new_board(a)
    inbox_a, inbox_b = Inbox(), Inbox()
    await a.subscribe("b1", inbox_a)
    await b.subscribe("b1", inbox_b)
    await b.subscribe("b2", inbox_b)
    await inbox_b.wait(lambda ms: sum(m["type"] == "resync" for m in ms) == 2)  # subscribed
    changes = [change(state, [put(note(f"n{i}"))]) for i in range(4)]
    await a.commit("b1", changes[:1])
    await a.commit("b1", changes[1:])
    await a.publish("b1", {"type": "event", "event": {"type": "event", "name": "timer"}})
    await inbox_b.wait(lambda ms: ms[-1]["type"] == "event")
    remote = [m for _, m in inbox_b.got if m["type"] == "change"]
    assert remote == [{"type": "change", **c.log_record()} for c in changes]
    assert all(board == "b1" for board, m in inbox_b.got if m["type"] != "resync")
    await inbox_a.wait(lambda ms: len([m for m in ms if m["type"] == "change"]) == 4)
    assert not any(m["type"] == "event" for _, m in inbox_a.got)  # not its own event
    await b.unsubscribe("b1")
    await a.publish("b1", {"type": "presence", "participants": []})
    await a.publish("b2", {"type": "presence", "participants": [{"id": "x"}]})
    await inbox_b.wait(lambda ms: ms[-1]["type"] == "presence")
    assert inbox_b.got[-1][0] == "b2"


@pytest.mark.redis
@pytest.mark.timeout(40)
async def test_redis_down_means_unavailable_then_recovery_and_resync(
        redis_server: RedisServer) -> None:
    store = RedisStore(redis_server.url)
    await store.start()
    try:
        state = await new_board(store)
        inbox = Inbox()
        await store.subscribe("b1", inbox)
        await inbox.wait(lambda ms: ms == [{"type": "resync"}])
        await store.commit("b1", [change(state, [put(note("kept"))])])
        redis_server.kill()
        assert await store.healthy() is False
        lost = change(copy.deepcopy(state), [put(note("lost"))])
        with pytest.raises(Unavailable):
            await store.commit("b1", [lost])
        with pytest.raises(Unavailable):
            await store.load("b1")
        redis_server.start()  # same port, same AOF
        for _ in range(100):
            if await store.healthy():
                break
            await asyncio.sleep(0.1)
        assert await store.healthy() is True
        # the bus came back by itself and told the board to read the log
        await inbox.wait(lambda ms: [m["type"] for m in ms].count("resync") >= 2, 10)
        same_state(await store.load("b1"), state)  # the acked change survived the crash
        await store.commit("b1", [change(state, [put(note("again"))])])
        same_state(await store.load("b1"), state)
    finally:
        await store.close()


@pytest.mark.redis
@pytest.mark.timeout(40)
async def test_a_commit_we_gave_up_on_is_never_applied_later(redis_server: RedisServer) -> None:
    store = RedisStore(redis_server.url, socket_timeout=1.0, commit_budget_ms=300)
    await store.start()
    try:
        state = await new_board(store)
        await store.commit("b1", [change(state, [put(note("a"))])])
        redis_server.freeze()  # the command reaches Redis's socket, then waits
        try:
            late = change(copy.deepcopy(state), [put(note("late"))])
            started = time.monotonic()
            with pytest.raises(Unavailable):
                await store.commit("b1", [late])
            assert time.monotonic() - started < 5
            assert await store.healthy() is False
        finally:
            redis_server.thaw()
        await asyncio.sleep(0.2)  # Redis runs the queued script now: past its deadline
        same_state(await store.load("b1"), state)
        assert len(await kept_changes(store, "b1", 0)) == 1
        await store.commit("b1", [change(state, [put(note("b"))])])
        same_state(await store.load("b1"), state)
    finally:
        await store.close()


@pytest.mark.redis
async def test_a_retried_commit_that_did_apply_is_not_a_conflict(redis_server: RedisServer) -> None:
    store = RedisStore(redis_server.url)
    await store.start()
    try:
        state = await new_board(store)
        c1 = change(state, [put(note("a"))])
        await store.commit("b1", [c1])
        await store.commit("b1", [c1])  # as if the first reply was lost: "dup"
        other = change(copy.deepcopy(state), [put(note("b"))])
        other.clock = 1  # a different change at a taken clock is still a conflict
        with pytest.raises(ClockConflict):
            await store.commit("b1", [other])
        same_state(await store.load("b1"), state)
    finally:
        await store.close()


@pytest.mark.redis
async def test_keys_of_a_board_share_one_hash_slot(redis_server: RedisServer) -> None:
    from redis.asyncio import Redis
    from redis.crc import key_slot  # what Redis Cluster computes

    store = RedisStore(redis_server.url)
    await store.start()
    client = Redis.from_url(redis_server.url)
    try:
        state = await new_board(store, "b1")
        await store.commit("b1", [change(state, [put(note("a"))])])
        await store.commit("b1", [change(state, [{"op": "del", "id": "a"}])])
        await store.save_snapshot("b1", SnapshotMeta("s", "l", 2, NOW, 0), [])
        await store.save_participant("b1", {"id": "p"})
        keys = [k.decode() async for k in client.scan_iter("tt:{b1}:*")]
        assert len(keys) >= 7
        assert len({key_slot(k.encode()) for k in keys}) == 1
    finally:
        await client.aclose()
        await store.close()


@pytest.mark.redis
async def test_a_redis_that_lost_acked_changes_makes_the_room_reload(
        redis_server: RedisServer) -> None:
    """appendfsync everysec + a machine crash, or a failover to a lagging
    replica: Redis is behind what was acked. The conflict says so (``behind``),
    so the room reloads instead of retrying forever."""
    store = RedisStore(redis_server.url)
    await store.start()
    try:
        state = await new_board(store)
        stale = copy.deepcopy(state)
        first = change(state, [put(note("a"))])
        await store.commit("b1", [first])
        ahead = copy.deepcopy(state)
        change(ahead, [put(note("lost"))])  # clock 2: acked once, then lost by Redis
        with pytest.raises(ClockConflict) as behind:
            await store.commit("b1", [change(ahead, [put(note("next"))])])  # 3 on 1
        assert behind.value.behind and behind.value.missed is None  # the room reloads
        other = RedisStore(redis_server.url)
        await other.start()
        try:  # an ordinary lost race: the conflict brings what was missed along
            with pytest.raises(ClockConflict) as lost:
                await other.commit("b1", [change(stale, [put(note("w"))])])
            assert not lost.value.behind and lost.value.missed == [first.log_record()]
            assert await other.changes_since("b1", 0) == [first.log_record()]
        finally:
            await other.close()
    finally:
        await store.close()


@pytest.mark.redis
async def test_a_full_redis_refuses_commits_whole_and_still_reads(
        redis_server: RedisServer) -> None:
    from redis.asyncio import Redis

    store = RedisStore(redis_server.url)
    await store.start()
    client = Redis.from_url(redis_server.url)
    try:
        state = await new_board(store)
        secret = await store.secret()
        used = (await client.info("memory"))["used_memory"]
        await client.config_set("maxmemory-policy", "noeviction")
        await client.config_set("maxmemory", used + 100_000)
        refused = False
        for i in range(200):  # ~1 KiB a change: full after ~50
            c = change(state, [put(note(f"n{i}", "x" * 900)), put(note(f"m{i}"))])
            try:
                await store.commit("b1", [c])
            except Unavailable:
                state.revert(c)
                refused = True
                break
        assert refused, "Redis never filled up"
        same_state(await store.load("b1"), state)  # nothing half-written; reads work
        assert len(await kept_changes(store, "b1", 0)) == state.clock
        assert await store.secret() == secret  # a restarting process can start
        await client.config_set("maxmemory", 0)
        await store.commit("b1", [change(state, [put(note("after"))])])
        same_state(await store.load("b1"), state)
    finally:
        await client.aclose()
        await store.close()


@pytest.mark.redis
async def test_the_loser_of_a_race_gets_the_next_turn(redis_server: RedisServer) -> None:
    a, b = (RedisStore(redis_server.url, turn_ms=3000) for _ in range(2))
    await a.start()
    await b.start()
    try:
        state_b = await new_board(b)
        state_a = copy.deepcopy(state_b)
        inbox = Inbox()
        await b.subscribe("b1", inbox)  # b hears a's changes on the bus
        await inbox.wait(lambda ms: ms == [{"type": "resync"}])
        await b.commit("b1", [change(state_b, [put(note("b1"))])])
        with pytest.raises(ClockConflict):  # a lost the race for clock 1 ...
            await a.commit("b1", [change(copy.deepcopy(state_a), [put(note("a1"))])])
        started = time.monotonic()
        b_next = asyncio.create_task(b.commit("b1", [change(state_b, [put(note("b2"))])]))
        await asyncio.sleep(0.3)
        assert not b_next.done()  # ... so b, though at the head, waits for a's turn
        for record in await kept_changes(a, "b1", 0):  # a catches up (no round trip)
            state_a.advance(change_from_record(state_a, record))
        a2 = change(state_a, [put(note("a1"))])
        await a.commit("b1", [a2])  # a's turn: it wins clock 2
        with pytest.raises(ClockConflict):
            await b_next  # b is released as soon as a's change is on the bus
        assert time.monotonic() - started < 2.5
        assert [r["clock"] for r in await kept_changes(b, "b1", 0)] == [1, 2]
        assert (await b.changes_since("b1", 1)) == [a2.log_record()]
    finally:
        await a.close()
        await b.close()


# -- the board's language -----------------------------------------------------------


OLD_BOARDS = """
CREATE TABLE boards (
    board TEXT PRIMARY KEY, title TEXT NOT NULL, template TEXT NOT NULL,
    generation INTEGER NOT NULL, created INTEGER NOT NULL,
    clock INTEGER NOT NULL DEFAULT 0, floor INTEGER NOT NULL DEFAULT 0,
    session TEXT NOT NULL DEFAULT '{}');
"""


def _old_sqlite_board(where: str) -> None:
    import sqlite3

    Path(where).mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(Path(where) / "tussentafel.sqlite3")
    db.executescript(OLD_BOARDS)
    db.execute("INSERT INTO boards (board, title, template, generation, created)"
               " VALUES ('old', 'Oud bord', 'blank', 1, ?)", (NOW,))
    db.commit()
    db.close()


async def _store_an_old_board(backend: Backend) -> None:
    """A board as stores wrote it before boards had a language (no lang anywhere)."""
    if backend.kind == "sqlite":
        _old_sqlite_board(backend.where)
        return
    from redis.asyncio import Redis

    from server.store.redis import _Keys

    client = Redis.from_url(backend.where)
    await client.hset(_Keys("old").meta, mapping={
        "title": "Oud bord", "template": "blank", "generation": 1, "created": NOW,
        "session": "{}", "clock": 0, "floor": 0})
    await client.aclose()


async def test_the_board_language_is_kept_and_old_boards_are_english(backend: Backend) -> None:
    await _store_an_old_board(backend)
    s = backend.make()
    await s.start()
    try:
        old = await s.get_meta("old")
        assert old is not None and (old.title, old.lang) == ("Oud bord", "en")
        assert (await s.load("old")).clock == 0
        await s.create_board(BoardMeta("nl1", "Tafel", "atelier", 1, NOW, {}, "nl"), None)
        await s.update_meta("nl1", title="Tafel 2")
        got = await s.get_meta("nl1")
        assert got is not None and (got.title, got.lang) == ("Tafel 2", "nl")
    finally:
        await s.close()
