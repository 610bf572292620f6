"""The WebSocket's user comes from the Django session cookie, read once; `send` is not wrapped."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import Client

from tradewire_dashboard.config import Settings
from tradewire_dashboard.websocket_auth import session_user_stack


def _logged_in_cookie(username: str) -> str:
    user = User.objects.create_user(username, password="correct horse battery")
    client = Client()
    client.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"


async def _scope_seen(cookie: str | None) -> tuple[dict[str, Any], Any]:
    seen: dict[str, Any] = {}

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen["scope"], seen["send"] = scope, send

    async def send(message: dict[str, Any]) -> None:
        raise AssertionError("nothing is sent by the middleware itself")

    headers = [(b"cookie", cookie.encode())] if cookie else []
    await session_user_stack(inner)({"type": "websocket", "headers": headers}, None, send)
    assert seen["send"] is send, "the server's send must reach the consumer unwrapped"
    return seen["scope"], seen["send"]


async def test_a_logged_in_session_gives_its_user(database: Settings) -> None:
    cookie = await database_sync_to_async(_logged_in_cookie)("ws-alice")
    scope, _ = await _scope_seen(cookie)
    assert scope["user"].is_authenticated and scope["user"].username == "ws-alice"


async def test_no_cookie_or_an_unknown_session_is_anonymous(database: Settings) -> None:
    for cookie in (None, f"{django_settings.SESSION_COOKIE_NAME}=not-a-session", "other=1"):
        scope, _ = await _scope_seen(cookie)
        assert not scope["user"].is_authenticated, cookie


async def test_the_session_is_not_kept_in_the_scope_once_the_user_is_known(database: Settings) -> None:
    cookie = await database_sync_to_async(_logged_in_cookie)("ws-carol")
    scope, _ = await _scope_seen(cookie)
    assert scope["user"].username == "ws-carol"
    assert "session" not in scope and "cookies" not in scope  # an idle socket keeps its scope for its life


def _granted_and_denied() -> tuple[bool, bool, set[str]]:
    from django.contrib.auth.models import Permission

    from tradewire_dashboard.websocket_auth import has_perm_uncached

    allowed = User.objects.create_user("ws-dave", password="correct horse battery")
    allowed.user_permissions.add(Permission.objects.get(codename="control_bot"))
    denied = User.objects.create_user("ws-erin", password="correct horse battery")
    granted = has_perm_uncached(User.objects.get(pk=allowed.pk), "dashboard.control_bot")
    refused = has_perm_uncached(denied, "dashboard.control_bot")
    return granted, refused, {name for name in vars(denied) if name.endswith("perm_cache")}


async def test_a_permission_is_checked_without_leaving_the_caches_on_the_user(database: Settings) -> None:
    granted, refused, caches = await database_sync_to_async(_granted_and_denied)()
    assert granted and not refused
    assert caches == set()
