"""``python -m bench dribble``: a frame that arrives 64 bytes at a time.

A client may send one large frame in many small TCP segments (a slow link,
or on purpose). The server's CPU for reassembling it must grow with the
frame, not with its square: a 1 MiB frame should cost about four times a
256 KiB one (a quadratic reassembly costs sixteen). Reported: the server
process's CPU seconds per frame size, and their ratio.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import time
from typing import Any

from bench import report
from bench.procs import targets

PIECE = 64
GAP_S = 0.0001


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _frame(payload: bytes) -> bytes:
    n = len(payload)
    head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else
                            bytes([0x80 | 126]) + n.to_bytes(2, "big") if n < 1 << 16 else
                            bytes([0x80 | 127]) + n.to_bytes(8, "big"))
    return head + bytes(4) + payload  # mask 0: the payload goes as it is


def _open(port: int, board: dict[str, Any]) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /api/boards/{board['board']}/ws HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  "Sec-WebSocket-Protocol: tussentafel.v1.json\r\n\r\n").encode())
    _read_until(sock, b"\r\n\r\n")
    sock.sendall(_frame(json.dumps({"type": "hello", "token": board["token"],
                                    "client": "dribble"}).encode()))
    _read_until(sock, b'"welcome"')
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _read_until(sock: socket.socket, marker: bytes) -> None:
    seen = b""
    while marker not in seen:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError(f"closed before {marker!r}: {seen[-200:]!r}")
        seen = seen[-len(marker) - 65536:] + chunk


def _one(port: int, pid: int, board: dict[str, Any], size: int) -> dict[str, Any]:
    sock = _open(port, board)
    body = json.dumps({"type": "ping", "pad": "x" * (size - 40)}).encode()
    frame = _frame(body)
    cpu, wall = _cpu_s(pid), time.monotonic()
    for i in range(0, len(frame), PIECE):
        sock.sendall(frame[i:i + PIECE])
        time.sleep(GAP_S)  # so that the server reads the pieces one by one
    _read_until(sock, b'"pong"')
    out = {"bytes": len(body), "pieces": -(-len(frame) // PIECE),
           "server_cpu_s": round(_cpu_s(pid) - cpu, 3),
           "wall_s": round(time.monotonic() - wall, 3)}
    sock.close()
    return out


def dribble(args: Any) -> tuple[str, dict[str, Any]]:
    os.environ.setdefault("TUSSENTAFEL_WS_PING_INTERVAL_S", "0")  # this client answers no ping
    t = targets()["ours"]
    t.redis_url = None
    t.start()
    try:
        board = t.boards(1, "dribble")[0]
        pid = t.pids[0]
        sizes = [256 << 10, (1 << 20) - 64]
        runs = [_one(t.ports[0], pid, board, size) for size in sizes for _ in range(2)]
    finally:
        t.stop()
    small = min(r["server_cpu_s"] for r in runs[:2])
    large = min(r["server_cpu_s"] for r in runs[2:])
    ratio = round(large / small, 2) if small else None
    rows = [[r["bytes"], r["pieces"], r["server_cpu_s"], r["wall_s"]] for r in runs]
    text = ("dribble: one frame in 64-byte TCP writes; server CPU per frame\n"
            + report.table(["bytes", "pieces", "server cpu s", "wall s"], rows)
            + f"\nCPU 1 MiB / 256 KiB: {ratio} (linear ~4, quadratic ~16; goal < 5)")
    return text, {"runs": runs, "cpu_ratio_1mib_256kib": ratio,
                  "goals": {"linear_reassembly": {"met": ratio is not None and ratio < 5,
                                                  "ratio": ratio}}}
