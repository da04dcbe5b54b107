"""Integrity of shared work in the browser (issue 11), headless Chromium against a
real server: an edit made offline survives a reload and arrives once, locked
scaffolding survives a marquee delete, deleting others' work asks first, the
facilitator's bin and undo bring elements back with their id and author, the
private round's count, and cursors that leave the board disappear for the others.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from playwright.async_api import Dialog, Page
from playwright.async_api import Error as PlaywrightError

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess, note, put
from tests.test_browser import IMAGES, add_note_by_hand, chromium, link, open_board

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

TERRITORY = "tpl-frame-territory"


def elements(server: ServerProcess, board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    state = server.state(board["board"], board["tokens"]["facilitator"])
    return {el["id"]: el for el in state["elements"]}


async def until(check: Any, timeout: float = 10.0) -> None:
    """Wait (bounded) until ``check()`` is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def world_to_page(page: Page, x: float, y: float) -> tuple[float, float]:
    sx, sy = await page.evaluate("([x, y]) => window.tussentafel.view.toScreen(x, y)", [x, y])
    box = await page.locator("#board").bounding_box()
    assert box is not None
    return box["x"] + sx, box["y"] + sy


async def marquee(page: Page, x0: float, y0: float, x1: float, y1: float) -> None:
    """A select-tool drag over empty board from world (x0, y0) to (x1, y1)."""
    await page.click("[data-tool=select]")
    await page.mouse.move(*await world_to_page(page, x0, y0))
    await page.mouse.down()
    ex, ey = await world_to_page(page, x1, y1)
    await page.mouse.move(ex - 40, ey - 40, steps=4)
    await page.mouse.move(ex, ey, steps=4)
    await page.mouse.up()


def answer(page: Page, accept: bool, seen: list[str]) -> None:
    async def on_dialog(dialog: Dialog) -> None:
        seen.append(dialog.message)
        await (dialog.accept() if accept else dialog.dismiss())

    page.once("dialog", on_dialog)


async def test_an_edit_made_offline_survives_a_reload_and_arrives_once(
    fresh_server: ServerProcess,
) -> None:
    server = fresh_server.start()
    board = server.create_board("Outage", "blank")
    async with chromium() as browser:
        ada = await open_board(browser, link(board, "participant"), "Ada")
        eid = await add_note_by_hand(ada, "before the outage")
        await until(lambda: elements(server, board).get(eid, {}).get("text") == "before the outage")
        clock = server.state(board["board"], board["tokens"]["facilitator"])["clock"]

        server.kill()  # the Wi-Fi drops
        await ada.wait_for_selector("body[data-connection=reconnecting]", timeout=10_000)
        await ada.click(f"[data-id='{eid}']")
        await ada.keyboard.press("Enter")
        await ada.fill("#inline-editor", "written during the outage")
        await ada.press("#inline-editor", "Enter")
        key = await ada.evaluate(
            "() => Object.keys(localStorage).find(k => k.startsWith('tussentafel:outbox:'))")
        assert key and key.endswith(await ada.evaluate("window.tussentafel.sync.clientId"))
        stored = json.loads(await ada.evaluate("k => localStorage.getItem(k)", key))
        (batch,) = stored
        assert batch["ops"][0]["set"]["text"] == "written during the outage"

        url = ada.url
        with pytest.raises(PlaywrightError):  # reloading while the server is away
            await ada.reload()
        server.start()  # back on the same port and data dir
        await ada.goto(url)  # the person reloads again: the stored edit goes out
        await ada.wait_for_selector("body[data-connection=live]", timeout=20_000)
        await until(lambda: elements(server, board)[eid]["text"] == "written during the outage")
        await ada.wait_for_function(
            "k => localStorage.getItem(k) === null"
            " && window.tussentafel.sync.replica.pending.size === 0",
            arg=key)
        assert server.state(board["board"], board["tokens"]["facilitator"])["clock"] == clock + 1

        # the batch kept its id: sending it again (as a reload before the ack would)
        # gets the original ack and changes nothing
        again = await ada.evaluate(
            """(batch) => new Promise((resolve) => {
                 const sync = window.tussentafel.sync;
                 const off = sync.on('ack', (ack) => {
                   if (ack.id === batch.id) { off(); resolve(ack); }
                 });
                 sync.replica.local(batch.id, batch.ops);
                 sync._send({ type: 'push', id: batch.id, ops: batch.ops });
               })""",
            batch)
        assert again["ok"] and again["clock"] == clock + 1
        assert server.state(board["board"], board["tokens"]["facilitator"])["clock"] == clock + 1


