"""The bus on a real local Redis Cluster (three masters, three replicas): the same calls as on one Redis.

Tests that leave the cluster as they found it share one per module (flushed between tests); the
failover tests break their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from tradewire_bus import BusConfig, BusUnavailable, NoTraderListening, RedisBus, Resync
from tradewire_schemas import Envelope, PriceUpdated, StopBot
from tradewire_testing import LocalCluster, RedisServerMissing, eventually, slot_of
from tradewire_testing.factories import price
from tradewire_testing.responder import responder

FAST = BusConfig(reconnect_min_s=0.02, reconnect_max_s=0.3, command_timeout_s=3.0)


@pytest.fixture(scope="module")
def shared_cluster() -> Iterator[LocalCluster]:
    try:
        cluster = LocalCluster()
    except RedisServerMissing as missing:
        pytest.skip(str(missing))
    with cluster:
        yield cluster


@pytest.fixture
async def bus(shared_cluster: LocalCluster) -> AsyncIterator[RedisBus]:
    shared_cluster.flush()
    async with RedisBus.connect(shared_cluster.url, FAST) as connected:
        yield connected


def bots_on_every_shard(cluster: LocalCluster) -> list[str]:
    """One bot id per master, so a test spans every shard."""
    found: dict[int, str] = {}
    for number in range(1000):
        bot = f"bot-{number}"
        owner = cluster.master_of(f"{{{bot}}}")
        found.setdefault(owner.port, bot)
        if len(found) == cluster.masters:
            return sorted(found.values())
    raise LookupError("no bot ids spanning every master")


async def take(events: AsyncIterator[Envelope | Resync], count: int, timeout: float = 10) -> list[Envelope]:
    got: list[Envelope] = []
    async with asyncio.timeout(timeout):
        while len(got) < count:
            item = await anext(events)
            assert isinstance(item, Envelope), item
            got.append(item)
    return got


async def test_the_bus_detects_the_cluster_and_keeps_a_bots_names_in_its_slot(
    bus: RedisBus, shared_cluster: LocalCluster
) -> None:
    assert bus.sharded
    topics = bus.topics
    assert topics.bot_events("alpha") == "tw:events:{alpha}"
    assert topics.bot_commands("alpha") == "tw:commands:{alpha}"
    names = [topics.bot_stream("alpha"), topics.bot_state("alpha"), topics.epoch("alpha"), topics.bot_events("alpha")]
    assert {slot_of(name) for name in names} == {slot_of("alpha")}
    envelope = await bus.publish(price(iteration=1))
    owner = shared_cluster.master_of(topics.bot_stream("alpha"))
    with shared_cluster.client(owner.port) as client:
        assert client.xlen(topics.bot_stream("alpha")) == 1
        assert client.get(topics.epoch("alpha")).decode() == envelope.epoch
    assert (await bus.snapshot("alpha")).price == envelope.event
    assert [e.event for e in await bus.history("alpha")] == [envelope.event]
    assert await bus.bots() == ["alpha"]


async def test_a_subscriber_to_named_bots_gets_each_bots_events_in_order_across_shards(
    bus: RedisBus, shared_cluster: LocalCluster
) -> None:
    bots = bots_on_every_shard(shared_cluster)
    async with bus.subscribe(bots=bots) as events:
        for iteration in range(5):
            for bot in bots:
                await bus.publish(price(bot_id=bot, iteration=iteration))
        got = await take(events, 5 * len(bots))
    for bot in bots:
        assert [e.event.seq for e in got if e.event.bot_id == bot] == [1, 2, 3, 4, 5]
    assert bus.stats.forged == bus.stats.garbage == 0


async def test_an_every_bot_subscriber_learns_of_new_bots_on_every_shard(
    bus: RedisBus, shared_cluster: LocalCluster
) -> None:
    bots = bots_on_every_shard(shared_cluster)
    await bus.publish(price(bot_id=bots[0], iteration=0))  # known before the subscriber starts
    async with RedisBus.connect(shared_cluster.url, FAST) as publisher_bus, bus.subscribe() as events:
        for iteration in range(1, 4):
            for bot in bots:
                await publisher_bus.publish(price(bot_id=bot, iteration=iteration))
        got = await take(events, 3 * len(bots))
    by_bot = {bot: [e.event.seq for e in got if e.event.bot_id == bot] for bot in bots}
    assert by_bot == {bots[0]: [2, 3, 4], **{bot: [1, 2, 3] for bot in bots[1:]}}
    assert sorted(await bus.bots()) == sorted(bots)


async def test_a_command_reaches_the_traders_inbox_on_the_bots_shard_and_its_result_comes_back(bus: RedisBus) -> None:
    with pytest.raises(NoTraderListening):
        await bus.send_command(StopBot(bot_id="alpha", actor="ops"))
    async with responder(bus, "alpha"):
        command = StopBot(bot_id="alpha", actor="ops")
        result = await bus.send_command(command)
        assert (result.command_id, result.outcome) == (command.command_id, "completed")
        # A retry of the same id gets the kept answer (kept in the bot's slot) without running again.
        assert (await bus.send_command(command)).event_id == result.event_id


async def publish_until(bus: RedisBus, event: PriceUpdated, deadline_s: float = 30) -> Envelope:
    """Publish as the trader's outbox does: retry while the cluster is failing over."""
    async with asyncio.timeout(deadline_s):
        while True:
            try:
                return await bus.publish(event)
            except BusUnavailable:
                await asyncio.sleep(0.05)


