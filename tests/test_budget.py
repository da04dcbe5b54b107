"""Availability at the limits (issue 12): the board budget, a welcome bigger than
the send-queue bound, viewers that do not grow the board (real servers)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
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


async def test_a_welcome_bigger_than_the_send_queue_bound_still_arrives(
        small_queue: ServerProcess) -> None:
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


async def test_viewers_are_not_kept_as_participants(small_queue: ServerProcess) -> None:
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


async def test_the_welcome_lists_a_bounded_number_of_participants(tmp_path: Path) -> None:
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


@pytest.fixture(scope="module")
def roomy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Default budgets and queue bounds; only the rate limit is raised (quick fills)."""
    env = {"TUSSENTAFEL_RATE_BURST": "1000000", "TUSSENTAFEL_RATE_OPS_PER_S": "1000000"}
    proc = ServerProcess(Path(tmp_path_factory.mktemp("roomy")), env=env).start()
    yield proc
    proc.stop()


def _domain(eid: str) -> dict[str, Any]:
    return {"id": eid, "kind": "domain", "x": 0.0, "y": 0.0, "z": "a0", "label": eid, "r": 50.0}


async def test_insights_of_many_overlapping_circles_are_bounded_and_summarised(
        roomy: ServerProcess) -> None:
    """Finding 2: 1 500 identical circles made 1.1 M overlap pairs, an 18.6 MB
    ``insights`` event and a 4408 close for everyone on the board."""
    board = roomy.create_board()
    b, tok = board["board"], board["tokens"]
    async with BoardClient(roomy.url, b, tok["facilitator"]) as fac, \
            BoardClient(roomy.url, b, tok["viewer"]) as screen:
        for start in range(0, 1500, 500):
            ack = await fac.push([put(_domain(f"d{i}")) for i in range(start, start + 500)])
            assert ack["ok"], ack
        event = await screen.next_message("event", name="insights", timeout=20)
        summary = event["insights"]
        assert summary["truncated"] is True
        assert summary["counts"]["overlaps"] == 10_000  # the cap
        assert len(summary["territory"]["overlaps"]) == 50
        assert summary["counts"]["outside"] == 1500 and len(summary["territory"]["outside"]) == 50
        assert screen.closed is None and fac.closed is None and screen.welcomes == 1
    whole = roomy.get(f"/api/boards/{b}/insights", tok["viewer"]).json()
    assert whole["truncated"] is True
    assert len(whole["territory"]["overlaps"]) == 10_000
    assert len(whole["territory"]["outside"]) == 1500


def _big_reads(server: ServerProcess) -> dict[str, float]:
    counts: dict[str, float] = {}
    for line in httpx.get(f"{server.url}/metrics", timeout=10).text.splitlines():
        if line.startswith("tussentafel_big_reads_total{"):
            what = line.split('what="', 1)[1].split('"', 1)[0]
            counts[what] = float(line.rsplit(" ", 1)[1])
    return counts


async def test_big_reads_are_made_once_per_clock(roomy: ServerProcess) -> None:
    """Finding 3 (cost): a viewer fetching /state in a loop cost one full encode
    per request; now one per board clock (and per snapshot for its SVG)."""
    board = roomy.create_board()
    b, tok = board["board"], board["tokens"]
    async with BoardClient(roomy.url, b, tok["facilitator"]) as fac:
        await _fill_notes(fac, 500, "idea")
        before = _big_reads(roomy).get("state", 0)
        bodies = [roomy.state(b, tok["viewer"]) for _ in range(5)]
        assert all(body == bodies[0] and len(body["elements"]) == 500 for body in bodies)
        assert _big_reads(roomy)["state"] == before + 1
        assert (await fac.push([put(note("one-more"))]))["ok"]
        after = roomy.state(b, tok["viewer"])
        assert len(after["elements"]) == 501 and after["clock"] == fac.clock
        assert _big_reads(roomy)["state"] == before + 2
        snap = roomy.post(f"/api/boards/{b}/snapshots", tok["facilitator"], {"label": "x"}).json()
        svgs = [roomy.get(f"/api/boards/{b}/snapshots/{snap['snapshot']}.svg", tok["viewer"])
                for _ in range(3)]
        assert all(r.status_code == 200 and r.content == svgs[0].content for r in svgs)
        assert _big_reads(roomy)["svg"] == 1


async def _fill_until_refused(
    client: BoardClient, make: Any, sizes: tuple[int, ...]
) -> dict[str, Any]:
    """Push batches of ``make(i)`` elements, each size in turn until one is refused;
    returns the refusal of the last (a batch of one)."""
    i, refusal = 0, None
    for size in sizes:
        while True:
            ack = await client.push([put(make(i + k)) for k in range(size)], timeout=30)
            if not ack["ok"]:
                refusal = ack
                break
            i += size
    assert refusal is not None
    return refusal


