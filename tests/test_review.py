"""Review of the merged server, as an attacker with a viewer or participant
link and as a client author who reads only docs/protocol.md: each test is a
hole that was found open through a real server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import httpx
import pytest

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess, note, put

pytestmark = pytest.mark.timeout(60)


def client(server: ServerProcess, board: dict[str, Any], role: str = "participant",
           **kw: Any) -> BoardClient:
    return BoardClient(server.url, board["board"], board["tokens"][role], **kw)


async def test_a_deleted_private_element_is_not_named_to_others(
        server: ServerProcess, board: dict[str, Any]) -> None:
    """The del of someone else's private note is left out of the patch others
    get (as catch-up already did): its id never reaches them."""
    async with client(server, board, client_id="ada") as ada, \
            client(server, board, client_id="bob") as bob, \
            client(server, board, "viewer", client_id="vic") as vic, \
            client(server, board, "facilitator", client_id="fay") as fay:
        await ada.push([put(note("ada-secret", "my own words", private=True))])
        ack = await ada.push([{"op": "del", "id": "ada-secret"}])
        for other in (bob, vic):
            patch = await other.next_message("patch", clock=ack["clock"])
            assert patch["ops"] == [], patch
        patch = await fay.next_message("patch", clock=ack["clock"])
        assert patch["ops"] == [{"op": "del", "id": "ada-secret"}]


async def test_a_participant_may_not_restore_a_locked_element(
        server: ServerProcess, board: dict[str, Any]) -> None:
    """A note the facilitator locked and then deleted stays deleted for its
    author: a locked element is the facilitator's to change."""
    async with client(server, board, client_id="ada") as ada, \
            client(server, board, "facilitator", client_id="fay") as fay:
        await ada.push([put(note("agreed", "we meet weekly"))])
        assert (await fay.cmd("lock", ids=["agreed"]))["ok"]
        assert (await fay.push([{"op": "del", "id": "agreed"}]))["ok"]
        ack = await ada.push([{"op": "restore", "id": "agreed"}])
        assert not ack["ok"] and ack["code"] == "forbidden", ack
        assert "agreed" not in {el["id"] for el in
                                server.state(board["board"], board["tokens"]["viewer"])["elements"]}
        assert (await fay.push([{"op": "restore", "id": "agreed"}]))["ok"]


async def test_a_resent_batch_that_changed_nothing_does_not_apply_later(
        server: ServerProcess, board: dict[str, Any]) -> None:
    """A no-op batch is acked; if that ack is lost and the batch is re-sent
    after someone else changed the element, the re-send gets the original ack
    and does not overwrite the other's change."""
    async with client(server, board, client_id="ada") as ada, \
            client(server, board, client_id="bob") as bob:
        await ada.push([put(note("n", "first"))])
        first = await ada.push([put(note("n", "first"))], batch="same-again")
        assert first["ok"]
        change = await bob.push([{"op": "patch", "id": "n", "set": {"text": "Bob's words"}}])
        await ada.wait_clock(change["clock"])
        again = await ada.push([put(note("n", "first"))], batch="same-again")
        assert (again["ok"], again["clock"], again["time"]) == (
            True, first["clock"], first["time"]), (first, again)
    state = server.state(board["board"], board["tokens"]["viewer"])
    assert [el["text"] for el in state["elements"]] == ["Bob's words"]
    assert state["clock"] == change["clock"]


def _import(server: ServerProcess, archive: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.url}/api/boards", json={"import": archive}, timeout=30)


def _export(server: ServerProcess, board: dict[str, Any]) -> dict[str, Any]:
    r = server.get(f"/api/boards/{board['board']}/export", board["tokens"]["facilitator"])
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.mark.parametrize("session", [
    {"timer": {"label": "x", "ends": 1e308}},
    {"timer": "soon"},
    {"follow": 123},
    {"private": "yes"},
    {"private": True, "private_frame": {"a": 1}},
    {"present": ["f"]},
    {"anything": "x" * 1000},
])
def test_an_import_cannot_smuggle_a_session(
        server: ServerProcess, board: dict[str, Any], session: dict[str, Any]) -> None:
    """The session reaches every welcome and steers private mode: an archive's
    must be one the commands could have written."""
    archive = _export(server, board)
    archive["board"]["session"] = session
    r = _import(server, archive)
    assert r.status_code == 400 and r.json()["error"] == "invalid", r.text
    assert "board.session" in r.json()["message"]


