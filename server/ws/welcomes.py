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

One client address may hold at most a quarter of the budget (``SHARE``), so
that sockets from one address that never read cannot lock every other joiner
of the process out for the read deadline: they fill their own share and are
refused, the others still join. As for the whole budget, an address holding
nothing is always let in (one welcome at a time, however big).

Pure bookkeeping, no I/O: the connection says what is still unsent.
"""

from __future__ import annotations

SHARE = 4  # one address may hold 1/SHARE of the budget


class WelcomeBudget:
    """Welcome bytes queued or buffered for joiners, process-wide and per address."""

    def __init__(self, limit: int) -> None:
        self.limit = limit  # 0: no cap
        self.reserved = 0
        self.by_address: dict[str, int] = {}  # only addresses that hold something

    def reserve(self, size: int, address: str = "") -> Reservation | None:
        """Hold ``size`` bytes for one welcome to ``address``, or None when that
        would pass the limit or the address's share. With nothing reserved (in
        all, or by that address) a welcome is let in, so that a limit below one
        welcome slows joins to one at a time instead of locking a big board out."""
        held = self.by_address.get(address, 0)
        if self.limit and held and held + size > self.limit // SHARE:
            return None
        if self.limit and self.reserved and self.reserved + size > self.limit:
            return None
        self.reserved += size
        self.by_address[address] = held + size
        return Reservation(self, size, address)

    def _change(self, address: str, delta: int) -> None:
        self.reserved += delta
        left = self.by_address.get(address, 0) + delta
        if left > 0:
            self.by_address[address] = left
        else:
            self.by_address.pop(address, None)


class Reservation:
    """What one welcome holds of its budget; never more than is still unsent."""

    __slots__ = ("_address", "_budget", "held")

    def __init__(self, budget: WelcomeBudget, held: int, address: str = "") -> None:
        self._budget = budget
        self._address = address
        self.held = held

    def resize(self, size: int) -> None:
        """Hold exactly ``size`` bytes: the welcome's final size, known once it
        is encoded (its header, a few KiB, may go over the limit: it was let
        in on its elements)."""
        if self.held:
            self._budget._change(self._address, size - self.held)
            self.held = size

    def shrink_to(self, unsent: int) -> bool:
        """At most ``unsent`` bytes of the welcome are still to go (the
        transport's buffer holds the rest of the welcome and whatever followed
        it, so that is an upper bound); True once nothing is held."""
        if unsent < self.held:
            self._budget._change(self._address, unsent - self.held)
            self.held = unsent
        return not self.held

    def release(self) -> None:
        """Give everything back (idempotent)."""
        if self.held:
            self._budget._change(self._address, -self.held)
        self.held = 0
