"""The two wire encodings, in one place.

``Outgoing`` encodes a message at most once per encoding, however many
connections it goes to. ``bundle()`` packs already-encoded messages into one
``bundle`` frame by concatenating bytes: no message is encoded twice.
"""

from __future__ import annotations

import json
from typing import Any, Final, Literal

import msgpack

Encoding = Literal["msgpack", "json"]
Frame = bytes | str

_packer_pack = msgpack.Packer(use_bin_type=True).pack


class DecodeError(ValueError):
    """A frame that is not one message (a map with a ``type``)."""


def _reject_constant(name: str) -> Any:
    raise DecodeError(f"{name} is not a number here")


def _no_ext(code: int, data: bytes) -> Any:
    raise DecodeError("msgpack extension types are not used by this protocol")


def _check_unicode(message: Any) -> None:
    try:
        json.dumps(message, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise DecodeError("strings must be valid Unicode (no lone surrogates)") from None


def encode(message: dict[str, Any], encoding: Encoding) -> Frame:
    if encoding == "msgpack":
        packed: bytes = _packer_pack(message)
        return packed
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


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
    return message


class Outgoing:
    """A message to send, encoded lazily and at most once per encoding."""

    __slots__ = ("_json", "_msgpack", "message")

    def __init__(self, message: dict[str, Any]) -> None:
        self.message = message
        self._msgpack: bytes | None = None
        self._json: str | None = None

    def frame(self, encoding: Encoding) -> Frame:
        if encoding == "msgpack":
            if self._msgpack is None:
                self._msgpack = _packer_pack(self.message)
            return self._msgpack
        if self._json is None:
            self._json = json.dumps(
                self.message, separators=(",", ":"), ensure_ascii=False, allow_nan=False
            )
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
