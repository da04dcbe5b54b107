"""Encoding big messages in pieces (pure: no I/O).

A full board's welcome or ``/state`` is megabytes. Encoded in one call, the C
encoder holds the GIL for the whole message, so even in a worker thread it
stalls the event loop. ``encode_list`` encodes a list in small runs (a thread
running it lets the loop in between runs) and ``splice`` puts such a
pre-encoded list into a message. The result is byte for byte what
``codec.encode`` makes of the whole message.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from typing import Any, Final

import msgpack

from server.core.codec import Encoding, Frame, encode, json_text, msgpack_bytes

# The codec's encoders: a string with a lone surrogate (stored before strings
# were checked) goes out escaped or replaced instead of failing the message.
_pack = msgpack_bytes

#: A run of elements encoded in one call: small enough to take well under a
#: millisecond (a run ends early at this many stroke point numbers).
RUN: Final = 64
RUN_POINTS: Final = 4_000


_json = json_text


def _runs(items: Sequence[Any]) -> list[Sequence[Any]]:
    runs: list[Sequence[Any]] = []
    start, points = 0, 0
    for i, item in enumerate(items):
        weight = item.get("points") if isinstance(item, dict) else None
        points += len(weight) if isinstance(weight, list | tuple | array) else 0
        if i + 1 - start >= RUN or points >= RUN_POINTS:
            runs.append(items[start:i + 1])
            start, points = i + 1, 0
    if start < len(items):
        runs.append(items[start:])
    return runs


def _head(count: int, fix: int, wide: bytes) -> bytes:
    """A MessagePack array (fix 0x90, wide 0xdc) or map (0x80, 0xde) header."""
    if count < 16:
        return bytes([fix | count])
    if count < 65536:
        return wide + count.to_bytes(2, "big")
    return bytes([wide[0] + 1]) + count.to_bytes(4, "big")


def _array_head(count: int) -> bytes:
    return _head(count, 0x90, b"\xdc")


def _map_head(count: int) -> bytes:
    return _head(count, 0x80, b"\xde")


def encode_list(items: Sequence[Any], encoding: Encoding) -> Frame:
    """``encode(items)`` for a list, made in runs of a few elements each."""
    if encoding == "msgpack":
        parts = [_array_head(len(items))]
        for run in _runs(items):
            parts.append(_pack(list(run))[len(_array_head(len(run))):])
        return b"".join(parts)
    texts = [_json(list(run))[1:-1] for run in _runs(items)]
    return "[" + ",".join(texts) + "]"


class ElementFrames:
    """The encoded elements of one board in one encoding, kept while each is
    unchanged (elements are never mutated in place: an element dict that is
    the same object has the same encoding). Encoding a board again after a
    change then costs one element, not the board. Threads may share it: a
    call reads the table and replaces it whole, so a race costs cache misses.
    """

    def __init__(self, encoding: Encoding) -> None:
        self.encoding: Encoding = encoding
        self._frames: dict[Any, tuple[dict[str, Any], Frame]] = {}

    def encode(self, elements: Sequence[dict[str, Any]]) -> Frame:
        """``encode(elements)`` of a list of elements; the table keeps these."""
        old, new = self._frames, {}
        one = _pack if self.encoding == "msgpack" else _json
        parts: list[Any] = []
        for el in elements:
            key = el.get("id")
            hit = old.get(key)
            frame = hit[1] if hit is not None and hit[0] is el else one(el)
            new[key] = (el, frame)
            parts.append(frame)
        self._frames = new
        if self.encoding == "msgpack":
            return _array_head(len(parts)) + b"".join(parts)
        return "[" + ",".join(parts) + "]"


def decode_list(raw: bytes) -> list[Any]:
    """``msgpack.unpackb(raw)`` of a MessagePack array, one item at a time
    (a thread running it lets the event loop in between items)."""
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False,
                                max_buffer_size=max(len(raw), 1 << 20))
    unpacker.feed(raw)
    count = unpacker.read_array_header()
    return [unpacker.unpack() for _ in range(count)]


def splice(message: Mapping[str, Any], encoding: Encoding, encoded: Mapping[str, Frame]) -> Frame:
    """``encode(message)``, taking the values named in ``encoded`` as already
    encoded (in the same encoding)."""
    if not encoded:
        return encode(dict(message), encoding)
    if encoding == "msgpack":
        parts = [_map_head(len(message))]
        for key, value in message.items():
            parts.append(_pack(key))
            done = encoded.get(key)
            parts.append(done if isinstance(done, bytes) else _pack(value))
        return b"".join(parts)
    texts = []
    for key, value in message.items():
        done = encoded.get(key)
        texts.append(_json(key) + ":" + (done if isinstance(done, str) else _json(value)))
    return "{" + ",".join(texts) + "}"
