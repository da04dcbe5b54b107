"""Who is at a board, and where they point: ephemeral, never stored.

Updates only mark participants dirty; the room sends the dirty ones at most
``presence_hz`` times a second (docs/protocol.md §3.2 ``presence``), so a hundred
cursors moving at 60 Hz cost each reader ~20 small frames a second.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, Final

#: Distinct, readable on white and on a projector; one per participant id.
PALETTE: Final = (
    "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#1b9e9e",
    "#f032e6", "#8a6d00", "#0b7a3e", "#c2185b", "#5d4037", "#303f9f",
)


#: A remote participant whose process has not reported them for this long is
#: offline (processes report their participants every ~3 s; a killed one stops).
REMOTE_TTL_S: Final = 10.0

#: What a participant points at; dropped when they go offline.
POINTERS: Final = ("cursor", "viewport", "selection", "pointer")


def color_for(participant: str) -> str:
    digest = hashlib.sha256(participant.encode()).digest()
    return PALETTE[digest[0] % len(PALETTE)]


class Presence:
    """The participants of one room with their online state and pointers."""

    def __init__(self, known: list[dict[str, Any]] | None = None) -> None:
        self.entries: dict[str, dict[str, Any]] = {}
        self.local: dict[str, int] = {}  # participant -> open connections in this process
        self.remote: dict[str, dict[str, Any]] = {}  # what other processes reported
        self.heard: dict[str, float] = {}  # remote participant -> when last reported
        self.departed: set[str] = set()  # went offline here; the others must hear it
        self.dirty: set[str] = set()
        #: participants with a stored record (they changed the board): listed
        #: while offline too. Everyone else (viewers, people who only looked)
        #: is forgotten once offline, so the list stays bounded.
        self.kept: set[str] = set()
        for entry in known or ():
            if entry.get("role") == "viewer":
                continue  # stored by older versions; viewers are not kept
            self.kept.add(entry["id"])
            self.entries[entry["id"]] = {
                "id": entry["id"],
                "name": entry.get("name", ""),
                "color": entry.get("color") or color_for(entry["id"]),
                "role": entry.get("role", "participant"),
                "online": False,
            }

    def join(self, participant: str, name: str, role: str) -> dict[str, Any]:
        entry = self.entries.get(participant)
        if entry is None:
            entry = {"id": participant, "color": self.free_color(participant)}
            self.entries[participant] = entry
        entry.update(name=name, role=role, online=True)
        self.local[participant] = self.local.get(participant, 0) + 1
        self.departed.discard(participant)
        self.dirty.add(participant)
        return entry

    def keep(self, participant: str) -> bool:
        """Mark a participant as one to list while offline (they pushed a
        change); True if they were not kept yet and should be stored."""
        entry = self.entries.get(participant)
        if entry is None or participant in self.kept or entry.get("role") == "viewer":
            return False
        self.kept.add(participant)
        return True

    def is_kept(self, participant: str) -> bool:
        return participant in self.kept

    def listed(self, limit: int) -> list[dict[str, Any]]:
        """What a welcome lists: those online, then those kept, at most ``limit``."""
        online = [e for e in self.entries.values() if e.get("online")]
        offline = (e for pid, e in self.entries.items() if pid in self.kept and not e.get("online"))
        listed = online[:limit]
        for entry in offline:
            if len(listed) >= limit:
                break
            listed.append(entry)
        return listed

    def free_color(self, participant: str) -> str:
        """The palette colour fewest people at this board have (ties: the
        participant's own hash colour first), so colours rarely repeat."""
        used = [e.get("color") for e in self.entries.values()]
        own = PALETTE.index(color_for(participant))
        order = PALETTE[own:] + PALETTE[:own]
        return min(order, key=used.count)

    def leave(self, participant: str) -> None:
        left = self.local.get(participant, 0) - 1
        if left > 0:
            self.local[participant] = left
            return
        self.local.pop(participant, None)
        entry = self.entries.get(participant)
        if entry is not None and participant not in self.remote:
            entry["online"] = False
            for key in POINTERS:
                entry.pop(key, None)
            self.dirty.add(participant)
            self.departed.add(participant)

    def point(self, participant: str, fields: dict[str, Any]) -> None:
        entry = self.entries.get(participant)
        if entry is None:
            return
        entry.update(fields)
        self.dirty.add(participant)

    def merge_remote(self, entries: list[dict[str, Any]], now: float | None = None) -> None:
        """Entries another process sent (its participants' state)."""
        now = time.monotonic() if now is None else now
        for remote in entries:
            pid = remote.get("id")
            if not isinstance(pid, str):
                continue
            if pid in self.local:
                continue  # this process knows better
            unchanged = self.entries.get(pid) == remote
            self.entries[pid] = dict(remote)
            if remote.get("online"):
                self.remote[pid] = remote
                self.heard[pid] = now
            else:
                self.remote.pop(pid, None)
                self.heard.pop(pid, None)
            if not unchanged:  # a heartbeat: nothing to tell our connections
                self.dirty.add(pid)

    def expire(self, now: float | None = None, ttl: float = REMOTE_TTL_S) -> list[str]:
        """Mark offline the remote participants not reported for ``ttl`` seconds."""
        now = time.monotonic() if now is None else now
        gone = [pid for pid, heard in self.heard.items() if now - heard > ttl]
        for pid in gone:
            del self.heard[pid]
            self.remote.pop(pid, None)
            entry = self.entries.get(pid)
            if pid in self.local or entry is None:
                continue
            entry["online"] = False
            for key in POINTERS:
                entry.pop(key, None)
            self.dirty.add(pid)
        return gone

    def outgoing(self, changed: list[dict[str, Any]], *, heartbeat: bool) -> list[dict[str, Any]]:
        """What this process tells the others (shared stores): its own
        participants that changed, or all of them on a heartbeat, and those who
        just left. Entries merged from elsewhere are never sent back."""
        sent = {e["id"]: e for e in changed}
        ids = {e["id"] for e in changed if e["id"] in self.local or e["id"] in self.departed}
        if heartbeat:
            ids.update(self.local)
        self.departed.clear()
        return [dict(self.entries.get(pid) or sent[pid]) for pid in ids
                if pid in self.entries or pid in sent]

    def all(self) -> list[dict[str, Any]]:
        return list(self.entries.values())

    def take_dirty(self) -> list[dict[str, Any]]:
        """The entries that changed since the last call; those offline and
        not kept are forgotten once taken (their last word is that they left)."""
        changed = [self.entries[pid] for pid in self.dirty if pid in self.entries]
        self.dirty.clear()
        for entry in changed:
            pid = entry["id"]
            if not entry.get("online") and pid not in self.kept and pid not in self.local:
                del self.entries[pid]
        return [dict(entry) for entry in changed]
