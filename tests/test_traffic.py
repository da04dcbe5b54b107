"""Real traffic against the JSON Schema files, in both encodings and both validators.

A scripted session against a real server sends every client message type and
draws every server message type (welcome full and catch-up, ack ok and
refused, patch, presence, each event, result ok and refused, error, pong,
bundle) plus every REST body. Each recorded message must pass Python's
``jsonschema`` (with its FormatChecker) and Ajv in strict mode; the server
schemas forbid unknown keys, so a message that changes shape fails here.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from canvas_client.client import BoardClient, Closed
from tests import schema_check
from tests.conftest import ServerProcess, note, put

Recorded = list[tuple[str, dict[str, Any]]]
EVENTS = {"timer", "follow", "private", "reveal", "lock", "snapshot", "insights", "present"}

#: Elements out of range: refused by the server (ack ok:false, invalid) and,
#: but for the odd point count, by the schema too.
OUT_OF_RANGE: dict[str, dict[str, Any]] = {
    "x": note("bad1", x=2_000_000),
    "w": note("bad2", w=-1),
    "r": {"id": "bad3", "kind": "table", "x": 0, "y": 0, "z": "a", "label": "T", "r": -5},
    "date": {"id": "bad4", "kind": "lane", "x": 0, "y": 0, "z": "a", "label": "L",
             "start": "2024-13-01", "end": "2024-12-31"},
    "points": {"id": "bad5", "kind": "stroke", "x": 0, "y": 0, "z": "a", "points": [1, 2, 3],
               "color": "#000", "width": 2},
}
NOT_EXPRESSIBLE = {"points"}  # an even count: docs/protocol.md §4 lists it


@pytest.fixture(scope="module")
def paced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server that always paces, so a burst reaches a reader as a ``bundle``."""
    env = {"TUSSENTAFEL_PACE_ABOVE_PER_S": "0", "TUSSENTAFEL_FRAME_INTERVAL_MS": "60"}
    proc = ServerProcess(tmp_path_factory.mktemp("traffic"), env=env).start()
    yield proc
    proc.stop()


