"""The plugin contract (docs/protocol.md §3, §8; docs/sync-js.md): versioning,
hello errors, stamps, no-op batches, one code per kind of fault, and the
sync.js package with its typings."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from canvas_client.client import BoardClient
from schemas.messages import PROTOCOL_VERSION, Error, Welcome
from tests.conftest import ROOT, ServerProcess, note, put

pytestmark = pytest.mark.timeout(60)

JS = ROOT / "tests" / "js"
WEB = ROOT / "canvas_client" / "web"


def client(server: ServerProcess, board: dict[str, Any], role: str = "participant",
           **kw: Any) -> BoardClient:
    return BoardClient(server.url, board["board"], board["tokens"][role], **kw)


async def raw(server: ServerProcess, board: dict[str, Any]) -> ClientConnection:
    return await connect(f"ws://127.0.0.1:{server.port}/api/boards/{board['board']}/ws",
                         subprotocols=[Subprotocol("tussentafel.v1.json")])


async def answer_then_close(ws: ClientConnection) -> tuple[dict[str, Any], int | None]:
    """The server's one message before it closes, and the close code."""
    message: dict[str, Any] = json.loads(await ws.recv())
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 5)
    return message, ws.close_code


# -- versioning ------------------------------------------------------------------


async def test_welcome_carries_the_protocol_version(
        server: ServerProcess, board: dict[str, Any]) -> None:
    ws = await raw(server, board)
    await ws.send(json.dumps({"type": "hello", "token": board["tokens"]["viewer"], "client": "c"}))
    welcome = json.loads(await ws.recv())
    await ws.close()
    assert welcome["type"] == "welcome" and welcome["protocol"] == PROTOCOL_VERSION == 1
    Welcome.model_validate(welcome)


@pytest.mark.parametrize(("field", "value"), [("name", "x" * 81), ("since", 1.5),
                                               ("client", ""), ("token", 7), ("protocol", "1")])
async def test_an_invalid_hello_is_invalid_and_names_the_field(
        server: ServerProcess, board: dict[str, Any], field: str, value: object) -> None:
    ws = await raw(server, board)
    hello = {"type": "hello", "token": board["tokens"]["participant"], "client": "c", field: value}
    await ws.send(json.dumps(hello))
    error, close = await answer_then_close(ws)
    Error.model_validate(error)
    assert error["code"] == "invalid" and error["fatal"] is True
    assert field in error["message"]
    assert close == 1008  # "fix your client", not 4401 (a revoked link)


@pytest.mark.parametrize("frame", [
    '{"type": "hello", "token": "T", "client": "c", "name": "Ana \\ud800"}',  # lone surrogate
    '{"type": "hello", "token": ',  # cut short
    '["hello"]',  # not a map
    '{"type": "hello", "name": ' + "[" * 40 + "]" * 40 + "}",  # nested too deep
])
async def test_a_first_frame_that_cannot_be_decoded_is_a_bad_message_not_a_revoked_link(
        server: ServerProcess, board: dict[str, Any], frame: str) -> None:
    ws = await raw(server, board)
    await ws.send(frame.replace('"T"', json.dumps(board["tokens"]["participant"])))
    error, close = await answer_then_close(ws)
    Error.model_validate(error)
    assert error["code"] == "bad_message" and error["fatal"] is True
    assert error["message"].startswith("hello: ")
    assert close == 1008  # "fix your client", not 4401 (which reads as a revoked link)


async def test_a_hello_for_an_unsupported_protocol_is_incompatible(
        server: ServerProcess, board: dict[str, Any]) -> None:
    ws = await raw(server, board)
    await ws.send(json.dumps({"type": "hello", "protocol": 2,
                              "token": board["tokens"]["participant"], "client": "c"}))
    error, close = await answer_then_close(ws)
    Error.model_validate(error)
    assert error["code"] == "incompatible" and error["fatal"] is True
    assert error["protocol"] == 1 and "1" in error["message"]
    assert close == 4426


async def test_a_hello_for_protocol_1_is_welcome(
        server: ServerProcess, board: dict[str, Any]) -> None:
    ws = await raw(server, board)
    await ws.send(json.dumps({"type": "hello", "protocol": 1,
                              "token": board["tokens"]["participant"], "client": "c"}))
    assert json.loads(await ws.recv())["type"] == "welcome"
    await ws.close()


def test_version_endpoint_names_the_protocol(server: ServerProcess) -> None:
    body = httpx.get(f"{server.url}/api/version").json()
    assert body["protocol"] == PROTOCOL_VERSION
    assert body["subprotocols"] == ["tussentafel.v1.msgpack", "tussentafel.v1.json"]
    assert isinstance(body["server"], str) and body["server"]


# -- ops: stamps, no-ops, unknown keys, sizes ---------------------------------------


async def test_stamps_in_a_patch_are_invalid_and_change_nothing(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board) as a:
        assert (await a.push([put(note("n"))]))["ok"]
        for op in ({"op": "patch", "id": "n", "set": {"author": "me", "text": "x"}},
                   {"op": "patch", "id": "n", "set": {"v": 99}},
                   {"op": "patch", "id": "n", "unset": ["created"]}):
            ack = await a.push([op])
            assert ack["ok"] is False and ack["code"] == "invalid" and ack["op"] == 0
    state = server.state(board["board"], board["tokens"]["viewer"])
    assert state["clock"] == 1 and state["elements"][0]["text"] == "hello"


