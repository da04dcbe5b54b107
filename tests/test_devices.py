"""The room on every device: layout from 360 to 1920 px, touch on a phone,
present mode on the projector, and an axe-core accessibility check.

Real server, real headless Chromium; phones and tablets are emulated with
``is_mobile=True, has_touch=True`` (their layout viewport grows to fit wide
content, so widths are compared with the device width).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, CDPSession, Page

from canvas_client.client import BoardClient
from schemas.kinds import PLACED as KIND_PLACED
from tests.conftest import ROOT, ServerProcess, note, put
from tests.test_browser import IMAGES, Console, chromium, link, open_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

LONG_TITLE = ("Atelier Hofplein — sessie 2: samenwerking tussen Stedelijke Ontwikkeling, "
              "Sport en Welzijn, Openbare Ruimte en de wijkteams")
LONG_TIMER = "Schrijf in stilte: waarom zit ik aan deze tafel en wat breng ik mee voor de opgave"
PEOPLE = ("Ada van Stedelijke Ontwikkeling", "Bram", "Chantal de Vries", "Dewi", "Emre", "Fleur")
# width, height, phone or tablet (touch)
VIEWPORTS = [(360, 740, True), (390, 844, True), (768, 1024, True), (1024, 768, True),
             (1280, 720, False), (1440, 900, False), (1920, 1080, False)]
AXE = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
MIN_PROJECTOR_PX = 18


def script(name: str) -> str:
    """A function in tests/js/ for page.evaluate (its leading comment dropped)."""
    lines = (ROOT / "tests" / "js" / name).read_text().splitlines()
    return "\n".join(line for line in lines if not line.startswith("//"))


OUTSIDE = script("outside.js")  # (vertical) => {scrollWidth, innerWidth, outside: [...]}
SMALLEST_TEXT = script("smallest_text.js")  # () => {min, what}
SVG_CONTRAST = script("svg_contrast.js")  # async (ratio) => {checked, bad: [...]}
# Elements scrolled sideways (a focused field must not scroll the app).
SCROLLED = ("() => [...document.querySelectorAll('*')].filter(e => e.scrollLeft !== 0)"
            ".map(e => `${e.tagName}#${e.id}.${e.className}`)")
SHEET_OPEN = "() => getComputedStyle(document.querySelector('#side')).visibility === 'visible'"

async def device(browser: Browser, width: int, height: int, touch: bool,
                 **options: Any) -> BrowserContext:
    if touch:
        options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
    return await browser.new_context(viewport={"width": width, "height": height}, **options)


@contextlib.asynccontextmanager
async def busy_room(server: ServerProcess) -> AsyncIterator[dict[str, Any]]:
    """An atelier board with a long title, six people online and a timer
    with a long label running."""
    board = server.create_board(LONG_TITLE, template="atelier")
    people = [BoardClient(server.url, board["board"], board["tokens"]["participant"], name=n)
              for n in PEOPLE]
    fac = BoardClient(server.url, board["board"], board["tokens"]["facilitator"],
                      name="Facilitator")
    async with contextlib.AsyncExitStack() as stack:
        for c in (*people, fac):
            await stack.enter_async_context(c)
        result = await fac.cmd("timer.start", seconds=1800, label=LONG_TIMER)
        assert result["ok"]
        yield board


def assert_fits(where: str, width: int, got: dict[str, Any]) -> None:
    assert got["scrollWidth"] <= width and got["innerWidth"] <= width, (where, got)
    assert not got["outside"], (where, got["outside"][:8])


async def test_every_page_fits_every_screen(server: ServerProcess) -> None:
    console = Console()
    async with busy_room(server) as board, chromium() as browser:
        for width, height, touch in VIEWPORTS:
            context = await device(browser, width, height, touch)
            landing = console.watch(await context.new_page())
            await landing.goto(f"{server.url}/")
            await landing.wait_for_selector("#create")
            assert_fits(f"landing {width}", width, await landing.evaluate(OUTSIDE, False))
            await landing.fill("#title", LONG_TITLE)
            await landing.click("#create")
            await landing.wait_for_selector("#result:not([hidden]) #qr-img")
            assert_fits(f"landing, links {width}", width, await landing.evaluate(OUTSIDE, False))
            editor = await open_in(context, link(board, "facilitator"), "Facilitator", console)
            await editor.wait_for_selector("#timer:not([hidden]) .timer-label")
            await until(editor, "() => document.querySelectorAll('#people .avatar').length >= 5")
            assert_fits(f"editor {width}", width, await editor.evaluate(OUTSIDE, True))
            if width < 1024:  # the side panel is a sheet; open, every field fits
                await editor.click("#sheet-toggle")
                await until(editor, SHEET_OPEN)
                await editor.click("#tabs [data-tab=facilitate]")
                assert_fits(f"editor sheet {width}", width, await editor.evaluate(OUTSIDE, True))
                if width == 768:
                    await editor.screenshot(path=str(IMAGES / "tablet.png"))
                await editor.click("#sheet-close")
            screen = await open_in(context, link(board, "viewer"), None, console)
            await screen.wait_for_selector("#screen-timer:not([hidden])")
            assert_fits(f"projector {width}", width, await screen.evaluate(OUTSIDE, True))
            await context.close()
    assert not console.errors, console.errors


# -- touch ---------------------------------------------------------------------------------


class Finger:
    """Touch input through the DevTools protocol (Playwright only taps)."""

    def __init__(self, page: Page, cdp: CDPSession) -> None:
        self.page = page
        self.cdp = cdp

    @classmethod
    async def on(cls, page: Page) -> Finger:
        return cls(page, await page.context.new_cdp_session(page))

    async def touch(self, kind: str, points: list[tuple[float, float]]) -> None:
        await self.cdp.send("Input.dispatchTouchEvent", {
            "type": kind,
            "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)],
        })

    async def drag(self, paths: list[list[tuple[float, float]]]) -> None:
        """Move one finger per path through its points at once."""
        await self.touch("touchStart", [p[0] for p in paths])
        for step in range(1, len(paths[0])):
            await self.touch("touchMove", [p[step] for p in paths])
        await self.touch("touchEnd", [])

    async def hold(self, x: float, y: float, ms: int = 800) -> None:
        await self.touch("touchStart", [(x, y)])
        await self.page.wait_for_timeout(ms)
        await self.touch("touchEnd", [])


def line(a: tuple[float, float], b: tuple[float, float], n: int = 8) -> list[tuple[float, float]]:
    return [(a[0] + (b[0] - a[0]) * i / n, a[1] + (b[1] - a[1]) * i / n) for i in range(n + 1)]


async def centre_of(page: Page, selector: str) -> tuple[float, float]:
    box = await page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


async def show(page: Page, eid: str) -> None:
    """Bring an element into the middle of the view (as panning would)."""
    await page.evaluate("""(id) => { const { view } = window.tussentafel;
      const b = view.nodes.get(id).getBBox();
      view.fit([b.x - 40, b.y - 40, b.width + 80, b.height + 80], 10, 1.2); }""", eid)


async def wait_state(server: ServerProcess, board: dict[str, Any], test: Any,
                     what: str) -> dict[str, Any]:
    """The first element in GET /state for which test(el) holds (bounded wait)."""
    for _ in range(100):
        state = server.state(board["board"], board["tokens"]["facilitator"])
        for el in state["elements"]:
            if test(el):
                return dict(el)
        await asyncio.sleep(0.05)
    raise AssertionError(f"not in /state: {what}")


async def until(page: Page, predicate: str, tries: int = 100) -> None:
    """Poll a JS function until it returns true (the pages' CSP forbids eval)."""
    for _ in range(tries):
        if await page.evaluate(predicate):
            return
        await page.wait_for_timeout(50)
    raise AssertionError(f"never true: {predicate}")


async def pick(page: Page, tool: str) -> None:
    """Tap a tool button until the tool is on (a tap during a re-render is lost)."""
    for _ in range(5):
        await page.tap(f"[data-tool={tool}]")
        if await page.evaluate("window.tussentafel.editor.tool") == tool:
            return
        await page.wait_for_timeout(100)
    raise AssertionError(f"cannot pick the {tool} tool")


async def assert_not_scrolled(page: Page) -> None:
    assert await page.evaluate(SCROLLED) == []


async def test_a_participant_does_everything_on_a_phone(server: ServerProcess) -> None:
    board = server.create_board("Atelier op de telefoon", template="atelier")
    console = Console()
    async with chromium() as browser:
        context = await device(browser, 390, 844, True)
        page = await open_in(context, link(board, "participant"), "Ada", console)
        finger = await Finger.on(page)
        # joined zoomed to the first exercise, not a thumbnail of the board
        vp = await page.evaluate("window.tussentafel.view.viewport()")
        assert vp[2] <= 1400 * 1.1 and 0 <= vp[0] + vp[2] / 2 <= 1400 and vp[1] < 900, vp
        await until(page, "() => document.querySelector('#board').clientWidth > 300")

        # a note: tool, tap, type
        await pick(page, "note")
        await page.touchscreen.tap(*await centre_of(page, "[data-id=tpl-area-why] rect"))
        await page.wait_for_selector("#inline-editor")
        await assert_not_scrolled(page)
        await page.fill("#inline-editor", "Ik breng de wijkcijfers mee")
        await page.press("#inline-editor", "Enter")
        await wait_state(server, board, lambda e: e.get("text") == "Ik breng de wijkcijfers mee",
                         "the note")

        # a domain circle, drawn with a finger, then named
        await show(page, "tpl-table")
        cx, cy = await centre_of(page, "[data-id=tpl-table]")
        await pick(page, "domain")
        await finger.drag([line((cx, cy), (cx + 60, cy + 20))])
        await page.wait_for_selector("#inline-editor")
        await page.fill("#inline-editor", "Sportbeleid")
        await page.press("#inline-editor", "Enter")
        domain = await wait_state(server, board, lambda e: e["kind"] == "domain"
                                  and e.get("label") == "Sportbeleid", "the domain")
        assert domain["r"] > 40

        # pinch zoom and a two-finger pan, in the middle of the board
        cx, cy = await centre_of(page, "#board")
        z0 = await page.evaluate("window.tussentafel.view.cam.z")
        await finger.drag([line((cx - 30, cy), (cx - 110, cy)),
                           line((cx + 30, cy), (cx + 110, cy))])
        z1 = await page.evaluate("window.tussentafel.view.cam.z")
        assert z1 > z0 * 1.5
        x1 = await page.evaluate("window.tussentafel.view.cam.x")
        await finger.drag([line((cx - 40, cy), (cx + 60, cy)), line((cx + 40, cy), (cx + 140, cy))])
        assert await page.evaluate("window.tussentafel.view.cam.x") < x1

        # a role card, its table set in the sheet
        await show(page, "tpl-role-example")
        await pick(page, "role_card")
        box = await page.locator("#board").bounding_box()
        assert box is not None
        await page.touchscreen.tap(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.75)
        await page.wait_for_selector("#inline-editor")
        await page.fill("#inline-editor", "Ada")
        await page.press("#inline-editor", "Enter")
        await page.tap("#sheet-toggle")
        await page.wait_for_selector("#f-table", state="visible")
        await page.fill("#f-table", "Tafel Noord")
        await page.press("#f-table", "Enter")
        await assert_not_scrolled(page)
        await wait_state(server, board, lambda e: e["kind"] == "role_card"
                         and e.get("holder") == "Ada" and e.get("table") == "Tafel Noord",
                         "the role card with its table")
        await page.tap("#sheet-close")

        # a grade marker in a column of the scale
        await show(page, "tpl-grades")
        await pick(page, "grade_vote")
        column = await centre_of(page, "[data-id=tpl-grades] .grade-col >> nth=1")
        await page.touchscreen.tap(*column)
        await wait_state(server, board, lambda e: e["kind"] == "grade_vote"
                         and e.get("scale") == "tpl-grades", "the grade marker")

        # a milestone on a lane, its date set in the sheet
        await show(page, "tpl-lane-a")
        await pick(page, "milestone")
        await page.touchscreen.tap(*await centre_of(page, "[data-id=tpl-lane-a] rect"))
        await page.wait_for_selector("#inline-editor")
        await page.press("#inline-editor", "Enter")
        await page.tap("#sheet-toggle")
        await page.wait_for_selector("#f-date", state="visible")
        await page.fill("#f-date", "2027-03-15")
        await wait_state(server, board, lambda e: e["kind"] == "milestone"
                         and e.get("date") == "2027-03-15", "the milestone date")
        await page.tap("#sheet-close")

        # a long press selects (here the template's ritual): every field in the sheet
        await show(page, "tpl-ritual")
        await pick(page, "note")  # even with another tool on
        await finger.hold(*await centre_of(page, "[data-id=tpl-ritual]"))
        assert await page.evaluate("[...window.tussentafel.editor.selection]") == ["tpl-ritual"]
        await page.tap("#sheet-toggle")
        for field in ("#f-moment", "#f-focus", "#f-symbol", "#f-when"):
            await page.wait_for_selector(field, state="visible")
        got = await page.evaluate(OUTSIDE, True)
        assert_fits("ritual sheet", 390, got)
        await page.screenshot(path=str(IMAGES / "phone.png"))
        await page.tap("#sheet-close")

        # a line's relation, and a locked element says so, in the sheet
        async with BoardClient(server.url, board["board"], board["tokens"]["facilitator"]) as fac:
            await fac.push([put({"id": "ln1", "kind": "link", "from": "tpl-table",
                                 "to": "tpl-ritual", "rel": "decides", "x": 0, "y": 0,
                                 "z": "zz"})])
            role = await wait_state(server, board, lambda e: e["kind"] == "role_card"
                                    and e.get("holder") == "Ada", "the role card")
            assert (await fac.cmd("lock", ids=[role["id"]]))["ok"]
        await until(page, "() => window.tussentafel.sync.elements.has('ln1')")
        await page.evaluate("window.tussentafel.editor.select(['ln1'])")
        await page.tap("#sheet-toggle")
        await page.select_option("#f-rel", "escalates_to")
        await wait_state(server, board, lambda e: e["id"] == "ln1"
                         and e.get("rel") == "escalates_to", "the line's relation")
        await page.evaluate("(id) => window.tussentafel.editor.select([id])", role["id"])
        await page.wait_for_selector("#side .note-locked", state="visible")
        assert await page.locator("#f-table").is_disabled()
        assert_fits("locked role card sheet", 390, await page.evaluate(OUTSIDE, True))
        await context.close()
    assert not console.errors, console.errors


# -- the projector ---------------------------------------------------------------------

#: What a table writes in the task frame first (the template's "Why am I here?" and
#: "Our collective task"), so present mode shows a frame as a real board has it.
TASK_NOTES = [
    put(note(f"why{i}", text, x=60 + 200 * i, y=236, w=180, h=150, z=f"w{i}", topic="why_here",
             parent="tpl-area-why"))
    for i, text in enumerate([
        "Jeugdzorg: fewer children waiting for help in Hofplein by 2028.",
        "Sport: the pitches behind the school are empty after six.",
        "Wonen: 400 homes on the square; who decides on the playground?",
        "My mandate: the youth budget; I answer to the alderman."])
] + [put(note("task1", "Our task: one plan for Hofplein where youth care, sport and housing "
                       "make each other better.", x=920, y=236, w=420, h=136, z="w9",
              topic="collective_task", parent="tpl-area-collective"))]
#: Kinds drawn where another element says (no place of their own) and lines.
NOT_OWN_PLACE = (*KIND_PLACED, "link")
# Ids of the elements people wrote (not the template's) that lie in `frame` by
# their own box and are drawn whole inside the projector's board.
SHOWN_IN_FRAME = """([frame, skip]) => {
  const { sync, view } = window.tussentafel;
  const f = sync.elements.get(frame);
  const area = document.querySelector('#board').getBoundingClientRect();
  return [...sync.elements.values()].filter((el) => {
    if (el.author === 'system' || el.kind === 'frame' || skip.includes(el.kind)) return false;
    const node = view.nodes.get(el.id);
    if (!node) return false;
    const b = node.getBBox();  // world units
    const within = b.x >= f.x && b.y >= f.y && b.x + b.width <= f.x + f.w
      && b.y + b.height <= f.y + f.h;
    if (!within) return false;
    const r = node.getBoundingClientRect();
    return r.width > 0 && r.left >= area.left && r.top >= area.top
      && r.right <= area.right && r.bottom <= area.bottom;
  }).map((el) => el.id);
}"""



async def test_present_mode_on_the_projector(server: ServerProcess) -> None:
    console = Console()
    async with busy_room(server) as board, chromium() as browser:
        b, tok = board["board"], board["tokens"]
        async with BoardClient(server.url, b, tok["participant"], name="Setter") as setter:
            await setter.push([*TASK_NOTES,
                               put({"id": "dm1", "kind": "domain", "x": 250, "y": 1450, "r": 130,
                                    "label": "Jeugdzorg", "z": "m1"}),
                               put({"id": "dm2", "kind": "domain", "x": 400, "y": 1450, "r": 130,
                                    "label": "Sportverenigingen", "z": "m2"}),
                               *[put({"id": f"gv{i}", "kind": "grade_vote", "scale": "tpl-grades",
                                      "grade": grade, "aspect": aspect, "x": 0, "y": 0,
                                      "z": f"n{i}"})
                                 for i, (grade, aspect) in enumerate(
                                     [("fragmented", "current"), ("aligned", "current"),
                                      ("aligned", "current"), ("integrated", "ambition"),
                                      ("coordinated", "ambition")])]])
        fac_ctx = await browser.new_context(viewport={"width": 1440, "height": 900})
        fac = await open_in(fac_ctx, link(board, "facilitator"), "Facilitator", console)
        part_ctx = await device(browser, 1280, 720, False)
        part = await open_in(part_ctx, link(board, "participant"), "Bram", console)
        screen_ctx = await browser.new_context(viewport={"width": 1920, "height": 1080})
        screen = await open_in(screen_ctx, link(board, "viewer"), None, console)
        await until(part, "() => window.tussentafel.view.viewport()[2] > 0")
        before = await part.evaluate("window.tussentafel.view.viewport()")

        await fac.click("#tabs [data-tab=facilitate]")
        await fac.click("#present-next")
        await screen.wait_for_selector("body.presenting")
        assert await screen.evaluate("window.tussentafel.sync.session.present") == "tpl-frame-task"
        await fac.click("#present-next")
        await until(screen, "() => window.tussentafel.sync.session.present === 'tpl-frame-time'")
        phone_ctx = await device(browser, 390, 844, True)  # a phone joins on the presented frame
        phone = await open_in(phone_ctx, link(board, "participant"), "Dewi", console)
        vp = await phone.evaluate("window.tussentafel.view.viewport()")
        assert 1500 <= vp[0] + vp[2] / 2 <= 2900 and 0 <= vp[1] + vp[3] / 2 <= 900, vp
        await phone_ctx.close()
        await fac.click("#present-prev")
        await until(screen, "() => window.tussentafel.sync.session.present === 'tpl-frame-task'")
        await screen.wait_for_timeout(400)  # the projector refits at most every 250 ms
        vp = await screen.evaluate("window.tussentafel.view.viewport()")
        assert vp[0] <= 0 and vp[0] + vp[2] >= 1400 and vp[2] < 1400 * 1.4, vp  # the frame, big
        smallest = await screen.evaluate(SMALLEST_TEXT)
        assert smallest["min"] >= MIN_PROJECTOR_PX, smallest
        # what the table wrote in the task frame is on the projector, whole
        shown = await screen.evaluate(SHOWN_IN_FRAME, ["tpl-frame-task", list(NOT_OWN_PLACE)])
        assert len(shown) >= len(TASK_NOTES), shown

        # the facilitator points; the projector shows it
        box = await fac.locator("#board").bounding_box()
        assert box is not None
        await fac.evaluate("window.tussentafel.view.fit([0, 0, 1400, 900], 20, 2)")
        for at in ((600, 420), (620, 430)):  # world points in the task frame
            sx, sy = await fac.evaluate("(p) => window.tussentafel.view.toScreen(...p)", at)
            await fac.mouse.move(box["x"] + sx, box["y"] + sy)
        await until(screen, """() => {
          const p = document.querySelector('.screen-pointer .dot'); if (!p) return false;
          const r = p.getBoundingClientRect(), [x, y] = window.tussentafel.view.toScreen(620, 430);
          return Math.abs(r.x + r.width / 2 - x) < 3 && Math.abs(r.y + r.height / 2 - y) < 3; }""")
        await screen.screenshot(path=str(IMAGES / "projector-present.png"))

        # the participant's view did not move
        assert await part.evaluate("window.tussentafel.view.viewport()") == before

        await fac.click("#present-insights")
        await screen.wait_for_selector("#present-insights h3")
        await until(screen, "() => document.querySelector('#present-insights')"
                            ".textContent.includes('Sportverenigingen')")
        assert not await screen.evaluate("document.body.classList.contains('presenting')")
        await screen.screenshot(path=str(IMAGES / "projector-insights.png"))
        await fac.click("#present-stop")
        await screen.wait_for_selector("#present-insights", state="detached")
        assert await screen.evaluate(  # the whole board again, in its own sizes
            "() => [...document.querySelectorAll('svg text')].filter(t => t.style.fontSize).length"
        ) == 0
        assert await part.evaluate("window.tussentafel.view.viewport()") == before
        for ctx in (fac_ctx, part_ctx, screen_ctx):
            await ctx.close()
    assert not console.errors, console.errors


# -- accessibility ---------------------------------------------------------------------


async def test_text_on_notes_and_role_cards_reads_at_4_5_to_1(server: ServerProcess) -> None:
    """Author names in participant colours, role names on the role colours."""
    board = server.create_board("Kleuren", template="atelier")
    topics = ["why_here", "collective_task", "value", "do", "dont", "decision_rule",
              "conflict_rule", "other"]
    roles = ["chair", "expert", "pen_holder", "custom"]
    async with contextlib.AsyncExitStack() as stack:
        for i in range(12):  # twelve people: every colour of the palette
            c = BoardClient(server.url, board["board"], board["tokens"]["participant"],
                            name=f"Persoon {i}")
            await stack.enter_async_context(c)
            await c.push([put({"id": f"cn{i}", "kind": "note", "text": "Mijn punt",
                               "x": 60 + 170 * (i % 6), "y": 200 + 160 * (i // 6), "w": 150,
                               "h": 120, "z": f"c{i}", "topic": topics[i % len(topics)]}),
                          put({"id": f"cr{i}", "kind": "role_card", "role": roles[i % 4],
                               "holder": f"Persoon {i}", "x": 60 + 200 * (i % 6),
                               "y": 600 + 130 * (i // 6), "z": f"d{i}",
                               **({"private": True} if i == 3 else {})})])
        async with chromium() as browser:
            context = await browser.new_context(viewport={"width": 1440, "height": 900})
            page = await open_in(context, link(board, "facilitator"), "Facilitator")
            await until(page, "() => document.querySelectorAll('[data-kind=note]').length >= 12")
            got = await page.evaluate(SVG_CONTRAST, 4.5)
            await context.close()
    assert got["checked"] >= 12 * 4 and not got["bad"], got



async def axe_violations(page: Page) -> list[str]:
    await page.add_script_tag(path=str(AXE))
    found = await page.evaluate("""async () => {
      const r = await axe.run(document, { resultTypes: ['violations'] });
      return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => `${v.id} (${v.impact}): `
          + v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(' | '));
    }""")
    return [str(v) for v in found]


async def test_axe_finds_no_serious_problems(server: ServerProcess) -> None:
    assert AXE.exists(), "run scripts/test (npm ci --prefix tests/js) first"
    async with busy_room(server) as board, chromium() as browser:
        # axe is injected as a script tag, which the pages' CSP would refuse
        context = await device(browser, 1440, 900, False, bypass_csp=True)
        landing = await context.new_page()
        await landing.goto(f"{server.url}/")
        await landing.wait_for_selector("#create")
        problems = {"landing": await axe_violations(landing)}
        editor = await open_in(context, link(board, "facilitator"), "Facilitator")
        problems["editor"] = await axe_violations(editor)
        await editor.click("[data-id=tpl-role-example]")
        problems["editor, a selection"] = await axe_violations(editor)
        screen = await open_in(context, link(board, "viewer"))
        await editor.click("#tabs [data-tab=facilitate]")
        await editor.click("#present-next")
        await screen.wait_for_selector("body.presenting")
        problems["projector"] = await axe_violations(screen)
        phone = await device(browser, 390, 844, True, bypass_csp=True)
        small = await open_in(phone, link(board, "participant"), "Ada")
        await small.tap("#sheet-toggle")
        problems["phone with the sheet"] = await axe_violations(small)
        await context.close()
        await phone.close()
    assert not any(problems.values()), problems
