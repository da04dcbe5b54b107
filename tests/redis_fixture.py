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
    def __init__(self, data: Path, port: int | None = None, args: list[str] | None = None) -> None:
        self.data = data
        self.port = port or free_port()
        self.args = args or []
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
               "--save", "", "--daemonize", "no", "--logfile", str(self.log), *self.args]
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

REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"


def _port_below(limit: int) -> int:
    for _ in range(100):
        port = free_port()
        if port <= limit:
            return port
    raise RuntimeError(f"no free port below {limit}")


class RedisCluster:
    """A real Redis Cluster of ``masters`` redis-server processes (no replicas),
    made with ``redis-cli --cluster create``."""

    def __init__(self, data: Path, masters: int = 3) -> None:
        # the cluster bus port is given (by default it is port + 10 000, which
        # may be taken or out of range for a free port the OS handed out)
        self.nodes = [
            RedisServer(data / f"node{i}", port=_port_below(55_535), args=[
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", "2000", "--cluster-port", str(free_port())])
            for i in range(masters)]

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    def start(self, timeout: float = 20.0) -> RedisCluster:
        for node in self.nodes:
            node.start()
        addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
        subprocess.run([REDIS_CLI, "--cluster", "create", *addresses, "--cluster-replicas", "0",
                        "--cluster-yes"], check=True, capture_output=True, timeout=timeout)
        deadline = time.monotonic() + timeout
        while not all(self.cli(node.port, "cluster", "info").startswith("cluster_state:ok")
                      for node in self.nodes):
            if time.monotonic() > deadline:
                raise RuntimeError("the cluster did not come up")
            time.sleep(0.1)
        return self

    def cli(self, port: int, *args: str) -> str:
        done = subprocess.run([REDIS_CLI, "-p", str(port), *args], capture_output=True,
                              text=True, timeout=10, check=True)
        return done.stdout.strip()

    def master_of(self, key: str) -> int:
        """The port of the master that holds ``key``'s slot."""
        slot = int(self.cli(self.nodes[0].port, "cluster", "keyslot", key))
        for line in self.cli(self.nodes[0].port, "cluster", "nodes").splitlines():
            fields = line.split()
            if "master" not in fields[2]:
                continue
            for part in fields[8:]:
                lo, _, hi = part.partition("-")
                if lo.isdigit() and int(lo) <= slot <= int(hi or lo):
                    return int(fields[1].split("@")[0].rsplit(":", 1)[1])
        raise LookupError(key)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


@pytest.fixture(name="redis_cluster")
def redis_cluster_fixture(tmp_path: Path) -> Iterator[RedisCluster]:
    """A fresh 3-master Redis Cluster of this test's own."""
    cluster = RedisCluster(tmp_path / "cluster")
    try:
        yield cluster.start()
    finally:
        cluster.stop()
