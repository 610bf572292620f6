from __future__ import annotations

import pytest

from tradewire_gateway.settings import Scope, Settings


def test_defaults_serve_locally_on_8002() -> None:
    settings = Settings()
    assert (settings.host, settings.port) == ("127.0.0.1", 8002)
    assert settings.tokens == []


def test_tokens_and_bus_knobs_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_TOKENS", '[{"name":"ops","token":"0123456789abcdef01","scopes":["read","control"]}]')
    monkeypatch.setenv("GATEWAY_BUS__NAMESPACE", "staging")
    monkeypatch.setenv("GATEWAY_PORT", "9002")
    settings = Settings()
    [token] = settings.tokens
    assert token.name == "ops" and token.scopes == {Scope.READ, Scope.CONTROL}
    assert token.token.get_secret_value() == "0123456789abcdef01"
    assert "0123456789abcdef01" not in repr(settings)  # secrets never end up in logs
    assert settings.bus.namespace == "staging"
    assert settings.port == 9002


@pytest.mark.parametrize("variable", ["GATEWAY_REDIS_URL", "REDIS_URL"])
def test_redis_url_accepts_the_prefixed_and_the_plain_name(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv(variable, "redis://127.0.0.1:6390/2")
    assert Settings().redis_url == "redis://127.0.0.1:6390/2"


def test_unknown_scopes_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_TOKENS", '[{"name":"x","token":"0123456789abcdef01","scopes":["admin"]}]')
    with pytest.raises(ValueError, match="scopes"):
        Settings()
