"""Stroke points kept compactly by the server (server/core/board.py ``settle``)."""

from __future__ import annotations

import json
from array import array

import msgpack

from server.core.board import Actor, BoardState, Change, apply, element_cost, restore_ops
from server.core.codec import encode

ADA = Actor("ada", "participant")


def stroke(eid: str, points: list[float]) -> dict[str, object]:
    return {"id": eid, "kind": "stroke", "x": 0.0, "y": 0.0, "z": "a", "color": "#000",
            "width": 1.0, "points": points}


def test_points_are_kept_compactly_and_encoded_as_sent() -> None:
    floats, mixed = [0.5, 1.25, 2.0, 3.5], [1, 2.5, 3, 4]
    state = BoardState("b")
    change = apply(state, [{"op": "put", "el": stroke("f", floats)},
                           {"op": "put", "el": stroke("m", mixed)}], ADA, 1)
    assert isinstance(change, Change)
    state.advance(change)
    assert isinstance(state.elements["f"]["points"], array)
    assert isinstance(state.elements["m"]["points"], tuple)
    for eid, sent in (("f", floats), ("m", mixed)):
        el = state.elements[eid]
        as_sent = {**el, "points": sent}
        assert encode(el, "msgpack") == msgpack.packb(as_sent, use_bin_type=True)
        assert encode(el, "json") == json.dumps(as_sent, separators=(",", ":"))
        assert element_cost(el) == (len(msgpack.packb(as_sent)), 4)
    # a patch keeps them compact, and they still validate
    moved = apply(state, [{"op": "patch", "id": "f", "set": {"x": 5.0}}], ADA, 2)
    assert isinstance(moved, Change)
    state.advance(moved)
    assert isinstance(state.elements["f"]["points"], array)
    # a snapshot read back (lists) equals the live board: nothing to restore
    snapshot = msgpack.unpackb(msgpack.packb(list(state.elements.values()), default=list))
    assert restore_ops(state, snapshot) == []
