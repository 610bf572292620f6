"""Typed reads of the Redis structures the bus keeps (redis-py's own return types are loose unions)."""

from __future__ import annotations

from typing import cast

from redis.asyncio import Redis

StreamEntry = tuple[str, dict[bytes, bytes]]  # (offset, fields)


def stream_entries(raw: object) -> list[StreamEntry]:
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], raw or [])
    return [(entry_id.decode(), fields) for entry_id, fields in entries]


async def read_stream(redis: Redis, stream: str, start: str, end: str, count: int) -> list[StreamEntry]:
    """XRANGE as (offset, fields) pairs; `start` may be exclusive, written `(offset`."""
    return stream_entries(await redis.xrange(stream, min=start, max=end, count=count))


async def set_members(redis: Redis, key: str) -> set[str]:
    members = cast(set[bytes], await redis.smembers(key))
    return {member.decode() for member in members}
