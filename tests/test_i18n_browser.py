"""The pages in the language of the room, in headless Chromium against a real server.

A board's pages speak its language; each person may pick their own (remembered
in their browser) without changing the board's or anyone else's. Also makes the
Dutch screenshots of the README (docs/images/editor-nl.png, projector-nl.png).
"""

from __future__ import annotations

import contextlib
import re
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.async_api import Page, ViewportSize

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess
from tests.test_browser import (
    IMAGES,
    QR_LOADED,
    Console,
    chromium,
    fill_atelier,
    link,
    open_board,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

FULL_HD: ViewportSize = {"width": 1920, "height": 1080}
GRADES = {"nl": ["Gefragmenteerd", "Uitgelijnd", "Gecoördineerd", "Geïntegreerd"],
          "en": ["Fragmented", "Aligned", "Coordinated", "Integrated"]}
#: What each page shows in each language (selector -> expected text).
EDITOR = {
    "nl": {"#zoom-fit": "Passend", "[data-tab=facilitate]": "Begeleiden",
           "#inspector h3": "Zo werkt dit bord", "#conn": "Live",
           "#present-block h4": "Groot scherm",
           "#present-block + .fac-block h4": "Uitnodigen"},
    "en": {"#zoom-fit": "Fit", "[data-tab=facilitate]": "Facilitate",
           "#inspector h3": "How this board works", "#conn": "Live",
           "#present-block h4": "Projector",
           "#present-block + .fac-block h4": "Invite"},
}
NOTE_TOOL = {"nl": "Notitie", "en": "Note"}
FRAME_TAG = {"nl": "TAAK", "en": "TASK"}
#: A snapshot's row: its default name and when it was made, in the board's locale.
SNAPSHOT = {
    "nl": (r"Momentopname \d\d:\d\d", r"(ma|di|wo|do|vr|za|zo) \d{1,2} "
           r"(jan|feb|mrt|apr|mei|jun|jul|aug|sep|okt|nov|dec), \d\d:\d\d · \d+ onderdelen"),
    "en": (r"Snapshot \d\d:\d\d", r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} "
           r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec), \d\d:\d\d · \d+ elements"),
}
SCREEN = {"nl": {"#join strong": "Doe mee op het bord"}, "en": {"#join strong": "Join the board"}}
SCREEN_TITLE = {"nl": " · groot scherm", "en": " · projector"}


def make_board(server: ServerProcess, lang: str, title: str = "Atelier") -> dict[str, Any]:
    r = httpx.post(f"{server.url}/api/boards",
                   json={"title": title, "template": "atelier", "lang": lang}, timeout=10)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


async def wait_text(page: Page, selector: str, text: str) -> None:
    """Wait until the first match of ``selector`` (shown or not) reads ``text``."""
    await page.wait_for_function(
        "([s, text]) => { const n = document.querySelector(s);"
        " return !!n && n.textContent.trim() === text; }",
        arg=[selector, text], timeout=5000)


async def grade_columns(page: Page) -> list[str]:
    await page.wait_for_selector("[data-id=tpl-grades] text")
    texts: list[str] = await page.eval_on_selector_all(
        "[data-id=tpl-grades] text", "ns => ns.map(n => n.textContent)")
    return [t for t in texts if t in GRADES["nl"] + GRADES["en"]]


async def lane_dates(page: Page) -> str:
    texts: list[str] = await page.eval_on_selector_all(
        "[data-id=tpl-lane-a] text", "ns => ns.map(n => n.textContent)")
    return next(t for t in texts if "→" in t)


async def assert_editor_in(page: Page, lang: str) -> None:
    assert await page.evaluate("document.documentElement.lang") == lang
    for selector, text in EDITOR[lang].items():
        await wait_text(page, selector, text)
    assert await page.get_attribute("[data-tool=note]", "aria-label") == NOTE_TOOL[lang]
    assert await grade_columns(page) == GRADES[lang]
    tag = await page.text_content("[data-id=tpl-frame-task] text.tag")
    assert tag == FRAME_TAG[lang]


