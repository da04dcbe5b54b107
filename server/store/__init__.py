"""The ``Store`` protocol: where boards live durably, and the fan-out bus.

Two implementations pass one contract suite (``tests/test_store.py``):
``store.sqlite.SqliteStore`` (embedded, one process) and
``store.redis.RedisStore`` (many processes share boards through Redis).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from server.core.board import BoardState, Change


class StoreError(Exception):
    """Base of the store's errors."""


class Unavailable(StoreError):
    """The store cannot durably take the change now (nothing was applied)."""


class ClockConflict(StoreError):
    """The board's clock moved on since the state the change was computed on
    (another process committed first); catch up and compute it again.

    ``missed`` are the log records after the change's base clock when the
    store could hand them over with the refusal (no second round trip), else
    None: read them with ``changes_since``. ``behind`` means the store's clock
    is *below* the base: it lost acked changes (a failover, a restore) and the
    board must be loaded again.
    """

    def __init__(self, message: str, *, missed: list[dict[str, Any]] | None = None,
                 behind: bool = False) -> None:
        super().__init__(message)
        self.missed = missed
        self.behind = behind


@dataclass(slots=True)
class BoardMeta:
    board: str
    title: str
    template: str = "blank"
    generation: int = 1
    created: int = 0
    session: dict[str, Any] = field(default_factory=dict)
    lang: str = "en"  # the board's language (boards made before it existed: English)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class SnapshotMeta:
    snapshot: str
    label: str
    clock: int
    created_at: int
    elements: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class BoardSummary:
    """One line of the admin's board list (``GET /api/boards``)."""

    board: str
    title: str
    template: str
    created: int
    active: int  # ms of the last change or seen connection (at least ``created``)
    clock: int
    elements: int
    snapshots: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: Receives what other processes published for a board (changes, events, presence).
BusHandler = Callable[[str, dict[str, Any]], Awaitable[None]]


class Bus(Protocol):
    """Fan-out between the processes that serve the same boards. The embedded
    store has no other process: its bus does nothing (``shared`` is False)."""

    async def subscribe(self, board: str, handler: BusHandler) -> None:
        """Deliver what other processes publish for ``board`` (no-op when not shared)."""
        ...

    async def unsubscribe(self, board: str) -> None: ...

    async def publish(self, board: str, message: dict[str, Any]) -> None:
        """Send an ephemeral message (event, presence) to other processes."""
        ...


class Store(Bus, Protocol):
    """Durable boards plus the bus that carries them between processes.

    ``commit`` is the only write on the hot path: it makes a run of
    consecutive changes of one board durable before it returns (an ack may be
    sent), or raises ``Unavailable`` (nothing applied) or ``ClockConflict``.
    """

    name: str
    shared: bool  # True when other processes may change the same boards
    problem: str | None  # why ``healthy()`` said False, when the store knows

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def healthy(self) -> bool: ...

    async def secret(self) -> bytes:
        """The token secret, made once and kept by the store."""
        ...

    async def create_board(self, meta: BoardMeta, first: Change | None) -> None:
        """Create a board, with an optional first change (a template)."""
        ...

    async def get_meta(self, board: str) -> BoardMeta | None: ...

    async def update_meta(self, board: str, **fields: Any) -> None:
        """Set ``title``, ``generation`` or ``session`` of a board."""
        ...

    async def load(self, board: str) -> BoardState:
        """The board's live state (elements, recent tombstones, clock)."""
        ...

    async def commit(self, board: str, changes: list[Change]) -> None:
        """Make consecutive changes durable; ``changes[0].clock`` follows the
        stored clock. Raises Unavailable or ClockConflict."""
        ...

    async def changes_since(self, board: str, clock: int) -> list[dict[str, Any]] | None:
        """Log records after ``clock`` in order, or None if not retained."""
        ...

    async def save_snapshot(
        self, board: str, meta: SnapshotMeta, elements: list[dict[str, Any]]
    ) -> None: ...

    async def list_snapshots(self, board: str) -> list[SnapshotMeta]:
        """Newest first."""
        ...

    async def get_snapshot(
        self, board: str, snapshot: str
    ) -> tuple[SnapshotMeta, list[dict[str, Any]]] | None: ...

    async def save_participant(self, board: str, participant: dict[str, Any]) -> None: ...

    async def list_participants(self, board: str) -> list[dict[str, Any]]: ...

    async def delete_board(self, board: str) -> bool:
        """Remove the board and all it has (elements, log, tombstones,
        snapshots, participants); False if there was no such board."""
        ...

    async def list_boards(self) -> list[BoardSummary]:
        """Every board, in no particular order."""
        ...

    async def touch(self, board: str, at: int) -> None:
        """Note activity on ``board`` at ``at`` ms (commits note their own)."""
        ...
