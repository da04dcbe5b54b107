"""What a REST request must be before a handler runs: JSON when it changes
something, and within the per-address budget for creating boards."""

from __future__ import annotations

import json
import math
import time
from typing import Any

from starlette import responses

#: Methods that change something: JSON only (a cross-site form or ``text/plain``
#: POST needs no preflight, a JSON one does).
CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_json(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


class AddressRate:
    """A token bucket per client address: ``per_s`` sustained, ``burst`` at once."""

    MAX_ADDRESSES = 10_000  # beyond this, addresses back at a full bucket are forgotten

    def __init__(self, per_s: float, burst: int) -> None:
        self.per_s = per_s
        self.burst = float(max(burst, 1))
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, at)

    def take(self, address: str) -> float:
        """0.0 if ``address`` may go ahead now (one token taken), else the
        seconds until it may (``Retry-After``)."""
        if self.per_s <= 0:
            return 0.0
        now = time.monotonic()
        tokens, at = self._buckets.get(address, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.per_s)
        if tokens < 1:
            self._buckets[address] = (tokens, now)
            return (1 - tokens) / self.per_s
        if len(self._buckets) >= self.MAX_ADDRESSES:
            self._forget_full(now)
        self._buckets[address] = (tokens - 1, now)
        return 0.0

    def _forget_full(self, now: float) -> None:
        full = [a for a, (tokens, at) in self._buckets.items()
                if tokens + (now - at) * self.per_s >= self.burst]
        for address in full:
            del self._buckets[address]


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


class JSONResponse(responses.JSONResponse):
    """Starlette's, except that a stored string with a lone surrogate (which
    no UTF-8 can carry) is sent escaped instead of failing every read of it."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, allow_nan=False, separators=(",", ":")).encode()