async def assert_screen_in(page: Page, lang: str) -> None:
    assert await page.evaluate("document.documentElement.lang") == lang
    for selector, text in SCREEN[lang].items():
        await wait_text(page, selector, text)
    await page.wait_for_function("end => document.title.endsWith(end)", arg=SCREEN_TITLE[lang],
                                 timeout=5000)
    assert await grade_columns(page) == GRADES[lang]


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_editor_and_projector_speak_the_boards_language(
        server: ServerProcess, lang: str) -> None:
    board = make_board(server, lang)
    console = Console()
    async with chromium() as browser:
        context = await browser.new_context()
        page = console.watch(await context.new_page())
        await page.goto(link(board, "facilitator"))
        await page.wait_for_selector("#name-prompt h2")
        title = await page.text_content("#name-prompt h2")
        assert title == {"nl": "Welkom aan tafel", "en": "Welcome to the table"}[lang]
        await page.fill("#name-prompt-input", "Femke")
        await page.press("#name-prompt-input", "Enter")
        await page.wait_for_selector("body[data-connection=live]", timeout=10_000)
        await assert_editor_in(page, lang)
        assert await lane_dates(page) == {"nl": "4 jan 2027 → 30 jun 2027",
                                          "en": "4 Jan 2027 → 30 Jun 2027"}[lang]
        await page.click("[data-tab=facilitate]")
        await page.click("#snapshot-save")
        await page.wait_for_selector("#snapshot-list .snap-title")
        name, when = SNAPSHOT[lang]
        assert re.fullmatch(name, await page.text_content("#snapshot-list .snap-title") or "")
        assert re.fullmatch(when, await page.text_content("#snapshot-list .muted") or "")
        screen = await open_board(browser, link(board, "viewer"), console=console)
        await assert_screen_in(screen, lang)
        status = await screen.text_content("#screen-status")
        assert status == {"nl": "1 aan tafel", "en": "1 at the table"}[lang]
    assert console.errors == []


async def test_switching_ones_own_language_changes_only_ones_own_page(
        server: ServerProcess) -> None:
    board = make_board(server, "nl")
    console = Console()
    async with chromium() as browser:
        anna = await open_board(browser, link(board, "facilitator"), "Anna", console)
        bram = await open_board(browser, link(board, "facilitator"), "Bram", console)
        await assert_editor_in(anna, "nl")
        await assert_editor_in(bram, "nl")

        await anna.select_option("#ui-lang", "en")
        await assert_editor_in(anna, "en")
        await anna.reload()  # remembered in Anna's browser
        await anna.wait_for_selector("body[data-connection=live]", timeout=10_000)
        await assert_editor_in(anna, "en")
        await assert_editor_in(bram, "nl")  # Bram's page keeps its language
        assert await lane_dates(anna) == "4 jan 2027 → 30 jun 2027"  # dates: the board's

        screen = await open_board(browser, link(board, "viewer"), console=console)
        await assert_screen_in(screen, "nl")
        await screen.select_option("#ui-lang", "en")
        await assert_screen_in(screen, "en")
        await assert_editor_in(bram, "nl")

        await anna.select_option("#ui-lang", "nl")  # and back
        await assert_editor_in(anna, "nl")
    # the board itself never changed language
    viewer = board["tokens"]["viewer"]
    assert server.get(f"/api/boards/{board['board']}", viewer).json()["lang"] == "nl"
    labels = {e["id"]: e.get("label") for e in server.state(board["board"], viewer)["elements"]}
    assert labels["tpl-area-why"] == "Waarom zit ik hier?"
    assert console.errors == []


async def test_the_landing_page_offers_the_boards_language(server: ServerProcess) -> None:
    console = Console()
    async with chromium() as browser:
        context = await browser.new_context(locale="nl-NL")
        page = console.watch(await context.new_page())
        await page.goto(server.url + "/")
        assert await page.evaluate("document.documentElement.lang") == "nl"
        await page.wait_for_selector("#create:text-is('Bord maken')")
        assert await page.is_checked("input[name=lang][value=nl]")  # from the browser
        await page.fill("#title", "Atelier Zuidoever")
        await page.click("#create")
        await page.wait_for_selector("#result:not([hidden])")
        assert await page.text_content("#result-title") == "“Atelier Zuidoever” is klaar"
        links = [await page.get_attribute("#open-facilitator", "href")]

        await page.click("#again")
        await page.select_option("#ui-lang", "en")  # the page in English...
        await page.wait_for_selector("#create:text-is('Create board')")
        await page.check("input[name=lang][value=en]")  # ...and this board in English
        await page.fill("#title", "Atelier South")
        await page.click("#create")
        await page.wait_for_selector("#result-title:text-is('“Atelier South” is ready')")
        links.append(await page.get_attribute("#open-facilitator", "href"))
    made = []
    for url in links:
        assert url
        parts = urlsplit(url)
        made.append(server.get(parts.path.replace("/b/", "/api/boards/"),
                               parse_qs(parts.query)["t"][0]).json())
    assert [(b["title"], b["lang"]) for b in made] == [
        ("Atelier Zuidoever", "nl"), ("Atelier South", "en")]
    assert console.errors == []


