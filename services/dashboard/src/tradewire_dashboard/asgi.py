"""The ASGI application: Django for HTTP (static files included), Channels for the WebSocket.

`python -m tradewire_dashboard serve` builds it with its Settings. For an external server
(`uvicorn tradewire_dashboard.asgi:application`, `daphne ...`), `application` is built on first
access from the environment, which makes that import the entry point.
"""

from __future__ import annotations

from typing import Any

from tradewire_dashboard.config import Settings
from tradewire_dashboard.runtime import RuntimeApp


class OnePath:
    """The WebSocket's one route. Channels' `URLRouter` copies the scope (adding `url_route`) and stays
    in each idle socket's chain of awaits: ~0.7 KB per browser for a table of one path."""

    def __init__(self, path: str, app: Any) -> None:
        self.path, self.app = path, app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["path"] != self.path:
            raise ValueError(f"No route found for path {scope['path']!r}.")  # as URLRouter: uvicorn refuses it
        await self.app(scope, receive, send)


def build_application(settings: Settings) -> RuntimeApp:
    """Django must already be configured (see `django_config.configure_django`)."""
    from channels.routing import ProtocolTypeRouter
    from channels.security.websocket import AllowedHostsOriginValidator
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.core.asgi import get_asgi_application

    from tradewire_dashboard.consumer import ControlRoomConsumer
    from tradewire_dashboard.websocket_auth import session_user_stack

    http = ASGIStaticFilesHandler(get_asgi_application())
    websocket = AllowedHostsOriginValidator(session_user_stack(OnePath("/ws/control/", ControlRoomConsumer.as_asgi())))
    return RuntimeApp(ProtocolTypeRouter({"http": http, "websocket": websocket}), settings)


def __getattr__(name: str) -> Any:
    if name != "application":
        raise AttributeError(name)
    from tradewire_dashboard.django_config import configure_django

    settings = Settings()
    configure_django(settings)
    application = build_application(settings)
    globals()["application"] = application
    return application
