"""The scenarios: each starts its own servers, measures, stops them, returns a dict."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypedDict, TypeVar

import msgpack

from bench import report, wsraw
from bench.loadgen import proc_rss_kib
from bench.procs import RESULTS, ROOT, Redis, RedisCluster, Target, redis_available, targets

SUB = "tussentafel.v1.msgpack"


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def wait_for_quiet(max_s: float, threshold: float = 0.25) -> float:
    """Wait (at most ``max_s``) until the rest of the machine uses < ``threshold`` of a core
    (this is a shared 2-core box: other people's test runs skew latency); returns the load."""
    from bench.loadgen import machine_busy

    deadline = time.monotonic() + max_s
    load = 0.0
    while True:
        b0, t0 = machine_busy(), time.monotonic()
        time.sleep(0.5)
        load = (machine_busy() - b0) / (time.monotonic() - t0)
        if load < threshold or time.monotonic() >= deadline:
            break
    if load >= threshold:
        log(f"the machine is busy ({100 * load:.0f}% of a core used by others): measuring anyway")
    return load


def is_noisy(r: dict[str, Any]) -> bool:
    """Other processes took > 30 % of a core, or the generator itself stalled > 25 ms."""
    return (r.get("other_cpu_pct") or 0) > 30 or (r.get("send_lag_ms_p99") or 0) > 25


# -- one load run ------------------------------------------------------------------------


def _server_histograms(port: int) -> dict[str, Any]:
    """Counts per bucket of our server's ack and commit histograms (/metrics),
    with the share of each under 1, 5 and 20 ms: how much of the latency is
    the wait for the store's fsync."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            text = r.read().decode()
    except OSError as exc:
        return {"error": str(exc)}
    out: dict[str, Any] = {}
    for name in ("tussentafel_ack_seconds", "tussentafel_commit_seconds"):
        buckets: dict[float, float] = {}
        for line in text.splitlines():
            if line.startswith(f"{name}_bucket{{"):
                le = line.split('le="', 1)[1].split('"', 1)[0]
                buckets[float("inf") if le == "+Inf" else float(le)] = float(line.split()[-1])
        total = buckets.get(float("inf"), 0.0)
        if total:
            out[name.removeprefix("tussentafel_")] = {
                "count": int(total),
                **{f"share_le_{int(ms)}ms": round(buckets.get(ms / 1000, 0.0) / total, 3)
                   for ms in (1, 5, 20)}}
    return out


def load_run(
    target: Target,
    *,
    boards: int,
    per_board: int,
    rate: float = 5.0,
    presence_hz: float = 10.0,
    warmup: float = 3.0,
    duration: float = 15.0,
    drain: float = 2.0,
    processes: int = 1,
    check_order: bool = False,
    redis_url: str | None = None,
    on_started: Any = None,
    extra_pids: list[int] | None = None,
    stalled: int = 0,
) -> dict[str, Any]:
    """Start ``target`` fresh, run the load generator against it, stop it."""
    wait_for_quiet(10.0 if duration < 10 else 30.0)
    target.redis_url = redis_url
    target.start(processes)
    if extra_pids:
        target.extra_pids = list(extra_pids)
    try:
        board_list = target.boards(boards, f"r{int(time.time() * 1000) % 10**8}")
        cfg = {"proto": target.proto, "host": "127.0.0.1", "port": target.ports[0],
               "boards": board_list, "per_board": per_board, "rate": rate,
               "presence_hz": presence_hz, "warmup": warmup, "duration": duration,
               "drain": drain, "pids": target.pids + (extra_pids or []), "check_order": check_order,
               "seed": 42, "connect_timeout": 30,
               "stalled": stalled}
        limit = 60 + warmup + duration + drain + boards * per_board * 0.02
        gen = subprocess.Popen([target.python, "-m", "bench.loadgen", json.dumps(cfg)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if on_started is not None:
            on_started(target, gen)
        try:
            out, err = gen.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            gen.kill()
            out, err = gen.communicate()
            raise RuntimeError(f"load generator overran {limit:.0f}s: {err[-800:]}") from None
        lines = [ln for ln in out.strip().splitlines() if ln.startswith("{")]
        if gen.returncode != 0 or not lines:
            raise RuntimeError(f"load generator failed ({gen.returncode}): {err[-1500:]}")
        result: dict[str, Any] = json.loads(lines[-1])
        if target.name == "ours":  # where an ack's time went, as the server saw it
            result["server_histograms"] = _server_histograms(target.ports[0])
        result["target"] = target.name
        result["processes"] = processes
        result["noisy"] = is_noisy(result)
        if result.get("rejected_acks"):
            log(f"{target.name}: {result['rejected_acks']} rejected acks, e.g. "
                f"{result['reject_samples'][:2]}")
        return result
    finally:
        tail = target.log_tail(600)
        target.stop()
        if "Traceback" in tail:
            log(f"{target.name} server log: {tail}")


class Durations(TypedDict):
    """The phases of one load run, in seconds (keyword arguments of ``load_run``)."""

    warmup: float
    duration: float
    drain: float


def _durations(quick: bool) -> Durations:
    return {"warmup": 2.0, "duration": 8.0, "drain": 1.5} if quick else {
        "warmup": 3.0, "duration": 15.0, "drain": 2.0}


# -- room ----------------------------------------------------------------------------------


def _available(names: list[str]) -> list[tuple[str, Target]]:
    """The named targets that can run here (the others are logged as skipped)."""
    all_targets = targets()
    live = []
    for name in names:
        t = all_targets[name]
        if t.available:
            live.append((name, t))
        else:
            log(f"skip {name}: {t.why_not}")
    return live


def room(args: Any) -> tuple[str, dict[str, Any]]:
    ns = args.n or ([10, 100] if args.quick else [10, 50, 100, 200])
    live = _available(args.target or ["ours"])
    rows, results = [], []
    for n in ns:
        for name, t in live:
            log(f"room: {name} N={n} R={args.rate}")
            r = load_run(t, boards=1, per_board=n, rate=args.rate,
                         presence_hz=args.presence_hz, check_order=True,
                         **_durations(args.quick))
            results.append(r)
            rows.append(report.load_row(name, r))
    text = (f"room: 1 board, N clients x {args.rate} ops/s + cursors at {args.presence_hz} Hz"
            f"{' (quick)' if args.quick else ''}\n" + report.table(report.LOAD_HEADERS, rows))
    goals = {}
    for r in results:
        if r["target"] == "ours" and r["clients"] == 200:
            goals["n200_full_delivery_p99_lt_250ms"] = {
                "met": r["delivery_ratio"] == 1.0 and r["latency_ms"]["p99"] < 250,
                "delivery_ratio": r["delivery_ratio"], "p99_ms": r["latency_ms"]["p99"]}
    return text, {"quick": args.quick, "runs": results, "goals": goals}


# -- compare -------------------------------------------------------------------------------


def compare(args: Any) -> tuple[str, dict[str, Any]]:
    n = (args.n or [100])[0]
    rounds = args.rounds or 3
    all_targets = targets()
    names = args.target or ["ours", "relay", "hocuspocus", "pycrdt"]
    skipped = {name: all_targets[name].why_not for name in names
               if not all_targets[name].available}
    for name, why in skipped.items():
        log(f"skip {name}: {why}")
    live = [name for name in names if name not in skipped]
    if "ours" not in live:
        raise SystemExit("compare needs ours")
    d = _durations(args.quick)
    if args.quick:
        d["duration"] = 6.0
    per: dict[str, list[dict[str, Any]]] = defaultdict(list)
    failures: dict[str, str] = {}
    yjs = [name for name in live if name in ("hocuspocus", "pycrdt")]
    began = time.monotonic()

    def run(key: str, name: str, presence_hz: float) -> None:
        if key in failures:
            return
        log(f"compare: {key} N={n}")
        try:
            result = load_run(all_targets[name], boards=1, per_board=n, rate=args.rate,
                              presence_hz=presence_hz, **d)
            in_budget = not args.quick or time.monotonic() - began < 80
            if result["noisy"] and args.retry_noisy > 0 and in_budget:
                log(f"{key}: noisy run (others {result['other_cpu_pct']}% CPU, generator lag "
                    f"{result['send_lag_ms_p99']} ms): once more")
                again = load_run(all_targets[name], boards=1, per_board=n, rate=args.rate,
                                 presence_hz=presence_hz, **d)
                if not again["noisy"] or again["other_cpu_pct"] < result["other_cpu_pct"]:
                    result = again
            per[key].append(result)
        except Exception as exc:  # a peer that breaks is reported, not fatal
            failures[key] = f"{type(exc).__name__}: {exc}"[:500]
            log(f"{key} failed: {failures[key]}")

    # ours and the relay alternate every round; the Yjs peers run once in quick mode (every
    # round otherwise), with cursors as Yjs awareness (which they forward, not coalesce),
    # and, not in quick mode, once without cursors (ops only)
    with_cursors = args.presence_hz > 0  # --no-cursors (or --presence-hz 0): ops only
    for rnd in range(rounds if with_cursors else 0):
        for name in live:
            if name in yjs and args.quick and rnd > 0:
                continue
            run(name, name, args.presence_hz)
    # ops only, so that no ratio rests on how a peer handles cursors: ours and the relay
    # alternate here too (one round in quick mode)
    for _ in range(rounds if not args.quick or not with_cursors else 1):
        for name in ("ours", "relay"):
            if name in live:
                run(f"{name}_nocursors", name, 0.0)
    for name in yjs:
        # the Yjs peers without awareness: always in a full run; in a quick one when the peer
        # could not carry the cursors (so there is a latency to compare at all)
        saturated = any((r["delivery_ratio"] or 0) < 0.99 for r in per.get(name, []))
        if not args.quick or not with_cursors or (
                saturated and time.monotonic() - began < 140):
            run(f"{name}_nocursors", name, 0.0)
    summary: dict[str, dict[str, Any]] = {}
    for key, runs in per.items():
        ok = [r for r in runs if (r["delivery_ratio"] or 0) >= 0.99] or runs
        summary[key] = {
            "runs": len(runs),
            "p50_ms": statistics.median(r["latency_ms"]["p50"] for r in ok),
            "p95_ms": statistics.median(r["latency_ms"]["p95"] for r in ok),
            "p99_ms": statistics.median(r["latency_ms"]["p99"] for r in ok),
            "max_ms": max(r["latency_ms"]["max"] for r in ok),
            "deliveries_per_s": statistics.median(r["deliveries_per_s"] for r in runs),
            "delivery_ratio": min(r["delivery_ratio"] or 0 for r in runs),
            "cpu_pct": statistics.median(r["server_cpu_pct"] for r in runs),
            "cpu_us_per_delivery": statistics.median(
                r["server_cpu_us_per_delivery"] or float("inf") for r in runs),
            "rss_mib": max(r["server_rss_kib_peak"] for r in runs) / 1024,
            "bytes_per_delivery": statistics.median(r["rx_bytes_per_delivery"] or 0 for r in runs),
            "gen_cpu_pct": max(r["gen_cpu_pct"] for r in runs),
            "other_cpu_pct": max(r.get("other_cpu_pct", 0) for r in runs),
            "p99_each_ms": [r["latency_ms"]["p99"] for r in runs],
            "noisy_runs": sum(bool(r.get("noisy")) for r in runs),
            "cpu_us_each": [r["server_cpu_us_per_delivery"] for r in runs],
        }
        summary[key]["saturated"] = summary[key]["delivery_ratio"] < 0.99
    ratios: dict[str, Any] = {}
    for key, s in summary.items():
        # a peer's run is held against ours under the same load: with cursors or without
        mine = "ours_nocursors" if key.endswith("_nocursors") else "ours"
        if key.startswith("ours"):
            continue
        if s["saturated"] or mine not in summary:  # no latency to compare (delivery ratio)
            ratios[f"ratio_p99_vs_{key}"] = None
            ratios[f"ratio_cpu_vs_{key}"] = None
            continue
        ours_run = summary[mine]
        ratios[f"ratio_p99_vs_{key}"] = round(ours_run["p99_ms"] / s["p99_ms"], 3)
        ratios[f"ratio_cpu_vs_{key}"] = round(
            ours_run["cpu_us_per_delivery"] / s["cpu_us_per_delivery"], 3)
    for key in ("relay", *yjs):  # always present in the JSON (null: not run, see skipped)
        for suffix in ("", "_nocursors"):
            ratios.setdefault(f"ratio_p99_vs_{key}{suffix}", None)
            ratios.setdefault(f"ratio_cpu_vs_{key}{suffix}", None)
    ours = summary.get("ours") or summary["ours_nocursors"]
    headers = ["target", "runs", "p50 ms", "p95 ms", "p99 ms", "max ms", "deliv/s", "ratio",
               "CPU%", "CPU us/deliv", "RSS MiB", "B/deliv", "gen CPU%", "other CPU%",
               "noisy", "p99 ours/x", "CPU ours/x"]
    rows = []
    for key, s in summary.items():
        base = key.replace("_nocursors", "")
        label = all_targets[base].label + (" no cursors" if key != base else "")
        rows.append([label, s["runs"], s["p50_ms"], s["p95_ms"], s["p99_ms"], s["max_ms"],
                     s["deliveries_per_s"], s["delivery_ratio"], s["cpu_pct"],
                     s["cpu_us_per_delivery"], round(s["rss_mib"], 1), s["bytes_per_delivery"],
                     s["gen_cpu_pct"], s["other_cpu_pct"], s["noisy_runs"],
                     1.0 if key.startswith("ours") else ratios.get(f"ratio_p99_vs_{key}"),
                     1.0 if key.startswith("ours") else ratios.get(f"ratio_cpu_vs_{key}")])
    text = (f"compare: room N={n}, R={args.rate} ops/s, cursors {args.presence_hz} Hz, "
            f"{rounds} round(s) of ours/relay{' (quick)' if args.quick else ''}; medians\n"
            + report.table(headers, rows))
    for key, s in summary.items():
        if s["saturated"]:
            text += (f"\n{key}: SATURATED: delivered {100 * s['delivery_ratio']:.1f}% of the ops "
                     f"in the window (+{d['drain']}s drain): no latency to compare")
    if skipped or failures:
        text += "\n" + "\n".join(f"skipped {k}: {v}" for k, v in {**skipped, **failures}.items())
    # the goals of issue #18: p99 <= 1.2x and CPU per delivery <= 1.5x the bare relay (with
    # and without cursors), and lower than each Yjs peer on both
    goals: dict[str, Any] = {}
    for suffix in ("", "_nocursors"):
        p99 = ratios.get(f"ratio_p99_vs_relay{suffix}")
        cpu = ratios.get(f"ratio_cpu_vs_relay{suffix}")
        if p99 is not None and cpu is not None:
            goals[f"p99_le_1.2x_relay{suffix}"] = {"met": p99 <= 1.2, "ratio": p99}
            goals[f"cpu_per_delivery_le_1.5x_relay{suffix}"] = {"met": cpu <= 1.5, "ratio": cpu}
    for key in [k for k in summary if not k.startswith(("ours", "relay"))]:
        s = summary[key]
        own = summary.get("ours_nocursors" if key.endswith("_nocursors") else "ours") or ours
        if s["saturated"]:
            goals[f"beats_{key}"] = {"met": own["delivery_ratio"] >= 0.99,
                                     "note": f"{key} delivered {s['delivery_ratio']:.3f}"}
        elif ratios[f"ratio_p99_vs_{key}"] is not None:
            goals[f"beats_{key}"] = {
                "met": ratios[f"ratio_p99_vs_{key}"] < 1 and ratios[f"ratio_cpu_vs_{key}"] < 1,
                "ratio_p99": ratios[f"ratio_p99_vs_{key}"],
                "ratio_cpu": ratios[f"ratio_cpu_vs_{key}"]}
    return text, {"quick": args.quick, "n": n, "rate": args.rate, **ratios,
                  "summary": summary, "skipped": {**skipped, **failures}, "goals": goals,
                  "runs": dict(per)}


# -- many ------------------------------------------------------------------------------------


def many(args: Any) -> tuple[str, dict[str, Any]]:
    boards = args.boards or (50 if args.quick else 200)
    per_board = (args.n or [10])[0]
    rate = args.rate if args.rate_set else 1.0
    rows, results = [], []
    for name, t in _available(args.target or ["ours"]):
        log(f"many: {name} {boards} boards x {per_board} clients at {rate} ops/s")
        r = load_run(t, boards=boards, per_board=per_board, rate=rate,
                     presence_hz=args.presence_hz, **_durations(args.quick))
        results.append(r)
        rows.append(report.load_row(name, r))
    note = (f" (quick: {boards} boards, not 200; run without --quick for the full 200)"
            if args.quick and boards < 200 else "")
    text = (f"many: {boards} boards x {per_board} clients, {rate} ops/s each, cursors "
            f"{args.presence_hz} Hz{note}\n" + report.table(report.LOAD_HEADERS, rows))
    goals = {}
    for r in results:
        if r["target"] == "ours":
            goals["many_p99_lt_50ms"] = {"met": r["latency_ms"]["p99"] < 50 and boards >= 200,
                                         "p99_ms": r["latency_ms"]["p99"], "boards": boards,
                                         "note": "scaled down: not a verdict" if boards < 200
                                         else ""}
    return text, {"quick": args.quick, "boards": boards, "per_board": per_board, "runs": results,
                  "goals": goals}


# -- helpers for join / catchup / idle (our server only) --------------------------------------


class _Conn:
    """A raw client for the small scenarios: collects whole messages with times."""

    def __init__(self) -> None:
        self.msgs: list[tuple[float, int, bytes]] = []
        self.event = asyncio.Event()

    def on_payload(self, ws: wsraw.WsClient, payload: bytes, now: float) -> None:
        self.msgs.append((now, len(payload), payload))
        self.event.set()

    async def wait(self, pred: Any, timeout: float = 60.0) -> tuple[float, int, bytes]:
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            while seen < len(self.msgs):
                item = self.msgs[seen]
                seen += 1
                if pred(item[2]):
                    return item
            self.event.clear()
            try:
                await asyncio.wait_for(self.event.wait(), max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
        raise TimeoutError("message not received in time")


async def _open(port: int, board: dict[str, Any], token: str, client: str,
                since: int | None = None) -> tuple[wsraw.WsClient, _Conn, float]:
    c = _Conn()
    t0 = time.monotonic()
    ws = await wsraw.connect("127.0.0.1", port, board["path"], SUB, c.on_payload)
    hello: dict[str, Any] = {"type": "hello", "token": token, "client": client, "name": client}
    if since is not None:
        hello["since"] = since
    ws.send(msgpack.packb(hello))
    return ws, c, t0


def _is_welcome(p: bytes) -> bool:
    return b"\xa7welcome" in p


def _unbundle(p: bytes) -> list[dict[str, Any]]:
    m = msgpack.unpackb(p, raw=False, strict_map_key=False)
    return m["messages"] if m.get("type") == "bundle" else [m]


def _welcome(p: bytes) -> dict[str, Any]:
    return next(m for m in _unbundle(p) if m.get("type") == "welcome")


async def _fill(port: int, board: dict[str, Any], count: int, tag: str) -> None:
    """Put ``count`` notes on a board: 500 per push, at most 1000 per connection (burst)."""
    per_conn = 1000
    conns = []
    for i in range(0, count, per_conn):
        ws, c, _ = await _open(port, board, board["facilitator"], f"fill{tag}{i}")
        await c.wait(_is_welcome)
        ops = [{"op": "put", "el": {"id": f"f{tag}{j}", "kind": "note", "x": float(j % 200) * 10,
                                    "y": float(j // 200) * 10, "z": f"a{j}",
                                    "text": f"note {j} about the budget", "w": 160.0, "h": 100.0,
                                    "color": "#fde68a"}}
               for j in range(i, min(i + per_conn, count))]
        for k in range(0, len(ops), 500):
            ws.send(msgpack.packb({"type": "push", "id": k, "ops": ops[k:k + 500]}))
        conns.append((ws, c, (len(ops) + 499) // 500))
    deadline = time.monotonic() + 120
    for ws, c, acks in conns:
        while time.monotonic() < deadline:
            if sum(p.count(b"\xa3ack") for _, _, p in c.msgs) >= acks:
                break
            await asyncio.sleep(0.02)
        else:
            raise TimeoutError("fill: acks not received")
        bad = [p for _, _, p in c.msgs if b"\xa2ok\xc2" in p]
        if bad:
            raise RuntimeError(f"fill rejected: {str(_unbundle(bad[0]))[:300]}")
        ws.close()


def _ours() -> Target:
    t = targets()["ours"]
    t.redis_url = None
    return t


# -- join --------------------------------------------------------------------------------------


async def _join_async(args: Any) -> tuple[str, dict[str, Any]]:
    count = args.elements or 20_000
    t = _ours().start()
    rows: list[list[Any]] = []
    out: dict[str, Any] = {}
    try:
        board = t.boards(1, "join")[0]
        t0 = time.monotonic()
        await _fill(t.ports[0], board, count, "")
        out["fill_s"] = round(time.monotonic() - t0, 2)
        log(f"join: filled {count} elements in {out['fill_s']}s")
        warm = []
        for i in range(5 if args.quick else 10):
            ws, c, start = await _open(t.ports[0], board, board["token"], f"joiner{i}")
            at, size, payload = await c.wait(_is_welcome)
            got = len(_welcome(payload)["elements"])
            warm.append({"s": at - start, "bytes": size, "elements": got})
            ws.close()
            await asyncio.sleep(0.2)
        # cold: restart the server (the room is loaded from SQLite by the first joiner)
        t.stop(keep_data=True)
        t.start()
        ws, c, start = await _open(t.ports[0], board, board["token"], "cold")
        at, size, payload = await c.wait(_is_welcome)
        cold = {"s": at - start, "bytes": size, "elements": len(_welcome(payload)["elements"])}
        ws.close()
        rss = proc_rss_kib(t.pids[0])
    finally:
        t.stop()
    warm_s = sorted(w["s"] for w in warm)
    out.update({
        "elements": count,
        "warm_median_s": round(statistics.median(warm_s), 4),
        "warm_max_s": round(warm_s[-1], 4),
        "welcome_bytes": warm[0]["bytes"],
        "welcome_elements": warm[0]["elements"],
        "cold_s": round(cold["s"], 4),
        "cold_bytes": cold["bytes"],
        "server_rss_mib_after_cold_load": round(rss / 1024, 1),
    })
    rows = [[f"warm room (median of {len(warm)})", out["warm_median_s"] * 1000,
             out["warm_max_s"] * 1000, out["welcome_bytes"], out["welcome_elements"]],
            ["cold server (load from SQLite)", out["cold_s"] * 1000, out["cold_s"] * 1000,
             out["cold_bytes"], cold["elements"]]]
    text = (f"join: a new client's welcome on a {count:,}-element board (connect -> welcome "
            "fully received)\n" + report.table(["case", "ms", "max ms", "bytes", "elements"], rows))
    out["goals"] = {"join_20k_lt_500ms": {"met": out["warm_max_s"] < 0.5 and out["cold_s"] < 0.5,
                                          "warm_max_s": out["warm_max_s"],
                                          "cold_s": out["cold_s"]}}
    return text, out


def join(args: Any) -> tuple[str, dict[str, Any]]:
    return _run_async(_join_async(args))


# -- catchup -----------------------------------------------------------------------------------


async def _catchup_async(args: Any) -> tuple[str, dict[str, Any]]:
    changes = args.changes or 1000
    base = 2000
    t = _ours().start()
    try:
        port = t.ports[0]
        board = t.boards(1, "catchup")[0]
        await _fill(port, board, base, "")
        ws, c, _ = await _open(port, board, board["token"], "sleeper")
        clock = _welcome((await c.wait(_is_welcome))[2])["clock"]
        ws.close()
        # another participant makes ``changes`` single-op changes (moves, edits, new notes)
        wws, wc, _ = await _open(port, board, board["facilitator"], "writer")
        await wc.wait(_is_welcome)
        for i in range(changes):
            if i % 4 == 0:
                op = {"op": "put", "el": {"id": f"new{i}", "kind": "note", "x": 1.0, "y": 2.0,
                                          "z": "b", "text": f"late idea {i}", "w": 160.0,
                                          "h": 100.0}}
            elif i % 4 == 1:
                op = {"op": "patch", "id": f"f{i % base}", "set": {"text": f"edited {i}"}}
            elif i % 4 == 2:
                op = {"op": "del", "id": f"f{(i * 7) % base}"}
            else:
                op = {"op": "patch", "id": f"f{(i * 3) % base}", "set": {"x": float(i), "y": 1.0}}
            wws.send(msgpack.packb({"type": "push", "id": i, "ops": [op]}))
        acks = 0
        deadline = time.monotonic() + 60
        while acks < changes and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            acks = sum(p.count(b"\xa3ack") for _, _, p in wc.msgs)
        rejected = sum(p.count(b"\xa2ok\xc2") for _, _, p in wc.msgs)
        wws.close()
        results = {}
        for label, since in (("catch-up (since)", clock), ("full join (no since)", None)):
            times, sizes = [], []
            for _ in range(5):
                ws, c, start = await _open(port, board, board["token"], "sleeper", since)
                at, size, payload = await c.wait(_is_welcome)
                w = _welcome(payload)
                times.append(at - start)
                sizes.append(size)
                ws.close()
                await asyncio.sleep(0.1)
            results[label] = {"median_s": statistics.median(times), "bytes": sizes[0],
                              "full": w["full"], "elements": len(w["elements"]),
                              "deleted": len(w["deleted"])}
    finally:
        t.stop()
    rows = [[k, v["median_s"] * 1000, v["bytes"], v["full"], v["elements"], v["deleted"]]
            for k, v in results.items()]
    text = (f"catchup: reconnect after {changes:,} changes ({rejected} rejected) on a board of "
            f"{base:,} elements\n" + report.table(
                ["case", "median ms", "bytes", "full", "elements", "deleted"], rows))
    return text, {"changes": changes, "base_elements": base, "rejected": rejected,
                  "results": results}


def catchup(args: Any) -> tuple[str, dict[str, Any]]:
    return _run_async(_catchup_async(args))


# -- idle memory ------------------------------------------------------------------------------


async def _idle_async(args: Any) -> tuple[str, dict[str, Any]]:
    count = (args.n or [500 if args.quick else 2000])[0]
    per_board = 250
    names = args.target or ["ours", "relay"]
    all_targets = targets()
    rows, out = [], {}
    for name in names:
        t = all_targets[name]
        if not t.available:
            continue
        t.redis_url = None
        t.start()
        try:
            boards = t.boards((count + per_board - 1) // per_board, "idle")
            port = t.ports[0]
            # one client per board first, so rooms are loaded before the baseline
            warm = []
            for i, b in enumerate(boards):
                warm.append(await _idle_client(t, port, b, f"w{i}"))
            await asyncio.sleep(1.0)
            before = proc_rss_kib(t.pids[0])
            sem = asyncio.Semaphore(100)

            async def one(i: int, t: Target = t, port: int = port,
                          boards: list[dict[str, Any]] = boards,
                          sem: asyncio.Semaphore = sem) -> wsraw.WsClient:
                async with sem:
                    return await _idle_client(t, port, boards[i % len(boards)], f"i{i}")

            clients = list(await asyncio.gather(*(one(i) for i in range(count))))
            await asyncio.sleep(3.0)
            after = proc_rss_kib(t.pids[0])
            for ws in clients + warm:
                ws.close()
        finally:
            t.stop()
        per = (after - before) / count
        out[name] = {"connections": count, "rss_before_kib": before, "rss_after_kib": after,
                     "kib_per_connection": round(per, 2)}
        rows.append([t.label, count, before / 1024, after / 1024, per])
    text = ("idle: RSS growth per idle connection (joined, no traffic)\n"
            + report.table(["target", "conns", "RSS before MiB", "after MiB", "KiB/conn"], rows))
    if "ours" in out:
        out["goals"] = {"idle_conn_lt_64kib": {"met": out["ours"]["kib_per_connection"] < 64,
                                               "kib": out["ours"]["kib_per_connection"]}}
    return text, out


async def _idle_client(t: Target, port: int, board: dict[str, Any], cid: str) -> wsraw.WsClient:
    c = _Conn()
    sub = SUB if t.proto == "tt" else None
    ws = await wsraw.connect("127.0.0.1", port, board["path"], sub, c.on_payload)
    if t.proto == "tt":
        ws.send(msgpack.packb({"type": "hello", "token": board.get("token", ""), "client": cid,
                               "name": cid}))
        await c.wait(_is_welcome, 30)
    return ws


def idle(args: Any) -> tuple[str, dict[str, Any]]:
    return _run_async(_idle_async(args))


# -- scale ---------------------------------------------------------------------------------


def scale(args: Any) -> tuple[str, dict[str, Any]]:
    ok, why = redis_available()
    if not ok:
        text = f"scale: NOT RUN: {why}"
        return text, {"available": False, "reason": why}
    n = (args.n or [100])[0]
    kind = "redis cluster" if args.cluster else "redis"
    rows, runs, errors = [], {}, {}
    for label, procs in ((f"{kind}, 1 process", 1), (f"{kind}, 2 processes", 2)):
        redis: Redis | RedisCluster = RedisCluster() if args.cluster else Redis()
        redis.start()
        pids = redis.pids if isinstance(redis, RedisCluster) else [
            redis.proc.pid]  # type: ignore[union-attr]
        try:
            log(f"scale: {label} N={n}")
            r = load_run(targets()["ours"], boards=1, per_board=n, rate=args.rate,
                         presence_hz=args.presence_hz, processes=procs, check_order=True,
                         redis_url=redis.url, extra_pids=pids, **_durations(args.quick))
            runs[label] = r
            rows.append([*report.load_row(label, r), r["clock_gaps"], r["out_of_order"]])
        except Exception as exc:
            errors[label] = f"{type(exc).__name__}: {exc}"[:800]
            log(f"scale {label} failed: {errors[label]}")
        finally:
            redis.stop()
    where = "a 3-master Redis Cluster" if args.cluster else "Redis"
    text = (f"scale: room N={n} over {where} (AOF everysec), clients split over the processes; "
            "server CPU and RSS include redis-server\n"
            + report.table([*report.LOAD_HEADERS, "gaps", "disorder"], rows))
    if errors:
        text += "\n" + "\n".join(f"FAILED {k}: {v}" for k, v in errors.items())
    out: dict[str, Any] = {"available": True, "cluster": args.cluster, "runs": runs,
                           "errors": errors}
    if len(runs) == 2:
        one, two = runs[f"{kind}, 1 process"], runs[f"{kind}, 2 processes"]
        ratio = two["latency_ms"]["p99"] / one["latency_ms"]["p99"]
        out["ratio_p99_2proc_vs_1proc"] = round(ratio, 3)
        out["goals"] = {"scale_p99_le_1_5x": {
            "met": ratio <= 1.5 and two["out_of_order"] == 0 and two["delivery_ratio"] == 1.0,
            "ratio": round(ratio, 3), "out_of_order": two["out_of_order"],
            "delivery_ratio": two["delivery_ratio"]}}
    return text, out


# -- profile -------------------------------------------------------------------------------


def profile(args: Any) -> tuple[str, dict[str, Any]]:
    pyspy = shutil.which("py-spy")
    if pyspy is None:
        return "profile: NOT RUN: py-spy is not installed (bench/peers/setup.sh installs it)", {
            "available": False}
    n = (args.n or [100])[0]
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    raw = RESULTS / f"profile-{stamp}.txt"
    svg = RESULTS / f"profile-{stamp}.svg"
    d = _durations(args.quick)
    spies: list[subprocess.Popen[bytes]] = []

    def attach(target: Target, gen: subprocess.Popen[str]) -> None:
        # sample the measured window only: start after connect + settle + warm-up
        delay = 2.0 + d["warmup"]
        secs = int(d["duration"])
        pid = str(target.pids[0])
        mode = "--native" if args.native else "--nonblocking"
        cmd = (f"sleep {delay}; {pyspy} record {mode} --threads --rate 200 "
               f"--duration {secs} --format raw -o {raw} --pid {pid}")
        spies.append(subprocess.Popen(["bash", "-c", cmd], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))

    boards = args.boards or 1
    rate = args.rate if (boards == 1 or args.rate_set) else 1.0
    if boards > 1 and not args.n:
        n = 10
    r = load_run(targets()["ours"], boards=boards, per_board=n, rate=rate,
                 presence_hz=args.presence_hz, on_started=attach, **d)
    for spy in spies:
        try:
            spy.wait(30)
        except subprocess.TimeoutExpired:
            spy.kill()
    if not raw.exists():
        return "profile: py-spy wrote nothing (ptrace not permitted?)", {"available": False}
    spy_hz, secs = 200, int(d["duration"])
    threads = _collapse(raw, expected=spy_hz * secs)
    _flamegraph(pyspy, raw, svg)
    what = f"room N={n}" if boards == 1 else f"many {boards} boards x {n}"
    text = (f"profile: our server under {what}, R={rate} (p99 "
            f"{r['latency_ms']['p99']} ms, server CPU {r['server_cpu_pct']}%), py-spy "
            f"{spy_hz} Hz x {secs}s; percentages are of each thread's busy samples; "
            f"raw stacks: {raw}")
    for name, th in threads.items():
        if th["busy_pct"] < 1:
            continue
        text += (f"\n\nthread {name}: {th['samples']} busy samples ({th['busy_pct']}% of "
                 "wall-clock samples; py-spy --nonblocking drops some)\n"
                 + report.table(["self %", "function"], [[p, f] for f, p in th["self"][:15]])
                 + "\n" + report.table(["incl %", "function (with callees)"],
                                       [[p, f] for f, p in th["inclusive"][:25]]))
    return text, {"n": n, "boards": boards, "rate_hz": spy_hz, "ops_rate": rate,
                  "seconds": secs, "raw": str(raw),
                  "svg": str(svg) if svg.exists() else None, "threads": threads, "run": r}


_FRAME = re.compile(r"^(?P<fn>.+?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def _short(frame: str) -> str:
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    path = m.group("file")
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{m.group('fn')} ({path})"


def _collapse(raw: Path, expected: float, top: int = 20) -> dict[str, Any]:
    """Per thread: share of wall-clock samples (``expected`` = rate x seconds) that were busy,
    and the top functions by self and inclusive time, as % of that thread's busy samples."""
    threads: dict[str, dict[str, Any]] = {}
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        k = int(count)
        parts = stack.split(";")
        thread = "?"
        if parts and parts[0].startswith("thread ("):
            name = parts[0].split(":", 1)[-1].strip()
            thread = "sqlite" if name.startswith("sqlite") else name
            parts = parts[1:]
        frames = [_short(f) for f in parts if f and not f.startswith("process ")]
        if not frames:
            continue
        if frames[-1].startswith("Runner.run (") and len(frames) > 1:
            frames[-1] = "[native: uvloop loop, socket I/O, C callbacks] (uvloop)"
        th = threads.setdefault(thread, {"samples": 0, "self": defaultdict(int),
                                         "incl": defaultdict(int)})
        th["samples"] += k
        th["self"][frames[-1]] += k
        for f in set(frames):
            th["incl"][f] += k

    def rank(d: dict[str, int], total: int) -> list[tuple[str, float]]:
        return [(name, round(100 * v / total, 2))
                for name, v in sorted(d.items(), key=lambda kv: -kv[1])[:top]]

    return {name: {"busy_pct": round(100 * th["samples"] / expected, 1),
                   "samples": th["samples"],
                   "self": rank(th["self"], th["samples"]),
                   "inclusive": rank(th["incl"], th["samples"])}
            for name, th in sorted(threads.items(), key=lambda kv: -kv[1]["samples"])}


def _flamegraph(pyspy: str, raw: Path, svg: Path) -> None:
    """An SVG flame graph from the collapsed stacks (if the ``flamegraph`` tool exists)."""
    tool = shutil.which("flamegraph.pl") or shutil.which("inferno-flamegraph")
    if tool:
        with open(svg, "wb") as out:
            subprocess.run([tool, str(raw)], stdout=out, check=False, timeout=60)


# -- plumbing --------------------------------------------------------------------------------


T = TypeVar("T")


def _run_async(coro: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop

        return uvloop.run(coro)
    except ImportError:
        return asyncio.run(coro)


# -- stall ---------------------------------------------------------------------------------


def stall(args: Any) -> tuple[str, dict[str, Any]]:
    """Issue #7: one reader that stops reading must not slow the room down.
    The same room runs without and with a stalled viewer, in alternation;
    the goal is the others' p99 with it <= 2x the p99 without it."""
    n = (args.n or [50])[0]
    rounds = args.rounds or 2
    t = targets()["ours"]
    d = _durations(args.quick)
    runs: dict[int, list[dict[str, Any]]] = {0: [], 1: []}
    for rnd in range(rounds):
        for k in (0, 1):
            log(f"stall: round {rnd + 1}, N={n}, stalled readers: {k}")
            runs[k].append(load_run(t, boards=1, per_board=n, rate=args.rate,
                                    presence_hz=args.presence_hz, check_order=True,
                                    stalled=k, **d))
    rows = []
    for k in (0, 1):
        for r in runs[k]:
            rows.append([*report.load_row(f"ours, {k} stalled", r), r.get("stalled_closed") or "-"])
    p99 = {k: statistics.median(r["latency_ms"]["p99"] for r in runs[k]) for k in (0, 1)}
    ratio = round(p99[1] / p99[0], 2) if p99[0] else None
    delivered = all(r["delivery_ratio"] == 1.0 for k in (0, 1) for r in runs[k])
    closed = [r.get("stalled_closed") for r in runs[1]]
    text = (f"stall: 1 board, N={n} x {args.rate} ops/s + cursors {args.presence_hz} Hz, "
            f"with and without one reader that stopped reading (median of {rounds} rounds)\n"
            + report.table([*report.LOAD_HEADERS, "stalled closed"], rows)
            + f"\nothers' p99 with / without the stalled reader: {ratio} (goal <= 2.0)")
    return text, {"quick": args.quick, "runs": runs[0] + runs[1],
                  "p99_without_ms": p99[0], "p99_with_ms": p99[1],
                  "ratio_p99_stalled": ratio, "stalled_closed": closed,
                  "goals": {"stalled_reader_p99_within_2x": {
                      "met": ratio is not None and ratio <= 2.0 and delivered,
                      "ratio": ratio, "all_delivered": delivered}}}


from bench.limits import limits  # noqa: E402  (a scenario of its own module)

SCENARIOS = {"room": room, "stall": stall, "compare": compare, "many": many, "join": join,
             "catchup": catchup, "idle": idle, "scale": scale, "profile": profile,
             "limits": limits}

__all__ = ["SCENARIOS", "load_run"]

from bench.dribble import dribble  # noqa: E402 - a scenario of its own module

SCENARIOS["dribble"] = dribble
