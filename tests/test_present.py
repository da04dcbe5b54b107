"""Present mode (``present.*`` commands) and the facilitator's ``pointer``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess
from tests.redis_fixture import RedisServer, redis_server_fixture  # noqa: F401

pytestmark = pytest.mark.timeout(60)


def client(server: ServerProcess, board: dict[str, Any], role: str) -> BoardClient:
    return BoardClient(server.url, board["board"], board["tokens"][role], name=role)


async def test_present_frame_reaches_everyone_and_the_next_welcome(server: ServerProcess) -> None:
    board = server.create_board("Atelier", template="atelier")
    fac, part = client(server, board, "facilitator"), client(server, board, "participant")
    async with fac, part:
        assert fac.session["present"] is None and fac.session["present_insights"] is False
        result = await fac.cmd("present.frame", frame="tpl-frame-time")
        assert result["ok"] and result["present"] == "tpl-frame-time"
        event = await part.next_message("event", name="present")
        assert event == {"type": "event", "name": "present", "present": "tpl-frame-time",
                         "insights": False}
        async with client(server, board, "viewer") as late:
            assert late.session["present"] == "tpl-frame-time"
        await fac.cmd("present.insights")
        await part.wait_for(lambda c: c.session.get("present_insights") is True)
        assert part.session["present"] is None
        await fac.cmd("present.stop")
        await part.wait_for(lambda c: c.session.get("present_insights") is False)
        assert part.session["present"] is None
        assert part.clock == 1  # presenting changes no element


async def test_present_refuses_bad_frames_and_non_facilitators(server: ServerProcess) -> None:
    board = server.create_board("Atelier", template="atelier")
    fac, part = client(server, board, "facilitator"), client(server, board, "participant")
    async with fac, part:
        refused = await part.cmd("present.frame", frame="tpl-frame-time")
        assert refused["ok"] is False and refused["code"] == "forbidden"
        for args, code in (({}, "invalid"), ({"frame": 3}, "invalid"),
                           ({"frame": "nosuch"}, "not_found"),
                           ({"frame": "tpl-table"}, "not_found")):
            result = await fac.cmd("present.frame", **args)
            assert result["ok"] is False and result["code"] == code, args
    state_fac = client(server, board, "viewer")
    async with state_fac:
        assert state_fac.session["present"] is None


async def test_pointer_is_the_facilitators_only(
        server: ServerProcess, board: dict[str, Any]) -> None:
    fac, part = client(server, board, "facilitator"), client(server, board, "participant")
    async with fac, part:
        await part.presence(pointer=[1, 2])
        error = await part.next_message("error")
        assert error["code"] == "forbidden" and error["fatal"] is False
        await fac.presence(pointer=[120.5, -40])
        await part.wait_for(
            lambda c: c.participants.get(fac.you, {}).get("pointer") == [120.5, -40])
        await fac.presence(pointer=None)
        await part.wait_for(lambda c: c.participants[fac.you].get("pointer", 0) is None)
        await fac.presence(pointer=[1, 2, 3])
        bad = await fac.next_message("error")
        assert bad["code"] == "bad_message"
        assert part.participants[part.you].get("pointer") is None


@pytest.mark.redis
async def test_present_and_pointer_cross_processes(tmp_path: Path,
                                                   redis_server: RedisServer) -> None:
    """The facilitator on process A, the projector and a late joiner on B."""
    a = ServerProcess(tmp_path / "a", redis=redis_server.url).start()
    b = ServerProcess(tmp_path / "b", redis=redis_server.url).start()
    try:
        board = a.create_board("Atelier", template="atelier")
        async with client(a, board, "facilitator") as fac, client(b, board, "viewer") as screen:
            await fac.cmd("present.frame", frame="tpl-frame-role")
            await screen.wait_for(lambda c: c.session.get("present") == "tpl-frame-role")
            await fac.presence(pointer=[1500, 1200])
            await screen.wait_for(
                lambda c: c.participants.get(fac.you, {}).get("pointer") == [1500, 1200])
            async with client(b, board, "participant") as late:
                assert late.session["present"] == "tpl-frame-role"
    finally:
        a.kill()
        b.kill()
