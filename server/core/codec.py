"""The two wire encodings, in one place.

``Outgoing`` encodes a message at most once per encoding, however many
connections it goes to. ``bundle()`` packs already-encoded messages into one
``bundle`` frame by concatenating bytes: no message is encoded twice.
"""

from __future__ import annotations

import json
from array import array
from typing import Any, Final, Literal

import msgpack

Encoding = Literal["msgpack", "json"]
Frame = bytes | str



def plain(value: Any) -> Any:
    """What the encoders write for the server's compact values: a stroke's
    points kept as ``array('d')`` (``board.settle``) go as the list they were."""
    if isinstance(value, array):
        return value.tolist()
    raise TypeError(f"cannot encode {type(value).__name__}")


_packer_pack = msgpack.Packer(use_bin_type=True, default=plain).pack
# Only for a message holding a lone surrogate (nothing valid does; see ``Outgoing``).
_packer_pack_replacing = msgpack.Packer(use_bin_type=True, unicode_errors="replace",
                                        default=plain).pack

#: Maps and lists inside one another, at most (a message needs 5 or 6).
MAX_DEPTH: Final = 32


class DecodeError(ValueError):
    """A frame that is not one message (a map with a ``type``)."""


def _reject_constant(name: str) -> Any:
    raise DecodeError(f"{name} is not a number here")


def _no_ext(code: int, data: bytes) -> Any:
    raise DecodeError("msgpack extension types are not used by this protocol")


def has_lone_surrogate(value: Any) -> bool:
    """Whether a decoded JSON value holds a string no UTF-8 can carry."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_unicode(message: Any) -> None:
    if has_lone_surrogate(message):
        raise DecodeError("strings must be valid Unicode (no lone surrogates)")


#: msgpack's container headers: fixmap, fixarray, array 16/32, map 16/32.
_MSGPACK_CONTAINERS: Final = bytes(range(0x80, 0xA0)) + bytes(range(0xDC, 0xE0))


def _may_nest_deep(frame: Frame) -> bool:
    """Whether ``frame`` holds enough container openers to nest deeper than
    ``MAX_DEPTH`` (counted in C: an upper bound, since the same characters and
    bytes may also stand inside strings and numbers). Nearly every message has
    a handful, so the walk of ``_too_deep`` is skipped for them."""
    if isinstance(frame, str):
        return frame.count("[") + frame.count("{") > MAX_DEPTH
    return len(frame) - len(frame.translate(None, _MSGPACK_CONTAINERS)) > MAX_DEPTH


def _too_deep(message: Any) -> bool:
    """Whether containers nest deeper than ``MAX_DEPTH``: without recursion,
    so that a hostile message cannot exhaust the stack of whatever reads it next."""
    stack: list[tuple[Any, int]] = [(message, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        items = value.values() if type(value) is dict else value
        for item in items:
            kind = type(item)
            if kind is dict or kind is list:
                stack.append((item, depth + 1))
    return False


def json_text(message: Any) -> str:
    """JSON of ``message`` (any value), never invalid UTF-8."""
    text = json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                      default=plain)
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:  # a lone surrogate: escaped, the frame stays valid UTF-8
            text = json.dumps(message, separators=(",", ":"), allow_nan=False, default=plain)
    return text


def msgpack_bytes(message: Any) -> bytes:
    """MessagePack of ``message`` (any value), never invalid UTF-8."""
    try:
        packed: bytes = _packer_pack(message)
    except UnicodeEncodeError:  # a lone surrogate: replaced, the frame stays valid UTF-8
        packed = _packer_pack_replacing(message)
    return packed


def encode(message: dict[str, Any], encoding: Encoding) -> Frame:
    """One frame; never invalid UTF-8, even for a string the store gave back
    with a lone surrogate in it (which would otherwise fail the whole queue)."""
    if encoding == "msgpack":
        return msgpack_bytes(message)
    return json_text(message)


def decode(frame: Frame, encoding: Encoding) -> dict[str, Any]:
    """One message from one frame.

    Raises:
        DecodeError: wrong frame type for the encoding, not decodable, or not a map.
    """
    try:
        if encoding == "msgpack":
            if not isinstance(frame, bytes):
                raise DecodeError("this connection speaks msgpack: send binary frames")
            message = msgpack.unpackb(frame, raw=False, strict_map_key=True, ext_hook=_no_ext)
        else:
            if not isinstance(frame, str):
                raise DecodeError("this connection speaks JSON: send text frames")
            message = json.loads(frame, parse_constant=_reject_constant)
            if "\\u" in frame:  # an escape may smuggle in a lone surrogate
                _check_unicode(message)
    except DecodeError:
        raise
    except (ValueError, TypeError, RecursionError, msgpack.ExtraData, msgpack.FormatError,
            msgpack.StackError) as exc:
        raise DecodeError(f"not a {encoding} message: {type(exc).__name__}") from None
    if not isinstance(message, dict):
        raise DecodeError("a message must be a map")
    if _may_nest_deep(frame) and _too_deep(message):
        raise DecodeError(f"nested too deep (at most {MAX_DEPTH} levels)")
    return message


class Outgoing:
    """A message to send, encoded lazily and at most once per encoding."""

    __slots__ = ("_json", "_msgpack", "message")

    def __init__(self, message: dict[str, Any]) -> None:
        self.message = message
        self._msgpack: bytes | None = None
        self._json: str | None = None

    @classmethod
    def encoded(cls, message: dict[str, Any], encoding: Encoding, frame: Frame) -> Outgoing:
        """A message already encoded (e.g. in pieces, off the event loop)."""
        out = cls(message)
        if encoding == "msgpack":
            assert isinstance(frame, bytes)
            out._msgpack = frame
        else:
            assert isinstance(frame, str)
            out._json = frame
        return out

    def frame(self, encoding: Encoding) -> Frame:
        if encoding == "msgpack":
            if self._msgpack is None:
                self._msgpack = msgpack_bytes(self.message)
            return self._msgpack
        if self._json is None:
            self._json = json_text(self.message)
        return self._json


_BUNDLE_MSGPACK_HEAD: Final[bytes] = _packer_pack("type") + _packer_pack("bundle") + _packer_pack(
    "messages"
)


def bundle(frames: list[Frame], encoding: Encoding) -> Frame:
    """One ``bundle`` frame holding the given encoded messages, in order."""
    if encoding == "json":
        return '{"type":"bundle","messages":[' + ",".join(frames) + "]}"  # type: ignore[arg-type]
    count = len(frames)
    if count < 16:
        head = bytes([0x90 | count])
    elif count < 65536:
        head = b"\xdc" + count.to_bytes(2, "big")
    else:
        head = b"\xdd" + count.to_bytes(4, "big")
    joined: bytes = b"".join(frames)  # type: ignore[arg-type]
    return b"\x82" + _BUNDLE_MSGPACK_HEAD + head + joined
