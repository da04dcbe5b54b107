"""Presence deltas that clear: ``cursor: null`` and ``selection: []`` reach
the others (server/ws/inbound.py, server/core/presence.py)."""

from __future__ import annotations

from typing import Any

import pytest

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess

pytestmark = pytest.mark.timeout(30)


def client(server: ServerProcess, board: dict[str, Any], role: str = "participant",
           **kw: Any) -> BoardClient:
    return BoardClient(server.url, board["board"], board["tokens"][role], **kw)


@pytest.mark.parametrize("encoding", ["msgpack", "json"])
async def test_cursor_null_and_empty_selection_clear_for_the_others(
        server: ServerProcess, board: dict[str, Any], encoding: str) -> None:
    async with client(server, board, encoding=encoding) as ada, client(server, board) as bob:
        def seen(c: BoardClient) -> dict[str, Any]:
            return c.participants.get(ada.you, {})

        await ada.presence(cursor=[10, 20], selection=["a", "b"], viewport=[0, 0, 800, 600])
        await bob.wait_for(lambda c: seen(c).get("cursor") == [10, 20]
                           and seen(c).get("selection") == ["a", "b"])
        await ada.presence(cursor=None)  # the cursor left the canvas
        await bob.wait_for(lambda c: "cursor" in seen(c) and seen(c)["cursor"] is None)
        assert seen(bob)["selection"] == ["a", "b"]  # absent fields stay
        assert seen(bob)["viewport"] == [0, 0, 800, 600]
        await ada.presence(selection=[])
        await bob.wait_for(lambda c: seen(c).get("selection") == [])
        await ada.presence(cursor=[1, 2])  # and back (the fast path)
        await bob.wait_for(lambda c: seen(c).get("cursor") == [1, 2])
        assert seen(bob)["selection"] == []
