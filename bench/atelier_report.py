"""How long the Atelier report takes to build for a big board (pure, no server).

    python -m bench.atelier_report [ELEMENTS] [SNAPSHOTS]

Builds ``SNAPSHOTS`` snapshots of a board of ``ELEMENTS`` notes, domains and
grade markers (each snapshot moves, edits, adds and removes a tenth of them)
and prints one JSON line: seconds for ``atelier.report`` and for one
``diff.diff``. The server runs both in a worker thread, so this is how
long a report request waits, not how long other boards wait.
"""

from __future__ import annotations

import json
import random
import sys
import time
from typing import Any

from server.report.atelier import report
from server.report.diff import diff


def board(n: int, rng: random.Random) -> list[dict[str, Any]]:
    els: list[dict[str, Any]] = []
    for i in range(n):
        base = {"id": f"e{i}", "x": rng.uniform(0, 5000), "y": rng.uniform(0, 5000),
                "z": f"a{i}", "author": f"p{i % 12}", "v": 1, "created": i, "updated": i}
        if i % 10 == 0:
            els.append({**base, "kind": "domain", "label": f"domain {i}", "r": 60,
                        "owner": f"Person {i % 12}"})
        elif i % 10 == 1:
            els.append({**base, "kind": "grade_vote", "scale": "g", "aspect": "current",
                        "grade": rng.choice(["fragmented", "aligned", "coordinated"])})
        else:
            els.append({**base, "kind": "note", "text": f"note {i} " * 8, "w": 160, "h": 100,
                        "topic": rng.choice(["why_here", "do", "dont", "value"]),
                        "locked": i % 7 == 0})
    return els


def step(els: list[dict[str, Any]], rng: random.Random, k: int) -> list[dict[str, Any]]:
    out = [dict(el) for el in els if rng.random() > 0.03]
    for el in rng.sample(out, len(out) // 10):
        el["x"] += 10
        if el["kind"] == "note":
            el["text"] = f"edited in round {k}"
    out += [{**el, "id": f"{el['id']}-{k}"} for el in rng.sample(out, len(out) // 30)]
    return out


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    rng = random.Random(7)
    snaps = [board(n, rng)]
    for k in range(1, count):
        snaps.append(step(snaps[-1], rng, k))
    metas = [{"snapshot": f"s{k}", "label": f"round {k}", "clock": k, "created_at": k}
             for k in range(count)]
    people = [{"id": f"p{i}", "name": f"Person {i}", "color": "#123456", "role": "participant"}
              for i in range(12)]
    start = time.perf_counter()
    out = report({"board": "b", "title": "Bench", "created": 0}, people,
                 list(zip(metas, snaps, strict=True)))
    built = time.perf_counter() - start
    start = time.perf_counter()
    diff(snaps[0], snaps[-1])
    one = time.perf_counter() - start
    print(json.dumps({"elements": n, "snapshots": count, "report_s": round(built, 3),
                      "diff_s": round(one, 3), "report_json_bytes": len(json.dumps(out))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
