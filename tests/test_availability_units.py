"""The pure parts of the availability limits, without a server: nesting in the
codec, outgoing strings, log redaction, and the budgets and caps."""

from __future__ import annotations

import json

import msgpack
import pytest

from server.cli import redact_query
from server.core.codec import MAX_DEPTH, DecodeError, Outgoing, decode, encode
from server.settings import Settings
from server.web.guards import AddressRate, is_json
from server.ws.admission import Admission
from server.ws.ratelimit import PresenceMeter


def _nested(depth: int) -> dict[str, object]:
    value: object = []
    for _ in range(depth - 2):  # the message map and the innermost list are two levels
        value = [value]
    return {"type": "ping", "x": value}


@pytest.mark.parametrize("encoding", ["json", "msgpack"])
def test_nesting_up_to_the_limit_decodes_and_one_more_is_refused(encoding: str) -> None:
    def frame(depth: int) -> bytes | str:
        message = _nested(depth)
        return json.dumps(message) if encoding == "json" else msgpack.packb(message)

    assert decode(frame(MAX_DEPTH), encoding)["type"] == "ping"  # type: ignore[arg-type]
    with pytest.raises(DecodeError, match="nested too deep"):
        decode(frame(MAX_DEPTH + 1), encoding)  # type: ignore[arg-type]


def test_a_lone_surrogate_goes_out_as_valid_utf8() -> None:
    message = {"type": "event", "label": "a\ud800b", "ok": "é"}
    text = Outgoing(message).frame("json")
    assert isinstance(text, str)
    assert json.loads(text.encode("utf-8")) == message  # escaped, lossless
    packed = encode(message, "msgpack")
    assert isinstance(packed, bytes)
    assert msgpack.unpackb(packed, raw=False) == {**message, "label": "a?b"}
    assert encode({"ok": "é"}, "json") == '{"ok":"é"}'  # valid text is left alone


@pytest.mark.parametrize("line,kept", [
    ('127.0.0.1:5 - "GET /b/x?t=SECRET HTTP/1.1" 200', '/b/x?t=<redacted> HTTP/1.1" 200'),
    ("/api/boards/x/state?%74=SECRET", "?%74=<redacted>"),
    ("/b/x?a=1&%74=SECRET&t=SECRET", "?a=1&%74=<redacted>&t=<redacted>"),
    ("/b/x?tt=1", "?tt=1"),
])
def test_token_redaction_reads_the_decoded_name(line: str, kept: str) -> None:
    out = redact_query(line)
    assert "SECRET" not in out and kept in out


def test_json_content_types() -> None:
    assert is_json("application/json") and is_json("Application/JSON; charset=utf-8")
    assert not is_json("text/plain") and not is_json("") and not is_json("application/jsonx")


def test_board_rate_per_address() -> None:
    rate = AddressRate(per_s=0.001, burst=2)
    assert rate.take("a") == 0 and rate.take("a") == 0
    assert rate.take("a") > 1  # seconds to wait
    assert rate.take("b") == 0  # another address has its own budget
    assert AddressRate(per_s=0, burst=1).take("a") == 0  # 0: no limit


def test_admission_counts_sockets_per_address_and_in_all() -> None:
    gate = Admission(Settings(max_conns=3, max_conns_per_ip=2, conn_cap_exempt=("10.0.0.9",)))
    assert gate.admit("a") is None and gate.admit("a") is None
    assert gate.admit("a") == "address"
    assert gate.admit("10.0.0.9") is None  # exempt from the per-address cap ...
    assert gate.admit("b") == "server"  # ... not from the process cap
    gate.release("a")
    assert gate.admit("b") is None


def test_presence_meter_takes_messages_and_bytes() -> None:
    meter = PresenceMeter(per_s=2, bytes_per_s=100)
    assert meter.wait(60) == 0
    assert meter.wait(60) > 0  # 120 bytes > 100: the second waits
    assert meter.wait(10) == 0  # a small one still fits (1 message, 40 bytes left)
    assert meter.wait(1) > 0  # two messages a second at most
    assert PresenceMeter(per_s=10, bytes_per_s=100).wait(10_000) == 0  # bigger than a burst
