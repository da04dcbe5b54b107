"""Load-adaptive pacing of what this process sends.

A quiet workshop should feel instant: every message leaves at once. A packed
one (or many workshops in one process) must not spend its CPU on writing one
tiny frame per change per laptop: the frame, not the byte, is what costs (a
``write`` syscall and a trip through the WebSocket stack each). So the process
watches how many messages it hands to connection queues per second and, above
``pace_above_per_s``, lets each connection send at most one frame per
``frame_interval_ms`` (16 ms: ≤ 60 frames/s, everything that piled up goes as
one ``bundle``). Below 60 % of that rate pacing switches off again.

Presence has a budget too: cursor frames for the whole process are kept under
``presence_budget_per_s`` by lowering every room's presence rate (never above
``presence_hz``) when there are many connections.

``Pacing.tick`` is pure arithmetic; ``run`` is the small task that calls it.
"""

from __future__ import annotations

import asyncio
import time

from server.settings import Settings

TICK_S = 0.25
OFF_BELOW = 0.6  # hysteresis: pacing stops below 60 % of the threshold


class Pacing:
    def __init__(self, settings: Settings) -> None:
        self.max_interval = max(settings.frame_interval_ms, 0.0) / 1000.0
        self.pace_above = settings.pace_above_per_s
        self.presence_floor = 1.0 / max(settings.presence_hz, 0.1)
        self.presence_budget = settings.presence_budget_per_s
        self.enqueued = 0  # messages put on connection queues since the last tick
        self.rate = 0.0  # messages per second, smoothed
        self.connections = 0  # kept by the WebSocket endpoint
        self.frame_interval = self.max_interval if self.pace_above <= 0 else 0.0

    def tick(self, elapsed: float) -> None:
        """Fold the last ``elapsed`` seconds into the rate and decide the interval."""
        if elapsed <= 0:
            return
        rate = self.enqueued / elapsed
        self.enqueued = 0
        # rise at once, fall gently: a burst is paced immediately, a lull is not
        # taken for the end of the load
        self.rate = rate if rate >= self.rate else 0.5 * (self.rate + rate)
        if self.pace_above <= 0:
            self.frame_interval = self.max_interval
        elif self.rate > self.pace_above:
            self.frame_interval = self.max_interval
        elif self.rate < OFF_BELOW * self.pace_above:
            self.frame_interval = 0.0

    @property
    def presence_interval(self) -> float:
        """Seconds between a room's presence frames: 1/presence_hz, or longer
        when this process's connections would exceed the presence budget."""
        if self.presence_budget <= 0:
            return self.presence_floor
        return max(self.presence_floor, self.connections / self.presence_budget)

    async def run(self) -> None:
        at = time.monotonic()
        while True:
            await asyncio.sleep(TICK_S)
            now = time.monotonic()
            self.tick(now - at)
            at = now
