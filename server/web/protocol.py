"""uvicorn's httptools HTTP protocol, with a deadline for each request and
a cap on open HTTP connections per client address.

uvicorn closes an idle keep-alive connection, but a request whose headers
(or body) never finish holds its socket, and a descriptor, for ever: a
thousand such connections and the process cannot accept another, not even
the request that creates a board. Here every request must have arrived
whole within ``request_timeout`` seconds of its first byte (a new connection:
of its accept), or the connection is answered 408 and closed; and one
address holds at most ``max_per_address`` HTTP connections at once (more are
closed at once), so that it cannot use up the descriptors in between. A
connection upgraded to a WebSocket leaves this count for the WebSocket caps
(``server.ws.admission``).
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.settings import Settings

_TIMED_OUT = (b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n"
              b"connection: close\r\n\r\n")


class TimedHttpProtocol(HttpToolsProtocol):
    # set per server by ``http_protocol``
    request_timeout: ClassVar[float] = 10.0
    max_per_address: ClassVar[int] = 0  # 0: no cap
    exempt: ClassVar[frozenset[str]] = frozenset()
    open_per_address: ClassVar[dict[str, int]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._address: str | None = None  # counted in ``open_per_address``

    def _arm(self) -> None:
        if self._deadline is None and self.request_timeout > 0:
            self._deadline = self.loop.call_later(self.request_timeout, self._timed_out)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:  # nothing answered yet
            self.transport.write(_TIMED_OUT)
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        address = self.client[0] if self.client else ""
        held = self.open_per_address.get(address, 0)
        if self.max_per_address and held >= self.max_per_address and address not in self.exempt:
            transport.abort()  # before a byte is read: it costs nothing more
            return
        self.open_per_address[address] = held + 1
        self._address = address
        self._arm()

    def _uncount(self) -> None:
        address, self._address = self._address, None
        if address is None:
            return
        left = self.open_per_address.get(address, 1) - 1
        if left > 0:
            self.open_per_address[address] = left
        else:
            self.open_per_address.pop(address, None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._uncount()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()  # the WebSocket has its own deadline (the hello) and caps
        self._uncount()
        super().handle_websocket_upgrade()


def http_protocol(settings: Settings) -> type[TimedHttpProtocol]:
    """The protocol class for one server, with its settings and its own count."""
    return type("TimedHttpProtocol", (TimedHttpProtocol,), {
        "request_timeout": settings.request_timeout_s,
        "max_per_address": settings.max_http_conns_per_ip,
        "exempt": frozenset(settings.conn_cap_exempt),
        "open_per_address": {},
    })
