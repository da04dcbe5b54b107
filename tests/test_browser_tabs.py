"""Tabs of one browser, headless Chromium against a real server: a duplicated tab
(its sessionStorage copied, so the client id) takes a client id of its own
while a reload keeps it; a tab closed with unsent edits has them sent by the
next tab of the board, as the closed tab's participant and exactly once; and a
closed tab's batch that had in fact been committed is not applied again.

The network of one page is cut with Playwright's WebSocket routing: its sockets
either go through to the server or open onto nothing (no welcome ever comes).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, WebSocketRoute

from canvas_client.client import BoardClient
from tests.conftest import ROOT, ServerProcess
from tests.test_browser import VIEWPORT, add_note_by_hand, chromium, link, open_in
from tests.test_browser_integrity import until

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

WS = re.compile(r"/api/boards/[^/]+/ws$")
EN = json.loads((ROOT / "canvas_client" / "web" / "locales" / "en.json").read_text("utf-8"))
NO_WEB_LOCKS = "Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined });"


class Network:
    """One page's WebSockets: through to the server while `up`, else opened onto
    nothing; with `drop_acks`, the server's acks never reach the page."""

    def __init__(self) -> None:
        self.up = True
        self.drop_acks = False
        self.open: list[WebSocketRoute] = []

    async def attach(self, page: Page) -> None:
        await page.route_web_socket(WS, self._route)

    def _route(self, ws: WebSocketRoute) -> None:
        self.open.append(ws)
        if not self.up:
            return  # mocked: it opens, and nobody answers the hello
        server = ws.connect_to_server()

        def to_page(message: str | bytes) -> None:
            if self.drop_acks and isinstance(message, str):
                decoded = json.loads(message)
                if decoded.get("type") == "ack":
                    return
                if decoded.get("type") == "bundle":
                    kept = [m for m in decoded["messages"] if m.get("type") != "ack"]
                    if not kept:
                        return
                    message = json.dumps({**decoded, "messages": kept})
            ws.send(message)

        server.on_message(to_page)

    async def cut(self) -> None:
        """The Wi-Fi drops: the open sockets close, new ones get no answer."""
        await self._switch(False)

    async def restore(self) -> None:
        """The Wi-Fi is back: the dead sockets close, new ones reach the server."""
        await self._switch(True)

    async def _switch(self, up: bool) -> None:
        self.up = up
        for ws in self.open:
            await ws.close(code=4000, reason="network")
        self.open.clear()


async def routed_page(context: BrowserContext, url: str, name: str | None,
                      network: Network) -> Page:
    return await open_in(context, url, name, prepare=network.attach)


async def sync_value(page: Page, expression: str) -> Any:
    return await page.evaluate(f"() => window.tussentafel.sync.{expression}")


async def stored(page: Page, key: str) -> Any:
    text = await page.evaluate("k => localStorage.getItem(k)", key)
    return None if text is None else json.loads(text)


async def tabs_context(browser: Browser, web_locks: bool = True) -> BrowserContext:
    """A browser context like a laptop's; without ``web_locks`` like a plain-http
    page on a LAN (no Web Locks: the live-tab marks decide)."""
    context = await browser.new_context(viewport=VIEWPORT)
    if not web_locks:
        await context.add_init_script(NO_WEB_LOCKS)
    return context


def toast_text(n: int) -> str:
    if n == 1:
        return str(EN["outbox.recovered_one"])
    return str(EN["outbox.recovered_many"]).replace("{n}", str(n))


def state(server: ServerProcess, board: dict[str, Any]) -> dict[str, Any]:
    return server.state(board["board"], board["tokens"]["viewer"])


def element(server: ServerProcess, board: dict[str, Any], eid: str) -> dict[str, Any] | None:
    found = [el for el in state(server, board)["elements"] if el["id"] == eid]
    assert len(found) <= 1
    return found[0] if found else None


async def test_a_duplicated_tab_takes_a_client_id_of_its_own_and_a_reload_keeps_it(
    server: ServerProcess,
) -> None:
    board = server.create_board("Tabs", "blank")
    url = link(board, "participant")
    async with chromium() as browser:
        context = await browser.new_context(viewport=VIEWPORT)
        first = await open_in(context, url, "Ada")
        mine = await sync_value(first, "clientId")
        assert await first.evaluate("() => sessionStorage.getItem('tussentafel.client')") == mine

        # "Duplicate tab": a new tab whose sessionStorage is a copy of the first's
        copy = await context.new_page()
        await copy.goto(f"{server.url}/healthz")  # same origin, no app yet
        await copy.evaluate("id => sessionStorage.setItem('tussentafel.client', id)", mine)
        await copy.goto(url)
        await copy.wait_for_selector("body[data-connection=live]", timeout=10_000)
        theirs = await sync_value(copy, "clientId")
        assert theirs != mine
        assert await copy.evaluate("() => sessionStorage.getItem('tussentafel.client')") == theirs
        # two participants, each online (one cursor each), not one shared by both tabs
        assert await sync_value(copy, "you") != await sync_value(first, "you")
        await first.wait_for_function(
            "() => [...window.tussentafel.sync.participants.values()]"
            ".filter(p => p.online && p.name === 'Ada').length === 2", timeout=5000)

        # a link opened from the board in a new tab (window.open keeps the opener)
        async with context.expect_page() as opened:
            await first.evaluate("() => { window.open(location.href); }")
        other = await opened.value
        await other.wait_for_selector("body[data-connection=live]", timeout=10_000)
        assert await sync_value(other, "clientId") not in {mine, theirs}

        # a reload is the same tab: same id, same participant
        you = await sync_value(first, "you")
        await first.reload()
        await first.wait_for_selector("body[data-connection=live]", timeout=10_000)
        assert await sync_value(first, "clientId") == mine
        assert await sync_value(first, "you") == you
        await copy.reload()
        await copy.wait_for_selector("body[data-connection=live]", timeout=10_000)
        assert await sync_value(copy, "clientId") == theirs
        await context.close()


