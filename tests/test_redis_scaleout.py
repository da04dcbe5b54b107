"""Several ``tussentafel serve --redis`` processes on one real redis-server.

Everything runs on loopback: server processes (killed with SIGKILL where the
test says so), a redis-server (killed, frozen, restarted on its AOF) and
``canvas_client`` clients.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from canvas_client.client import BoardClient
from server.core.presence import Presence
from tests.conftest import ServerProcess, note, put
from tests.redis_fixture import RedisServer, redis_server_fixture  # noqa: F401

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(60)]


@pytest.fixture
def pair(tmp_path: Path, redis_server: RedisServer) -> Iterator[tuple[ServerProcess, ...]]:
    """Two server processes, A and B, on one Redis."""
    a = ServerProcess(tmp_path / "a", redis=redis_server.url)
    b = ServerProcess(tmp_path / "b", redis=redis_server.url)
    with ThreadPoolExecutor(2) as pool:
        for started in [pool.submit(a.start), pool.submit(b.start)]:
            started.result()
    yield a, b
    a.kill()
    b.kill()


def client(server: ServerProcess, board: dict[str, Any], role: str = "participant",
           **kw: Any) -> BoardClient:
    return BoardClient(server.url, board["board"], board["tokens"][role], **kw)


def clocks_seen(c: BoardClient) -> list[int]:
    """Every clock ``c`` learns, in order: patches of others and its own ok acks."""
    seen: list[int] = []

    def listen(m: dict[str, Any]) -> None:
        if m["type"] == "patch" or (m["type"] == "ack" and m.get("ok")):
            seen.append(m["clock"])

    c.listeners.append(listen)
    return seen


def as_map(state: dict[str, Any]) -> dict[str, Any]:
    return {el["id"]: el for el in state["elements"]}


async def state_at(server: ServerProcess, board: dict[str, Any], clock: int,
                   within: float = 10.0) -> dict[str, Any]:
    """/state once the server's room has reached ``clock`` (the bus is asynchronous)."""
    token = board["tokens"]["facilitator"]
    deadline = time.monotonic() + within
    while True:
        state = await asyncio.to_thread(server.state, board["board"], token)
        if state["clock"] >= clock or time.monotonic() > deadline:
            return state
        await asyncio.sleep(0.05)


def health(server: ServerProcess) -> int:
    try:
        return httpx.get(f"{server.url}/healthz", timeout=3).status_code
    except httpx.HTTPError:
        return 0


