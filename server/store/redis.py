"""The scale-out store: boards live in Redis, shared by any number of processes.

Keys of one board all carry the hash tag ``{board}`` (one Redis Cluster slot):
``tt:{b}:meta`` hash (title, template, generation, created, session JSON, lang,
clock, floor), ``tt:{b}:els`` hash id -> msgpack element, ``tt:{b}:tombs``
hash id -> msgpack [clock, time, deleted by, last element], ``tt:{b}:pushes``
hash push key -> msgpack [clock, time] with ``tt:{b}:pushz`` (push keys by
clock, to forget the oldest), ``tt:{b}:log`` stream (entry id
``<clock>-0``, field ``r`` = msgpack log record, ``MAXLEN ~ history_clocks``),
``tt:{b}:people`` hash id -> JSON participant, ``tt:{b}:snapmeta`` /
``tt:{b}:snapdata`` hashes and the ``tt:{b}:snaps`` list (newest first), and
the shard channel ``tt:{b}:bus``. ``tt:secret`` holds the token secret.

``redis+cluster://host:port`` runs on a Redis Cluster (``RedisCluster``): every
key and the channel of a board share its slot, so each commit script runs on
the board's master alone and boards spread over the masters.

A commit is one Lua script (EVALSHA): it checks the base clock and a
deadline (a commit we stopped waiting for can never be applied later), then
writes elements, tombstones, the clock, XADDs and SPUBLISHes every change, so
clock order is publish order. Every Redis failure surfaces as ``Unavailable``.
The pub/sub side (one connection per process) is ``server.store.redis_bus``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from importlib import resources
from typing import Any, Literal

import msgpack
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from server.core.board import BoardState, Change
from server.core.bulk import decode_list, encode_list
from server.core.codec import plain
from server.store import (
    BoardMeta,
    BoardSummary,
    BusHandler,
    ClockConflict,
    SnapshotMeta,
    StoreError,
    Unavailable,
)
from server.store.redis_bus import RedisBus, Shards, channel

log = logging.getLogger("tussentafel.store.redis")

_pack = msgpack.Packer(use_bin_type=True, default=plain).pack
# {"type": "change", **record}: the script writes the map header (one more key)
_CHANGE_PREFIX = _pack("type") + _pack("change")


def _unpack(raw: bytes) -> Any:
    return msgpack.unpackb(raw, raw=False, strict_map_key=False)


def _lua(name: str) -> str:
    """A script of ``server/store/lua/`` (package data; each file says what its
    KEYS and ARGV are)."""
    return resources.files("server.store").joinpath("lua", f"{name}.lua").read_text("utf-8")


COMMIT_LUA = _lua("commit")
COMPACT_LUA = _lua("compact")
LOAD_LUA = _lua("load")
LOG_LUA = _lua("log")
DELETE_LUA = _lua("delete")
TOUCH_LUA = _lua("touch")
UPDATE_META_LUA = _lua("update_meta")


CLUSTER_SCHEMES = ("redis+cluster://", "rediss+cluster://")


class _OneServer:
    """A single Redis: every channel on one node."""

    def __init__(self, url: str, options: dict[str, Any]) -> None:
        self.url, self.options = url, options

    def nodes(self) -> list[str]:
        return ["redis"]

    def node_for(self, channel: str) -> str:
        return "redis"

    def client(self, node: str) -> Any:
        return Redis.from_url(self.url, **self.options)


class _ClusterShards:
    """A Redis Cluster: a board's channel is on the master of its slot."""

    def __init__(self, cluster: Any, options: dict[str, Any]) -> None:
        self.cluster, self.options = cluster, options

    def nodes(self) -> list[str]:
        return [node.name for node in self.cluster.get_primaries()]

    def node_for(self, channel: str) -> str:
        name: str = self.cluster.get_node_from_key(channel).name
        return name

    def client(self, node: str) -> Any:
        host, _, port = node.rpartition(":")
        return Redis(host=host, port=int(port), **self.options)


