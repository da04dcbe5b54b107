"""Error codes and close codes of the protocol (docs/protocol.md §3.4, §5)."""

from __future__ import annotations

from typing import Final

# Error codes (``error.code``, ``ack.code``, ``result.code``, HTTP ``error``).
BAD_MESSAGE: Final = "bad_message"
UNAUTHORIZED: Final = "unauthorized"
UNKNOWN_BOARD: Final = "unknown_board"
INVALID: Final = "invalid"
FORBIDDEN: Final = "forbidden"
CONFLICT: Final = "conflict"
TOO_LARGE: Final = "too_large"
RATE_LIMITED: Final = "rate_limited"
UNAVAILABLE: Final = "unavailable"
NOT_FOUND: Final = "not_found"
FULL: Final = "full"
UNSUPPORTED_MEDIA_TYPE: Final = "unsupported_media_type"

# WebSocket close codes.
CLOSE_NORMAL: Final = 1000
CLOSE_GOING_AWAY: Final = 1001
CLOSE_POLICY: Final = 1008  # ten bad_message in a row
CLOSE_TOO_BIG: Final = 1009  # a frame over the limit
CLOSE_INTERNAL: Final = 1011  # a message for this connection could not be sent
CLOSE_TRY_AGAIN: Final = 1013  # server or board full: try again later
CLOSE_UNAUTHORIZED: Final = 4401
CLOSE_UNKNOWN_BOARD: Final = 4404
CLOSE_SLOW: Final = 4408  # send queue over its bound: reconnect with ``since``

# HTTP status for each error code.
HTTP_STATUS: Final[dict[str, int]] = {
    BAD_MESSAGE: 400,
    INVALID: 400,
    UNAUTHORIZED: 401,
    FORBIDDEN: 403,
    UNKNOWN_BOARD: 404,
    NOT_FOUND: 404,
    CONFLICT: 409,
    TOO_LARGE: 413,
    UNSUPPORTED_MEDIA_TYPE: 415,
    RATE_LIMITED: 429,
    UNAVAILABLE: 503,
    FULL: 503,
}
