"""Snapshots, templates, facilitator commands, presence and insights, end to end."""

from __future__ import annotations

import asyncio
import json
import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from websockets.asyncio.client import connect

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess, note, put

pytestmark = pytest.mark.timeout(60)


def clients(
    server: ServerProcess, board: dict[str, Any], *roles: str, **kw: Any
) -> list[BoardClient]:
    return [BoardClient(server.url, board["board"], board["tokens"][r], name=f"{r}{i}", **kw)
            for i, r in enumerate(roles)]


async def test_snapshot_then_restore_is_one_new_change_seen_by_everyone(server, board):
    b, tok = board["board"], board["tokens"]
    fac, part = clients(server, board, "facilitator", "participant")
    async with fac, part:
        await part.push([put(note("a", "Why am I here")), put(note("b", "mandate"))])
        r = server.post(f"/api/boards/{b}/snapshots", tok["facilitator"],
                        {"label": "after round 1"})
        assert r.status_code == 201
        snap = r.json()
        assert snap["label"] == "after round 1" and snap["clock"] == 1 and snap["elements"] == 2
        assert "." not in snap["snapshot"]
        await part.push([{"op": "patch", "id": "a", "set": {"text": "changed"}},
                         {"op": "del", "id": "b"}, put(note("c"))])
        assert server.post(f"/api/boards/{b}/snapshots/{snap['snapshot']}/restore",
                           tok["participant"]).status_code == 403
        assert server.post(f"/api/boards/{b}/snapshots", tok["participant"],
                           {"label": "x"}).status_code == 403
        r = server.post(f"/api/boards/{b}/snapshots/{snap['snapshot']}/restore", tok["facilitator"])
        assert r.status_code == 200 and r.json() == {"clock": 3}
        await part.wait_clock(3)
        assert sorted(part.elements) == ["a", "b"]
        assert part.elements["a"]["text"] == "Why am I here" and part.elements["a"]["v"] == 3
        assert part.elements["a"]["author"] == part.you  # author and created are kept
        state = server.state(b, tok["viewer"])
        assert state["clock"] == 3 and {e["id"]: e for e in state["elements"]} == part.elements


