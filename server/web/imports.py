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
import threading
from multiprocessing.connection import Connection
from typing import Any

from server.core import archive, errors
from server.core.codec import has_lone_surrogate

#: at most this many archives are read at once (each in a process of its own)
_READERS = threading.BoundedSemaphore(2)
READ_TIMEOUT_S = 120.0


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


def _child(conn: Connection, raw: bytes, *limits: int) -> None:
    with conn:
        conn.send(parse_import(raw, *limits))


def _read(raw: bytes, limits: tuple[int, int, int]) -> archive.Archive | tuple[errors.Code, str]:
    """``parse_import`` in a process of its own, which ends with it: nothing
    outlives the request (an idle pool's worker outlived its server)."""
    with _READERS:
        context = multiprocessing.get_context("spawn")  # no copy of the server's state
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_child, args=(sender, raw, *limits), daemon=True)
        process.start()
        sender.close()
        try:
            if receiver.poll(READ_TIMEOUT_S):
                found: archive.Archive | tuple[errors.Code, str] = receiver.recv()
                return found
            return errors.UNAVAILABLE, "the archive could not be read in time"
        except EOFError:  # the reader died (out of memory?)
            return errors.UNAVAILABLE, "the archive could not be read"
        finally:
            receiver.close()
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join()


async def in_worker(
    raw: bytes, *, max_elements: int, max_bytes: int, max_points: int
) -> archive.Archive | tuple[errors.Code, str]:
    """``parse_import`` in a worker process (waited for in a thread)."""
    return await asyncio.to_thread(_read, raw, (max_elements, max_bytes, max_points))
