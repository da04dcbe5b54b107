"""Hostile input over real sockets and HTTP: the server never crashes, every
batch is all-or-nothing, and the board always validates against schemas/."""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import httpx
import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from schemas.elements import check_element
from server.core.board import Actor, BoardState, Change, apply
from tests.conftest import ServerProcess
from tests.strategies import ops

pytestmark = [pytest.mark.timeout(300)]

STAMPS = ("author", "v", "created", "updated")

junk = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20,
)
unicode_edge = st.sampled_from(["\u0000", "\u202e", "\U0001f600" * 3, "é" * 2001, "\ufeff",
                                "a\r\nb", "<script>", "\\u0000"])


@st.composite
def messages(draw: st.DrawFn) -> Any:
    kind = draw(st.integers(0, 9))
    if kind <= 3:  # a push of plausible (often invalid) ops
        return {"type": "push", "id": draw(st.text(min_size=1, max_size=10)),
                "ops": draw(st.lists(ops(), min_size=1, max_size=5))}
    if kind == 4:  # a push with junk where ops or elements go
        return {"type": "push", "id": draw(st.integers(0, 1000)),
                "ops": draw(st.lists(st.one_of(junk, st.fixed_dictionaries(
                    {"op": st.sampled_from(["put", "patch", "del"]), "el": junk, "id": junk,
                     "set": junk})), max_size=4))}
    if kind == 5:  # unicode edges in fields
        return {"type": "push", "id": "u", "ops": [{"op": "put", "el": {
            "id": "uni", "kind": "note", "x": 0, "y": 0, "z": "a", "w": 1, "h": 1,
            "text": draw(unicode_edge)}}]}
    if kind == 6:
        return {"type": draw(st.sampled_from(["presence", "cmd", "ping", "hello", "nope", 5])),
                "cursor": draw(junk), "viewport": draw(junk), "name": draw(junk),
                "args": draw(junk), "id": draw(junk)}
    if kind == 7:
        return draw(junk)  # not even a map, mostly
    if kind == 8:
        return {"type": "push", "id": "huge", "ops": [{"op": "patch", "id": "e1", "set": {
            "x": draw(st.sampled_from([2**64 - 1, -(2**63), 1e308, -0.0, 5e-324]))}}]}
    return "RAW"


def _frame(message: Any, encoding: str, raw: bytes) -> bytes | str:
    if message == "RAW":
        return raw if encoding == "msgpack" else raw.decode("latin-1")
    if encoding == "msgpack":
        try:
            packed: bytes = msgpack.packb(message, use_bin_type=True)
            return packed
        except (OverflowError, ValueError, TypeError):
            return raw
    try:
        return json.dumps(message)  # NaN/Infinity go out as JSON's non-standard literals
    except (ValueError, TypeError, OverflowError):
        return raw.decode("latin-1")


def _acked(push: dict[str, Any], encoding: str) -> bool:
    """Whether the server answers this push with an ack (else bad_message)."""
    if encoding == "json":
        try:
            json.dumps(push, allow_nan=False)
        except ValueError:
            return False  # NaN/Infinity are not JSON: the frame is a bad_message
    pid = push.get("id")
    good_id = ((isinstance(pid, int) and not isinstance(pid, bool) and -(2**63) <= pid < 2**63)
               or (isinstance(pid, str) and 0 < len(pid) <= 128))
    return good_id and isinstance(push.get("ops"), list)


def _plain(elements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {el["id"]: {k: v for k, v in el.items() if k not in STAMPS} for el in elements}


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return bool(a == b)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=st.lists(st.tuples(messages(), st.binary(max_size=40)), min_size=1, max_size=25),
       encoding=st.sampled_from(["msgpack", "json"]))
