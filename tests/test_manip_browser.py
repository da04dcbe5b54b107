"""Direct manipulation and editing basics in the editor (canvas_client/web/manip.js),
in headless Chromium against a real server: drags of grade markers and milestones,
arrow-key nudges, copy / paste / duplicate, double-click notes, Escape on an empty
new note, Tab and Enter."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.async_api import Page

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess, note, put
from tests.test_browser import IMAGES, chromium, el, link, open_board, stage_point

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def elements(server: ServerProcess, board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    state = server.state(board["board"], board["tokens"]["viewer"])
    return {e["id"]: e for e in state["elements"]}


async def center(page: Page, selector: str) -> tuple[float, float]:
    box = await page.locator(selector).bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


async def drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    await page.mouse.move(*start)
    await page.mouse.down()
    await page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, steps=4)
    await page.mouse.move(*end, steps=4)


def poll(server: ServerProcess, board: dict[str, Any], check: Any, tries: int = 100) -> Any:
    """The board's elements once ``check(elements)`` holds (bounded)."""
    for _ in range(tries):
        els = elements(server, board)
        if check(els):
            return els
        time.sleep(0.05)
    raise AssertionError(f"never held: {els}")


async def board_with(server: ServerProcess, title: str, ops: list[dict[str, Any]]) -> Any:
    """A new blank board holding what the facilitator put on it."""
    board = server.create_board(title, "blank")
    async with BoardClient(server.url, board["board"], board["tokens"]["facilitator"],
                           name="Fay") as fay:
        await fay.push(ops)
    return board


TIME_BOARD = [
    el("grade_scale", "scale", 100, 60, label="Working together on Hofplein", z="a0"),
    el("lane", "lane-a", 100, 300, label="Municipality", start="2027-01-01",
       end="2027-06-30", z="a1"),
    el("lane", "lane-b", 100, 420, label="Neighbourhood", start="2027-01-01",
       end="2027-06-30", z="a2"),
    el("milestone", "ms", lane="lane-a", date="2027-02-01", label="Council decision",
       milestone="decision"),
    el("milestone", "ms-b", lane="lane-b", date="2027-04-12", label="Street meeting",
       milestone="ritual"),
    el("grade_vote", "gv", scale="scale", grade="fragmented", aspect="current"),
    el("grade_vote", "gv-a", scale="scale", grade="coordinated", aspect="ambition"),
]


async def test_dragging_a_grade_marker_and_a_milestone_changes_grade_and_date(
    server: ServerProcess,
) -> None:
    board = await board_with(server, "Time", TIME_BOARD)
    async with chromium() as browser:
        page = await open_board(browser, link(board, "facilitator"), "Fay")
        await page.wait_for_selector('[data-id="gv"] circle')
        IMAGES.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(IMAGES / "editor-time.png"))

        # the grade marker, dropped in the "integrated" column
        start = await center(page, '[data-id="gv"] circle')
        end = await center(page, '[data-id="scale"] rect.grade-col[data-grade=integrated]')
        await drag(page, start, (end[0], start[1]))
        await page.mouse.up()
        poll(server, board, lambda els: els["gv"]["grade"] == "integrated")

        # the milestone, dragged to the right along its lane: a later date, shown meanwhile
        start = await center(page, '[data-id="ms"] path')
        await drag(page, start, (start[0] + 150, start[1] + 40))
        shown = await page.locator(".preview text.drag-date").text_content()
        assert shown and "2027" in shown
        await page.mouse.up()
        els = poll(server, board, lambda els: els["ms"]["date"] > "2027-02-20")
        assert els["ms"]["lane"] == "lane-a" and els["ms"]["date"] <= "2027-06-30"
        # the lane names its months, the milestone shows its date
        assert await page.locator('[data-id="lane-a"] text.tick').count() >= 5
        assert await page.locator('[data-id="ms-b"] text.date').count() == 1


