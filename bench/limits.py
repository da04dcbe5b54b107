"""``python -m bench limits``: a board at its budget (issue 12).

Fills one board to its default budget (50 strokes of the maximum size, then
notes of 300 characters until the bytes budget refuses), measures the server's
RSS with that board loaded (after a restart, so nothing but the board and its
caches), the time to a full welcome, and then, while a viewer fetches ``/state``
and the SVG export of that board in a loop (and a facilitator moves a note
every 0.5 s and takes a new snapshot every 5 s, so both are made again), a
client on another board measures its ping round trip. Goal: p99 < 100 ms.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import sys
import time
import urllib.request
from typing import Any

from bench import report
from bench.loadgen import percentiles, proc_rss_kib
from bench.procs import http_json, targets
from canvas_client.client import BoardClient

STROKES = 50
POINTS = 10_000


def _log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True, file=sys.stderr)


def _stroke(i: int) -> dict[str, Any]:
    points = [i + (k % 2) * 0.123456789 + k * 1e-3 for k in range(POINTS)]
    return {"id": f"s{i}", "kind": "stroke", "x": float(i), "y": 0.0, "z": "a0",
            "color": "#123456", "width": 2.0, "points": points}


def _note(i: int) -> dict[str, Any]:
    return {"id": f"n{i}", "kind": "note", "x": float(i % 100) * 170, "y": float(i // 100) * 110,
            "z": "a0", "text": "x" * 300, "w": 160.0, "h": 100.0}


async def _fill(url: str, board: str, token: str) -> dict[str, Any]:
    """The budget, as a facilitator fills it (one connection per 1 000 ops: the burst)."""
    async with BoardClient(url, board, token) as c:
        for start in range(0, STROKES, 10):
            ack = await c.push([{"op": "put", "el": _stroke(i)} for i in range(start, start + 10)],
                               timeout=60)
            assert ack["ok"], ack
        over = await c.push([{"op": "put", "el": _stroke(STROKES)}])
    i, refusal = 0, None
    for size in (500, 25, 1):
        while refusal is None or refusal.get("size") != size:
            async with BoardClient(url, board, token) as c:
                for _ in range(1000 // size):
                    ops = [{"op": "put", "el": _note(i + k)} for k in range(size)]
                    ack = await c.push(ops, timeout=60)
                    if not ack["ok"]:
                        refusal = {**ack, "size": size}
                        break
                    i += size
    assert refusal is not None
    return {"strokes": STROKES, "notes": i, "stroke_refused": over.get("code"),
            "note_refused": refusal.get("code"), "note_refused_message": refusal.get("message")}


async def _join_s(url: str, board: str, token: str, encoding: str) -> tuple[float, int]:
    t0 = time.monotonic()
    async with BoardClient(url, board, token, encoding=encoding, reconnect=False) as c:
        return time.monotonic() - t0, len(c.elements)


def _viewer(url: str, board: str, token: str, latest: Any, stop: Any, out: Any) -> None:
    """Fetch /state and the newest snapshot's SVG in turns until ``stop``."""
    headers = {"authorization": f"Bearer {token}"}
    times: dict[str, list[tuple[float, int]]] = {}
    while not stop.is_set():
        for what, path in (("state", f"/api/boards/{board}/state"),
                           ("svg", f"/api/boards/{board}/snapshots/{latest['sid']}.svg")):
            t0 = time.monotonic()
            req = urllib.request.Request(url + path, headers=headers)
            with urllib.request.urlopen(req, timeout=120) as resp:
                size = len(resp.read())
            times.setdefault(what, []).append((time.monotonic() - t0, size))
            out.update(times)


async def _ping_loop(client: BoardClient, seconds: float, every: float = 0.02) -> list[float]:
    loop = asyncio.get_running_loop()
    rtts: list[float] = []
    end = loop.time() + seconds
    while loop.time() < end:
        sent = loop.time()
        await client._send({"type": "ping"})
        await client.next_message("pong", timeout=60)
        rtts.append((loop.time() - sent) * 1000)
        await asyncio.sleep(every)
    return rtts


def _stats(rtts: list[float]) -> dict[str, Any]:
    p = percentiles(rtts)
    return {"n": len(rtts), "p50_ms": round(p["p50"], 2), "p99_ms": round(p["p99"], 2),
            "max_ms": round(max(rtts), 2)}