def test_an_import_keeps_a_real_session(server: ServerProcess, board: dict[str, Any]) -> None:
    archive = _export(server, board)
    archive["board"]["session"] = {
        "timer": {"label": "Ronde 1", "ends": 1_900_000_000_000}, "follow": None,
        "private": True, "private_frame": "frame-1", "present": None, "present_insights": False}
    assert _import(server, archive).status_code == 201


def test_an_import_cannot_exceed_the_board_budget(
        server: ServerProcess, board: dict[str, Any]) -> None:
    """An archive may be 64 MiB, a board holds 8 MiB of elements: an import
    must not create a board no push could have made."""
    archive = _export(server, board)
    text = "x" * 2000
    archive["elements"] = [
        {**note(f"e{i}", text), "author": "p", "created": 1, "updated": 1, "v": 1}
        for i in range(5000)  # ~10.5 MB of elements
    ]
    archive["board"]["clock"] = 1
    r = _import(server, archive)
    assert r.status_code == 400 and "bytes of elements" in r.json()["message"], r.text


@pytest.mark.parametrize("data", ["😀" * 1000, "x" * 1025, ""])
def test_a_qr_code_too_big_is_a_json_refusal_not_a_crash(server: ServerProcess, data: str) -> None:
    """1 000 emoji are within the 1 024 characters but not within what a QR
    code holds: that was a 500 with a traceback in the server log."""
    r = httpx.get(f"{server.url}/api/qr.svg", params={"data": data}, timeout=30)
    assert r.status_code == 400 and r.json()["error"] == "invalid", r.text
    assert httpx.get(f"{server.url}/api/qr.svg", params={"data": "é" * 1024}).status_code == 200


async def test_the_lock_event_names_a_private_element_only_to_who_may_see_it(
        server: ServerProcess, board: dict[str, Any]) -> None:
    """A facilitator who locks everything during a private round must not tell
    every participant the ids of the others' private notes."""
    async with client(server, board, client_id="ada") as ada, \
            client(server, board, client_id="bob") as bob, \
            client(server, board, "viewer", client_id="vic") as vic, \
            client(server, board, "facilitator", client_id="fay") as fay:
        await ada.push([put(note("ada-secret", "mine", private=True))])
        ack = await bob.push([put(note("bob-public", "ours"))])
        await fay.wait_clock(ack["clock"])
        assert (await fay.cmd("lock", ids=["ada-secret", "bob-public"]))["ok"]
        for who, ids in ((ada, ["ada-secret", "bob-public"]), (bob, ["bob-public"]),
                         (vic, ["bob-public"])):
            event = await who.next_message("event", name="lock")
            assert event["ids"] == ids, (who.client_id, event)


async def test_a_selection_never_shares_a_private_elements_id(
        server: ServerProcess, board: dict[str, Any]) -> None:
    """Selecting one's own private note must not show its id to the room."""
    async with client(server, board, client_id="ada") as ada, \
            client(server, board, client_id="bob") as bob:
        ack = await ada.push([put(note("ada-secret", "mine", private=True)),
                              put(note("shared", "ours"))])
        await bob.wait_clock(ack["clock"])
        await ada.presence(selection=["ada-secret", "shared"])
        await bob.wait_for(lambda c: "selection" in c.participants.get(ada.you, {}))
        assert bob.participants[ada.you]["selection"] == ["shared"]