async def test_arrow_keys_nudge_and_copy_paste_duplicate(server: ServerProcess) -> None:
    board = await board_with(server, "Keys", [
        put(note("n1", "Sport", x=100, y=100, z="a1")),
        el("domain", "d1", 500, 160, r=80, label="Water", owner="Bob"),
        el("link", "l1", 0, 0, **{"from": "n1"}, to="d1", rel="involves"),
    ])
    async with chromium() as browser:
        page = await open_board(browser, link(board, "participant"), "Ada")
        await page.click('[data-id="n1"] rect >> nth=1')
        me = await page.evaluate("tussentafel.sync.you")

        await page.keyboard.press("ArrowRight")
        await page.keyboard.press("Shift+ArrowDown")
        els = poll(server, board, lambda els: els["n1"]["y"] == 110)
        assert (els["n1"]["x"], els["n1"]["y"]) == (101, 110)

        # copy all three, paste: new ids, mine, offset, the link between the copies
        await page.keyboard.press("Control+a")
        await page.keyboard.press("Control+c")
        await page.keyboard.press("Control+v")
        els = poll(server, board, lambda els: len(els) == 6)
        new = [e for e in els.values() if e["id"] not in ("n1", "d1", "l1")]
        by_kind = {e["kind"]: e for e in new}
        assert sorted(by_kind) == ["domain", "link", "note"]
        assert all(e["author"] == me for e in new)
        assert (by_kind["note"]["x"], by_kind["note"]["y"]) == (101 + 24, 110 + 24)
        assert by_kind["note"]["text"] == "Sport"
        assert (by_kind["domain"]["x"], by_kind["domain"]["y"]) == (524, 184)
        assert by_kind["link"]["from"] == by_kind["note"]["id"]
        assert by_kind["link"]["to"] == by_kind["domain"]["id"]
        # the paste is selected: duplicate it once more
        assert set(await page.evaluate("[...tussentafel.editor.selection]")) == {
            e["id"] for e in new}
        await page.keyboard.press("Control+d")
        els = poll(server, board, lambda els: len(els) == 9)
        third = [e for e in els.values() if e["id"] not in {"n1", "d1", "l1"} | {
            e["id"] for e in new}]
        notes = [e for e in third if e["kind"] == "note"]
        assert [(n["x"], n["y"]) for n in notes] == [(101 + 48, 110 + 48)]


async def test_double_click_makes_a_note_and_escape_removes_it_empty(
    server: ServerProcess,
) -> None:
    board = server.create_board("Notes", "blank")
    async with chromium() as browser:
        page = await open_board(browser, link(board, "participant"), "Ada")
        await page.mouse.dblclick(*await stage_point(page, 0.5, 0.5))
        await page.wait_for_selector("#inline-editor")
        poll(server, board, lambda els: [e["kind"] for e in els.values()] == ["note"])
        await page.keyboard.press("Escape")
        poll(server, board, lambda els: not els)
        assert await page.locator("[data-kind=note]").count() == 0

        await page.mouse.dblclick(*await stage_point(page, 0.3, 0.3))
        await page.fill("#inline-editor", "Kept")
        await page.press("#inline-editor", "Enter")
        els = poll(server, board, lambda els: [e.get("text") for e in els.values()] == ["Kept"])
        assert len(els) == 1


async def test_tab_reaches_elements_and_enter_edits_the_focused_one(
    server: ServerProcess,
) -> None:
    board = await board_with(server, "Tab", [
        put(note("n1", "First", x=100, y=100, z="a1")),
        put(note("n2", "Second", x=400, y=100, z="a2")),
    ])
    async with chromium() as browser:
        page = await open_board(browser, link(board, "participant"), "Ada")
        await page.wait_for_selector('[data-id="n2"]')
        assert await page.get_attribute('[data-id="n2"]', "aria-label") == "Note: Second"
        focused = ""
        for _ in range(60):
            await page.keyboard.press("Tab")
            focused = await page.evaluate("document.activeElement?.dataset?.id || ''")
            if focused == "n2":
                break
        assert focused == "n2"
        await page.keyboard.press("Enter")
        await page.wait_for_selector('#inline-editor[data-id="n2"]')
        await page.fill("#inline-editor", "Second, edited")
        await page.press("#inline-editor", "Enter")
        poll(server, board, lambda els: els["n2"]["text"] == "Second, edited")


async def test_clicks_that_focus_elements_keep_a_shift_selection(server: ServerProcess) -> None:
    board = await board_with(server, "Shift", [
        put(note("n1", "First", x=100, y=100, z="a1")),
        put(note("n2", "Second", x=400, y=100, z="a2")),
    ])
    async with chromium() as browser:
        page = await open_board(browser, link(board, "participant"), "Ada")
        await page.click('[data-id="n1"] rect >> nth=1')
        await page.click('[data-id="n2"] rect >> nth=1', modifiers=["Shift"])
        assert sorted(await page.evaluate("[...tussentafel.editor.selection]")) == ["n1", "n2"]
        start = await center(page, '[data-id="n2"] rect >> nth=1')
        await drag(page, start, (start[0] + 60, start[1] + 40))
        await page.mouse.up()
        els = poll(server, board, lambda els: els["n1"]["x"] != 100 and els["n2"]["x"] != 400)
        assert els["n1"]["x"] - 100 == els["n2"]["x"] - 400 > 0