@pytest.mark.parametrize("web_locks", [True, False], ids=["web-locks", "marks-only"])
async def test_a_closed_tabs_unsent_edit_is_sent_by_the_next_tab_as_that_tab(
    server: ServerProcess, web_locks: bool,
) -> None:
    board = server.create_board("Phone", "blank")
    url = link(board, "participant")
    async with chromium() as browser:
        context = await tabs_context(browser, web_locks)
        network = Network()
        phone = await routed_page(context, url, "Ada", network)
        assert await phone.evaluate("() => !!navigator.locks") is web_locks
        client, you = await sync_value(phone, "clientId"), await sync_value(phone, "you")
        clock = state(server, board)["clock"]

        await network.cut()
        await phone.wait_for_selector("body[data-connection=reconnecting]", timeout=10_000)
        eid = await add_note_by_hand(phone, "written on the train")
        key = f"tussentafel:outbox:{board['board']}:{client}"
        batches = await stored(phone, key)  # the note, then its text
        assert batches and batches[0]["ops"][0]["el"]["id"] == eid, batches
        await phone.close(run_before_unload=True)  # closed, not reloaded
        assert element(server, board, eid) is None

        # later, online again: a new tab of the board (its own sessionStorage)
        later = await open_in(context, url)
        assert await sync_value(later, "clientId") != client
        await until(lambda: element(server, board, eid) is not None)
        note = element(server, board, eid)
        assert note is not None and note["text"] == "written on the train"
        assert note["author"] == you  # the closed tab's participant, as if it had sent it
        await later.wait_for_selector(f"[data-id='{eid}']", timeout=5000)
        await later.wait_for_function("k => localStorage.getItem(k) === null", arg=key)
        assert await stored(later, f"tussentafel:tab:{client}") is None
        await later.wait_for_function(
            "text => document.querySelector('#toast')?.textContent === text",
            arg=toast_text(len(batches)), timeout=5000)
        await asyncio.sleep(0.5)
        assert state(server, board)["clock"] == clock + len(batches)  # each exactly once
        await context.close()


async def test_a_closed_tabs_batch_that_was_committed_is_not_applied_again(
    server: ServerProcess,
) -> None:
    board = server.create_board("Lost ack", "blank")
    url = link(board, "participant")
    async with chromium() as browser:
        context = await browser.new_context(viewport=VIEWPORT)
        network = Network()
        ada = await routed_page(context, url, "Ada", network)
        client = await sync_value(ada, "clientId")
        key = f"tussentafel:outbox:{board['board']}:{client}"

        # committed, but the ack is lost: the batch stays in the outbox
        network.drop_acks = True
        eid = await add_note_by_hand(ada, "Ada's first words")
        await until(lambda: element(server, board, eid) is not None)
        batches = await stored(ada, key)  # the note, then its text
        assert batches and batches[0]["ops"][0]["el"]["id"] == eid
        await until(lambda: (element(server, board, eid) or {}).get("text") == "Ada's first words")

        # someone else changes the note after that
        async with BoardClient(server.url, board["board"], board["tokens"]["participant"],
                               name="Bob", encoding="json") as bob:
            await bob.push([{"op": "patch", "id": eid, "set": {"text": "Bob's newer words"}}])
        after = state(server, board)
        await ada.close(run_before_unload=True)  # the tab closes before the ack came

        later = await open_in(context, url)
        await later.wait_for_function("k => localStorage.getItem(k) === null", arg=key,
                                      timeout=10_000)
        await asyncio.sleep(0.5)
        now = state(server, board)
        assert now["clock"] == after["clock"]  # nothing applied again
        note = element(server, board, eid)
        assert note is not None and note["text"] == "Bob's newer words"
        assert now == after
        await context.close()


@pytest.mark.parametrize("web_locks", [True, False], ids=["web-locks", "marks-only"])
async def test_a_live_tabs_unsent_edits_are_left_to_it(
    server: ServerProcess, web_locks: bool,
) -> None:
    board = server.create_board("Two tabs", "blank")
    url = link(board, "participant")
    async with chromium() as browser:
        context = await tabs_context(browser, web_locks)
        network = Network()
        ada = await routed_page(context, url, "Ada", network)
        client, you = await sync_value(ada, "clientId"), await sync_value(ada, "you")
        clock = state(server, board)["clock"]
        await network.cut()
        await ada.wait_for_selector("body[data-connection=reconnecting]", timeout=10_000)
        eid = await add_note_by_hand(ada, "still in this tab")
        key = f"tussentafel:outbox:{board['board']}:{client}"
        batches = await stored(ada, key)
        assert batches

        # another tab of the board opens while this one is alive (offline)
        other = await open_in(context, url)
        await asyncio.sleep(1.5)  # past its welcome and any recovery it would start
        assert await stored(other, key) == batches
        assert element(server, board, eid) is None
        assert state(server, board)["clock"] == clock

        # back online, the tab sends its own edits
        await network.restore()
        await ada.wait_for_selector("body[data-connection=live]", timeout=10_000)
        await until(lambda: (element(server, board, eid) or {}).get("text") == "still in this tab")
        note = element(server, board, eid)
        assert note is not None and note["author"] == you
        await ada.wait_for_function("k => localStorage.getItem(k) === null", arg=key)
        assert state(server, board)["clock"] == clock + len(batches)
        await context.close()
