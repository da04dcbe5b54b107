"""Server processes for the benchmark: ours and the peers, on free loopback ports.

Every process is started by the harness, sampled through /proc, and stopped
(SIGTERM, then SIGKILL) by it; nothing outlives a run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / "peers"
VENV_PY = PEERS / ".venv" / "bin" / "python"
RESULTS = ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def http_json(method: str, url: str, body: Any = None, timeout: float = 10.0) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read() or b"null")


@dataclass
class Target:
    """A server under test: how to start it and how its clients address boards."""

    name: str  # ours | relay | hocuspocus | pycrdt
    label: str
    proto: str  # loadgen protocol: tt | hocus | ywire
    python: str = sys.executable  # the loadgen's interpreter (pycrdt needs the peers' venv)
    available: bool = True
    why_not: str = ""
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    tmp: Path | None = None
    redis_url: str | None = None
    extra_pids: list[int] = field(default_factory=list)

    # -- process control ---------------------------------------------------------------

    def command(self, port: int) -> list[str]:
        if self.name == "ours":
            assert self.tmp is not None
            cmd = [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1",
                   "--port", str(port), "--data", str(self.tmp / "data"), "--log-level", "warning"]
            if self.redis_url:
                cmd += ["--redis", self.redis_url]
            overrides = os.environ.get("BENCH_SERVER_SET")  # what-if settings (--server-set)
            if overrides:
                cmd = [sys.executable, "-m", "bench.experiment_server", overrides, *cmd[3:]]
            return cmd
        if self.name == "relay":
            return ["node", str(PEERS / "relay.js"), str(port)]
        if self.name == "hocuspocus":
            return ["node", str(PEERS / "hocuspocus.js"), str(port)]
        if self.name == "pycrdt":
            return [str(VENV_PY), str(PEERS / "pycrdt_server.py"), str(port)]
        raise ValueError(self.name)

    def start(self, processes: int = 1, timeout: float = 30.0) -> Target:
        if self.tmp is None:
            self.tmp = Path(tempfile.mkdtemp(prefix=f"bench-{self.name}-"))
        for _ in range(processes):
            port = free_port()
            log = open(self.tmp / f"server-{port}.log", "ab")
            env = {**os.environ, "PYTHONUNBUFFERED": "1", "NODE_ENV": "production"}
            env.pop("TUSSENTAFEL_REDIS_URL", None)
            proc = subprocess.Popen(self.command(port), cwd=ROOT, env=env, stdout=log,
                                    stderr=log, start_new_session=True)
            self.procs.append(proc)
            self.ports.append(port)
            self._wait_healthy(proc, port, timeout)
        return self

    def _wait_healthy(self, proc: subprocess.Popen[bytes], port: int, timeout: float) -> None:
        path = "/healthz" if self.name == "ours" else "/"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited {proc.returncode}: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not become healthy: {self.log_tail()}")

    def log_tail(self, chars: int = 2000) -> str:
        if self.tmp is None:
            return ""
        text = "".join(p.read_text(errors="replace") for p in self.tmp.glob("server-*.log"))
        return text[-chars:]

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def stop(self, keep_data: bool = False) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.procs, self.ports = [], []
        if not keep_data and self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    # -- boards ------------------------------------------------------------------------

    def boards(self, count: int, run: str) -> list[dict[str, Any]]:
        """``count`` fresh boards: [{"path", "token", "doc", "ports"}]."""
        out = []
        for i in range(count):
            if self.name == "ours":
                body = http_json("POST", f"http://127.0.0.1:{self.ports[0]}/api/boards",
                                 {"title": f"bench {run} {i}", "template": "blank"})
                out.append({"path": f"/api/boards/{body['board']}/ws",
                            "token": body["tokens"]["participant"], "board": body["board"],
                            "facilitator": body["tokens"]["facilitator"]})
            elif self.name == "hocuspocus":
                out.append({"path": "/", "doc": f"{run}-{i}"})
            else:
                out.append({"path": f"/{run}-{i}"})
        for b in out:
            b["ports"] = list(self.ports)
        return out


def redis_available() -> tuple[bool, str]:
    if not shutil.which("redis-server"):
        return False, "redis-server is not installed (apt-get install redis-server)"
    if not (ROOT / "server" / "store" / "redis.py").exists():
        return False, "server/store/redis.py does not exist yet (the Redis store is being written)"
    return True, ""


class Redis:
    """A throwaway redis-server on a free port (AOF everysec, no RDB)."""

    def __init__(self, *, cluster: bool = False) -> None:
        self.port = free_port()
        while cluster and self.port > 55_535:  # the cluster bus port must fit too
            self.port = free_port()
        self.cluster = ["--cluster-enabled", "yes", "--cluster-port", str(free_port()),
                        "--cluster-config-file", "nodes.conf"] if cluster else []
        self.dir = Path(tempfile.mkdtemp(prefix="bench-redis-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Redis:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(self.dir),
             *self.cluster],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisCluster:
    """A throwaway Redis Cluster: ``masters`` redis-servers, no replicas."""

    def __init__(self, masters: int = 3) -> None:
        self.nodes = [Redis(cluster=True) for _ in range(masters)]

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    @property
    def pids(self) -> list[int]:
        return [n.proc.pid for n in self.nodes if n.proc is not None]

    def start(self) -> RedisCluster:
        for node in self.nodes:
            node.start()
        subprocess.run(["redis-cli", "--cluster", "create",
                        *(f"127.0.0.1:{n.port}" for n in self.nodes),
                        "--cluster-replicas", "0", "--cluster-yes"],
                       check=True, capture_output=True, timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            states = [subprocess.run(["redis-cli", "-p", str(n.port), "cluster", "info"],
                                     capture_output=True, text=True, timeout=5).stdout
                      for n in self.nodes]
            if all(s.startswith("cluster_state:ok") for s in states):
                return self
            time.sleep(0.1)
        raise RuntimeError("the Redis Cluster did not come up")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def targets() -> dict[str, Target]:
    """Ours and every peer, marked unavailable (with the reason) when not installed."""
    node_ok = shutil.which("node") is not None
    nm = PEERS / "node_modules"
    out = {
        "ours": Target("ours", "Tussentafel", "tt"),
        "relay": Target("relay", "bare Node ws relay", "tt"),
        "hocuspocus": Target("hocuspocus", "Hocuspocus (Yjs)", "hocus", python=str(VENV_PY)),
        "pycrdt": Target("pycrdt", "pycrdt-websocket (Yjs)", "ywire", python=str(VENV_PY)),
    }
    setup = "run bench/peers/setup.sh"
    if not node_ok or not (nm / "ws").exists() or not (nm / "msgpackr").exists():
        out["relay"].available = False
        out["relay"].why_not = f"node or ws/msgpackr missing: {setup}"
    if not node_ok or not (nm / "@hocuspocus" / "server").exists():
        out["hocuspocus"].available = False
        out["hocuspocus"].why_not = f"@hocuspocus/server missing: {setup}"
    if not VENV_PY.exists():
        for name in ("hocuspocus", "pycrdt"):
            out[name].available = False
            out[name].why_not = f"bench/peers/.venv missing (pycrdt): {setup}"
    return out