async def test_a_master_killed_under_a_publisher_loses_nothing_a_subscriber_sees(redis_cluster: LocalCluster) -> None:
    async with RedisBus.connect(redis_cluster.url, FAST) as bus, bus.subscribe(bots=["alpha"]) as events:
        for iteration in range(5):
            await bus.publish(price(iteration=iteration))
        owner = redis_cluster.master_of(bus.topics.bot_stream("alpha"))
        redis_cluster.kill(owner)
        for iteration in range(5, 10):
            await publish_until(bus, price(iteration=iteration))
        got = await take(events, 10, timeout=30)
    assert [e.event.seq for e in got] == list(range(1, 11))
    assert [e.event.iteration for e in got if isinstance(e.event, PriceUpdated)] == list(range(10))
    # Gossip may not have told every node of the promotion yet: wait for one view that names the new owner.
    await asyncio.to_thread(redis_cluster.wait_for_new_master, bus.topics.bot_stream("alpha"), owner)


async def test_events_a_failover_lost_are_published_again_and_delivered_once(redis_cluster: LocalCluster) -> None:
    async with RedisBus.connect(redis_cluster.url, FAST) as bus, bus.subscribe(bots=["alpha"]) as events:
        for iteration in range(5):
            await bus.publish(price(iteration=iteration))
        got = await take(events, 5)
        owner = redis_cluster.master_of(bus.topics.bot_stream("alpha"))
        [replica] = redis_cluster.replicas_of(owner)
        await eventually(lambda: _replica_has(redis_cluster, replica.port, bus.topics.bot_seq("alpha"), 5))
        # The replica stalls and the master drops its link (what it had sent is already in the replica's
        # socket buffer); the master acknowledges three more, then dies: they are lost.
        replica.pause()
        with redis_cluster.client(owner.port) as client:
            client.execute_command("CLIENT", "KILL", "TYPE", "replica")
        for iteration in range(5, 8):
            await bus.publish(price(iteration=iteration))
        got += await take(events, 3)
        redis_cluster.kill(owner)
        replica.resume()
        await asyncio.to_thread(redis_cluster.wait_for_new_master, bus.topics.bot_stream("alpha"), owner)
        with redis_cluster.client(replica.port) as client:
            assert int(client.get(bus.topics.bot_seq("alpha"))) == 5  # the promoted replica lacks 6..8
        await publish_until(bus, price(iteration=8))
        got += await take(events, 1, timeout=30)
        assert bus.publisher.republished == 3
    assert [e.event.seq for e in got] == list(range(1, 10))  # each once, in order
    async with RedisBus.connect(redis_cluster.url, FAST) as reader:
        history = await reader.history("alpha", limit=100)
    assert [e.event.seq for e in history] == list(range(1, 10))
    assert [e.event.iteration for e in history if isinstance(e.event, PriceUpdated)] == list(range(9))


def _replica_has(cluster: LocalCluster, port: int, key: str, value: int) -> bool:
    with cluster.client(port) as client:
        client.execute_command("READONLY")  # a replica answers reads of its master's slots only when asked to
        raw = client.get(key)
    return raw is not None and int(raw) == value


