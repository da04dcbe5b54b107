"""A scripted Atelier in three rounds with a snapshot after each, for the report.

``await three_rounds(server)`` makes an ``atelier`` board, connects the
facilitator and six participants (each a ``BoardClient``) and plays:

1. "Round 1: why am I here" — everyone writes why they are here, places a
   grade marker for now and one for the ambition, and draws a domain circle;
   the facilitator adds an unowned domain (expertise nobody brings).
2. "Round 2: task and conduct" — the collective task and the code of conduct
   are written and locked; Eva removes her domain circle; Anna and Chen move
   their markers.
3. "Round 3: why am I here, again" — the why-here round once more, and Bram
   moves his ambition marker.

Returns what the tests check against (ids, labels, texts, names, tokens).
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from canvas_client.client import BoardClient

TITLE = "Atelier Park Zuidoever"
LABELS = ("Round 1: why am I here", "Round 2: task and conduct",
          "Round 3: why am I here, again")
PEOPLE = {"anna": "Anna", "bram": "Bram", "chen": "Chen", "dirk": "Dirk", "eva": "Eva",
          "farid": "Farid"}
FACILITATOR = "Femke"
GRADES_1 = {"anna": ("fragmented", "coordinated"), "bram": ("aligned", "integrated"),
            "chen": ("fragmented", "integrated"), "dirk": ("aligned", "coordinated"),
            "eva": ("aligned", "coordinated"), "farid": ("fragmented", "aligned")}
TASK = "One plan for the park where sport, water and housing make each other better"
CONDUCT = ("Write first, then talk", "No deals in the corridor",
           "Consent: decided unless someone has an argued objection")

_z = itertools.count()


def _el(eid: str, kind: str, x: float, y: float, **fields: Any) -> dict[str, Any]:
    return {"id": eid, "kind": kind, "x": x, "y": y, "z": f"r{next(_z):04d}", **fields}


def _note(eid: str, x: float, y: float, text: str, topic: str, parent: str) -> dict[str, Any]:
    return _el(eid, "note", x, y, text=text, topic=topic, w=180, h=140, parent=parent)


def _put(*els: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"op": "put", "el": el} for el in els]


def _grade(who: str, aspect: str, grade: str) -> dict[str, Any]:
    return _el(f"grade-{who}-{aspect}", "grade_vote", 0, 0, scale="tpl-grades", grade=grade,
               aspect=aspect, parent="tpl-frame-task")


async def three_rounds(server: Any) -> dict[str, Any]:
    board = server.create_board(TITLE, "atelier")
    bid, tokens = board["board"], board["tokens"]
    fac = tokens["facilitator"]
    people = {who: BoardClient(server.url, bid, tokens["participant"], name=name)
              for who, name in PEOPLE.items()}
    chair = BoardClient(server.url, bid, fac, name=FACILITATOR)
    everyone = [chair, *people.values()]
    await asyncio.gather(*(c.connect() for c in everyone))
    snapshots: list[str] = []

    async def push(client: BoardClient, ops: list[dict[str, Any]]) -> None:
        ack = await client.push(ops)
        assert ack.get("ok"), ack

    async def snapshot(label: str) -> None:
        r = server.post(f"/api/boards/{bid}/snapshots", fac, {"label": label})
        assert r.status_code == 201, r.text
        snapshots.append(r.json()["snapshot"])

    try:
        # round 1
        for i, (who, client) in enumerate(people.items()):
            now, ambition = GRADES_1[who]
            await push(client, _put(
                _note(f"why1-{who}", 60 + 200 * i, 236,
                      f"{PEOPLE[who]}: I am here for my home base", "why_here", "tpl-area-why"),
                _grade(who, "current", now), _grade(who, "ambition", ambition),
                _el(f"domain-{who}", "domain", 330 + 140 * (i % 3), 1450 + 170 * (i // 3),
                    label=f"{PEOPLE[who]}'s domain", r=72, owner=PEOPLE[who], home="Gemeente",
                    parent="tpl-frame-territory"),
            ))
        await push(chair, _put(_el("domain-youth", "domain", 470, 1800, label="Youth work", r=60,
                                   parent="tpl-frame-territory")))
        await snapshot(LABELS[0])
        # round 2
        await push(chair, _put(_note("task-joint", 920, 236, TASK, "collective_task",
                                     "tpl-area-collective")))
        for i, text in enumerate(CONDUCT):
            who = list(people)[i]
            await push(people[who], _put(_note(f"cc-{i}", 1570 + 210 * i, 1490, text,
                                               ("do", "dont", "decision_rule")[i],
                                               "tpl-area-conduct")))
        await push(people["eva"], [{"op": "del", "id": "domain-eva"}])
        await push(people["anna"], [{"op": "patch", "id": "grade-anna-current",
                                     "set": {"grade": "aligned"}}])
        await push(people["chen"], [{"op": "patch", "id": "grade-chen-ambition",
                                     "set": {"grade": "coordinated"}}])
        locked = await chair.cmd("lock", ids=["task-joint", *(f"cc-{i}" for i in range(3))])
        assert locked.get("ok"), locked
        await snapshot(LABELS[1])
        # round 3
        for i, (who, client) in enumerate(people.items()):
            await push(client, _put(_note(f"why2-{who}", 60 + 200 * i, 416,
                                          f"{PEOPLE[who]}: now I am here for our joint task",
                                          "why_here", "tpl-area-why")))
        await push(people["bram"], [{"op": "patch", "id": "grade-bram-ambition",
                                     "set": {"grade": "coordinated"}}])
        await snapshot(LABELS[2])
        ids = {who: client.you for who, client in people.items()}
        ids[FACILITATOR] = chair.you
    finally:
        await asyncio.gather(*(c.close() for c in everyone), return_exceptions=True)
    return {"board": bid, "tokens": tokens, "snapshots": snapshots, "pids": ids}
