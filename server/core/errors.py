"""Error codes and close codes of the protocol (docs/protocol.md §3.4, §5),
and the one exception that carries a code.

The codes themselves live in ``schemas.codes`` (shared with the clients). The
module-level names (``errors.INVALID``, ``errors.CLOSE_SLOW``) are the same
members, for call sites that read better that way.
"""

from __future__ import annotations

from typing import Final

from schemas.codes import Close as Close  # re-exported: errors.Close
from schemas.codes import Code as Code  # re-exported: errors.Code


class ProtocolError(Exception):
    """A refusal with a protocol ``code`` and a message for people.

    Raised by the core's rules, REST handlers and commands alike; the edges
    turn it into an ack, a result or an HTTP response (``HTTP_STATUS``).
    """

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


BAD_MESSAGE: Final = Code.BAD_MESSAGE
UNAUTHORIZED: Final = Code.UNAUTHORIZED
UNKNOWN_BOARD: Final = Code.UNKNOWN_BOARD
INVALID: Final = Code.INVALID
FORBIDDEN: Final = Code.FORBIDDEN
CONFLICT: Final = Code.CONFLICT
TOO_LARGE: Final = Code.TOO_LARGE
RATE_LIMITED: Final = Code.RATE_LIMITED
UNAVAILABLE: Final = Code.UNAVAILABLE
NOT_FOUND: Final = Code.NOT_FOUND
FULL: Final = Code.FULL
INCOMPATIBLE: Final = Code.INCOMPATIBLE  # a hello asking for a protocol this server lacks

CLOSE_NORMAL: Final = Close.NORMAL
CLOSE_GOING_AWAY: Final = Close.GOING_AWAY
CLOSE_POLICY: Final = Close.POLICY
CLOSE_TOO_BIG: Final = Close.TOO_BIG
CLOSE_TRY_AGAIN: Final = Close.TRY_AGAIN
CLOSE_UNAUTHORIZED: Final = Close.UNAUTHORIZED
CLOSE_UNKNOWN_BOARD: Final = Close.UNKNOWN_BOARD
CLOSE_SLOW: Final = Close.SLOW
CLOSE_INCOMPATIBLE: Final = Close.INCOMPATIBLE

# HTTP status for each error code.
HTTP_STATUS: Final[dict[Code, int]] = {
    Code.BAD_MESSAGE: 400,
    Code.INVALID: 400,
    Code.UNAUTHORIZED: 401,
    Code.FORBIDDEN: 403,
    Code.UNKNOWN_BOARD: 404,
    Code.NOT_FOUND: 404,
    Code.CONFLICT: 409,
    Code.TOO_LARGE: 413,
    Code.RATE_LIMITED: 429,
    Code.UNAVAILABLE: 503,
    Code.FULL: 503,
    Code.INCOMPATIBLE: 426,
}


def text_error(value: object) -> Code:
    """The code for a text that failed a "string of at most N" check: every
    size limit is ``too_large``; not a string at all is ``invalid``."""
    return Code.TOO_LARGE if isinstance(value, str) else Code.INVALID