async def _run(args: Any) -> tuple[str, dict[str, Any]]:
    seconds = 10.0 if args.quick else 20.0
    t = targets()["ours"]
    t.redis_url = None
    t.start()
    out: dict[str, Any] = {"quick": args.quick}
    try:
        url = f"http://127.0.0.1:{t.ports[0]}"
        full = http_json("POST", f"{url}/api/boards", {"title": "vol", "template": "blank"})
        other = http_json("POST", f"{url}/api/boards", {"title": "ander", "template": "blank"})
        b, tok = full["board"], full["tokens"]
        t0 = time.monotonic()
        out["fill"] = await _fill(url, b, tok["facilitator"])
        out["fill"]["s"] = round(time.monotonic() - t0, 1)
        _log(f"limits: filled {out['fill']}")
        # memory: a fresh process, then the same process with the full board loaded
        t.stop(keep_data=True)
        t.start()
        url = f"http://127.0.0.1:{t.ports[0]}"
        http_json("GET", f"{url}/healthz")
        await asyncio.sleep(1.0)
        rss_fresh = proc_rss_kib(t.pids[0])
        joins: dict[str, list[float]] = {}
        for encoding in ("msgpack", "json", "msgpack"):
            s, count = await _join_s(url, b, tok["viewer"], encoding)
            joins.setdefault(encoding, []).append(round(s * 1000, 1))
        await asyncio.sleep(1.0)
        rss_loaded = proc_rss_kib(t.pids[0])
        out["elements"] = count
        out["join_ms"] = {"first_msgpack_cold": joins["msgpack"][0],
                          "msgpack_warm": joins["msgpack"][1], "json": joins["json"][0]}
        out["rss_mib"] = {"fresh": round(rss_fresh / 1024, 1),
                          "full_board_loaded": round(rss_loaded / 1024, 1),
                          "board": round((rss_loaded - rss_fresh) / 1024, 1)}
        _log(f"limits: joins {out['join_ms']}, RSS {out['rss_mib']}")

        async with BoardClient(url, other["board"], other["tokens"]["viewer"]) as pinger, \
                BoardClient(url, b, tok["facilitator"]) as fac:
            out["quiet"] = _stats(await _ping_loop(pinger, 5.0))
            snap = await asyncio.to_thread(
                http_json_auth, "POST", f"{url}/api/boards/{b}/snapshots", tok["facilitator"],
                {"label": "vol"})
            # the viewer is a process of its own: in ours it would share our GIL
            mp = multiprocessing.get_context("spawn")
            manager = mp.Manager()
            latest = manager.dict({"sid": snap["snapshot"]})
            fetched = manager.dict()
            stop = mp.Event()
            viewer = mp.Process(target=_viewer, args=(url, b, tok["viewer"], latest, stop, fetched))
            viewer.start()
            peak = [0]

            async def churn() -> None:
                n = 0
                while not stop.is_set():
                    await asyncio.sleep(0.5)
                    n += 1
                    await fac.push([{"op": "patch", "id": f"n{n % 100}", "set": {"x": float(n)}}])
                    peak[0] = max(peak[0], proc_rss_kib(t.pids[0]))
                    if n % 10 == 0:
                        made = await asyncio.to_thread(
                            http_json_auth, "POST", f"{url}/api/boards/{b}/snapshots",
                            tok["facilitator"], {"label": f"vol {n}"})
                        latest["sid"] = made["snapshot"]

            churner = asyncio.create_task(churn())
            rtts = await _ping_loop(pinger, seconds)
            stop.set()
            await churner
            await asyncio.to_thread(viewer.join, 180)
            viewed = dict(fetched)
            manager.shutdown()
            out["loaded"] = _stats(rtts)
            out["rss_mib"]["peak_while_loaded"] = round(peak[0] / 1024, 1)
            out["viewer"] = {what: {"requests": len(v), "mean_s": round(sum(s for s, _ in v)
                                                                       / len(v), 3),
                                    "bytes": v[-1][1]} for what, v in viewed.items() if v}
            metrics = await asyncio.to_thread(_text, f"{url}/metrics")
            out["big_reads"] = {
                line.split('what="')[1].split('"')[0]: float(line.rsplit(" ", 1)[1])
                for line in metrics.splitlines() if line.startswith("tussentafel_big_reads_total")}
    finally:
        t.stop()
    goal = out["loaded"]["p99_ms"] < 100
    out["goals"] = {"other_board_ping_p99_lt_100ms": {"met": goal,
                                                      "p99_ms": out["loaded"]["p99_ms"]}}
    rows = [["quiet (no viewer)", *(out["quiet"][k] for k in ("n", "p50_ms", "p99_ms", "max_ms"))],
            ["viewer fetching /state + SVG", *(out["loaded"][k]
                                               for k in ("n", "p50_ms", "p99_ms", "max_ms"))]]
    text = (f"limits: a board at its budget ({out['elements']} elements: {STROKES} strokes of "
            f"{POINTS} numbers + {out['fill']['notes']} notes); RSS {out['rss_mib']}; "
            f"joins {out['join_ms']} ms\nping round trip on another board, {seconds:.0f} s:\n"
            + report.table(["case", "pings", "p50 ms", "p99 ms", "max ms"], rows))
    return text, out


def http_json_auth(method: str, url: str, token: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "content-type": "application/json", "authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        return json.loads(resp.read() or b"null")


def _text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as resp:
        text: str = resp.read().decode()
        return text


def limits(args: Any) -> tuple[str, dict[str, Any]]:
    return asyncio.run(_run(args))
