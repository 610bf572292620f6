from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from tradewire_gateway.auth import (
    QUICKSTART_NAME,
    TokenRegistry,
    bearer_token,
    token_from_subprotocols,
)
from tradewire_gateway.settings import ApiToken, Scope

OPS = ApiToken(name="ops", token=SecretStr("o" * 24), scopes=frozenset({Scope.READ, Scope.CONTROL}))
VIEWER = ApiToken(name="viewer", token=SecretStr("v" * 24), scopes=frozenset({Scope.READ}))


def test_known_tokens_map_to_their_name_and_scopes() -> None:
    registry = TokenRegistry([OPS, VIEWER])
    ops, viewer = registry.identify("o" * 24), registry.identify("v" * 24)
    assert ops is not None and ops.name == "ops" and ops.may(Scope.CONTROL)
    assert viewer is not None and viewer.may(Scope.READ) and not viewer.may(Scope.CONTROL)


@pytest.mark.parametrize("presented", [None, "", "o" * 23, "o" * 25, "O" * 24, "v" * 24 + " "])
def test_anything_but_an_exact_token_is_unknown(presented: str | None) -> None:
    assert TokenRegistry([OPS]).identify(presented) is None


def test_duplicate_token_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        TokenRegistry([OPS, OPS])


def test_without_configured_tokens_a_random_control_token_is_generated_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="tradewire.gateway.auth"):
        first, second = TokenRegistry.from_settings([]), TokenRegistry.from_settings([])
    assert first.generated_token and second.generated_token and first.generated_token != second.generated_token
    principal = first.identify(first.generated_token)
    assert principal is not None and principal.name == QUICKSTART_NAME
    assert principal.may(Scope.READ) and principal.may(Scope.CONTROL)
    assert first.generated_token in caplog.text
    assert "GATEWAY_TOKENS" in caplog.text


def test_configured_tokens_generate_nothing() -> None:
    assert TokenRegistry.from_settings([OPS]).generated_token is None


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc", "abc"), ("bearer abc", "abc"), ("Basic abc", None), ("Bearer ", None), (None, None), ("abc", None)],
)
def test_bearer_header_parsing(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


def test_token_is_read_from_the_bearer_subprotocol() -> None:
    assert token_from_subprotocols(["tradewire.v1", "tradewire.bearer.secret"]) == "secret"
    assert token_from_subprotocols(["tradewire.v1"]) is None
    assert token_from_subprotocols(["tradewire.bearer."]) is None


def test_tokens_must_be_long_and_scoped() -> None:
    with pytest.raises(ValueError):
        ApiToken(name="short", token=SecretStr("x" * 8), scopes=frozenset({Scope.READ}))
    with pytest.raises(ValueError):
        ApiToken(name="none", token=SecretStr("x" * 20), scopes=frozenset())
