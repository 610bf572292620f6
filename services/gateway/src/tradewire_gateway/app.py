"""`create_app(settings)`: the FastAPI app; its lifespan owns the bus client and the fan-out hub."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from tradewire_bus import BusUnavailable, Hub, RedisBus
from tradewire_bus.fanout import RenderedCache
from tradewire_gateway.auth import TokenRegistry
from tradewire_gateway.body_limit import BodyLimit
from tradewire_gateway.commander import Commander
from tradewire_gateway.frames import event_frame_text
from tradewire_gateway.metrics import GatewayMetrics
from tradewire_gateway.routes import bots, commands, operations
from tradewire_gateway.runtime import Runtime
from tradewire_gateway.send_watchdog import SendWatchdog
from tradewire_gateway.settings import Settings
from tradewire_gateway.websocket import ServesEventSockets
from tradewire_runtime.lean_websocket import lean_websocket_protocol
from tradewire_runtime.rate_limit import RateLimiter
from tradewire_runtime.redis_url import without_password

log = logging.getLogger("tradewire.gateway")

DESCRIPTION = """Commands to tradewire's bots and their events, over the Redis event bus.

Authenticate with `Authorization: Bearer <token>`. Read endpoints need the `read` scope, commands the
`control` scope. Live events stream on the WebSocket `/ws` (see docs/gateway.md).
"""


def create_app(settings: Settings) -> FastAPI:
    tokens = TokenRegistry.from_settings(settings.tokens)
    metrics = GatewayMetrics()
    limiter = RateLimiter(settings.commands_per_minute, settings.command_burst)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with RedisBus.connect(settings.redis_url, settings.bus) as bus:
            hub = Hub(
                bus,
                max_pending=settings.ws_max_pending,
                conflate_after=settings.ws_conflate_after,
                ring_size=settings.ws_ring_size,
            )
            metrics.watch_bus(lambda: bus.stats)
            app.state.runtime = Runtime(
                settings=settings,
                bus=bus,
                hub=hub,
                tokens=tokens,
                metrics=metrics,
                frames=RenderedCache(event_frame_text),
                commander=Commander(bus, limiter, metrics, settings.command_timeout_s),
                watchdog=SendWatchdog(settings.ws_send_timeout_s),
            )
            # Hub.run restarts its own subscription after a failure; it ends only when cancelled here.
            hub_task = asyncio.create_task(hub.run(), name="gateway-hub")
            watchdog_task = asyncio.create_task(app.state.runtime.watchdog.run(), name="gateway-send-watchdog")
            log.info("gateway serving the bus at %s", without_password(settings.redis_url))
            try:
                yield
            finally:
                for task in (hub_task, watchdog_task):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                metrics.watch_bus(lambda: None)

    app = ServesEventSockets(title="tradewire gateway", version="1", description=DESCRIPTION, lifespan=lifespan)
    app.state.tokens = tokens
    app.add_middleware(BodyLimit)
    app.include_router(operations.router)
    app.include_router(bots.bots_router(settings.events_page_limit))
    app.include_router(commands.router)

    async def redis_unreachable(request: Request, error: Exception) -> JSONResponse:
        log.warning("%s %s: Redis unreachable: %s", request.method, request.url.path, error)
        return JSONResponse({"detail": f"Redis is unreachable: {error}"}, status.HTTP_503_SERVICE_UNAVAILABLE)

    app.add_exception_handler(BusUnavailable, redis_unreachable)
    return app


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for this app, the same in `python -m tradewire_gateway` and in the tests."""
    return {
        "ws": lean_websocket_protocol(),  # ~4 KB less per idle socket than uvicorn's own (its docstring)
        "ws_max_size": settings.ws_max_message_bytes,
        # No permessage-deflate: a browser offers it, and its zlib state cost 18 KB per idle socket (32
        # without, 50 with, 300 clients) for frames of a few hundred bytes that gain little from it.
        "ws_per_message_deflate": False,
        "lifespan": "on",
    }