async def health_becomes(server: ServerProcess, status: int, within: float = 15.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await asyncio.to_thread(health, server) == status:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_two_processes_serve_one_board_with_one_clock(
        pair: tuple[ServerProcess, ...]) -> None:
    a, b = pair
    board = a.create_board("Atelier")  # tokens made by A ...
    assert b.get(f"/api/boards/{board['board']}", board["tokens"]["viewer"]).status_code == 200
    on_a = [client(a, board, name=f"a{i}") for i in range(3)]
    on_b = [client(b, board, name=f"b{i}") for i in range(3)]  # ... work on B
    watch_a, watch_b = client(a, board, "viewer"), client(b, board, "viewer")
    everyone = [*on_a, *on_b, watch_a, watch_b]
    seen = [clocks_seen(c) for c in everyone]
    await asyncio.gather(*(c.connect() for c in everyone))

    ack = await on_a[0].push([put(note("first", "from A"))])
    assert ack["ok"] and ack["clock"] == 1
    patch = await on_b[0].next_message("patch")
    assert patch["clock"] == 1 and patch["by"] == on_a[0].you
    assert on_b[0].elements["first"] == on_a[0].elements["first"]

    async def writer(i: int, c: BoardClient) -> None:
        for j in range(30):
            ack = await c.push([put(note(f"w{i}-{j}", f"{i}/{j}")),
                                {"op": "patch", "id": "first", "set": {"x": i * 100 + j}}])
            assert ack["ok"], ack

    await asyncio.gather(*(writer(i, c) for i, c in enumerate([*on_a, *on_b])))
    total = 1 + 6 * 30
    for c in everyone:
        await c.wait_clock(total, timeout=15)
    for i, clocks in enumerate(seen):
        assert clocks == list(range(1, total + 1)), f"client {i} saw a gap or disorder"
    state_a = await state_at(a, board, total)
    state_b = await state_at(b, board, total)
    assert state_a == state_b and state_a["clock"] == total
    assert len(state_a["elements"]) == total
    for c in everyone:
        assert c.elements == as_map(state_a)
    assert watch_b.participants[on_a[1].you]["online"] is True
    await on_a[1].close()  # leaving A is told to B at once (not after the 10 s expiry)
    await watch_b.wait_for(lambda c: c.participants[on_a[1].you]["online"] is False, 3)
    for c in everyone:
        await c.close()


async def test_killed_process_loses_no_acked_change_and_clients_move_on(
        pair: tuple[ServerProcess, ...]) -> None:
    a, b = pair
    board = a.create_board("Atelier")
    writers = [client(a, board, name=f"a{i}") for i in range(3)]
    watcher = client(b, board, "viewer")
    ghost = client(a, board, name="ghost", reconnect=False)  # stays with A
    await asyncio.gather(*(c.connect() for c in (*writers, watcher, ghost)))
    await watcher.wait_for(lambda c: c.participants.get(ghost.you, {}).get("online") is True)
    acked: list[tuple[int, str]] = []  # (clock, note id) of every ok ack
    enough = asyncio.Event()
    killed = False
    before_kill: list[tuple[int, str]] = []

    async def write(i: int, c: BoardClient) -> None:
        for j in range(25):
            eid = f"w{i}-{j}"
            ack = await c.push([put(note(eid, f"{i}/{j}"))], timeout=20)
            assert ack["ok"], ack
            acked.append((ack["clock"], eid))
            if len(acked) >= 30:
                enough.set()

    async def kill_a() -> None:
        nonlocal killed, before_kill
        await enough.wait()
        await asyncio.to_thread(a.kill)  # SIGKILL, in the middle of the pushes
        before_kill = list(acked)
        killed = True
        for c in writers:  # their reconnect loop now dials B, with ``since``
            c.ws_url = watcher.ws_url

    await asyncio.gather(kill_a(), *(write(i, c) for i, c in enumerate(writers)))
    assert killed and a.proc is not None and a.proc.returncode is not None
    assert len(before_kill) >= 30 and len(acked) == 75
    state = await state_at(b, board, max(clock for clock, _ in acked))
    ids = set(as_map(state))
    assert {eid for _, eid in before_kill} <= ids, "an acked change was lost"
    assert {eid for _, eid in acked} == ids
    for c in (*writers, watcher):
        await c.wait_clock(state["clock"], timeout=15)
    state = await state_at(b, board, state["clock"])
    for c in (*writers, watcher):
        assert c.clock == state["clock"]
        assert c.elements == as_map(state)
    assert all(c.welcomes >= 2 for c in writers)  # they reconnected (to B)
    # B hears nothing more from A about the ghost: it goes offline (10 s)
    await watcher.wait_for(lambda c: c.participants[ghost.you]["online"] is False, 15)
    assert all(watcher.participants[c.you]["online"] for c in writers)
    for c in (*writers, watcher):
        await c.close()


async def test_redis_outage_refuses_pushes_cleanly_and_recovers(
        tmp_path: Path, redis_server: RedisServer) -> None:
    server = ServerProcess(tmp_path / "s", redis=redis_server.url).start()
    try:
        board = server.create_board("Atelier")
        writer, watcher = client(server, board), client(server, board, "viewer")
        await writer.connect()
        await watcher.connect()
        results: list[tuple[list[str], dict[str, Any]]] = []
        batches = iter(range(1000))

        async def push3() -> dict[str, Any]:
            n = next(batches)
            ids = [f"b{n}-{k}" for k in range(3)]
            ack = await writer.push([put(note(eid)) for eid in ids], timeout=15)
            results.append((ids, ack))
            return ack

        for _ in range(5):
            assert (await push3())["ok"]

        redis_server.kill()  # a crash: what the AOF has is what survives
        refused = await push3()
        assert refused["ok"] is False and refused["code"] == "unavailable"
        assert await health_becomes(server, 503)
        assert (await push3())["code"] == "unavailable"
        assert server.proc is not None and server.proc.poll() is None  # alive
        other = await asyncio.to_thread(  # HTTP says so clearly too (not a 500)
            httpx.post, f"{server.url}/api/boards", json={"title": "x"}, timeout=10)
        assert other.status_code == 503 and other.json()["error"] == "unavailable"

        redis_server.start()  # same port, same dir: the AOF is replayed
        assert await health_becomes(server, 200)
        for _ in range(3):
            assert (await push3())["ok"]

        redis_server.freeze()  # Redis hangs: commands wait in its socket
        try:
            started = time.monotonic()
            frozen = await push3()
            assert frozen["ok"] is False and frozen["code"] == "unavailable"
            assert time.monotonic() - started < 6
            assert await asyncio.to_thread(health, server) == 503
        finally:
            redis_server.thaw()  # ... and runs them now: the commit is past its deadline
        assert await health_becomes(server, 200)
        assert (await push3())["ok"]
        assert server.proc.poll() is None

        state = await state_at(server, board, writer.clock)
        ids = set(as_map(state))
        for batch, ack in results:
            present = [eid in ids for eid in batch]
            assert all(present) or not any(present), f"half-applied batch {batch}"
            assert all(present) == bool(ack["ok"]), (batch, ack)
        await watcher.wait_clock(state["clock"])
        assert writer.elements == watcher.elements == as_map(state)
        await writer.close()
        await watcher.close()
    finally:
        server.kill()


def test_presence_of_a_silent_process_expires() -> None:
    p = Presence()
    p.join("local", "Ada", "participant")
    p.merge_remote([{"id": "far", "name": "Bo", "online": True, "cursor": [1, 2]},
                    {"id": "local", "name": "Ada", "online": True}], now=100.0)
    p.take_dirty()
    assert p.expire(now=105.0) == [] and p.take_dirty() == []
    p.merge_remote([{"id": "far", "name": "Bo", "online": True, "cursor": [3, 4]}], now=108.0)
    assert p.expire(now=117.0) == []  # refreshed at 108
    assert p.expire(now=118.5) == ["far"]
    (entry,) = p.take_dirty()
    assert entry["id"] == "far" and entry["online"] is False and "cursor" not in entry
    assert p.entries["local"]["online"] is True
