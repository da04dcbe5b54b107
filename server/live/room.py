"""One live board in this process: its connections, commits and fan-out.

Pushes queue up as jobs; one committer task takes every queued job at once,
computes their changes on the live state (``board.apply``), makes the whole
group durable in one ``store.commit`` and only then acks and fans out, in
clock order. If the store refuses, the tentative changes are reverted and
nothing was applied. Fan-out encodes each patch once per encoding and only
enqueues it on each connection: the room never waits for a reader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from schemas.messages import PROTOCOL_VERSION
from server.core import errors
from server.core.board import (
    Actor,
    BoardState,
    Change,
    Rejection,
    Unchanged,
    apply,
    change_from_record,
    private_count,
    push_key,
    restore_ops,
    visible_ops,
    visible_to,
)
from server.core.bulk import ElementFrames, encode_list, splice
from server.core.clock import now_ms
from server.core.codec import Encoding, Frame, Outgoing
from server.core.presence import Presence
from server.live.metrics import Metrics
from server.live.pacing import Pacing
from server.live.reads import Reads, off_loop
from server.settings import Settings
from server.store import BoardMeta, ClockConflict, Store

log = logging.getLogger("tussentafel.room")

MAX_RETRIES = 8
PRIVATE_COUNT_S = 0.5  # the private_count event goes out at most twice a second
SAVE_PARTICIPANT_AFTER_S = 0.0  # after the group: never in front of its acks


class Connection(Protocol):
    """What a room needs of a client connection (``ws.WsConnection`` in the server)."""

    id: str
    actor: Actor
    encoding: Encoding
    generation: int

    def send(self, message: Outgoing, *, bounded: bool = True) -> None:
        """Enqueue without waiting; a connection too far behind closes itself
        (``bounded=False``: the welcome, which does not count against that)."""
        ...

    def close(self, code: int, reason: str) -> None: ...

    def reserve_welcome(self, size: int) -> bool:
        """Hold ``size`` bytes of the process's budget of unread welcomes for
        this joiner's welcome; False when it is full (the join is refused)."""
        ...


@dataclass(frozen=True, slots=True)
class _Seen:
    """A push committed before (its id is remembered): answered, not applied."""

    clock: int
    time: int
    change: Change | None = None  # the change of this very group, not durable yet


@dataclass(slots=True, eq=False)
class _Job:
    actor: Actor
    ops: Any = None
    conn: Connection | None = None  # the pusher: gets the ack, not the patch
    push_id: Any = None
    restore: bool = False
    record: dict[str, Any] | None = None  # a change committed by another process
    future: asyncio.Future[Change | Unchanged | Rejection] | None = None
    tries: int = 0
    at: float = 0.0  # perf_counter when the push arrived (ack latency)


def _prepare(state: BoardState) -> None:
    """A state just loaded: points made compact, the budget in use measured."""
    state.settle()
    state.usage()


