"""``python -m bench.import_stall``: does a big import body stall the server?

Starts ``tussentafel serve`` on a free loopback port, keeps a client on a board
pinging (``ping``/``pong``) while another POSTs a 60 MB body of tiny numbers
to ``POST /api/boards`` (not an archive: refused), and prints JSON: the
slowest ping round trip during the upload and parse, and the answer. A JSON
parse holds the GIL for its whole length (seconds here), so it must not run
in the server's process (``server.web.imports``). Goal: the slowest ping stays
near the idle one.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time

import httpx

from canvas_client.client import BoardClient


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _measure(url: str, board: dict[str, object]) -> dict[str, object]:
    body = b'{"import": {"x": [' + b"0," * 30_000_000 + b"0]}}"
    tokens = board["tokens"]
    assert isinstance(tokens, dict)
    async with BoardClient(url, str(board["board"]), tokens["viewer"]) as viewer:
        async def rtt() -> float:
            started = time.perf_counter()
            await viewer._send({"type": "ping"})
            await viewer.next_message("pong")
            return time.perf_counter() - started

        idle = max([await rtt() for _ in range(20)])
        post = asyncio.create_task(asyncio.to_thread(
            httpx.post, f"{url}/api/boards", content=body,
            headers={"content-type": "application/json"}, timeout=300))
        worst = 0.0
        while not post.done():
            worst = max(worst, await rtt())
            await asyncio.sleep(0.02)
        answer = post.result()
    return {"body_mb": round(len(body) / 1e6, 1), "idle_ping_ms": round(idle * 1000, 1),
            "worst_ping_ms": round(worst * 1000, 1), "status": answer.status_code}


def main() -> None:
    port = _port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port",
             str(port), "--data", data, "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
            board = httpx.post(f"{url}/api/boards", json={"title": "stall"}).json()
            print(json.dumps(asyncio.run(_measure(url, board))))
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
