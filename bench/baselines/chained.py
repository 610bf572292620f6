"""Baseline (b), the original chained design: bot -> FastAPI -> Django Channels -> browser.

Two processes, as the original ran them:
- `upstream`: FastAPI with the `ConnectionManager` of the FastAPI documentation; the bot's events
  arrive from Redis pub/sub and are broadcast by awaiting `send_text` on each connection in turn;
- `relay`: Django Channels under Daphne; each browser's consumer opens its own WebSocket *client*
  connection to the FastAPI app and relays every message it receives to its browser.
So every browser costs two sockets on the relay and one on the upstream, and every message crosses
two WebSocket hops. No auth, no history, no resume: this is lighter than the original, never heavier.

    python bench/baselines/chained.py upstream REDIS_URL PORT CHANNEL
    python bench/baselines/chained.py relay UPSTREAM_WS_URL PORT
"""

# No `from __future__ import annotations`: FastAPI must resolve `WebSocket` in the local scope below.
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from typing import Any


def upstream_app(redis_url: str, channel: str) -> Any:
    from fastapi import FastAPI, WebSocket, WebSocketDisconnect
    from redis.asyncio import Redis

    class ConnectionManager:
        def __init__(self) -> None:
            self.active_connections: list[WebSocket] = []

        async def connect(self, websocket: WebSocket) -> None:
            await websocket.accept()
            self.active_connections.append(websocket)

        def disconnect(self, websocket: WebSocket) -> None:
            with contextlib.suppress(ValueError):
                self.active_connections.remove(websocket)

        async def broadcast(self, message: str) -> None:
            for connection in list(self.active_connections):
                try:
                    await connection.send_text(message)
                except Exception:  # a socket closing under us; the original crashed here
                    self.disconnect(connection)

    manager = ConnectionManager()

    async def bot_events(pubsub: Any) -> None:
        async for message in pubsub.listen():
            await manager.broadcast(message["data"].decode())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pubsub = Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(channel)
        task = asyncio.create_task(bot_events(pubsub))
        yield
        task.cancel()

    app = FastAPI(lifespan=lifespan)

    @app.websocket("/ws")
    async def websocket_endpoint(websocket: WebSocket) -> None:
        await manager.connect(websocket)
        await websocket.send_text("hello")
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect:
            manager.disconnect(websocket)

    return app


def relay_application(upstream_url: str) -> Any:
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-only",
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=["channels"],
        ROOT_URLCONF=__name__,
        USE_TZ=True,
    )
    django.setup()
    import websockets
    from channels.generic.websocket import AsyncWebsocketConsumer
    from channels.routing import ProtocolTypeRouter, URLRouter
    from django.urls import path

    class RelayConsumer(AsyncWebsocketConsumer):
        async def connect(self) -> None:
            await self.accept()
            self.upstream = asyncio.create_task(self.relay())

        async def relay(self) -> None:
            async with websockets.connect(upstream_url, compression=None, max_size=None) as upstream:
                async for message in upstream:
                    await self.send(text_data=message)

        async def disconnect(self, code: int) -> None:
            self.upstream.cancel()

    return ProtocolTypeRouter({"websocket": URLRouter([path("ws/", RelayConsumer.as_asgi())])})


urlpatterns: list[Any] = []

if __name__ == "__main__":
    role = sys.argv[1]
    if role == "upstream":
        import uvicorn

        uvicorn.run(
            upstream_app(sys.argv[2], sys.argv[4]),
            host="127.0.0.1",
            port=int(sys.argv[3]),
            log_level="warning",
            backlog=2048,
            ws_per_message_deflate=False,
        )
    else:
        from daphne.server import Server

        Server(
            relay_application(sys.argv[2]),
            endpoints=[f"tcp:port={sys.argv[3]}:interface=127.0.0.1:backlog=2048"],
            verbosity=0,
        ).run()
