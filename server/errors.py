"""Error codes and close codes of the protocol (PROTOCOL.md §3.4, §5)."""

from __future__ import annotations

from typing import Final

from schemas.codes import (  # the protocol's codes, one definition
    BAD_MESSAGE,
    CLOSE_GOING_AWAY,
    CLOSE_NORMAL,
    CLOSE_POLICY,
    CLOSE_SLOW,
    CLOSE_TOO_BIG,
    CLOSE_TRY_AGAIN,
    CLOSE_UNAUTHORIZED,
    CLOSE_UNKNOWN_BOARD,
    CONFLICT,
    FORBIDDEN,
    FULL,
    INVALID,
    NOT_FOUND,
    RATE_LIMITED,
    TOO_LARGE,
    UNAUTHORIZED,
    UNAVAILABLE,
    UNKNOWN_BOARD,
)

__all__ = [
    "BAD_MESSAGE", "CLOSE_GOING_AWAY", "CLOSE_NORMAL", "CLOSE_POLICY", "CLOSE_SLOW",
    "CLOSE_TOO_BIG", "CLOSE_TRY_AGAIN", "CLOSE_UNAUTHORIZED", "CLOSE_UNKNOWN_BOARD", "CONFLICT",
    "FORBIDDEN", "FULL", "HTTP_STATUS", "INVALID", "NOT_FOUND", "RATE_LIMITED", "TOO_LARGE",
    "UNAUTHORIZED", "UNAVAILABLE", "UNKNOWN_BOARD",
]

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
    RATE_LIMITED: 429,
    UNAVAILABLE: 503,
    FULL: 503,
}
