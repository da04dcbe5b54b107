"""server/core/origins.py without a server: which browser origins are this server."""

from __future__ import annotations

import pytest

from server.core.origins import OriginPolicy, normalize


@pytest.mark.parametrize(("raw", "clean"), [
    ("http://Example.org", "http://example.org"),
    ("https://example.org:443", "https://example.org"),
    ("http://example.org:80/", "http://example.org"),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ("http://[::1]:8000", "http://[::1]:8000"),
    ("null", None),
    ("file:///etc/passwd", None),
    ("http://", None),
    ("http://example.org:99999", None),
])
def test_normalize(raw: str, clean: str | None) -> None:
    assert normalize(raw) == clean


def allows(policy: OriginPolicy, origin: str | None, host: str = "127.0.0.1:8000",
           scheme: str = "http", port: int | None = 8000) -> bool:
    return policy.allows(origin, scheme=scheme, host=host, port=port)


def test_no_origin_is_not_a_browser_and_is_allowed() -> None:
    assert allows(OriginPolicy(), None)


def test_loopback_aliases_of_the_listening_port_are_own() -> None:
    policy = OriginPolicy.of(None, ())
    for origin in ("http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"):
        assert allows(policy, origin), origin
    assert not allows(policy, "http://127.0.0.1:8001")
    assert not allows(policy, "https://127.0.0.1:8000")


def test_the_host_header_alone_never_makes_a_name_own() -> None:
    policy = OriginPolicy.of(None, ())
    assert not allows(policy, "http://evil.example:8000", host="evil.example:8000")
    assert allows(policy, "http://192.168.1.5:8000", host="192.168.1.5:8000")  # LAN, no DNS
    assert not allows(policy, "http://192.168.1.5:8000", host="192.168.1.6:8000")


def test_a_public_url_replaces_the_host_match() -> None:
    policy = OriginPolicy.of("https://board.example/", ())
    assert allows(policy, "https://board.example", host="board.example", scheme="https")
    assert not allows(policy, "http://board.example", host="board.example")
    assert not allows(policy, "http://192.168.1.5:8000", host="192.168.1.5:8000")
    assert allows(policy, "http://localhost:8000")  # still this server


def test_the_allow_list_and_cors() -> None:
    policy = OriginPolicy.of(None, ("https://host.example", " bad "))
    assert allows(policy, "https://host.example")
    assert policy.cross_allowed("https://HOST.example:443")
    assert not policy.cross_allowed("http://127.0.0.1:8000")  # own: no CORS needed
    assert not policy.cross_allowed(None)
    everyone = OriginPolicy.of(None, ("*",))
    assert allows(everyone, "https://anything.example") and everyone.cross_allowed("http://x.y")


def test_settings_refuse_an_origin_without_a_scheme(monkeypatch: pytest.MonkeyPatch) -> None:
    from server.settings import Settings

    monkeypatch.setenv("TUSSENTAFEL_ALLOWED_ORIGINS", "https://ok.example, example.org")
    with pytest.raises(SystemExit, match=r"not 'example\.org'"):
        Settings.from_env()
    monkeypatch.setenv("TUSSENTAFEL_ALLOWED_ORIGINS", "https://ok.example,*")
    monkeypatch.setenv("TUSSENTAFEL_FRAME_ANCESTORS", "'self'   https://ok.example")
    settings = Settings.from_env()
    assert settings.allowed_origins == ("https://ok.example", "*")
    assert settings.frame_ancestors == "'self' https://ok.example"
    monkeypatch.setenv("TUSSENTAFEL_FRAME_ANCESTORS", "'self'; script-src *")
    with pytest.raises(SystemExit):
        Settings.from_env()