async def test_snapshot_list_get_and_svg(server, board):
    b, tok = board["board"], board["tokens"]
    async with BoardClient(server.url, b, tok["facilitator"]) as fac:
        await fac.push([put({"id": "t", "kind": "table", "x": 0, "y": 0, "z": "a",
                             "label": "Sport & <Stad>", "r": 300}),
                        put(note("n", "Ons gezamenlijk doel"))])
        first = (await fac.cmd("snapshot", label="first"))["snapshot"]
        await fac.push([put(note("m", "later"))])
        second = server.post(f"/api/boards/{b}/snapshots", tok["facilitator"],
                             {"label": "second"}).json()
    listed = server.get(f"/api/boards/{b}/snapshots", tok["viewer"]).json()["snapshots"]
    assert [s["snapshot"] for s in listed] == [second["snapshot"], first["snapshot"]]
    got = server.get(f"/api/boards/{b}/snapshots/{first['snapshot']}", tok["viewer"]).json()
    assert got["snapshot"]["label"] == "first" and {e["id"] for e in got["elements"]} == {"t", "n"}
    r = server.get(f"/api/boards/{b}/snapshots/{first['snapshot']}.svg", tok["viewer"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(r.text)
    text = " ".join(root.itertext())
    assert "Sport & <Stad>" in text and "Ons gezamenlijk doel" in text and "later" not in text
    assert server.get(f"/api/boards/{b}/snapshots/nosuch", tok["viewer"]).status_code == 404


def test_atelier_template_lays_out_the_four_exercises(server):
    board = server.create_board("Atelier", template="atelier")
    state = server.state(board["board"], board["tokens"]["viewer"])
    assert state["clock"] == 1
    els = state["elements"]
    frames = {e["exercise"] for e in els if e["kind"] == "frame" and "exercise" in e}
    assert frames == {"task", "time", "territory", "role"}
    assert any(e["kind"] == "table" for e in els)
    assert any(e["kind"] == "grade_scale" for e in els)
    assert sum(e["kind"] == "lane" for e in els) == 2
    tok = board["tokens"]["facilitator"]
    snap = server.post(f"/api/boards/{board['board']}/snapshots", tok, {"label": "start"}).json()
    svg = server.get(f"/api/boards/{board['board']}/snapshots/{snap['snapshot']}.svg", tok).text
    root = ET.fromstring(svg)
    kinds = {g.get("data-kind") for g in root.iter() if g.get("data-kind")}
    assert {"frame", "table", "grade_scale", "lane"} <= kinds


async def test_commands_are_for_facilitators_only(server, board):
    part, view = clients(server, board, "participant", "viewer")
    async with part, view:
        for name, args in [("timer.start", {"seconds": 60}), ("timer.stop", {}),
                           ("follow.start", {}), ("follow.stop", {}), ("private.start", {}),
                           ("private.stop", {}), ("reveal", {}), ("lock", {"ids": ["x"]}),
                           ("unlock", {"ids": ["x"]}), ("snapshot", {"label": "x"})]:
            for c in (part, view):
                result = await c.cmd(name, **args)
                assert result["ok"] is False and result["code"] == "forbidden", (name, result)


async def test_timer_and_follow_reach_everyone_and_late_joiners(server, board):
    fac, part, view = clients(server, board, "facilitator", "participant", "viewer")
    async with fac, part, view:
        before = int(time.time() * 1000)
        result = await fac.cmd("timer.start", seconds=300, label="Why are we here?")
        assert result["ok"] and result["timer"]["label"] == "Why are we here?"
        ends = result["timer"]["ends"]
        assert before + 300_000 <= ends <= before + 302_000
        for c in (part, view):
            event = await c.next_message("event", name="timer")
            assert event["timer"] == {"label": "Why are we here?", "ends": ends}
        assert (await fac.cmd("follow.start"))["follow"] == fac.you
        await view.next_message("event", name="follow")
        assert (await fac.cmd("timer.start", seconds=-1))["code"] == "invalid"
        async with BoardClient(server.url, board["board"], board["tokens"]["viewer"]) as late:
            welcome = await late.next_message("welcome")
            assert welcome["session"]["timer"] == {"label": "Why are we here?", "ends": ends}
            assert welcome["session"]["follow"] == fac.you
        await fac.cmd("timer.stop")
        await fac.cmd("follow.stop")
        async with BoardClient(server.url, board["board"], board["tokens"]["viewer"]) as late:
            welcome = await late.next_message("welcome")
            assert welcome["session"]["timer"] is None and welcome["session"]["follow"] is None


async def _raw(server: ServerProcess, board: dict[str, Any], role: str, client: str) -> Any:
    ws = await connect(f"ws://127.0.0.1:{server.port}/api/boards/{board['board']}/ws",
                       subprotocols=["tussentafel.v1.json"], max_size=None)
    await ws.send(json.dumps({"type": "hello", "token": board["tokens"][role], "client": client,
                              "name": client}))
    return ws


async def test_private_notes_reach_only_author_and_facilitators_until_reveal(server, board):
    fac, ada, bob, view = clients(server, board, "facilitator", "participant", "participant",
                                  "viewer")
    async with fac, ada, bob, view:
        raw = await _raw(server, board, "participant", "carol")
        frames: list[str] = []

        async def record() -> None:
            async for frame in raw:
                frames.append(frame)

        recorder = asyncio.create_task(record())
        assert (await fac.cmd("private.start"))["private"] is True
        await ada.next_message("event", name="private")
        refused = await ada.push([put(note("open"))])
        assert refused["ok"] is False and refused["code"] == "forbidden"
        ack = await ada.push([put(note("secret", "my mandate: sport", private=True))])
        assert ack["ok"]
        await asyncio.gather(fac.wait_clock(ack["clock"]), bob.wait_clock(ack["clock"]),
                             view.wait_clock(ack["clock"]))
        assert "secret" in fac.elements and "secret" not in bob.elements
        assert "secret" not in view.elements
        state = server.state(board["board"], board["tokens"]["participant"])
        assert state["elements"] == [] and state["clock"] == ack["clock"]
        async with BoardClient(server.url, board["board"], board["tokens"]["participant"]) as late:
            assert "secret" not in late.elements
        async with BoardClient(server.url, board["board"], board["tokens"]["facilitator"]) as f2:
            assert "secret" in f2.elements
        assert (await ada.push([put(note("open2", private=True))]))["ok"]
        result = await fac.cmd("reveal")
        assert result["ok"] and sorted(result["ids"]) == ["open2", "secret"]
        await bob.wait_for(lambda c: "secret" in c.elements)
        assert bob.elements["secret"]["private"] is False
        assert bob.elements["secret"] == fac.elements["secret"] == ada.elements["secret"]
        await view.wait_for(lambda c: "secret" in c.elements)
        await raw.close()
        await recorder
        assert any("my mandate: sport" in f for f in frames)  # it came, with the reveal
        leaked = [el for f in frames for el in _elements_in(json.loads(f))
                  if el.get("private") is True]
        assert not leaked, "a private note reached another participant before reveal"


def _elements_in(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        found = [value] if "kind" in value and "id" in value else []
        return found + [el for v in value.values() for el in _elements_in(v)]
    if isinstance(value, list):
        return [el for v in value for el in _elements_in(v)]
    return []


async def test_lock_keeps_participants_out_until_unlock(server, board):
    fac, part, view = clients(server, board, "facilitator", "participant", "viewer")
    async with fac, part, view:
        await part.push([put(note("agreed", "we decide together"))])
        result = await fac.cmd("lock", ids=["agreed", "missing"])
        assert result["ok"] and result["ids"] == ["agreed"]
        event = await view.next_message("event", name="lock")
        assert event["locked"] is True and event["ids"] == ["agreed"]
        await part.wait_for(lambda c: c.elements["agreed"].get("locked") is True)
        ack = await part.push([{"op": "patch", "id": "agreed", "set": {"text": "no"}}])
        assert ack["ok"] is False and ack["code"] == "forbidden"
        assert part.elements["agreed"]["text"] == "we decide together"  # rolled back
        async with BoardClient(server.url, board["board"], board["tokens"]["participant"]) as late:
            assert late.elements["agreed"]["locked"] is True
        assert (await fac.cmd("unlock", ids=["agreed"]))["ok"]
        await part.wait_for(lambda c: "locked" not in c.elements["agreed"])
        assert (await part.push([{"op": "patch", "id": "agreed", "set": {"text": "ok"}}]))["ok"]


async def test_presence_is_coalesced_and_goes_offline_on_disconnect(server, board):
    ada, view = clients(server, board, "participant", "viewer")
    async with view:
        await ada.connect()
        frames = []
        view.listeners.append(lambda m: frames.append(m) if m["type"] == "presence" else None)
        for i in range(100):
            await ada.presence(cursor=[i, i * 2], viewport=[0, 0, 800, 600])
        await view.wait_for(lambda c: c.participants.get(ada.you, {}).get("cursor") == [99, 198])
        assert len(frames) < 40  # 100 updates coalesced at <= 20 Hz
        entry = view.participants[ada.you]
        assert entry["online"] is True and entry["name"] == "participant0" and entry["color"]
        started = time.monotonic()
        await ada.close()
        await view.wait_for(lambda c: c.participants[ada.you]["online"] is False, timeout=5)
        assert time.monotonic() - started < 5


async def test_insights_endpoint_and_event(server, board):
    b, tok = board["board"], board["tokens"]
    async with BoardClient(server.url, b, tok["facilitator"], name="Ada") as fac:
        await fac.push([
            put({"id": "t", "kind": "table", "x": 0, "y": 0, "z": "a", "label": "T", "r": 100}),
            put({"id": "d1", "kind": "domain", "x": 0, "y": 0, "z": "a", "label": "Sport",
                 "r": 30}),
            put({"id": "d2", "kind": "domain", "x": 40, "y": 0, "z": "a", "label": "Groen",
                 "r": 30}),
            put({"id": "d3", "kind": "domain", "x": 500, "y": 0, "z": "a", "label": "Far",
                 "r": 10}),
        ])
        event = await fac.next_message("event", name="insights")
        assert event["insights"]["territory"]["overlaps"] == [["d1", "d2"]]
        async with BoardClient(server.url, b, tok["participant"], name="Bob"):
            # Bob counts while online (one who only looked is forgotten when he leaves)
            got = server.get(f"/api/boards/{b}/insights", tok["viewer"]).json()
    assert got["territory"]["overlaps"] == [["d1", "d2"]]
    assert got["territory"]["outside"] == ["d3"]
    assert got["territory"]["without_domain"] == ["Bob"]  # the facilitator leads: not asked
    assert set(got) == {"territory", "grades", "roles", "time"}
