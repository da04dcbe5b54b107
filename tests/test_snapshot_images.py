"""The README picture: an Atelier in progress, saved as a snapshot, exported as
SVG by the server and rendered to PNG by headless Chromium."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SCREENSHOTS, ServerProcess
from tests.workshop import fill_atelier

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
IMAGE = SCREENSHOTS / "snapshot-atelier.png"
SVG_NS = "{http://www.w3.org/2000/svg}"


def _texts(root: ET.Element) -> str:
    """All the text the picture shows: one line per <text>, its <tspan>s joined by spaces."""
    return "\n".join(" ".join(" ".join(t.itertext()).split())
                     for t in root.iter(f"{SVG_NS}text"))


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture
def chromium() -> str:
    pytest.importorskip("playwright.async_api")
    if not CHROMIUM.exists():
        pytest.skip(f"no {CHROMIUM}")
    return str(CHROMIUM)


async def test_atelier_snapshot_renders_to_png(server: ServerProcess, chromium: str) -> None:
    from playwright.async_api import async_playwright

    board = server.create_board("Atelier 2: Park Zuidoever", "atelier")
    bid, fac = board["board"], board["tokens"]["facilitator"]
    filled = await fill_atelier(server, board)

    r = server.post(f"/api/boards/{bid}/snapshots", fac, {"label": "end of the first round"})
    assert r.status_code == 201, r.text
    snap: dict[str, Any] = r.json()
    assert snap["clock"] == filled["clock"]
    assert snap["elements"] == filled["elements"]

    r = server.get(f"/api/boards/{bid}/snapshots/{snap['snapshot']}.svg", fac)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("image/svg+xml")
    svg = r.text
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    shown = _texts(root)
    heading = "Atelier 2: Park Zuidoever — end of the first round"
    for label in [*filled["labels"], *filled["participants"], heading]:
        assert label in shown, label
    kinds = {g.get("data-kind") for g in root.iter(f"{SVG_NS}g")}
    assert {"frame", "table", "domain", "territory", "link", "note", "grade_scale",
            "grade_vote", "role_card", "lane", "milestone", "ritual", "stroke",
            "vote"} <= kinds

    errors: list[str] = []
    page_html = (
        "<!doctype html><html><head><meta charset='utf-8'><style>"
        "html,body{margin:0;background:#fff}svg{display:block;width:100%;height:auto}"
        f"</style></head><body>{svg}</body></html>"
    )
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1600, "height": 1000},
                                          device_scale_factor=1.5)
            page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
            page.on("console", lambda msg: errors.append(f"console: {msg.text}")
                    if msg.type == "error" else None)
            page.on("requestfailed", lambda req: errors.append(f"request: {req.url}"))
            await page.set_content(page_html, wait_until="load")
            box = await page.locator("svg").first.bounding_box()
            assert box is not None and box["width"] == 1600
            png = await page.screenshot(full_page=True, type="png")
        finally:
            await browser.close()

    assert errors == []
    width, height = _png_size(png)
    assert width == 2400  # 1600 CSS pixels at 1.5x
    assert 1200 <= height <= 2400
    assert 150_000 < len(png) < 5_000_000
    IMAGE.parent.mkdir(parents=True, exist_ok=True)
    IMAGE.write_bytes(png)
