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
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import msgpack

from schemas.elements import ID_PATTERN, STAMPS, ElementError, check_element
from server.core import errors
from server.core.codec import plain
from server.core.errors import ProtocolError

TokenRole = Literal["facilitator", "participant", "viewer"]
ROLES: Final[tuple[TokenRole, ...]] = ("facilitator", "participant", "viewer")

MAX_OPS: Final = 500
MAX_ELEMENTS: Final = 20_000
#: The board budget besides the element count (docs/operations.md): the
#: MessagePack size of all live elements, and the numbers of all strokes' points.
MAX_BOARD_BYTES: Final = 8 << 20
MAX_BOARD_POINTS: Final = 500_000
SYSTEM: Final = "system"  # the ``by`` of changes made by the server itself (templates)

Element = dict[str, Any]
#: What a tombstone keeps to restore an element: who deleted it and its last content.
Grave = tuple[str, Element]
_IMMUTABLE: Final = frozenset({"id", "kind"})
_STAMPS: Final = frozenset(STAMPS)


_ID = re.compile(ID_PATTERN[1:-1])


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def push_key(participant: str, push_id: Any) -> str:
    """The key a committed push is remembered by: ids are per participant, and
    the integer 1 and the string "1" are different ids."""
    tag = "s" if isinstance(push_id, str) else "i"
    return f"{participant}\x1f{tag}{push_id}"


_pack = msgpack.Packer(use_bin_type=True, default=plain).pack
Cost = tuple[int, int]  # (MessagePack bytes, stroke point numbers) of one element


def element_cost(el: Element) -> Cost:
    """What an element counts against the board budget."""
    points = el.get("points")
    return len(_pack(el)), len(points) if isinstance(points, list | tuple | array) else 0


def settle(el: Element) -> Element:
    """Keep a stroke's points compact (in place, on an element not yet
    shared): as ``array('d')`` when they are all floats (8 bytes a number
    instead of 32; a maximum stroke 80 KiB instead of 311 KiB), else as a
    tuple. Either drops out of the garbage collector's sight (a list of
    10 000 floats is 10 000 references every full collection walks). Both
    encodings write them exactly as the list they were (``codec.plain``)."""
    points = el.get("points")
    if type(points) is list and points:
        floats = all(type(v) is float for v in points)
        el["points"] = array("d", points) if floats else tuple(points)
    return el


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


@dataclass(frozen=True, slots=True)
class Unchanged:
    """A batch that changes nothing (every element it touches ends as it was,
    stamps aside): accepted, but no new clock and no ``patch``; its ack carries
    the board's ``clock`` at that point."""

    clock: int


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
    graves_before: dict[str, Grave] = field(default_factory=dict)
    push: str | None = None  # ``push_key`` of the push that made it (remembered)
    costs: dict[str, Cost] = field(default_factory=dict)  # of ``after`` elements, if known

    @property
    def touches_private(self) -> bool:
        return any(
            el is not None and el.get("private") is True
            for el in (*self.before.values(), *self.after.values())
        )

    def log_record(self) -> dict[str, Any]:
        """What the change log keeps: enough to replay the change (see ``replay``)."""
        record = {"clock": self.clock, "time": self.time, "by": self.by, "ops": self.ops}
        if self.push is not None:
            record["push"] = self.push
        return record

    def graves(self) -> dict[str, Grave]:
        """The graves this change digs: deleter and last content of each id it deletes."""
        return {
            eid: (self.by, was)
            for eid, el in self.after.items()
            if el is None and (was := self.before.get(eid)) is not None
        }


