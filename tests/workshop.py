"""A realistic Atelier in progress, for tests and screenshots.

``await fill_atelier(server, board)`` connects four participants (and the
facilitator) to an ``atelier`` board made by ``server.create_board(title,
"atelier")`` and lets them do the four exercises on it, each through their own
``BoardClient``. Coordinates follow ``server/templates/atelier.json`` so every
element lands inside its exercise frame.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Iterator
from typing import Any

from canvas_client.client import BoardClient

#: Who joins, with the name they type (domain owners and role holders use it,
#: so the insights can match them) and the home base they come from.
PARTICIPANTS = {"anna": "Anna", "bram": "Bram", "chen": "Chen", "dirk": "Dirk"}
HOME = {"anna": "Sport", "bram": "Ruimtelijke ordening", "chen": "Duurzaamheid",
        "dirk": "Financiën"}
FACILITATOR = "Femke"
TABLE_NAME = "Tafel Park Zuidoever"

_z: Iterator[int] = itertools.count()


def _el(eid: str, kind: str, x: float, y: float, **fields: Any) -> dict[str, Any]:
    return {"id": eid, "kind": kind, "x": x, "y": y, "z": f"b{next(_z):04d}", **fields}


def _note(eid: str, x: float, y: float, text: str, topic: str, parent: str,
          w: float = 180, h: float = 160) -> dict[str, Any]:
    return _el(eid, "note", x, y, text=text, topic=topic, w=w, h=h, parent=parent)


def _put(*els: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"op": "put", "el": el} for el in els]


# -- Task: why am I here, the collective task, the integration grade ----------

_WHY = "tpl-area-why"
_COLLECTIVE = "tpl-area-collective"
_COLS = (60, 260, 460, 660)  # four notes side by side in "Why am I here?"


def _task(who: str) -> list[dict[str, Any]]:
    col = _COLS[list(PARTICIPANTS).index(who)]
    why = {
        "anna": ("Sport: 30% more residents of Zuidoever moving every week by 2030.",
                 "My mandate: the pitches and the sport budget; I answer to the sport "
                 "alderman."),
        "bram": ("Make the new park fit the spatial plan: housing on the edge, "
                 "routes through.",
                 "Interest: the zoning plan must pass the council in June, no delays."),
        "chen": ("Climate adaptation: the park has to store water after cloudbursts "
                 "and cool the streets.",
                 "I bring the heat-stress map and the green-roof subsidy."),
        "dirk": ("Keep the plan affordable: who pays for building and for 20 years "
                 "of maintenance?",
                 "No mandate to spend; I advise the controller."),
    }[who]
    ops = _put(
        _note(f"why-{who}", col, 236, why[0], "why_here", _WHY),
        _note(f"mandate-{who}", col, 416, why[1], "why_here", _WHY),
    )
    votes = {  # (current, ambition, remark)
        "anna": ("fragmented", "coordinated", "sport comes last, after housing"),
        "bram": ("aligned", "integrated", "green is an extra goal now"),
        "chen": ("fragmented", "integrated", "water storage as a playing field: 1+1=3"),
        "dirk": ("aligned", "coordinated", "a base norm for each is enough"),
    }[who]
    for aspect, grade in (("current", votes[0]), ("ambition", votes[1])):
        remark = f"{PARTICIPANTS[who]} ({HOME[who]}): {votes[2]}"
        ops += _put(_el(f"grade-{who}-{aspect}", "grade_vote", 0, 0, scale="tpl-grades",
                        grade=grade, aspect=aspect, note=remark, parent="tpl-frame-task"))
    return ops


def _collective() -> list[dict[str, Any]]:
    return _put(
        _note("task-joint", 920, 236,
              "Our task: one plan for Park Zuidoever where sport, water storage and "
              "housing make each other better, ready for the college decision in April 2027.",
              "collective_task", _COLLECTIVE, w=420, h=136),
        _note("task-shared", 920, 392,
              "Shared: more people outdoors, cooler streets, safe routes for children.",
              "collective_task", _COLLECTIVE, w=200, h=180),
        _note("task-diverge", 1140, 392,
              "Diverge: pitches or wet meadow on the low ground? Who pays maintenance?",
              "collective_task", _COLLECTIVE, w=200, h=180),
    )


# -- Time: milestones on the two lanes, a ritual, a circled clash --------------

_MILESTONES = {
    "anna": [("tpl-lane-b", "2027-02-15", "Sport survey out", "delivery"),
             ("tpl-lane-b", "2027-04-08", "Sport budget decision", "decision"),
             ("tpl-lane-b", "2027-05-20", "Pilot pitches open", "delivery"),
             ("tpl-lane-b", "2027-07-09", "Summer programme", "deadline")],
    "bram": [("tpl-lane-a", "2027-01-25", "Kick-off atelier", "ritual"),
             ("tpl-lane-a", "2027-03-15", "Draft spatial plan", "delivery"),
             ("tpl-lane-a", "2027-04-12", "College decision", "decision"),
             ("tpl-lane-a", "2027-06-21", "Council vote", "deadline")],
    "chen": [("lane-climate", "2027-03-22", "Heat map shared", "delivery"),
             ("lane-climate", "2027-04-23", "Subsidy round closes", "deadline"),
             ("lane-climate", "2027-05-31", "Water plan ready", "delivery")],
}
#: The lanes' names, said by whoever runs that trajectory and written by the
#: facilitator (the template's lanes are locked scaffolding).
_LANE_NAMES = {"bram": ("tpl-lane-a", "Spatial plan Park Zuidoever"),
               "anna": ("tpl-lane-b", "Sport programme Zuidoever")}


def _time(who: str) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = []
    if who == "chen":
        # a third trajectory on the same time axis as the template's lanes
        # (6 px a day from lane A's start, 2027-01-04: 1 March is 56 days later)
        ops += _put(_el("lane-climate", "lane", 1540 + 56 * 6, 640,
                        label="Climate adaptation", start="2027-03-01", end="2027-06-30",
                        parent="tpl-frame-time"))
    ops += _put(*(
        _el(f"ms-{who}-{i}", "milestone", 0, 0, lane=lane, date=date, label=label,
            milestone=kind, parent="tpl-frame-time")
        for i, (lane, date, label, kind) in enumerate(_MILESTONES.get(who, []))
    ))
    if who == "chen":
        # a freehand ring around two decisions of different lanes in one week
        cx, cy, rx, ry = 2116.0, 292.0, 104.0, 112.0
        points: list[float] = []
        for i in range(49):
            a = -math.pi / 2 + i * 2 * math.pi / 44  # a little more than a full turn
            wobble = 1 + 0.04 * math.sin(5 * a)
            points += [round(cx + rx * wobble * math.cos(a), 1),
                       round(cy + ry * wobble * math.sin(a), 1)]
        ops += _put(
            _el("stroke-clash", "stroke", 0, 0, points=points, color="#dc2626", width=4,
                parent="tpl-frame-time"),
            _note("note-clash", 2330, 440,
                  "Two decisions in one week (8 and 12 April): who goes first?",
                  "other", "tpl-frame-time", w=230, h=120),
        )
    if who == "dirk":
        ops += _put(_note("note-unbounded", 2580, 440,
                          "Unbounded time: the clubs need room to grow; no deadline on that.",
                          "other", "tpl-frame-time", w=230, h=120))
    return ops


RITUAL = {
    "moment": "every decision milestone",
    "focus": "what each home base gained and what it gave up",
    "symbol": "everyone moves their marker on the grade scale",
    "when": "8 and 12 April",
}


# -- Territory: domains in the table, formal territories with their lines -------

_DOMAINS = {  # (label, x, y, r): inside the table circle (470, 1540, r 330)
    "anna": ("Sport & exercise", 350, 1480, 112),
    "bram": ("Spatial planning", 548, 1462, 118),
    "chen": ("Climate adaptation & water", 600, 1665, 104),
    "dirk": ("Finance & maintenance", 330, 1700, 88),
}
#: The facilitator's question mark: expertise nobody at the table brings.
MISSING = _el("domain-missing", "domain", 470, 1798, label="Youth work", r=60,
              home="nobody yet?", color="#9ca3af", parent="tpl-frame-territory")

_C1, _C2, _C3 = 850, 1030, 1210  # three columns right of the table circle
_R = (1400, 1500, 1600, 1700, 1808)
_NODES = {  # id: (owner, label, node, x, y)
    "t-college": ("bram", "College B&W", "table", _C1, _R[0]),
    "t-stuurgroep": ("chen", "Stuurgroep", "table", _C3, _R[0]),
    "t-dir-so": ("bram", "Dir. Stadsontw.", "manager", _C1, _R[1]),
    "t-head-sport": ("anna", "Head of Sport", "manager", _C2, _R[1]),
    "t-team-go": ("bram", "Gebiedsontw.", "team", _C1, _R[2]),
    "t-team-sport": ("anna", "Team Sport", "team", _C2, _R[2]),
    "t-team-climate": ("chen", "Climate prog.", "team", _C3, _R[2]),
    "t-bram": ("bram", "Bram", "person", _C1, _R[3]),
    "t-anna": ("anna", "Anna", "person", _C2, _R[3]),
    "t-chen": ("chen", "Chen", "person", _C3, _R[3]),
    "t-dirk": ("dirk", "Dirk", "person", _C1, _R[4]),
    "t-controller": ("dirk", "Controller", "manager", _C3, _R[4]),
}
_LINKS = [  # (owner, from, to, rel)
    ("bram", "t-bram", "t-team-go", "member_of"),
    ("bram", "t-team-go", "t-dir-so", "reports_to"),
    ("bram", "t-dir-so", "t-college", "escalates_to"),
    ("anna", "t-anna", "t-team-sport", "member_of"),
    ("anna", "t-team-sport", "t-head-sport", "reports_to"),
    ("anna", "t-head-sport", "t-college", "escalates_to"),
    ("chen", "t-chen", "t-team-climate", "member_of"),
    ("chen", "t-team-climate", "t-stuurgroep", "escalates_to"),
    ("chen", "t-stuurgroep", "t-college", "reports_to"),
    ("dirk", "t-dirk", "t-controller", "reports_to"),
]


def _territory(who: str) -> list[dict[str, Any]]:
    label, x, y, r = _DOMAINS[who]
    ops = _put(_el(f"domain-{who}", "domain", x, y, label=label, r=r,
                   owner=PARTICIPANTS[who], home=HOME[who],
                   parent="tpl-frame-territory"))
    ops += _put(*(
        _el(eid, "territory", x, y, label=label, node=node, parent="tpl-frame-territory",
            **({"owner": PARTICIPANTS[owner]} if node != "person" else {}))
        for eid, (owner, label, node, x, y) in _NODES.items() if owner == who
    ))
    ops += _put(*(
        _el(f"link-{a}-{b}", "link", 0, 0, to=b, rel=rel, parent="tpl-frame-territory",
            **{"from": a})
        for owner, a, b, rel in _LINKS if owner == who
    ))
    return ops


# -- Role: role cards and the code of conduct -------------------------------------

_CARDS = {  # (role, x, y, extra fields)
    "dirk": ("chair", 2460, 1140, {"acquired": "assigned"}),
    "bram": ("pen_holder", 2670, 1140, {"acquired": "achieved"}),
    "anna": ("content_representative", 2460, 1262,
             {"title": "Sport", "acquired": "granted"}),
    "chen": ("expert", 2670, 1262,
             {"title": "Climate", "table": "Stuurgroep Klimaat", "acquired": "achieved"}),
}
_CONDUCT = "tpl-area-conduct"
_X = (1570, 1780, 1990, 2200, 2410, 2620)
_CODE = {  # (id, column, row, topic, text): one column per kind of rule
    "anna": [("cc-write-first", 1, 0, "do", "Write first, then talk: nobody anchors the group."),
             ("cc-corridor", 2, 0, "dont", "No deals in the corridor: what we decide, "
                                           "we decide at this table."),
             ("cc-stuck", 5, 1, "conflict_rule", "Still stuck after two ateliers? We go to "
                                                 "the college together, with one letter.")],
    "bram": [("cc-hat", 1, 1, "do", "Say which hat you wear before you speak."),
             ("cc-expect", 3, 0, "other", "Roles may expect: papers two days ahead from "
                                          "the pen holder; the chair guards the time."),
             ("cc-consent", 4, 0, "decision_rule", "Consent: decided unless someone has "
                                                   "an argued objection.")],
    "chen": [("cc-value", 0, 0, "value", "1 + 1 = 3: look for the combination, "
                                          "not the trade-off."),
             ("cc-connector", 3, 1, "other", "Anyone may connect: ask what would make "
                                             "both goals better."),
             ("cc-conflict", 5, 0, "conflict_rule", "Conflict? The chair parks it; both "
                                                    "managers join the next atelier.")],
    "dirk": [("cc-numbers", 0, 1, "value", "Honest numbers early beat perfect numbers late."),
             ("cc-no-homework", 2, 1, "dont", "Don't promise money your home base "
                                              "has not given you."),
             ("cc-budget", 4, 1, "decision_rule", "Costs over €50k go to the college "
                                                  "with one joint advice.")],
}
_VOTES = [("bram", "cc-write-first", "agree"), ("chen", "cc-write-first", "agree"),
          ("dirk", "cc-corridor", "agree"), ("anna", "cc-consent", "plus"),
          ("chen", "cc-budget", "disagree"), ("anna", "cc-hat", "agree")]


def _role(who: str) -> list[dict[str, Any]]:
    role, x, y, extra = _CARDS[who]
    first = PARTICIPANTS[who]
    ops = _put(_el(f"card-{who}", "role_card", x, y, role=role, holder=first,
                   parent="tpl-frame-role", **{"table": TABLE_NAME, **extra}))
    ops += _put(*(
        _note(eid, _X[col], 1490 + row * 176, text, topic, _CONDUCT, w=190, h=160)
        for eid, col, row, topic, text in _CODE[who]
    ))
    return ops


def _votes(who: str) -> list[dict[str, Any]]:
    return _put(*(
        _el(f"vote-{who}-{target}", "vote", 0, 0, target=target, value=value,
            parent=_CONDUCT)
        for voter, target, value in _VOTES if voter == who
    ))


# -- the whole Atelier -------------------------------------------------------------


async def fill_atelier(server: Any, board: dict[str, Any]) -> dict[str, Any]:
    """Fill an ``atelier`` board as four participants and a facilitator would.

    ``server`` is a ``ServerProcess`` (``.url``), ``board`` the answer of
    ``server.create_board(title, "atelier")`` (``board``, ``tokens``). Returns
    ``{"clock", "elements", "participants", "labels"}``: the final clock, the
    element count, the participants' display names, and texts that a picture of
    the board must show.
    """
    bid, tokens = board["board"], board["tokens"]
    clients = {who: BoardClient(server.url, bid, tokens["participant"], name=name)
               for who, name in PARTICIPANTS.items()}
    chair = BoardClient(server.url, bid, tokens["facilitator"], name=FACILITATOR)
    everyone = [chair, *clients.values()]
    await asyncio.gather(*(c.connect() for c in everyone))
    try:
        async def push(client: BoardClient, ops: list[dict[str, Any]]) -> None:
            if ops:
                ack = await client.push(ops)
                assert ack.get("ok"), ack

        # the facilitator names the table (the group agreed on it) and the lanes,
        # and fills the ritual
        await push(chair, [
            {"op": "patch", "id": "tpl-table", "set": {"label": TABLE_NAME}},
            *({"op": "patch", "id": lane, "set": {"label": label}}
              for lane, label in _LANE_NAMES.values()),
            {"op": "patch", "id": "tpl-ritual", "set": RITUAL},
        ])
        for step in (_task, _time, _territory, _role):
            await asyncio.gather(*(push(c, step(who)) for who, c in clients.items()))
        await push(chair, [*_collective(), *_put(dict(MISSING))])
        await push(clients["chen"], [{"op": "patch", "id": "tpl-role-example", "set": {
            "role": "connector", "holder": "Chen", "acquired": "acquired",
            "table": TABLE_NAME}, "unset": ["title"]}])
        await asyncio.gather(*(push(c, _votes(who)) for who, c in clients.items()))
        clock = max(c.clock for c in everyone)
        await asyncio.gather(*(c.wait_clock(clock) for c in everyone))
        count = len(chair.elements)
    finally:
        await asyncio.gather(*(c.close() for c in everyone), return_exceptions=True)
    labels = [TABLE_NAME, *(d[0] for d in _DOMAINS.values()), "College B&W",
              *(name for _, name in _LANE_NAMES.values()),
              "Stuurgroep", "Council vote", "Sport budget decision"]
    return {"clock": clock, "elements": count,
            "participants": list(PARTICIPANTS.values()), "labels": labels}
