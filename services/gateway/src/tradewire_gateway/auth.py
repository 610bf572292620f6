"""Bearer tokens with scopes: who is calling and what they may do. No web framework in here.

Tokens are compared as SHA-256 digests with `hmac.compare_digest` against every configured token, so
neither the content nor the length of a guess changes how long the check takes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import SecretStr

from tradewire_gateway.settings import ApiToken, Scope

log = logging.getLogger("tradewire.gateway.auth")

QUICKSTART_NAME = "quickstart"

# A browser cannot set headers on a WebSocket, so it may offer the token as a subprotocol
# `tradewire.bearer.<token>` next to `tradewire.v1`, which is the one the server selects.
SUBPROTOCOL = "tradewire.v1"
TOKEN_SUBPROTOCOL_PREFIX = "tradewire.bearer."


@dataclass(frozen=True)
class Principal:
    name: str
    scopes: frozenset[Scope]

    def may(self, scope: Scope) -> bool:
        return scope in self.scopes


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class TokenRegistry:
    def __init__(self, tokens: Sequence[ApiToken], generated_token: str | None = None) -> None:
        self.generated_token = generated_token  # set only for the quick-start token, so tests can use it
        names = [token.name for token in tokens]
        if len(set(names)) != len(names):
            raise ValueError(f"token names must be unique, got {names}")
        self._entries = [
            (_digest(token.token.get_secret_value()), Principal(token.name, token.scopes)) for token in tokens
        ]

    @classmethod
    def from_settings(cls, tokens: Sequence[ApiToken]) -> TokenRegistry:
        """The configured tokens; with none, one random control token, logged so a person can use it."""
        if tokens:
            return cls(tokens)
        generated = secrets.token_urlsafe(32)
        log.warning(
            "no GATEWAY_TOKENS configured: generated a one-off control token for this run. "
            "Use it as 'Authorization: Bearer %s' (name %r, scopes read+control). "
            "Configure GATEWAY_TOKENS for anything but a quick local try.",
            generated,
            QUICKSTART_NAME,
        )
        quickstart = ApiToken(name=QUICKSTART_NAME, token=SecretStr(generated), scopes=frozenset(Scope))
        return cls([quickstart], generated_token=generated)

    def identify(self, presented: str | None) -> Principal | None:
        if not presented:
            return None
        digest = _digest(presented)
        found: Principal | None = None
        for expected, principal in self._entries:  # no early exit: every check costs the same
            if hmac.compare_digest(digest, expected):
                found = principal
        return found


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def token_from_subprotocols(offered: Iterable[str]) -> str | None:
    for protocol in offered:
        if protocol.startswith(TOKEN_SUBPROTOCOL_PREFIX):
            return protocol.removeprefix(TOKEN_SUBPROTOCOL_PREFIX) or None
    return None
