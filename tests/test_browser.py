"""The browser app (canvas_client/web) in headless Chromium against a real server.

Elements are found through the DOM contract (docs/protocol.md, "Browser DOM
contract"): ``[data-id][data-kind]`` per element, ``body[data-connection]``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    ViewportSize,
    async_playwright,
)

from canvas_client.client import BoardClient
from tests.conftest import SCREENSHOTS, ServerProcess, note, put

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT: ViewportSize = {"width": 1440, "height": 900}
IMAGES = SCREENSHOTS
LOCKED = "This element is locked by the facilitator"
KINDS = ("frame", "table", "domain", "territory", "link", "grade_scale", "grade_vote",
         "role_card", "note", "lane", "milestone", "ritual", "text", "stroke")
QR_LOADED = (
    "() => { const i = document.querySelector('#qr-img');"
    " return !!i && i.complete && i.naturalWidth > 0; }"
)


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


class Console:
    """Console errors and uncaught exceptions of the pages it watches."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Page) -> Page:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.errors.append(f"{page.url}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        return page


async def open_board(
    browser: Browser, url: str, name: str | None = None, console: Console | None = None,
    viewport: ViewportSize | None = None,
) -> Page:
    """A page in a context of its own (own storage: another person), live."""
    return await open_in(await browser.new_context(viewport=viewport or VIEWPORT), url, name,
                         console)


async def open_in(
    context: BrowserContext, url: str, name: str | None = None, console: Console | None = None,
    prepare: Callable[[Page], Awaitable[None]] | None = None,
) -> Page:
    """A live page of ``url`` in ``context`` (a device), after the name prompt;
    ``prepare`` runs on the page before it loads (e.g. to route its sockets)."""
    page = await context.new_page()
    if console is not None:
        console.watch(page)
    if prepare is not None:
        await prepare(page)
    await page.goto(url)
    if name is not None:
        await page.fill("#name-prompt-input", name)
        await page.press("#name-prompt-input", "Enter")
    await page.wait_for_selector("body[data-connection=live]", timeout=10_000)
    return page


async def stage_point(page: Page, fx: float, fy: float) -> tuple[float, float]:
    box = await page.locator("#board").bounding_box()
    assert box is not None
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy


async def add_note_by_hand(page: Page, text: str, fx: float = 0.4, fy: float = 0.4) -> str:
    """Note tool, click, type, Enter; returns the new note's id."""
    before = set(
        await page.eval_on_selector_all("[data-kind=note]", "ns => ns.map(n => n.dataset.id)")
    )
    await page.click("[data-tool=note]")
    await page.mouse.click(*await stage_point(page, fx, fy))
    await page.fill("#inline-editor", text)
    await page.press("#inline-editor", "Enter")
    after = await page.eval_on_selector_all("[data-kind=note]", "ns => ns.map(n => n.dataset.id)")
    fresh = [eid for eid in after if eid not in before]
    if len(fresh) > 1:  # someone else's note arrived meanwhile: ours is the one with our text
        fresh = [eid for eid in fresh
                 if " ".join(text.split()) in await page.eval_on_selector(f'[data-id="{eid}"]',
                                                                          TEXT_OF)]
    (new,) = fresh
    return str(new)


TEXT_OF = "n => [...n.querySelectorAll('tspan')].map(t => t.textContent).join(' ')"


async def wait_note_text(page: Page, eid: str, text: str, timeout: float = 5000) -> None:
    """Wait until the note shows ``text`` (its wrapped lines joined by spaces)."""
    await page.wait_for_function(
        f"([id, text]) => {{ const n = document.querySelector(`[data-id='${{id}}'] text.body`);"
        f" return !!n && ({TEXT_OF})(n) === text; }}",
        arg=[eid, text],
        timeout=timeout,
    )


