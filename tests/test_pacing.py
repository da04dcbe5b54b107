"""Load-adaptive pacing: instant when quiet, bundled frames when busy."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from canvas_client.client import BoardClient
from server.live.pacing import Pacing
from server.settings import Settings
from tests.conftest import ServerProcess, note, put

pytestmark = pytest.mark.timeout(60)


def test_pacing_needs_both_a_high_rate_and_a_busy_loop() -> None:
    pacing = Pacing(Settings(frame_interval_ms=16, pace_above_per_s=1000, pace_busy_above=0.6))
    assert pacing.frame_interval == 0.0  # a quiet process sends at once
    pacing.enqueued = 5000
    pacing.tick(1.0, cpu=0.4)  # many messages, but CPU to spare: latency wins
    assert pacing.frame_interval == 0.0
    other = Pacing(Settings(frame_interval_ms=16, pace_above_per_s=1000, pace_busy_above=0.6))
    other.enqueued = 500
    other.tick(1.0, cpu=0.9)  # busy with something else: pacing would not help
    assert other.frame_interval == 0.0
    pacing.enqueued = 5000
    pacing.tick(1.0, cpu=0.9)
    assert pacing.frame_interval == pytest.approx(0.016)  # both: frames are merged
    pacing.enqueued = 5000
    pacing.tick(1.0, cpu=0.45)  # paced, the loop is less busy: stay paced (hysteresis)
    assert pacing.frame_interval == pytest.approx(0.016)
    for _ in range(4):
        pacing.enqueued = 5000
        pacing.tick(1.0, cpu=0.1)
    assert pacing.busy < 0.35 and pacing.frame_interval == 0.0  # idle loop: off again
    pacing.enqueued = 5000
    pacing.tick(1.0, cpu=0.9)
    assert pacing.frame_interval == pytest.approx(0.016)
    for _ in range(4):
        pacing.enqueued = 100
        pacing.tick(1.0, cpu=0.9)
    assert pacing.rate < 600 and pacing.frame_interval == 0.0  # the rate fell: off again


def test_pacing_can_be_forced_on_or_off() -> None:
    always = Pacing(Settings(frame_interval_ms=20, pace_above_per_s=0))
    assert always.frame_interval == pytest.approx(0.020)
    never = Pacing(Settings(frame_interval_ms=0, pace_above_per_s=10))
    never.enqueued = 10_000
    never.tick(1.0)
    assert never.frame_interval == 0.0


def test_presence_rate_drops_under_the_process_budget() -> None:
    pacing = Pacing(Settings(presence_hz=20, presence_budget_per_s=10_000))
    pacing.connections = 100
    assert pacing.presence_interval == pytest.approx(0.05)  # 20 Hz
    pacing.connections = 2000
    assert pacing.presence_interval == pytest.approx(0.2)  # 5 Hz: 10 000 frames/s in all


@pytest.mark.parametrize(("paced", "deflate"), [(True, False), (False, False), (True, True)],
                         ids=["paced", "instant", "paced-deflate"])
async def test_a_busy_process_bundles_what_a_reader_is_sent(
    tmp_path: Path, paced: bool, deflate: bool
) -> None:
    """With ``--ws-deflate`` frames take uvicorn's path (no direct write): the
    sender task paces them instead, and compression is really negotiated."""
    env = {"TUSSENTAFEL_FRAME_INTERVAL_MS": "100",
           "TUSSENTAFEL_PACE_ABOVE_PER_S": "0" if paced else "1000000"}
    server = ServerProcess(tmp_path / "data", env=env,
                           args=["--ws-deflate"] if deflate else []).start()
    try:
        board = server.create_board()
        b, tok = board["board"], board["tokens"]
        url = f"ws://127.0.0.1:{server.port}/api/boards/{b}/ws"
        async with connect(url, subprotocols=[Subprotocol("tussentafel.v1.json")],
                           compression="deflate" if deflate else None) as raw:
            assert raw.response is not None
            extensions = raw.response.headers.get("Sec-WebSocket-Extensions", "")
            assert ("permessage-deflate" in extensions) == deflate
            await raw.send(json.dumps({"type": "hello", "token": tok["viewer"], "client": "r"}))
            assert json.loads(await raw.recv())["type"] == "welcome"
            async with BoardClient(server.url, b, tok["participant"]) as writer:
                acks = []
                for i in range(20):  # 20 changes, one push each, 10 ms apart
                    acks.append(writer.push_nowait([put(note(f"n{i}"))]))
                    await asyncio.sleep(0.010)
                assert all(a["ok"] for a in await asyncio.gather(*acks))
            frames = 0
            clocks: list[int] = []
            while len(clocks) < 20:
                message = json.loads(await asyncio.wait_for(raw.recv(), 5))
                frames += 1
                inner = message["messages"] if message["type"] == "bundle" else [message]
                clocks += [m["clock"] for m in inner if m["type"] == "patch"]
        assert clocks == list(range(1, 21))  # all of them, in clock order, either way
        if paced:
            assert frames <= 8  # ~200 ms of pushes at one frame per 100 ms
        else:
            assert frames >= 15  # one frame per change (a few may share a tick)
    finally:
        server.stop()
