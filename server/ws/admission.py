"""Which WebSockets this process lets in: caps counted from the first byte.

A socket holds a descriptor from its handshake on, whether it ever says hello
or not, so the caps count open sockets, not joined ones, and a slot is taken
before anything is awaited (two handshakes cannot both take the last one).
"""

from __future__ import annotations

from server.settings import Settings


class Admission:
    """Open WebSockets of this process, in all and per client address."""

    def __init__(self, settings: Settings) -> None:
        self.max_total = settings.max_conns
        self.max_per_address = settings.max_conns_per_ip
        self.exempt = frozenset(settings.conn_cap_exempt)
        self.total = 0
        self.per_address: dict[str, int] = {}

    def admit(self, address: str) -> str | None:
        """Take a slot for a socket from ``address``; or say which cap is reached."""
        if self.total >= self.max_total:
            return "server"
        held = self.per_address.get(address, 0)
        if self.max_per_address and held >= self.max_per_address and address not in self.exempt:
            return "address"
        self.total += 1
        self.per_address[address] = held + 1
        return None

    def release(self, address: str) -> None:
        self.total -= 1
        left = self.per_address.get(address, 1) - 1
        if left > 0:
            self.per_address[address] = left
        else:
            self.per_address.pop(address, None)
