"""The pure core: a board's state and how a batch of ops changes it.

No I/O, no ``await``. ``apply()`` checks a batch against the schemas and the
role rules and returns a ``Change`` (or a ``Rejection``) without touching the
state; ``BoardState.advance()`` then applies it and ``BoardState.revert()``
undoes it (the room reverts tentative changes when the store cannot make them
durable). Elements are never mutated in place: a change makes new dicts, so an
element may be shared by the state, a change and an encoded message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from schemas.elements import ID_PATTERN, STAMPS, ElementError, check_element
from server.core import errors
from server.core.errors import ProtocolError

TokenRole = Literal["facilitator", "participant", "viewer"]
ROLES: Final[tuple[TokenRole, ...]] = ("facilitator", "participant", "viewer")

MAX_OPS: Final = 500
MAX_ELEMENTS: Final = 20_000
SYSTEM: Final = "system"  # the ``by`` of changes made by the server itself (templates)

Element = dict[str, Any]
_IMMUTABLE: Final = frozenset({"id", "kind"})
_STAMPS: Final = frozenset(STAMPS)


_ID = re.compile(ID_PATTERN[1:-1])


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change: a participant id and the role of their token."""

    participant: str
    role: TokenRole

    @property
    def facilitator(self) -> bool:
        return self.role == "facilitator"


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a batch was refused as a whole; ``op`` is the index of the op at fault."""

    code: errors.Code
    message: str
    op: int | None = None


@dataclass(slots=True)
class Change:
    """One accepted batch, stamped with its clock and time.

    ``ops`` is what goes on the wire (puts carry the stamped element).
    ``before``/``after`` map every touched id to its element before and after
    the change (``None``: absent), for undo and for per-recipient privacy.
    """

    clock: int
    time: int
    by: str
    ops: list[dict[str, Any]]
    before: dict[str, Element | None] = field(default_factory=dict)
    after: dict[str, Element | None] = field(default_factory=dict)
    tombs_before: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def touches_private(self) -> bool:
        return any(
            el is not None and el.get("private") is True
            for el in (*self.before.values(), *self.after.values())
        )

    def log_record(self) -> dict[str, Any]:
        """What the change log keeps: enough to replay the change (see ``replay``)."""
        return {"clock": self.clock, "time": self.time, "by": self.by, "ops": self.ops}


@dataclass(slots=True)
class BoardState:
    """One board: its clock, live elements and recent tombstones.

    ``tombstones`` maps a deleted id to ``(clock, time)`` of its deletion.
    ``floor``: catch-up from any ``since >= floor`` is exact (no tombstone
    after it was compacted away).
    """

    board: str
    clock: int = 0
    elements: dict[str, Element] = field(default_factory=dict)
    tombstones: dict[str, tuple[int, int]] = field(default_factory=dict)
    floor: int = 0

    def advance(self, change: Change) -> None:
        """Apply an accepted change. Raises RuntimeError if it is not the next clock."""
        if change.clock != self.clock + 1:
            raise RuntimeError(f"change {change.clock} does not follow clock {self.clock}")
        for eid, el in change.after.items():
            if el is None:
                self.elements.pop(eid, None)
                if change.before.get(eid) is not None:
                    self.tombstones[eid] = (change.clock, change.time)
            else:
                self.elements[eid] = el
                self.tombstones.pop(eid, None)
        self.clock = change.clock

    def revert(self, change: Change) -> None:
        """Undo the last advanced change (the store could not make it durable)."""
        if change.clock != self.clock:
            raise RuntimeError(f"change {change.clock} is not the last one ({self.clock})")
        for eid, el in change.before.items():
            if el is None:
                self.elements.pop(eid, None)
            else:
                self.elements[eid] = el
            self.tombstones.pop(eid, None)
        self.tombstones.update(change.tombs_before)
        self.clock -= 1

    def changes_since(
        self, since: int, *, max_clocks: int = 100_000
    ) -> tuple[list[Element], list[str]] | None:
        """Elements changed and ids deleted after ``since``; None if that is
        not exactly known any more (then the client needs the full board)."""
        if since < 0 or since > self.clock or since < self.floor:
            return None
        if since < self.clock - max_clocks:
            return None
        changed = [el for el in self.elements.values() if el["v"] > since]
        deleted = [eid for eid, (clock, _) in self.tombstones.items() if clock > since]
        return changed, deleted

    def compact(self, *, now: int, max_age_ms: int, max_clocks: int) -> int:
        """Forget tombstones older than the kept history; returns how many."""
        dropped = [
            (eid, clock)
            for eid, (clock, time) in self.tombstones.items()
            if clock <= self.clock - max_clocks or time < now - max_age_ms
        ]
        for eid, clock in dropped:
            del self.tombstones[eid]
            self.floor = max(self.floor, clock)
        return len(dropped)


def apply(
    state: BoardState,
    ops: Any,
    actor: Actor,
    now: int,
    *,
    private_scope: str | None = None,
    restore: bool = False,
    max_ops: int = MAX_OPS,
    max_elements: int = MAX_ELEMENTS,
) -> Change | Rejection:
    """Check a batch and compute the change it makes; the state is not touched.

    Args:
        state: the board as it is.
        ops: the batch's ops as received (validated here).
        actor: who pushes; ``viewer`` may not change anything.
        now: the change's time (Unix ms).
        private_scope: private mode: ``None`` off, ``""`` the whole board, or a
            frame id; a participant's note in scope must be ``private: true``.
        restore: a facilitator's restore: may re-create deleted ids and
            exceed the client batch limit.
        max_ops, max_elements: the batch and board limits (``too_large``).

    Returns:
        the ``Change`` (clock = state.clock + 1), or a ``Rejection`` naming the
        first op at fault: all ops apply, or none.
    """
    if actor.role == "viewer":
        return Rejection(errors.FORBIDDEN, "viewers cannot change the board")
    if not isinstance(ops, list) or (not ops and not restore):
        return Rejection(errors.INVALID, "a push needs a non-empty list of ops")
    if len(ops) > max_ops and not restore:
        return Rejection(errors.TOO_LARGE, f"a batch holds at most {max_ops} ops")
    work = _Batch(state, actor, now, private_scope, restore)
    for index, op in enumerate(ops):
        try:
            work.op(op)
        except ProtocolError as refused:
            return Rejection(refused.code, refused.message, index)
    if len(state.elements) + work.count_delta > max_elements and work.count_delta > 0:
        return Rejection(errors.TOO_LARGE, f"a board holds at most {max_elements} elements")
    return work.change()


class _Batch:
    """The overlay of one batch on a state, op by op."""

    def __init__(
        self, state: BoardState, actor: Actor, now: int, scope: str | None, restore: bool
    ) -> None:
        self.state = state
        self.actor = actor
        self.now = now
        self.clock = state.clock + 1
        self.scope = scope
        self.restore = restore
        self.current: dict[str, Element | None] = {}
        self.before: dict[str, Element | None] = {}
        self.tombs_before: dict[str, tuple[int, int]] = {}
        self.wire: list[dict[str, Any]] = []

    @property
    def count_delta(self) -> int:
        return sum(
            (self.current[eid] is not None) - (self.before[eid] is not None)
            for eid in self.current
        )

    def change(self) -> Change:
        return Change(
            clock=self.clock,
            time=self.now,
            by=self.actor.participant,
            ops=self.wire,
            before=self.before,
            after=self.current,
            tombs_before=self.tombs_before,
        )

    def get(self, eid: str) -> Element | None:
        if eid in self.current:
            return self.current[eid]
        return self.state.elements.get(eid)

    def deleted(self, eid: str) -> bool:
        if eid in self.current:
            return self.current[eid] is None and self.before[eid] is not None
        return eid in self.state.tombstones

    def set(self, eid: str, el: Element | None) -> None:
        if eid not in self.before:
            self.before[eid] = self.state.elements.get(eid)
            if eid in self.state.tombstones:
                self.tombs_before[eid] = self.state.tombstones[eid]
        self.current[eid] = el

    def op(self, op: Any) -> None:
        if not isinstance(op, dict):
            raise ProtocolError(errors.INVALID, "an op must be a map")
        kind = op.get("op")
        if kind == "put":
            self.put(op)
        elif kind == "patch":
            self.patch(op)
        elif kind == "del":
            self.delete(op)
        else:
            raise ProtocolError(errors.INVALID, "op must be put, patch or del")

    def _target(self, op: Mapping[str, Any]) -> tuple[str, Element]:
        eid = op.get("id")
        if not _is_id(eid):
            raise ProtocolError(errors.INVALID, "id must be 1-64 of A-Za-z0-9_-")
        assert isinstance(eid, str)
        existing = self.get(eid)
        if existing is None:
            word = "was deleted" if self.deleted(eid) else "does not exist"
            raise ProtocolError(errors.CONFLICT, f"element {eid} {word}")
        return eid, existing

    def _may_change(self, existing: Element) -> None:
        actor = self.actor
        if actor.facilitator:
            return
        if existing.get("locked") is True:
            raise ProtocolError(errors.FORBIDDEN, "this element is locked by the facilitator")
        if existing.get("author") != actor.participant:
            if existing.get("kind") == "grade_vote":
                raise ProtocolError(errors.FORBIDDEN, "only its voter may change a grade vote")
            if existing.get("private") is True:
                raise ProtocolError(errors.FORBIDDEN, "this element is private to its author")

    def _check(self, el: Element, existing: Element | None) -> None:
        try:
            check_element(el)
        except ElementError as exc:
            raise ProtocolError(errors.INVALID, str(exc)) from None
        if self.actor.facilitator:
            return
        was_locked = existing is not None and existing.get("locked") is True
        if (el.get("locked") is True) != was_locked:
            raise ProtocolError(errors.FORBIDDEN, "only a facilitator may lock or unlock")
        if self.scope is not None and el["kind"] == "note" and el.get("private") is not True:
            if self.scope == "" or el.get("parent") == self.scope:
                raise ProtocolError(
                    errors.FORBIDDEN, "private mode is on: notes here must be private"
                )

    def put(self, op: Mapping[str, Any]) -> None:
        if set(op) - {"op", "el"}:
            raise ProtocolError(errors.INVALID, "a put has only op and el")
        sent = op.get("el")
        if not isinstance(sent, dict):
            raise ProtocolError(errors.INVALID, "put needs an element map in el")
        eid = sent.get("id")
        if not _is_id(eid):
            raise ProtocolError(errors.INVALID, "id must be 1-64 of A-Za-z0-9_-")
        assert isinstance(eid, str)
        existing = self.get(eid)
        if existing is None and self.deleted(eid) and not self.restore:
            raise ProtocolError(errors.CONFLICT, f"element {eid} was deleted")
        if existing is not None:
            self._may_change(existing)
        el = {k: v for k, v in sent.items() if k not in _STAMPS}
        if existing is not None:
            el["author"] = existing.get("author", self.actor.participant)
            el["created"] = existing.get("created", self.now)
        else:
            el["author"] = sent.get("author", self.actor.participant) if self.restore else (
                self.actor.participant
            )
            el["created"] = sent.get("created", self.now) if self.restore else self.now
        el["v"] = self.clock
        el["updated"] = self.now
        self._check(el, existing)
        self.set(eid, el)
        self.wire.append({"op": "put", "el": el})

    def patch(self, op: Mapping[str, Any]) -> None:
        if set(op) - {"op", "id", "set", "unset"}:
            raise ProtocolError(errors.INVALID, "a patch has only op, id, set and unset")
        eid, existing = self._target(op)
        sets = op.get("set", {})
        unset = op.get("unset", [])
        if not isinstance(sets, dict) or not isinstance(unset, list):
            raise ProtocolError(errors.INVALID, "set must be a map and unset a list")
        if not all(isinstance(name, str) for name in unset):
            raise ProtocolError(errors.INVALID, "unset names fields (strings)")
        touched = set(sets) | set(unset)
        if touched & _IMMUTABLE:
            raise ProtocolError(errors.INVALID, "id and kind cannot be patched")
        if set(sets) & set(unset):
            raise ProtocolError(errors.INVALID, "a field cannot be both set and unset")
        self._may_change(existing)
        sets = {k: v for k, v in sets.items() if k not in _STAMPS}
        unset = [name for name in unset if name not in _STAMPS]
        el = {**existing, **sets}
        for name in unset:
            el.pop(name, None)
        el["v"] = self.clock
        el["updated"] = self.now
        self._check(el, existing)
        self.set(eid, el)
        wire: dict[str, Any] = {"op": "patch", "id": eid, "set": sets}
        if unset:
            wire["unset"] = unset
        self.wire.append(wire)

    def delete(self, op: Mapping[str, Any]) -> None:
        if set(op) - {"op", "id"}:
            raise ProtocolError(errors.INVALID, "a del has only op and id")
        eid, existing = self._target(op)
        self._may_change(existing)
        self.set(eid, None)
        self.wire.append({"op": "del", "id": eid})


# -- changes the server makes itself ------------------------------------------


def restore_ops(state: BoardState, snapshot: Iterable[Element]) -> list[dict[str, Any]]:
    """Ops that turn the live board into the snapshot's elements: puts for the
    ones that differ (stamps aside), dels for live ones the snapshot lacks."""
    wanted = {el["id"]: el for el in snapshot}
    ops: list[dict[str, Any]] = []
    for eid, el in wanted.items():
        live = state.elements.get(eid)
        if live is None or _unstamped(live) != _unstamped(el):
            ops.append({"op": "put", "el": el})
    ops.extend({"op": "del", "id": eid} for eid in state.elements if eid not in wanted)
    return ops


def _unstamped(el: Element) -> Element:
    return {k: v for k, v in el.items() if k not in _STAMPS}


def lock_ops(state: BoardState, ids: Iterable[str], *, locked: bool) -> list[dict[str, Any]]:
    """Patch ops that lock or unlock the named live elements (others are skipped)."""
    ops: list[dict[str, Any]] = []
    for eid in dict.fromkeys(ids):
        el = state.elements.get(eid)
        if el is None or (el.get("locked") is True) == locked:
            continue
        if locked:
            ops.append({"op": "patch", "id": eid, "set": {"locked": True}})
        else:
            ops.append({"op": "patch", "id": eid, "set": {}, "unset": ["locked"]})
    return ops


def reveal_ops(state: BoardState, frame: str | None = None) -> list[dict[str, Any]]:
    """Patch ops that make the private elements (in ``frame``, if given) public."""
    return [
        {"op": "patch", "id": eid, "set": {"private": False}}
        for eid, el in state.elements.items()
        if el.get("private") is True and (frame is None or el.get("parent") == frame)
    ]


# -- privacy ------------------------------------------------------------------


def visible_to(el: Element | None, viewer: Actor) -> bool:
    """Private elements are seen only by their author and facilitators."""
    if el is None:
        return False
    if el.get("private") is not True or viewer.facilitator:
        return True
    return bool(el.get("author") == viewer.participant)


def visible_ops(change: Change, viewer: Actor) -> list[dict[str, Any]]:
    """The change's ops as ``viewer`` may see them: ops on elements hidden from
    them are left out; one that became hidden is a del, one that became
    visible (a reveal) is a put of the whole element."""
    if viewer.facilitator or not change.touches_private:
        return change.ops
    out: list[dict[str, Any]] = []
    replaced: set[str] = set()
    for op in change.ops:
        eid = op["el"]["id"] if op["op"] == "put" else op["id"]
        if eid in replaced:
            continue
        was = visible_to(change.before.get(eid), viewer)
        now = visible_to(change.after.get(eid), viewer)
        if was and now:
            out.append(op)
        elif now:
            after = change.after[eid]
            assert after is not None
            out.append({"op": "put", "el": after})
            replaced.add(eid)
        elif was:
            out.append({"op": "del", "id": eid})
            replaced.add(eid)
        elif op["op"] == "del":
            out.append(op)  # harmless: ``deleted`` may name ids never seen
    return out


# -- replay -------------------------------------------------------------------


def change_from_record(state: BoardState, record: Mapping[str, Any]) -> Change:
    """Rebuild a change committed elsewhere (another process, the log) against
    this state, trusting it: puts as sent, patches stamped with its clock."""
    clock, time = record["clock"], record["time"]
    change = Change(clock=clock, time=time, by=record["by"], ops=list(record["ops"]))
    for op in change.ops:
        eid = op["el"]["id"] if op["op"] == "put" else op["id"]
        if eid not in change.before:
            change.before[eid] = state.elements.get(eid)
            if eid in state.tombstones:
                change.tombs_before[eid] = state.tombstones[eid]
        current = change.after[eid] if eid in change.after else change.before[eid]
        if op["op"] == "put":
            change.after[eid] = op["el"]
        elif op["op"] == "patch":
            if current is None:
                raise ValueError(f"change {clock} patches {eid}, which is absent")
            el = {**current, **op["set"]}
            for name in op.get("unset", ()):
                el.pop(name, None)
            el["v"], el["updated"] = clock, time
            change.after[eid] = el
        else:
            change.after[eid] = None
    return change


def replay(board: str, records: Iterable[Mapping[str, Any]]) -> BoardState:
    """Rebuild a state from change-log records (``Change.log_record()``)."""
    state = BoardState(board)
    for record in records:
        state.advance(change_from_record(state, record))
    return state
