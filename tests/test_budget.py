"""Availability at the limits (issue 12): the board budget, a welcome bigger than
the send-queue bound, viewers that do not grow the board (real servers)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess, note, put

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def small_queue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A send-queue bound of 256 KiB, so that a ~1 MiB board is "big"."""
    env = {"TUSSENTAFEL_MAX_QUEUE_BYTES": str(256 << 10), "TUSSENTAFEL_RATE_BURST": "100000",
           "TUSSENTAFEL_RATE_OPS_PER_S": "100000"}
    proc = ServerProcess(Path(tmp_path_factory.mktemp("small_queue")), env=env).start()
    yield proc
    proc.stop()


async def _fill_notes(client: BoardClient, count: int, text: str, prefix: str = "n") -> None:
    for start in range(0, count, 500):
        ops = [put(note(f"{prefix}{i}", text, x=float(i % 100) * 170, y=float(i // 100) * 110))
               for i in range(start, min(start + 500, count))]
        ack = await client.push(ops)
        assert ack["ok"], ack


async def test_a_welcome_bigger_than_the_send_queue_bound_still_arrives(small_queue):
    """Finding 1: the welcome went through the bounded queue, so a board whose
    welcome passed the bound closed every joiner with 4408."""
    board = small_queue.create_board()
    b, tok = board["board"], board["tokens"]
    async with BoardClient(small_queue.url, b, tok["facilitator"]) as writer:
        await _fill_notes(writer, 2000, "x" * 400)  # ~1 MiB of elements, 4x the bound
        clock = writer.clock
    for role, encoding in (("viewer", "msgpack"), ("participant", "json")):
        async with BoardClient(small_queue.url, b, tok[role], encoding=encoding) as joiner:
            assert joiner.clock == clock
            assert len(joiner.elements) == 2000
            assert joiner.closed is None


async def test_viewers_are_not_kept_as_participants(small_queue):
    """Finding 4: every hello with a new client id added a participant record
    for good, and every welcome carried them all."""
    board = small_queue.create_board()
    b, tok = board["board"], board["tokens"]
    async with BoardClient(small_queue.url, b, tok["participant"], name="Ada") as ada:
        assert (await ada.push([put(note("ada-note"))]))["ok"]
        ada_id = ada.you
    for start in range(0, 300, 50):  # 300 screens that each came and went
        viewers = [BoardClient(small_queue.url, b, tok["viewer"], client_id=f"screen{i}",
                               reconnect=False) for i in range(start, start + 50)]
        await asyncio.gather(*(v.connect() for v in viewers))
        await asyncio.gather(*(v.close() for v in viewers))
    async with BoardClient(small_queue.url, b, tok["participant"], name="Bo") as looker:
        pass  # joined, changed nothing
    async with BoardClient(small_queue.url, b, tok["viewer"], client_id="last") as last:
        listed = last.participants
        # those who changed the board stay listed (offline); lookers-on do not
        assert ada_id in listed and listed[ada_id]["online"] is False
        assert looker.you not in listed
        assert set(listed) <= {ada_id, last.you}


async def test_the_welcome_lists_a_bounded_number_of_participants(tmp_path):
    env = {"TUSSENTAFEL_MAX_LISTED_PARTICIPANTS": "5"}
    server = ServerProcess(tmp_path / "data", env=env).start()
    try:
        board = server.create_board()
        b, tok = board["board"], board["tokens"]
        people = [BoardClient(server.url, b, tok["participant"], name=f"p{i}") for i in range(8)]
        await asyncio.gather(*(p.connect() for p in people))
        async with BoardClient(server.url, b, tok["viewer"]) as screen:
            assert len(screen.participants) == 5
            assert all(p["online"] for p in screen.participants.values())
        await asyncio.gather(*(p.close() for p in people))
    finally:
        server.stop()


def _max_stroke(eid: str, x: float) -> dict[str, Any]:
    points = [x + (i % 2) * 0.123456789 + i * 1e-3 for i in range(10_000)]
    return {"id": eid, "kind": "stroke", "x": x, "y": 0.0, "z": "a0", "color": "#123456",
            "width": 2.0, "points": points}
