"""Who is on a WebSocket: the Django session's user, read once when the socket connects.

Channels' `AuthMiddlewareStack` does this too, but its session wrapper also inspects the session on
every message sent (to save it if it changed): with 1000 browsers at 20 events/s that was ~15% of the
dashboard's CPU. A WebSocket here never changes the session (logging in and out happen over HTTP),
so the session is read once and the server's `send` is passed through untouched.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from channels.auth import get_user
from channels.sessions import CookieMiddleware
from django.conf import settings

App = Any  # an ASGI application


class SessionUserMiddleware:
    def __init__(self, inner: App) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        store = import_module(settings.SESSION_ENGINE).SessionStore
        session = store(scope["cookies"].get(settings.SESSION_COOKIE_NAME))
        scope = {**scope, "session": session}
        scope["user"] = await get_user(scope)  # AnonymousUser without a valid, current session
        return await self.inner(scope, receive, send)


def session_user_stack(inner: App) -> App:
    """Cookies parsed from the headers, then the session's user in `scope["user"]`."""
    return CookieMiddleware(SessionUserMiddleware(inner))
