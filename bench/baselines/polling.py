"""Baseline (c), polling: what the control room did before push. Clients GET new events every 2 s.

A redis-py subscriber keeps every event (the envelope bytes) in a list; `GET /events?after=<n>`
answers `{"head": <count>, "events": [<every event after n>]}`. The client then waits 2 seconds and
asks again with the new head. Served by uvicorn (uvloop, httptools) as a bare ASGI app, so what is
measured is the polling interval, not a framework.

    python bench/baselines/polling.py REDIS_URL PORT CHANNEL
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from redis.asyncio import Redis


def build_app(redis_url: str, channel: str) -> Any:
    events: list[bytes] = []

    async def collect(pubsub: Any) -> None:
        async for message in pubsub.listen():
            events.append(message["data"])

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()
            pubsub = Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
            await pubsub.subscribe(channel)  # subscribed before the port opens: no event is missed
            app.collector = asyncio.create_task(collect(pubsub))  # type: ignore[attr-defined]
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        query = parse_qs(scope["query_string"].decode())
        after = int(query.get("after", ["-1"])[0])
        head = len(events)
        start = head if after < 0 else min(after, head)
        body = b'{"head":%d,"events":[%s]}' % (head, b",".join(events[start:head]))
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})

    return app


if __name__ == "__main__":
    uvicorn.run(
        build_app(sys.argv[1], sys.argv[3]),
        host="127.0.0.1",
        port=int(sys.argv[2]),
        log_level="warning",
        lifespan="on",
        backlog=2048,
        access_log=False,
    )
