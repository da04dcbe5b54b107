"""A big ``POST /api/boards`` body (an archive to import, up to 64 MiB) is
parsed and checked in a worker process.

``json.loads`` holds the GIL for the whole parse: in a thread, 60 MB of tiny
numbers still stopped the event loop for seconds. In a process, a body that
is not a valid archive costs the server's loop nothing; a valid one comes back
as a checked ``Archive``.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from server.core import archive, errors
from server.core.codec import has_lone_surrogate

_pool: list[ProcessPoolExecutor] = []


def _refuse(constant: str) -> Any:
    raise ValueError(constant)


def parse_import(
    raw: bytes, max_elements: int, max_bytes: int, max_points: int
) -> archive.Archive | tuple[errors.Code, str]:
    """The archive in a ``{"import": ARCHIVE}`` body, checked; or the refusal
    (code, message), as ``aftercare`` would answer it for a small body."""
    try:
        data = json.loads(raw, parse_constant=_refuse)
    except (ValueError, RecursionError):
        return errors.BAD_MESSAGE, "the body must be a JSON object"
    if not isinstance(data, dict):
        return errors.BAD_MESSAGE, "the body must be a JSON object"
    if "import" not in data:  # only an archive may be big
        return errors.TOO_LARGE, "only an import may be this big"
    if b"\\u" in raw and has_lone_surrogate(data):
        return errors.INVALID, "strings must be valid Unicode (no lone surrogates)"
    if set(data) != {"import"}:
        return errors.INVALID, "an import takes no other fields"
    found = archive.check(data["import"], max_elements=max_elements, max_bytes=max_bytes,
                          max_points=max_points)
    if isinstance(found, archive.ArchiveError):
        return errors.INVALID, f"not a board archive: {found}"
    return found


async def in_worker(
    raw: bytes, *, max_elements: int, max_bytes: int, max_points: int
) -> archive.Archive | tuple[errors.Code, str]:
    """``parse_import`` in the (one, lazily started) worker process."""
    if not _pool:
        context = multiprocessing.get_context("spawn")  # no copy of the server's state
        _pool.append(ProcessPoolExecutor(max_workers=1, mp_context=context))
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        _pool[0], parse_import, raw, max_elements, max_bytes, max_points
    )
