"""Use from other origins (docs/protocol.md §5 "Origins"): CORS, frame-ancestors,
the Origin check that does not trust Host, security headers, the refused
handshake as sync.js sees it, and the example host of examples/host."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page

from canvas_client.client import BoardClient
from tests.conftest import ROOT, ServerProcess, free_port
from tests.test_browser import Console, chromium

pytestmark = pytest.mark.timeout(90)

HOST_DIR = ROOT / "examples" / "host"
WEB = ROOT / "canvas_client" / "web"
REFUSED_PAGE = """<!doctype html><meta charset="utf-8"><title>a foreign host</title>
<script type="module">
import { BoardSync } from './sync.js';
const q = new URLSearchParams(location.search);
window.refusals = []; window.closes = [];
const sync = new BoardSync({ board: q.get('board'), token: q.get('t'), origin: q.get('server') });
sync.on('refused', (r) => window.refusals.push(r));
sync.on('closed', (c) => window.closes.push(c));
window.sync = sync;
sync.connect();
</script>
"""


class StaticServer:
    """``python -m http.server`` for a directory, on a loopback port of its own."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(self.port), "--bind", "127.0.0.1",
             "--directory", str(directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url, timeout=1).status_code < 500:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("the static server did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)


@pytest.fixture(scope="module")
def host() -> Iterator[StaticServer]:
    """examples/host on an origin the server allows."""
    static = StaticServer(HOST_DIR)
    yield static
    static.stop()


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaticServer]:
    """An origin the server does not allow, serving its own copy of sync.js."""
    root = tmp_path_factory.mktemp("foreign")
    package = json.loads((WEB / "package.json").read_text())
    for name in package["files"]:  # the package as a host would serve it
        shutil.copy(WEB / name, root / name)
    (root / "refused.html").write_text(REFUSED_PAGE)
    static = StaticServer(root)
    yield static
    static.stop()


@pytest.fixture(scope="module")
def xserver(tmp_path_factory: pytest.TempPathFactory,
            host: StaticServer) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("xserver"), env={
        "TUSSENTAFEL_ALLOWED_ORIGINS": host.url,
        "TUSSENTAFEL_FRAME_ANCESTORS": f"'self' {host.url}",
    }).start()
    yield proc
    proc.stop()


@pytest.fixture
def xboard(xserver: ServerProcess) -> dict[str, Any]:
    return xserver.create_board()


