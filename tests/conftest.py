"""Real servers on loopback ports, started as processes (so they can be killed)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
# Where the browser tests write the pictures they take (the README's among them).
# Not into the checkout by default, so a test run leaves the tree as it found it;
# ``TUSSENTAFEL_SCREENSHOTS=docs/images ./scripts/test -k "screenshot or picture or
# image or report"`` writes the README's pictures again (look at them before committing).
SCREENSHOTS = Path(os.environ.get("TUSSENTAFEL_SCREENSHOTS") or
                   Path(os.environ.get("TMPDIR", "/tmp")) / "tussentafel-screenshots")
if not SCREENSHOTS.is_absolute():
    SCREENSHOTS = ROOT / SCREENSHOTS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ServerProcess:
    """``tussentafel serve`` in a child process on a free loopback port."""

    def __init__(self, data: Path, *, redis: str | None = None, port: int | None = None,
                 env: dict[str, str] | None = None, args: list[str] | None = None) -> None:
        self.data = data
        self.args = args or []
        self.redis = redis
        self.port = port or free_port()
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> ServerProcess:
        self.data.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1",
               "--port", str(self.port), "--data", str(self.data), "--log-level", "warning"]
        if self.redis:
            cmd += ["--redis", self.redis]
        cmd += self.args
        # many tests create boards in a burst from one address: no creation limit unless asked
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "TUSSENTAFEL_BOARD_RATE_PER_MIN": "0",
               **self.env}
        env.pop("TUSSENTAFEL_REDIS_URL", None) if not self.redis else None
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=out)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server did not become healthy: {self.log.read_text()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(5)

    def create_board(self, title: str = "Atelier", template: str = "blank",
                     headers: dict[str, str] | None = None) -> dict[str, Any]:
        r = httpx.post(f"{self.url}/api/boards", json={"title": title, "template": template},
                       headers=headers or {}, timeout=10)
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    def get(self, path: str, token: str, **kw: Any) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", headers={"authorization": f"Bearer {token}"},
                         timeout=10, **kw)

    def post(self, path: str, token: str, json: Any = None) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
        return httpx.post(f"{self.url}{path}", headers=headers, json=json, timeout=10)

    def state(self, board: str, token: str) -> dict[str, Any]:
        r = self.get(f"/api/boards/{board}/state", token)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One embedded-store server for the tests that do not restart it."""
    proc = ServerProcess(tmp_path_factory.mktemp("server")).start()
    yield proc
    proc.stop()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of this test's own (it may be killed and restarted)."""
    proc = ServerProcess(tmp_path / "data")
    yield proc
    proc.kill()


@pytest.fixture
def board(server: ServerProcess) -> dict[str, Any]:
    return server.create_board()


def note(eid: str, text: str = "hello", **fields: Any) -> dict[str, Any]:
    return {"id": eid, "kind": "note", "x": 0, "y": 0, "z": "a0", "text": text,
            "w": 160, "h": 100, **fields}


def put(el: dict[str, Any]) -> dict[str, Any]:
    return {"op": "put", "el": el}
