"""A bot's stream read straight from Redis, synchronously: for tests that watch a real trader process
with `eventually_sync` and have no event loop of their own."""

from __future__ import annotations

from typing import cast

import redis

from tradewire_bus import Topics
from tradewire_schemas import Event, decode_event


def stream_events(redis_url: str, bot_id: str) -> list[Event]:
    """Every event the bot's stream holds now, oldest first (on one Redis, not a cluster)."""
    client = redis.Redis.from_url(redis_url)
    try:
        entries = cast(list[tuple[bytes, dict[bytes, bytes]]], client.xrange(Topics().bot_stream(bot_id)))
        return [decode_event(fields[b"event"]) for _, fields in entries]
    finally:
        client.close()