def link(board: dict[str, Any], role: str) -> str:
    """The page link as the landing page hands it out (lesser tokens in the fragment)."""
    url = board["links"][role]
    tokens = board["tokens"]
    if role == "facilitator":
        return f"{url}#join={tokens['participant']}&screen={tokens['viewer']}"
    if role == "viewer":
        return f"{url}#join={tokens['participant']}"
    return str(url)


# -- two people on one board ------------------------------------------------------------


async def test_circle_and_note_edits_reach_the_other_browser(server: ServerProcess) -> None:
    board = server.create_board("Sync", "blank")
    async with chromium() as browser:
        ada = await open_board(browser, link(board, "participant"), "Ada")
        bob = await open_board(browser, link(board, "participant"), "Bob")

        # a domain circle dragged to size in one browser shows in the other within 1 s
        await ada.click("[data-tool=domain]")
        x, y = await stage_point(ada, 0.3, 0.4)
        await ada.mouse.move(x, y)
        await ada.mouse.down()
        await ada.mouse.move(x + 60, y + 30, steps=4)
        await ada.mouse.move(x + 110, y + 20, steps=4)
        await ada.mouse.up()
        started = time.monotonic()
        await bob.wait_for_selector("[data-kind=domain]", timeout=1000)
        assert time.monotonic() - started < 1.0
        await ada.fill("#inline-editor", "Sport")
        await ada.press("#inline-editor", "Enter")
        await bob.wait_for_function(
            "() => document.querySelector('[data-kind=domain] .label')?.textContent === 'Sport'",
            timeout=3000,
        )

        # a note made in one and edited in the other
        eid = await add_note_by_hand(ada, "Why I am here")
        await wait_note_text(bob, eid, "Why I am here", 3000)
        await bob.dblclick(f'[data-id="{eid}"] rect >> nth=1')
        await bob.fill("#inline-editor", "Mandate from sport")
        await bob.press("#inline-editor", "Enter")
        await wait_note_text(ada, eid, "Mandate from sport", 3000)

        state = server.state(board["board"], board["tokens"]["viewer"])
        by_id = {el["id"]: el for el in state["elements"]}
        assert by_id[eid]["text"] == "Mandate from sport"
        domains = [el for el in state["elements"] if el["kind"] == "domain"]
        assert len(domains) == 1 and domains[0]["label"] == "Sport" and domains[0]["r"] > 20


async def test_participant_cannot_edit_a_locked_element(server: ServerProcess) -> None:
    board = server.create_board("Locks", "blank")
    tokens = board["tokens"]
    async with BoardClient(server.url, board["board"], tokens["facilitator"], name="Fay") as fay:
        await fay.push([put(note("agreed", "We decide together", x=200, y=150))])
        result = await fay.cmd("lock", ids=["agreed"])
        assert result["ok"] is True
        async with chromium() as browser:
            page = await open_board(browser, link(board, "participant"), "Piet")
            node = page.locator('[data-id="agreed"]')
            await node.wait_for()
            assert "locked" in str(await node.get_attribute("class"))

            # the UI refuses at once: select + Delete, and editing in place
            await node.locator("rect >> nth=1").click()
            await page.keyboard.press("Delete")
            await page.wait_for_selector(f"#toast.show:has-text('{LOCKED}')", timeout=2000)
            assert await node.count() == 1
            await node.locator("rect >> nth=1").dblclick()
            assert await page.locator("#inline-editor").count() == 0

            # and an edit that reaches the server anyway is refused and rolled back
            await page.evaluate("document.querySelector('#toast').classList.remove('show')")
            await page.evaluate(
                "tussentafel.sync.push([{op: 'patch', id: 'agreed', set: {text: 'changed'}}])"
            )
            await page.wait_for_selector(f"#toast.show:has-text('{LOCKED}')", timeout=3000)
            await wait_note_text(page, "agreed", "We decide together", 3000)

    state = server.state(board["board"], tokens["participant"])
    (el,) = [el for el in state["elements"] if el["id"] == "agreed"]
    assert el["text"] == "We decide together" and el["locked"] is True
    assert el["v"] == 2  # the put and the lock: nothing since