@dataclass(slots=True)
class BoardState:
    """One board: its clock, live elements and recent tombstones.

    ``tombstones`` maps a deleted id to ``(clock, time)`` of its deletion,
    ``graves`` (for the same ids, when known) to who deleted it and its last
    content: what ``restore`` brings back.
    ``floor``: catch-up from any ``since >= floor`` is exact (no tombstone
    after it was compacted away).
    ``pushes`` maps ``push_key`` of every remembered push to the ``(clock,
    time)`` of its change: a re-sent push is answered, not applied again.
    ``hidden`` maps an element that turned private (was public) to the clock
    of that change; exact for clocks after ``hidden_floor`` (what catch-up
    needs to tell a recipient to drop it).
    """

    board: str
    clock: int = 0
    elements: dict[str, Element] = field(default_factory=dict)
    tombstones: dict[str, tuple[int, int]] = field(default_factory=dict)
    floor: int = 0
    graves: dict[str, Grave] = field(default_factory=dict)
    pushes: dict[str, tuple[int, int]] = field(default_factory=dict)
    hidden: dict[str, int] = field(default_factory=dict)
    hidden_floor: int = 0
    # the budget in use, measured on first need and then kept up to date
    _costs: dict[str, Cost] | None = field(default=None, repr=False, compare=False)
    _bytes: int = field(default=0, repr=False, compare=False)
    _points: int = field(default=0, repr=False, compare=False)

    def settle(self) -> None:
        """``settle`` every element (a state just loaded from a store)."""
        for el in self.elements.values():
            settle(el)

    def usage(self) -> Cost:
        """The board's budget in use: (MessagePack bytes, stroke point numbers)."""
        if self._costs is None:
            self._costs = {}
            self._bytes = self._points = 0
            for eid, el in self.elements.items():
                self._count(eid, element_cost(el))
        return self._bytes, self._points

    def cost(self, eid: str) -> Cost:
        self.usage()
        assert self._costs is not None
        return self._costs.get(eid, (0, 0))

    def _count(self, eid: str, cost: Cost | None) -> None:
        assert self._costs is not None
        old = self._costs.pop(eid, (0, 0))
        new = cost or (0, 0)
        if cost is not None:
            self._costs[eid] = cost
        self._bytes += new[0] - old[0]
        self._points += new[1] - old[1]

    def advance(self, change: Change) -> None:
        """Apply an accepted change. Raises RuntimeError if it is not the next clock."""
        if change.clock != self.clock + 1:
            raise RuntimeError(f"change {change.clock} does not follow clock {self.clock}")
        if self._costs is not None:
            for eid, el in change.after.items():
                cost = None if el is None else change.costs.get(eid) or element_cost(el)
                self._count(eid, cost)
        for eid, el in change.after.items():
            was = change.before.get(eid)
            if el is None:
                self.elements.pop(eid, None)
                if was is not None:
                    self.tombstones[eid] = (change.clock, change.time)
                    self.graves[eid] = (change.by, was)
            else:
                self.elements[eid] = el
                self.tombstones.pop(eid, None)
                self.graves.pop(eid, None)
                if el.get("private") is True and was is not None and was.get("private") is not True:
                    self.hidden[eid] = change.clock
        if change.push is not None:
            self.pushes[change.push] = (change.clock, change.time)
        self.clock = change.clock

    def revert(self, change: Change) -> None:
        """Undo the last advanced change (the store could not make it durable)."""
        if change.clock != self.clock:
            raise RuntimeError(f"change {change.clock} is not the last one ({self.clock})")
        if self._costs is not None:
            for eid, el in change.before.items():
                self._count(eid, None if el is None else element_cost(el))
        for eid, el in change.before.items():
            if el is None:
                self.elements.pop(eid, None)
            else:
                self.elements[eid] = el
            self.tombstones.pop(eid, None)
            self.graves.pop(eid, None)
            if self.hidden.get(eid) == change.clock:
                del self.hidden[eid]
        self.tombstones.update(change.tombs_before)
        self.graves.update(change.graves_before)
        if change.push is not None:
            self.pushes.pop(change.push, None)
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
            self.graves.pop(eid, None)
            self.floor = max(self.floor, clock)
        self.graves = {eid: g for eid, g in self.graves.items() if eid in self.tombstones}
        self.forget_pushes(now=now, max_age_ms=max_age_ms, max_clocks=max_clocks)
        self.hidden = {eid: c for eid, c in self.hidden.items() if c > self.floor}
        return len(dropped)

    def forget_pushes(self, *, now: int, max_age_ms: int, max_clocks: int) -> list[str]:
        """Forget the push ids of changes older than the kept history; returns them."""
        old = [
            key for key, (clock, time) in self.pushes.items()
            if clock <= self.clock - max_clocks or time < now - max_age_ms
        ]
        for key in old:
            del self.pushes[key]
        return old

    def catch_up(
        self, since: int, viewer: Actor, *, max_clocks: int = 100_000
    ) -> tuple[list[Element], list[str]] | None:
        """``changes_since`` as ``viewer`` may see it: the changed elements it
        may see, and in ``deleted`` only ids it may have seen (deleted, or
        turned private by their author since) -- never ids of other people's
        private elements. None: not exactly known (send the full board)."""
        found = self.changes_since(since, max_clocks=max_clocks)
        if found is None:
            return None
        changed, dead = found
        elements: list[Element] = []
        deleted: list[str] = []
        for el in changed:
            if visible_to(el, viewer):
                elements.append(el)
            elif not self._unseen(el["id"], since):
                deleted.append(el["id"])
            elif since < self.hidden_floor:
                return None  # it may have been public at ``since``: we cannot tell
        for eid in dead:
            grave = self.graves.get(eid)
            if grave is None or visible_to(grave[1], viewer) or not self._unseen(eid, since):
                deleted.append(eid)
            elif since < self.hidden_floor:
                return None
        return elements, deleted

    def _unseen(self, eid: str, since: int) -> bool:
        """A private element was not public at ``since`` (as far as ``hidden`` knows)."""
        return self.hidden.get(eid, -1) <= since


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
    max_bytes: int = MAX_BOARD_BYTES,
    max_points: int = MAX_BOARD_POINTS,
) -> Change | Unchanged | Rejection:
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
        max_bytes, max_points: the board budget (``too_large``): the
            MessagePack bytes of all elements and the numbers of all strokes'
            points. Like the element count, only a batch that grows past
            them is refused (a board over a lowered budget can still shrink).

    Returns:
        the ``Change`` (clock = state.clock + 1); ``Unchanged`` when the batch
        (not a restore) leaves every element it touches as it was; or a
        ``Rejection`` naming the first op at fault: all ops apply, or none.
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
    if not restore and work.unchanged:
        return Unchanged(state.clock)
    change = work.change()
    return _within_budget(state, change, max_bytes, max_points)


