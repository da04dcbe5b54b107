"""Per-connection op budget (a token bucket), counted per push on arrival."""

from __future__ import annotations

import time


class TokenBucket:
    """Per-connection op budget: ``rate`` ops/s sustained, ``burst`` at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.at = time.monotonic()

    def take(self, count: int) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if count > self.tokens:
            return False
        self.tokens -= count
        return True


class PresenceMeter:
    """Per-connection presence budget: ``per_s`` messages and ``bytes_per_s``
    bytes a second sustained, one second's worth at once."""

    def __init__(self, per_s: float, bytes_per_s: float) -> None:
        self.messages = TokenBucket(per_s, max(1, int(per_s)))
        self.bytes = TokenBucket(bytes_per_s, max(1, int(bytes_per_s)))

    def wait(self, size: int) -> float:
        """0.0 if a message of ``size`` bytes fits now (and take it), else the
        seconds until it will."""
        messages, data = self.messages, self.bytes
        messages.take(0)  # refill both
        data.take(0)
        size = min(size, int(data.burst))  # a message larger than a second's worth fits when full
        if messages.tokens >= 1 and data.tokens >= size:
            messages.tokens -= 1
            data.tokens -= size
            return 0.0
        return max((1 - messages.tokens) / messages.rate if messages.rate else 1.0,
                   (size - data.tokens) / data.rate if data.rate else 1.0, 0.001)