def _http(recorded: Recorded, schema: str, response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    recorded.append((schema, body))
    return body


def _rest(server: ServerProcess, recorded: Recorded) -> tuple[str, dict[str, str]]:
    request = {"title": "Traffic", "template": "atelier"}
    recorded.append(("http.create-board.request.schema.json", request))
    created = _http(recorded, "http.create-board.response.schema.json",
                    httpx.post(f"{server.url}/api/boards", json=request, timeout=10), 201)
    board, tokens = created["board"], created["tokens"]
    fac = tokens["facilitator"]
    _http(recorded, "http.board.response.schema.json", server.get(f"/api/boards/{board}", fac),
          200)
    _http(recorded, "http.state.response.schema.json",
          server.get(f"/api/boards/{board}/state", fac), 200)
    _http(recorded, "http.insights.response.schema.json",
          server.get(f"/api/boards/{board}/insights", fac), 200)
    _http(recorded, "http.error.response.schema.json",
          server.get(f"/api/boards/{board}/state", "not-a-token"), 401)
    return board, tokens


async def _session(server: ServerProcess, encoding: str, recorded: Recorded,
                   refused: Recorded) -> None:
    board, tokens = _rest(server, recorded)

    def rec(direction: str, message: dict[str, Any]) -> None:
        schema = "client-message" if direction == "sent" else "server-message"
        recorded.append((f"{schema}.schema.json", copy.deepcopy(message)))

    def client(token: str, **kw: Any) -> BoardClient:
        return BoardClient(server.url, board, token, encoding=encoding, record=rec, **kw)

    async with client(tokens["facilitator"], name="Fay") as fac, \
            client(tokens["participant"], name="Piet") as par:
        await fac.send_raw(fac._encode({"type": "ping"}))  # a raw frame is not recorded
        rec("sent", {"type": "ping"})
        await fac.next_message("pong")
        await par.presence(cursor=[10.5, -3], viewport=[0, 0, 800, 600], selection=["n1"])
        await fac.wait_for(lambda c: par.you in c.participants
                           and c.participants[par.you].get("cursor") == [10.5, -3])
        await fac.presence(pointer=[120, 80.5])  # the facilitator's pointer, then hidden
        await par.wait_for(lambda c: c.participants[fac.you].get("pointer") == [120, 80.5])
        await fac.presence(pointer=None)
        await par.wait_for(lambda c: c.participants[fac.you].get("pointer", 0) is None)

        assert (await par.push([put(note("n1"))]))["ok"]
        refusal = await par.push([{"op": "patch", "id": "nobody", "set": {"x": 1}}])
        assert refusal == {**refusal, "ok": False, "code": "conflict"}
        await fac.push([put({"id": "d1", "kind": "domain", "x": 0, "y": 0, "z": "b",
                             "label": "Zorg", "r": 50, "owner": "Piet"})])
        await fac.next_message("event", name="insights")

        args: dict[str, Any]
        for name, args in (("timer.start", {"seconds": 60, "label": "Pauze"}),
                           ("timer.stop", {}), ("follow.start", {}), ("follow.stop", {}),
                           ("private.start", {}), ("reveal", {}), ("private.start", {}),
                           ("private.stop", {}), ("lock", {"ids": ["n1"]}),
                           ("unlock", {"ids": ["n1"]}), ("snapshot", {"label": "Eerste"}),
                           ("present.frame", {"frame": "tpl-frame-task"}),
                           ("present.insights", {}), ("present.stop", {})):
            result = await fac.cmd(name, **args)
            assert result["ok"], result
        for name in ("timer", "follow", "private", "reveal", "lock", "snapshot", "present"):
            await par.next_message("event", name=name)
        for name, args in (("no.such.command", {}), ("timer.start", {"seconds": 100_000}),
                           ("lock", {"ids": []})):
            result = await fac.cmd(name, **args)  # refused by the server and the schema
            assert result["ok"] is False and result["code"] == "invalid", result
            entry = next(e for e in recorded if e[1].get("id") == result["id"]
                         and e[1].get("type") == "cmd")
            recorded.remove(entry)
            refused.append(entry)
        assert (await par.cmd("lock", ids=["n1"]))["code"] == "forbidden"

        await par.send_raw(par._encode({"type": "bogus"}))
        refused.append(("client-message.schema.json", {"type": "bogus"}))
        await par.next_message("error", code="bad_message")

        for case, el in OUT_OF_RANGE.items():
            ack = await par.push([put(el)])
            assert ack["ok"] is False and ack["code"] == "invalid", (case, ack)
            entry = next(e for e in recorded if e[1].get("type") == "push"
                         and e[1]["ops"][0].get("el", {}).get("id") == el["id"])
            recorded.remove(entry)
            if case not in NOT_EXPRESSIBLE:
                refused.append(entry)
            else:
                recorded.append(entry)  # valid as far as JSON Schema can tell

        acks = [fac.push_nowait([put(note(f"burst{i}"))]) for i in range(12)]
        assert all(a["ok"] for a in await asyncio.gather(*acks))
        await par.wait_clock(fac.clock)
        since = par.clock
        await fac.push([{"op": "del", "id": "burst0"}, put(note("late"))])
        async with client(tokens["participant"], client_id="again") as again:
            await again.close()
            await again.connect(since=since)

    snapshots = _http(recorded, "http.snapshots.response.schema.json",
                      server.get(f"/api/boards/{board}/snapshots", tokens["viewer"]), 200)
    sid = snapshots["snapshots"][0]["snapshot"]
    _http(recorded, "http.snapshot.response.schema.json",
          server.get(f"/api/boards/{board}/snapshots/{sid}", tokens["viewer"]), 200)
    label = {"label": "Tweede"}
    recorded.append(("http.create-snapshot.request.schema.json", label))
    _http(recorded, "http.snapshot-meta.response.schema.json",
          server.post(f"/api/boards/{board}/snapshots", tokens["facilitator"], label), 201)
    _http(recorded, "http.restore.response.schema.json",
          server.post(f"/api/boards/{board}/snapshots/{sid}/restore", tokens["facilitator"]), 200)
    _http(recorded, "http.rotate.response.schema.json",
          server.post(f"/api/boards/{board}/rotate", tokens["facilitator"]), 200)
    with pytest.raises(Closed):  # the old token: a fatal error, then 4401
        await client(tokens["viewer"], reconnect=False).connect()


def _server_messages(recorded: Recorded) -> list[dict[str, Any]]:
    out = []
    for schema, message in recorded:
        if schema == "server-message.schema.json":
            out += [message, *message.get("messages", [])]
    return out


Traffic = tuple[Recorded, Recorded]  # recorded (valid), refused (the schemas must reject)


@pytest.fixture(scope="module")
def sessions(paced: ServerProcess) -> dict[str, Traffic]:
    out: dict[str, Traffic] = {}
    for encoding in ("msgpack", "json"):
        recorded: Recorded = []
        refused: Recorded = []
        asyncio.run(_session(paced, encoding, recorded, refused))
        out[encoding] = (recorded, refused)
    return out


@pytest.fixture(params=["msgpack", "json"])
def traffic(request: pytest.FixtureRequest, sessions: dict[str, Traffic]) -> Traffic:
    return sessions[request.param]


def test_the_session_covers_every_message_type(traffic: Traffic) -> None:
    recorded, _ = traffic
    sent = {m["type"] for s, m in recorded if s == "client-message.schema.json"}
    assert sent == {"hello", "push", "presence", "cmd", "ping"}
    got = _server_messages(recorded)
    kinds = {(m["type"], m.get("ok"), m.get("full")) for m in got}
    for expected in (("welcome", None, True), ("welcome", None, False), ("ack", True, None),
                     ("ack", False, None), ("result", True, None), ("result", False, None)):
        assert expected in kinds
    types = {m["type"] for m in got} | {m["type"] for s, m in recorded
                                         if s == "server-message.schema.json"}
    assert types == {"welcome", "ack", "patch", "presence", "event", "result", "error", "pong",
                     "bundle"}
    assert {m["name"] for m in got if m["type"] == "event"} == EVENTS
    assert {(m["code"], m["fatal"]) for m in got if m["type"] == "error"} == {
        ("bad_message", False), ("unauthorized", True)}
    catch_up = [m for m in got if m["type"] == "welcome" and not m["full"]]
    assert any(m["deleted"] == ["burst0"] and m["elements"] for m in catch_up)
    rest = {s for s, _ in recorded if s.startswith("http.")}
    assert rest == {name for name in schema_check.schemas() if name.startswith("http.")}


def test_python_jsonschema_accepts_every_recorded_message(
    traffic: Traffic,
) -> None:
    recorded, refused = traffic
    for schema, message in recorded:
        assert schema_check.python_errors(schema, message) == [], (schema, message)
    for schema, message in refused:
        assert schema_check.python_errors(schema, message), (schema, message)


def test_ajv_strict_accepts_every_recorded_message(traffic: Traffic) -> None:
    recorded, refused = traffic
    verdicts = schema_check.ajv([*recorded, *refused])
    for (schema, message), verdict in zip(recorded, verdicts, strict=False):
        assert verdict is None, (schema, message, verdict)
    assert all(v is not None for v in verdicts[len(recorded):]), refused


def _mutations(recorded: Recorded) -> list[tuple[str, dict[str, Any]]]:
    """Recorded messages made wrong in ways a changed server could make them."""
    got = _server_messages(recorded)
    welcome = next(m for m in got if m["type"] == "welcome" and m["elements"])
    ack = next(m for m in got if m["type"] == "ack" and m["ok"])
    event = next(m for m in got if m["type"] == "event" and m["name"] == "lock")
    out = []
    extra = copy.deepcopy(welcome)
    extra["surprise"] = 1
    out.append(extra)
    missing = copy.deepcopy(welcome)
    del missing["session"]
    out.append(missing)
    far = copy.deepcopy(welcome)
    far["elements"][0]["x"] = 2_000_000
    out.append(far)
    out.append({**ack, "clock": -1})
    out.append({**event, "ids": "n1"})
    out.append({"type": "bundle", "messages": [{"type": "bundle", "messages": [ack]}]})
    return [("server-message.schema.json", m) for m in out]


def test_a_loosened_schema_or_a_changed_message_would_fail(
    traffic: Traffic,
) -> None:
    recorded, _ = traffic
    wrong = _mutations(recorded)
    for schema, message in wrong:
        assert schema_check.python_errors(schema, message), message
    assert all(v is not None for v in schema_check.ajv(wrong))
