"""The bus's Redis clients, for one Redis or a Redis Cluster, chosen from what the URL's server says.

`BusConfig.topology` "auto" (the default) asks the server `INFO cluster`: `cluster_enabled:1` means
a cluster, reached through redis-py's asyncio `RedisCluster` (it finds every node from the one in the
URL and follows slot moves); anything else, one Redis as before. "single" or "cluster" skip the
question. Every service gets the same URL either way, so `REDIS_URL` may name any node of a cluster.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import BlockingConnectionPool, Redis, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.exceptions import ResponseError

from tradewire_bus.config import BusConfig
from tradewire_bus.listener import Listener, PlainListener, ShardedListener
from tradewire_bus.reads import raise_if_cancelling
from tradewire_bus.redis_errors import CONNECTION_ERRORS
from tradewire_bus.topics import Topics
from tradewire_runtime.redis_url import without_password

log = logging.getLogger("tradewire.bus")

# Per node, the cluster client's pool does not block when full: it fails. Leave room for bursts.
CLUSTER_CONNECTIONS_PER_NODE = 4


@dataclass
class RedisClients:
    """`redis` for commands (it may retry briefly); pub/sub through `listener()`, which never retries
    behind the bus's back (a subscription must see a dropped connection, to read what it missed)."""

    redis: Redis | RedisCluster
    topics: Topics
    _pubsub_redis: Redis | None = None

    @property
    def cluster(self) -> RedisCluster | None:
        return self.redis if isinstance(self.redis, RedisCluster) else None

    def listener(self) -> Listener:
        if isinstance(self.redis, RedisCluster):
            return ShardedListener(self.redis)
        assert self._pubsub_redis is not None
        return PlainListener(self._pubsub_redis)

    async def refresh(self) -> None:
        """After a lost connection on a cluster: learn who owns which slot now (a replica may have
        taken over, or a slot moved). Nothing to do on one Redis."""
        if isinstance(self.redis, RedisCluster):
            await self.redis.nodes_manager.initialize()
            raise_if_cancelling()

    async def publish(self, channel: str, message: str | bytes) -> int:
        """PUBLISH on one Redis, SPUBLISH (to the channel's shard) on a cluster: the receiver count."""
        if isinstance(self.redis, RedisCluster):
            return int(await self.redis.execute_command("SPUBLISH", channel, message))
        return int(await self.redis.publish(channel, message))

    async def aclose(self) -> None:
        await self.redis.aclose()
        if self._pubsub_redis is not None:
            await self._pubsub_redis.aclose()


async def is_cluster(url: str) -> bool:
    """What the server says; one Redis if it cannot be asked now (a trader starts and trades while
    Redis is down): a cluster deployment whose services may start before it sets topology=cluster."""
    probe = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        info = await probe.info("cluster")
    except CONNECTION_ERRORS as error:
        log.warning("cannot ask %s whether it is a cluster (%s); assuming one Redis", without_password(url), error)
        return False
    except ResponseError:  # a server without INFO (the embedded fakeredis of `./tw up`) is no cluster
        return False
    finally:
        await probe.aclose()
    return bool(info.get("cluster_enabled"))


@asynccontextmanager
async def open_clients(url: str, config: BusConfig) -> AsyncIterator[RedisClients]:
    sharded = config.topology == "cluster" or (config.topology == "auto" and await is_cluster(url))
    topics = Topics(config.namespace, sharded=sharded)
    clients: RedisClients
    if sharded:
        cluster = RedisCluster.from_url(
            url,
            max_connections=config.max_connections * CLUSTER_CONNECTIONS_PER_NODE,
            socket_connect_timeout=2,
            socket_timeout=5,
            retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), 3),
        )
        # Not initialized here: it learns the slot map on first use, so a service starts while the cluster is down.
        clients = RedisClients(cluster, topics)
    else:
        # A blocking pool: a burst of publishes waits for a free connection instead of failing.
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=config.max_connections,
            timeout=config.command_timeout_s,
            socket_connect_timeout=2,
            socket_timeout=5,
            retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), 2),
        )
        pubsub_redis = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, retry=Retry(NoBackoff(), 0))
        clients = RedisClients(Redis(connection_pool=pool), topics, pubsub_redis)
    try:
        yield clients
    finally:
        await clients.aclose()