async def test_projector_shows_what_a_participant_made(server: ServerProcess) -> None:
    board = server.create_board("Screen", "blank")
    async with chromium() as browser:
        screen = await open_board(browser, link(board, "viewer"))
        ada = await open_board(browser, link(board, "participant"), "Ada")
        eid = await add_note_by_hand(ada, "Visible on the screen")
        await wait_note_text(screen, eid, "Visible on the screen", 3000)
        assert await screen.evaluate("tussentafel.sync.role") == "viewer"
        # no editing chrome, and a join QR code that loads
        assert await screen.locator("[data-tool], #inline-editor").count() == 0
        await screen.wait_for_function(
            QR_LOADED.replace("#qr-img", "#join img"),
            timeout=5000,
        )


async def test_undo_reverts_only_ones_own_change(server: ServerProcess) -> None:
    board = server.create_board("Undo", "blank")
    async with chromium() as browser:
        ada = await open_board(browser, link(board, "participant"), "Ada")
        bob = await open_board(browser, link(board, "participant"), "Bob")
        mine = await add_note_by_hand(ada, "Ada's note", 0.3, 0.3)
        theirs = await add_note_by_hand(bob, "Bob's note", 0.6, 0.6)
        await wait_note_text(ada, theirs, "Bob's note", 3000)
        await wait_note_text(bob, mine, "Ada's note", 3000)

        # Bob also edits his note after Ada made hers: Ada's undo must not touch it
        await bob.dblclick(f'[data-id="{theirs}"] rect >> nth=1')
        await bob.fill("#inline-editor", "Bob's second thought")
        await bob.press("#inline-editor", "Enter")
        await wait_note_text(ada, theirs, "Bob's second thought", 3000)

        await ada.keyboard.press("Control+z")
        await bob.locator(f'[data-id="{mine}"]').wait_for(state="detached", timeout=3000)
        assert await ada.locator(f'[data-id="{mine}"]').count() == 0
        await wait_note_text(bob, theirs, "Bob's second thought")
        await wait_note_text(ada, theirs, "Bob's second thought")

        # redo brings Ada's note back (under a fresh id: the server keeps deleted ids)
        await ada.keyboard.press("Control+Shift+z")
        await bob.wait_for_function(
            f"() => [...document.querySelectorAll('[data-kind=note] text.body')]"
            f'.some(n => ({TEXT_OF})(n) === "Ada\'s note")',
            timeout=3000,
        )

    texts = sorted(
        el["text"] for el in server.state(board["board"], board["tokens"]["viewer"])["elements"]
    )
    assert texts == ["Ada's note", "Bob's second thought"]


async def test_page_reconnects_after_a_server_restart(fresh_server: ServerProcess) -> None:
    server = fresh_server.start()
    board = server.create_board("Restart", "blank")
    async with chromium() as browser:
        page = await open_board(browser, link(board, "participant"), "Ada")
        before = await add_note_by_hand(page, "Before the restart", 0.3, 0.3)
        await page.wait_for_function(
            "id => tussentafel.sync.replica.pending.size === 0"
            " && tussentafel.sync.elements.get(id)?.v",
            arg=before,
            timeout=5000,
        )

        server.stop()
        await page.wait_for_selector("body[data-connection=reconnecting]", timeout=5000)
        during = await add_note_by_hand(page, "Written while the server was down", 0.6, 0.6)
        assert await page.evaluate("tussentafel.sync.replica.pending.size") == 2  # put, then text

        server.start()
        await page.wait_for_selector("body[data-connection=live]", timeout=15_000)
        await page.wait_for_function("tussentafel.sync.replica.pending.size === 0", timeout=5000)
        await wait_note_text(page, during, "Written while the server was down")

    texts = {
        el["id"]: el["text"]
        for el in server.state(board["board"], board["tokens"]["viewer"])["elements"]
    }
    assert texts == {before: "Before the restart", during: "Written while the server was down"}


