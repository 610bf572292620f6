"""What Redis 7.0 itself allows on a cluster, pinned: the bus's cluster mode rests on each of these.

docs/bus.md ("On Redis Cluster") states them; if a Redis upgrade changes one, this fails first.
"""

from __future__ import annotations

import pytest
import redis
from redis.asyncio.cluster import ClusterPubSub

from tradewire_testing import LocalCluster, RedisServer, slot_of


def _next_message(pubsub: redis.client.PubSub, kind: str) -> dict[str, object]:
    message = pubsub.get_message(timeout=5)
    while message is not None and message["type"] != kind:
        message = pubsub.get_message(timeout=5)
    assert message is not None, f"no {kind} within 5 s"
    return message


INCR_THEN_SPUBLISH_KEY = "redis.call('INCR', KEYS[1]) return redis.call('SPUBLISH', KEYS[2], 'x')"
INCR_THEN_SPUBLISH_ARGV = "redis.call('INCR', KEYS[1]) return redis.call('SPUBLISH', ARGV[1], 'x')"


def _masters(cluster: LocalCluster) -> list[RedisServer]:
    return [cluster.server_on(node.port) for node in cluster.nodes() if node.master]


def _channel_owned_by(cluster: LocalCluster, server: RedisServer, other_than: str = "") -> str:
    """A bot's live channel whose slot `server` owns (and that is not `other_than`)."""
    owned = next(node.slots for node in cluster.nodes() if node.port == server.port)
    for number in range(10_000):
        channel = f"tw:events:{{bot-{number}}}"
        slot = slot_of(channel)
        if other_than and slot == slot_of(other_than):
            continue
        if any(low <= slot <= high for low, high in owned):
            return channel
    raise LookupError("no such channel among 10,000 bot ids")


def _sharded_subscriber(cluster: LocalCluster, channel: str) -> redis.client.PubSub:
    owner = cluster.master_of(channel)
    pubsub = cluster.client(owner.port).pubsub()
    pubsub.ssubscribe(channel)
    _next_message(pubsub, "ssubscribe")
    return pubsub


def test_redis_cluster_facts_the_bus_relies_on(redis_cluster: LocalCluster) -> None:
    key, channel = "tw:bot:{demo}:seq", "tw:events:{demo}"
    assert slot_of(key) == slot_of(channel)
    owner = redis_cluster.master_of(key)
    listener = _sharded_subscriber(redis_cluster, channel)
    other_node = next(s for s in redis_cluster.running() if s is not owner)
    broadcast = redis_cluster.client(other_node.port).pubsub()
    broadcast.subscribe("tw:fleet")
    _next_message(broadcast, "subscribe")
    with redis_cluster.client(owner.port) as client:
        # 1. SPUBLISH inside a script, the channel declared in KEYS beside a key of the same slot.
        assert client.eval("redis.call('INCR', KEYS[1]) return redis.call('SPUBLISH', KEYS[2], ARGV[1])",
                           2, key, channel, "one") == 1  # fmt: skip
        assert _next_message(listener, "smessage")["data"] == b"one"
        # 2. ... and with the channel only in ARGV: allowed too, as long as it hashes to the script's slot.
        assert client.eval("redis.call('INCR', KEYS[1]) return redis.call('SPUBLISH', ARGV[1], ARGV[2])",
                           1, key, channel, "two") == 1  # fmt: skip
        assert _next_message(listener, "smessage")["data"] == b"two"
        # 3. A channel of another slot declared in KEYS: refused before the script runs.
        same_node = _channel_owned_by(redis_cluster, owner, other_than=channel)
        with pytest.raises(redis.ResponseError, match="hash to the same slot"):
            client.eval(f"{INCR_THEN_SPUBLISH_KEY}", 2, key, same_node)
        # 4. ... undeclared (in ARGV), owned by another node: "non local key".
        foreign = _channel_owned_by(redis_cluster, next(s for s in _masters(redis_cluster) if s is not owner))
        with pytest.raises(redis.ResponseError, match="non local key"):
            client.eval(INCR_THEN_SPUBLISH_ARGV, 1, key, foreign)
        # 5. ... undeclared, another slot of the same node: an old-style script may (nothing checks), a
        # script with a shebang (`#!lua`, Redis 7) may not. The bus's cluster script has one.
        assert client.eval(INCR_THEN_SPUBLISH_ARGV, 1, key, same_node) == 0
        with pytest.raises(redis.ResponseError, match="do not hash to the same slot"):
            client.eval("#!lua\n" + INCR_THEN_SPUBLISH_ARGV, 1, key, same_node)
        # 6. Plain PUBLISH is allowed in a cluster script and reaches a SUBSCRIBE on any node (broadcast).
        client.eval("redis.call('INCR', KEYS[1]) return redis.call('PUBLISH', ARGV[1], ARGV[2])",
                    1, key, "tw:fleet", "demo")  # fmt: skip
        assert _next_message(broadcast, "message")["data"] == b"demo"
        # 7. A script may not touch a key of another slot (why tw:bots and tw:epoch cannot be in it).
        with pytest.raises(redis.ResponseError):
            client.eval("return redis.call('SADD', KEYS[2], 'demo')", 2, key, "tw:bots")
    listener.close()
    broadcast.close()
    # 8. redis-py's asyncio cluster client subscribes to shard channels.
    assert callable(ClusterPubSub.ssubscribe)


def test_moving_a_slot_unsubscribes_its_sharded_subscribers(redis_cluster: LocalCluster) -> None:
    channel = "tw:events:{demo}"
    listener = _sharded_subscriber(redis_cluster, channel)
    target = next(s for s in redis_cluster.running() if s is not redis_cluster.master_of(channel)
                  and s not in redis_cluster.replicas_of(redis_cluster.master_of(channel))
                  and any(n.port == s.port and n.master for n in redis_cluster.nodes()))  # fmt: skip
    redis_cluster.move_slot(channel, target)
    # Redis tells the subscriber its channel is gone from this node, so a reader knows to follow the slot.
    assert _next_message(listener, "sunsubscribe")["channel"] == channel.encode()
    assert redis_cluster.master_of(channel) is target
    listener.close()


def test_a_killed_master_is_replaced_by_its_replica_with_the_data(redis_cluster: LocalCluster) -> None:
    key = "tw:bot:{demo}:seq"
    owner = redis_cluster.master_of(key)
    with redis_cluster.client(owner.port) as client:
        client.set(key, 41)
        client.execute_command("WAIT", 1, 2000)
    redis_cluster.kill(owner)
    promoted = redis_cluster.wait_for_new_master(key, owner)
    with redis_cluster.client(promoted.port) as client:
        assert client.incr(key) == 42
