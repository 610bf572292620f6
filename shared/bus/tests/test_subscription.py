from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from tradewire_bus import FROM_START, BusConfig, RedisBus, Resync, Subscription, Topics
from tradewire_bus.publisher import PUBLISH_SCRIPT, split_for_seq
from tradewire_schemas import Envelope, Event, PriceUpdated
from tradewire_testing import RedisServer, eventually
from tradewire_testing.factories import price, trade

FAST = BusConfig(reconnect_min_s=0.02, reconnect_max_s=0.2)


async def take(events: Subscription, count: int, timeout: float = 5.0) -> list[Envelope | Resync]:
    async with asyncio.timeout(timeout):
        return [await anext(events) for _ in range(count)]


def seqs(items: list[Envelope | Resync], bot: str = "alpha") -> list[int]:
    return [i.event.seq for i in items if isinstance(i, Envelope) and i.event.bot_id == bot]


async def publish_unannounced(redis: Redis, event: Event) -> None:
    """Store an event like the bus does but PUBLISH it to a channel nobody hears: a lost live message."""
    topics = Topics()
    head, tail = split_for_seq(event)
    keys = [
        topics.bot_seq(event.bot_id),
        topics.bot_stream(event.bot_id),
        topics.bot_state(event.bot_id),
        topics.bots(),
        topics.epoch(),
    ]
    await redis.eval(PUBLISH_SCRIPT, len(keys), *keys, head, tail, "", 1000, 0, "unused", "nowhere", event.bot_id, 60)


async def test_subscriber_receives_published_events_in_order(bus: RedisBus) -> None:
    async with bus.subscribe(bots=["alpha"]) as events:
        for i in range(50):
            await bus.publish(price(iteration=i))
        received = await take(events, 50)
    assert seqs(received) == list(range(1, 51))
    assert [i.event.iteration for i in received if isinstance(i.event, PriceUpdated)] == list(range(50))  # type: ignore[union-attr]


async def test_subscribing_to_several_bots_or_all_of_them(bus: RedisBus) -> None:
    async with bus.subscribe(bots=["alpha", "beta"]) as chosen, bus.subscribe() as everyone:
        for bot in ["alpha", "beta", "gamma"]:
            await bus.publish(price(bot))
        chosen_bots = [i.event.bot_id for i in await take(chosen, 2)]
        all_bots = [i.event.bot_id for i in await take(everyone, 3)]
    # Order is promised within a bot, not across bots: on a cluster each bot's shard is its own reader.
    assert sorted(chosen_bots) == ["alpha", "beta"]
    assert sorted(all_bots) == ["alpha", "beta", "gamma"]


async def test_resuming_from_an_offset_misses_nothing_and_repeats_nothing(bus: RedisBus) -> None:
    async with bus.subscribe(bots=["alpha"]) as events:
        for i in range(5):
            await bus.publish(price(iteration=i))
        first = await take(events, 3)  # the client read three, then went away
    resume_from = first[-1].offset  # type: ignore[union-attr]
    for i in range(5, 10):
        await bus.publish(trade(order_id=f"o-{i}"))
    async with bus.subscribe(bots=["alpha"], after={"alpha": resume_from}) as events:
        await bus.publish(price(iteration=10))
        rest = await take(events, 8)
    assert seqs(first) + seqs(rest) == list(range(1, 12))


async def test_reading_a_whole_history_from_the_start(bus: RedisBus) -> None:
    for i in range(3):
        await bus.publish(price(iteration=i))
    async with bus.subscribe(after={"alpha": FROM_START}) as events:
        assert seqs(await take(events, 3)) == [1, 2, 3]


@pytest.mark.one_redis("it runs the one-Redis publish script by hand (tw:bots is in another slot)")
async def test_a_lost_live_message_is_backfilled_from_the_stream(bus: RedisBus) -> None:
    async with bus.subscribe(bots=["alpha"]) as events:
        await bus.publish(price(iteration=0))
        await publish_unannounced(bus.redis, trade(order_id="quiet"))
        await bus.publish(price(iteration=2))
        received = await take(events, 3)
    assert seqs(received) == [1, 2, 3]
    assert received[1].event.order_id == "quiet"  # type: ignore[union-attr]
    assert bus.stats.backfilled >= 1


