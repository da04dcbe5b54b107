"""A real ``redis-server`` (Debian's package) on a free loopback port.

    from tests.redis_fixture import redis_server_fixture  # noqa: F401

(the fixture is *named* ``redis_server``; importing it under another name
keeps ruff's F811 quiet in the tests that take ``redis_server`` as an argument;
``from tests.redis_fixture import redis_server`` works too.)

The server runs with AOF ``appendfsync always`` in a temp dir, so a test can
kill it (SIGKILL), freeze it (SIGSTOP) and restart it on the same port and
data. Without ``/usr/bin/redis-server`` the tests FAIL (they are not skipped):
install the ``redis-server`` package (``.ci/run`` does).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port

REDIS_SERVER = os.environ.get("TUSSENTAFEL_TEST_REDIS_SERVER") or (
    "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server")
    else shutil.which("redis-server")
)


class RedisServer:
    def __init__(self, data: Path, port: int | None = None) -> None:
        self.data = data
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data / "redis.log"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        if not REDIS_SERVER or not os.path.exists(REDIS_SERVER):
            pytest.fail(
                "redis-server is not installed: the Redis tests need a real server "
                "(Debian: apt-get install redis-server; .ci/run installs it)",
                pytrace=False,
            )
        self.data.mkdir(parents=True, exist_ok=True)
        cmd = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
               "--dir", str(self.data), "--appendonly", "yes", "--appendfsync", "always",
               "--save", "", "--daemonize", "no", "--logfile", str(self.log)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited {self.proc.returncode}: {self._tail()}")
            if self.ping():
                return self
            time.sleep(0.02)
        raise RuntimeError(f"redis-server did not answer PING: {self._tail()}")

    def _tail(self) -> str:
        return self.log.read_text()[-2000:] if self.log.exists() else ""

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: what is not in the AOF is lost."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(5)

    def freeze(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture(name="redis_server")
def redis_server_fixture(tmp_path: Path) -> Iterator[RedisServer]:
    """A fresh redis-server of this test's own (it may be killed and restarted)."""
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()


redis_server = redis_server_fixture
