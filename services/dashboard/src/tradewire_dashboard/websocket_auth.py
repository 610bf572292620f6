"""Who is on a WebSocket: the Django session's user, read once when the socket connects.

Channels' `AuthMiddlewareStack` does this too, but its session wrapper also inspects the session on
every message sent (to save it if it changed): with 1000 browsers at 20 events/s that was ~15% of the
dashboard's CPU. A WebSocket here never changes the session (logging in and out happen over HTTP),
so the session is read once and the server's `send` is passed through untouched.

Memory: an idle socket keeps its scope for its whole life. Channels' `CookieMiddleware` and a session
wrapper each copy the scope, and the session (a store object and its decoded data) stays in it; here
the cookie is read from the headers, the user is put into the one scope, and the session is dropped
once the user is known (nothing on a WebSocket reads it again): ~1.5 KB less per browser.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from channels.auth import get_user
from django.conf import settings
from django.http.cookie import parse_cookie

App = Any  # an ASGI application


def session_key(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"cookie":
            key: str | None = parse_cookie(value.decode("latin1")).get(settings.SESSION_COOKIE_NAME)
            return key
    return None


class SessionUserMiddleware:
    def __init__(self, inner: App) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        store = import_module(settings.SESSION_ENGINE).SessionStore
        scope["session"] = store(session_key(scope.get("headers", [])))
        try:
            scope["user"] = await get_user(scope)  # AnonymousUser without a valid, current session
        finally:
            del scope["session"]
        return await self.inner(scope, receive, send)


def has_perm_uncached(user: Any, permission: str) -> bool:
    """`user.has_perm`, without Django's permission caches left on the user: the user stays in an idle
    socket's scope for its life, and the caches (every permission of the user and its groups) were
    ~0.7 KB of it. Blocking (database): call it through `database_sync_to_async`."""
    allowed = bool(user.has_perm(permission))
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
    return allowed


def session_user_stack(inner: App) -> App:
    """The session's user in `scope["user"]`, from the session cookie in the headers."""
    return SessionUserMiddleware(inner)
