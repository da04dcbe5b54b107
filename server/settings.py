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
    rate_ops_per_s: float = 200.0
    rate_burst: int = 1000
    max_queue_bytes: int = 4 << 20
    max_queue_messages: int = 10_000
    max_conns_per_board: int = 500
    max_conns: int = 5000
    history_clocks: int = 100_000
    history_ms: int = 24 * 3600 * 1000
    # pacing under load (server/live/pacing.py): above pace_above_per_s messages/s to
    # connection queues, each connection sends at most one frame per frame_interval_ms
    # (0: never paced); presence frames of the process stay under presence_budget_per_s
    frame_interval_ms: float = 16.0
    pace_above_per_s: float = 20_000.0
    pace_busy_above: float = 0.6  # ... and the event-loop thread is busier than this
    presence_hz: float = 20.0
    presence_budget_per_s: float = 10_000.0
    bad_messages_before_close: int = 10
    ws_deflate: bool = False
    ws_ping_interval_s: float = 2.5  # with the timeout: a silent peer is offline within 5 s
    ws_ping_timeout_s: float = 2.5
    room_linger_s: float = 30.0
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
