"""The workload: realistic whiteboard ops, each carrying a unique marker.

Every op carries the marker ``Q`` + 10 digits in one string field (the ``z``
stacking index of puts and moves, the text/label of text edits). Receivers
find it with one regex over the raw frame, whatever the peer's encoding
(msgpack, Yjs update bytes), and match it with the sender's send time: all
clients live in one generator process, so one monotonic clock measures the
whole op -> peer path. Element values are valid per ``schemas/elements.py``.

Mix per op (a facilitated workshop: notes, moves, drawing, votes):
  25 % put note        7 % put circle (domain 5 : table 2)   13 % put stroke (50-200 points)
  10 % put grade vote (own vote, replaced)   30 % move (patch x, y, z)   15 % edit text (patch)
"""

from __future__ import annotations

import random
import re
from typing import Any

MARK_RE = re.compile(rb"Q(\d{10})")

COLORS = ("#fde68a", "#a7f3d0", "#bfdbfe", "#fecaca", "#ddd6fe")
GRADES = ("fragmented", "aligned", "coordinated", "integrated")
TOPICS = ("why_here", "collective_task", "value", "do", "dont", "other")
WORDS = ("budget", "planning", "owner", "team", "decision", "risk", "client", "data",
         "review", "handover", "deadline", "escalation", "roadmap", "scope")

_WEIGHTS = (("note", 25), ("circle", 7), ("stroke", 13), ("vote", 10), ("move", 30),
            ("edit", 15))
_TABLE = [kind for kind, weight in _WEIGHTS for _ in range(weight)]


def mark(mid: int) -> str:
    return f"Q{mid:010d}"


def stroke_pool(rng: random.Random, count: int = 48) -> list[list[float]]:
    """Free-hand strokes of 50-200 points (flat x, y list), made once."""
    pool = []
    for _ in range(count):
        n = rng.randint(50, 200)
        x, y = rng.uniform(-2000, 2000), rng.uniform(-2000, 2000)
        pts: list[float] = []
        for _ in range(n):
            x += rng.uniform(-6, 6)
            y += rng.uniform(-6, 6)
            pts.append(round(x, 1))
            pts.append(round(y, 1))
        pool.append(pts)
    return pool


class Author:
    """One client's op source: the elements it made and what it does next."""

    __slots__ = ("cid", "mine", "rng", "seq", "strokes", "texty")

    def __init__(self, cid: int, rng: random.Random, strokes: list[list[float]]) -> None:
        self.cid = cid
        self.rng = rng
        self.strokes = strokes
        self.seq = 0
        self.mine: list[tuple[str, str]] = []  # (id, kind)
        self.texty: list[tuple[str, str]] = []  # (id, text field) of notes and circles

    def _sentence(self, mid: int) -> str:
        r = self.rng
        return f"{r.choice(WORDS)} {r.choice(WORDS)} {r.choice(WORDS)} {mark(mid)}"

    def next_op(self, mid: int) -> tuple[str, Any, Any]:
        """("put", element, None) or ("patch", id, fields), marked with ``mid``."""
        r = self.rng
        what = r.choice(_TABLE)
        if what in ("move", "edit") and not self.mine:
            what = "note"
        if what == "edit" and not self.texty:
            what = "move"
        x, y = round(r.uniform(-3000, 3000), 1), round(r.uniform(-2000, 2000), 1)
        z = "a" + mark(mid)
        if what == "move":
            eid, _ = r.choice(self.mine)
            return "patch", eid, {"x": x, "y": y, "z": z}
        if what == "edit":
            eid, field = r.choice(self.texty)
            return "patch", eid, {field: self._sentence(mid)}
        if what == "vote":
            scale = r.randrange(2)
            aspect = r.choice(("current", "ambition"))
            eid = f"v{self.cid}s{scale}{aspect[0]}"
            el: dict[str, Any] = {"id": eid, "kind": "grade_vote", "x": x, "y": y, "z": z,
                  "scale": f"scale{scale}", "grade": r.choice(GRADES), "aspect": aspect}
            return "put", el, None
        self.seq += 1
        eid = f"c{self.cid}e{self.seq}"
        if what == "note":
            el = {"id": eid, "kind": "note", "x": x, "y": y, "z": z,
                  "text": f"{r.choice(WORDS)} {r.choice(WORDS)}", "topic": r.choice(TOPICS),
                  "color": r.choice(COLORS), "w": 160.0, "h": 100.0}
            self.texty.append((eid, "text"))
        elif what == "circle":
            kind = "domain" if r.random() < 5 / 7 else "table"
            el = {"id": eid, "kind": kind, "x": x, "y": y, "z": z,
                  "label": f"{r.choice(WORDS)}", "r": round(r.uniform(40, 400), 1)}
            if kind == "domain":
                el["owner"] = f"person {self.cid}"
            self.texty.append((eid, "label"))
        else:
            el = {"id": eid, "kind": "stroke", "x": 0.0, "y": 0.0, "z": z,
                  "points": r.choice(self.strokes), "color": "#1f2937", "width": 2.0}
        self.mine.append((eid, el["kind"]))
        if len(self.mine) > 200:  # moves and edits touch recent work
            self.mine = self.mine[-100:]
            self.texty = self.texty[-100:]
        return "put", el, None


def tt_op(kind: str, a: Any, b: Any) -> dict[str, Any]:
    """The op on the Tussentafel wire (docs/protocol.md §3.1)."""
    if kind == "put":
        return {"op": "put", "el": a}
    return {"op": "patch", "id": a, "set": b}


# -- Yjs wire helpers (lib0 encoding) --------------------------------------------------


def var_uint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    out.append(n)
    return bytes(out)


def var_bytes(b: bytes) -> bytes:
    return var_uint(len(b)) + b


def var_string(s: str) -> bytes:
    return var_bytes(s.encode())
