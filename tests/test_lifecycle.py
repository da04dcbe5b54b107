"""A board's life cycle against real servers (SQLite, and Redis with two
processes): export, delete, import, copies from a snapshot, the admin's list
and retention."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from canvas_client.client import BoardClient
from server.core.board import SYSTEM
from tests.conftest import ServerProcess, note, put
from tests.redis_fixture import (  # noqa: F401
    RedisCluster,
    RedisServer,
    redis_cluster_fixture,
    redis_server_fixture,
)

pytestmark = pytest.mark.timeout(90)

ADMIN = "admin-token-for-tests-0123456789"
STAMPS = ("author", "v", "created", "updated")


def _delete(server: ServerProcess, board: str, token: str) -> httpx.Response:
    return httpx.delete(f"{server.url}/api/boards/{board}",
                        headers={"authorization": f"Bearer {token}"}, timeout=10)


def _create(server: ServerProcess, body: Any, token: str | None = None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{server.url}/api/boards", json=body, headers=headers, timeout=30)


def _snapshots(server: ServerProcess, board: str, token: str) -> list[dict[str, Any]]:
    r = server.get(f"/api/boards/{board}/snapshots", token)
    assert r.status_code == 200, r.text
    out = []
    for meta in r.json()["snapshots"]:
        r = server.get(f"/api/boards/{board}/snapshots/{meta['snapshot']}", token)
        out.append(r.json())
    return out


def _sorted(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "elements": sorted(body["elements"], key=lambda el: el["id"])}


async def _workshop(server: ServerProcess) -> dict[str, Any]:
    """An atelier board with two people, a private note, two snapshots and a lock."""
    board = server.create_board("Atelier to keep", "atelier")
    bid, tokens = board["board"], board["tokens"]
    async with BoardClient(server.url, bid, tokens["facilitator"], name="Femke") as fac, \
            BoardClient(server.url, bid, tokens["participant"], name="Anna") as anna:
        assert (await anna.push([put(note("n1", "why am I here")), put(note("n2", "and this"))]))[
            "ok"]
        r = server.post(f"/api/boards/{bid}/snapshots", tokens["facilitator"], {"label": "one"})
        assert r.status_code == 201
        assert (await anna.push([{"op": "del", "id": "n2"},
                                 put(note("n3", "secret", private=True))]))["ok"]
        assert (await fac.cmd("lock", ids=["n1"]))["ok"]
        r = server.post(f"/api/boards/{bid}/snapshots", tokens["facilitator"], {"label": "two"})
        assert r.status_code == 201
        assert (await fac.cmd("timer.start", seconds=600, label="Write"))["ok"]
    return board


async def _round_trip(server: ServerProcess, other: ServerProcess) -> None:
    board = await _workshop(server)
    bid, fac = board["board"], board["tokens"]["facilitator"]
    state = server.state(bid, fac)
    snaps = _snapshots(server, bid, fac)
    people = server.get(f"/api/boards/{bid}/report", fac).json()["participants"]

    r = server.get(f"/api/boards/{bid}/export", fac)
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    archive = r.json()
    assert archive["board"]["clock"] == state["clock"]
    assert server.get(f"/api/boards/{bid}/export", board["tokens"]["viewer"]).status_code == 403

    assert _delete(server, bid, fac).status_code == 200
    assert server.get(f"/api/boards/{bid}", fac).status_code == 404

    r = _create(other, {"import": archive})
    assert r.status_code == 201, r.text
    made = r.json()
    new, tokens = made["board"], made["tokens"]
    assert new != bid and made["clock"] == state["clock"] and made["title"] == "Atelier to keep"
    assert set(tokens.values()).isdisjoint(board["tokens"].values())
    assert _sorted(other.state(new, tokens["facilitator"])) == _sorted(state)
    assert [_sorted(s) for s in _snapshots(other, new, tokens["facilitator"])] == [
        _sorted(s) for s in snaps]
    assert other.get(f"/api/boards/{new}/report", tokens["facilitator"]).json()[
        "participants"] == people
    # the board goes on where it was: the next change is the archive's clock + 1,
    # and the session (a running timer) came along
    async with BoardClient(other.url, new, tokens["participant"], name="Anna") as anna:
        assert anna.session["timer"]["label"] == "Write"
        ack = await anna.push([put(note("n4", "after the move"))])
        assert ack["ok"] and ack["clock"] == state["clock"] + 1


async def test_export_delete_import_round_trips_on_sqlite(
    server: ServerProcess, tmp_path: Path
) -> None:
    other = ServerProcess(tmp_path / "other").start()
    try:
        await _round_trip(server, other)
    finally:
        other.stop()


@pytest.fixture
def redis_pair(redis_server: RedisServer, tmp_path: Path) -> Iterator[list[ServerProcess]]:
    """Two server processes sharing one Redis."""
    pair = [ServerProcess(tmp_path / name, redis=redis_server.url) for name in ("a", "b")]
    try:
        yield [server.start() for server in pair]
    finally:
        for server in pair:
            server.stop()


@pytest.mark.redis
async def test_export_delete_import_round_trips_on_redis(redis_pair: list[ServerProcess]) -> None:
    await _round_trip(*redis_pair)


@pytest.mark.redis
async def test_an_archive_moves_between_stores(
    server: ServerProcess, redis_server: RedisServer, tmp_path: Path
) -> None:
    on_redis = ServerProcess(tmp_path / "r", redis=redis_server.url).start()
    try:
        await _round_trip(server, on_redis)  # SQLite -> Redis
        await _round_trip(on_redis, server)  # Redis -> SQLite
    finally:
        on_redis.stop()


async def _closed(client: BoardClient) -> int | None:
    await client.wait_for(lambda c: c.closed is not None, timeout=10)
    assert client.closed is not None
    return client.closed.code


async def _delete_everywhere(here: ServerProcess, there: ServerProcess) -> None:
    board = here.create_board("Short-lived", "atelier")
    bid, tokens = board["board"], board["tokens"]
    r = here.post(f"/api/boards/{bid}/snapshots", tokens["facilitator"], {"label": "s"})
    sid = r.json()["snapshot"]
    clients = [BoardClient(server.url, bid, tokens[role], name=role)
               for server in (here, there) for role in ("participant", "viewer")]
    await asyncio.gather(*(c.connect() for c in clients))
    assert _delete(here, bid, tokens["participant"]).status_code == 403
    assert _delete(here, bid, tokens["facilitator"]).status_code == 200
    assert await asyncio.gather(*(_closed(c) for c in clients)) == [4404] * 4
    fac = tokens["facilitator"]
    for server in (here, there):
        for path in ("/state", "/snapshots", f"/snapshots/{sid}", f"/snapshots/{sid}.svg",
                     "/insights", "/report", "/export", f"/snapshots/{sid}/diff?to=live"):
            r = server.get(f"/api/boards/{bid}{path}", fac)
            assert r.status_code == 404, (path, r.text)
        assert server.post(f"/api/boards/{bid}/snapshots", fac, {}).status_code == 404
        assert server.post(f"/api/boards/{bid}/rotate", fac).status_code == 404
        assert _delete(server, bid, fac).status_code == 404
        for token in tokens.values():
            assert server.get(f"/api/boards/{bid}", token).status_code == 404
            late = BoardClient(server.url, bid, token, reconnect=False)
            with pytest.raises(Exception) as refused:
                await late.connect()
            assert getattr(refused.value, "code", None) == 4404
            await late.close()


async def test_delete_closes_sockets_and_every_token_404(server: ServerProcess) -> None:
    await _delete_everywhere(server, server)


@pytest.mark.redis
async def test_delete_reaches_every_process_on_redis(redis_pair: list[ServerProcess]) -> None:
    await _delete_everywhere(*redis_pair)


@pytest.mark.redis
@pytest.mark.slow
async def test_delete_and_round_trip_on_a_redis_cluster(
    redis_cluster: RedisCluster, tmp_path: Path
) -> None:
    pair = [ServerProcess(tmp_path / name, redis=redis_cluster.url) for name in ("a", "b")]
    try:
        here, there = (server.start() for server in pair)
        await _delete_everywhere(here, there)
        await _round_trip(there, here)
    finally:
        for server in pair:
            server.stop()


def test_from_snapshot_starts_a_new_board(server: ServerProcess) -> None:
    board = server.create_board("Source", "atelier")
    bid, fac = board["board"], board["tokens"]["facilitator"]
    r = server.post(f"/api/boards/{bid}/snapshots", fac, {"label": "start"})
    sid = r.json()["snapshot"]
    _, elements = r.json(), server.get(f"/api/boards/{bid}/snapshots/{sid}", fac).json()["elements"]
    source = {"board": bid, "snapshot": sid}
    r = _create(server, {"from_snapshot": source}, fac)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["board"] != bid and made["title"] == "Source — start"
    assert made["source"] == source
    assert set(made["tokens"].values()).isdisjoint(board["tokens"].values())
    state = server.state(made["board"], made["tokens"]["facilitator"])
    assert state["clock"] == 1

    def bare(els: list[dict[str, Any]]) -> dict[str, Any]:
        return {el["id"]: {k: v for k, v in el.items() if k not in STAMPS} for el in els}

    assert bare(state["elements"]) == bare(elements)
    assert {el["author"] for el in state["elements"]} == {SYSTEM}
    named = _create(server, {"from_snapshot": source, "title": "Atelier 2"}, fac)
    assert named.status_code == 201 and named.json()["title"] == "Atelier 2"

    assert _create(server, {"from_snapshot": source}, board["tokens"]["participant"]
                   ).status_code == 403
    assert _create(server, {"from_snapshot": source}).status_code == 401
    assert _create(server, {"from_snapshot": source}, made["tokens"]["facilitator"]
                   ).status_code == 401
    assert _create(server, {"from_snapshot": {**source, "snapshot": "nope"}}, fac
                   ).status_code == 404
    assert _create(server, {"from_snapshot": {**source, "board": "nope"}}, fac).status_code == 404
    for bad in ({"from_snapshot": bid}, {"from_snapshot": {"board": bid}},
                {"from_snapshot": source, "template": "blank"},
                {"from_snapshot": source, "title": 5},
                {"from_snapshot": source, "import": {}}):
        r = _create(server, bad, fac)
        assert r.status_code == 400 and r.json()["error"] == "invalid", bad


def _admin_list(server: ServerProcess) -> list[dict[str, Any]]:
    r = server.get("/api/boards", ADMIN)
    assert r.status_code == 200, r.text
    boards: list[dict[str, Any]] = r.json()["boards"]
    return boards


def test_admin_list_and_bad_imports(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, env={"TUSSENTAFEL_ADMIN_TOKEN": ADMIN}).start()
    try:
        admin = {"authorization": f"Bearer {ADMIN}"}
        board = server.create_board("Listed", "atelier", headers=admin)
        bid, fac = board["board"], board["tokens"]["facilitator"]
        server.post(f"/api/boards/{bid}/snapshots", fac, {"label": "s"})
        assert server.get("/api/boards", fac).status_code == 401
        assert httpx.get(f"{server.url}/api/boards", timeout=10).status_code == 401
        [listed] = _admin_list(server)
        assert listed["board"] == bid and listed["title"] == "Listed"
        assert listed["snapshots"] == 1 and listed["elements"] > 10 and listed["clock"] == 1
        assert listed["active"] >= listed["created"] > 0

        archive = server.get(f"/api/boards/{bid}/export", fac).json()
        assert _create(server, {"import": archive}).status_code == 401
        assert _create(server, {"import": archive}, fac).status_code == 401
        broken = [
            {"import": None}, {"import": []}, {"import": {**archive, "format": "x"}},
            {"import": {**archive, "elements": [*archive["elements"], {"id": "x"}]}},
            {"import": {**archive, "snapshots": [{**archive["snapshots"][0], "clock": 99}]}},
            {"import": {**archive, "participants": [{"id": "p", "color": "javascript:"}]}},
            {"import": archive, "title": "extra"},
        ]
        for body in broken:
            r = _create(server, body, ADMIN)
            assert r.status_code == 400, r.text
            assert r.json()["error"] == "invalid"
        r = httpx.post(f"{server.url}/api/boards", content=b'{"import": [', headers=admin,
                       timeout=10)
        assert r.status_code == 400 and r.json()["error"] == "bad_message"
        assert [b["board"] for b in _admin_list(server)] == [bid]  # nothing was created

        r = _create(server, {"import": archive}, ADMIN)
        assert r.status_code == 201
        assert len(_admin_list(server)) == 2
        assert _delete(server, r.json()["board"], ADMIN).status_code == 200
        assert _delete(server, "nosuchboard", ADMIN).status_code == 404
        assert [b["board"] for b in _admin_list(server)] == [bid]
    finally:
        server.stop()


def test_without_an_admin_token_there_is_no_list(server: ServerProcess) -> None:
    r = httpx.get(f"{server.url}/api/boards", timeout=10)
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    big = {"import": {"format": "x", "pad": "x" * 100_000}}
    r = _create(server, big)  # over 64 KiB: allowed for an import, and refused as data
    assert r.status_code == 400 and r.json()["error"] == "invalid"


async def test_retention_deletes_the_idle_board_and_keeps_the_active_one(
    tmp_path: Path
) -> None:
    server = ServerProcess(tmp_path, args=["--log-level", "info"], env={
        "TUSSENTAFEL_RETENTION_DAYS": str(2 / 86400),  # two seconds
        "TUSSENTAFEL_RETENTION_SWEEP_S": "0.2",
    }).start()
    try:
        idle = server.create_board("Idle")
        active = server.create_board("Active")
        tokens = active["tokens"]
        async with BoardClient(server.url, active["board"], tokens["participant"]) as client:
            deadline = time.monotonic() + 30
            while server.get(f"/api/boards/{idle['board']}", idle["tokens"]["viewer"]
                             ).status_code != 404:
                assert time.monotonic() < deadline, "the idle board was never deleted"
                assert (await client.push([put(note(f"n{int(time.monotonic() * 10)}"))]))["ok"]
                await asyncio.sleep(0.2)
            assert client.closed is None
        r = server.get(f"/api/boards/{active['board']}", tokens["viewer"])
        assert r.status_code == 200
        log = server.log.read_text()
        assert f"retention: deleted board {idle['board']} ('Idle')" in log
        assert f"retention: deleted board {active['board']}" not in log
    finally:
        server.stop()


@pytest.mark.browser
async def test_facilitator_panel_reports_exports_and_deletes(
    server: ServerProcess, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    title = "Atelier to throw away"
    board = server.create_board(title, "atelier")
    bid, fac = board["board"], board["tokens"]["facilitator"]
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            context = await browser.new_context(accept_downloads=True)
            page = await context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(f"{server.url}/b/{bid}?t={fac}")
            await page.fill("#name-prompt-input", "Femke")
            await page.press("#name-prompt-input", "Enter")
            await page.wait_for_selector("body[data-connection=live]")
            await page.click("#tabs [data-tab=facilitate]")
            href = await page.get_attribute("#open-report", "href")
            assert href == f"/b/{bid}/report?t={fac}"
            async with page.expect_download() as info:
                await page.click("#export-board")
            download = await info.value
            saved = tmp_path / "board.json"
            await download.save_as(saved)
            assert '"format": "tussentafel.board"' in saved.read_text()
            assert errors == []

            await page.click("#delete-board-open")
            await page.fill("#delete-board-input", title + " (not quite)")
            assert await page.is_disabled("#delete-board-confirm")
            await page.press("#delete-board-input", "Enter")
            assert server.get(f"/api/boards/{bid}", fac).status_code == 200
            await page.fill("#delete-board-input", title)
            await page.click("#delete-board-confirm")
            await page.wait_for_selector("body[data-deleted=true]")
            await page.wait_for_selector("body[data-connection=closed]")
        finally:
            await browser.close()
    assert server.get(f"/api/boards/{bid}", fac).status_code == 404