async def test_random_messages_never_break_the_server(
        server: ServerProcess, batch: list[tuple[Any, bytes]], encoding: str) -> None:
    board = server.create_board("fuzz")
    b, tok = board["board"], board["tokens"]
    url = f"ws://127.0.0.1:{server.port}/api/boards/{b}/ws"
    ws = await connect(url, subprotocols=[Subprotocol(f"tussentafel.v1.{encoding}")], max_size=None)
    decode = (lambda f: msgpack.unpackb(f, raw=False, strict_map_key=False)) if \
        encoding == "msgpack" else json.loads
    await ws.send(_frame({"type": "hello", "token": tok["participant"], "client": "fuzz"},
                         encoding, b""))
    welcome = decode(await ws.recv())
    assert welcome["type"] == "welcome"
    model = BoardState(b)
    actor = Actor(welcome["you"], "participant")
    sent_pushes: list[Any] = []
    closed = False
    for message, raw in batch:
        try:
            await ws.send(_frame(message, encoding, raw))
        except ConnectionClosed:
            closed = True
            break
        if isinstance(message, dict) and message.get("type") == "push":
            sent_pushes.append(message)
    acks: list[dict[str, Any]] = []
    if not closed:
        expected = sum(_acked(m, encoding) for m in sent_pushes)  # the rest get bad_message errors
        try:
            while len(acks) < expected:
                reply = decode(await asyncio.wait_for(ws.recv(), 3))
                replies = reply["messages"] if reply.get("type") == "bundle" else [reply]
                acks += [r for r in replies if r.get("type") == "ack"]
        except ConnectionClosed:
            closed = True
        await ws.close()
    assert ws.close_code in (None, 1000, 1008, 1009) or not closed
    # The server is alive, and the board holds exactly what the acked batches made.
    assert (await asyncio.to_thread(httpx.get, f"{server.url}/healthz")).status_code == 200
    state = server.state(b, tok["facilitator"])
    for el in state["elements"]:
        check_element(el)
    if closed:
        return  # which pushes arrived before the close is not known; validity is checked
    ok_ids = {ack["id"] for ack in acks if ack["ok"]}
    clock, committed = 0, set()
    for message in sent_pushes:
        if not _acked(message, encoding) or message["id"] in committed:
            continue  # a re-sent id gets its original ack and changes nothing
        result = apply(model, message["ops"], actor, 0)
        if isinstance(result, Change):  # (a batch that changes nothing takes no clock)
            model.advance(result)
            committed.add(message["id"])
            clock += 1
    assert state["clock"] == clock == max((a["clock"] for a in acks if a["ok"]), default=0)
    assert ok_ids <= {m["id"] for m in sent_pushes if isinstance(m.get("id"), str | int)}
    made, got = _plain(list(model.elements.values())), _plain(state["elements"])
    assert made.keys() == got.keys()
    for eid in made:
        assert made[eid].keys() == got[eid].keys(), eid
        assert all(_same_value(made[eid][k], got[eid][k]) for k in made[eid]), eid


async def test_deep_nesting_and_huge_frames_are_refused_cleanly(server: ServerProcess) -> None:
    board = server.create_board("deep")
    url = f"ws://127.0.0.1:{server.port}/api/boards/{board['board']}/ws"
    cases: list[tuple[str, str | bytes, str | bytes]] = [
        ("json", json.dumps({"type": "hello", "token": board["tokens"]["participant"],
                             "client": "d"}),
         '{"type":"push","id":"x","ops":' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("msgpack", msgpack.packb({"type": "hello", "token": board["tokens"]["participant"],
                                   "client": "d"}),
         b"\x82\xa4type\xa4push\xa3ops" + b"\x91" * 200_000 + b"\xc0"),
    ]
    for encoding, hello, deep in cases:
        ws = await connect(url, subprotocols=[Subprotocol(f"tussentafel.v1.{encoding}")],
                           max_size=None)
        await ws.send(hello)
        await ws.recv()
        await ws.send(deep)
        reply = await ws.recv()
        message = json.loads(reply) if encoding == "json" else msgpack.unpackb(reply)
        assert message["type"] == "error" and message["code"] == "bad_message"
        await ws.close()
    assert (await asyncio.to_thread(httpx.get, f"{server.url}/healthz")).status_code == 200


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.one_of(junk.map(lambda v: json.dumps(v).encode()), st.binary(max_size=200)),
       path=st.sampled_from(["/api/boards", "/api/boards/{b}/snapshots", "/api/boards/{b}/rotate",
                             "/api/boards/{b}/snapshots/x/restore"]),
       token=st.sampled_from(["facilitator", "participant", "none", "junk"]))
def test_http_bodies_never_crash_the_server(
        server: ServerProcess, body: bytes, path: str, token: str) -> None:
    board = server.create_board("http-fuzz")
    headers = {}
    if token in board["tokens"]:
        headers["authorization"] = f"Bearer {board['tokens'][token]}"
    elif token == "junk":
        headers["authorization"] = "Bearer junk.f1.AAAA"
    r = httpx.post(f"{server.url}{path.format(b=board['board'])}", content=body, headers=headers)
    assert r.status_code < 500, r.text
    assert r.headers["content-type"].startswith("application/json")
    if r.status_code >= 400:
        assert set(r.json()) == {"error", "message"}
