"""Wall-clock milliseconds: the one time source for stamps and events."""

from __future__ import annotations

import time


def now_ms() -> int:
    return int(time.time() * 1000)
