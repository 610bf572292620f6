"""The bots set read as the every-bot subscriber and `GET /api/v1/bots` read it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import ClusterDownError

from tradewire_bus.reads import bot_ids
from tradewire_testing.redis_server import RedisServer, free_port


@pytest.fixture
def slotless_cluster_node() -> Iterator[RedisServer]:
    """A real cluster node that serves no slot yet: every key command answers CLUSTERDOWN, as a cluster
    does while a failover has no master for a slot."""
    # Its cluster bus port set too: the default (client port + 10000) does not exist above 55535.
    cluster_bus = ["--cluster-port", str(free_port())]
    server = RedisServer(extra_args=["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", *cluster_bus])
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_a_cluster_that_is_down_is_raised_not_read_as_no_bots(slotless_cluster_node: RedisServer) -> None:
    redis = Redis.from_url(slotless_cluster_node.url)
    try:
        with pytest.raises(ClusterDownError):
            await bot_ids(redis, "tw:bots")
    finally:
        await redis.aclose()


async def test_a_bots_key_of_the_wrong_type_reads_as_no_bots(redis_server: RedisServer) -> None:
    # A plain client on one Redis: `bot_ids` is the same function on a cluster client (the slotless node above).
    redis = Redis.from_url(redis_server.url)
    try:
        await redis.set("tw:bots", "not a set")
        assert await bot_ids(redis, "tw:bots") == set()
        await redis.delete("tw:bots")
        await redis.sadd("tw:bots", "alpha", "not a bot id!")
        assert await bot_ids(redis, "tw:bots") == {"alpha"}
    finally:
        await redis.aclose()