async def test_a_board_at_its_budget_refuses_more_and_stays_joinable(roomy: ServerProcess) -> None:
    """The budget (defaults): 50 strokes of the maximum size fill the stroke
    points, notes fill the bytes; a board of small notes stops at 20 000
    elements. Then the next push is ``too_large``, and a new participant and a
    new viewer still get the whole board in their welcome."""
    board = roomy.create_board()
    b, tok = board["board"], board["tokens"]
    async with BoardClient(roomy.url, b, tok["facilitator"]) as fac:
        for start in range(0, 50, 10):  # 10 maximum strokes (~900 KB) a push
            ack = await fac.push([put(_max_stroke(f"s{i}", i)) for i in range(start, start + 10)])
            assert ack["ok"], ack
        refused = await fac.push([put(_max_stroke("s50", 50.0))])
        assert refused["code"] == "too_large" and "point" in refused["message"]
        refused = await _fill_until_refused(
            fac, lambda i: note(f"n{i}", "x" * 300, x=float(i % 100) * 170), (500, 25, 1))
        assert refused["code"] == "too_large" and "bytes" in refused["message"]
        count, clock = len(fac.elements), fac.clock
        assert count > 5000
    for role in ("participant", "viewer"):
        async with BoardClient(roomy.url, b, tok[role], encoding="json") as joiner:
            assert joiner.clock == clock and len(joiner.elements) == count
            if role == "participant":
                refused = await joiner.push([put(note("late", "x" * 300))])
                assert refused["code"] == "too_large"

    small = roomy.create_board()
    async with BoardClient(roomy.url, small["board"], small["tokens"]["participant"]) as c:
        await _fill_notes(c, 20_000, "kort")
        refused = await c.push([put(note("one-too-many"))])
        assert refused["code"] == "too_large" and "elements" in refused["message"]
    async with BoardClient(roomy.url, small["board"], small["tokens"]["viewer"]) as joiner:
        assert len(joiner.elements) == 20_000


async def test_an_svg_export_of_a_full_board_does_not_stop_other_boards(
        roomy: ServerProcess) -> None:
    """Finding 3 (the loop): rendering a big board's SVG ran on the event loop,
    so every other board's pings waited for it. Now pongs keep coming while
    the export is made."""
    board = roomy.create_board()
    b, tok = board["board"], board["tokens"]
    async with BoardClient(roomy.url, b, tok["facilitator"]) as fac:
        for start in range(0, 50, 10):
            ack = await fac.push([put(_max_stroke(f"s{i}", i)) for i in range(start, start + 10)])
            assert ack["ok"], ack
    snap = roomy.post(f"/api/boards/{b}/snapshots", tok["facilitator"], {"label": "vol"}).json()
    other = roomy.create_board()
    async with BoardClient(roomy.url, other["board"], other["tokens"]["viewer"]) as pinger, \
            httpx.AsyncClient(timeout=60) as http:
        export = asyncio.ensure_future(http.get(
            f"{roomy.url}/api/boards/{b}/snapshots/{snap['snapshot']}.svg",
            headers={"authorization": f"Bearer {tok['viewer']}"}))
        started = loop_time = asyncio.get_running_loop().time
        t0, waits = started(), []
        while not export.done():
            sent = loop_time()
            await pinger._send({"type": "ping"})
            await pinger.next_message("pong", timeout=30)
            waits.append(loop_time() - sent)
        took = loop_time() - t0
        response = await export
        assert response.status_code == 200 and len(response.content) > 1_000_000
        # Not a latency goal (that is ``python -m bench limits``): on the event
        # loop one ping waited for (nearly) the whole export; now none does.
        assert max(waits) < took / 4, (max(waits), took, len(waits))
    before = roomy.state(b, tok["viewer"])
    restored = roomy.post(f"/api/boards/{b}/snapshots/{snap['snapshot']}/restore",
                          tok["facilitator"])  # diffed and checked off the loop
    assert restored.status_code == 200, restored.text
    after = roomy.state(b, tok["viewer"])
    assert after["clock"] == before["clock"] + 1
    assert [el["points"] for el in after["elements"]] == [el["points"] for el in before["elements"]]


async def test_stroke_points_come_back_exactly_as_sent(roomy: ServerProcess) -> None:
    """The server keeps points compactly; every reader still gets what was sent."""
    board = roomy.create_board()
    b, tok = board["board"], board["tokens"]
    floats = _max_stroke("f", 1.0)
    ints = {**_max_stroke("i", 2.0), "points": [1, 2, 3, 4]}
    async with BoardClient(roomy.url, b, tok["facilitator"]) as fac, \
            BoardClient(roomy.url, b, tok["viewer"], encoding="json") as screen:
        assert (await fac.push([put(floats), put(ints)]))["ok"]
        await screen.wait_clock(fac.clock)
        moved = await fac.push([{"op": "patch", "id": "f", "set": {"x": 9.0}}])
        assert moved["ok"]
        await screen.wait_clock(fac.clock)
        for client in (fac, screen):
            assert client.elements["f"]["points"] == floats["points"]
            assert [type(v) for v in client.elements["i"]["points"]] == [int] * 4
    async with BoardClient(roomy.url, b, tok["viewer"]) as late:  # from the welcome
        assert late.elements["f"]["points"] == floats["points"]
        assert late.elements["i"]["points"] == [1, 2, 3, 4]
    state = {el["id"]: el for el in roomy.state(b, tok["viewer"])["elements"]}
    assert state["f"]["points"] == floats["points"] and state["i"]["points"] == [1, 2, 3, 4]