def _within_budget(
    state: BoardState, change: Change, max_bytes: int, max_points: int
) -> Change | Rejection:
    used_bytes, used_points = state.usage()
    grow_bytes = grow_points = 0
    for eid, el in change.after.items():
        old = state.cost(eid)
        new = (0, 0) if el is None else element_cost(el)
        if el is not None:
            change.costs[eid] = new
        grow_bytes += new[0] - old[0]
        grow_points += new[1] - old[1]
    if grow_bytes > 0 and used_bytes + grow_bytes > max_bytes:
        return Rejection(
            errors.TOO_LARGE, f"a board holds at most {max_bytes} bytes of elements"
        )
    if grow_points > 0 and used_points + grow_points > max_points:
        return Rejection(
            errors.TOO_LARGE, f"a board's strokes hold at most {max_points} point numbers"
        )
    return change


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
        self.graves_before: dict[str, Grave] = {}
        self.wire: list[dict[str, Any]] = []

    @property
    def count_delta(self) -> int:
        return sum(
            (self.current[eid] is not None) - (self.before[eid] is not None)
            for eid in self.current
        )

    @property
    def unchanged(self) -> bool:
        return all(_same(self.before[eid], el) for eid, el in self.current.items())

    def change(self) -> Change:
        return Change(
            clock=self.clock,
            time=self.now,
            by=self.actor.participant,
            ops=self.wire,
            before=self.before,
            after=self.current,
            tombs_before=self.tombs_before,
            graves_before=self.graves_before,
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
            if eid in self.state.graves:
                self.graves_before[eid] = self.state.graves[eid]
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
        elif kind == "restore":
            self.restore_op(op)
        else:
            raise ProtocolError(errors.INVALID, "op must be put, patch, del or restore")

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
            kind = existing.get("kind")
            if kind in _OWNED:
                raise ProtocolError(errors.FORBIDDEN, f"only its voter may change a {_OWNED[kind]}")
            if existing.get("private") is True:
                raise ProtocolError(errors.FORBIDDEN, "this element is private to its author")

    def _check(self, el: Element, existing: Element | None) -> None:
        try:
            check_element(el)
        except ElementError as exc:
            code = errors.TOO_LARGE if exc.too_large else errors.INVALID
            raise ProtocolError(code, str(exc)) from None
        if self.actor.facilitator:
            return
        before: Element = existing or {}
        if el.get("locked") != before.get("locked"):
            raise ProtocolError(errors.FORBIDDEN, "only a facilitator may lock or unlock")
        if el.get("private") != before.get("private") and el.get("author") != (
            self.actor.participant
        ):
            raise ProtocolError(
                errors.FORBIDDEN, "only its author may make an element private or public"
            )
        if (
            self.scope is not None
            and el["kind"] in _PRIVATE_KINDS
            and el.get("private") is not True
            and (existing is None or el["kind"] == "note")  # others: when written
            and in_scope(self.get, el, self.scope)
        ):
            raise ProtocolError(
                errors.FORBIDDEN,
                f"private mode is on: a {_PRIVATE_KINDS[el['kind']]} written here must be "
                "private until the facilitator reveals it",
            )

    # Unknown keys of an op are ignored (as in every message); the wire form of
    # each op is rebuilt from the known ones.

    def put(self, op: Mapping[str, Any]) -> None:
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
        settle(el)
        self._check(el, existing)
        self.set(eid, el)
        self.wire.append({"op": "put", "el": el})

    def patch(self, op: Mapping[str, Any]) -> None:
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
        if touched & _STAMPS:
            raise ProtocolError(errors.INVALID,
                                "author, v, created and updated are set by the server")
        if set(sets) & set(unset):
            raise ProtocolError(errors.INVALID, "a field cannot be both set and unset")
        self._may_change(existing)
        el = {**existing, **sets}
        for name in unset:
            el.pop(name, None)
        el["v"] = self.clock
        el["updated"] = self.now
        settle(el)
        self._check(el, existing)
        self.set(eid, el)
        wire: dict[str, Any] = {"op": "patch", "id": eid, "set": dict(sets)}
        if unset:
            wire["unset"] = unset
        self.wire.append(wire)

    def delete(self, op: Mapping[str, Any]) -> None:
        eid, existing = self._target(op)
        self._may_change(existing)
        self.set(eid, None)
        self.wire.append({"op": "del", "id": eid})


    def restore_op(self, op: Mapping[str, Any]) -> None:
        if set(op) - {"op", "id"}:
            raise ProtocolError(errors.INVALID, "a restore has only op and id")
        eid = op.get("id")
        if not _is_id(eid):
            raise ProtocolError(errors.INVALID, "id must be 1-64 of A-Za-z0-9_-")
        assert isinstance(eid, str)
        if self.get(eid) is not None:
            raise ProtocolError(errors.CONFLICT, f"element {eid} is not deleted")
        grave = self.grave(eid)
        if grave is None:
            raise ProtocolError(
                errors.CONFLICT,
                f"element {eid} cannot be restored (unknown, or deleted too long ago)",
            )
        deleter, was = grave
        actor = self.actor
        if not (
            actor.facilitator
            or deleter == actor.participant
            or was.get("author") == actor.participant
        ):
            raise ProtocolError(
                errors.FORBIDDEN,
                "only who deleted it, its author or a facilitator may restore an element",
            )
        if not actor.facilitator and was.get("locked") is True:
            raise ProtocolError(errors.FORBIDDEN, "this element is locked by the facilitator")
        el = {**was, "v": self.clock, "updated": self.now}
        self.set(eid, el)
        self.wire.append({"op": "put", "el": el})

    def grave(self, eid: str) -> Grave | None:
        if eid in self.current:  # deleted earlier in this batch
            was = self.before[eid]
            return None if self.current[eid] is not None or was is None else (
                self.actor.participant, was
            )
        return self.state.graves.get(eid)


#: Kinds that belong to their voter: only they (or a facilitator) change them.
_OWNED: Final = {"grade_vote": "grade vote", "vote": "vote"}
#: Kinds that must be private when written during a private round.
_PRIVATE_KINDS: Final = {"note": "note", "text": "text", "grade_vote": "grade marker"}


def in_scope(get: Any, el: Element, scope: str) -> bool:
    """Whether ``el`` lies in a private round's scope: the whole board
    (``""``), or the frame ``scope`` -- its child, or placed inside its box.
    ``get`` looks an element up by id."""
    if scope == "" or el.get("parent") == scope:
        return True
    frame = get(scope)
    if not isinstance(frame, dict) or frame.get("kind") != "frame":
        return False
    x, y = el.get("x"), el.get("y")
    if not isinstance(x, int | float) or not isinstance(y, int | float):
        return False
    fx, fy, fw, fh = (frame.get(k, 0) for k in ("x", "y", "w", "h"))
    return bool(fx <= x <= fx + fw and fy <= y <= fy + fh)


def private_count(state: BoardState, scope: str | None) -> int:
    """How many private notes, texts and grade markers lie in the scope of a
    private round (0 when none runs): the live count a projector shows."""
    if scope is None:
        return 0
    get = state.elements.get
    return sum(
        1 for el in state.elements.values()
        if el.get("private") is True and el.get("kind") in _PRIVATE_KINDS
        and in_scope(get, el, scope)
    )


BIN_TEXT: Final = 80


def deleted_entries(state: BoardState, limit: int) -> list[dict[str, Any]]:
    """The "recently deleted" bin: restorable elements, newest deletion first."""
    ranked = sorted(
        (clock, eid) for eid, (clock, _) in state.tombstones.items()
        if eid in state.graves and eid not in state.elements
    )
    out = []
    for clock, eid in reversed(ranked[-limit:] if limit > 0 else []):
        deleter, el = state.graves[eid]
        text = next((el[k] for k in ("text", "label", "title") if isinstance(el.get(k), str)), "")
        out.append({
            "id": eid, "kind": el.get("kind"), "text": text[:BIN_TEXT],
            "author": el.get("author"), "deleted_by": deleter,
            "deleted_at": state.tombstones[eid][1], "clock": clock,
        })
    return out


# -- changes the server makes itself ------------------------------------------


def restore_ops(state: BoardState, snapshot: Iterable[Element]) -> list[dict[str, Any]]:
    """Ops that turn the live board into the snapshot's elements: puts for the
    ones that differ (stamps aside), dels for live ones the snapshot lacks."""
    wanted = {el["id"]: el for el in snapshot}
    ops: list[dict[str, Any]] = []
    for eid, el in wanted.items():
        live = state.elements.get(eid)
        if live is None or not _same(live, el):
            ops.append({"op": "put", "el": el})
    ops.extend({"op": "del", "id": eid} for eid in state.elements if eid not in wanted)
    return ops


def _same(a: Element | None, b: Element | None) -> bool:
    """Equal but for the stamps (both absent counts as equal). Field by field,
    without copying either element (this runs for every op of every push)."""
    if a is None or b is None:
        return a is b
    keys = a.keys() - _STAMPS
    if keys != b.keys() - _STAMPS:
        return False
    for key in keys:
        x, y = a[key], b[key]
        if x is y or x == y:
            continue
        if key == "points" and isinstance(x, tuple | list | array) and isinstance(
                y, tuple | list | array) and list(x) == list(y):
            continue  # the same numbers, kept as a packed array on one side
        return False
    return True


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
    """Patch ops that make the private elements (in ``frame``, if given: its
    children and what lies in its box) public."""
    get = state.elements.get
    return [
        {"op": "patch", "id": eid, "set": {"private": False}}
        for eid, el in state.elements.items()
        if el.get("private") is True and (frame is None or in_scope(get, el, frame))
    ]


# -- privacy ------------------------------------------------------------------


def visible_to(el: Element | None, viewer: Actor) -> bool:
    """Private elements are seen only by their author and facilitators."""
    if el is None:
        return False
    if el.get("private") is not True or viewer.facilitator:
        return True
    # an element without an author (an imported one may lack it) is nobody's: an
    # HTTP caller, who has no participant id either, must not count as its author
    return bool(viewer.participant) and el.get("author") == viewer.participant


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
        # hidden before and after: left out, a del too (its id is someone
        # else's private element, which this recipient never saw)
    return out


# -- replay -------------------------------------------------------------------


def change_from_record(state: BoardState, record: Mapping[str, Any]) -> Change:
    """Rebuild a change committed elsewhere (another process, the log) against
    this state, trusting it: puts as sent, patches stamped with its clock."""
    clock, time = record["clock"], record["time"]
    change = Change(clock=clock, time=time, by=record["by"], ops=list(record["ops"]),
                    push=record.get("push"))
    for op in change.ops:
        eid = op["el"]["id"] if op["op"] == "put" else op["id"]
        if eid not in change.before:
            change.before[eid] = state.elements.get(eid)
            if eid in state.tombstones:
                change.tombs_before[eid] = state.tombstones[eid]
            if eid in state.graves:
                change.graves_before[eid] = state.graves[eid]
        current = change.after[eid] if eid in change.after else change.before[eid]
        if op["op"] == "put":
            change.after[eid] = settle(op["el"])
        elif op["op"] == "patch":
            if current is None:
                raise ValueError(f"change {clock} patches {eid}, which is absent")
            el = {**current, **op["set"]}
            for name in op.get("unset", ()):
                el.pop(name, None)
            el["v"], el["updated"] = clock, time
            change.after[eid] = settle(el)
        else:
            change.after[eid] = None
    return change


def replay(board: str, records: Iterable[Mapping[str, Any]]) -> BoardState:
    """Rebuild a state from change-log records (``Change.log_record()``)."""
    state = BoardState(board)
    for record in records:
        state.advance(change_from_record(state, record))
    return state
