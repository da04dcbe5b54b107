"""uvicorn's httptools HTTP protocol, with a deadline for each request.

uvicorn closes an idle keep-alive connection, but a request whose headers
(or body) never finish holds its socket, and a descriptor, for ever: a
thousand such connections and the process cannot accept another, not even
the request that creates a board. Here every request must have arrived
whole within ``request_timeout`` seconds of its first byte (a new connection:
of its accept), or the connection is answered 408 and closed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_TIMED_OUT = (b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n"
              b"connection: close\r\n\r\n")


class TimedHttpProtocol(HttpToolsProtocol):
    request_timeout = 10.0  # set by ``with_request_timeout``

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None

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
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()  # the WebSocket has its own deadline: the hello
        super().handle_websocket_upgrade()


def with_request_timeout(seconds: float) -> type[TimedHttpProtocol]:
    return type("TimedHttpProtocol", (TimedHttpProtocol,), {"request_timeout": seconds})
