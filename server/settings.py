"""One frozen settings object, read from CLI flags and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from server.core.origins import normalize


def _env_number(name: str, kind: type[int] | type[float]) -> int | float:
    raw = os.environ[name]
    try:
        value = kind(raw)
    except ValueError:
        word = "a whole number" if kind is int else "a number"
        raise SystemExit(f"{name} must be {word}, not {raw!r}") from None
    if value < 0:
        raise SystemExit(f"{name} must not be negative")
    return value


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("./data")
    redis_url: str | None = None
    secret: bytes | None = None  # TUSSENTAFEL_SECRET; else made once and kept by the store
    admin_token: str | None = None  # TUSSENTAFEL_ADMIN_TOKEN protects POST /api/boards
    public_url: str | None = None  # base of the links handed out; default: the request's
    allowed_origins: tuple[str, ...] = ()  # other origins that may use the API (WS, CORS)
    frame_ancestors: str = "'self'"  # CSP frame-ancestors: who may embed the pages
    # limits (docs/protocol.md §3.4, docs/operations.md)
    max_frame: int = 1 << 20
    max_ops: int = 500
    max_elements: int = 20_000
    # the board budget (server/core/board.py): chosen so that a full board is
    # joinable, its memory is bounded and its reads stay quick (docs/operations.md)
    max_board_bytes: int = 8 << 20  # MessagePack bytes of all live elements
    max_board_points: int = 500_000  # numbers in all strokes' points (50 longest strokes)
    max_listed_participants: int = 500  # participants a welcome lists (online, then pushers)
    gil_switch_ms: float = 1.0  # how soon a worker thread (big reads) yields the GIL to the loop
    rate_ops_per_s: float = 200.0
    rate_burst: int = 1000
    max_queue_bytes: int = 4 << 20
    max_queue_messages: int = 10_000
    # welcomes go outside that bound (a full board stays joinable), so their sum
    # is bounded per process instead (server/ws/welcomes.py): bytes of welcomes
    # not yet taken by the kernel (0: no cap; over it a joiner gets ``full``, 1013),
    # and how long a joiner may take to read its welcome (0: no limit; then 4408)
    max_unread_welcome_bytes: int = 256 << 20
    welcome_read_s: float = 60.0
    max_conns_per_board: int = 500
    max_conns: int = 5000
    history_clocks: int = 100_000
    history_ms: int = 24 * 3600 * 1000
    # pacing under load (server/live/pacing.py): above pace_above_per_s messages/s to
    # connection queues, each connection sends at most one frame per frame_interval_ms
    # (0: never paced); presence frames of the process stay under presence_budget_per_s
    frame_interval_ms: float = 16.0
    pace_above_per_s: float = 20_000.0
    pace_busy_above: float = 0.85  # ... and the event-loop thread is busier than this
    presence_hz: float = 20.0
    presence_budget_per_s: float = 10_000.0
    bad_messages_before_close: int = 10
    # availability at the limits (docs/operations.md): a socket or request that
    # holds a descriptor without saying anything is closed; per-address caps
    request_timeout_s: float = 10.0  # an HTTP request (headers, body) arrives within (0: never)
    hello_timeout_s: float = 5.0  # a WebSocket says hello within this
    max_conns_per_ip: int = 200  # WebSockets per client address, joined or not (0: no cap)
    max_http_conns_per_ip: int = 200  # open HTTP connections per client address (0: no cap)
    conn_cap_exempt: tuple[str, ...] = ()  # addresses the per-address caps leave alone
    board_rate_per_min: float = 30.0  # boards created per client address (0: no limit)
    board_rate_burst: int = 10
    presence_per_s: float = 30.0  # presence messages a connection may send, sustained
    presence_bytes_per_s: float = 16_384.0  # ... and their bytes; over either: coalesced
    presence_max_selection: int = 100  # ids of a selection shared with the others
    ws_deflate: bool = False
    ws_ping_interval_s: float = 2.5  # with the timeout: a silent peer is offline within 5 s
    ws_ping_timeout_s: float = 2.5
    room_linger_s: float = 30.0
    # life cycle (server/lifecycle.py): delete boards idle this long (0: keep them)
    retention_days: float = 0.0
    retention_sweep_s: float = 3600.0  # at most this long between retention sweeps
    max_archive: int = 64 << 20  # bytes of a board archive POSTed for import
    log_level: str = "info"
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        env: dict[str, Any] = {}
        if url := os.environ.get("TUSSENTAFEL_REDIS_URL"):
            env["redis_url"] = url
        if secret := os.environ.get("TUSSENTAFEL_SECRET"):
            env["secret"] = secret.encode()
        if admin := os.environ.get("TUSSENTAFEL_ADMIN_TOKEN"):
            env["admin_token"] = admin
        if public := os.environ.get("TUSSENTAFEL_PUBLIC_URL"):
            env["public_url"] = public.rstrip("/")
        if origins := os.environ.get("TUSSENTAFEL_ALLOWED_ORIGINS"):
            env["allowed_origins"] = tuple(o.strip() for o in origins.split(",") if o.strip())
            for origin in env["allowed_origins"]:
                if origin != "*" and normalize(origin) is None:
                    raise SystemExit("TUSSENTAFEL_ALLOWED_ORIGINS holds origins like "
                                     f"https://host.example[:port], not {origin!r}")
        if ancestors := os.environ.get("TUSSENTAFEL_FRAME_ANCESTORS"):
            if any(c in ancestors for c in ";,\r\n"):
                raise SystemExit("TUSSENTAFEL_FRAME_ANCESTORS is a space-separated source list")
            env["frame_ancestors"] = " ".join(ancestors.split())
        if exempt := os.environ.get("TUSSENTAFEL_CONN_CAP_EXEMPT"):
            env["conn_cap_exempt"] = tuple(a.strip() for a in exempt.split(",") if a.strip())
        for f in fields(cls):
            name = f"TUSSENTAFEL_{f.name.upper()}"
            if f.type in ("int", "float") and os.environ.get(name):
                env[f.name] = _env_number(name, int if f.type == "int" else float)
        env.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**env)
        if settings.secret is not None and len(settings.secret) < 16:
            raise SystemExit("TUSSENTAFEL_SECRET must be at least 16 characters")
        return settings

    def but(self, **changes: Any) -> Settings:
        return replace(self, **changes)
