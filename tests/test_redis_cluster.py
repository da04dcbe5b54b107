"""Two ``tussentafel serve`` processes on a real 3-master Redis Cluster.

Boards are spread over all three masters (each board's keys and channel share
its ``{board}`` slot); changes travel over sharded pub/sub. Everything runs on
loopback: redis-server processes in cluster mode, server processes (one is
killed with SIGKILL) and ``canvas_client`` clients.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess, note, put
from tests.redis_fixture import RedisCluster, redis_cluster_fixture  # noqa: F401
from tests.test_redis_scaleout import as_map, client, clocks_seen, state_at

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(90)]


@pytest.fixture
def on_cluster(tmp_path: Path,
               redis_cluster: RedisCluster) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    a = ServerProcess(tmp_path / "a", redis=redis_cluster.url)
    b = ServerProcess(tmp_path / "b", redis=redis_cluster.url)
    with ThreadPoolExecutor(2) as pool:
        for started in [pool.submit(a.start), pool.submit(b.start)]:
            started.result()
    yield a, b
    a.kill()
    b.kill()


def boards_on_every_master(server: ServerProcess, cluster: RedisCluster) -> list[dict[str, Any]]:
    """Create boards until each master holds one; return one board per master."""
    by_master: dict[int, dict[str, Any]] = {}
    for _ in range(80):
        board = server.create_board("Atelier")
        by_master.setdefault(cluster.master_of(f"tt:{{{board['board']}}}:meta"), board)
        if len(by_master) == len(cluster.nodes):
            return list(by_master.values())
    raise AssertionError(f"80 boards landed on {len(by_master)} masters only")


async def test_boards_on_every_master_converge_in_clock_order(
        on_cluster: tuple[ServerProcess, ServerProcess], redis_cluster: RedisCluster) -> None:
    a, b = on_cluster
    boards = boards_on_every_master(a, redis_cluster)
    assert {redis_cluster.master_of(f"tt:{{{bd['board']}}}:meta") for bd in boards} == {
        node.port for node in redis_cluster.nodes}

    async def work(board: dict[str, Any]) -> None:
        writers = [client(a, board, name="a0"), client(a, board, name="a1"),
                   client(b, board, name="b0"), client(b, board, name="b1")]
        watchers = [client(a, board, "viewer"), client(b, board, "viewer")]
        everyone = [*writers, *watchers]
        seen = [clocks_seen(c) for c in everyone]
        await asyncio.gather(*(c.connect() for c in everyone))

        async def write(i: int, c: BoardClient) -> None:
            for j in range(15):
                ack = await c.push([put(note(f"w{i}-{j}", f"{i}/{j}"))])
                assert ack["ok"], ack

        await asyncio.gather(*(write(i, c) for i, c in enumerate(writers)))
        total = 4 * 15
        for c in everyone:
            await c.wait_clock(total, timeout=20)
        for clocks in seen:
            assert clocks == list(range(1, total + 1)), "a gap or disorder"
        state_a = await state_at(a, board, total)
        state_b = await state_at(b, board, total)
        assert state_a == state_b and len(state_a["elements"]) == total
        for c in everyone:
            assert c.elements == as_map(state_a)
        await asyncio.gather(*(c.close() for c in everyone))

    await asyncio.gather(*(work(board) for board in boards))


async def test_sigkill_of_a_process_loses_no_acked_change(
        on_cluster: tuple[ServerProcess, ServerProcess], redis_cluster: RedisCluster) -> None:
    a, b = on_cluster
    boards = boards_on_every_master(b, redis_cluster)
    acked: dict[str, dict[str, str]] = {bd["board"]: {} for bd in boards}
    killed, enough = asyncio.Event(), asyncio.Event()

    async def write(server: ServerProcess, board: dict[str, Any], who: str) -> None:
        c = client(server, board, name=who, reconnect=False)
        await c.connect()
        j = 0
        try:
            while j < 400 and not (killed.is_set() and server is b and j > 40):
                eid, text = f"{who}-{j}", f"{who} wrote {j}"
                ack = await c.push([put(note(eid, text))], timeout=5)
                if ack["ok"]:
                    acked[board["board"]][eid] = text
                    if sum(len(v) for v in acked.values()) >= 60:
                        enough.set()
                j += 1
        except Exception:
            assert server is a, "only the killed process's clients may fail"
        finally:
            await c.close()

    async def kill_soon() -> None:
        await asyncio.wait_for(enough.wait(), 30)
        await asyncio.to_thread(a.kill)
        killed.set()

    tasks = [write(server, board, f"{name}{k}") for board in boards
             for k, (server, name) in enumerate([(a, "a"), (b, "b")])]
    await asyncio.gather(kill_soon(), *tasks)
    assert all(acked.values()), "every board had acked changes"
    await asyncio.to_thread(a.start)  # the same process again, on the same cluster
    for board in boards:
        token = board["tokens"]["facilitator"]
        for server in (a, b):
            state = await asyncio.to_thread(server.state, board["board"], token)
            texts = {el["id"]: el["text"] for el in state["elements"]}
            lost = {eid for eid, text in acked[board["board"]].items() if texts.get(eid) != text}
            assert not lost, f"acked changes lost on {server.url}: {sorted(lost)[:5]}"
        fresh = client(a, board, "viewer")
        await fresh.connect()
        assert fresh.elements == as_map(await asyncio.to_thread(b.state, board["board"], token))
        await fresh.close()
