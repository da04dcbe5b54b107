"""The big HTTP reads: ``/state``, insights, snapshots as JSON and as SVG.

Each is made in a worker thread (encoded in runs, ``core.bulk``, so the GIL
goes back to the event loop between them) and kept: per board clock for the
live board (``Room.reads``), per snapshot for snapshots
(``Services.snapshot_reads``). A viewer fetching ``/state`` in a loop costs
one encode per clock. Private elements are filtered as before: a
facilitator sees everything, other HTTP callers the public elements.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, Any

from server.core.board import Actor, Element, visible_to
from server.core.bulk import ElementFrames, encode_list
from server.live.reads import off_loop
from server.live.room import Room

if TYPE_CHECKING:
    from server.services import Services


class NoSnapshot(LookupError):
    """The snapshot does not exist."""


def _json(value: Any) -> bytes:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode()


def _sees(viewer: Actor, elements: Iterable[Element]) -> str:
    """Who may share a cached read: ``all`` when ``viewer`` sees every element."""
    if viewer.facilitator or not any(el.get("private") is True for el in elements):
        return "all"
    return "public"


def _state_body(frames: ElementFrames, clock: int, elements: list[Element]) -> bytes:
    encoded = frames.encode(elements)
    assert isinstance(encoded, str)
    return f'{{"clock":{clock},"elements":{encoded}}}'.encode()


async def state_body(room: Room, viewer: Actor) -> bytes:
    """``GET /state``: the board's clock and the elements ``viewer`` sees (JSON)."""
    async with room.lock:  # never a tentative change
        clock = room.state.clock
        elements = room.state.elements.values()
        pending = room.reads.start(  # the copy is taken here, under the lock, on a miss
            ("state", _sees(viewer, elements)), clock,
            lambda: off_loop(
                _state_body, room.frames["json"], clock,
                [el for el in elements if visible_to(el, viewer)],
            ),
        )
    body: bytes = await asyncio.shield(pending)
    return body


async def insights_body(room: Room, viewer: Actor) -> bytes:
    """``GET .../insights`` (JSON), with bounded work (``report.insights``)."""
    from server.report.insights import insights

    people = [dict(p) for p in room.presence.all()]
    names = tuple(sorted(str(p.get("name")) for p in people if p.get("role") != "viewer"))
    async with room.lock:
        clock = room.state.clock
        elements = room.state.elements.values()

        def make() -> Awaitable[bytes]:
            visible = [el for el in elements if visible_to(el, viewer)]
            return off_loop(lambda: _json(insights(visible, people)))

        pending = room.reads.start(("insights", _sees(viewer, elements), names), clock, make)
    body: bytes = await asyncio.shield(pending)
    return body


async def snapshot_body(services: Services, board: str, sid: str, viewer: Actor) -> bytes:
    """``GET .../snapshots/{sid}``: its meta and the elements ``viewer`` sees (JSON)."""
    async def make() -> bytes:
        found = await services.store.get_snapshot(board, sid)
        if found is None:
            raise NoSnapshot(sid)
        snap, elements = found

        def encode() -> bytes:
            visible = [el for el in elements if visible_to(el, viewer)]
            encoded = encode_list(visible, "json")
            assert isinstance(encoded, str)
            return f'{{"snapshot":{_json(snap.to_dict()).decode()},"elements":{encoded}}}'.encode()

        return await off_loop(encode, lane="export")

    key = ("snapshot", board, sid, "all" if viewer.facilitator else "public")
    body: bytes = await services.snapshot_reads.get(key, None, make)
    return body


async def snapshot_svg(services: Services, board: str, sid: str, viewer: Actor,
                       title: str, lang: str = "en") -> tuple[str, bytes]:
    """``GET .../snapshots/{sid}.svg``: the snapshot's label and its SVG picture."""
    from server.report.render import render_svg

    async def make() -> tuple[str, bytes]:
        found = await services.store.get_snapshot(board, sid)
        if found is None:
            raise NoSnapshot(sid)
        snap, elements = found
        people = await services.store.list_participants(board)
        colors = {p["id"]: p["color"] for p in people if isinstance(p.get("color"), str)}

        def render() -> bytes:
            visible = [el for el in elements if visible_to(el, viewer)]
            return render_svg(visible, title=f"{title} — {snap.label}", colors=colors,
                              lang=lang).encode()

        return snap.snapshot, await off_loop(render, lane="export")

    key = ("svg", board, sid, "all" if viewer.facilitator else "public", title, lang)
    result: tuple[str, bytes] = await services.snapshot_reads.get(key, None, make)
    return result
