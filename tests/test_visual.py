"""What people see: no text written over other text, no control cut off.

Found by looking at every page of a Dutch Atelier (tests/visual_tour.py): real
server, real headless Chromium.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

import httpx
import pytest
from playwright.async_api import Page

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess, note, put
from tests.test_browser import IMAGES, Console, chromium, el, link, open_board, open_in
from tests.test_devices import SHEET_OPEN, device, until
from tests.test_i18n_browser import make_board

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

# Pairs of single-line texts in one element whose boxes overlap (screen px).
TEXTS_OVER_TEXTS = """(sel) => {
  const out = [];
  for (const el of document.querySelectorAll(sel)) {
    const boxes = [...el.querySelectorAll(':scope > text:not(.body)')]
      .filter((t) => t.textContent).map((t) => [t.textContent, t.getBoundingClientRect()]);
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const [a, ra] = boxes[i], [b, rb] = boxes[j];
      const overlap = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const sameRow = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top) > 2;
      if (sameRow && overlap > 1) out.push(`${el.dataset.id}: "${a}" / "${b}" (${overlap} px)`);
    }
  }
  return out;
}"""


def dutch_atelier(server: ServerProcess) -> dict[str, object]:
    r = httpx.post(f"{server.url}/api/boards", timeout=10, json={
        "title": "Atelier Hofplein — jeugd, sport en wonen", "template": "atelier", "lang": "nl"})
    assert r.status_code == 201, r.text
    board: dict[str, object] = r.json()
    return board


async def test_present_mode_keeps_a_notes_topic_and_author_apart(server: ServerProcess) -> None:
    """The projector enlarges small text of a presented frame to 18 px: the
    topic and the author in a note's footer are fitted again, not drawn over
    each other."""
    board = dutch_atelier(server)
    tokens: dict[str, str] = board["tokens"]  # type: ignore[assignment]
    console = Console()
    async with BoardClient(server.url, str(board["board"]), tokens["participant"],
                           name="Daphne") as daphne, \
            BoardClient(server.url, str(board["board"]), tokens["facilitator"],
                        name="Femke") as femke:
        await daphne.push([put(note(f"why-{i}", "Mandaat: de buurt praat mee", x=70 + 200 * i,
                                    y=225, w=170, h=100, z=f"bw{i}", topic="why_here"))
                            for i in range(2)])
        assert (await femke.cmd("present.frame", frame="tpl-frame-task"))["ok"]
        async with chromium() as browser:
            screen = await open_board(browser, link(board, "viewer"), console=console,
                                      viewport={"width": 1920, "height": 1080})
            await screen.wait_for_selector("body.presenting [data-id=why-1]")
            await until(screen, "() => !!document.querySelector('[data-id=why-1] text:not(.body)')"
                                "?.style.fontSize")
            await screen.wait_for_timeout(300)  # the projector refits at most every 250 ms
            assert await screen.evaluate(TEXTS_OVER_TEXTS, "[data-kind=note]") == []
    assert console.errors == []


async def test_the_facilitators_tabs_fit_the_side_panel(server: ServerProcess) -> None:
    """Four tabs (Selectie, Begeleiden, Inzichten, Verwijderd) in the 310 px
    panel: none cut off, and choosing the last does not scroll the panel sideways."""
    board = dutch_atelier(server)
    console = Console()
    async with chromium() as browser:
        editor = await open_board(browser, link(board, "facilitator"), "Femke", console)
        await editor.wait_for_selector("#tabs [data-tab=bin]")
        await editor.click("#tabs [data-tab=bin]")
        got = await editor.evaluate("""() => {
          const side = document.querySelector('#side').getBoundingClientRect();
          const tabs = [...document.querySelectorAll('#tabs [data-tab]')];
          return { scrolled: document.querySelector('#side').scrollLeft,
                   cut: tabs.filter((b) => { const r = b.getBoundingClientRect();
                     return r.left < side.left - 0.5 || r.right > side.right + 0.5
                       || b.scrollWidth > b.clientWidth + 1; }).map((b) => b.textContent),
                   rows: new Set(tabs.map((b) => Math.round(b.getBoundingClientRect().top))).size };
        }""")
        assert got == {"scrolled": 0, "cut": [], "rows": 1}, got
    assert console.errors == []


@pytest.mark.parametrize("width", [360, 390])
async def test_the_landing_language_menu_clears_the_name(server: ServerProcess,
                                                         width: int) -> None:
    async with chromium() as browser:
        context = await device(browser, width, 800, True, locale="nl-NL")
        page = await context.new_page()
        await page.goto(f"{server.url}/")
        await page.wait_for_selector("#create")
        gap = await page.evaluate("""() => {
          const a = document.querySelector('.landing-head .brand span').getBoundingClientRect();
          const b = document.querySelector('#ui-lang').getBoundingClientRect();
          const apart = a.right <= b.left || b.bottom <= a.top || a.bottom <= b.top;
          return { apart, right: b.right, width: innerWidth };
        }""")
        assert gap["apart"] and gap["right"] <= gap["width"], gap


# -- whole words, room for the title, milestones without a lane ----------------------------

#: The grade names as the insights write them (the catalogs' enum.grade.*).
GRADE_NAMES = {"nl": ["Gefragmenteerd", "Uitgelijnd", "Gecoördineerd", "Geïntegreerd"],
               "en": ["Fragmented", "Aligned", "Coordinated", "Integrated"]}
#: A phone, as the browser tests emulate one.
PHONE: dict[str, Any] = {"is_mobile": True, "has_touch": True, "device_scale_factor": 3}
#: (width, height, phone): laptop, projector, phone.
SCREENS = [(1440, 900, False), (1920, 1080, False), (390, 844, True)]

# Every element under `root` that shows one of `names` by itself, and each word of
# it that runs over more than one line: a word broken mid-word ("Gecoördi|neerd")
# has line boxes at two heights. Found by its text, not by class, so the check
# does not depend on how the chart is built.
BROKEN_WORDS = """([root, names]) => {
  const found = [...document.querySelectorAll(`${root} *`)]
    .filter((e) => e.children.length === 0 && names.includes(e.textContent.trim()));
  const broken = [];
  for (const e of found) {
    const node = e.firstChild;
    for (const m of node.textContent.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
      const lines = new Set(rects.map((r) => Math.round(r.top)));
      if (lines.size !== 1) broken.push(`${m[0]}: ${lines.size} lines`);
    }
  }
  return { shown: found.map((e) => e.textContent.trim()), broken };
}"""


async def shown_words(page: Page, root: str, lang: str) -> dict[str, Any]:
    got: dict[str, Any] = await page.evaluate(BROKEN_WORDS, [root, GRADE_NAMES[lang]])
    return got


async def whole_grade_names(page: Page, selector: str, lang: str, where: str) -> None:
    """Every grade name is shown in ``selector``, none broken over two lines
    (a picture of it is kept as insights-WHERE.png)."""
    got = await shown_words(page, selector, lang)
    await page.screenshot(path=str(IMAGES / f"insights-{where}.png"))
    assert sorted(got["shown"]) == sorted(GRADE_NAMES[lang]), (where, got)
    assert got["broken"] == [], (where, got)


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_grade_names_in_the_insights_are_whole_words(server: ServerProcess,
                                                           lang: str) -> None:
    """The integration grades head the insights' chart in the editor's panel and
    on the projector: on a laptop, a projector and a phone each name stays whole."""
    board = make_board(server, lang, "Atelier Hofplein")
    tokens = board["tokens"]
    console = Console()
    async with BoardClient(server.url, board["board"], tokens["participant"], name="Ada") as ada:
        await ada.push([el("grade_vote", f"gv{i}", scale="tpl-grades", grade=grade, aspect=aspect)
                        for i, (grade, aspect) in enumerate(
                            [("fragmented", "current"), ("aligned", "current"),
                             ("coordinated", "ambition"), ("integrated", "ambition")])])
    async with BoardClient(server.url, board["board"], tokens["facilitator"], name="F") as fac:
        assert (await fac.cmd("present.insights"))["ok"]
    async with chromium() as browser:
        for width, height, phone in SCREENS:
            context = await browser.new_context(
                viewport={"width": width, "height": height}, locale=f"{lang}-NL",
                **(PHONE if phone else {}))
            editor = await open_in(context, link(board, "facilitator"), "Femke", console)
            if phone:
                await editor.click("#sheet-toggle")
                await until(editor, SHEET_OPEN)
            await editor.click("#tabs [data-tab=insights]")
            await editor.wait_for_selector("#insights .grade-chart")
            await whole_grade_names(editor, "#insights", lang, f"editor-{lang}-{width}")

            screen = await open_in(context, link(board, "viewer"), None, console)
            await screen.wait_for_selector("#present-insights h3")
            await screen.wait_for_selector("#present-insights .present-grades")
            await whole_grade_names(screen, "#present-insights", lang, f"screen-{lang}-{width}")
            await context.close()
    assert console.errors == []


# The top bar of the editor: the title's own overflow, and every box in the bar
# (page pixels) that reaches past the device's width.
TOP_BAR = """(width) => {
  const title = document.querySelector('#board-title');
  const out = [];
  for (const e of document.querySelectorAll('.topbar *')) {
    const st = getComputedStyle(e);
    if (st.display === 'none' || st.visibility !== 'visible') continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.left < -0.5 || r.right > width + 0.5) {
      out.push(`${e.tagName}#${e.id}.${e.className} [${r.left}, ${r.right}]`);
    }
  }
  return { text: title.textContent, scrollWidth: title.scrollWidth,
           clientWidth: title.clientWidth, outside: out };
}"""


async def test_a_phone_shows_the_whole_board_title(server: ServerProcess) -> None:
    """On a 390 px phone, with others at the table, "Atelier Hofplein" is not cut
    to "Atelier H…": the title gets the room; nothing in the bar leaves the screen."""
    board = make_board(server, "nl", "Atelier Hofplein")
    console = Console()
    others = [BoardClient(server.url, board["board"], board["tokens"]["participant"], name=n)
              for n in ("Bram", "Chantal", "Dewi")]
    async with contextlib.AsyncExitStack() as stack:
        for other in others:
            await stack.enter_async_context(other)
        async with chromium() as browser:
            context = await browser.new_context(
                viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                device_scale_factor=3, locale="nl-NL")
            for role, name in (("participant", "Ada"), ("facilitator", None)):
                page = await open_in(context, link(board, role), name, console)
                await until(page, "() => document.querySelectorAll('#people .avatar').length >= 3")
                await until(page, "() => document.querySelector('#board-title').textContent"
                                  " === 'Atelier Hofplein'")
                await page.screenshot(path=str(IMAGES / f"phone-topbar-{role}.png"),
                                      clip={"x": 0, "y": 0, "width": 390, "height": 140})
                got = await page.evaluate(TOP_BAR, 390)
                assert 0 < got["clientWidth"] >= got["scrollWidth"], (role, got)
                assert got["outside"] == [], (role, got)
                if role == "participant":  # the name button gave its room: your face renames you
                    await page.tap("#people .avatar.me")
                    await page.fill("#ask-input", "Ada Bakker")
                    await page.press("#ask-input", "Enter")
                    await until(page, "() => document.querySelector('#people .avatar.me')"
                                      ".textContent === 'AB'")
            await context.close()
    assert console.errors == []


# Each milestone as the editor draws it: its diamond's centre (world units),
# whether it is outlined, and its words.
MILESTONES = """() => [...document.querySelectorAll('[data-kind=milestone]')].map((g) => {
  const path = g.querySelector('path'), b = path.getBBox();
  return { id: g.dataset.id, x: b.x + b.width / 2, y: b.y + b.height / 2,
           dashed: path.getAttribute('stroke-dasharray') !== null,
           words: [...g.querySelectorAll('text')].map((t) => t.textContent).join(' | ') };
})"""
# The diamonds' centres in the SVG export.
DIAMOND = re.compile(r'data-id="([^"]+)" data-kind="milestone"><path d="M(-?[\d.]+),(-?[\d.]+) ')


async def test_a_milestone_without_its_lane_is_not_drawn_in_the_corner(
        server: ServerProcess) -> None:
    """A milestone whose lane is gone: one made where its lane was stays there, one
    with no place of its own (0,0) lines up at the bottom of its frame (Tijd), not
    in the board's top-left corner; both say "niet op een tijdlijn", in the editor
    and in the SVG export alike."""
    board = make_board(server, "nl", "Mijlpalen")
    tokens = board["tokens"]
    console = Console()
    async with BoardClient(server.url, board["board"], tokens["participant"], name="Ada") as ada:
        await ada.push([
            el("milestone", "ms-gone", lane="weg", date="2027-03-01", label="Raadsbesluit",
               milestone="decision", parent="tpl-frame-time"),
            el("milestone", "ms-own", 2000, 700, lane="ook-weg", date="2027-04-01",
               label="Inloopavond", milestone="delivery"),
            el("milestone", "ms-lane", lane="tpl-lane-a", date="2027-03-01",
               label="Op de tijdlijn", milestone="decision"),
        ])
    async with chromium() as browser:
        page = await open_board(browser, link(board, "facilitator"), "Femke", console)
        await page.wait_for_selector("[data-id=ms-gone] path")
        await page.evaluate("window.tussentafel.view.fit([1480, 0, 1440, 920], 10, 2)")
        await page.screenshot(path=str(IMAGES / "milestone-without-lane.png"))
        drawn = {m["id"]: m for m in await page.evaluate(MILESTONES)}
    assert console.errors == []
    time = (1500, 0, 1400, 900)  # the Tijd frame of the template
    gone, own, on_lane = drawn["ms-gone"], drawn["ms-own"], drawn["ms-lane"]
    assert time[0] < gone["x"] < time[0] + time[2] and time[1] + 450 < gone["y"] < time[3], gone
    assert (own["x"], own["y"]) == (2000, 700), own
    for stray in (gone, own):
        assert stray["dashed"] and "niet op een tijdlijn" in stray["words"], stray
    assert not on_lane["dashed"] and "niet op een tijdlijn" not in on_lane["words"], on_lane

    snap = server.post(f"/api/boards/{board['board']}/snapshots", tokens["facilitator"],
                       {"label": "Mijlpalen"})
    assert snap.status_code == 201, snap.text
    r = server.get(f"/api/boards/{board['board']}/snapshots/{snap.json()['snapshot']}.svg",
                   tokens["facilitator"])
    assert r.status_code == 200, r.text
    exported = {m[0]: (float(m[1]), float(m[2]) + 8) for m in DIAMOND.findall(r.text)}
    for eid, m in drawn.items():  # the path starts at the diamond's top
        assert exported[eid] == pytest.approx((m["x"], m["y"]), abs=0.5), eid
    assert r.text.count("niet op een tijdlijn") >= 2