async def test_a_slot_moved_while_publishing_loses_nothing(redis_cluster: LocalCluster) -> None:
    async with RedisBus.connect(redis_cluster.url, FAST) as bus, bus.subscribe() as events:
        for iteration in range(5):
            await bus.publish(price(iteration=iteration))
        stream = bus.topics.bot_stream("alpha")
        source = redis_cluster.master_of(stream)
        masters = [redis_cluster.server_on(n.port) for n in redis_cluster.nodes() if n.master]
        target = next(server for server in masters if server is not source)
        moving = asyncio.create_task(asyncio.to_thread(redis_cluster.move_slot, stream, target))
        iteration = 5
        while not moving.done() or iteration < 15:
            await publish_until(bus, price(iteration=iteration))
            iteration += 1
        await moving
        got = await take(events, iteration, timeout=30)
    assert [e.event.seq for e in got] == list(range(1, iteration + 1))
    assert redis_cluster.master_of(stream) is target


async def test_a_failover_that_lost_a_bots_whole_history_is_published_again_in_the_new_epoch(
    redis_cluster: LocalCluster,
) -> None:
    # The replica has nothing of the bot when it takes over, not even its epoch key: the promoted shard
    # gives the bot a new epoch. A subscriber that had not yet read the first events (it reads lazily)
    # must still get 1..10, once each, and never count the old epoch's live envelopes as forged.
    async with RedisBus.connect(redis_cluster.url, FAST) as bus, bus.subscribe(bots=["alpha"]) as events:
        owner = redis_cluster.master_of(bus.topics.bot_stream("alpha"))
        [replica] = redis_cluster.replicas_of(owner)
        replica.pause()
        with redis_cluster.client(owner.port) as client:
            client.execute_command("CLIENT", "KILL", "TYPE", "replica")
        first = [await bus.publish(price(iteration=iteration)) for iteration in range(5)]
        redis_cluster.kill(owner)
        replica.resume()
        await asyncio.to_thread(redis_cluster.wait_for_new_master, bus.topics.bot_stream("alpha"), owner)
        with redis_cluster.client(replica.port) as client:
            assert client.get(bus.topics.epoch("alpha")) is None  # the shard lost the bot entirely
        later = [await publish_until(bus, price(iteration=iteration)) for iteration in range(5, 10)]
        got = await take(events, 10, timeout=30)
        assert bus.publisher.republished == 5
    assert later[0].epoch != first[0].epoch
    assert [e.event.seq for e in got] == list(range(1, 11))
    assert [e.event.iteration for e in got if isinstance(e.event, PriceUpdated)] == list(range(10))
    assert {e.epoch for e in got} == {later[0].epoch}
    assert bus.stats.forged == 0
    async with RedisBus.connect(redis_cluster.url, FAST) as reader:
        history = await reader.history("alpha", limit=100)
    assert [e.event.seq for e in history] == list(range(1, 11))


async def test_an_every_bot_subscriber_hears_of_a_bot_announced_while_it_subscribes(
    bus: RedisBus, shared_cluster: LocalCluster
) -> None:
    # A bot announced between the subscriber's read of the bots set and its fleet subscription (or while
    # it waits for its channels to be confirmed) was once never heard of: the gateway missed its trades.
    async with RedisBus.connect(shared_cluster.url, FAST) as publisher_bus:
        for round_ in range(40):
            bot = f"new-{round_}"
            publishing = asyncio.create_task(publisher_bus.publish(price(bot_id=bot, iteration=0)))
            async with bus.subscribe() as events:
                await publishing  # maybe before the subscriber joined: only what comes after must arrive
                await publisher_bus.publish(price(bot_id=bot, iteration=1))  # no second announcement
                async with asyncio.timeout(10):
                    async for item in events:
                        if isinstance(item, Envelope) and item.event.bot_id == bot:
                            break


async def test_a_bot_whose_data_the_cluster_lost_is_announced_again(
    bus: RedisBus, shared_cluster: LocalCluster
) -> None:
    # A bot is announced (bots set, fleet broadcast) once per publisher. When the cluster loses its data
    # (here every master's, as a restart without persistence would), the publisher republishes what it
    # kept; it must announce the bot again too, or a reader started later (a restarted recorder) reads
    # an empty bots set and never hears of the bot: the dashboard's recorder test found this.
    await bus.publish(price(iteration=0))
    shared_cluster.flush()
    await bus.publish(price(iteration=1))
    assert await bus.bots() == ["alpha"]