class Room:
    def __init__(
        self,
        meta: BoardMeta,
        state: BoardState,
        store: Store,
        settings: Settings,
        participants: list[dict[str, Any]] | None = None,
        metrics: Metrics | None = None,
        pacing: Pacing | None = None,
    ) -> None:
        self.board = meta.board
        self.metrics = metrics or Metrics()
        self.pacing = pacing or Pacing(settings)
        self.meta = meta
        self.state = state
        self.store = store
        self.settings = settings
        self.conns: dict[str, Connection] = {}
        self.presence = Presence(participants)
        self.lock = asyncio.Lock()  # held while a group is in flight: state is tentative
        self._jobs: deque[_Job] = deque()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Task[None]] = set()
        self.on_change: list[Any] = []  # callbacks(room, change) after fan-out (insights)
        self._count_sent = private_count(state, self.private_scope)
        self._count_task: asyncio.Task[None] | None = None
        self.on_bus: dict[str, Any] = {}  # bus message type -> callback(room, message)
        # big reads, encoded once per clock off the event loop
        self.reads = Reads(on_made=self._count_read)
        self.frames = {"msgpack": ElementFrames("msgpack"), "json": ElementFrames("json")}

    def _count_read(self, key: Any) -> None:
        self.metrics.big_reads.labels(str(key[0]) if isinstance(key, tuple) else str(key)).inc()

    # -- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        await off_loop(_prepare, self.state)
        await self.store.subscribe(self.board, self._on_bus)
        self._tasks = [
            asyncio.create_task(self._commit_loop(), name=f"commit:{self.board}"),
            asyncio.create_task(self._presence_loop(), name=f"presence:{self.board}"),
        ]

    async def stop(self) -> None:
        await self.store.unsubscribe(self.board)
        for task in self._tasks:
            task.cancel()
        if self._count_task is not None:
            self._count_task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for job in self._jobs:
            if job.future is not None and not job.future.done():
                job.future.set_result(Rejection(errors.UNAVAILABLE, "the board closed"))

    # -- joining -----------------------------------------------------------------

    @property
    def session(self) -> dict[str, Any]:
        return self.meta.session

    @property
    def private_scope(self) -> str | None:
        if not self.session.get("private"):
            return None
        return str(self.session.get("private_frame") or "")

    async def join(self, conn: Connection, name: str, since: int | None) -> bool:
        """Send the welcome and start delivering to ``conn``, between two groups
        so that it never sees a change the store has not made durable.

        The elements are encoded off the event loop (in runs, once per clock
        and encoding for everyone who may see the whole board) and the welcome
        is queued outside the connection's bound: a board within its budget
        can always be joined (docs/protocol.md §6). The process bounds the sum
        of unread welcomes instead: False (nobody has seen the joiner) when
        that budget cannot take this one."""
        async with self.lock:
            actor = conn.actor
            catch_up = None if since is None else self.state.catch_up(
                since, actor, max_clocks=self.settings.history_clocks
            )
            clock = self.state.clock
            deleted: list[str] = []
            if catch_up is None:
                segment = await self._elements_segment(actor, conn.encoding)
            else:
                elements, deleted = catch_up
                segment = await off_loop(encode_list, elements, conn.encoding)
            # nothing awaits from here on: the welcome and the registration are
            # one step, so no patch, presence or event falls between them. The
            # budget is asked before presence, so that a refused joiner is not
            # shown to the others coming and going.
            if not conn.reserve_welcome(len(segment)):
                return False
            entry = self.presence.join(actor.participant, name, actor.role)
            welcome = {
                "type": "welcome",
                "protocol": PROTOCOL_VERSION,
                "board": self.board,
                "clock": clock,
                "role": actor.role,
                "you": actor.participant,
                "full": catch_up is None,
                "elements": [],
                "deleted": deleted,
                "participants": self.presence.listed(self.settings.max_listed_participants),
                "session": self.public_session(),
                "time": now_ms(),
                "lang": self.meta.lang,
            }
            frame = splice(welcome, conn.encoding, {"elements": segment})
            conn.send(Outgoing.encoded(welcome, conn.encoding, frame), bounded=False)
            self.conns[conn.id] = conn
        if actor.role != "viewer" and self.presence.is_kept(actor.participant):
            self._save_participant(entry)
        return True

    async def _elements_segment(self, actor: Actor, encoding: Encoding) -> Frame:
        """The encoded elements ``actor`` sees of the whole board (under the lock)."""
        elements = self.state.elements.values()
        frames = self.frames[encoding]
        if actor.facilitator or not any(el.get("private") is True for el in elements):
            whole: Frame = await self.reads.get(
                ("elements", encoding), self.state.clock,
                lambda: off_loop(frames.encode, list(elements)),
            )
            return whole
        visible = [el for el in elements if visible_to(el, actor)]
        return await off_loop(frames.encode, visible)

    def _save_participant(self, entry: dict[str, Any]) -> None:
        """Store a participant's record a little later: the first push of
        someone new must not wait behind an extra write in the store."""
        record = dict(entry, online=False)

        def start() -> None:
            task = asyncio.create_task(self._store_participant(record))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

        asyncio.get_running_loop().call_later(SAVE_PARTICIPANT_AFTER_S, start)

    async def _store_participant(self, entry: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):
            await self.store.save_participant(self.board, entry)

    def leave(self, conn: Connection) -> None:
        if self.conns.pop(conn.id, None) is not None:
            self.presence.leave(conn.actor.participant)

    def public_session(self) -> dict[str, Any]:
        s = self.session
        return {
            "timer": s.get("timer"),
            "follow": s.get("follow"),
            "private": bool(s.get("private")),
            "private_frame": s.get("private_frame"),
            "private_count": private_count(self.state, self.private_scope),
            "present": s.get("present"),
            "present_insights": bool(s.get("present_insights")),
        }

    # -- changes -----------------------------------------------------------------

    def push(self, conn: Connection, push_id: Any, ops: Any) -> None:
        self._jobs.append(_Job(conn.actor, ops, conn, push_id, at=time.perf_counter()))
        self._wake.set()

    async def submit(
        self, actor: Actor, ops: list[dict[str, Any]], *, restore: bool = False
    ) -> Change | Unchanged | Rejection:
        """A change made by the server on someone's behalf (lock, reveal); with
        ``restore``, ``ops`` are a snapshot's elements, diffed when the job runs."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Change | Unchanged | Rejection] = loop.create_future()
        self._jobs.append(_Job(actor, ops, restore=restore, future=future))
        self._wake.set()
        return await future

    async def _commit_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._jobs:
                async with self.lock:
                    group = list(self._jobs)
                    self._jobs.clear()
                    try:
                        await self._run_group(group)
                    except Exception:  # never let one bad group stop the board
                        log.exception("board %s: commit group failed", self.board)
                        for job in group:
                            self._answer(job, Rejection(errors.UNAVAILABLE, "internal error"))

    async def _run_group(self, group: list[_Job]) -> None:
        remote = [job for job in group if job.record is not None]
        for job in remote:
            await self._apply_record(job.record)  # type: ignore[arg-type]
        local = [job for job in group if job.record is None]
        if not local:
            return
        now = now_ms()
        results: list[tuple[_Job, Change | Unchanged | Rejection | _Seen]] = []
        applied: list[Change] = []
        durable = self.state.clock
        tentative: dict[int, Change] = {}
        noops: list[str] = []  # push keys of batches that changed nothing, remembered too
        for job in local:
            key = None if job.conn is None else push_key(job.actor.participant, job.push_id)
            seen = None if key is None else self.state.pushes.get(key)
            if seen is not None:  # a re-send: the original ack, nothing applied
                results.append((job, _Seen(*seen, change=tentative.get(seen[0]))))
                continue
            if job.restore:  # a whole snapshot: diffed and checked in a worker thread
                result = await off_loop(self._apply, job, now)
            else:
                result = self._apply(job, now)
            if isinstance(result, Change):
                result.push = key
                self.state.advance(result)
                applied.append(result)
                tentative[result.clock] = result
            elif isinstance(result, Unchanged) and key is not None:
                # a re-send must get this ack too, not apply over what others
                # changed since (kept in memory only: there is no change to log)
                self.state.pushes[key] = (result.clock, now)
                noops.append(key)
            results.append((job, result))
        if applied:
            started = time.perf_counter()
            try:
                await self.store.commit(self.board, applied)
                self.metrics.commit_seconds.observe(time.perf_counter() - started)
                self.metrics.changes.inc(len(applied))
            except ClockConflict as conflict:
                self._revert(applied)
                self._forget(noops)
                await self.catch_up(conflict)
                retry = [job for job in local if job.tries < MAX_RETRIES]
                for job in local:
                    job.tries += 1
                    if job.tries > MAX_RETRIES:
                        self._answer(job, Rejection(errors.UNAVAILABLE, "the board is too busy"))
                self._jobs.extendleft(reversed(retry))
                return
            except Exception as exc:
                self._revert(applied)
                self._forget(noops)
                log.warning("board %s: store refused %d changes: %s", self.board, len(applied), exc)
                refusal = Rejection(errors.UNAVAILABLE, "the store cannot take changes now")
                # an Unchanged may name a clock that was just reverted, a re-send
                # one of this group: refused too
                results = [
                    (job, refusal if isinstance(r, Change | Unchanged) or (
                        isinstance(r, _Seen) and r.change is not None) else r)
                    for job, r in results
                ]
        for job, outcome in results:
            if isinstance(outcome, Change):
                self._deliver(outcome, origin=job.conn)
                if self.presence.keep(job.actor.participant):
                    self._save_participant(self.presence.entries[job.actor.participant])
            self._answer(job, outcome)
        if self.state.clock // 1000 > durable // 1000:  # now and then: forget old push ids
            settings = self.settings
            self.state.forget_pushes(now=now, max_age_ms=settings.history_ms,
                                     max_clocks=settings.history_clocks)

    def _apply(self, job: _Job, now: int) -> Change | Unchanged | Rejection:
        """``board.apply`` of one job (pure: the state is only read; the room's
        lock is held, so nothing changes it meanwhile)."""
        ops = restore_ops(self.state, job.ops) if job.restore else job.ops
        return apply(
            self.state, ops, job.actor, now,
            private_scope=self.private_scope, restore=job.restore,
            max_ops=self.settings.max_ops, max_elements=self.settings.max_elements,
            max_bytes=self.settings.max_board_bytes,
            max_points=self.settings.max_board_points,
        )

    def _revert(self, applied: list[Change]) -> None:
        for change in reversed(applied):
            self.state.revert(change)

    def _forget(self, keys: list[str]) -> None:
        for key in keys:
            self.state.pushes.pop(key, None)

    def _answer(self, job: _Job, result: Change | Unchanged | Rejection | _Seen) -> None:
        if isinstance(result, Rejection):
            self.metrics.rejects.labels(result.code).inc()
        if job.future is not None and not job.future.done() and not isinstance(result, _Seen):
            job.future.set_result(result)
        if job.conn is None:
            return
        if isinstance(result, Change | _Seen):
            ack: dict[str, Any] = {
                "type": "ack", "id": job.push_id, "ok": True,
                "clock": result.clock, "time": result.time,
            }
        elif isinstance(result, Unchanged):  # nothing new: the clock it saw
            noted = self.state.pushes.get(push_key(job.actor.participant, job.push_id))
            ack = {"type": "ack", "id": job.push_id, "ok": True, "clock": result.clock,
                   "time": noted[1] if noted and noted[0] == result.clock else now_ms()}
        else:
            ack = {
                "type": "ack", "id": job.push_id, "ok": False,
                "code": result.code, "message": result.message,
            }
            if result.op is not None:
                ack["op"] = result.op
        job.conn.send(Outgoing(ack))
        self.metrics.ack_seconds.observe(time.perf_counter() - job.at)

    def _deliver(self, change: Change, origin: Connection | None) -> None:
        """Fan a committed change out to every other connection, encoded once."""
        message = {
            "type": "patch", "clock": change.clock, "by": change.by,
            "time": change.time, "ops": change.ops,
        }
        if not change.touches_private:
            out = Outgoing(message)
            for conn in self.conns.values():
                if conn is not origin:
                    conn.send(out)
        else:
            variants: dict[str, Outgoing] = {}
            for conn in self.conns.values():
                if conn is origin:
                    continue
                actor = conn.actor
                key = "*" if actor.facilitator else actor.participant
                if key not in variants:
                    variants[key] = Outgoing({**message, "ops": visible_ops(change, actor)})
                conn.send(variants[key])
        for callback in self.on_change:
            callback(self, change)
        if change.touches_private and self.private_scope is not None:
            self.count_private()

    def private_count_now(self) -> int:
        """The count for a ``private`` event (start, stop), recorded as sent."""
        self._count_sent = private_count(self.state, self.private_scope)
        return self._count_sent

    def count_private(self) -> None:
        """Send ``private_count`` soon if it changed (at most twice a second)."""
        if self._count_task is None or self._count_task.done():
            self._count_task = asyncio.create_task(self._send_count())

    async def _send_count(self) -> None:
        count = private_count(self.state, self.private_scope)
        if count != self._count_sent:
            self._count_sent = count
            self.broadcast({"type": "event", "name": "private_count", "count": count},
                           publish=False)  # every process counts its own state
        await asyncio.sleep(PRIVATE_COUNT_S)
        if private_count(self.state, self.private_scope) != self._count_sent:
            self._count_task = None
            self.count_private()

    # -- other processes (shared stores) -------------------------------------------

    async def _on_bus(self, board: str, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind in ("change", "resync"):  # resync: the bus may have missed changes
            self._jobs.append(_Job(Actor("", "viewer"), record=message))
            self._wake.set()
        elif kind == "presence":
            self.presence.merge_remote(message.get("participants", []))
        elif kind == "event":
            self.broadcast(message.get("event", {}), publish=False)
            if isinstance(message.get("session"), dict):
                self.meta.session = message["session"]
        elif kind == "rotate":
            self.meta.generation = int(message.get("generation", self.meta.generation))
            self.close_older(self.meta.generation)
        elif isinstance(kind, str) and kind in self.on_bus:
            self.on_bus[kind](self, message)

    async def _apply_record(self, record: dict[str, Any]) -> None:
        if record.get("type") == "resync":
            await self.catch_up()
            return
        clock = record.get("clock", 0)
        if clock <= self.state.clock:
            return  # ours, or already caught up
        if clock > self.state.clock + 1:
            await self.catch_up()
            return
        change = change_from_record(self.state, record)
        self.state.advance(change)
        self._deliver(change, origin=None)

    async def catch_up(self, conflict: ClockConflict | None = None) -> None:
        """Bring the state up to the store's clock (another process wrote);
        a refused commit's ``conflict`` may already carry what was missed."""
        if conflict is not None and conflict.behind:
            records: list[dict[str, Any]] | None = None
        elif conflict is not None and conflict.missed is not None:
            records = conflict.missed
        else:
            records = await self.store.changes_since(self.board, self.state.clock)
        if records is None:
            self.state = await self.store.load(self.board)
            await off_loop(_prepare, self.state)
            for conn in list(self.conns.values()):
                conn.close(errors.CLOSE_TRY_AGAIN, "board reloaded: reconnect")
            return
        for record in records:
            if record["clock"] == self.state.clock + 1:
                change = change_from_record(self.state, record)
                self.state.advance(change)
                self._deliver(change, origin=None)

    # -- events, presence ---------------------------------------------------------

    def broadcast(self, event: dict[str, Any], *, publish: bool = True) -> None:
        hidden = self._private_ids(event)
        if hidden:  # a lock event names private elements: only to those who see them
            variants: dict[str, Outgoing] = {}
            for conn in self.conns.values():
                actor = conn.actor
                key = "*" if actor.facilitator else actor.participant
                if key not in variants:
                    ids = [eid for eid in event["ids"]
                           if eid not in hidden or visible_to(hidden[eid], actor)]
                    variants[key] = Outgoing({**event, "ids": ids})
                conn.send(variants[key])
        else:
            out = Outgoing(event)
            for conn in self.conns.values():
                conn.send(out)
        if publish and self.store.shared:
            task = asyncio.create_task(
                self._publish({"type": "event", "event": event, "session": self.session})
            )
            self._background.add(task)  # keep a reference until it is done
            task.add_done_callback(self._background.discard)

    def _private_ids(self, event: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The private elements a ``lock`` event names (a reveal's are public by then)."""
        ids = event.get("ids") if event.get("name") == "lock" else None
        if not isinstance(ids, list):
            return {}
        found = ((eid, self.state.elements.get(eid)) for eid in ids)
        return {eid: el for eid, el in found if el is not None and el.get("private") is True}

    async def _publish(self, message: dict[str, Any]) -> None:
        try:
            await self.store.publish(self.board, message)
        except Exception as exc:
            log.warning("board %s: publish failed: %s", self.board, exc)

    def close_older(self, generation: int) -> None:
        for conn in list(self.conns.values()):
            if conn.generation < generation:
                conn.close(errors.CLOSE_UNAUTHORIZED, "this link was revoked")

    def point(self, conn: Connection, fields: dict[str, Any]) -> None:
        selection = fields.get("selection")
        if selection:  # everyone sees a selection: never a private element's id
            get = self.state.elements.get
            fields = {**fields, "selection": [
                eid for eid in selection if (get(eid) or {}).get("private") is not True]}
        self.presence.point(conn.actor.participant, fields)

    async def _presence_loop(self) -> None:
        beat = 0.0
        while True:
            interval = self.pacing.presence_interval  # lower under a process-wide budget
            await asyncio.sleep(interval)
            beat += interval
            if self.store.shared:
                self.presence.expire()  # participants of a process that died
            changed = self.presence.take_dirty()
            if changed:
                out = Outgoing({"type": "presence", "participants": changed})
                for conn in self.conns.values():
                    conn.send(out)
            if self.store.shared:
                # only our own participants (a merged remote entry is not echoed
                # back), all of them every ~3 s so that others do not expire them
                heartbeat = beat >= 3.0
                beat = 0.0 if heartbeat else beat
                mine = self.presence.outgoing(changed, heartbeat=heartbeat)
                if mine:
                    await self._publish({"type": "presence", "participants": mine})
