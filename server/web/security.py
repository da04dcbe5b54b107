"""One middleware for every HTTP response's security headers, CORS and the
Origin check of state-changing requests (docs/protocol.md §5, "Origins").

- Every response: a CSP (no inline script; ``frame-ancestors`` from
  ``TUSSENTAFEL_FRAME_ANCESTORS``, default ``'self'``), ``nosniff`` and
  ``Referrer-Policy: no-referrer`` (token URLs never leak through Referer);
  everything but ``/static/*`` is also ``Cache-Control: no-store``.
- CORS, for ``/api/*``, ``/healthz`` and ``/static/*``: an origin on the
  allow-list gets ``Access-Control-Allow-Origin``; a preflight is answered
  for listed origins only (others: 403).
- A POST (or any method but GET/HEAD/OPTIONS) from a browser origin that is
  neither this server nor listed is refused with 403 ``forbidden``.
"""

from __future__ import annotations

import json
from typing import Final

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.core import errors
from server.core.origins import OriginPolicy

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
CORS_PREFIXES: Final = ("/api/", "/static/", "/healthz")
CORS_METHODS: Final = "GET, POST, OPTIONS"
CORS_HEADERS: Final = "Authorization, Content-Type"


def content_security_policy(frame_ancestors: str) -> str:
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; "
        f"frame-ancestors {frame_ancestors}; base-uri 'none'; form-action 'self'"
    )


def request_origin(scope: Scope) -> tuple[str, str, int | None]:
    """The request's (scheme as http/https, Host header, listening port)."""
    scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
    host = Headers(scope=scope).get("host", "")
    server = scope.get("server")
    port = server[1] if isinstance(server, tuple | list) and len(server) > 1 else None
    return scheme, host, port


def origin_allowed(policy: OriginPolicy, scope: Scope) -> bool:
    """The check of a WebSocket handshake and of a state-changing request."""
    scheme, host, port = request_origin(scope)
    origin = Headers(scope=scope).get("origin")
    return policy.allows(origin, scheme=scheme, host=host, port=port)


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, policy: OriginPolicy, frame_ancestors: str) -> None:
        self.app = app
        self.policy = policy
        self.headers = {
            "content-security-policy": content_security_policy(frame_ancestors),
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
        }
        if frame_ancestors == "'self'":  # older browsers; CSP wins where both are known
            self.headers["x-frame-options"] = "SAMEORIGIN"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        origin = request_headers.get("origin")
        path: str = scope["path"]
        method: str = scope["method"]
        cors = path.startswith(CORS_PREFIXES) and self.policy.cross_allowed(origin)
        if method == "OPTIONS" and origin and "access-control-request-method" in request_headers:
            await self._preflight(cors, origin, send)
            return
        if method not in SAFE_METHODS and not origin_allowed(self.policy, scope):
            await self._refuse(send)
            return
        static = path.startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                if not static:
                    headers["cache-control"] = "no-store"
                if cors and origin and "access-control-allow-origin" not in headers:
                    headers["access-control-allow-origin"] = origin
                    headers.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _preflight(self, allowed: bool, origin: str, send: Send) -> None:
        if not allowed:
            await self._refuse(send)
            return
        headers = [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-methods", CORS_METHODS.encode()),
            (b"access-control-allow-headers", CORS_HEADERS.encode()),
            (b"access-control-max-age", b"600"),
            (b"vary", b"Origin"),
            *((k.encode(), v.encode()) for k, v in self.headers.items()),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"error": errors.FORBIDDEN,
                           "message": "requests from this origin are not allowed"}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            *((k.encode(), v.encode()) for k, v in self.headers.items()),
        ]
        await send({"type": "http.response.start", "status": 403, "headers": headers})
        await send({"type": "http.response.body", "body": body})
