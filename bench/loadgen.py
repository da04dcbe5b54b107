"""The load generator process: ``python -m bench.loadgen CONFIG_JSON``.

Runs in its own process (uvloop), separate from the harness and the server,
and prints one JSON object (its measurements) as its last stdout line. It
opens every client, waits until all have joined, then sends for
``warmup + duration`` seconds (only ops sent after the warm-up are measured),
stops sending, waits ``drain`` seconds for stragglers, and reports.

Config keys: proto ("tt" Tussentafel protocol, also spoken by the bare relay |
"hocus" Hocuspocus | "ywire" y-websocket protocol, pycrdt-websocket), host,
port, boards ([{"path", "token", "doc"}]), per_board, rate (ops/s a client),
presence_hz, warmup, duration, drain, pids (server processes to sample),
seed, connect_timeout.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import os
import random
import re
import socket
import sys
import time
from array import array
from collections.abc import Sequence
from typing import Any

import msgpack

from bench import wsraw
from bench.workload import MARK_RE, Author, stroke_pool, tt_op, var_bytes, var_string, var_uint

CLK_TCK = os.sysconf("SC_CLK_TCK")
# the clock of a patch (our server and the relay both encode type, clock first)
# (acks carry the clock of the receiver's own changes, which it gets no patch for)
_INT = rb"(?:[\x00-\x7f]|\xcc.|\xcd..|\xce....)"
ACK_RE = re.compile(rb"\xa3ack\xa2id(" + _INT + rb")\xa2ok\xc3", re.DOTALL)
CLOCK_RE = re.compile(rb"(?:\xa5patch|\xa3ack\xa2id" + _INT + rb"\xa2ok\xc3)\xa5clock(" + _INT
                      + rb")", re.DOTALL)


def proc_cpu(pid: int | str) -> float:
    """CPU seconds (user + system, all threads) of a process, from /proc."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy() -> float:
    """CPU seconds all cores spent busy since boot (from /proc/stat)."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return (sum(parts[:8]) - idle) / CLK_TCK


def proc_rss_kib(pid: int | str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def percentiles(
    values: Sequence[float], qs: tuple[float, ...] = (50, 95, 99)
) -> dict[str, float]:
    if not values:
        return {f"p{int(q)}": float("nan") for q in qs} | {"max": float("nan")}
    ordered = sorted(values)
    n = len(ordered)
    out = {f"p{int(q)}": ordered[min(n - 1, round(q / 100 * (n - 1)))] for q in qs}
    out["max"] = ordered[-1]
    return out


class Client:
    __slots__ = (
        "author",
        "aw_clock",
        "board",
        "doc",
        "idx",
        "joined",
        "joined_at",
        "last_clock",
        "observer",
        "peers",
        "pending",
        "seq",
        "ws",
        "ydoc",
        "yels",
        "yupdates",
    )

    def __init__(self, idx: int, board: int, author: Author) -> None:
        self.idx = idx
        self.board = board
        self.author = author
        self.ws: wsraw.WsClient | None = None
        self.joined = False
        self.joined_at = 0.0
        self.seq = 0
        self.doc = b""
        self.ydoc: Any = None
        self.yels: Any = None
        self.yupdates: list[bytes] = []
        self.aw_clock = 0
        self.peers = 0
        self.last_clock = 0
        self.pending: dict[int, float] = {}  # push id -> send time (tt: ack latency)
        self.observer = True  # measures what it receives (else: only reads, for load)


class Generator:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.proto: str = cfg["proto"]
        self.rng = random.Random(cfg.get("seed", 1))
        self.strokes = stroke_pool(self.rng)
        self.clients: list[Client] = []
        # per marker: send time, sender index, expected recipients, deliveries so far
        self.send_t = array("d")
        self.send_c = array("i")
        self.expect = array("i")
        self.got = array("i")
        self.lat: list[float] = []
        self.ack_lat: list[float] = []
        self.window = (float("inf"), float("inf"))
        self.rejects = 0
        self.reject_samples: list[str] = []
        self.closed: dict[int, int] = {}
        self.send_lag: list[float] = []
        self.sent_ops = 0
        self.presence_sent = 0
        self.check_order = bool(cfg.get("check_order")) and self.proto == "tt"
        self.gaps = 0
        self.disorder = 0

    # -- receiving -------------------------------------------------------------------

    def on_payload(self, ws: wsraw.WsClient, payload: bytes, now: float) -> None:
        client: Client = ws.tag
        if not client.joined:
            if self.proto == "tt" and b"welcome" not in payload:
                return
            client.joined = True
            client.joined_at = now
            if not client.observer:
                ws.deliver = False
            if self.proto == "hocus":  # authenticated: start the Yjs sync like a provider
                ws.send(client.doc + b"\x00\x00" + var_bytes(b"\x00"))
            return
        marks = MARK_RE.findall(payload)
        if marks:
            send_t, send_c, got, lat = self.send_t, self.send_c, self.got, self.lat
            start, end = self.window
            me = client.idx
            for raw in marks:
                mid = int(raw)
                if mid >= len(send_t) or send_c[mid] == me:
                    continue  # an echo of our own op (y-websocket sends to all)
                got[mid] += 1
                t0 = send_t[mid]
                if start <= t0 < end:
                    lat.append(now - t0)
        if self.check_order:
            last = client.last_clock
            for m in CLOCK_RE.finditer(payload):
                clock = int.from_bytes(m.group(1)[1:] if m.group(1)[0] >= 0xCC else m.group(1),
                                       "big")
                if last and clock != last + 1:
                    if clock <= last:
                        self.disorder += 1
                    else:
                        self.gaps += 1
                last = clock
            client.last_clock = last
        if self.proto == "tt" and b"\xa3ack" in payload:
            pending = client.pending
            start, end = self.window
            for raw in ACK_RE.findall(payload):
                seq = int.from_bytes(raw[1:] if raw[0] >= 0xCC else raw, "big")
                sent = pending.pop(seq, None)
                if sent is not None and start <= sent < end:
                    self.ack_lat.append(now - sent)
        if self.proto == "tt" and b"\xa2ok\xc2" in payload:
            self.rejects += payload.count(b"\xa2ok\xc2")
            if len(self.reject_samples) < 5:
                try:
                    self.reject_samples.append(repr(msgpack.unpackb(payload))[:300])
                except Exception:
                    pass

    # -- sending ---------------------------------------------------------------------

    def send_op(self, client: Client, now: float) -> None:
        mid = len(self.send_t)
        kind, a, b = client.author.next_op(mid)
        if self.proto == "tt":
            client.seq += 1
            payload = msgpack.packb({"type": "push", "id": client.seq, "ops": [tt_op(kind, a, b)]})
        else:
            from pycrdt import Map

            els = client.yels
            client.yupdates.clear()
            if kind == "put":
                els[a["id"]] = Map(a)
            else:
                m = els[a]
                with client.ydoc.transaction():
                    for key, value in b.items():
                        m[key] = value
            update = b"".join(client.yupdates) if len(client.yupdates) == 1 else None
            if update is None:
                from pycrdt import merge_updates

                update = merge_updates(*client.yupdates)
            body = b"\x00\x02" + var_bytes(update)
            payload = client.doc + body if self.proto == "hocus" else body
        t_send = time.monotonic()
        if self.proto == "tt":
            client.pending[client.seq] = t_send
        self.send_t.append(t_send)
        self.send_c.append(client.idx)
        self.expect.append(client.peers)
        self.got.append(0)
        client.ws.send(payload)  # type: ignore[union-attr]
        self.sent_ops += 1

    def send_presence(self, client: Client) -> None:
        r = self.rng
        x, y = round(r.uniform(-3000, 3000), 1), round(r.uniform(-2000, 2000), 1)
        if self.proto == "tt":
            payload = msgpack.packb({"type": "presence", "cursor": [x, y]})
        else:
            client.aw_clock += 1
            state = json.dumps({"user": {"name": f"p{client.idx}"}, "cursor": {"x": x, "y": y}})
            update = (var_uint(1) + var_uint(client.ydoc.client_id) + var_uint(client.aw_clock)
                      + var_string(state))
            body = b"\x01" + var_bytes(update)
            payload = client.doc + body if self.proto == "hocus" else body
        client.ws.send(payload)  # type: ignore[union-attr]
        self.presence_sent += 1

    # -- running ---------------------------------------------------------------------

    async def open(self, client: Client, board: dict[str, Any]) -> None:
        cfg = self.cfg
        sub = "tussentafel.v1.msgpack" if self.proto == "tt" else None
        ports = board.get("ports") or [cfg["port"]]
        port = ports[client.idx % len(ports)]
        ws = await wsraw.connect(cfg["host"], port, board["path"], sub, self.on_payload,
                                 tag=client, timeout=cfg.get("connect_timeout", 20))
        client.ws = ws
        if self.proto == "tt":
            ws.send(msgpack.packb({"type": "hello", "token": board.get("token", ""),
                                   "client": f"gen{client.idx}", "name": f"p{client.idx}"}))
        else:
            from pycrdt import Doc, Map

            client.ydoc = Doc()
            client.yels = client.ydoc.get("elements", type=Map)
            client.ydoc.observe(lambda event, c=client: c.yupdates.append(event.update))
            if self.proto == "hocus":
                client.doc = var_string(board["doc"])
                ws.send(client.doc + b"\x02\x00" + var_string("bench"))
            else:
                client.joined = True  # the server's sync step 1 may come before we listen
                client.joined_at = time.monotonic()

    async def open_stalled(self, per_board: int) -> list[wsraw.WsClient]:
        """``per_board`` extra viewers per board that say hello and then stop
        reading (a laptop that went to sleep): not measured, only present."""
        stalled: list[wsraw.WsClient] = []
        if per_board <= 0 or self.proto != "tt":
            return stalled
        cfg = self.cfg
        for board in cfg["boards"]:
            for k in range(per_board):
                ws = await wsraw.connect(cfg["host"], (board.get("ports") or [cfg["port"]])[0],
                                         board["path"], "tussentafel.v1.msgpack",
                                         lambda *_: None, tag=None)
                ws.deliver = False
                ws.send(msgpack.packb({"type": "hello", "token": board.get("token", ""),
                                       "client": f"stalled{k}", "name": "asleep"}))
                stalled.append(ws)
        await asyncio.sleep(0.3)  # welcome read; from now on nothing is
        for ws in stalled:
            if ws.transport is not None:
                sock = ws.transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                ws.transport.pause_reading()
        return stalled

    async def run(self) -> dict[str, Any]:
        cfg = self.cfg
        boards = cfg["boards"]
        per_board = cfg["per_board"]
        idx = 0
        for b in range(len(boards)):
            for _ in range(per_board):
                self.clients.append(Client(idx, b, Author(idx, random.Random(idx * 7919 + 1),
                                                           self.strokes)))
                idx += 1
        # at most ``observers`` clients per board measure what they receive (all of them
        # up to 100 a board); the others only read (header-only parsing, pongs), so that
        # the generator's CPU does not cap a big room
        observers = int(cfg.get("observers") or (per_board if per_board <= 100 else 50))
        observers = max(2, min(observers, per_board))
        step = per_board / observers
        chosen = {int(k * step) for k in range(observers)}
        for client in self.clients:
            client.observer = (client.idx % per_board) in chosen
        obs_per_board = len(chosen)
        for client in self.clients:
            client.peers = obs_per_board - (1 if client.observer else 0)
        t_connect = time.monotonic()
        sem = asyncio.Semaphore(cfg.get("connect_concurrency", 50))
        failures: list[str] = []

        async def opener(client: Client) -> None:
            async with sem:
                try:
                    await self.open(client, boards[client.board])
                except Exception as exc:
                    failures.append(f"{type(exc).__name__}: {exc}"[:200])

        if self.proto == "ywire":
            # pycrdt-websocket creates a room per concurrent first connection (a race that
            # splits a board in two): open each board's first client alone, then the rest
            firsts: dict[int, Client] = {}
            for c in self.clients:
                firsts.setdefault(c.board, c)
            await asyncio.gather(*(opener(c) for c in firsts.values()))
            await asyncio.sleep(0.5)
            await asyncio.gather(*(opener(c) for c in self.clients if c.ws is None))
        else:
            await asyncio.gather(*(opener(c) for c in self.clients))
        deadline = time.monotonic() + cfg.get("connect_timeout", 20)
        for _ in range(int(cfg.get("connect_timeout", 20) / 0.05) + 1):  # a bounded poll
            if time.monotonic() >= deadline or all(c.joined for c in self.clients):
                break
            await asyncio.sleep(0.05)
        joined = sum(c.joined for c in self.clients)
        connect_s = time.monotonic() - t_connect
        log(f"{joined}/{len(self.clients)} clients joined in {connect_s:.2f}s"
            + (f"; failures: {failures[:3]}" if failures else ""))
        stalled = await self.open_stalled(int(cfg.get("stalled", 0)))
        await asyncio.sleep(cfg.get("settle", 1.0))
        rate, phz = cfg["rate"], cfg.get("presence_hz", 10.0)
        warmup, duration, drain = cfg["warmup"], cfg["duration"], cfg["drain"]
        start = time.monotonic()
        m_start, m_end = start + warmup, start + warmup + duration
        self.window = (m_start, m_end)
        heap: list[tuple[float, int, int]] = []  # (due, kind 0 op / 1 presence, client)
        live = [c for c in self.clients if c.ws is not None]
        for c in live:
            if rate > 0:
                heap.append((start + self.rng.random() / rate, 0, c.idx))
            if phz > 0:
                heap.append((start + self.rng.random() / phz, 1, c.idx))
        heapq.heapify(heap)
        op_dt = 1.0 / rate if rate > 0 else 0.0
        pr_dt = 1.0 / phz if phz > 0 else 0.0
        pids = [int(p) for p in cfg.get("pids", [])]
        cpu0: dict[int, float] = {}
        rss_peak = {p: 0 for p in pids}
        me = os.getpid()
        gen_cpu0 = 0.0
        busy0 = 0.0
        sampled = False
        next_rss = start
        clients = self.clients
        first_mid = last_mid = 0
        while heap:
            now = time.monotonic()
            if not sampled and now >= m_start:
                sampled = True
                cpu0 = {p: proc_cpu(p) for p in pids}
                gen_cpu0 = proc_cpu(me)
                busy0 = machine_busy()
                first_mid = len(self.send_t)
            if now >= m_end:
                break
            if now >= next_rss:
                next_rss = now + 0.5
                for p in pids:
                    rss_peak[p] = max(rss_peak[p], proc_rss_kib(p))
            while heap and heap[0][0] <= now:
                due, kind, ci = heapq.heappop(heap)
                client = clients[ci]
                ws = client.ws
                if ws is None or ws.transport is None or ws.transport.is_closing():
                    continue
                if kind == 0:
                    if sampled and len(self.send_lag) < 200_000:
                        self.send_lag.append(now - due)
                    self.send_op(client, now)
                    heapq.heappush(heap, (due + op_dt, 0, ci))
                else:
                    self.send_presence(client)
                    heapq.heappush(heap, (due + pr_dt, 1, ci))
            if heap:
                delay = heap[0][0] - time.monotonic()
                await asyncio.sleep(max(delay, 0.0))
        m_end_real = time.monotonic()
        last_mid = len(self.send_t)
        cpu1 = {p: proc_cpu(p) for p in pids}
        gen_cpu1 = proc_cpu(me)
        busy1 = machine_busy()
        measured_s = m_end_real - m_start
        # deliveries in the window (counted before the drain: what arrived in time)
        await asyncio.sleep(drain)
        for p in pids:
            rss_peak[p] = max(rss_peak[p], proc_rss_kib(p))
        rss_end = {p: proc_rss_kib(p) for p in pids}
        window = range(first_mid, last_mid)
        expected = sum(self.expect[i] for i in window)
        delivered = sum(min(self.got[i], self.expect[i]) for i in window)
        dupes = sum(max(0, self.got[i] - self.expect[i]) for i in window)
        rx_bytes = sum(c.ws.rx_bytes for c in clients if c.ws is not None)
        rx_frames = sum(c.ws.rx_frames for c in clients if c.ws is not None)
        stalled_closed: dict[int, int] = {}
        for ws in stalled:  # wake them up to read what the server said (a close?)
            if ws.transport is not None and not ws.transport.is_closing():
                ws.transport.resume_reading()
        for _ in range(40 if stalled else 0):  # a bounded wait, up to 2 s
            if all(ws.closed.done() for ws in stalled):
                break
            await asyncio.sleep(0.05)
        for ws in stalled:
            if ws.closed.done():
                key = ws.close_code if ws.close_code is not None else -1
                stalled_closed[key] = stalled_closed.get(key, 0) + 1
            ws.close()
        for c in clients:
            if c.ws is not None:
                if c.ws.close_code is not None:
                    self.closed[c.ws.close_code] = self.closed.get(c.ws.close_code, 0) + 1
                c.ws.close()
        await asyncio.sleep(0.2)
        lat_ms = [v * 1000 for v in self.lat]
        ratio = delivered / expected if expected else 0.0
        fanout = (last_mid - first_mid) * (per_board - 1) * ratio
        total_delivered = sum(self.got[i] for i in range(len(self.got)))
        # every op of the run (warm-up and drain too) for bytes per delivery
        all_deliveries = (len(self.send_t) * (per_board - 1) * total_delivered
                          / max(1, sum(self.expect))) if self.expect else 0
        server_cpu_s = sum(cpu1[p] - cpu0.get(p, cpu1[p]) for p in pids)
        return {
            "proto": self.proto,
            "clients": len(clients),
            "observers_per_board": obs_per_board,
            "joined": joined,
            "stalled": len(stalled),
            "stalled_closed": stalled_closed,  # close code -> count (-1: closed, code unread)
            "connect_failures": len(failures),
            "connect_s": round(connect_s, 3),
            "boards": len(boards),
            "rate": rate,
            "presence_hz": phz,
            "measured_s": round(measured_s, 3),
            "ops_sent": last_mid - first_mid,
            "ops_per_s": round((last_mid - first_mid) / measured_s, 1),
            "expected": expected,
            "delivered": delivered,
            "duplicates": dupes,
            "delivery_ratio": round(delivered / expected, 5) if expected else None,
            # what the server delivered to all clients (observers' ratio x fan-out)
            "deliveries_per_s": round(fanout / measured_s, 1),
            "observed_deliveries_per_s": round(delivered / measured_s, 1),
            "latency_ms": {k: round(v, 2) for k, v in percentiles(lat_ms).items()},
            "latency_samples": len(lat_ms),
            "ack_latency_ms": {k: round(v * 1000, 2) for k, v in percentiles(self.ack_lat).items()}
            if self.ack_lat else None,
            "server_cpu_s": round(server_cpu_s, 3),
            "server_cpu_pct": round(100 * server_cpu_s / measured_s, 1),
            "server_cpu_us_per_delivery": round(1e6 * server_cpu_s / fanout, 2)
            if fanout else None,
            "server_rss_kib_peak": sum(rss_peak.values()),
            "server_rss_kib_end": sum(rss_end.values()),
            "gen_cpu_pct": round(100 * (gen_cpu1 - gen_cpu0) / measured_s, 1),
            # CPU used by everything else on the machine in the window (other people's
            # tests on a shared box): a run with a lot of it is noisy
            "other_cpu_pct": round(100 * max(0.0, (busy1 - busy0) - server_cpu_s
                                             - (gen_cpu1 - gen_cpu0)) / measured_s, 1),
            "send_lag_ms_p99": round(percentiles(self.send_lag)["p99"] * 1000, 2)
            if self.send_lag else None,
            "rx_bytes_total": rx_bytes,
            "rx_frames_total": rx_frames,
            "rx_bytes_per_delivery": round(rx_bytes / all_deliveries, 1)
            if all_deliveries else None,
            "rejected_acks": self.rejects,
            "reject_samples": self.reject_samples,
            "closed_by_server": self.closed,
            "order_checked": self.check_order,
            "clock_gaps": self.gaps,
            "out_of_order": self.disorder,
        }


def log(msg: str) -> None:
    print(f"[loadgen] {msg}", file=sys.stderr, flush=True)


def main() -> None:
    cfg = json.loads(sys.argv[1])
    try:
        import uvloop

        result = uvloop.run(Generator(cfg).run())
    except ImportError:
        result = asyncio.run(Generator(cfg).run())
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
