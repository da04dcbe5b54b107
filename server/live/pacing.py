"""Load-adaptive pacing of what this process sends.

A quiet workshop should feel instant: every message leaves at once. A packed
one (or many workshops in one process) must not run out of CPU writing one
tiny frame per change per laptop: the frame, not the byte, is what costs (a
``write`` syscall each). So the process watches two things: how many messages
it hands to connection queues per second, and how busy its event-loop thread
is. When both are high (over ``pace_above_per_s`` and ``pace_busy_above``) each
connection sends at most one frame per ``frame_interval_ms`` (16 ms: ≤ 60
frames/s; what piled up goes as one ``bundle``). Pacing stops when the rate
falls below 60 % of its threshold or the loop below 35 % busy. While there is
CPU to spare, latency wins; when there is not, frames are merged. (The loop
must be 85 % busy: at 60 %, the default until 2026-12-03, a room of 100 busy
writers on 2 cores was paced half of the time, which tripled its p99 for a
fifth less CPU; docs/performance.md.)

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
OFF_BELOW = 0.6  # hysteresis: pacing stops below 60 % of the rate threshold ...
IDLE_BELOW = 0.35  # ... or when the event loop is less than 35 % busy


class Pacing:
    def __init__(self, settings: Settings) -> None:
        self.max_interval = max(settings.frame_interval_ms, 0.0) / 1000.0
        self.pace_above = settings.pace_above_per_s
        self.busy_above = settings.pace_busy_above
        self.busy = 0.0  # share of wall time the event-loop thread ran, smoothed
        self.presence_floor = 1.0 / max(settings.presence_hz, 0.1)
        self.presence_budget = settings.presence_budget_per_s
        self.enqueued = 0  # messages put on connection queues since the last tick
        self.rate = 0.0  # messages per second, smoothed
        self.connections = 0  # kept by the WebSocket endpoint
        self.frame_interval = self.max_interval if self.pace_above <= 0 else 0.0

    def tick(self, elapsed: float, cpu: float = 1.0) -> None:
        """Fold the last ``elapsed`` seconds, in which the loop thread used
        ``cpu`` seconds, into the rate and the load, and decide the interval."""
        if elapsed <= 0:
            return
        rate = self.enqueued / elapsed
        self.enqueued = 0
        busy = min(cpu / elapsed, 1.0)
        # rise at once, fall gently: a burst is paced immediately, a lull is not
        # taken for the end of the load
        self.rate = rate if rate >= self.rate else 0.5 * (self.rate + rate)
        self.busy = busy if busy >= self.busy else 0.5 * (self.busy + busy)
        if self.pace_above <= 0:
            self.frame_interval = self.max_interval
        elif self.rate > self.pace_above and self.busy > self.busy_above:
            self.frame_interval = self.max_interval
        elif self.rate < OFF_BELOW * self.pace_above or self.busy < IDLE_BELOW:
            self.frame_interval = 0.0

    @property
    def presence_interval(self) -> float:
        """Seconds between a room's presence frames: 1/presence_hz, or longer
        when this process's connections would exceed the presence budget."""
        if self.presence_budget <= 0:
            return self.presence_floor
        return max(self.presence_floor, self.connections / self.presence_budget)

    async def run(self) -> None:
        """Tick every 0.25 s; runs on the event loop, so ``thread_time`` is the
        loop thread's CPU (the SQLite thread's fsyncs are not counted)."""
        at, cpu = time.monotonic(), time.thread_time()
        while True:
            await asyncio.sleep(TICK_S)
            now, now_cpu = time.monotonic(), time.thread_time()
            self.tick(now - at, now_cpu - cpu)
            at, cpu = now, now_cpu
