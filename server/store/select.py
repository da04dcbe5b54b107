"""Which store a process uses: Redis (one server or a cluster) when a URL is
set, else the embedded SQLite file under the data folder."""

from __future__ import annotations

from server.settings import Settings
from server.store import Store


def open_store(settings: Settings) -> Store:
    """The configured store, not yet started (``await store.start()``)."""
    if settings.redis_url:
        from server.store.redis import RedisStore

        return RedisStore(
            settings.redis_url,
            history_clocks=settings.history_clocks,
            history_ms=settings.history_ms,
        )
    from server.store.sqlite import SqliteStore

    return SqliteStore(
        settings.data_dir,
        history_clocks=settings.history_clocks,
        history_ms=settings.history_ms,
    )