# -- the Dutch screenshots of the README ---------------------------------------------------


#: The words of test_browser.fill_atelier's board, as a Dutch table writes them.
DUTCH = {
    "Keep the sports fields in the plan": "Sportvelden houden hun plek in het plan",
    "Sport & recreation": "Sport en recreatie", "Council decision": "Raadsbesluit",
    "Climate adaptation targets for 2030": "Klimaatdoelen voor 2030: water vasthouden",
    "One plan for Hofplein that serves sport AND water storage":
        "Eén plan voor het Hofplein dat sport én waterberging dient",
    "Water & climate": "Water en klimaat", "Programme budget": "Begroting",
    "Housing department needs space for 400 homes": "Ruimte nodig voor 400 woningen",
    "Spatial planning": "Ruimtelijke ordening", "Urban dev. team": "Team Stedenbouw",
    "Director UD": "Directeur SO", "Say which hat you wear": "Zeg welke pet je op hebt",
    "Decide outside the table": "Buiten de tafel besluiten",
    "Mandate: neighbourhood participation": "Mandaat: de buurt praat mee",
    "Hofplein table": "Tafel Hofplein",
}


class InDutch:
    """A BoardClient whose pushes say their words in Dutch."""

    def __init__(self, client: BoardClient) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    async def push(self, ops: list[dict[str, Any]]) -> Any:
        def words(fields: dict[str, Any]) -> dict[str, Any]:
            return {k: DUTCH.get(v, v) if isinstance(v, str) else v for k, v in fields.items()}

        return await self.client.push([
            {**op, "el": words(op["el"])} if "el" in op else
            {**op, "set": words(op.get("set", {}))} for op in ops])


async def fill_dutch(server: ServerProcess, board: dict[str, Any],
                     people: list[BoardClient]) -> None:
    """The board of the English screenshots, written by a Dutch table."""
    await fill_atelier(server, board, cast(list[BoardClient], [InDutch(p) for p in people]))
    fac = board["tokens"]["facilitator"]
    async with BoardClient(server.url, board["board"], fac, name="Femke") as femke:
        await femke.push([{"op": "patch", "id": "tpl-table", "set": {"label": "Tafel Hofplein"}}])
        await femke.cmd("timer.start", seconds=7 * 60, label="Territoriumkaart, stap 2")


async def test_screenshots_of_a_dutch_board(server: ServerProcess) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    console = Console()
    board = make_board(server, "nl", "Atelier Hofplein — sessie 2")
    tokens = board["tokens"]
    people = [BoardClient(server.url, board["board"], tokens["participant"], name=name)
              for name in ("Ada", "Bob", "Cem", "Dana")]
    async with contextlib.AsyncExitStack() as stack:
        for person in people:
            await stack.enter_async_context(person)
        await fill_dutch(server, board, people)
        async with chromium() as browser:
            editor = await open_board(browser, link(board, "facilitator"), "Femke", console,
                                      FULL_HD)
            await editor.wait_for_selector('[data-id="gv-dana-a"]')
            await assert_editor_in(editor, "nl")
            await editor.click('[data-id="rc-cem"] rect >> nth=0')
            await editor.wait_for_selector(".cursor >> nth=3")
            await editor.wait_for_selector("#timer:not([hidden])")
            await editor.wait_for_timeout(300)
            await editor.screenshot(path=str(IMAGES / "editor-nl.png"))

            screen = await open_board(browser, link(board, "viewer"), console=console,
                                      viewport=FULL_HD)
            await screen.wait_for_selector('[data-id="gv-dana-a"]')
            await screen.wait_for_function(QR_LOADED.replace("#qr-img", "#join img"),
                                           timeout=5000)
            await assert_screen_in(screen, "nl")
            await screen.wait_for_timeout(400)
            await screen.screenshot(path=str(IMAGES / "projector-nl.png"))
    assert console.errors == []
    for name in ("editor-nl.png", "projector-nl.png"):
        assert (IMAGES / name).stat().st_size > 10_000
