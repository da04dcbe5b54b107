"""Which browser origins may use this server (docs/protocol.md §5, "Origins").

Pure: the WebSocket handshake, the REST middleware and the handshake probe all
ask the same ``OriginPolicy``. The Host header is never trusted on its own: a
DNS-rebinding page (``http://evil.example`` resolving to this server) sends a
matching Host and Origin, so an origin counts as this server's own only when it
is the configured public URL, a loopback alias of the listening port, or (with
no public URL) an IP-literal origin equal to the Host the request came to.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

DEFAULT_PORTS: Final = {"http": 80, "https": 443}
LOOPBACK_NAMES: Final = ("127.0.0.1", "localhost", "[::1]")


def normalize(origin: str) -> str | None:
    """``scheme://host[:port]`` in lower case with the default port left out;
    None for anything that is not an http(s) origin."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class OriginPolicy:
    """``public``: the public URL's origin (or None); ``allowed``: the
    allow-list (normalized; ``*`` allows every origin)."""

    public: str | None = None
    allowed: frozenset[str] = frozenset()

    @classmethod
    def of(cls, public_url: str | None, allowed: tuple[str, ...]) -> OriginPolicy:
        listed = {o if o == "*" else normalize(o) for o in allowed}
        return cls(normalize(public_url) if public_url else None,
                   frozenset(o for o in listed if o is not None))

    def own(self, origin: str, *, scheme: str, host: str, port: int | None) -> bool:
        """Is ``origin`` (normalized) this server itself?

        Args:
            scheme: ``http`` or ``https``, as the request arrived.
            host: the request's Host header.
            port: the port the server listens on (None: unknown).
        """
        if origin == self.public:
            return True
        if port is not None and origin in {
            normalize(f"{scheme}://{name}:{port}") for name in LOOPBACK_NAMES
        }:
            return True
        if self.public is not None:
            return False
        same = normalize(f"{scheme}://{host}")
        return origin == same and _ip_literal(urlsplit(origin).hostname or "")

    def allows(self, origin: str | None, *, scheme: str, host: str, port: int | None) -> bool:
        """True for no Origin (not a browser), this server, or a listed origin."""
        if origin is None:
            return True
        clean = normalize(origin)
        if clean is None:
            return False
        if "*" in self.allowed or clean in self.allowed:
            return True
        return self.own(clean, scheme=scheme, host=host, port=port)

    def cross_allowed(self, origin: str | None) -> bool:
        """May ``origin`` read responses across origins (CORS)? The listed ones."""
        clean = normalize(origin) if origin else None
        return clean is not None and ("*" in self.allowed or clean in self.allowed)