def test_a_big_body_is_read_in_the_worker_process_with_the_same_answers(
        server: ServerProcess, board: dict[str, Any]) -> None:
    """Bodies over 64 KiB (only an import may be that big) are parsed and
    checked in a worker process (a JSON parse holds the GIL: 60 MB of tiny
    numbers stopped the event loop for seconds, bench/import_stall.py); the
    answers are those of a small body."""
    archive = _export(server, board)
    archive["elements"] = [
        {**note(f"e{i}", "woorden " * 100), "author": "p", "created": 1, "updated": 1, "v": 1}
        for i in range(200)  # ~170 KB
    ]
    archive["board"]["clock"] = 1
    r = _import(server, archive)
    assert r.status_code == 201, r.text
    state = server.state(r.json()["board"], r.json()["tokens"]["viewer"])
    assert len(state["elements"]) == 200 and state["clock"] == 1
    url, json_type = f"{server.url}/api/boards", {"content-type": "application/json"}
    pad = "x" * 100_000
    answers = {
        b'{"title": "%s"}' % pad.encode(): (413, "too_large"),
        b'[' * 100_000 + b']' * 100_000: (400, "bad_message"),
        b'{"import": {"pad": "%s", "s": "\\ud800"}}' % pad.encode(): (400, "invalid"),
        b'{"import": {"pad": "%s"}, "title": "x"}' % pad.encode(): (400, "invalid"),
        b'{"import": {"pad": "%s"}}' % pad.encode(): (400, "invalid"),
    }
    for body, (status, code) in answers.items():
        r = httpx.post(url, content=body, headers=json_type, timeout=30)
        assert (r.status_code, r.json()["error"]) == (status, code), (body[:40], r.text)
    # and no reader outlives its request (an idle pool worker outlived even its server)
    assert server.proc is not None
    deadline = time.monotonic() + 10
    while _children(server.proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _children(server.proc.pid)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in (
                entry / "cmdline").read_bytes():  # multiprocessing's resource tracker may stay
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("limit", ["\u00b2", "\u0661\u0662", "\uff11\uff12"])
def test_the_bin_limit_takes_only_ascii_digits(
        server: ServerProcess, board: dict[str, Any], limit: str) -> None:
    """``str.isdigit`` says yes to "²" (and ``int`` then raised: a 500)."""
    r = server.get(f"/api/boards/{board['board']}/deleted", board["tokens"]["facilitator"],
                   params={"limit": limit})
    assert r.status_code == 400 and r.json()["error"] == "invalid", r.text


def test_an_imported_private_note_without_an_author_stays_private(
        server: ServerProcess, board: dict[str, Any]) -> None:
    """An HTTP caller has no participant id (""): a private element whose
    author is "", as an archive may hold (a missing author is refused), is not
    theirs to see."""
    archive = _export(server, board)
    secret = {**note("imported-secret", "mijn eigen woorden", private=True),
              "created": 1, "updated": 1, "v": 1, "author": ""}
    archive["elements"] = [*archive["elements"], secret]
    archive["board"]["clock"] = max(archive["board"]["clock"], 1)
    r = _import(server, archive)
    assert r.status_code == 201, r.text
    made = r.json()
    ids = {el["id"] for el in
           server.state(made["board"], made["tokens"]["viewer"])["elements"]}
    assert "imported-secret" not in ids
    ids = {el["id"] for el in
           server.state(made["board"], made["tokens"]["facilitator"])["elements"]}
    assert "imported-secret" in ids


def _python_threads(proc: ServerProcess) -> int:
    """How many threads the server's Python has started (the OS names them all
    "python"; libuv's own workers are "libuv-worker")."""
    assert proc.proc is not None
    tasks = Path(f"/proc/{proc.proc.pid}/task")
    return sum((task / "comm").read_text().strip() == "python" for task in tasks.iterdir())


async def test_reports_and_diffs_queue_in_the_export_lane(tmp_path: Path) -> None:
    """Reports, diffs and exports of many boards at once take turns in one
    worker (as snapshots and SVGs do), not one thread each from the loop's
    default pool: each such thread contends with the event loop for the GIL
    (24 reports at once stalled other boards' pings ~0.4 s)."""
    proc = ServerProcess(tmp_path / "data").start()
    try:
        boards = [proc.create_board(f"b{i}") for i in range(4)]
        for b in boards:
            async with BoardClient(proc.url, b["board"], b["tokens"]["participant"]) as c:
                await c.push([put(note(f"n{i}", "tekst " * 50)) for i in range(50)])
            r = proc.post(f"/api/boards/{b['board']}/snapshots", b["tokens"]["facilitator"],
                          {"label": "ronde 1"})
            assert r.status_code in (200, 201), r.text
        before = _python_threads(proc)
        snap = proc.get(f"/api/boards/{boards[0]['board']}/snapshots",
                        boards[0]["tokens"]["facilitator"]).json()["snapshots"][0]["snapshot"]
        async with httpx.AsyncClient(base_url=proc.url, timeout=30) as http:
            def get(path: str, token: str) -> Awaitable[httpx.Response]:
                return http.get(path, headers={"authorization": f"Bearer {token}"})
            calls: list[Awaitable[httpx.Response]] = []
            for b in boards:
                tok = b["tokens"]["facilitator"]
                calls += [get(f"/api/boards/{b['board']}/report", tok) for _ in range(3)]
                calls.append(get(f"/api/boards/{b['board']}/export", tok))
            calls += [get(f"/api/boards/{boards[0]['board']}/snapshots/{snap}/diff?to=live",
                          boards[0]["tokens"]["facilitator"]) for _ in range(4)]
            answers = await asyncio.gather(*calls)
        assert all(r.status_code == 200 for r in answers), [r.text for r in answers][:3]
        # at most the export lane's one worker, started by the first of them
        assert _python_threads(proc) - before <= 1, _python_threads(proc) - before
    finally:
        proc.stop()
