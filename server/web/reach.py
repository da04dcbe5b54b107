"""Addresses the other devices in the room can reach.

A facilitator often opens the landing page as ``http://localhost:8000`` on the
laptop that runs the server. Links and QR codes built from that address reach
nobody else. When the server listens beyond loopback (``--host 0.0.0.0`` or a
LAN address), links use an address the others can reach instead:
``TUSSENTAFEL_PUBLIC_URL`` when set, else the address the server listens on, else
this machine's LAN address. That address is found without sending anything: a
UDP socket ``connect`` only picks the route (no packet leaves the machine).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urlsplit, urlunsplit

#: Addresses a UDP ``connect`` is aimed at to learn the outgoing interface (never sent to).
PROBES = ("10.255.255.255", "192.168.255.255", "172.31.255.255")
WILDCARDS = frozenset({"", "0.0.0.0", "::", "[::]"})


def is_loopback(host: str) -> bool:
    """Is ``host`` (a name or address, maybe in brackets) this machine only?"""
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def loopback_only(listen_host: str) -> bool:
    """Does a server listening on ``listen_host`` refuse every other device?"""
    return is_loopback(listen_host)


def _usable(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_unspecified or ip.is_link_local or ip.is_multicast)


_found: list[tuple[float, str | None]] = []  # (when, address): the last answer
REMEMBER_S = 30.0  # a laptop may change networks: look again after this long


def lan_address() -> str | None:
    """This machine's address on the local network, or None (no packets are sent)."""
    now = time.monotonic()
    if _found and now - _found[0][0] < REMEMBER_S:
        return _found[0][1]
    address = _lan_address()
    _found[:] = [(now, address)]
    return address


def _lan_address() -> str | None:
    for probe in PROBES:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect((probe, 9))
                address = str(sock.getsockname()[0])
            except OSError:
                continue
        if _usable(address):
            return address
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return None
    for info in infos:
        address = str(info[4][0])
        if _usable(address):
            return address
    return None


def reachable_host(listen_host: str) -> str | None:
    """The host others reach a server on that listens on ``listen_host``
    (None: only this machine can)."""
    if loopback_only(listen_host):
        return None
    if listen_host.strip() not in WILDCARDS:
        return listen_host.strip()
    return lan_address()


def share_base(request_base: str, listen_host: str, public_url: str | None) -> str:
    """The base URL (no trailing slash) of links to hand out, for a request that
    came in on ``request_base``."""
    if public_url:
        return public_url.rstrip("/")
    base = request_base.rstrip("/")
    parts = urlsplit(base)
    if not is_loopback(parts.hostname or ""):
        return base
    host = reachable_host(listen_host)
    if host is None:
        return base
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def startup_lines(listen_host: str, port: int, public_url: str | None) -> list[str]:
    """What ``tussentafel serve`` prints: the address to open here and the one to share."""
    local = f"http://127.0.0.1:{port}" if listen_host.strip() in WILDCARDS or is_loopback(
        listen_host) else f"http://{reachable_host(listen_host)}:{port}"
    lines = [f"  open on this machine: {local}"]
    if public_url:
        lines.append(f"  share with the room:  {public_url.rstrip('/')}")
    elif loopback_only(listen_host):
        lines.append("  other devices cannot join: this server listens on this machine only; "
                     "start it with `tussentafel serve --host 0.0.0.0` to let phones in")
    elif (host := reachable_host(listen_host)) is not None:
        shown = f"[{host}]" if ":" in host else host
        lines.append(f"  share with the room:  http://{shown}:{port}")
    else:
        lines.append("  share with the room:  this machine's network address (none found), "
                     "or set TUSSENTAFEL_PUBLIC_URL")
    return lines
