"""Board tokens: HMAC-signed (board, role, key generation), and participant ids.

A token reads ``<board>.<role letter><generation>.<signature>``. It is checked
without a lookup; the generation must also equal the board's current one,
which ``POST /rotate`` bumps to revoke every older token of the board.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Final

from server.core.board import ROLES, TokenRole

_LETTER: Final[dict[TokenRole, str]] = {"facilitator": "f", "participant": "p", "viewer": "v"}
_ROLE: Final[dict[str, TokenRole]] = {letter: role for role, letter in _LETTER.items()}
_SIG_BYTES: Final = 18


def new_board_id() -> str:
    """12 characters of base32: unguessable enough to name, not to authorise."""
    return base64.b32encode(secrets.token_bytes(10)).decode().lower()[:12]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class Grant:
    board: str
    role: TokenRole
    generation: int


class Tokens:
    """Signs and verifies board tokens with one server secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise RuntimeError("the token secret must be at least 16 bytes")
        self._secret = secret

    def _sign(self, body: str) -> str:
        mac = hmac.new(self._secret, b"token:" + body.encode(), hashlib.sha256).digest()
        return _b64(mac[:_SIG_BYTES])

    def issue(self, board: str, role: TokenRole, generation: int) -> str:
        body = f"{board}.{_LETTER[role]}{generation}"
        return f"{body}.{self._sign(body)}"

    def issue_all(self, board: str, generation: int) -> dict[str, str]:
        return {role: self.issue(board, role, generation) for role in ROLES}

    def verify(self, token: object) -> Grant | None:
        """The grant a token carries, or None if it is malformed or forged.
        The caller still checks the board and its current generation."""
        if not isinstance(token, str) or len(token) > 200:
            return None
        body, _, signature = token.rpartition(".")
        board, _, grant = body.partition(".")
        if not board or len(grant) < 2 or grant[0] not in _ROLE or not grant[1:].isdigit():
            return None
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            return None
        return Grant(board, _ROLE[grant[0]], int(grant[1:]))

    def participant_id(self, board: str, client: str) -> str:
        """Stable per (board, client), never revealing ``client``."""
        mac = hmac.new(self._secret, f"pid:{board}:{client}".encode(), hashlib.sha256)
        return "p" + base64.b32encode(mac.digest()[:10]).decode().lower()[:11]

