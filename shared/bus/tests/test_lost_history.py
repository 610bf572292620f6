"""A shard that loses a bot's history, seen by readers that had already read some of it (issue 19).

Redis replicates asynchronously: a master can acknowledge events and die before its replica has them,
or before the replica has anything of the bot at all (then the promoted shard gives the bot a new
epoch). The publisher publishes what it kept again, with the original `seq` and event ids. A reader
must then count nothing twice, and count as `forged` only what was forged: the lost events it heard
live are `stale`. Losses are made two ways: by deleting the bot's keys on its master (what a shard that
lost the bot leaves), and by a real failover with replication held back (SIGSTOP of the replica).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from tradewire_bus import BusConfig, BusUnavailable, RedisBus, Resync
from tradewire_schemas import Envelope, PriceUpdated
from tradewire_testing import LocalCluster, RedisServer, eventually, eventually_sync
from tradewire_testing.factories import price

FAST = BusConfig(reconnect_min_s=0.02, reconnect_max_s=0.3, command_timeout_s=3.0)


async def take(events: AsyncIterator[Envelope | Resync], count: int, timeout: float = 30) -> list[Envelope | Resync]:
    async with asyncio.timeout(timeout):
        return [await anext(events) for _ in range(count)]


def seqs(items: list[Envelope | Resync]) -> list[int]:
    return [item.event.seq for item in items if isinstance(item, Envelope)]


async def publish_until(bus: RedisBus, iteration: int, deadline_s: float = 30) -> Envelope:
    """Publish as the trader's outbox does: retry while the cluster is failing over."""
    async with asyncio.timeout(deadline_s):
        while True:
            try:
                return await bus.publish(price(iteration=iteration))
            except BusUnavailable:
                await asyncio.sleep(0.05)


def lose_the_bot(cluster: LocalCluster, bus: RedisBus, bot: str) -> int:
    """Delete every key of the bot on its master (stream, seq, state, epoch): a shard that lost it."""
    owner = cluster.master_of(bus.topics.bot_stream(bot))
    with cluster.client(owner.port) as client:
        keys = list(client.scan_iter(match=f"*{{{bot}}}*"))
        return int(client.delete(*keys))


async def test_a_reader_that_had_the_lost_history_gets_each_event_once_and_no_resync(
    shared_redis_cluster: LocalCluster,
) -> None:
    shared_redis_cluster.flush()
    async with RedisBus.connect(shared_redis_cluster.url, FAST) as bus, bus.subscribe(bots=["alpha"]) as events:
        first = [await bus.publish(price(iteration=iteration)) for iteration in range(5)]
        got = await take(events, 5)
        assert lose_the_bot(shared_redis_cluster, bus, "alpha") >= 3
        later = [await bus.publish(price(iteration=iteration)) for iteration in range(5, 10)]
        got += await take(events, 5)
        assert bus.publisher.republished == 5
    assert all(isinstance(item, Envelope) for item in got), got
    assert seqs(got) == list(range(1, 11))  # 1..5 from the old epoch, 6..10 from the new: each once
    assert later[0].epoch != first[0].epoch
    assert (bus.stats.resyncs, bus.stats.forged) == (0, 0)
    assert bus.stats.duplicates >= 5  # the republished 1..5, recognised by seq and event id


async def test_a_different_history_after_the_loss_is_a_resync_and_is_delivered_whole(
    shared_redis_cluster: LocalCluster,
) -> None:
    # A publisher that kept nothing (a new process) starts the bot over from seq 1 with other events:
    # the new stream does not hold what the reader delivered, so the reader must be told, then get it all.
    shared_redis_cluster.flush()
    async with RedisBus.connect(shared_redis_cluster.url, FAST) as bus, bus.subscribe(bots=["alpha"]) as events:
        for iteration in range(5):
            await bus.publish(price(iteration=iteration))
        await take(events, 5)
        lose_the_bot(shared_redis_cluster, bus, "alpha")
        async with RedisBus.connect(shared_redis_cluster.url, FAST) as newcomer:
            for iteration in range(100, 106):
                await newcomer.publish(price(iteration=iteration))
        got = await take(events, 7)
    assert isinstance(got[0], Resync) and got[0].bot_id == "alpha", got[0]
    assert seqs(got) == [1, 2, 3, 4, 5, 6]
    assert [i.event.iteration for i in got if isinstance(i, Envelope) and isinstance(i.event, PriceUpdated)] == list(
        range(100, 106)
    )
    assert bus.stats.forged == 0


