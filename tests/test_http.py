"""The REST endpoints through a real server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin, Subprotocol

from canvas_client.client import BoardClient, Closed
from tests.conftest import ServerProcess, note, put

pytestmark = pytest.mark.timeout(60)


def test_healthz(server: ServerProcess) -> None:
    r = httpx.get(f"{server.url}/healthz")
    assert r.status_code == 200 and r.json() == {"ok": True}


def test_create_board_returns_three_tokens_and_links(server: ServerProcess) -> None:
    r = httpx.post(f"{server.url}/api/boards", content=b'{"title":"x"}',
                   headers={"content-type": "application/json"})  # as curl -H ... -d sends it
    assert r.status_code == 201
    body = r.json()
    assert set(body["tokens"]) == {"facilitator", "participant", "viewer"}
    assert len(set(body["tokens"].values())) == 3
    board = body["board"]
    participant = body["tokens"]["participant"]
    assert body["links"]["participant"] == f"{server.url}/b/{board}?t={participant}"
    assert body["links"]["viewer"].startswith(f"{server.url}/b/{board}/screen?t=")
    info = server.get(f"/api/boards/{board}", body["tokens"]["viewer"]).json()
    assert info == {"board": board, "title": "x", "template": "blank", "lang": "en", "clock": 0,
                    "elements": 0, "online": 0}


@pytest.mark.parametrize("body,status,code", [
    (b'{"title": 5}', 400, "invalid"),
    (b'{"title": "x", "template": "nope"}', 400, "invalid"),
    (b'{"title": "x", "lang": "de"}', 400, "invalid"),
    (b'{"title": "x", "lang": null}', 400, "invalid"),
    (b'{"title": "' + b"x" * 300 + b'"}', 413, "too_large"),  # every size limit is too_large
    (b"[1, 2]", 400, "bad_message"),
    (b"{not json", 400, "bad_message"),
    (b'{"title": NaN}', 400, "bad_message"),
    (b'{"title": "' + b"x" * 70_000 + b'"}', 413, "too_large"),
])
def test_bad_bodies_get_clear_json_errors(
        server: ServerProcess, body: bytes, status: int, code: str) -> None:
    r = httpx.post(f"{server.url}/api/boards", content=body,
                   headers={"content-type": "application/json"})
    assert r.status_code == status
    assert r.json()["error"] == code and r.json()["message"]


def test_tokens_are_checked_board_first(server: ServerProcess, board: dict[str, Any]) -> None:
    other = server.create_board("other")
    b = board["board"]
    assert server.get("/api/boards/nosuch/state", board["tokens"]["viewer"]).status_code == 404
    assert server.get(f"/api/boards/{b}/state", "garbage").status_code == 401
    assert server.get(f"/api/boards/{b}/state", other["tokens"]["facilitator"]).status_code == 401
    forged = board["tokens"]["viewer"].replace(".v1.", ".f1.")
    assert server.get(f"/api/boards/{b}/state", forged).status_code == 401
    assert httpx.get(f"{server.url}/api/boards/{b}/state").status_code == 401
    r = httpx.get(f"{server.url}/api/boards/{b}/state?t={board['tokens']['viewer']}")
    assert r.status_code == 200 and r.json() == {"clock": 0, "elements": []}


async def test_state_matches_what_clients_made(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with BoardClient(server.url, board["board"], board["tokens"]["participant"]) as c:
        await c.push([put(note("a")), put(note("b"))])
        state = server.state(board["board"], board["tokens"]["viewer"])
        assert state["clock"] == 1
        assert {el["id"]: el for el in state["elements"]} == c.elements


async def test_rotate_revokes_old_tokens_and_closes_their_connections(
        server: ServerProcess, board: dict[str, Any]) -> None:
    b, old = board["board"], board["tokens"]
    assert server.post(f"/api/boards/{b}/rotate", old["participant"]).status_code == 403
    async with BoardClient(server.url, b, old["participant"], reconnect=False) as c:
        r = server.post(f"/api/boards/{b}/rotate", old["facilitator"])
        assert r.status_code == 200
        new = r.json()["tokens"]
        assert set(new) == {"facilitator", "participant", "viewer"}
        await c.wait_for(lambda c: c.closed is not None)
        assert c.closed is not None and c.closed.code == 4401
    assert server.get(f"/api/boards/{b}/state", old["viewer"]).status_code == 401
    assert server.get(f"/api/boards/{b}/state", new["viewer"]).status_code == 200
    with pytest.raises(Closed) as refused:
        await BoardClient(server.url, b, old["facilitator"], reconnect=False).connect()
    assert refused.value.code == 4401
    async with BoardClient(server.url, b, new["participant"]) as c:
        assert (await c.push([put(note("after"))]))["ok"]


def test_pages_send_security_headers(server: ServerProcess, board: dict[str, Any]) -> None:
    for path in ("/", f"/b/{board['board']}", f"/b/{board['board']}/screen"):
        r = httpx.get(f"{server.url}{path}")
        if r.status_code == 404:
            continue  # the page itself is tested by the browser tests
        csp = r.headers["content-security-policy"]
        script_src = csp.split("script-src")[1].split(";")[0]
        assert "script-src 'self'" in csp and "unsafe-inline" not in script_src
        assert r.headers["referrer-policy"] == "no-referrer"


def test_qr_code_is_an_svg(server: ServerProcess) -> None:
    r = httpx.get(f"{server.url}/api/qr.svg", params={"data": "http://example.test/b/x"})
    assert r.status_code == 200 and r.text.startswith("<svg")
    assert httpx.get(f"{server.url}/api/qr.svg").status_code == 400


async def test_websocket_checks_the_origin(server: ServerProcess, board: dict[str, Any]) -> None:
    url = f"ws://127.0.0.1:{server.port}/api/boards/{board['board']}/ws"
    with pytest.raises(InvalidStatus):
        await connect(url, subprotocols=[Subprotocol("tussentafel.v1.json")],
                      origin=Origin("http://evil.example"))
    ws = await connect(url, subprotocols=[Subprotocol("tussentafel.v1.json")],
                       origin=Origin(f"http://127.0.0.1:{server.port}"))
    await ws.close()


async def test_metrics_count_what_happened(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path).start()
    try:
        board = proc.create_board()
        async with BoardClient(proc.url, board["board"], board["tokens"]["participant"]) as c:
            assert (await c.push([put(note("a")), put(note("b"))]))["ok"]
            assert (await c.push([{"op": "patch", "id": "a", "set": {"text": "x"}}]))["ok"]
            bad = await c.push([put({**note("c"), "x": float("1e9")})])  # |x| > 1e6
            assert bad["ok"] is False and bad["code"] == "invalid"
            text = (await asyncio.to_thread(httpx.get, f"{proc.url}/metrics")).text
        values = {line.split(" ")[0]: float(line.split(" ")[1])
                  for line in text.splitlines() if line and not line.startswith("#")}
        assert values["tussentafel_connections"] == 1
        assert values["tussentafel_ops_total"] == 4
        assert values["tussentafel_changes_total"] == 2
        assert values['tussentafel_rejects_total{code="invalid"}'] == 1
        assert values["tussentafel_ack_seconds_count"] == 3
        assert values["tussentafel_commit_seconds_count"] >= 1
    finally:
        proc.stop()


def test_admin_token_protects_board_creation(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path, env={"TUSSENTAFEL_ADMIN_TOKEN": "s3cret-admin"}).start()
    try:
        r = httpx.post(f"{proc.url}/api/boards", json={"title": "x"})
        assert r.status_code == 401 and r.json()["error"] == "unauthorized"
        r = httpx.post(f"{proc.url}/api/boards", json={"title": "x"},
                       headers={"authorization": "Bearer wrong"})
        assert r.status_code == 401
        proc.create_board(headers={"authorization": "Bearer s3cret-admin"})
    finally:
        proc.stop()


def test_tokens_survive_a_restart_and_never_reach_the_log(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path).start()
    board = proc.create_board()
    token = board["tokens"]["viewer"]
    httpx.get(f"{proc.url}/b/{board['board']}?t={token}")
    proc.stop()
    proc.start()
    try:
        assert proc.get(f"/api/boards/{board['board']}/state", token).status_code == 200
    finally:
        proc.stop()
    assert token not in proc.log.read_text()
