"""Review of the merged server, as an attacker with a viewer or participant
link and as a client author who reads only docs/protocol.md: each test is a
hole that was found open through a real server."""

from __future__ import annotations

from typing import Any

import pytest

from canvas_client.client import BoardClient
from tests.conftest import ServerProcess, note, put

pytestmark = pytest.mark.timeout(60)


def client(server: ServerProcess, board: dict[str, Any], role: str = "participant",
           **kw: Any) -> BoardClient:
    return BoardClient(server.url, board["board"], board["tokens"][role], **kw)


async def test_a_deleted_private_element_is_not_named_to_others(server, board):
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


async def test_a_participant_may_not_restore_a_locked_element(server, board):
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


async def test_a_resent_batch_that_changed_nothing_does_not_apply_later(server, board):
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