def handshake_status(port: int, board: str, host: str, origin: str) -> int:
    """The HTTP status of a WebSocket handshake with these Host and Origin headers."""
    request = (
        f"GET /api/boards/{board}/ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: tussentafel.v1.json\r\n"
        f"Origin: {origin}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(request.encode())
        head = s.recv(4096)
    return int(head.split()[1])


# -- HTTP ------------------------------------------------------------------------


def preflight(url: str, origin: str) -> httpx.Response:
    return httpx.options(url, headers={
        "origin": origin, "access-control-request-method": "GET",
        "access-control-request-headers": "authorization, content-type"})


def test_preflight_is_answered_for_an_allowed_origin_only(
        xserver: ServerProcess, xboard: dict[str, Any],
        host: StaticServer, foreign: StaticServer) -> None:
    for path in (f"/api/boards/{xboard['board']}/state", "/static/sync.js"):
        ok = preflight(f"{xserver.url}{path}", host.url)
        assert ok.status_code == 204
        assert ok.headers["access-control-allow-origin"] == host.url
        allowed = ok.headers["access-control-allow-headers"].lower()
        assert "authorization" in allowed and "content-type" in allowed
        refused = preflight(f"{xserver.url}{path}", foreign.url)
        assert refused.status_code == 403
        assert "access-control-allow-origin" not in refused.headers


def test_cors_headers_go_to_allowed_origins_only(
        xserver: ServerProcess, xboard: dict[str, Any],
        host: StaticServer, foreign: StaticServer) -> None:
    token = {"authorization": f"Bearer {xboard['tokens']['viewer']}"}
    state = f"{xserver.url}/api/boards/{xboard['board']}/state"
    ok = httpx.get(state, headers={**token, "origin": host.url})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == host.url
    assert "origin" in ok.headers["vary"].lower()
    script = httpx.get(f"{xserver.url}/static/sync.js", headers={"origin": host.url})
    assert script.headers["access-control-allow-origin"] == host.url
    other = httpx.get(state, headers={**token, "origin": foreign.url})
    assert "access-control-allow-origin" not in other.headers


def test_a_post_from_a_foreign_origin_is_refused_and_changes_nothing(
        xserver: ServerProcess, host: StaticServer, foreign: StaticServer) -> None:
    boards = f"{xserver.url}/api/boards"
    refused = httpx.post(boards, json={"title": "x"}, headers={"origin": foreign.url})
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    rebinding = httpx.post(boards, json={"title": "x"}, headers={
        "origin": "http://evil.example", "host": "evil.example"})
    assert rebinding.status_code == 403
    for origin in (host.url, xserver.url, f"http://localhost:{xserver.port}"):
        assert httpx.post(boards, json={"title": "x"},
                          headers={"origin": origin}).status_code == 201, origin


def test_a_dns_rebinding_handshake_is_refused(
        xserver: ServerProcess, xboard: dict[str, Any]) -> None:
    port, board = xserver.port, xboard["board"]
    assert handshake_status(port, board, f"evil.example:{port}",
                            f"http://evil.example:{port}") == 403
    assert handshake_status(port, board, f"127.0.0.1:{port}",
                            f"https://127.0.0.1:{port}") == 403  # the scheme counts
    assert handshake_status(port, board, f"127.0.0.1:{port}",
                            f"http://127.0.0.1:{port + 1}") == 403  # so does the port
    # loopback aliases of the listening port are this server
    for origin in (f"http://127.0.0.1:{port}", f"http://localhost:{port}"):
        assert handshake_status(port, board, f"127.0.0.1:{port}", origin) == 101, origin
    assert handshake_status(port, board, f"localhost:{port}", f"http://127.0.0.1:{port}") == 101
    # with no public URL, an IP-literal origin equal to the Host is this server (a
    # laptop in the workshop room, reached by its LAN address): no DNS name, no rebinding
    assert handshake_status(port, board, "10.0.0.5:8000", "http://10.0.0.5:8000") == 101
    assert handshake_status(port, board, "10.0.0.5:8000", "http://10.0.0.6:8000") == 403


def test_a_public_url_is_the_only_own_origin(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path, env={"TUSSENTAFEL_PUBLIC_URL": "https://board.example"})
    proc.start()
    try:
        board = proc.create_board()["board"]
        port = proc.port
        assert handshake_status(port, board, "board.example", "https://board.example") == 101
        assert handshake_status(port, board, "board.example", "http://board.example") == 403
        assert handshake_status(port, board, "10.0.0.5:8000", "http://10.0.0.5:8000") == 403
    finally:
        proc.stop()


def test_the_handshake_probe_says_why_a_handshake_is_refused(
        xserver: ServerProcess, xboard: dict[str, Any],
        host: StaticServer, foreign: StaticServer) -> None:
    url = f"{xserver.url}/api/boards/{xboard['board']}/ws"
    refused = httpx.get(url, headers={"origin": foreign.url})
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert refused.headers["access-control-allow-origin"] == "*"  # the page may read it
    ok = httpx.get(url, headers={"origin": host.url})
    assert ok.status_code == 200 and ok.json()["protocol"] == 1


def test_security_headers_on_pages_json_and_the_svg_export(
        xserver: ServerProcess, xboard: dict[str, Any],
        host: StaticServer, server: ServerProcess) -> None:
    facilitator = xboard["tokens"]["facilitator"]
    snap = xserver.post(f"/api/boards/{xboard['board']}/snapshots", facilitator,
                        {"label": "s"}).json()
    responses = {
        "json": xserver.get(f"/api/boards/{xboard['board']}/state", facilitator),
        "svg": xserver.get(f"/api/boards/{xboard['board']}/snapshots/{snap['snapshot']}.svg",
                           facilitator),
        "page": httpx.get(f"{xserver.url}/b/{xboard['board']}"),
    }
    for what, r in responses.items():
        assert r.status_code == 200, what
        assert r.headers["cache-control"] == "no-store", what
        assert r.headers["x-content-type-options"] == "nosniff", what
        assert r.headers["referrer-policy"] == "no-referrer", what
        assert f"frame-ancestors 'self' {host.url};" in r.headers["content-security-policy"]
    assert "x-frame-options" not in responses["page"].headers  # it would override the list
    default = httpx.get(f"{server.url}/api/version")
    assert "frame-ancestors 'self';" in default.headers["content-security-policy"]
    assert default.headers["x-frame-options"] == "SAMEORIGIN"
    static = httpx.get(f"{xserver.url}/static/sync.js")
    assert static.headers["x-content-type-options"] == "nosniff"
    assert static.headers.get("cache-control") != "no-store"  # scripts may be cached


# -- Chromium ----------------------------------------------------------------------


async def frame_with_board(page: Page) -> bool:
    for frame in page.frames[1:]:
        try:
            if await frame.evaluate("() => !!document.querySelector('#board')"):
                return True
        except Exception:  # an error page of a refused frame cannot be evaluated
            continue
    return False


async def embed(page: Page, origin: str, src: str) -> None:
    """Open a page of ``origin`` and put ``src`` in an iframe; wait for its load."""
    await page.goto(f"{origin}/")
    await page.evaluate(
        """(src) => new Promise((done) => {
             const f = document.createElement('iframe');
             f.style.width = '900px'; f.style.height = '600px';
             f.onload = () => done(); f.src = src; document.body.append(f); })""", src)


@pytest.mark.browser
async def test_board_page_embeds_in_an_allowed_origin_not_in_a_foreign_one(
        xserver: ServerProcess, xboard: dict[str, Any],
        host: StaticServer, foreign: StaticServer) -> None:
    src = f"{xserver.url}/b/{xboard['board']}?t={xboard['tokens']['participant']}"
    async with chromium() as browser:
        page = await browser.new_page()
        await embed(page, host.url, src)
        frame = next((f for f in page.frames if "/b/" in f.url), None)
        assert frame is not None, "the board page did not load in the frame"
        await frame.fill("#name-prompt-input", "Ada")
        await frame.press("#name-prompt-input", "Enter")
        await frame.wait_for_selector("body[data-connection=live]", timeout=10_000)
        refusals: list[str] = []
        other = await browser.new_page()
        other.on("console", lambda m: refusals.append(m.text) if "frame" in m.text else None)
        await embed(other, foreign.url, src)
        assert not await frame_with_board(other)
        assert any("frame-ancestors" in text for text in refusals), refusals


@pytest.mark.browser
async def test_a_refused_handshake_emits_refused_with_the_status(
        xserver: ServerProcess, xboard: dict[str, Any], foreign: StaticServer) -> None:
    query = (f"?server={xserver.url}&board={xboard['board']}"
             f"&t={xboard['tokens']['participant']}")
    async with chromium() as browser:
        page = await browser.new_page()
        await page.goto(f"{foreign.url}/refused.html{query}")
        await page.wait_for_function("() => window.refusals.length > 0", timeout=10_000)
        refusal = await page.evaluate("() => window.refusals[0]")
        assert refusal["status"] == 403 and refusal["code"] == "forbidden"
        assert await page.evaluate("() => window.sync.status") == "closed"
        closed = await page.evaluate("() => window.closes[0]")
        assert closed["status"] == 403


def _plain(elements: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {eid: dict(el) for eid, el in elements.items()}


@pytest.mark.browser
async def test_the_example_host_edits_converge_with_a_python_client_and_the_state(
        xserver: ServerProcess, xboard: dict[str, Any], host: StaticServer) -> None:
    board, token = xboard["board"], xboard["tokens"]["participant"]
    console = Console()
    async with BoardClient(xserver.url, board, token, name="Python") as py, chromium() as browser:
        domain = {"id": "py-d", "kind": "domain", "x": -100, "y": 0, "z": "a0",
                  "label": "Wonen", "r": 60}
        assert (await py.push([{"op": "put", "el": domain}]))["ok"]
        page = console.watch(await browser.new_page())
        await page.goto(f"{host.url}/?server={xserver.url}&board={board}&t={token}")
        await page.wait_for_selector("body[data-host=live]", timeout=10_000)
        await page.wait_for_selector("[data-host-id=py-d][data-host-kind=domain]")

        for button in ("#add-domain", "#add-vote", "#add-role"):
            await page.click(button)
        await py.wait_for(lambda c: len(c.elements) == 4)
        kinds = sorted(el["kind"] for el in py.elements.values())
        assert kinds == ["domain", "domain", "grade_vote", "role_card"]
        made = {el["kind"]: eid for eid, el in py.elements.items() if eid != "py-d"}

        x_before = py.elements[made["role_card"]]["x"]
        await page.dispatch_event(f"[data-host-id={made['role_card']}]", "click")
        await page.click("#move")
        await py.wait_for(lambda c: c.elements[made["role_card"]]["x"] == x_before + 40)
        await page.dispatch_event(f"[data-host-id={made['grade_vote']}]", "click")
        await page.click("#delete")
        await py.wait_for(lambda c: made["grade_vote"] not in c.elements)

        assert (await py.push([{"op": "patch", "id": "py-d", "set": {"x": 150}}]))["ok"]
        await page.wait_for_selector("[data-host-id=py-d] circle[cx='150']")
        assert await page.evaluate("() => window.host.sync.clock") == py.clock

        # presence: a cursor, then null clears it for the others
        host_you = await page.evaluate("() => window.host.sync.you")
        await page.evaluate("() => window.host.sync.presence({ cursor: [5, 6] })")
        await py.wait_for(lambda c: (c.participants.get(host_you) or {}).get("cursor") == [5, 6])
        await page.evaluate("() => window.host.sync.presence({ cursor: null })")
        await py.wait_for(lambda c: c.participants[host_you].get("cursor", "absent") is None)

        # the host's beforePush refuses a kind it does not make; nothing changes
        refused = await page.evaluate("""() => { try { window.host.sync.push([{ op: 'put',
            el: { id: 'n1', kind: 'note', x: 0, y: 0, z: 'a', text: '', w: 1, h: 1 } }]);
            return false; } catch (e) { return true; } }""")
        assert refused and not await page.evaluate("() => window.host.sync.elements.has('n1')")
        # two instances in one tab get two client ids
        ids = await page.evaluate(f"""async () => {{
            const {{ BoardSync }} = await import('{xserver.url}/static/sync.js');
            const a = new BoardSync({{ board: 'b', token: 't', origin: '{xserver.url}' }});
            const b = new BoardSync({{ board: 'b', token: 't', origin: '{xserver.url}' }});
            return [a.clientId, b.clientId, window.host.sync.clientId]; }}""")
        assert len(set(ids)) == 3

        in_host = await page.evaluate("() => Object.fromEntries(window.host.sync.elements)")
        state = xserver.state(board, xboard["tokens"]["viewer"])
        assert state["clock"] == py.clock
        assert in_host == _plain(py.elements) == {el["id"]: el for el in state["elements"]}
        shapes = await page.eval_on_selector_all("[data-host-id]", "gs => gs.length")
        assert shapes == 3  # the domain circles and the role card
    assert console.errors == []