async def test_redis_restart_with_persistence_loses_nothing_and_repeats_nothing(
    persistent_redis_server: RedisServer,
) -> None:
    async with RedisBus.connect(persistent_redis_server.url, FAST) as bus, bus.subscribe(bots=["alpha"]) as events:
        for i in range(3):
            await bus.publish(price(iteration=i))
        before = await take(events, 2)  # one event still unread when Redis goes away
        persistent_redis_server.restart()
        for i in range(3, 6):
            await bus.publish(trade(order_id=f"after-{i}"))
        after = await take(events, 4)
    assert not any(isinstance(i, Resync) for i in after)
    assert seqs(before) + seqs(after) == [1, 2, 3, 4, 5, 6]
    assert bus.stats.reconnects >= 1


async def test_redis_losing_its_data_tells_the_subscriber_to_resync(redis_server: RedisServer) -> None:
    async with RedisBus.connect(redis_server.url, FAST) as bus, bus.subscribe(bots=["alpha"]) as events:
        await bus.publish(price(iteration=0))
        assert seqs(await take(events, 1)) == [1]
        redis_server.restart()  # no persistence: streams, counters and the epoch are gone
        await bus.publish(trade(order_id="fresh"))
        items = await take(events, 2)
    assert isinstance(items[0], Resync) and items[0].bot_id is None
    assert "lost its data" in items[0].reason
    assert isinstance(items[1], Envelope) and items[1].event.seq == 2  # seq went on from the publisher's floor


async def test_a_trimmed_offset_tells_the_subscriber_to_resync(any_redis_url: str) -> None:
    async with RedisBus.connect(any_redis_url, FAST) as bus:
        first = await bus.publish(price(iteration=0))
        for i in range(1, 5):
            await bus.publish(price(iteration=i))
        await bus.redis.xtrim(bus.topics.bot_stream("alpha"), maxlen=2, approximate=False)
        async with bus.subscribe(bots=["alpha"], after={"alpha": first.offset}) as events:
            items = await take(events, 3)
    assert isinstance(items[0], Resync) and items[0].bot_id == "alpha"
    assert seqs(items) == [4, 5]


async def test_garbage_on_the_bus_is_counted_and_skipped(bus: RedisBus) -> None:
    channel = bus.topics.bot_events("alpha")
    async with bus.subscribe(bots=["alpha"]) as events:
        for garbage in [
            b"hello from redis-cli",
            b'{"epoch": "x", "offset": "1-0", "event": {"type": "price_update", "bot_id": "alpha", "last": 1}}',
            b'{"epoch": "x", "offset": "1-0", "event": {"type": "mystery"}}',
            b"\xff\xfe",
        ]:
            await bus.clients.publish(channel, garbage)
        await bus.clients.publish(channel, price("beta").model_dump_json())  # valid JSON, wrong shape
        await bus.publish(trade())
        [item] = await take(events, 1)
    assert isinstance(item, Envelope) and item.event.type == "trade_executed"
    assert bus.stats.garbage == 5


async def test_an_event_for_another_bot_on_a_bots_channel_is_garbage(bus: RedisBus) -> None:
    genuine = await bus.publish(price("beta"))
    forged = genuine.model_copy(update={"epoch": genuine.epoch})
    async with bus.subscribe(bots=["alpha"]) as events:
        await bus.clients.publish(bus.topics.bot_events("alpha"), forged.model_dump_json())
        await bus.publish(price("alpha"))
        [item] = await take(events, 1)
    assert isinstance(item, Envelope) and item.event.bot_id == "alpha"
    assert bus.stats.garbage == 1


