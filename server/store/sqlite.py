"""The embedded store: one SQLite file in WAL mode, driven from one thread.

Every call runs on a single worker thread (the event loop never touches the
disk). The thread takes its work from a ``queue.SimpleQueue`` and hands each
result back with ``call_soon_threadsafe``: a ThreadPoolExecutor's submit takes
a Python-level semaphore and condition that the worker holds too, and under
load the loop thread waited there for the GIL (7 % of its samples in
``Semaphore.acquire`` with 2 000 connections: docs/performance.md).

Commits are grouped: all batches that arrive while a transaction is being
written share the next one, so an ack is durable after one fsync
(``synchronous=FULL``) however many batches it covers.
"""

from __future__ import annotations

import asyncio
import fcntl
import functools
import json
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import msgpack

from server.core.board import BoardState, Change
from server.core.bulk import decode_list, encode_list
from server.core.codec import plain
from server.store import (
    BoardMeta,
    BoardSummary,
    BusHandler,
    ClockConflict,
    SnapshotMeta,
    Unavailable,
)

T = TypeVar("T")


class _Worker:
    """One thread that runs the store's calls in order, off the event loop."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[
            tuple[Callable[[], Any], asyncio.AbstractEventLoop, asyncio.Future[Any]] | None
        ] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._name = name

    def run(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name=self._name, daemon=True)
            self._thread.start()
        self._jobs.put((fn, loop, future))
        return future

    def _work(self) -> None:
        jobs = self._jobs
        while (job := jobs.get()) is not None:
            fn, loop, future = job
            try:
                result, error = fn(), None
            except BaseException as exc:  # handed to the caller, whatever it is
                result, error = None, exc
            try:
                loop.call_soon_threadsafe(_settle, future, result, error)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass

    def stop(self) -> None:
        """Run what is queued, then end the thread."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the caller was cancelled
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS boards (
    board TEXT PRIMARY KEY, title TEXT NOT NULL, template TEXT NOT NULL,
    generation INTEGER NOT NULL, created INTEGER NOT NULL,
    clock INTEGER NOT NULL DEFAULT 0, floor INTEGER NOT NULL DEFAULT 0,
    session TEXT NOT NULL DEFAULT '{}', lang TEXT NOT NULL DEFAULT 'en');
