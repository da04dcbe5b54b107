"""A client's copy of a board (pure: no I/O).

``base`` is the server's state at ``clock`` as this client knows it;
``pending`` are this client's pushed batches not yet acked, applied on top
optimistically. ``elements`` is what the user sees: base plus pending. An ack
moves a batch into base, stamped exactly as the server did (docs/protocol.md
§3.3); a rejection drops it, which rolls the optimistic edit back.
``graves`` keeps the last content of deleted elements, so that a ``restore``
op (which the server answers with only an ack) can be applied here too.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

Element = dict[str, Any]
STAMPS = ("author", "v", "created", "updated")


class Gap(Exception):
    """A patch or ack skipped a clock: reconnect with ``since``."""


class Unknown(Gap):
    """An acked restore of an element this replica never held: catch up."""


def _op_id(op: dict[str, Any]) -> str:
    return str(op["el"]["id"] if op["op"] == "put" else op["id"])


def apply_ops(
    elements: dict[str, Element],
    ops: Iterable[dict[str, Any]],
    *,
    clock: int | None = None,
    time: int | None = None,
    me: str | None = None,
    graves: MutableMapping[str, Element] | None = None,
) -> None:
    """Apply ops in place. With ``clock``/``time`` (and ``me`` for own puts),
    stamp as the server does; without, apply optimistically. ``graves``
    receives what a del removes and gives what a restore brings back."""
    for op in ops:
        kind = op["op"]
        if kind == "put":
            el = dict(op["el"])
            if me is not None and clock is not None:
                old = elements.get(el["id"])
                for name in STAMPS:
                    el.pop(name, None)
                el["author"] = old.get("author", me) if old else me
                el["created"] = old.get("created", time) if old else time
            if clock is not None:
                el["v"], el["updated"] = clock, time
            elements[el["id"]] = el
        elif kind == "patch":
            old = elements.get(op["id"])
            if old is None:
                continue
            el = {**old, **{k: v for k, v in op.get("set", {}).items() if k not in STAMPS}}
            for name in op.get("unset", ()) or ():
                if name not in STAMPS:
                    el.pop(name, None)
            if clock is not None:
                el["v"], el["updated"] = clock, time
            elements[op["id"]] = el
        elif kind == "del":
            gone = elements.pop(op["id"], None)
            if gone is not None and graves is not None:
                graves[op["id"]] = gone
        elif kind == "restore":
            was = None if graves is None or op["id"] in elements else graves.get(op["id"])
            if was is None:
                continue
            el = dict(was)  # as it was: same author and created
            if clock is not None:
                el["v"], el["updated"] = clock, time
            elements[op["id"]] = el


@dataclass
class Replica:
    me: str = ""
    clock: int = 0
    base: dict[str, Element] = field(default_factory=dict)
    pending: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)
    elements: dict[str, Element] = field(default_factory=dict)
    graves: dict[str, Element] = field(default_factory=dict)

    def welcome(self, message: dict[str, Any]) -> None:
        self.me = message["you"]
        if message["full"]:
            self.base = {el["id"]: el for el in message["elements"]}
        else:
            for eid in message["deleted"]:
                gone = self.base.pop(eid, None)
                if gone is not None:
                    self.graves[eid] = gone
            for el in message["elements"]:
                self.base[el["id"]] = el
        self.clock = message["clock"]
        self._recompute(None)

    def local(self, batch: Any, ops: list[dict[str, Any]]) -> None:
        """Apply a batch optimistically before the server has it."""
        self.pending[batch] = ops
        apply_ops(self.elements, ops, graves=self._lookup())

    def patch(self, message: dict[str, Any]) -> bool:
        """A change of someone else; False if already seen. Raises Gap."""
        clock = message["clock"]
        if clock <= self.clock:
            return False
        if clock != self.clock + 1:
            raise Gap(f"expected clock {self.clock + 1}, got {clock}")
        apply_ops(self.base, message["ops"], clock=clock, time=message["time"],
                  graves=self.graves)
        self.clock = clock
        self._recompute({_op_id(op) for op in message["ops"]})
        return True

    def ack(self, message: dict[str, Any]) -> list[dict[str, Any]] | None:
        """Settle a pushed batch; returns its ops (None if unknown)."""
        ops = self.pending.pop(message["id"], None)
        if message.get("ok"):
            clock = message["clock"]
            if clock > self.clock:  # else: already in base (a catch-up, or a no-op batch)
                if clock != self.clock + 1:
                    raise Gap(f"expected clock {self.clock + 1}, got ack {clock}")
                if ops is not None:
                    unknown = [op["id"] for op in ops if op["op"] == "restore"
                               and op["id"] not in self.graves and op["id"] not in self.base]
                    if unknown:  # the server has its content, we do not: catch up
                        self._recompute({_op_id(op) for op in ops})
                        raise Unknown(f"restored {unknown[0]}, never seen here")
                    apply_ops(self.base, ops, clock=clock, time=message["time"], me=self.me,
                              graves=self.graves)
                self.clock = clock
        if ops is not None:
            self._recompute({_op_id(op) for op in ops})
        return ops

    def _recompute(self, ids: set[str] | None) -> None:
        if ids is None:
            self.elements = dict(self.base)
            for ops in self.pending.values():
                apply_ops(self.elements, ops, graves=self._lookup())
            return
        for eid in ids:
            if eid in self.base:
                self.elements[eid] = self.base[eid]
            else:
                self.elements.pop(eid, None)
        for ops in self.pending.values():
            apply_ops(self.elements, [op for op in ops if _op_id(op) in ids],
                      graves=self._lookup())

    def _lookup(self) -> MutableMapping[str, Element]:
        """Optimistic restores take the last content known, acked or not;
        optimistic dels are kept apart (they may be rolled back)."""
        return ChainMap({}, self.graves, self.base)
