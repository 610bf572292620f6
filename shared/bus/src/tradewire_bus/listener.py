"""Listening on pub/sub channels, on one Redis or on a Redis Cluster, behind one small interface.

On one Redis a listener is one pub/sub connection (`SUBSCRIBE`, `PSUBSCRIBE`). On a cluster a bot's
channels are shard channels (`SSUBSCRIBE`): each lives on the master that owns its slot, so the
listener holds one connection per master it needs and merges what they hear, and broadcast channels
(`SUBSCRIBE`, which cluster nodes relay to each other) on one more. Messages come out in one shape:
`smessage`/`ssubscribe` are reported as `message`/`subscribe`.

A cluster listener does not follow slots by itself: when a master dies or a slot moves away (Redis
then sends `sunsubscribe`), it raises `TopologyChanged`, a connection error, and its owner reconnects
and reads what it missed from the streams, as after any dropped connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from typing import Any, Protocol

from redis.asyncio import ConnectionPool, Redis, RedisCluster
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.crc import key_slot
from redis.exceptions import ConnectionError as RedisConnectionError

from tradewire_bus.reads import next_message, raise_if_cancelling

Message = dict[str, Any]

_SHARDED_TYPES = {"smessage": "message", "ssubscribe": "subscribe", "sunsubscribe": "unsubscribe"}


class TopologyChanged(RedisConnectionError):
    """A shard channel's slot moved or its master went away: reconnect to the new owner."""


class Listener(Protocol):
    async def subscribe(self, *channels: str) -> None:
        """Ask for the channels; each confirmation arrives later as a `subscribe` message."""

    async def psubscribe(self, pattern: str) -> None:
        """One Redis only: every channel matching the pattern."""

    async def broadcast_subscribe(self, channel: str) -> None:
        """A plain channel (on a cluster, one that every node relays), confirmed by a `subscribe`."""

    async def next_message(self) -> Message | None: ...

    async def aclose(self) -> None: ...


class PlainListener:
    """One pub/sub connection to one Redis."""

    def __init__(self, redis: Redis) -> None:
        self._pubsub = redis.pubsub()

    async def subscribe(self, *channels: str) -> None:
        await self._pubsub.subscribe(*channels)

    async def psubscribe(self, pattern: str) -> None:
        await self._pubsub.psubscribe(pattern)

    async def broadcast_subscribe(self, channel: str) -> None:
        await self._pubsub.subscribe(channel)

    async def next_message(self) -> Message | None:
        return await next_message(self._pubsub)

    async def aclose(self) -> None:
        await self._pubsub.aclose()


class ShardedListener:
    """Shard channels on the masters that own them, one connection per master, read concurrently."""

    def __init__(self, cluster: RedisCluster) -> None:
        self._cluster = cluster
        self._pubsubs: dict[str, PubSub] = {}
        self._pools: list[ConnectionPool] = []
        self._readers: list[asyncio.Task[None]] = []
        self._reading: set[str] = set()
        self._inbox: asyncio.Queue[Message | BaseException] = asyncio.Queue()
        self._broadcast_name = "broadcast"

    async def subscribe(self, *channels: str) -> None:
        await self._cluster.initialize()  # the slot map, if the client has not learnt it yet
        raise_if_cancelling()
        by_node: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
        nodes = {}
        for channel in channels:
            node = self._cluster.get_node_from_key(channel)
            if node is None:
                raise TopologyChanged(f"no master owns the slot of {channel}")
            nodes[node.name] = node
            by_node[node.name][key_slot(channel.encode())].append(channel)
        for name, slots in by_node.items():
            pubsub = self._pubsub_for(name, nodes[name].connection_class, nodes[name].connection_kwargs)
            for group in slots.values():  # one SSUBSCRIBE per slot: Redis refuses a cross-slot one
                await pubsub.ssubscribe(*group)
                raise_if_cancelling()
            self._start_reader(name, pubsub)

    async def psubscribe(self, pattern: str) -> None:
        raise NotImplementedError("sharded pub/sub has no patterns; subscribe to each bot's channel")

    async def broadcast_subscribe(self, channel: str) -> None:
        await self._cluster.initialize()
        raise_if_cancelling()
        node = self._cluster.get_random_node()
        pubsub = self._pubsub_for(self._broadcast_name, node.connection_class, node.connection_kwargs)
        await pubsub.subscribe(channel)
        raise_if_cancelling()
        self._start_reader(self._broadcast_name, pubsub)

    def _pubsub_for(self, name: str, connection_class: Any, connection_kwargs: dict[str, Any]) -> PubSub:
        pubsub = self._pubsubs.get(name)
        if pubsub is None:
            # No retries below us: a dropped connection must reach the owner, which reads what it missed.
            kwargs = {**connection_kwargs, "retry": Retry(NoBackoff(), 0)}
            pool = ConnectionPool(connection_class=connection_class, **kwargs)
            self._pools.append(pool)
            pubsub = self._pubsubs[name] = PubSub(connection_pool=pool)
        return pubsub

    def _start_reader(self, name: str, pubsub: PubSub) -> None:
        """Once its first subscription is sent (before that the pub/sub has no connection to read)."""
        if name not in self._reading:
            self._reading.add(name)
            self._readers.append(asyncio.create_task(self._read(pubsub), name=f"tradewire-bus-listener-{name}"))

    async def _read(self, pubsub: PubSub) -> None:
        while True:
            try:
                message = await pubsub.get_message(timeout=None)
            except Exception as error:  # handed to whoever reads next, who reconnects
                await self._inbox.put(error)
                return
            if message is not None:
                await self._inbox.put(message)

    async def next_message(self) -> Message | None:
        item = await self._inbox.get()
        if isinstance(item, BaseException):
            raise item
        kind = _SHARDED_TYPES.get(item["type"], item["type"])
        if kind == "unsubscribe" and item["type"] == "sunsubscribe":
            raise TopologyChanged(f"Redis moved the slot of {item['channel']!r} away from this master")
        return {**item, "type": kind}

    async def aclose(self) -> None:
        for reader in self._readers:
            reader.cancel()
        if self._readers:  # wait, without swallowing a cancellation of our own caller
            await asyncio.wait(self._readers)
        for pubsub in self._pubsubs.values():
            with contextlib.suppress(Exception):
                await pubsub.aclose()
        for pool in self._pools:
            with contextlib.suppress(Exception):
                await pool.disconnect()
        self._pubsubs.clear()
        self._readers.clear()
        self._reading.clear()
