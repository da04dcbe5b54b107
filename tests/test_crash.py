"""An ack means durable: SIGKILL the server while clients push, restart, check."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from pathlib import Path
from typing import Any

import pytest

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess, note, put
from tests.redis_fixture import redis_server_fixture  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]


async def test_every_acked_change_survives_sigkill(fresh_server: ServerProcess) -> None:
    server = fresh_server.start()
    board = server.create_board("crash")
    tokens = board["tokens"]
    acked_puts: set[str] = set()
    acked_counter: dict[int, int] = {}
    started = asyncio.Event()

    async def writer(i: int) -> None:
        c = BoardClient(server.url, board["board"], tokens["participant"], reconnect=False)
        await c.connect()
        await c.push([put({**note(f"count{i}", "0")})])
        with contextlib.suppress(Exception):
            for j in range(10_000):
                f1 = c.push_nowait([put(note(f"w{i}-{j}", f"{i}/{j}"))])
                f2 = c.push_nowait([{"op": "patch", "id": f"count{i}", "set": {"text": str(j)}}])
                ack1, ack2 = await asyncio.wait_for(asyncio.gather(f1, f2), 5)
                assert ack1["ok"] and ack2["ok"], (ack1, ack2)
                acked_puts.add(f"w{i}-{j}")
                acked_counter[i] = j
                if j == 20:
                    started.set()

    writers = [asyncio.create_task(writer(i)) for i in range(4)]
    await asyncio.wait_for(started.wait(), 20)
    await asyncio.sleep(0.3)
    server.kill()  # SIGKILL: no shutdown code runs
    await asyncio.wait(writers, timeout=10)
    assert len(acked_puts) > 40

    server.start()  # same port, same data dir
    state = server.state(board["board"], tokens["viewer"])  # old tokens still valid
    present = {el["id"]: el for el in state["elements"]}
    missing = acked_puts - set(present)
    assert not missing, f"{len(missing)} acked puts lost"
    for i, last in acked_counter.items():
        assert int(present[f"count{i}"]["text"]) >= last
    async with BoardClient(server.url, board["board"], tokens["facilitator"]) as c:
        assert c.clock == state["clock"]
        ack = await c.push([put(note("after-restart"))])
        assert ack["ok"] and ack["clock"] == state["clock"] + 1


@pytest.mark.parametrize("store", ["embedded", "redis"])
async def test_repeated_sigkill_with_reconnecting_clients_converges(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Three kills under a mixed load, with either store: no acked change is
    lost and every replica (which reconnects with ``since`` and re-sends what
    was unacked) ends equal to /state."""
    redis = request.getfixturevalue("redis_server").url if store == "redis" else None
    server = ServerProcess(tmp_path / "data", redis=redis)
    request.addfinalizer(server.kill)
    server.start()
    board = server.create_board("soak")
    b, tok = board["board"], board["tokens"]
    clients = [BoardClient(server.url, b, tok["participant"], name=f"c{i}") for i in range(4)]
    await asyncio.gather(*(c.connect() for c in clients))
    acked: dict[str, str] = {}  # element id -> last acked text
    deleted: set[str] = set()
    stop = asyncio.Event()

    ok_acks = [0]

    async def load(i: int, c: BoardClient) -> None:
        slots = [0] * 25  # a deleted id stays deleted (tombstone): the slot takes a new one
        for j in range(100_000):
            if stop.is_set():
                return
            k = j % 25
            eid = f"c{i}-{k}-{slots[k]}"
            ops: list[dict[str, Any]]
            if eid in c.elements and j % 7 == 0:
                ops = [{"op": "del", "id": eid}]
            elif eid in c.elements:
                ops = [{"op": "patch", "id": eid, "set": {"text": f"{j}"}}]
            else:
                ops = [put(note(eid, f"{j}"))]
            try:
                ack = await asyncio.wait_for(c.push_nowait(ops), 15)
            except (TimeoutError, Exception):
                continue
            if ack["ok"]:
                ok_acks[0] += 1
                if ops[0]["op"] == "del":
                    acked.pop(eid, None)
                    deleted.add(eid)
                    slots[k] += 1
                else:
                    acked[eid] = ops[0].get("el", {}).get("text") or ops[0]["set"]["text"]
            elif ack.get("code") == "conflict":
                # gone already: our own delete landed before a kill ate its ack, and
                # its re-send is answered conflict (PROTOCOL §5): the id is deleted
                acked.pop(eid, None)
                slots[k] += 1
            await asyncio.sleep(0.002)

    tasks = [asyncio.create_task(load(i, c)) for i, c in enumerate(clients)]
    kills = 0
    progress = []
    for _ in range(3):
        await asyncio.sleep(1.0)
        progress.append(ok_acks[0])
        server.kill()
        kills += 1
        await asyncio.sleep(0.3)
        server.start()
    await asyncio.sleep(1.0)
    progress.append(ok_acks[0])
    stop.set()
    await asyncio.wait(tasks, timeout=20)
    gains = [b - a for a, b in itertools.pairwise(progress)]
    assert progress[0] > 0 and all(g > 0 for g in gains), progress  # work goes on after kills
    state = server.state(b, tok["facilitator"])
    for c in clients:
        await c.wait_for(lambda c: not c.replica.pending and c.clock == state["clock"], 20)
    final = {el["id"]: el for el in server.state(b, tok["facilitator"])["elements"]}
    for eid, text in acked.items():  # only this client writes eid: the last acked text holds
        assert eid in final and final[eid]["text"] == text, eid
    assert not (deleted & set(final))
    for c in clients:
        assert c.elements == final
        await c.close()
    assert kills == 3 and len(acked) > 50 and len(deleted) > 10
    print(f"soak {store}: {kills} kills, {ok_acks[0]} acked pushes (before each kill and at "
          f"the end: {progress}), final clock {state['clock']}: {len(acked)} elements with "
          f"their last acked text and {len(deleted)} acked deletes, all as acked")