async def test_scaffolding_stays_others_work_asks_and_the_bin_restores_it(
    server: ServerProcess,
) -> None:
    board = server.create_board("Atelier Hofplein", "atelier")
    async with BoardClient(server.url, board["board"], board["tokens"]["participant"],
                           name="Bob", encoding="json") as bob:
        await bob.push([put(note("bobs-note", "Water storage under the field", x=700, y=1300,
                                 z="c1", parent=TERRITORY))])
        author = bob.you
        async with chromium() as browser:
            ada = await open_board(browser, link(board, "participant"), "Ada")
            fac = await open_board(browser, link(board, "facilitator"), "Fatima")
            await ada.wait_for_selector("[data-id='bobs-note']")
            before = elements(server, board)
            locked = {eid for eid, el in before.items() if el.get("locked") is True}
            assert TERRITORY in locked

            # cancelling the question deletes nothing, not even half
            seen: list[str] = []
            answer(ada, False, seen)
            await marquee(ada, -50, 950, 1450, 1950)
            chosen = await ada.evaluate("[...window.tussentafel.editor.selection]")
            assert TERRITORY in chosen and "bobs-note" in chosen
            await ada.keyboard.press("Delete")
            await until(lambda: len(seen) == 1)
            assert "Bob" in seen[0]
            await ada.wait_for_selector("#toast.show[data-kind=info]")
            assert elements(server, board).keys() == before.keys()

            # accepting deletes Bob's note only: the locked scaffolding stays
            answer(ada, True, seen)
            await ada.keyboard.press("Delete")
            await until(lambda: "bobs-note" not in elements(server, board))
            after = elements(server, board)
            assert locked <= after.keys() and after.keys() == before.keys() - {"bobs-note"}

            # the facilitator's bin lists it with who deleted it, and restores it
            await fac.click("#tabs [data-tab=bin]")
            row = fac.locator("[data-deleted='bobs-note']")
            await row.wait_for()
            assert "Ada" in await row.inner_text()
            # with the bin open, a new delete shows up on its own, newest first
            await bob.push([put(note("bobs-draft", "Draft", x=800, y=1500, z="c2"))])
            await bob.push([{"op": "del", "id": "bobs-draft"}])
            await fac.wait_for_selector("#bin-list li:first-child[data-deleted='bobs-draft']")
            assert "Bob" in await fac.inner_text("[data-deleted='bobs-draft']")
            await fac.check("[data-deleted='bobs-draft'] input[type=checkbox]")
            await fac.locator("#bin").screenshot(path=str(IMAGES / "bin.png"))
            await row.locator(".bin-restore-one").click()
            await until(lambda: "bobs-note" in elements(server, board))
            back = elements(server, board)["bobs-note"]
            assert back["author"] == author and back["text"] == before["bobs-note"]["text"]
            await fac.wait_for_selector("[data-deleted='bobs-note']", state="detached")
            # and several at once
            await fac.click("#bin-restore")
            await fac.wait_for_selector("#bin-empty")
            assert elements(server, board)["bobs-draft"]["author"] == author

            # every page shows it again, by Bob
            for page in (ada, fac):
                await page.wait_for_selector("[data-id='bobs-note']")
                await page.click("[data-tool=select]")
                await page.click("[data-id='bobs-note']")
                await page.wait_for_function(
                    "() => (document.querySelector('#inspector .by') || {})"
                    ".textContent?.includes('Bob')")
            await bob.wait_for(lambda c: "bobs-note" in c.elements)
            assert bob.elements["bobs-note"]["author"] == author


async def test_undo_of_a_delete_keeps_the_id_and_the_author(server: ServerProcess) -> None:
    board = server.create_board("Undo", "blank")
    async with BoardClient(server.url, board["board"], board["tokens"]["participant"],
                           name="Bob", encoding="json") as bob:
        await bob.push([put(note("bobs-idea", "Bob's idea", x=100, y=100, z="a1"))])
        async with chromium() as browser:
            ada = await open_board(browser, link(board, "participant"), "Ada")
            await ada.click("[data-id='bobs-idea']")
            seen: list[str] = []
            answer(ada, True, seen)
            await ada.keyboard.press("Delete")
            await until(lambda: "bobs-idea" not in elements(server, board))
            assert len(seen) == 1 and "Bob" in seen[0]
            await ada.keyboard.press("Control+z")
            await until(lambda: "bobs-idea" in elements(server, board))
            back = elements(server, board)
            assert list(back) == ["bobs-idea"] and back["bobs-idea"]["author"] == bob.you
            await ada.wait_for_selector("[data-id='bobs-idea']")


async def test_the_private_round_count_shows_on_the_projector_and_the_participants_page(
    server: ServerProcess,
) -> None:
    board = server.create_board("Private", "blank")
    async with chromium() as browser:
        fac = await open_board(browser, link(board, "facilitator"), "Fatima")
        ada = await open_board(browser, link(board, "participant"), "Ada")
        screen = await open_board(browser, link(board, "viewer"))
        await fac.click("#tabs [data-tab=facilitate]")
        await fac.click("#private-start")
        for page in (ada, screen):
            await page.wait_for_selector("#private-count[data-count='0']")
        await add_note_by_hand(ada, "first thought")
        async with BoardClient(server.url, board["board"], board["tokens"]["participant"],
                               name="Bob", encoding="json") as bob:
            await bob.push([put(note("bob-private", "second", x=400, y=100, z="b1",
                                     private=True))])
            for page in (ada, screen, fac):
                await page.wait_for_selector("#private-count[data-count='2']")
            words = await screen.inner_text("#private-count")
            assert "2" in words and words == await ada.inner_text("#private-count")
            # a page opened now gets the count from the welcome
            late = await open_board(browser, link(board, "viewer"))
            await late.wait_for_selector("#private-count[data-count='2']")


async def test_a_cursor_that_leaves_the_board_disappears_for_the_others(
    server: ServerProcess,
) -> None:
    board = server.create_board("Cursors", "blank")
    async with chromium() as browser:
        ada = await open_board(browser, link(board, "participant"), "Ada")
        bob = await open_board(browser, link(board, "participant"), "Bob")
        you = await ada.evaluate("window.tussentafel.sync.you")
        box = await ada.locator("#board").bounding_box()
        assert box is not None
        await ada.mouse.move(box["x"] + 300, box["y"] + 300)
        await ada.mouse.move(box["x"] + 320, box["y"] + 310, steps=3)
        await bob.wait_for_selector(f".cursor[data-participant='{you}']")
        await ada.mouse.move(box["x"] + 300, 5, steps=3)  # up into the top bar
        await bob.wait_for_selector(f".cursor[data-participant='{you}']", state="detached")
        cursor = await bob.evaluate(f"window.tussentafel.sync.participants.get('{you}').cursor")
        assert cursor is None