async def test_a_batch_that_changes_nothing_gets_no_new_clock(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board) as a, client(server, board) as b:
        first = await a.push([put(note("n"))])
        await b.wait_clock(1)
        again = await a.push([put(note("n"))])  # the same element: nothing changes
        same = await a.push([{"op": "patch", "id": "n", "set": {"text": "hello"}}])
        assert again["ok"] is True and again["clock"] == first["clock"]
        assert same["ok"] is True and same["clock"] == first["clock"]
        marker = await a.push([put(note("m"))])  # a real change: the next clock
        assert marker["clock"] == first["clock"] + 1
        patch = await b.next_message("patch", clock=marker["clock"])
        assert patch["ops"][0]["el"]["id"] == "m"  # b saw no patch for the no-ops
        assert b.elements == a.elements
    assert server.state(board["board"], board["tokens"]["viewer"])["clock"] == 2


async def test_unknown_keys_are_ignored_in_messages_and_ops_but_invalid_in_elements(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board) as a, client(server, board) as b:
        ack = await a.push([{"op": "put", "el": note("n"), "later": 1},
                            {"op": "patch", "id": "n", "set": {"text": "x"}, "hint": "?"}])
        assert ack["ok"] is True
        patch = await b.next_message("patch")
        assert "later" not in patch["ops"][0] and "hint" not in patch["ops"][1]
        bad = await a.push([put({**note("m"), "colour": "red"})])
        assert bad["ok"] is False and bad["code"] == "invalid"


async def test_every_size_limit_is_too_large(server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board) as a:
        long_text = await a.push([put(note("n", "x" * 2001))])
        assert long_text["ok"] is False and long_text["code"] == "too_large"
        stroke = {"id": "s", "kind": "stroke", "x": 0, "y": 0, "z": "a", "color": "#000",
                  "width": 1, "points": [0] * 10_002}
        points = await a.push([put(stroke)])
        assert points["ok"] is False and points["code"] == "too_large"
        batch = await a.push([put(note(f"n{i}")) for i in range(501)])
        assert batch["ok"] is False and batch["code"] == "too_large"
        timer = await a.cmd("timer.start", seconds=60, label="x" * 201)
        assert timer["ok"] is False and timer["code"] == "forbidden"  # a participant
    async with client(server, board, "facilitator") as f:
        timer = await f.cmd("timer.start", seconds=60, label="x" * 201)
        assert timer["ok"] is False and timer["code"] == "too_large"
        snapshot = await f.cmd("snapshot", label="x" * 201)
        assert snapshot["ok"] is False and snapshot["code"] == "too_large"


def test_a_title_over_its_length_is_too_large_over_http(server: ServerProcess) -> None:
    title = httpx.post(f"{server.url}/api/boards", json={"title": "x" * 201})
    assert title.status_code == 413 and title.json()["error"] == "too_large"
    wrong = httpx.post(f"{server.url}/api/boards", json={"title": 5})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid"


async def test_presence_null_clears_a_field_for_the_others(
        server: ServerProcess, board: dict[str, Any]) -> None:
    async with client(server, board, name="Ada") as a, client(server, board) as b:
        await a.presence(cursor=[10, 20])
        await b.wait_for(lambda c: (c.participants.get(a.you) or {}).get("cursor") == [10, 20])
        await a.presence(cursor=None)
        await b.wait_for(lambda c: a.you in c.participants
                         and c.participants[a.you].get("cursor", "absent") is None)


# -- the sync.js package ---------------------------------------------------------------


def test_the_package_exports_files_that_exist_at_the_protocol_major_version() -> None:
    package = json.loads((WEB / "package.json").read_text())
    assert package["type"] == "module"
    assert int(package["version"].split(".")[0]) == PROTOCOL_VERSION
    targets: list[str] = []
    for entry in package["exports"].values():
        targets.extend(entry.values() if isinstance(entry, dict) else [entry])
    for target in targets + package["files"]:
        assert (WEB / target).is_file(), target


def _tsc() -> str:
    tsc = JS / "node_modules" / ".bin" / "tsc"
    assert tsc.exists(), "TypeScript is missing: run `npm ci --prefix tests/js`"
    return str(tsc)


def test_typings_and_the_example_pass_tsc() -> None:
    result = subprocess.run([_tsc(), "-p", str(JS / "tsconfig.json")], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_tsc_refuses_a_misuse_of_the_typings(tmp_path: Path) -> None:
    """The check can fail: a wrong payload type is an error."""
    shutil.copy(JS / "tsconfig.json", tmp_path / "tsconfig.json")
    example = (JS / "example.ts").read_text().replace("../../canvas_client",
                                                      str(ROOT / "canvas_client"))
    (tmp_path / "example.ts").write_text(
        example + "\nsync.on('welcome', (w) => { const s: string = w.clock; void s; });\n")
    result = subprocess.run([_tsc(), "-p", str(tmp_path / "tsconfig.json")],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode != 0 and "TS2322" in result.stdout
