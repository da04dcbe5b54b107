"""An ack means durable: SIGKILL the server while clients push, restart, check."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess, note, put

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]


async def test_every_acked_change_survives_sigkill(fresh_server: ServerProcess):
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