class _Keys:
    __slots__ = ("bus", "els", "log", "meta", "people", "pushes", "pushz", "snapdata", "snapmeta",
                 "snaps", "tombs", "turn")

    def __init__(self, board: str) -> None:
        p = f"tt:{{{board}}}:"
        self.meta, self.els, self.tombs, self.log = p + "meta", p + "els", p + "tombs", p + "log"
        self.people, self.snaps = p + "people", p + "snaps"
        self.snapmeta, self.snapdata, self.bus = p + "snapmeta", p + "snapdata", channel(board)
        self.turn = p + "turn"
        self.pushes, self.pushz = p + "pushes", p + "pushz"


@contextlib.contextmanager
def _guard(what: str) -> Iterator[None]:
    """Redis failures (down, frozen, loading, OOM, read-only) -> Unavailable."""
    try:
        yield
    except StoreError:
        raise
    except (RedisError, OSError, TimeoutError) as exc:
        raise Unavailable(f"redis: {what} failed: {exc}") from exc


class RedisStore:
    name = "redis"
    shared = True
    problem: str | None = None  # /healthz: Redis cannot be reached (the default reason)

    def __init__(
        self,
        url: str,
        *,
        history_clocks: int = 100_000,
        history_ms: int = 24 * 3600 * 1000,
        socket_timeout: float = 2.0,
        commit_budget_ms: int = 1000,
        turn_ms: int = 20,
        start_wait_s: float = 30.0,
    ) -> None:
        self.url = url
        self.history_clocks = history_clocks
        self.history_ms = history_ms
        self.commit_budget_ms = commit_budget_ms
        self.turn_ms = turn_ms
        self.start_wait_s = start_wait_s
        self.origin = uuid.uuid4().hex[:12]  # this process on the bus
        common: dict[str, Any] = {
            "socket_connect_timeout": min(1.0, socket_timeout), "socket_keepalive": True,
        }
        self.cluster = url.startswith(CLUSTER_SCHEMES)
        plain_url = "redis" + url[url.index("://"):] if self.cluster else url
        # Retry only what surely did not reach Redis or is idempotent: a commit
        # whose reply was lost comes back as "dup" (see COMMIT_LUA).
        retry = Retry(ExponentialBackoff(cap=0.2, base=0.02), 2,
                      supported_errors=(RedisConnectionError,))
        client = RedisCluster if self.cluster else Redis
        self.redis: Any = client.from_url(plain_url, socket_timeout=socket_timeout, retry=retry,
                                          **common)
        self._probe: Any = client.from_url(plain_url, socket_timeout=0.5,
                                           retry=Retry(NoBackoff(), 0), **common)
        self._commit = self.redis.register_script(COMMIT_LUA)
        self._compact = self.redis.register_script(COMPACT_LUA)
        self._update_meta = self.redis.register_script(UPDATE_META_LUA)
        self._read_board = self.redis.register_script(LOAD_LUA)
        self._read_log = self.redis.register_script(LOG_LUA)
        self._touch = self.redis.register_script(TOUCH_LUA)
        self._delete = self.redis.register_script(DELETE_LUA)
        bus_options = {"socket_timeout": socket_timeout, **common, "retry": Retry(NoBackoff(), 0)}
        shards: Shards = (_ClusterShards(self.redis, bus_options) if self.cluster
                          else _OneServer(plain_url, bus_options))
        self.bus = RedisBus(shards, self.origin)
        self._offset_ms = 0.0  # Redis time minus ours
        self._synced = -1e9
        self._closed = False

    # -- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        delay, deadline = 0.05, time.monotonic() + self.start_wait_s
        while True:
            try:
                await self._sync_clock()
                for script in (self._commit, self._compact, self._update_meta,
                               self._read_board, self._read_log):
                    await self.redis.script_load(script.script)
                break
            except (RedisError, OSError) as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"cannot reach Redis at {self._where}: {exc}") from exc
                log.warning("waiting for Redis at %s: %s", self._where, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
        await self.bus.start()

    @property
    def _where(self) -> str:
        return self.url.split("@")[-1]

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self.bus.close()
        for client in (self.redis, self._probe):
            with contextlib.suppress(Exception):
                await client.aclose()

    async def healthy(self) -> bool:
        try:
            return bool(await self._probe.ping()) and self.bus.up
        except (RedisError, OSError, TimeoutError):
            return False

    async def _sync_clock(self, force: bool = False) -> None:
        """Measure Redis's clock against ours (commit deadlines are in Redis time)."""
        t0 = time.time()
        sec, usec = await self.redis.time()
        t1 = time.time()
        if t1 - t0 < 0.1 or self._synced < 0 or force:
            self._offset_ms = (sec * 1000 + usec / 1000) - (t0 + t1) * 500
            self._synced = time.monotonic()

    # -- secret, boards ----------------------------------------------------------

    async def secret(self) -> bytes:
        with _guard("secret"):
            value = await self.redis.get("tt:secret")
            if value is None:
                await self.redis.set("tt:secret", os.urandom(32), nx=True)
                value = await self.redis.get("tt:secret")
        if not value:
            raise Unavailable("redis: the secret vanished")
        return bytes(value)

    async def create_board(self, meta: BoardMeta, first: Change | None) -> None:
        fields = {"title": meta.title, "template": meta.template,
                  "generation": meta.generation, "created": meta.created,
                  "session": json.dumps(meta.session), "lang": meta.lang, "clock": 0, "floor": 0}
        args = self._commit_args(meta.board, "new", 0, [first] if first else [], fields)
        result = await self._eval_commit(meta.board, args, deadline=False)
        if result[0] != b"ok":
            raise StoreError(f"board {meta.board} exists already")

    async def get_meta(self, board: str) -> BoardMeta | None:
        with _guard("get_meta"):
            row = await self.redis.hmget(
                _Keys(board).meta,
                ["title", "template", "generation", "created", "session", "lang"],
            )
        if row[0] is None:
            return None
        lang = row[5].decode() if row[5] is not None else "en"  # boards made before: English
        return BoardMeta(board, row[0].decode(), row[1].decode(), int(row[2]), int(row[3]),
                         json.loads(row[4]), lang)

    async def update_meta(self, board: str, **fields: Any) -> None:
        allowed = {"title", "generation", "session"}
        if set(fields) - allowed:
            raise RuntimeError(f"update_meta takes only {sorted(allowed)}")
        args: list[Any] = []
        for key, value in fields.items():
            args += [key, json.dumps(value) if key == "session" else value]
        with _guard("update_meta"):
            await self._update_meta(keys=[_Keys(board).meta], args=args)

    async def load(self, board: str) -> BoardState:
        k = _Keys(board)
        with _guard("load"):
            clock, floor, els, tombs, pushes = await self._read_board(
                keys=[k.meta, k.els, k.tombs, k.pushes]
            )
        if clock is None:
            raise KeyError(board)
        state = BoardState(board, clock=int(clock), floor=int(floor or 0), hidden_floor=int(clock))
        state.elements = {els[i].decode(): _unpack(els[i + 1]) for i in range(0, len(els), 2)}
        raw_tombs = {tombs[i].decode(): tombs[i + 1] for i in range(0, len(tombs), 2)}
        for eid, blob in raw_tombs.items():
            tomb = _unpack(blob)  # [clock, time] (older servers) or + [by, element]
            state.tombstones[eid] = (tomb[0], tomb[1])
            if len(tomb) >= 4:
                state.graves[eid] = (tomb[2], tomb[3])
        for i in range(0, len(pushes), 2):
            push = _unpack(pushes[i + 1])
            state.pushes[pushes[i].decode()] = (push[0], push[1])
        before, remembered = dict(state.tombstones), set(state.pushes)
        if state.compact(now=int(time.time() * 1000), max_age_ms=self.history_ms,
                         max_clocks=self.history_clocks):
            args: list[Any] = [state.floor]
            for eid in before.keys() - state.tombstones.keys():
                args += [eid, raw_tombs[eid]]
            with _guard("compact"):
                await self._compact(keys=[k.meta, k.tombs, k.log], args=args)
        forgotten = list(remembered - state.pushes.keys())
        if forgotten:
            with _guard("compact"):
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.hdel(k.pushes, *forgotten).zrem(k.pushz, *forgotten)
                    await pipe.execute()
        return state

    # -- the commit path ---------------------------------------------------------

    async def commit(self, board: str, changes: list[Change]) -> None:
        if not changes:
            return
        base = changes[0].clock - 1
        args = self._commit_args(board, "commit", base, changes, {})
        resynced = False
        for _ in range(100):
            result = await self._eval_commit(board, args)
            if result[0] == b"wait":  # a process that lost a race has its turn:
                # wait until its change comes by on the bus (or the turn lapses)
                await self.bus.wait_past(board, base, min(int(result[1]), self.turn_ms) / 1000)
            elif result[0] == b"late" and not resynced:
                # Redis ran it after our deadline: it is overloaded, or our idea
                # of its clock drifted; measure again and try once more
                resynced = True
                with _guard("commit"):
                    await self._sync_clock(force=True)
            else:
                break
        status = result[0]
        if status in (b"ok", b"dup"):
            if time.monotonic() - self._synced > 60:
                with contextlib.suppress(RedisError, OSError, TimeoutError):
                    await self._sync_clock()
            return
        if status in (b"conflict", b"missing"):
            missed = self._missed_records(base, result)
            raise ClockConflict(f"board {board} is not at {base}",
                                missed=missed or None, behind=missed is None)
        if status == b"late":
            raise Unavailable("redis: the commit ran too late and was refused")
        raise Unavailable(f"redis: commit refused: {result!r}")

    def _commit_args(
        self, board: str, mode: str, base: int, changes: list[Change], meta: dict[str, Any]
    ) -> list[Any]:
        args: list[Any] = [mode, 0, base, _Keys(board).bus, _CHANGE_PREFIX, self.history_clocks,
                           self.origin, self.turn_ms, len(meta)]
        for key, value in meta.items():
            args += [key, value]
        args.append(len(changes))
        for change in changes:
            record = _pack(change.log_record())
            if record[0] not in (0x84, 0x85):
                raise RuntimeError("a log record must be a map of four or five keys")
            puts: list[Any] = []
            dels: list[str] = []
            tombs: list[Any] = []
            untombs: list[str] = []
            for eid, el in change.after.items():
                if el is None:
                    dels.append(eid)
                    was = change.before.get(eid)
                    if was is not None:
                        tombs += [eid, _pack([change.clock, change.time, change.by, was])]
                else:
                    puts += [eid, _pack(el)]
                    if eid in change.tombs_before:
                        untombs.append(eid)
            push = [] if change.push is None else [
                change.push, _pack([change.clock, change.time])
            ]
            args += [change.clock, record, len(puts) // 2, *puts, len(dels), *dels,
                     len(tombs) // 2, *tombs, len(untombs), *untombs, len(push) // 2, *push]
        return args

    async def _eval_commit(self, board: str, args: list[Any], deadline: bool = True) -> list[Any]:
        k = _Keys(board)
        if deadline:
            args[1] = int(time.time() * 1000 + self._offset_ms + self.commit_budget_ms)
        with _guard("commit"):
            result: list[Any] = await self._commit(
                keys=[k.meta, k.els, k.tombs, k.log, k.turn, k.pushes, k.pushz], args=args
            )
        return result

    @staticmethod
    def _missed_records(
        base: int, result: list[Any]
    ) -> list[dict[str, Any]] | Literal[False] | None:
        """From a conflict reply: the records after ``base``, None if Redis is
        behind ``base`` (it lost acked changes: the room must reload), False if
        the reply does not hold them all (``changes_since`` reads them)."""
        if result[0] != b"conflict":
            return False
        stored = int(result[1])
        if stored < base:
            return None
        records = [_unpack(blob) for blob in result[2:]]
        if len(records) != stored - base or any(
            r["clock"] != base + 1 + i for i, r in enumerate(records)
        ):
            return False
        return records

    async def changes_since(self, board: str, clock: int) -> list[dict[str, Any]] | None:
        k = _Keys(board)
        with _guard("changes_since"):
            stored, entries = await self._read_log(
                keys=[k.meta, k.log], args=[f"{max(clock + 1, 0)}-0"]
            )
        if stored is None or clock >= int(stored):
            return []
        if not entries or int(entries[0][0].split(b"-")[0]) != clock + 1:
            return None
        return [_unpack(fields[1]) for _, fields in entries]  # fields: [b"r", record]

    # -- snapshots, participants -------------------------------------------------

    async def save_snapshot(
        self, board: str, meta: SnapshotMeta, elements: list[dict[str, Any]]
    ) -> None:
        k = _Keys(board)
        data = await asyncio.to_thread(encode_list, elements, "msgpack")  # off the loop
        with _guard("save_snapshot"):
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hset(k.snapmeta, meta.snapshot, json.dumps(meta.to_dict()))
                pipe.hset(k.snapdata, meta.snapshot, data)
                pipe.lrem(k.snaps, 0, meta.snapshot).lpush(k.snaps, meta.snapshot)
                await pipe.execute()

    async def list_snapshots(self, board: str) -> list[SnapshotMeta]:
        k = _Keys(board)
        with _guard("list_snapshots"):
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.lrange(k.snaps, 0, -1).hgetall(k.snapmeta)
                order, metas = await pipe.execute()
        found = [SnapshotMeta(**json.loads(metas[sid])) for sid in order if sid in metas]
        ranked = sorted(enumerate(found), key=lambda p: (p[1].created_at, p[1].clock, -p[0]),
                        reverse=True)
        return [meta for _, meta in ranked]

    async def get_snapshot(
        self, board: str, snapshot: str
    ) -> tuple[SnapshotMeta, list[dict[str, Any]]] | None:
        k = _Keys(board)
        with _guard("get_snapshot"):
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.hget(k.snapmeta, snapshot).hget(k.snapdata, snapshot)
                meta, data = await pipe.execute()
        if meta is None or data is None:
            return None
        return SnapshotMeta(**json.loads(meta)), await asyncio.to_thread(decode_list, data)

    async def save_participant(self, board: str, participant: dict[str, Any]) -> None:
        with _guard("save_participant"):
            await self.redis.hset(_Keys(board).people, participant["id"], json.dumps(participant))

    async def list_participants(self, board: str) -> list[dict[str, Any]]:
        with _guard("list_participants"):
            rows = await self.redis.hgetall(_Keys(board).people)
        return [json.loads(data) for data in rows.values()]

    # -- the bus -------------------------------------------------------------------

    async def subscribe(self, board: str, handler: BusHandler) -> None:
        await self.bus.subscribe(board, handler)

    async def unsubscribe(self, board: str) -> None:
        await self.bus.unsubscribe(board)

    async def publish(self, board: str, message: dict[str, Any]) -> None:
        with _guard("publish"):
            await self.redis.spublish(_Keys(board).bus,
                                      _pack({**message, "origin": self.origin}))

    # -- life cycle of whole boards ----------------------------------------------

    async def delete_board(self, board: str) -> bool:
        k = _Keys(board)
        known = [k.meta, k.els, k.tombs, k.log, k.people, k.snaps, k.snapmeta, k.snapdata, k.turn]
        with _guard("delete_board"):
            # every key of the board, also those newer code adds (one slot: one DEL)
            pattern = "tt:{" + _glob_escape(board) + "}:*"
            found = [key async for key in self.redis.scan_iter(match=pattern, count=500)]
            keys = list(dict.fromkeys([*known, *(key.decode() for key in found)]))
            existed = await self._delete(keys=keys)
        if existed:
            await self.publish(board, {"type": "deleted"})
        return bool(existed)

    async def list_boards(self) -> list[BoardSummary]:
        with _guard("list_boards"):
            boards = [key.decode()[4:-6] async for key in
                      self.redis.scan_iter(match="tt:{*}:meta", count=1000)]
            out: list[BoardSummary] = []
            for start in range(0, len(boards), 200):
                chunk = boards[start:start + 200]
                async with self.redis.pipeline(transaction=False) as pipe:
                    for board in chunk:
                        k = _Keys(board)
                        pipe.hmget(k.meta, ["title", "template", "created", "active", "clock"])
                        pipe.hlen(k.els).llen(k.snaps)
                    rows = await pipe.execute()
                for i, board in enumerate(chunk):
                    meta, elements, snapshots = rows[3 * i: 3 * i + 3]
                    if meta[0] is None:
                        continue  # deleted meanwhile
                    created = int(meta[2] or 0)
                    out.append(BoardSummary(
                        board, meta[0].decode(), (meta[1] or b"").decode(), created,
                        max(created, int(meta[3] or 0)), int(meta[4] or 0), elements, snapshots,
                    ))
        return out

    async def touch(self, board: str, at: int) -> None:
        with _guard("touch"):
            await self._touch(keys=[_Keys(board).meta], args=[at])


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)
