"""Typed reads of the Redis structures the bus keeps (redis-py's own return types are loose unions)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast
from uuid import UUID

from redis.asyncio import Redis, RedisCluster
from redis.asyncio.client import PubSub
from redis.exceptions import ResponseError

from tradewire_bus.redis_errors import CONNECTION_ERRORS
from tradewire_schemas import Event, MessageRejected, decode_event, is_bot_id, stream_order

log = logging.getLogger("tradewire.bus.reads")

StreamEntry = tuple[str, dict[bytes, bytes]]  # (offset, fields)
AnyRedis = Redis | RedisCluster  # one Redis, or a cluster (tradewire_bus.redis_clients)


offset_key = stream_order  # the schemas' one offset rule, under the name the bus's readers know


def stream_entries(raw: object) -> list[StreamEntry]:
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], raw or [])
    return [(entry_id.decode(), fields) for entry_id, fields in entries]


async def read_stream(redis: AnyRedis, stream: str, start: str, end: str, count: int) -> list[StreamEntry]:
    """XRANGE as (offset, fields) pairs; `start` may be exclusive, written `(offset`."""
    entries = await redis.xrange(stream, min=start, max=end, count=count)
    raise_if_cancelling()
    return stream_entries(entries)


async def bot_ids(redis: AnyRedis, key: str) -> set[str]:
    """The members of the bots set that are bot ids. One malformed member (not UTF-8, not a bot id) or
    a key of the wrong type once made `GET /api/v1/bots` answer 500 and closed every dashboard socket."""
    try:
        members = cast(set[bytes], await redis.smembers(key))
    except ResponseError as error:
        if isinstance(error, CONNECTION_ERRORS):
            # A cluster down during a failover (no master for the slot yet) is Redis away, not a broken key: an empty
            # answer here made a reconnecting every-bot subscriber listen to no bot, for good.
            raise
        log.warning("cannot read the bots set %s: %s", key, error)
        return set()
    raise_if_cancelling()
    found = set()
    for member in members:
        bot = member.decode(errors="replace")
        if is_bot_id(bot):
            found.add(bot)
        else:
            log.warning("skipped a member of %s that is not a bot id: %.80r", key, member)
    return found


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


async def find_in_stream(redis: AnyRedis, stream: str, event_id: UUID, depth: int) -> tuple[str, Event] | None:
    """(offset, event) of the event with this id among the stream's latest `depth` entries, newest first.
    Entries whose text does not even mention the id are not decoded."""
    needle = str(event_id).encode()
    for offset, fields in stream_entries(await redis.xrevrange(stream, count=depth)):
        raw = fields.get(b"event")
        if raw is None or needle not in raw:
            continue
        try:
            stored = decode_event(raw)
        except MessageRejected:
            continue
        if stored.event_id == event_id:
            return offset, stored
    return None
