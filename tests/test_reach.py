"""Links that reach the room (server/web/reach.py): a page opened on the server's own
machine as ``localhost`` still hands out links and QR codes the phones can open, and a
server that listens on loopback only says so on the landing page."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from server.web import reach
from tests.conftest import ROOT, ServerProcess, free_port
from tests.test_browser import chromium, open_board

WILD = ["--host", "0.0.0.0"]


def loopback(url: str) -> bool:
    return reach.is_loopback(urlsplit(url).hostname or "")


# -- the rules -------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "localhost", "LocalHost",
                                  "app.localhost", "::1", "[::1]"])
def test_loopback_hosts(host: str) -> None:
    assert reach.is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "tafel.example.org", "::", ""])
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not reach.is_loopback(host)


def test_share_base_keeps_a_reachable_request_and_prefers_the_public_url() -> None:
    assert reach.share_base("http://192.168.1.20:8000/", "0.0.0.0", None) == (
        "http://192.168.1.20:8000")
    assert reach.share_base("http://localhost:8000/", "0.0.0.0", "https://tafel.nl/") == (
        "https://tafel.nl")
    # listening on loopback only: nothing better to offer than what came in
    assert reach.share_base("http://localhost:8000/", "127.0.0.1", None) == (
        "http://localhost:8000")
    # listening on one LAN address: that one, on the port the request used
    assert reach.share_base("http://127.0.0.1:8123/", "192.168.1.20", None) == (
        "http://192.168.1.20:8123")
    assert reach.share_base("http://[::1]:8123/", "fd00::5", None) == "http://[fd00::5]:8123"


def test_the_lan_address_is_found_without_sending_anything() -> None:
    address = reach.lan_address()
    assert address is not None  # this machine has one (eth0)
    ip = ipaddress.ip_address(address)
    assert not ip.is_loopback and not ip.is_unspecified


def test_startup_lines_name_what_to_open_and_what_to_share() -> None:
    lines = "\n".join(reach.startup_lines("0.0.0.0", 8000, None))
    assert "http://127.0.0.1:8000" in lines and f"http://{reach.lan_address()}:8000" in lines
    assert "0.0.0.0" not in lines
    lines = "\n".join(reach.startup_lines("127.0.0.1", 8000, None))
    assert "cannot join" in lines and "tussentafel serve --host 0.0.0.0" in lines
    assert "https://tafel.nl" in "\n".join(reach.startup_lines("0.0.0.0", 80, "https://tafel.nl"))


def test_serve_prints_the_urls_to_open_and_share(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--host", "0.0.0.0", "--port", str(port),
         "--data", str(tmp_path), "--log-level", "warning"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
    finally:
        proc.terminate()
        proc.wait(10)
    text = "".join(lines)
    assert f"http://127.0.0.1:{port}" in text and f"http://{reach.lan_address()}:{port}" in text
    assert "0.0.0.0" not in text


# -- a server bound to every interface ----------------------------------------------


@pytest.fixture
def wide_server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path / "data", args=WILD).start()  # still reached on 127.0.0.1
    yield proc
    proc.stop()


def test_a_board_made_through_localhost_gets_links_the_room_can_reach(
    wide_server: ServerProcess,
) -> None:
    port = wide_server.port
    r = httpx.post(f"{wide_server.url}/api/boards", json={"title": "Room"},
                   headers={"host": f"localhost:{port}"}, timeout=10)
    assert r.status_code == 201, r.text
    made = r.json()
    for role in ("facilitator", "participant", "viewer"):
        url = made["links"][role]
        assert not loopback(url), url
        assert urlsplit(url).hostname == reach.lan_address() and urlsplit(url).port == port
    info = httpx.get(f"{wide_server.url}/api/reach", headers={"host": f"[::1]:{port}"}).json()
    assert info == {"base": f"http://{reach.lan_address()}:{port}", "loopback_only": False}
    # rotated links too
    rotated = httpx.post(f"{wide_server.url}/api/boards/{made['board']}/rotate",
                         headers={"host": f"127.0.0.1:{port}", "content-type": "application/json",
                                  "authorization": f"Bearer {made['tokens']['facilitator']}"})
    assert not loopback(rotated.json()["links"]["participant"])


def test_the_public_url_wins(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path / "data", args=WILD,
                         env={"TUSSENTAFEL_PUBLIC_URL": "https://tafel.example.nl/"}).start()
    try:
        made = proc.create_board("Public")
        assert made["links"]["participant"].startswith("https://tafel.example.nl/b/")
    finally:
        proc.stop()


async def test_landing_and_projector_qr_codes_point_past_loopback(
    wide_server: ServerProcess,
) -> None:
    local = f"http://localhost:{wide_server.port}"
    async with chromium() as browser:
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(local + "/")
        await page.fill("#title", "Hofplein")
        await page.click("#create")
        await page.wait_for_selector("#result:not([hidden])")
        participant = await page.input_value(".link-row[data-role=participant] input")
        assert not loopback(participant), participant
        src = await page.get_attribute("#qr-img", "src")
        assert src is not None
        qr_url = parse_qs(urlsplit(src).query)["data"][0]
        assert qr_url == participant and not loopback(qr_url)
        assert await page.locator("#reach-warning").count() == 0

        # the projector opened on this machine shows a join code for the room
        viewer = await page.input_value(".link-row[data-role=viewer] input")
        local_viewer = local + viewer[viewer.index("/b/"):]
        screen = await open_board(browser, local_viewer)
        await screen.wait_for_function(
            "() => /qr\\.svg\\?data=/.test(document.querySelector('#join img')?.src || '')"
            " && !/localhost|127\\.0\\.0\\.1/.test(decodeURIComponent("
            "document.querySelector('#join img').src.split('data=')[1]))", timeout=5000)


async def test_a_loopback_only_server_says_phones_cannot_join(server: ServerProcess) -> None:
    async with chromium() as browser:
        for lang, words in (("nl", "Telefoons kunnen nog niet meedoen"),
                            ("en", "Phones cannot join yet")):
            context = await browser.new_context(locale=lang)
            page = await context.new_page()
            await page.goto(server.url + "/")
            warning = page.locator("#reach-warning")
            await warning.wait_for(timeout=5000)
            text = await warning.text_content()
            assert text and words in text and "tussentafel serve --host 0.0.0.0" in text
            await context.close()


def test_reach_of_a_loopback_only_server(server: ServerProcess) -> None:
    info = httpx.get(f"{server.url}/api/reach").json()
    assert info == {"base": server.url, "loopback_only": True}
