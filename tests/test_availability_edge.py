"""Availability at the limits: what a flood, a race, a hostile message or a
full disk does to a real server (each test reproduces one finding of the
"availability at the limits" review and shows the server staying up)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import resource
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from canvas_client.client import BoardClient, Closed
from tests.conftest import ServerProcess, note, put
from tests.redis_fixture import RedisServer, redis_server_fixture  # noqa: F401
from tests.test_ws_frames import TEXT, RawWs, client_frame, text

pytestmark = pytest.mark.timeout(60)


def _ws_url(server: ServerProcess, board: str, query: str = "") -> str:
    return f"ws://127.0.0.1:{server.port}/api/boards/{board}/ws{query}"


async def _until(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the condition never came true"
        await asyncio.sleep(0.05)


Upgrade = tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]


async def _http(method: str, url: str, **kw: Any) -> httpx.Response:
    """An HTTP request from a test on the event loop (httpx's sync client in a thread)."""
    return await asyncio.to_thread(httpx.request, method, url, timeout=10, **kw)


async def _raw_upgrade(port: int, board: str) -> Upgrade:
    """A WebSocket handshake that then says nothing; its status line."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /api/boards/{board}/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  "Sec-WebSocket-Protocol: tussentafel.v1.json\r\n\r\n").encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    return reader, writer, head.split(b"\r\n", 1)[0]


# -- 5: descriptors ---------------------------------------------------------------


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[ServerProcess]:
    env = {"TUSSENTAFEL_REQUEST_TIMEOUT_S": "1", "TUSSENTAFEL_MAX_CONNS_PER_IP": "40",
           "TUSSENTAFEL_HELLO_TIMEOUT_S": "30", "TUSSENTAFEL_MAX_CONNS": "1000"}
    proc = ServerProcess(tmp_path / "data", env=env).start()
    yield proc
    proc.stop()


async def test_requests_whose_headers_never_finish_are_closed(guarded: ServerProcess) -> None:
    async def stalled(first: bytes) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", guarded.port)
        writer.write(first)
        try:
            return await asyncio.wait_for(reader.read(), 10)  # all it says until it closes
        finally:
            writer.close()

    answers = await asyncio.gather(
        *(stalled(b"GET /healthz HTTP/1.1\r\nHost: x\r\n") for _ in range(20)),  # no blank line
        stalled(b"POST /api/boards HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
                b"content-length: 50\r\n\r\n{"),  # the body never comes
        stalled(b""),  # not a byte
    )
    assert all(a.startswith(b"HTTP/1.1 408") for a in answers[:20]), answers[:3]
    assert all(a in (b"", ) or a.startswith(b"HTTP/1.1 408") for a in answers[20:]), answers[20:]
    assert (await _http("GET", f"{guarded.url}/healthz")).status_code == 200  # the server is fine


async def test_a_flood_of_unfinished_requests_leaves_board_creation_working(tmp_path: Path) -> None:
    """300 requests that never finish their headers, from one address, against
    a process with 150 descriptors: that address keeps 40 connections at most
    (the rest are closed at once), so another address can create a board."""
    env = {"TUSSENTAFEL_REQUEST_TIMEOUT_S": "60", "TUSSENTAFEL_MAX_HTTP_CONNS_PER_IP": "40"}
    proc = ServerProcess(tmp_path / "data", env=env).start()
    assert proc.proc is not None
    resource.prlimit(proc.proc.pid, resource.RLIMIT_NOFILE, (150, 150))
    writers: list[asyncio.StreamWriter] = []
    try:
        async def flood_one() -> bool:
            """Whether the server closed this connection (True) or holds it."""
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", proc.port, local_addr=("127.0.0.2", 0))  # another address
            writers.append(writer)
            try:
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                await writer.drain()
                return await asyncio.wait_for(reader.read(), 1.0) == b""
            except ConnectionError:
                return True
            except TimeoutError:
                return False
        closed = []
        for _ in range(3):
            closed += await asyncio.gather(*(flood_one() for _ in range(100)))
        assert closed.count(False) <= 40  # held; every other one was closed at once
        r = await _http("POST", f"{proc.url}/api/boards", json={"title": "during the flood"})
        assert r.status_code == 201
    finally:
        for writer in writers:
            writer.close()
        proc.stop()


async def test_sockets_before_hello_count_against_the_process_cap(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path / "data", env={"TUSSENTAFEL_MAX_CONNS": "3",
                                                  "TUSSENTAFEL_HELLO_TIMEOUT_S": "30"}).start()
    try:
        board = proc.create_board()
        held = [await _raw_upgrade(proc.port, board["board"]) for _ in range(3)]
        assert [status for _, _, status in held] == [b"HTTP/1.1 101 Switching Protocols"] * 3
        _, writer, status = await _raw_upgrade(proc.port, board["board"])
        assert status == b"HTTP/1.1 403 Forbidden"  # refused at the handshake
        writer.close()
        for _, w, _ in held:
            w.close()
        async def joins() -> bool:
            try:
                async with BoardClient(proc.url, board["board"], board["tokens"]["viewer"],
                                       reconnect=False):
                    return True
            except (InvalidStatus, Closed):
                return False
        for _ in range(100):  # the places come free as the server sees the sockets go
            if await joins():
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the freed places never came back")
    finally:
        proc.stop()


async def test_hello_deadline_is_a_setting(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path / "data", env={"TUSSENTAFEL_HELLO_TIMEOUT_S": "0.5"}).start()
    try:
        board = proc.create_board()
        async with connect(_ws_url(proc, board["board"]),
                           subprotocols=[Subprotocol("tussentafel.v1.json")]) as ws:
            said = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert said["code"] == "unauthorized" and said["fatal"]
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
            assert ws.close_code == 4401
    finally:
        proc.stop()


async def test_a_flood_of_silent_sockets_leaves_board_creation_working(
        guarded: ServerProcess) -> None:
    """300 WebSockets that never say hello, against a process with 200
    descriptors: the per-address cap (40) turns most away, so the process
    keeps descriptors for the request that creates a board."""
    assert guarded.proc is not None
    resource.prlimit(guarded.proc.pid, resource.RLIMIT_NOFILE, (200, 200))
    board = guarded.create_board()
    opened: list[Upgrade] = []
    try:
        for _ in range(30):
            opened += await asyncio.gather(*(_raw_upgrade(guarded.port, board["board"])
                                             for _ in range(10)))
        statuses = [status for _, _, status in opened]
        assert statuses.count(b"HTTP/1.1 101 Switching Protocols") == 40
        assert statuses.count(b"HTTP/1.1 403 Forbidden") == 260
        r = await asyncio.to_thread(
            httpx.post, f"{guarded.url}/api/boards", json={"title": "during the flood"},
            timeout=10)
        assert r.status_code == 201
    finally:
        for _, writer, _ in opened:
            writer.close()


async def test_the_per_address_cap_can_exempt_an_address(tmp_path: Path) -> None:
    env = {"TUSSENTAFEL_MAX_CONNS_PER_IP": "2", "TUSSENTAFEL_CONN_CAP_EXEMPT": "127.0.0.1",
           "TUSSENTAFEL_HELLO_TIMEOUT_S": "30"}
    proc = ServerProcess(tmp_path / "data", env=env).start()
    try:
        board = proc.create_board()
        opened = [await _raw_upgrade(proc.port, board["board"]) for _ in range(5)]
        assert all(status.startswith(b"HTTP/1.1 101") for _, _, status in opened)
        for _, writer, _ in opened:
            writer.close()
    finally:
        proc.stop()


# -- 6: the per-board cap -----------------------------------------------------------


async def test_concurrent_joins_never_overbook_a_board(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path / "data", env={"TUSSENTAFEL_MAX_CONNS_PER_BOARD": "5"}).start()
    try:
        board = proc.create_board()
        clients = [BoardClient(proc.url, board["board"], board["tokens"]["participant"],
                               reconnect=False) for _ in range(20)]
        results = await asyncio.gather(*(c.connect() for c in clients), return_exceptions=True)
        welcomed = [c for c, r in zip(clients, results, strict=True) if r is None]
        refused = [r for r in results if isinstance(r, Closed)]
        assert len(welcomed) == 5, results
        assert len(refused) == 15 and all(r.code == 1013 for r in refused), results
        for c in welcomed:
            await c.close()
    finally:
        proc.stop()


# -- 7: board creation ------------------------------------------------------------


def test_board_creation_is_rate_limited_per_address(tmp_path: Path) -> None:
    env = {"TUSSENTAFEL_BOARD_RATE_PER_MIN": "1", "TUSSENTAFEL_BOARD_RATE_BURST": "10"}
    proc = ServerProcess(tmp_path / "data", env=env).start()
    try:
        made = [httpx.post(f"{proc.url}/api/boards", json={"title": f"b{i}"}, timeout=10)
                for i in range(10)]
        assert [r.status_code for r in made] == [201] * 10
        refused = httpx.post(f"{proc.url}/api/boards", json={"title": "one too many"}, timeout=10)
        assert refused.status_code == 429
        assert refused.json()["error"] == "rate_limited" and refused.json()["message"]
        assert 1 <= int(refused.headers["retry-after"]) <= 60  # one board a minute
    finally:
        proc.stop()


def test_changes_must_be_json(server: ServerProcess) -> None:
    form = httpx.post(f"{server.url}/api/boards", content=b'{"title":"csrf"}',
                      headers={"content-type": "text/plain"})  # what a foreign form may send
    assert form.status_code == 415
    assert form.json()["error"] == "unsupported_media_type"
    board = server.create_board()
    tok = board["tokens"]["facilitator"]
    bare = httpx.post(f"{server.url}/api/boards/{board['board']}/rotate",
                      headers={"authorization": f"Bearer {tok}"})
    assert bare.status_code == 415
    assert server.post(f"/api/boards/{board['board']}/rotate", tok).status_code == 200


# -- 8: presence -----------------------------------------------------------------


async def test_presence_is_metered_per_connection(tmp_path: Path) -> None:
    env = {"TUSSENTAFEL_PRESENCE_PER_S": "10", "TUSSENTAFEL_PRESENCE_BYTES_PER_S": "4096"}
    proc = ServerProcess(tmp_path / "data", env=env).start()
    try:
        board = proc.create_board()
        observer = BoardClient(proc.url, board["board"], board["tokens"]["participant"],
                               encoding="json")
        viewers = [BoardClient(proc.url, board["board"], board["tokens"]["viewer"],
                               encoding="json") for _ in range(5)]
        await asyncio.gather(observer.connect(), *(v.connect() for v in viewers))
        received: list[int] = []
        largest: list[int] = [0]

        def count(message: dict[str, Any]) -> None:
            if message["type"] == "presence":
                received.append(len(json.dumps(message)))
                for p in message["participants"]:
                    largest[0] = max(largest[0], len(p.get("selection") or []))
        observer.listeners.append(count)
        selection = [f"element-{i:04}" for i in range(500)]  # ~7.5 KB a message
        started = time.monotonic()
        for step in range(20):  # 20 a second, like the finding
            await asyncio.gather(*(v.presence(selection=selection, cursor=[step, step])
                                   for v in viewers))
            await asyncio.sleep(0.05)
        for step in range(20):  # then the cursors alone: each carries the selection along
            await asyncio.gather(*(v.presence(cursor=[step, -step]) for v in viewers))
            await asyncio.sleep(0.05)
        await asyncio.gather(*(v.presence(cursor=[999, i]) for i, v in enumerate(viewers)))
        # the last word of each viewer arrives, however far over its budget it was
        await _until(lambda: all(observer.participants.get(v.you, {}).get("cursor") == [999, i]
                                 for i, v in enumerate(viewers)))
        elapsed = time.monotonic() - started
        assert largest[0] == 100  # a selection is shared up to 100 ids
        # what the five sent the others stays within their budgets (~1 s of burst
        # each, then 4 KiB/s), not the ~150 KB/s they offered; room for JSON framing
        assert sum(received) <= 5 * 4096 * (1 + elapsed) * 1.5, (sum(received), elapsed)
        for c in (observer, *viewers):
            await c.close()
    finally:
        proc.stop()


# -- 9: strings that cannot be sent ---------------------------------------------------


@pytest.fixture(params=["sqlite", "redis"])
def either(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    redis = None
    if request.param == "redis":
        redis = request.getfixturevalue("redis_server").url
    proc = ServerProcess(tmp_path / "data", redis=redis).start()
    yield proc
    proc.stop()


async def test_lone_surrogates_are_refused_where_they_enter(either: ServerProcess) -> None:
    bad_title = await _http("POST", f"{either.url}/api/boards", content=b'{"title": "x\\ud800"}',
                            headers={"content-type": "application/json"})
    assert bad_title.status_code == 400 and bad_title.json()["error"] == "invalid"
    board = either.create_board()
    b, tok = board["board"], board["tokens"]["facilitator"]
    async with BoardClient(either.url, b, tok, encoding="json") as client:
        bad = await _http("POST", f"{either.url}/api/boards/{b}/snapshots",
                          content=b'{"label": "\\udc00"}',
                          headers={"authorization": f"Bearer {tok}",
                                   "content-type": "application/json"})
        assert bad.status_code == 400 and bad.json()["error"] == "invalid"
        listed = either.get(f"/api/boards/{b}/snapshots", tok)
        assert listed.status_code == 200 and listed.json() == {"snapshots": []}
        await client.send_raw(json.dumps({"type": "ping"}))
        await client.next_message("pong", timeout=5)  # the connection still talks


async def test_a_stored_string_that_cannot_be_encoded_fails_nothing(
        tmp_path: Path, redis_server: RedisServer) -> None:
    """Strings stored before they were checked (Redis kept them) still go out."""
    from redis import Redis

    proc = ServerProcess(tmp_path / "data", redis=redis_server.url).start()
    rdb = Redis.from_url(redis_server.url)
    try:
        board = proc.create_board()
        b, tok = board["board"], board["tokens"]["facilitator"]
        rdb.hset(f"tt:{{{b}}}:people", "ghost", json.dumps(  # before the room loads them
            {"id": "ghost", "name": "\udfff", "color": "#123456", "role": "participant",
             "online": False}))
        snap = proc.post(f"/api/boards/{b}/snapshots", tok, {"label": "ok"}).json()
        key = f"tt:{{{b}}}:snapmeta"
        meta = json.loads(rdb.hget(key, snap["snapshot"]))  # type: ignore[arg-type]
        rdb.hset(key, snap["snapshot"], json.dumps({**meta, "label": "bad \ud800"}))
        listed = proc.get(f"/api/boards/{b}/snapshots", tok)
        assert listed.status_code == 200
        assert listed.json()["snapshots"][0]["label"] == "bad \ud800"  # escaped: valid JSON
        for encoding in ("json", "msgpack"):
            async with BoardClient(proc.url, b, tok, encoding=encoding) as client:
                assert "ghost" in client.participants  # the welcome arrived
                await client.send_raw(client._encode({"type": "ping"}))
                await client.next_message("pong", timeout=5)
    finally:
        rdb.close()
        proc.stop()


# -- 10: a dribbled frame -------------------------------------------------------------


async def test_a_one_mib_frame_in_64_byte_pieces_is_taken(server: ServerProcess) -> None:
    board = server.create_board()
    ws = await RawWs.open(server, board["board"])
    await ws.send(text({"type": "hello", "token": board["tokens"]["viewer"], "client": "drip"}))
    await ws.messages_until("welcome")
    padding = "x" * ((1 << 20) - 64)
    frame = client_frame(TEXT, json.dumps({"type": "ping", "pad": padding}).encode())
    ws.writer.transport.get_extra_info("socket").setsockopt(
        socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i in range(0, len(frame), 64):
        ws.writer.write(frame[i:i + 64])
        if i % (64 * 256) == 0:
            await ws.writer.drain()
    await ws.writer.drain()
    assert (await ws.messages_until("pong"))[-1]["type"] == "pong"
    ws.close()


# -- 11: a full disk --------------------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs (the tests run as root; mounting needs it)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (64 * 1024, 1):  # then the last crumbs
            while True:
                try:
                    os.write(fd, bytes(size))
                except OSError:
                    break
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_answers_json_503_and_healthz_says_so(tmp_path: Path, tiny_disk: Path) -> None:
    proc = ServerProcess(tmp_path / "srv", args=["--data", str(tiny_disk)]).start()
    try:
        board = proc.create_board()
        b, tok = board["board"], board["tokens"]["facilitator"]
        filler = _fill(tiny_disk)
        made = httpx.post(f"{proc.url}/api/boards", json={"title": "no room"}, timeout=10)
        assert made.status_code == 503, made.text
        assert made.json()["error"] == "unavailable" and made.json()["message"]
        snap = proc.post(f"/api/boards/{b}/snapshots", tok, {"label": "no room"})
        assert snap.status_code == 503 and snap.json()["error"] == "unavailable"
        health = httpx.get(f"{proc.url}/healthz", timeout=10)
        assert health.status_code == 503
        assert health.json()["ok"] is False and "not writable" in health.json()["reason"]
        filler.unlink()
        assert httpx.get(f"{proc.url}/healthz", timeout=10).status_code == 200
        assert proc.post(f"/api/boards/{b}/snapshots", tok, {"label": "room"}).status_code == 201
    finally:
        proc.stop()


# -- 12: tokens in logs and in URLs -------------------------------------------------


async def test_tokens_never_reach_the_logs_however_they_are_spelt(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path / "data", args=["--access-log", "--log-level", "info"]).start()
    try:
        board = proc.create_board()
        b, tok = board["board"], board["tokens"]
        state = await _http("GET", f"{proc.url}/api/boards/{b}/state?%74={tok['viewer']}")
        assert state.status_code == 200  # an encoded name still authenticates ...
        await _http("GET", f"{proc.url}/b/{b}?a=1&%74={tok['participant']}")
        async with connect(_ws_url(proc, b, f"?%74={tok['facilitator']}"),
                           subprotocols=[Subprotocol("tussentafel.v1.json")]) as ws:
            await ws.send(json.dumps({"type": "hello", "token": tok["facilitator"], "client": "x"}))
            await ws.recv()
        await _until(lambda: "WebSocket" in proc.log.read_text()
                     and f"/b/{b}" in proc.log.read_text())
        logged = proc.log.read_text()
        assert "/state?%74=<redacted>" in logged  # ... but is not logged
        for secret in tok.values():
            assert secret not in logged
    finally:
        proc.stop()


def test_changes_take_the_token_from_the_header_only(server: ServerProcess) -> None:
    board = server.create_board()
    b, tok = board["board"], board["tokens"]["facilitator"]
    for query in (f"?t={tok}", f"?%74={tok}"):
        r = httpx.post(f"{server.url}/api/boards/{b}/rotate{query}",
                       headers={"content-type": "application/json"}, timeout=10)
        assert r.status_code == 401
        assert r.json()["error"] == "unauthorized" and "Authorization" in r.json()["message"]
    assert server.post(f"/api/boards/{b}/rotate", tok).status_code == 200


# -- 14: nesting ------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["msgpack", "json"])
async def test_nested_input_is_refused_before_it_recurses(
        server: ServerProcess, encoding: str) -> None:
    board = server.create_board()
    deep: bytes | str
    if encoding == "msgpack":  # {"type": "presence", "selection": [[[...]]]} 1 000 deep
        deep = b"\x82\xa4type\xa8presence\xa9selection" + b"\x91" * 999 + b"\x90"
    else:
        deep = '{"type":"presence","selection":' + "[" * 100 + "]" * 100 + "}"
    logged = len(server.log.read_text())
    async with BoardClient(server.url, board["board"], board["tokens"]["participant"],
                           encoding=encoding) as client:
        await client.send_raw(deep)
        refused = await client.next_message("error", timeout=5)
        assert refused["code"] == "bad_message" and "nested too deep" in refused["message"]
        assert not refused["fatal"]
        assert (await client.push([put(note("n1"))]))["ok"]
    assert "RecursionError" not in server.log.read_text()[logged:]


# -- the browser app keeps to the JSON-only rule ---------------------------------------


async def test_the_facilitator_page_restores_a_snapshot(server: ServerProcess) -> None:
    """A restore is a POST without a body: the page must still say JSON (415 otherwise)."""
    from tests.test_browser import chromium, link, open_board

    board = server.create_board()
    b, tok = board["board"], board["tokens"]["facilitator"]
    snap = server.post(f"/api/boards/{b}/snapshots", tok, {"label": "empty"}).json()
    async with BoardClient(server.url, b, tok) as client:
        assert (await client.push([put(note("n1"))]))["ok"]
    async with chromium() as browser:
        page = await open_board(browser, link(board, "facilitator"), name="Ada")
        await page.click("[data-tab=facilitate]")
        button = f"#facilitate li[data-snapshot='{snap['snapshot']}'] button"
        await page.click(button)  # arm
        await page.click(button)  # restore
        await _until(lambda: server.state(b, tok)["elements"] == [])
