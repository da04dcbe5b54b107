"""A look at every page as the people in the room see it (not collected by pytest).

    python -m tests.visual_tour OUT_DIR

Starts a real server, fills a Dutch Atelier board with a Dutch table, and writes
screenshots of the landing page, the editor (facilitator on a laptop, participant
on a phone and tablets), the projector (board, present mode, insights) and the
report (page and the first page of its PDF) into OUT_DIR, with the console
errors of every page in OUT_DIR/console.txt. Look at them before changing the UI.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, ViewportSize

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess, note, put
from tests.test_browser import Console, chromium, el, link, open_board
from tests.test_i18n_browser import fill_dutch, make_board

TITLE = "Atelier Hofplein — jeugd, sport en wonen"
PEOPLE = ("Anouk", "Bas", "Cem", "Daphne")
TIMER = "Territoriumkaart, stap 2: wie besluit er over het speelveld en wie wordt gehoord?"
DESKTOP: ViewportSize = {"width": 1440, "height": 900}
FULL_HD: ViewportSize = {"width": 1920, "height": 1080}


async def extra(board: dict[str, Any], people: list[BoardClient], server: ServerProcess) -> None:
    """More Dutch words with diacritics, a lane milestone and a long timer label."""
    anouk, bas, cem, daphne = people
    await anouk.push([put(note("n-jeugd", "Jongerenwerk ontbreekt aan tafel — wie nodigt hen uit?",
                               x=1580, y=1620, w=220, h=110, z="bj", topic="do",
                               parent="tpl-area-conduct"))])
    await bas.push([el("milestone", "ms-3", lane="tpl-lane-b", date="2027-04-02",
                       label="Inloopavond bewoners café \u2019t Hofje", milestone="delivery")])
    await daphne.push([el("domain", "dom-jeugd", 640, 1380, r=90, label="Jeugd en welzijn",
                          owner="Daphne", parent="tpl-frame-territory")])
    await cem.push([put(note("n-weg", "Parkeergarage onder het plein?", x=1580, y=1750, w=200,
                             h=100, z="bw", topic="dont", parent="tpl-area-conduct"))])
    await cem.push([{"op": "del", "id": "n-weg"}])  # something in the bin
    fac = board["tokens"]["facilitator"]
    async with BoardClient(server.url, board["board"], fac, name="Femke") as femke:
        await femke.cmd("timer.start", seconds=9 * 60, label=TIMER)
    r = server.post(f"/api/boards/{board['board']}/snapshots", fac, {"label": "Na ronde 1"})
    assert r.status_code in (200, 201), r.text


async def shot(page: Page, out: Path, name: str, wait: int = 400) -> None:
    await page.wait_for_timeout(wait)
    await page.screenshot(path=str(out / f"{name}.png"))


async def device(browser: Browser, w: int, h: int, touch: bool) -> Any:
    opts: dict[str, Any] = {"viewport": {"width": w, "height": h}, "locale": "nl-NL"}
    if touch:
        opts.update(is_mobile=True, has_touch=True, device_scale_factor=2)
    return await browser.new_context(**opts)


async def tour(server: ServerProcess, out: Path) -> list[str]:
    console = Console()
    board = make_board(server, "nl", TITLE)
    tokens = board["tokens"]
    people = [BoardClient(server.url, board["board"], tokens["participant"], name=name)
              for name in PEOPLE]
    async with contextlib.AsyncExitStack() as stack:
        for person in people:
            await stack.enter_async_context(person)
        await fill_dutch(server, board, people)
        await extra(board, people, server)
        async with chromium() as browser:
            for name, (w, h, touch) in {"landing-desktop": (1440, 900, False),
                                        "landing-phone": (390, 844, True)}.items():
                ctx = await device(browser, w, h, touch)
                page = console.watch(await ctx.new_page())
                await page.goto(f"{server.url}/")
                await shot(page, out, name)
                await page.fill("#title", TITLE) if await page.locator("#title").count() else None
                with contextlib.suppress(Exception):
                    await page.click("#create", timeout=2000)
                    await page.wait_for_selector("#qr-img", timeout=5000)
                    await shot(page, out, f"{name}-created", 800)
                    await page.screenshot(path=str(out / f"{name}-created-full.png"),
                                          full_page=True)
                await ctx.close()

            editor = await open_board(browser, link(board, "facilitator"), "Femke", console,
                                      DESKTOP)
            await editor.wait_for_selector('[data-id="gv-dana-a"]')
            await editor.click('[data-id="rc-cem"] rect >> nth=0')
            await shot(editor, out, "editor-selection")
            for tab in await editor.eval_on_selector_all(
                    "#tabs [data-tab]", "bs => bs.map(b => b.dataset.tab)"):
                await editor.click(f"#tabs [data-tab={tab}]")
                await shot(editor, out, f"editor-tab-{tab}")
            await editor.click("#tabs [data-tab=facilitate]")

            for name, (w, h) in {"phone": (390, 844), "tablet-portrait": (768, 1024),
                                 "tablet-landscape": (1024, 768)}.items():
                ctx = await device(browser, w, h, True)
                page = await open_board_in(ctx, link(board, "participant"), "Sanne", console)
                await shot(page, out, f"{name}-closed", 800)
                if await page.locator("#sheet-toggle").is_visible():
                    await page.click("#sheet-toggle")
                    await shot(page, out, f"{name}-open", 600)
                await ctx.close()

            screen = await open_board(browser, link(board, "viewer"), console=console,
                                      viewport=FULL_HD)
            await screen.wait_for_selector('[data-id="gv-dana-a"]')
            await shot(screen, out, "projector-board", 800)
            await editor.click("#present-next")
            await screen.wait_for_selector("body.presenting")
            await shot(screen, out, "projector-present", 800)
            await shot(editor, out, "editor-presenting")
            await editor.click("#present-insights")
            await screen.wait_for_selector("#present-insights h3")
            await shot(screen, out, "projector-insights", 800)
            await editor.click("#present-stop")

            report_url = (f"{server.url}/b/{board['board']}/report"
                          f"?t={tokens['facilitator']}")
            rctx = await browser.new_context(viewport=DESKTOP)
            report = console.watch(await rctx.new_page())
            await report.goto(report_url)
            await report.wait_for_load_state("networkidle")
            await shot(report, out, "report", 1200)
            await report.screenshot(path=str(out / "report-full.png"), full_page=True)
            await report.emulate_media(media="print")
            await report.pdf(path=str(out / "report.pdf"), format="A4", print_background=True)
            await rctx.close()
    return console.errors


async def open_board_in(ctx: Any, url: str, name: str, console: Console) -> Page:
    from tests.test_browser import open_in
    return await open_in(ctx, url, name, console)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "visual-tour").resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data:
        server = ServerProcess(Path(data)).start()
        try:
            errors = asyncio.run(tour(server, out))
        finally:
            server.stop()
    if shutil.which("pdftoppm"):  # the report's first pages, as printed
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "2",
                        str(out / "report.pdf"), str(out / "report-pdf")], check=True)
    (out / "console.txt").write_text("\n".join(errors) + "\n")
    print(f"{len(errors)} console errors; screenshots in {out}")


if __name__ == "__main__":
    main()