async def test_subscriber_waits_for_redis_to_come_back(redis_server: RedisServer) -> None:
    async with RedisBus.connect(redis_server.url, FAST) as bus, bus.subscribe(bots=["alpha"]) as events:
        redis_server.kill()
        pending = asyncio.ensure_future(anext(events))
        done, _ = await asyncio.wait([pending], timeout=0.3)
        assert not done  # nothing to deliver while Redis is away, and no error either
        redis_server.start()
        async with RedisBus.connect(redis_server.url) as publisher:
            await publisher.publish(price())
        resync = await asyncio.wait_for(pending, 5)
        event = await asyncio.wait_for(anext(events), 5)
    assert isinstance(resync, Resync)  # the killed Redis kept nothing
    assert isinstance(event, Envelope) and event.event.seq == 1
    assert bus.stats.reconnects >= 1


async def test_a_stream_key_overwritten_by_hand_does_not_kill_the_subscriber(bus: RedisBus) -> None:
    first = await bus.publish(price("beta"))
    await bus.redis.delete(bus.topics.bot_stream("beta"))
    await bus.redis.set(bus.topics.bot_stream("beta"), "not a stream")
    async with bus.subscribe(after={"beta": first.offset}) as events:
        resync = await asyncio.wait_for(anext(events), 5)
        await bus.publish(price("alpha"))
        alive = await asyncio.wait_for(anext(events), 5)
    assert isinstance(resync, Resync) and resync.bot_id == "beta" and "cannot be read" in resync.reason
    assert isinstance(alive, Envelope) and alive.event.bot_id == "alpha"


async def test_a_subscriber_outlasts_an_epoch_key_broken_by_hand(redis_server: RedisServer) -> None:
    # One Redis: its one epoch key, and CLIENT KILL of its pub/sub connections (a cluster has an epoch per
    # bot and a pub/sub connection per master; a lost master is the failover tests' subject).
    async with RedisBus.connect(redis_server.url, FAST) as bus, bus.subscribe(bots=["alpha"]) as events:
        reading = asyncio.ensure_future(take(events, 2))
        await bus.redis.delete(bus.topics.epoch())
        await bus.redis.hset(bus.topics.epoch(), "oops", "1")  # every GET of it now fails
        await bus.redis.client_kill_filter(_type="pubsub")  # force a reconnect, which must read the epoch
        await eventually(lambda: bus.stats.connect_failures >= 2, what="reconnects refused, and retried")
        await bus.redis.delete(bus.topics.epoch())  # repaired
        await bus.publish(trade(order_id="after-repair"))
        items = await asyncio.wait_for(reading, 5)
    assert isinstance(items[0], Resync)  # a new epoch: the subscriber cannot know what it missed
    assert isinstance(items[1], Envelope) and items[1].event.order_id == "after-repair"  # type: ignore[union-attr]


async def test_readers_cancelled_in_a_crowd_all_stop_and_leave_no_connection_in_use(redis_server: RedisServer) -> None:
    # redis-py can swallow a cancel inside its connection pool; a reader that then went on reading would
    # hold pooled connections forever (a reconnect storm of WebSocket clients did exactly that).
    # One Redis: it counts the connections in use in the one pool; a cluster client has a pool per node.
    async with RedisBus.connect(redis_server.url, BusConfig(max_connections=4)) as bus:
        for i in range(300):
            await bus.publish(trade(order_id=f"o-{i}"))

        async def read_forever() -> None:
            while True:
                await bus.history("alpha", limit=300)

        for crowd in range(5):
            readers = [asyncio.create_task(read_forever()) for _ in range(50)]
            for _ in range(crowd * 7 + 3):
                await asyncio.sleep(0)
            for reader in readers:
                reader.cancel()
            _, pending = await asyncio.wait(readers, timeout=5)
            assert not pending, f"{len(pending)} readers outlived their cancellation"
            assert len(bus.redis.connection_pool._in_use_connections) == 0
        assert len(await bus.history("alpha", limit=1)) == 1  # and the pool still serves