async def test_a_new_history_longer_than_a_publishers_window_is_not_held_back(
    shared_redis_cluster: LocalCluster,
) -> None:
    # No publisher publishes more than its window again: a reader holding back the new stream for its
    # proof gives up after that many events (memory), is told to resync, and gets them.
    shared_redis_cluster.flush()
    config = FAST.model_copy(update={"republish_window": 2})
    async with RedisBus.connect(shared_redis_cluster.url, config) as bus, bus.subscribe(bots=["alpha"]) as events:
        for iteration in range(5):
            await bus.publish(price(iteration=iteration))
        await take(events, 5)
        lose_the_bot(shared_redis_cluster, bus, "alpha")
        async with RedisBus.connect(shared_redis_cluster.url, FAST) as newcomer:
            for iteration in range(100, 103):  # seq 1..3: never reaches the reader's 5
                await newcomer.publish(price(iteration=iteration))
        got = await take(events, 4)
    assert isinstance(got[0], Resync) and got[0].bot_id == "alpha", got[0]
    assert seqs(got) == [1, 2, 3]


def stall_replication(cluster: LocalCluster, bus: RedisBus, bot: str) -> tuple[RedisServer, RedisServer]:
    """Stop the replica of the bot's master and cut its link: what the master acknowledges now is lost."""
    owner = cluster.master_of(bus.topics.bot_stream(bot))
    # A cluster just formed may not list the replica yet.
    eventually_sync(lambda: len(cluster.replicas_of(owner)) == 1, timeout=30, what="the master's replica")
    [replica] = cluster.replicas_of(owner)
    replica.pause()
    with cluster.client(owner.port) as client:
        client.execute_command("CLIENT", "KILL", "TYPE", "replica")
    return owner, replica


async def test_a_failover_that_lost_a_history_the_reader_had_delivers_only_what_is_new(
    redis_cluster: LocalCluster,
) -> None:
    async with RedisBus.connect(redis_cluster.url, FAST) as bus, bus.subscribe(bots=["alpha"]) as events:
        owner, replica = stall_replication(redis_cluster, bus, "alpha")  # before the bot's first event
        first = [await bus.publish(price(iteration=iteration)) for iteration in range(5)]
        got = await take(events, 5)
        redis_cluster.kill(owner)
        replica.resume()
        await asyncio.to_thread(redis_cluster.wait_for_new_master, bus.topics.bot_stream("alpha"), owner)
        with redis_cluster.client(replica.port) as client:
            assert client.get(bus.topics.epoch("alpha")) is None  # the shard lost the bot entirely
        later = [await publish_until(bus, iteration) for iteration in range(5, 10)]
        got += await take(events, 5)
        assert bus.publisher.republished == 5
    assert later[0].epoch != first[0].epoch
    assert all(isinstance(item, Envelope) for item in got), got  # no Resync: nothing was lost for it
    assert seqs(got) == list(range(1, 11))
    assert (bus.stats.resyncs, bus.stats.forged) == (0, 0)


async def test_live_events_a_failover_lost_are_counted_stale_not_forged(redis_cluster: LocalCluster) -> None:
    async with RedisBus.connect(redis_cluster.url, FAST) as bus, bus.subscribe(bots=["alpha"]) as events:
        for iteration in range(5):
            await bus.publish(price(iteration=iteration))
        got = await take(events, 5)
        owner = redis_cluster.master_of(bus.topics.bot_stream("alpha"))
        await eventually(lambda: len(redis_cluster.replicas_of(owner)) == 1, what="the master's replica")
        [replica] = redis_cluster.replicas_of(owner)
        await eventually(lambda: _replica_seq(redis_cluster, replica.port, bus.topics.bot_seq("alpha")) == 5)
        stall_replication(redis_cluster, bus, "alpha")
        # Three events the master acknowledges and the replica never gets; the reader hears them live but
        # reads them only once the replica has taken over, before the publisher published them again.
        for iteration in range(5, 8):
            await bus.publish(price(iteration=iteration))
        redis_cluster.kill(owner)
        replica.resume()
        await asyncio.to_thread(redis_cluster.wait_for_new_master, bus.topics.bot_stream("alpha"), owner)
        reading = asyncio.ensure_future(take(events, 4))
        await eventually(lambda: bus.stats.reconnects >= 1, timeout=30, what="the reader noticed the failover")
        await publish_until(bus, 8)
        got += await reading
        assert bus.publisher.republished == 3
    assert seqs(got) == list(range(1, 10))  # each once, in order
    assert bus.stats.forged == 0
    assert bus.stats.stale == 3


def _replica_seq(cluster: LocalCluster, port: int, key: str) -> int | None:
    with cluster.client(port) as client:
        client.execute_command("READONLY")  # a replica answers reads of its master's slots only when asked
        raw = client.get(key)
    return None if raw is None else int(raw)
