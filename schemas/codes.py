"""Error codes and close codes of the protocol (docs/protocol.md §3.4, §5).

They are part of the contract, so they live beside the message schemas;
``server/errors.py`` re-exports them and ``kinds.js`` carries them to the
browser.
"""

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

ERROR_CODES: Final = (
    BAD_MESSAGE, UNAUTHORIZED, UNKNOWN_BOARD, INVALID, FORBIDDEN, CONFLICT, TOO_LARGE,
    RATE_LIMITED, UNAVAILABLE, NOT_FOUND, FULL,
)

# WebSocket close codes.
CLOSE_NORMAL: Final = 1000
CLOSE_GOING_AWAY: Final = 1001
CLOSE_POLICY: Final = 1008  # ten bad_message in a row
CLOSE_TOO_BIG: Final = 1009  # a frame over the limit
CLOSE_TRY_AGAIN: Final = 1013  # server or board full: try again later
CLOSE_UNAUTHORIZED: Final = 4401
CLOSE_UNKNOWN_BOARD: Final = 4404
CLOSE_SLOW: Final = 4408  # send queue over its bound: reconnect with ``since``

CLOSE_CODES: Final = {
    "normal": CLOSE_NORMAL, "going_away": CLOSE_GOING_AWAY, "policy": CLOSE_POLICY,
    "too_big": CLOSE_TOO_BIG, "try_again": CLOSE_TRY_AGAIN, "unauthorized": CLOSE_UNAUTHORIZED,
    "unknown_board": CLOSE_UNKNOWN_BOARD, "slow": CLOSE_SLOW,
}
#: Closes after which reconnecting cannot help (a revoked or wrong link).
FATAL_CLOSES: Final = (CLOSE_UNAUTHORIZED, CLOSE_UNKNOWN_BOARD, CLOSE_POLICY, CLOSE_TOO_BIG)
