"""A board's language against a real server: chosen at creation (or from
Accept-Language), kept on both stores, in GET board and the welcome, and used by
the template and the SVG export (docs/protocol.md §2, §3.2)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import pytest

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess
from tests.redis_fixture import RedisServer, redis_server_fixture  # noqa: F401

pytestmark = pytest.mark.timeout(60)

SVG = "{http://www.w3.org/2000/svg}"
DUTCH_GRADES = ["Gefragmenteerd", "Uitgelijnd", "Gecoördineerd", "Geïntegreerd"]


def create(server: ServerProcess, body: dict[str, Any],
           headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(f"{server.url}/api/boards", json=body, headers=headers or {}, timeout=10)


def made(server: ServerProcess, body: dict[str, Any],
         headers: dict[str, str] | None = None) -> dict[str, Any]:
    r = create(server, body, headers)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def info(server: ServerProcess, board: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = server.get(f"/api/boards/{board['board']}",
                                     board["tokens"]["viewer"]).json()
    return out


def test_a_dutch_atelier_has_dutch_frames_and_grades_in_state_and_export(
        server: ServerProcess) -> None:
    board = made(server, {"title": "Atelier Zuidoever", "template": "atelier", "lang": "nl"})
    assert board["lang"] == "nl" and info(server, board)["lang"] == "nl"
    viewer, fac = board["tokens"]["viewer"], board["tokens"]["facilitator"]
    els = {el["id"]: el for el in server.state(board["board"], viewer)["elements"]}
    assert els["tpl-frame-task"]["label"] == "Taak — waarom zitten we aan deze tafel?"
    assert els["tpl-area-why"]["label"] == "Waarom zit ik hier?"
    assert els["tpl-grades"]["label"] == "Integratiegraad"
    assert els["tpl-grades-legend"]["text"].split("\n")[3].startswith("Geïntegreerd")

    snap = server.post(f"/api/boards/{board['board']}/snapshots", fac, {"label": "Start"})
    assert snap.status_code == 201, snap.text
    r = server.get(f"/api/boards/{board['board']}/snapshots/{snap.json()['snapshot']}.svg",
                   viewer)
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(r.content)  # bytes: the document's own encoding (UTF-8)
    scale = next(g for g in root.iter(f"{SVG}g") if g.get("data-id") == "tpl-grades")
    columns = [t.text for t in scale.iter(f"{SVG}text")]
    assert [c for c in columns if c in DUTCH_GRADES] == DUTCH_GRADES
    words = " ".join(root.itertext())
    assert "Taak — waarom zitten we aan deze tafel?" in words and "TAAK" in words
    assert "4 jan 2027 → 30 jun 2027" in words  # the lanes, in nl-NL
    assert "Fragmented" not in words and "Ritual" not in words


def test_an_english_board_stays_english(server: ServerProcess) -> None:
    board = made(server, {"title": "Atelier", "template": "atelier", "lang": "en"})
    els = {el["id"]: el for el in server.state(board["board"], board["tokens"]["viewer"])[
        "elements"]}
    assert els["tpl-area-why"]["label"] == "Why am I here?"
    assert info(server, board)["lang"] == "en"


@pytest.mark.parametrize("header,lang", [
    (None, "en"), ("nl-NL,nl;q=0.9,en;q=0.8", "nl"), ("en-US,en;q=0.9", "en"),
    ("de-DE,de;q=0.9,nl;q=0.4", "nl"), ("fr", "en"),
])
def test_without_lang_the_creators_accept_language_decides(
        server: ServerProcess, header: str | None, lang: str) -> None:
    board = made(server, {"title": "x", "template": "atelier"},
                 {"accept-language": header} if header else None)
    assert board["lang"] == lang and info(server, board)["lang"] == lang
    # an explicit lang wins over the header
    other = "en" if lang == "nl" else "nl"
    assert made(server, {"title": "x", "lang": other},
                {"accept-language": header} if header else None)["lang"] == other


@pytest.mark.parametrize("lang", ["de", "NL", "", None, 1, ["nl"]])
def test_an_unknown_lang_is_refused_and_makes_no_board(
        server: ServerProcess, lang: Any) -> None:
    r = create(server, {"title": "x", "template": "atelier", "lang": lang})
    assert r.status_code == 400 and r.json()["error"] == "invalid"
    assert "board" not in r.json()


def test_an_untitled_board_is_named_in_its_language(server: ServerProcess) -> None:
    assert made(server, {"lang": "nl"})["title"] == "Naamloos bord"
    assert made(server, {})["title"] == "Untitled board"


async def test_the_welcome_carries_the_boards_language(server: ServerProcess) -> None:
    for lang in ("nl", "en"):
        board = made(server, {"title": "x", "lang": lang})
        async with BoardClient(server.url, board["board"], board["tokens"]["participant"],
                               name="Anna") as client:
            assert client.lang == lang


@pytest.mark.redis
async def test_the_language_is_kept_with_redis_too(tmp_path: Path,
                                                   redis_server: RedisServer) -> None:
    proc = ServerProcess(tmp_path / "data", redis=redis_server.url).start()
    try:
        board = made(proc, {"title": "x", "template": "atelier", "lang": "nl"})
        assert info(proc, board)["lang"] == "nl"
        async with BoardClient(proc.url, board["board"], board["tokens"]["viewer"]) as client:
            assert client.lang == "nl"
            assert client.elements["tpl-grades"]["label"] == "Integratiegraad"
    finally:
        proc.stop()
