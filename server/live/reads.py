"""Big reads of one board (welcome elements, /state, snapshots, SVG, insights),
made once per board clock and off the event loop.

``Reads.start(key, clock, make)`` returns the pending or finished result for
``key`` at ``clock``; only on a miss is ``make()`` called (synchronously, so
the caller can take its copy of the state under the room's lock) to start the
work, typically ``off_loop(...)``. Everyone asking for the same key
meanwhile waits for that one piece of work. Results of an older clock are
dropped when another clock is asked for; results that do not depend on the
clock (``clock=None``: a snapshot) are kept, the ``keep`` newest of them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, TypeVar

log = logging.getLogger("tussentafel.reads")

KEEP: Final = 4
LIVE_KEYS: Final = 16  # results kept for one clock, at most
T = TypeVar("T")

#: One thread each for the reads people wait on at the board (welcome, /state,
#: insights) and for exports (snapshots as JSON and SVG). Each big read queues
#: behind the one before it in its lane, so at most two threads contend with
#: the event loop for the GIL, however many readers there are.
_LANES: Final = {
    "board": ThreadPoolExecutor(max_workers=1, thread_name_prefix="tussentafel-reads"),
    "export": ThreadPoolExecutor(max_workers=1, thread_name_prefix="tussentafel-exports"),
}


async def off_loop(fn: Callable[..., T], *args: Any, lane: str = "board") -> T:
    """``fn(*args)`` in the lane's worker thread."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_LANES[lane], functools.partial(fn, *args))


class Reads:
    def __init__(
        self, keep: int = KEEP, on_made: Callable[[Hashable], None] | None = None
    ) -> None:
        self.keep = keep
        self.on_made = on_made  # told the key of every result computed (metrics)
        self.clock = -1
        self._live: dict[Hashable, asyncio.Future[Any]] = {}
        self._fixed: OrderedDict[Hashable, asyncio.Future[Any]] = OrderedDict()
        self.made = 0  # how many results were computed (tests, metrics)

    def start(
        self, key: Hashable, clock: int | None, make: Callable[[], Awaitable[Any]]
    ) -> asyncio.Future[Any]:
        if clock is not None and clock != self.clock:  # the board moved on (or was reloaded)
            self._live.clear()
            self.clock = clock
        table = self._live if clock is not None else self._fixed
        found = table.get(key)
        if found is not None:
            if clock is None:
                self._fixed.move_to_end(key)
            return found
        future = self._make(key, make)
        table[key] = future
        if clock is None and len(self._fixed) > self.keep:
            self._fixed.popitem(last=False)
        elif len(self._live) > LIVE_KEYS:  # e.g. insights for each set of people online
            del self._live[next(iter(self._live))]

        def forget_failure(done: asyncio.Future[Any]) -> None:
            if done.cancelled() or done.exception() is not None:
                if table.get(key) is done:
                    del table[key]

        future.add_done_callback(forget_failure)
        return future

    def _make(self, key: Hashable, make: Callable[[], Awaitable[Any]]) -> asyncio.Future[Any]:
        self.made += 1
        if self.on_made is not None:
            self.on_made(key)
        return asyncio.ensure_future(make())

    async def get(
        self, key: Hashable, clock: int | None, make: Callable[[], Awaitable[Any]]
    ) -> Any:
        """``start``, then wait for it (a caller that goes away does not cancel
        the work others may be waiting for)."""
        return await asyncio.shield(self.start(key, clock, make))
