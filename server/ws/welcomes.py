"""The process's budget of welcome bytes that joiners have not read yet.

A welcome (the whole board, up to ~10 MiB) is sent outside the per-connection
send bound so that a board at its budget can always be joined. Without a bound
on the sum, anyone holding a link could open many sockets to a big board, say
hello and never read: every welcome would then sit in this process's memory
(queued, or in the transport's write buffer). So each welcome reserves its
size here while it is queued or buffered, and a joiner that would take the sum
past ``max_unread_welcome_bytes`` is refused (``full``, 1013: try again); the
connection gives the bytes back as the kernel takes them, and all that is left
when it ends (``server.ws.connection``).

Pure bookkeeping, no I/O: the connection says what is still unsent.
"""

from __future__ import annotations


class WelcomeBudget:
    """Welcome bytes queued or buffered for joiners, process-wide."""

    def __init__(self, limit: int) -> None:
        self.limit = limit  # 0: no cap
        self.reserved = 0

    def reserve(self, size: int) -> Reservation | None:
        """Hold ``size`` bytes for one welcome, or None when that would pass the
        limit. With nothing reserved a welcome is always let in, so that a limit
        below one welcome slows joins to one at a time instead of locking a big
        board out."""
        if self.limit and self.reserved and self.reserved + size > self.limit:
            return None
        self.reserved += size
        return Reservation(self, size)


class Reservation:
    """What one welcome holds of its budget; never more than is still unsent."""

    __slots__ = ("_budget", "held")

    def __init__(self, budget: WelcomeBudget, held: int) -> None:
        self._budget = budget
        self.held = held

    def resize(self, size: int) -> None:
        """Hold exactly ``size`` bytes: the welcome's final size, known once it
        is encoded (its header, a few KiB, may go over the limit: it was let
        in on its elements)."""
        if self.held:
            self._budget.reserved += size - self.held
            self.held = size

    def shrink_to(self, unsent: int) -> bool:
        """At most ``unsent`` bytes of the welcome are still to go (the
        transport's buffer holds the rest of the welcome and whatever followed
        it, so that is an upper bound); True once nothing is held."""
        if unsent < self.held:
            self._budget.reserved -= self.held - unsent
            self.held = unsent
        return not self.held

    def release(self) -> None:
        """Give everything back (idempotent)."""
        self._budget.reserved -= self.held
        self.held = 0