CREATE TABLE IF NOT EXISTS elements (
    board TEXT NOT NULL, id TEXT NOT NULL, v INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (board, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tombstones (
    board TEXT NOT NULL, id TEXT NOT NULL, clock INTEGER NOT NULL, time INTEGER NOT NULL,
    PRIMARY KEY (board, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS changes (
    board TEXT NOT NULL, clock INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (board, clock)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
    board TEXT NOT NULL, snapshot TEXT NOT NULL, label TEXT NOT NULL,
    clock INTEGER NOT NULL, created_at INTEGER NOT NULL, count INTEGER NOT NULL,
    data BLOB NOT NULL, PRIMARY KEY (board, snapshot));
CREATE TABLE IF NOT EXISTS participants (
    board TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (board, id));
CREATE TABLE IF NOT EXISTS graves (
    board TEXT NOT NULL, id TEXT NOT NULL, by TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (board, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pushes (
    board TEXT NOT NULL, key TEXT NOT NULL, clock INTEGER NOT NULL, time INTEGER NOT NULL,
    PRIMARY KEY (board, key)) WITHOUT ROWID;
"""

_pack = msgpack.Packer(use_bin_type=True, default=plain).pack


def _unpack(raw: bytes) -> Any:
    return msgpack.unpackb(raw, raw=False, strict_map_key=False)


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    """``items`` in runs whose lengths are powers of two up to ``size`` (13 → 8,
    4, 1): a multi-row statement's text depends on its length, and these few
    texts stay in sqlite3's statement cache (a statement prepared anew costs
    the thread one more give-up and re-take of the GIL)."""
    out: list[list[Any]] = []
    start, left = 0, len(items)
    step = 1 << (size.bit_length() - 1)
    while left:
        while step > left:
            step >>= 1
        out.append(items[start:start + step])
        start += step
        left -= step
    return out


Key = tuple[str, str]  # (board, element id), or (board, push key)


class _Rows:
    """What a group of changes does to each table, netted per element (the last
    change of an element wins), so that a group is written with a handful of
    multi-row statements. Each statement costs the store's thread one release
    and one re-take of the GIL (SQLite runs without it); under load each re-take
    waits for the event loop's slice, so statements, not rows, are what cost."""

    ROWS_PER_STATEMENT = 256  # of at most 4 columns: far below SQLite's 32 766 variables

    def __init__(self) -> None:
        self.upserts: dict[Key, tuple[str, str, int, bytes]] = {}
        self.deletes: set[Key] = set()
        self.tombs: dict[Key, tuple[str, str, int, int]] = {}
        self.tomb_deletes: set[Key] = set()
        self.graves: dict[Key, tuple[str, str, str, bytes]] = {}
        self.grave_deletes: set[Key] = set()
        self.changes: list[tuple[str, int, bytes]] = []
        self.pushes: dict[Key, tuple[str, str, int, int]] = {}
        self.boards: dict[str, tuple[int, int]] = {}  # board -> (clock, latest time)
        self.trims: list[tuple[str, int]] = []  # (board, forget up to this clock)

    def add(self, board: str, change: Change) -> None:
        for eid, el in change.after.items():
            key = (board, eid)
            if el is None:
                self.upserts.pop(key, None)
                self.deletes.add(key)
                was = change.before.get(eid)
                if was is not None:
                    self.tomb_deletes.discard(key)
                    self.tombs[key] = (board, eid, change.clock, change.time)
                    self.grave_deletes.discard(key)
                    self.graves[key] = (board, eid, change.by, _pack(was))
            else:
                self.deletes.discard(key)
                self.upserts[key] = (board, eid, el["v"], _pack(el))
                if eid in change.tombs_before:
                    self.tombs.pop(key, None)
                    self.tomb_deletes.add(key)
                    self.graves.pop(key, None)
                    self.grave_deletes.add(key)
        self.changes.append((board, change.clock, _pack(change.log_record())))
        if change.push is not None:  # in the same transaction: remembered iff applied
            self.pushes[(board, change.push)] = (board, change.push, change.clock, change.time)
        had = self.boards.get(board)
        self.boards[board] = (change.clock, max(had[1], change.time) if had else change.time)

    def write(self, db: sqlite3.Connection) -> None:
        for table, keys in (("elements", self.deletes), ("tombstones", self.tomb_deletes),
                            ("graves", self.grave_deletes)):
            by_board: dict[str, list[str]] = {}
            for board, eid in keys:
                by_board.setdefault(board, []).append(eid)
            for board, ids in by_board.items():  # (board, id IN ...) uses the primary key
                for chunk in _chunks(ids, self.ROWS_PER_STATEMENT):
                    where = f"board=? AND id IN ({_marks(len(chunk))})"
                    db.execute(f"DELETE FROM {table} WHERE {where}", [board, *chunk])
        self._insert(db, "INSERT OR REPLACE INTO elements", list(self.upserts.values()))
        self._insert(db, "INSERT OR REPLACE INTO tombstones", list(self.tombs.values()))
        self._insert(db, "INSERT OR REPLACE INTO graves", list(self.graves.values()))
        self._insert(db, "INSERT INTO changes", self.changes)
        self._insert(db, "INSERT OR REPLACE INTO pushes", list(self.pushes.values()))
        db.executemany("UPDATE boards SET clock=?, active=MAX(active, ?) WHERE board=?",
                       [(clock, time, board) for board, (clock, time) in self.boards.items()])
        for board, upto in self.trims:
            db.execute("DELETE FROM changes WHERE board=? AND clock<=?", (board, upto))
            db.execute("DELETE FROM pushes WHERE board=? AND clock<=?", (board, upto))

    def _insert(self, db: sqlite3.Connection, head: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        one = f"({_marks(len(rows[0]))})"
        for chunk in _chunks(rows, self.ROWS_PER_STATEMENT):
            db.execute(f"{head} VALUES {','.join([one] * len(chunk))}",
                       [value for row in chunk for value in row])


class SqliteStore:
    name = "sqlite"
    shared = False
    problem: str | None = None  # why the store cannot take writes, as /healthz says it

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        history_clocks: int = 100_000,
        history_ms: int = 24 * 3600 * 1000,
    ) -> None:
        self.path = Path(data_dir) / "tussentafel.sqlite3"
        self.history_clocks = history_clocks
        self.history_ms = history_ms
        self._db: sqlite3.Connection | None = None
        self._worker = _Worker("sqlite")
        self._pending: list[tuple[str, list[Change], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._lock_file: Any = None

    # -- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(self.path.with_suffix(".lock"), "w")  # noqa: ASYNC230 - once, at start
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise RuntimeError(
                f"another tussentafel server is using {self.path.parent}; "
                "the embedded store serves one process (use --redis to run several)"
            ) from None
        await self._run(self._open)

    def _open(self) -> None:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA busy_timeout=5000")
        db.executescript(SCHEMA)
        columns = {row[1] for row in db.execute("PRAGMA table_info(boards)")}
        if "lang" not in columns:  # a data dir from before boards had a language
            db.execute("ALTER TABLE boards ADD COLUMN lang TEXT NOT NULL DEFAULT 'en'")
        _add_activity(db)
        self._db = db

    async def close(self) -> None:
        if self._flusher is not None:
            await asyncio.shield(self._flusher)
        if self._db is not None:
            await self._run(self._db.close)
            self._db = None
        self._worker.stop()
        if self._lock_file is not None:
            self._lock_file.close()

    async def healthy(self) -> bool:
        """Open, and its folder takes a write (a full or read-only disk does not)."""
        if self._db is None:
            self.problem = "the store is closed"
            return False
        try:
            await self._run(self._probe_write)
        except Unavailable as exc:
            self.problem = f"the store is not writable: {exc}"
            return False
        self.problem = None
        return True

    def _probe_write(self) -> None:
        probe = self.path.with_name(f".write-probe-{os.getpid()}")
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, bytes(4096))  # a page: a full disk refuses it
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)

    async def _run(self, fn: Any, *args: Any) -> Any:
        """``fn`` on the store's thread; a failing disk or database is ``Unavailable``."""
        try:
            return await self._worker.run(functools.partial(fn, *args) if args else fn)
        except (sqlite3.OperationalError, OSError) as exc:
            raise Unavailable(str(exc) or type(exc).__name__) from exc

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the store is not started")
        return self._db

    # -- secret, boards ----------------------------------------------------------

    async def secret(self) -> bytes:
        def get_or_make() -> bytes:
            row = self.db.execute("SELECT value FROM settings WHERE key='secret'").fetchone()
            if row:
                return bytes(row[0])
            value = os.urandom(32)
            self.db.execute("INSERT INTO settings VALUES ('secret', ?)", (value,))
            return value

        result: bytes = await self._run(get_or_make)
        return result

    async def create_board(self, meta: BoardMeta, first: Change | None) -> None:
        def create() -> None:
            with _transaction(self.db):
                self.db.execute(
                    "INSERT INTO boards (board, title, template, generation, created, session,"
                    " lang) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (meta.board, meta.title, meta.template, meta.generation, meta.created,
                     json.dumps(meta.session), meta.lang),
                )
                if first is not None:
                    rows = _Rows()
                    rows.add(meta.board, first)
                    rows.write(self.db)

        await self._run(create)

    async def get_meta(self, board: str) -> BoardMeta | None:
        def get() -> BoardMeta | None:
            row = self.db.execute(
                "SELECT title, template, generation, created, session, lang FROM boards"
                " WHERE board=?",
                (board,),
            ).fetchone()
            if row is None:
                return None
            return BoardMeta(board, row[0], row[1], row[2], row[3], json.loads(row[4]), row[5])

        result: BoardMeta | None = await self._run(get)
        return result

    async def update_meta(self, board: str, **fields: Any) -> None:
        allowed = {"title", "generation", "session"}
        if set(fields) - allowed:
            raise RuntimeError(f"update_meta takes only {sorted(allowed)}")
        values = [json.dumps(v) if k == "session" else v for k, v in fields.items()]
        sql = "UPDATE boards SET " + ", ".join(f"{k}=?" for k in fields) + " WHERE board=?"
        await self._run(self.db.execute, sql, (*values, board))

    async def load(self, board: str) -> BoardState:
        def load() -> BoardState:
            row = self.db.execute(
                "SELECT clock, floor FROM boards WHERE board=?", (board,)
            ).fetchone()
            if row is None:
                raise KeyError(board)
            state = BoardState(board, clock=row[0], floor=row[1])
            for eid, data in self.db.execute(
                "SELECT id, data FROM elements WHERE board=?", (board,)
            ):
                state.elements[eid] = _unpack(data)
            for eid, clock, t in self.db.execute(
                "SELECT id, clock, time FROM tombstones WHERE board=?", (board,)
            ):
                state.tombstones[eid] = (clock, t)
            for eid, by, data in self.db.execute(
                "SELECT id, by, data FROM graves WHERE board=?", (board,)
            ):
                state.graves[eid] = (by, _unpack(data))
            for key, clock, t in self.db.execute(
                "SELECT key, clock, time FROM pushes WHERE board=?", (board,)
            ):
                state.pushes[key] = (clock, t)
            state.hidden_floor = state.clock
            before, pushes = state.floor, len(state.pushes)
            if state.compact(
                now=int(time.time() * 1000),
                max_age_ms=self.history_ms,
                max_clocks=self.history_clocks,
            ) or state.floor != before or len(state.pushes) != pushes:
                with _transaction(self.db):
                    self.db.execute(
                        "DELETE FROM tombstones WHERE board=? AND clock<=?", (board, state.floor)
                    )
                    self.db.execute(
                        "DELETE FROM graves WHERE board=? AND id NOT IN"
                        " (SELECT id FROM tombstones WHERE board=?)", (board, board)
                    )
                    self.db.execute(
                        "DELETE FROM pushes WHERE board=? AND (clock<=? OR time<?)",
                        (board, state.clock - self.history_clocks,
                         int(time.time() * 1000) - self.history_ms),
                    )
                    self.db.execute(
                        "DELETE FROM changes WHERE board=? AND clock<=?", (board, state.floor)
                    )
                    self.db.execute(
                        "UPDATE boards SET floor=? WHERE board=?", (state.floor, board)
                    )
            return state

        result: BoardState = await self._run(load)
        return result

    # -- the commit path ---------------------------------------------------------

    async def commit(self, board: str, changes: list[Change]) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((board, changes, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        while self._pending:
            group, self._pending = self._pending, []
            try:
                failures = await self._run(self._write_group, group)
            except Exception as exc:  # the disk or the database failed: nothing was kept
                for _, _, future in group:
                    if not future.done():
                        future.set_exception(Unavailable(f"the store failed: {exc}"))
                continue
            for index, (_, _, future) in enumerate(group):
                if future.done():
                    continue
                if index in failures:
                    future.set_exception(failures[index])
                else:
                    future.set_result(None)

    def _write_group(
        self, group: list[tuple[str, list[Change], asyncio.Future[None]]]
    ) -> dict[int, Exception]:
        """One transaction (one fsync) for every batch in the group, written as
        a few multi-row statements (``_Rows``) rather than several per change."""
        failures: dict[int, Exception] = {}
        db = self.db
        boards = list({board for board, _, _ in group})
        with _transaction(db):
            clocks: dict[str, int] = {}
            for chunk in _chunks(boards, 256):
                clocks.update(db.execute(
                    f"SELECT board, clock FROM boards WHERE board IN ({_marks(len(chunk))})",
                    chunk,
                ).fetchall())
            rows = _Rows()
            for index, (board, changes, _) in enumerate(group):
                base = changes[0].clock - 1
                if clocks.get(board) != base:
                    failures[index] = ClockConflict(f"board {board} is not at {base}")
                    continue
                for change in changes:
                    rows.add(board, change)
                    if change.clock % 1000 == 0:
                        rows.trims.append((board, change.clock - self.history_clocks))
                clocks[board] = changes[-1].clock
            rows.write(db)
        return failures

    async def changes_since(self, board: str, clock: int) -> list[dict[str, Any]] | None:
        def read() -> list[dict[str, Any]] | None:
            first = self.db.execute(
                "SELECT MIN(clock), MAX(clock) FROM changes WHERE board=?", (board,)
            ).fetchone()
            if first[0] is None or first[0] > clock + 1:
                return None if (first[1] or 0) > clock else []
            return [
                _unpack(data)
                for (data,) in self.db.execute(
                    "SELECT data FROM changes WHERE board=? AND clock>? ORDER BY clock",
                    (board, clock),
                )
            ]

        result: list[dict[str, Any]] | None = await self._run(read)
        return result

    # -- snapshots, participants -------------------------------------------------

    async def save_snapshot(
        self, board: str, meta: SnapshotMeta, elements: list[dict[str, Any]]
    ) -> None:
        def insert() -> None:  # packed here, in the store's thread, in runs (core.bulk)
            self.db.execute(
                "INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, ?, ?)",
                (board, meta.snapshot, meta.label, meta.clock, meta.created_at, meta.elements,
                 encode_list(elements, "msgpack")),
            )

        await self._run(insert)

    async def list_snapshots(self, board: str) -> list[SnapshotMeta]:
        def read() -> list[SnapshotMeta]:
            rows = self.db.execute(
                "SELECT snapshot, label, clock, created_at, count FROM snapshots"
                " WHERE board=? ORDER BY created_at DESC, clock DESC, rowid DESC",
                (board,),
            )
            return [SnapshotMeta(*row) for row in rows]

        result: list[SnapshotMeta] = await self._run(read)
        return result

    async def get_snapshot(
        self, board: str, snapshot: str
    ) -> tuple[SnapshotMeta, list[dict[str, Any]]] | None:
        def read() -> tuple[SnapshotMeta, list[dict[str, Any]]] | None:
            row = self.db.execute(
                "SELECT snapshot, label, clock, created_at, count, data FROM snapshots"
                " WHERE board=? AND snapshot=?",
                (board, snapshot),
            ).fetchone()
            if row is None:
                return None
            return SnapshotMeta(*row[:5]), decode_list(row[5])

        result: tuple[SnapshotMeta, list[dict[str, Any]]] | None = await self._run(read)
        return result

    async def save_participant(self, board: str, participant: dict[str, Any]) -> None:
        await self._run(
            self.db.execute,
            "INSERT OR REPLACE INTO participants VALUES (?, ?, ?)",
            (board, participant["id"], json.dumps(participant)),
        )

    async def list_participants(self, board: str) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            rows = self.db.execute(
                "SELECT data FROM participants WHERE board=? ORDER BY rowid", (board,)
            )
            return [json.loads(data) for (data,) in rows]

        result: list[dict[str, Any]] = await self._run(read)
        return result

    # -- bus: one process, nothing to carry ----------------------------------------

    async def subscribe(self, board: str, handler: BusHandler) -> None:
        return None

    async def unsubscribe(self, board: str) -> None:
        return None

    async def publish(self, board: str, message: dict[str, Any]) -> None:
        return None

    # -- life cycle of whole boards ----------------------------------------------

    async def delete_board(self, board: str) -> bool:
        def delete() -> bool:
            db = self.db
            with _transaction(db):
                found = db.execute("SELECT 1 FROM boards WHERE board=?", (board,)).fetchone()
                for table in _board_tables(db):  # every table keyed by board, also newer ones
                    db.execute(f'DELETE FROM "{table}" WHERE board=?', (board,))
            return found is not None

        result: bool = await self._run(delete)
        return result

    async def list_boards(self) -> list[BoardSummary]:
        def read() -> list[BoardSummary]:
            rows = self.db.execute(
                "SELECT b.board, b.title, b.template, b.created, MAX(b.active, b.created),"
                " b.clock, (SELECT COUNT(*) FROM elements e WHERE e.board=b.board),"
                " (SELECT COUNT(*) FROM snapshots s WHERE s.board=b.board) FROM boards b"
            )
            return [BoardSummary(*row) for row in rows]

        result: list[BoardSummary] = await self._run(read)
        return result

    async def touch(self, board: str, at: int) -> None:
        await self._run(
            self.db.execute, "UPDATE boards SET active=MAX(active, ?) WHERE board=?", (at, board)
        )


def _add_activity(db: sqlite3.Connection) -> None:
    """Files made before boards knew their last activity get the column."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(boards)")}
    if "active" not in columns:
        db.execute("ALTER TABLE boards ADD COLUMN active INTEGER NOT NULL DEFAULT 0")


def _board_tables(db: sqlite3.Connection) -> list[str]:
    tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    return [t for t in tables
            if any(row[1] == "board" for row in db.execute(f'PRAGMA table_info("{t}")'))]


class _transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if kind else "COMMIT")
