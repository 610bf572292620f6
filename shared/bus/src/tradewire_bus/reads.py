"""Typed reads of the Redis structures the bus keeps (redis-py's own return types are loose unions)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

StreamEntry = tuple[str, dict[bytes, bytes]]  # (offset, fields)


def stream_entries(raw: object) -> list[StreamEntry]:
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], raw or [])
    return [(entry_id.decode(), fields) for entry_id, fields in entries]


async def read_stream(redis: Redis, stream: str, start: str, end: str, count: int) -> list[StreamEntry]:
    """XRANGE as (offset, fields) pairs; `start` may be exclusive, written `(offset`."""
    entries = await redis.xrange(stream, min=start, max=end, count=count)
    raise_if_cancelling()
    return stream_entries(entries)


async def set_members(redis: Redis, key: str) -> set[str]:
    members = cast(set[bytes], await redis.smembers(key))
    raise_if_cancelling()
    return {member.decode() for member in members}


async def next_message(pubsub: PubSub, *, ignore_subscribe_messages: bool = False) -> dict[str, Any] | None:
    """The next pub/sub message, waiting as long as it takes, and honouring cancellation.

    redis-py can swallow a `task.cancel()` that lands while it reads: it returns a message although the
    task is being cancelled, and a loop around it would then never end. So we re-raise it here.
    """
    raise_if_cancelling()
    message = await pubsub.get_message(ignore_subscribe_messages=ignore_subscribe_messages, timeout=None)
    raise_if_cancelling()
    return cast(dict[str, Any] | None, message)


def raise_if_cancelling() -> None:
    """Re-raise a cancellation redis-py swallowed (it can, inside its pool and pub/sub reads)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
