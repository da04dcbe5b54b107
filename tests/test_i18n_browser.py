"""The pages in the language of the room, in headless Chromium against a real server.

A board's pages speak its language; each person may pick their own (remembered
in their browser) without changing the board's or anyone else's. Also makes the
Dutch screenshots of the README (docs/images/editor-nl.png, projector-nl.png).
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.async_api import Browser, Page

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess, note, put
from tests.test_browser import IMAGES, QR_LOADED, Console, chromium, el, link

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

FULL_HD = {"width": 1920, "height": 1080}
GRADES = {"nl": ["Gefragmenteerd", "Uitgelijnd", "Gecoördineerd", "Geïntegreerd"],
          "en": ["Fragmented", "Aligned", "Coordinated", "Integrated"]}
#: What each page shows in each language (selector -> expected text).
EDITOR = {
    "nl": {"#zoom-fit": "Passend", "[data-tab=facilitate]": "Begeleiden",
           "#inspector h3": "Zo werkt dit bord", "#conn": "Live",
           "#facilitate h4": "Uitnodigen"},
    "en": {"#zoom-fit": "Fit", "[data-tab=facilitate]": "Facilitate",
           "#inspector h3": "How this board works", "#conn": "Live",
           "#facilitate h4": "Invite"},
}
NOTE_TOOL = {"nl": "Notitie", "en": "Note"}
FRAME_TAG = {"nl": "TAAK", "en": "TASK"}
SCREEN = {"nl": {"#join strong": "Doe mee op het bord"}, "en": {"#join strong": "Join the board"}}
SCREEN_TITLE = {"nl": " · groot scherm", "en": " · projector"}


def make_board(server: ServerProcess, lang: str, title: str = "Atelier") -> dict[str, Any]:
    r = httpx.post(f"{server.url}/api/boards",
                   json={"title": title, "template": "atelier", "lang": lang}, timeout=10)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


async def open_page(browser: Browser, url: str, name: str | None = None,
                    console: Console | None = None, viewport: dict[str, int] | None = None
                    ) -> Page:
    """A page in a browser context of its own (another person, own localStorage)."""
    context = await browser.new_context(viewport=viewport or {"width": 1440, "height": 900})
    page = await context.new_page()
    if console is not None:
        console.watch(page)
    await page.goto(url)
    if name is not None:
        await page.fill("#name-prompt-input", name)
        await page.press("#name-prompt-input", "Enter")
    await page.wait_for_selector("body[data-connection=live]", timeout=10_000)
    return page


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
        screen = await open_page(browser, link(board, "viewer"), console=console)
        await assert_screen_in(screen, lang)
        status = await screen.text_content("#screen-status")
        assert status == {"nl": "1 aan tafel", "en": "1 at the table"}[lang]
    assert console.errors == []


async def test_switching_ones_own_language_changes_only_ones_own_page(
        server: ServerProcess) -> None:
    board = make_board(server, "nl")
    console = Console()
    async with chromium() as browser:
        anna = await open_page(browser, link(board, "facilitator"), "Anna", console)
        bram = await open_page(browser, link(board, "facilitator"), "Bram", console)
        await assert_editor_in(anna, "nl")
        await assert_editor_in(bram, "nl")

        await anna.select_option("#ui-lang", "en")
        await assert_editor_in(anna, "en")
        await anna.reload()  # remembered in Anna's browser
        await anna.wait_for_selector("body[data-connection=live]", timeout=10_000)
        await assert_editor_in(anna, "en")
        await assert_editor_in(bram, "nl")  # Bram's page keeps its language
        assert await lane_dates(anna) == "4 jan 2027 → 30 jun 2027"  # dates: the board's

        screen = await open_page(browser, link(board, "viewer"), console=console)
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


async def fill_dutch(server: ServerProcess, board: dict[str, Any],
                     people: list[BoardClient]) -> None:
    """A Dutch Atelier in use: notes, circles, territory, roles, grade votes, time."""
    anna, bram, chen, dirk = people
    ter, role, table = "tpl-frame-territory", "tpl-frame-role", "Tafel Park Zuidoever"

    def color(c: BoardClient) -> str:
        return str(c.participants[c.you]["color"])

    def votes(who: str, now: str, ambition: str) -> list[dict[str, Any]]:
        return [
            el("grade_vote", f"gv-{who}-c", scale="tpl-grades", grade=now, aspect="current"),
            el("grade_vote", f"gv-{who}-a", scale="tpl-grades", grade=ambition, aspect="ambition"),
        ]

    def why(eid: str, text: str, x: float) -> dict[str, Any]:
        return put(note(eid, text, x=x, y=225, w=180, h=110, z=f"b{eid}", topic="why_here"))

    await anna.push([
        why("why-anna", "Sportvelden houden hun plek in het plan", 70),
        el("domain", "dom-sport", 380, 1500, r=120, label="Sport en recreatie", owner="Anna",
           home="Sport", color=color(anna), parent=ter),
        el("role_card", "rc-anna", 2500, 1140, role="process_facilitator", holder="Anna",
           table=table, parent=role),
        *votes("anna", "aligned", "integrated"),
        el("milestone", "ms-1", lane="tpl-lane-a", date="2027-03-15", label="Raadsbesluit",
           milestone="decision"),
    ])
    await bram.push([
        why("why-bram", "Klimaatdoelen voor 2030: water vasthouden", 270),
        put(note("task-1", "Eén plan voor het park dat sport én waterberging dient",
                 x=930, y=225, w=400, h=110, z="btask", topic="collective_task")),
        el("domain", "dom-water", 560, 1560, r=130, label="Water en klimaat", owner="Bram",
           home="Duurzaamheid", color=color(bram), parent=ter),
        el("role_card", "rc-bram", 2695, 1140, role="content_representative", holder="Bram",
           table=table, parent=role),
        *votes("bram", "fragmented", "coordinated"),
        el("milestone", "ms-2", lane="tpl-lane-b", date="2027-03-19", label="Begroting",
           milestone="deadline"),
    ])
    await chen.push([
        why("why-chen", "Ruimte voor 400 woningen aan de rand", 470),
        el("domain", "dom-ruimte", 470, 1720, r=110, label="Ruimtelijke ordening",
           owner="Chen", color=color(chen), parent=ter),
        el("territory", "t-team", 960, 1420, label="Team Stedenbouw", node="team",
           owner="Chen", parent=ter),
        el("territory", "t-mgr", 1180, 1560, label="Directeur SO", node="manager",
           owner="Chen", parent=ter),
        el("territory", "t-chen", 960, 1700, label="Chen", node="person", owner="Chen",
           parent=ter),
        el("link", "l-1", **{"from": "t-chen"}, to="t-team", rel="member_of"),
        el("link", "l-2", **{"from": "t-team"}, to="t-mgr", rel="reports_to"),
        el("link", "l-3", **{"from": "t-mgr"}, to="dom-ruimte", rel="decides"),
        el("role_card", "rc-chen", 2500, 1262, role="pen_holder", holder="Chen", table=table,
           parent=role),
        *votes("chen", "aligned", "integrated"),
        put(note("do-1", "Zeg welke pet je op hebt", x=1580, y=1500, w=200, h=100, z="bdo",
                 topic="do", parent="tpl-area-conduct")),
        put(note("dont-1", "Buiten de tafel besluiten", x=1800, y=1500, w=200, h=100,
                 z="bdont", topic="dont", parent="tpl-area-conduct")),
    ])
    await dirk.push([
        why("why-dirk", "Mandaat: de buurt praat mee", 670),
        el("role_card", "rc-dirk", 2695, 1262, role="chair", holder="Dirk", table=table,
           parent=role),
        *votes("dirk", "coordinated", "integrated"),
    ])
    fac = board["tokens"]["facilitator"]
    async with BoardClient(server.url, board["board"], fac, name="Femke") as femke:
        await femke.push([{"op": "patch", "id": "tpl-table", "set": {"label": table}}])
        await femke.cmd("lock", ids=["task-1"])
        await femke.cmd("timer.start", seconds=7 * 60, label="Territoriumkaart, stap 2")
    cursors = ([430, 300], [690, 1480], [1130, 1650], [2240, 1560])
    for person, cursor in zip(people, cursors, strict=True):
        await person.presence(cursor=cursor, viewport=[0, 0, 2900, 1900])


async def test_screenshots_of_a_dutch_board(server: ServerProcess) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    console = Console()
    board = make_board(server, "nl", "Atelier Park Zuidoever — sessie 2")
    tokens = board["tokens"]
    people = [BoardClient(server.url, board["board"], tokens["participant"], name=name)
              for name in ("Anna", "Bram", "Chen", "Dirk")]
    async with contextlib.AsyncExitStack() as stack:
        for person in people:
            await stack.enter_async_context(person)
        await fill_dutch(server, board, people)
        async with chromium() as browser:
            editor = await open_page(browser, link(board, "facilitator"), "Femke", console,
                                     FULL_HD)
            await editor.wait_for_selector('[data-id="gv-dirk-a"]')
            await assert_editor_in(editor, "nl")
            await editor.click('[data-id="rc-chen"] rect >> nth=0')
            await editor.wait_for_selector(".cursor >> nth=3")
            await editor.wait_for_selector("#timer:not([hidden])")
            await editor.wait_for_timeout(300)
            await editor.screenshot(path=str(IMAGES / "editor-nl.png"))

            screen = await open_page(browser, link(board, "viewer"), console=console,
                                     viewport=FULL_HD)
            await screen.wait_for_selector('[data-id="gv-dirk-a"]')
            await screen.wait_for_function(QR_LOADED.replace("#qr-img", "#join img"),
                                           timeout=5000)
            await assert_screen_in(screen, "nl")
            await screen.wait_for_timeout(400)
            await screen.screenshot(path=str(IMAGES / "projector-nl.png"))
    assert console.errors == []
    for name in ("editor-nl.png", "projector-nl.png"):
        assert (IMAGES / name).stat().st_size > 10_000
