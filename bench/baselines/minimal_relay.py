"""Baseline (a), the minimal relay: one redis-py subscriber, `websockets.broadcast` to every client.

It is the practical limit of this machine for "Redis pub/sub to many WebSockets" in Python: no
validation, no history, no resume, no auth, no per-client queue (a client whose socket buffer is full
simply misses frames). Every tradewire figure is printed as a ratio to it.

    python bench/baselines/minimal_relay.py REDIS_URL PORT CHANNEL
"""

from __future__ import annotations

import sys

import uvloop
from redis.asyncio import Redis
from websockets.asyncio.server import ServerConnection, broadcast, serve


async def relay(redis_url: str, port: int, channel: str) -> None:
    clients: set[ServerConnection] = set()

    async def handler(websocket: ServerConnection) -> None:
        clients.add(websocket)
        try:
            await websocket.send("hello")  # tells the client it is registered: nothing after this is missed
            await websocket.wait_closed()
        finally:
            clients.discard(websocket)

    redis = Redis.from_url(redis_url)
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(channel)
    async with serve(handler, "127.0.0.1", port, backlog=2048, compression=None):
        async for message in pubsub.listen():
            broadcast(clients, message["data"].decode())


if __name__ == "__main__":
    uvloop.run(relay(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