# -- every page renders cleanly; the screenshots of the README ---------------------------------


def el(kind: str, eid: str, x: float = 0, y: float = 0, **fields: Any) -> dict[str, Any]:
    """A put of a new element (z after the template's keys)."""
    return put({"id": eid, "kind": kind, "x": x, "y": y, "z": f"b{eid}", **fields})


def why(eid: str, text: str, x: float) -> dict[str, Any]:
    return put(note(eid, text, x=x, y=225, w=180, h=110, z=f"b{eid}", topic="why_here"))


async def fill_atelier(
    server: ServerProcess, board: dict[str, Any], people: list[BoardClient]
) -> None:
    """An atelier board in use: notes, circles, territory, roles, grade votes, time."""
    ada, bob, cem, dana = people
    ter, role, hof = "tpl-frame-territory", "tpl-frame-role", "Hofplein table"

    def color(c: BoardClient) -> str:
        return str(c.participants[c.you]["color"])

    def votes(who: str, now: str, ambition: str) -> list[dict[str, Any]]:
        return [
            el("grade_vote", f"gv-{who}-c", scale="tpl-grades", grade=now, aspect="current"),
            el("grade_vote", f"gv-{who}-a", scale="tpl-grades", grade=ambition, aspect="ambition"),
        ]

    await ada.push([
        why("why-ada", "Keep the sports fields in the plan", 70),
        el("domain", "dom-sport", 380, 1500, r=120, label="Sport & recreation", owner="Ada",
           color=color(ada), parent=ter),
        el("role_card", "rc-ada", 2500, 1140, role="process_facilitator", holder="Ada",
           table=hof, parent=role),
        *votes("ada", "aligned", "integrated"),
        el("milestone", "ms-1", lane="tpl-lane-a", date="2027-03-15", label="Council decision",
           milestone="decision"),
    ])
    await bob.push([
        why("why-bob", "Climate adaptation targets for 2030", 270),
        put(note("task-1", "One plan for Hofplein that serves sport AND water storage",
                 x=930, y=225, w=400, h=110, z="btask", topic="collective_task")),
        el("domain", "dom-water", 560, 1560, r=130, label="Water & climate", owner="Bob",
           color=color(bob), parent=ter),
        el("role_card", "rc-bob", 2695, 1140, role="content_representative", holder="Bob",
           table=hof, parent=role),
        *votes("bob", "fragmented", "coordinated"),
        el("milestone", "ms-2", lane="tpl-lane-b", date="2027-03-19", label="Programme budget",
           milestone="deadline"),
    ])
    await cem.push([
        why("why-cem", "Housing department needs space for 400 homes", 470),
        el("domain", "dom-spatial", 470, 1720, r=110, label="Spatial planning", owner="Cem",
           color=color(cem), parent=ter),
        el("territory", "t-team", 960, 1420, label="Urban dev. team", node="team", owner="Cem",
           parent=ter),
        el("territory", "t-mgr", 1180, 1560, label="Director UD", node="manager", owner="Cem",
           parent=ter),
        el("territory", "t-cem", 960, 1700, label="Cem", node="person", owner="Cem", parent=ter),
        el("link", "l-1", 0, 0, **{"from": "t-cem"}, to="t-team", rel="member_of"),
        el("link", "l-2", 0, 0, **{"from": "t-team"}, to="t-mgr", rel="reports_to"),
        el("link", "l-3", 0, 0, **{"from": "t-mgr"}, to="dom-spatial", rel="decides"),
        el("role_card", "rc-cem", 2500, 1262, role="pen_holder", holder="Cem", table=hof,
           parent=role),
        *votes("cem", "aligned", "integrated"),
        put(note("do-1", "Say which hat you wear", x=1580, y=1500, w=200, h=100, z="bdo",
                 topic="do", parent="tpl-area-conduct")),
        put(note("dont-1", "Decide outside the table", x=1800, y=1500, w=200, h=100, z="bdont",
                 topic="dont", parent="tpl-area-conduct")),
    ])
    await dana.push([
        why("why-dana", "Mandate: neighbourhood participation", 670),
        el("role_card", "rc-dana", 2695, 1262, role="chair", holder="Dana", table=hof,
           parent=role),
        *votes("dana", "coordinated", "integrated"),
        el("stroke", "stroke-1", 250, 1270, color="#dc2626", width=4,
           points=[250, 1300, 300, 1280, 360, 1275, 420, 1290, 470, 1310, 500, 1300]),
    ])
    fac = board["tokens"]["facilitator"]
    async with BoardClient(server.url, board["board"], fac, name="Fay (facilitator)") as fay:
        await fay.push([{"op": "patch", "id": "tpl-table", "set": {"label": hof}}])
        await fay.cmd("lock", ids=["task-1"])
        await fay.cmd("timer.start", seconds=7 * 60, label="Territory map, step 2")
    cursors = ([430, 300], [690, 1480], [1130, 1650], [2240, 1560])
    for person, cursor in zip(people, cursors, strict=True):
        await person.presence(cursor=cursor, viewport=[0, 0, 2900, 1900])


