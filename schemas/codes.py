"""The protocol's error codes and WebSocket close codes: one source for the
server, the Python client and (through ``server.cli schemas export``) the
JavaScript clients. Both go on the wire as the plain string or number."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Code(StrEnum):
    """``error.code``, ``ack.code``, ``result.code`` and the HTTP ``error``."""

    BAD_MESSAGE = "bad_message"
    UNAUTHORIZED = "unauthorized"
    UNKNOWN_BOARD = "unknown_board"
    INVALID = "invalid"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    TOO_LARGE = "too_large"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    NOT_FOUND = "not_found"
    FULL = "full"
    INCOMPATIBLE = "incompatible"  # a hello asking for a protocol this server lacks


class Close(IntEnum):
    """WebSocket close codes the server uses."""

    NORMAL = 1000
    GOING_AWAY = 1001
    POLICY = 1008  # ten bad_message in a row; an invalid hello
    TOO_BIG = 1009  # a frame over the limit
    TRY_AGAIN = 1013  # server or board full: try again later
    UNAUTHORIZED = 4401
    UNKNOWN_BOARD = 4404
    SLOW = 4408  # send queue over its bound: reconnect with ``since``
    INCOMPATIBLE = 4426  # the hello asked for an unsupported protocol version


#: Every error code, in declaration order (for schemas and generated files).
ERROR_CODES: tuple[Code, ...] = tuple(Code)
#: Close codes by lower-case name (``kinds.js`` exports them as ``CLOSE``).
CLOSE_CODES: dict[str, Close] = {close.name.lower(): close for close in Close}
#: Closes after which reconnecting cannot help: a wrong or revoked link, a
#: client that keeps sending what is not a message, a frame over the limit.
FATAL_CLOSES: tuple[Close, ...] = (Close.UNAUTHORIZED, Close.UNKNOWN_BOARD, Close.POLICY,
                                   Close.TOO_BIG, Close.INCOMPATIBLE)
