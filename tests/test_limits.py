"""Limits under abuse: slow readers, rate limits, connection caps (real server)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import msgpack
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from canvas_client.client import BoardClient, Closed
from tests.conftest import ServerProcess, note, put

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server with small limits, so that tests reach them quickly."""
    env = {"TUSSENTAFEL_MAX_QUEUE_MESSAGES": "200", "TUSSENTAFEL_MAX_CONNS_PER_BOARD": "4",
           "TUSSENTAFEL_MAX_QUEUE_BYTES": str(1 << 20), "TUSSENTAFEL_WS_PING_INTERVAL_S": "60",
           "TUSSENTAFEL_RATE_OPS_PER_S": "100", "TUSSENTAFEL_RATE_BURST": "100",
           "TUSSENTAFEL_MAX_ELEMENTS": "150"}
    proc = ServerProcess(Path(tmp_path_factory.mktemp("tight")), env=env).start()
    yield proc
    proc.stop()


async def test_a_reader_that_stops_reading_is_closed_and_others_get_everything(
        tight: ServerProcess) -> None:
    board = tight.create_board()
    b, tok = board["board"], board["tokens"]
    url = f"ws://127.0.0.1:{tight.port}/api/boards/{b}/ws"
    stalled = await connect(url, subprotocols=[Subprotocol("tussentafel.v1.json")], max_queue=2,
                            ping_interval=None)
    await stalled.send(json.dumps({"type": "hello", "token": tok["viewer"], "client": "slow"}))
    writer = BoardClient(tight.url, b, tok["facilitator"])
    reader = BoardClient(tight.url, b, tok["viewer"])
    await asyncio.gather(writer.connect(), reader.connect())
    stroke = {"id": "s", "kind": "stroke", "x": 0, "y": 0, "z": "a", "color": "#123456",
              "width": 2, "points": [123.456789] * 10_000}  # ~120 KB a change in JSON
    for round_ in range(30):  # ~18 MB in all: more than loopback buffers plus the 1 MiB bound
        await asyncio.gather(*(writer.push_nowait([put({**stroke, "x": round_ * 5 + i})])
                               for i in range(5)))
        await asyncio.sleep(0.05)  # stay under the 100 ops/s rate limit
    final = writer.clock
    await reader.wait_clock(final, timeout=10)
    assert reader.elements == writer.elements
    with pytest.raises(ConnectionClosed):
        for _ in range(10_000):
            await asyncio.wait_for(stalled.recv(), 5)
    assert stalled.close_code == 4408
    async with BoardClient(tight.url, b, tok["viewer"]) as back:  # it catches up on reconnect
        assert back.clock == final and back.elements == writer.elements
    await writer.close()
    await reader.close()


async def test_rate_limit_refuses_whole_batches_and_keeps_the_connection(
        tight: ServerProcess) -> None:
    board = tight.create_board()
    async with BoardClient(tight.url, board["board"], board["tokens"]["participant"]) as c:
        first = await c.push([put(note(f"a{i}")) for i in range(90)])
        assert first["ok"]
        refused = await c.push([put(note(f"b{i}")) for i in range(40)])  # 90 + 40 > burst 100
        assert refused["ok"] is False and refused["code"] == "rate_limited"
        assert not any(eid.startswith("b") for eid in c.elements)
        small = await c.push([put(note("c"))])  # a refused batch cost nothing
        assert small["ok"]
        state = tight.state(board["board"], board["tokens"]["viewer"])
        assert len(state["elements"]) == 91


async def test_board_element_limit(tight: ServerProcess) -> None:
    board = tight.create_board()
    async with BoardClient(tight.url, board["board"], board["tokens"]["facilitator"]) as c:
        assert (await c.push([put(note(f"a{i}")) for i in range(100)]))["ok"]
        await asyncio.sleep(1.2)
        too_many = await c.push([put(note(f"b{i}")) for i in range(51)])
        assert too_many["ok"] is False and too_many["code"] == "too_large"
        await asyncio.sleep(1.2)
        assert (await c.push([put(note(f"b{i}")) for i in range(50)]))["ok"]


async def test_connections_per_board_are_capped_with_a_clear_refusal(tight: ServerProcess) -> None:
    board = tight.create_board()
    tok = board["tokens"]["viewer"]
    clients = [BoardClient(tight.url, board["board"], tok, reconnect=False) for _ in range(4)]
    await asyncio.gather(*(c.connect() for c in clients))
    extra = BoardClient(tight.url, board["board"], tok, reconnect=False)
    with pytest.raises(Closed) as refused:
        await extra.connect()
    assert refused.value.code == 1013 and "full" in refused.value.reason
    other = tight.create_board()  # other boards are not affected
    async with BoardClient(tight.url, other["board"], other["tokens"]["viewer"]):
        pass
    for c in clients:
        await c.close()


async def test_bad_messages_do_not_count_against_the_rate_and_presence_is_free(
        tight: ServerProcess) -> None:
    board = tight.create_board()
    async with BoardClient(tight.url, board["board"], board["tokens"]["participant"]) as c:
        for i in range(300):
            await c.presence(cursor=[i, i])
        await c.send_raw(msgpack.packb({"type": "push", "id": "x", "ops": [{"op": "nope"}]}))
        ack = await c.next_message("ack", id="x")
        assert ack["code"] == "invalid"
        assert (await c.push([put(note("fine"))]))["ok"]


async def test_connections_per_process_are_capped_with_a_clear_refusal(tmp_path: Path) -> None:
    from websockets.exceptions import InvalidStatus

    proc = ServerProcess(tmp_path, env={"TUSSENTAFEL_MAX_CONNS": "3"}).start()
    try:
        boards = [proc.create_board(f"b{i}") for i in range(2)]
        held = [BoardClient(proc.url, bd["board"], bd["tokens"]["viewer"], reconnect=False)
                for bd in (boards[0], boards[0], boards[1])]
        await asyncio.gather(*(c.connect() for c in held))
        with pytest.raises(InvalidStatus) as refused:  # refused at the handshake, no hang
            await BoardClient(proc.url, boards[1]["board"], boards[1]["tokens"]["viewer"],
                              reconnect=False).connect(timeout=5)
        assert refused.value.response.status_code == 403
        await held[0].close()
        await asyncio.sleep(0.2)
        async with BoardClient(proc.url, boards[1]["board"], boards[1]["tokens"]["viewer"]):
            pass  # a place came free
        for c in held[1:]:
            await c.close()
    finally:
        proc.stop()