async def test_pages_render_without_errors_and_screenshots(server: ServerProcess) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    console = Console()
    board = server.create_board("Atelier Hofplein — session 2", "atelier")
    tokens = board["tokens"]
    people = [
        BoardClient(server.url, board["board"], tokens["participant"], name=name)
        for name in ("Ada", "Bob", "Cem", "Dana")
    ]
    async with contextlib.AsyncExitStack() as stack:
        for person in people:
            await stack.enter_async_context(person)
        await fill_atelier(server, board, people)
        async with chromium() as browser:
            # landing: create a board, get three links and a QR code
            context = await browser.new_context(viewport=VIEWPORT)
            landing = console.watch(await context.new_page())
            await landing.goto(server.url + "/")
            await landing.fill("#title", "Atelier Hofplein — session 2")
            await landing.check("input[name=template][value=atelier]")
            await landing.click("#create")
            await landing.wait_for_selector("#result:not([hidden])")
            assert await landing.locator(".link-row").count() == 3
            await landing.wait_for_function(QR_LOADED, timeout=5000)
            await landing.screenshot(path=str(IMAGES / "landing.png"))

            editor = await open_board(browser, link(board, "facilitator"), "Fay", console)
            await editor.wait_for_selector('[data-id="gv-dana-a"]')
            for kind in KINDS:
                assert await editor.locator(f"[data-kind={kind}]").count() > 0, kind
            await editor.wait_for_selector("#tabs:not([hidden])")  # facilitator controls
            await editor.click('[data-id="rc-cem"] rect >> nth=0')
            await editor.wait_for_selector(".cursor >> nth=3")
            await editor.wait_for_timeout(300)
            await editor.screenshot(path=str(IMAGES / "editor.png"))
            # closer: the territory map, a domain selected
            await editor.evaluate("tussentafel.view.fit([0, 1000, 1400, 900], 16, 2)")
            await editor.click('[data-id="dom-water"]')
            await editor.wait_for_timeout(300)
            await editor.screenshot(path=str(IMAGES / "editor-territory.png"))

            screen = await open_board(browser, link(board, "viewer"), console=console)
            await screen.wait_for_selector('[data-id="gv-dana-a"]')
            await screen.wait_for_function(
                QR_LOADED.replace("#qr-img", "#join img"),
                timeout=5000,
            )
            await screen.wait_for_timeout(400)
            await screen.screenshot(path=str(IMAGES / "projector.png"))
    assert console.errors == []
    for name in ("landing.png", "editor.png", "projector.png"):
        assert (IMAGES / name).stat().st_size > 10_000
