"""The facilitator's panel (canvas_client/web/facilitator.js) in headless Chromium
against a real server: insights that follow the board live, rotating the links,
and initials of names like "Marieke (facilitator)"."""

from __future__ import annotations

import pytest

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess
from tests.test_browser import chromium, el, link, open_board

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

OVERLAP = ("() => [...document.querySelectorAll('#insights .ins-list li')]"
           ".some(li => li.textContent.includes('Sport') && li.textContent.includes('Water'))")


async def test_insights_follow_the_board_without_refresh(server: ServerProcess) -> None:
    board = server.create_board("Insights", "atelier")
    async with chromium() as browser:
        page = await open_board(browser, link(board, "facilitator"), "Marieke (facilitator)")
        assert await page.text_content("#people .avatar.me") == "M"
        await page.click("[data-tab=insights]")
        await page.wait_for_selector("#insights .ins-block")
        async with BoardClient(server.url, board["board"], board["tokens"]["participant"],
                               name="Ada") as ada:
            await ada.push([
                el("domain", "d-sport", 400, 1500, r=120, label="Sport", owner="Ada"),
                el("domain", "d-water", 520, 1520, r=120, label="Water", owner="Bob"),
                el("grade_vote", "gv", scale="tpl-grades", grade="fragmented",
                   aspect="current"),
            ])
            await page.wait_for_function(OVERLAP, timeout=5000)
            panel = await page.text_content("#insights")
            assert panel is not None
            # the facilitator is not asked for a domain; the template's example card
            # "Your own role" raises no role warnings
            assert "Marieke" not in panel
            roles = await page.locator("#insights .ins-block >> nth=2").text_content()
            assert roles is not None and "Your own role" not in roles
            assert "No pen holder" not in roles and "no pen holder" not in roles.lower()
            # whole grade names, not "Fragme…"
            cut = await page.evaluate(
                "() => [...document.querySelectorAll('#insights .grade-name')]"
                ".filter(s => s.textContent && s.scrollWidth > s.clientWidth + 1)"
                ".map(s => s.textContent)")
            assert cut == []

            await ada.push([{"op": "del", "id": "d-water"}])
            await page.wait_for_function(f"() => !({OVERLAP})()", timeout=5000)
        assert await page.locator("#insights .ins-list li").filter(has_text="Water").count() == 0


async def test_rotating_the_links_shows_new_ones_and_old_ones_stop(server: ServerProcess) -> None:
    board = server.create_board("Rotate", "blank")
    old = board["tokens"]
    async with chromium() as browser:
        page = await open_board(browser, link(board, "facilitator"), "Fay")
        await page.click("[data-tab=facilitate]")
        await page.click("#rotate-links")
        # one click only arms it: nothing changed yet
        assert "Sure" in (await page.text_content("#rotate-links") or "")
        assert server.get(f"/api/boards/{board['board']}", old["participant"]).status_code == 200
        await page.click("#rotate-links")
        await page.wait_for_selector("#new-links", timeout=10_000)
        await page.wait_for_selector("body[data-connection=live]", timeout=10_000)
        participant = await page.input_value("#new-links [data-role=participant] input")
        new_token = participant.split("?t=")[1]
        assert new_token != old["participant"]
        assert server.get(f"/api/boards/{board['board']}", old["participant"]).status_code == 401
        assert participant.startswith(f"{server.url}/b/{board['board']}?t=")
        assert server.get(f"/api/boards/{board['board']}", new_token).status_code == 200
        assert await page.locator("#new-links [data-role=viewer] input").count() == 1
