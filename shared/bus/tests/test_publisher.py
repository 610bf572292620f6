from __future__ import annotations

import asyncio
import json

import pytest
from redis.asyncio import Redis

from tradewire_bus import BusConfig, BusUnavailable, InMemoryPublisher, RedisBus, Topics
from tradewire_schemas import Envelope, decode_envelope, encode_envelope
from tradewire_testing import RedisServer
from tradewire_testing.factories import price, status, trade


async def test_publish_assigns_increasing_seq_and_offsets_per_bot(bus: RedisBus) -> None:
    published = [await bus.publish(price("alpha", i)) for i in range(5)]
    other = await bus.publish(price("beta"))
    assert [p.event.seq for p in published] == [1, 2, 3, 4, 5]
    assert other.event.seq == 1
    offsets = [tuple(map(int, p.offset.split("-"))) for p in published]
    assert offsets == sorted(offsets) and len(set(offsets)) == 5


async def test_stream_holds_readable_json_with_seq_first_after_type(bus: RedisBus) -> None:
    await bus.publish(trade(order_id="o-9"))
    [(_entry_id, fields)] = await bus.redis.xrange(Topics().bot_stream("alpha"))
    text = fields[b"event"].decode()
    assert text.startswith('{"type":"trade_executed","seq":1,')
    assert json.loads(text)["order_id"] == "o-9"


async def test_two_concurrent_publishers_never_share_a_seq(any_redis_url: str) -> None:
    async with RedisBus.connect(any_redis_url) as first, RedisBus.connect(any_redis_url) as second:
        results = await asyncio.gather(*((first if i % 2 else second).publish(price("alpha", i)) for i in range(400)))
    assert sorted(r.event.seq for r in results) == list(range(1, 401))


async def test_a_burst_of_publishes_beyond_the_pool_waits_for_connections(any_redis_url: str) -> None:
    # One Redis's blocking pool waits for a free connection; a cluster node's pool fails at once when
    # it has none, so the publisher bounds its scripts in flight itself, and announces the bot once.
    async with RedisBus.connect(any_redis_url, BusConfig(max_connections=2)) as bus:
        results = await asyncio.gather(*(bus.publish(price("alpha", i)) for i in range(300)))
    assert sorted(r.event.seq for r in results) == list(range(1, 301))


async def test_snapshot_keeps_the_latest_of_each_kind(bus: RedisBus) -> None:
    await bus.publish(status(state="running"))
    await bus.publish(price(last="100"))
    await bus.publish(trade())
    last = await bus.publish(price(last="101"))
    snapshot = await bus.snapshot("alpha")
    assert snapshot.status is not None and snapshot.status.status == "running"
    assert snapshot.price is not None and str(snapshot.price.last) == "101"
    assert snapshot.trade is not None and snapshot.trade.order_id == "o-1"
    assert (snapshot.offset, snapshot.seq) == (last.offset, 4)
    assert await bus.bots() == ["alpha"]


async def test_retention_is_bounded_by_settings(any_redis_url: str) -> None:
    async with RedisBus.connect(any_redis_url, BusConfig(stream_maxlen=100)) as bus:
        for i in range(2000):
            await bus.publish(price(iteration=i))
        length = await bus.redis.xlen(bus.topics.bot_stream("alpha"))
    assert 100 <= length < 400  # MAXLEN ~ trims whole macro nodes, so a little above the bound


async def test_publish_fails_clearly_while_redis_is_down_and_recovers(redis_server: RedisServer) -> None:
    async with RedisBus.connect(redis_server.url) as bus:
        await bus.publish(price())
        redis_server.stop()
        with pytest.raises(BusUnavailable, match="cannot publish price_update for alpha"):
            await bus.publish(price())
        redis_server.start()
        again = await bus.publish(price())
    assert again.event.seq == 2  # the server kept nothing, yet seq goes on from what this publisher saw


async def test_seq_continues_after_redis_lost_its_counter(redis_server: RedisServer) -> None:
    async with RedisBus.connect(redis_server.url) as bus:
        for i in range(3):
            await bus.publish(price(iteration=i))
        epoch_before = (await bus.snapshot("alpha")).epoch
        redis_server.restart()  # no persistence: everything is gone
        after = await bus.publish(price())
    assert after.event.seq == 4
    assert after.epoch != epoch_before


async def test_in_memory_publisher_follows_the_same_seq_rules() -> None:
    publisher = InMemoryPublisher()
    publisher.continue_after("alpha", 10)
    first = await publisher.publish(price("alpha"))
    second = await publisher.publish(price("beta"))
    assert (first.event.seq, second.event.seq) == (11, 1)
    assert publisher.events() == [first.event, second.event]


async def test_in_memory_envelopes_are_what_pydantic_would_build() -> None:
    sent = trade(order_id="o-1")
    envelope = await InMemoryPublisher().publish(sent)
    expected = Envelope.model_construct(epoch="memory", offset="0-1", event=sent.model_copy(update={"seq": 1}))
    assert envelope == expected and envelope.event.model_fields_set == expected.event.model_fields_set
    assert encode_envelope(envelope) == encode_envelope(expected)
    assert decode_envelope(encode_envelope(envelope)) == envelope  # valid: it reads back through validation
    assert sent.seq == 0, "the event handed in is not changed"


@pytest.mark.one_redis("a plain SUBSCRIBE; the cluster's SSUBSCRIBE is in test_redis_cluster_facts.py")
async def test_publish_is_visible_to_redis_cli_subscribers(bus: RedisBus, redis_server: RedisServer) -> None:
    raw = Redis.from_url(redis_server.url)
    pubsub = raw.pubsub()
    await pubsub.subscribe(Topics().bot_events("alpha"))
    await pubsub.get_message(timeout=1)  # the subscribe confirmation
    sent = await bus.publish(trade())
    message = None
    while message is None:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
    wire = json.loads(message["data"])
    assert wire["offset"] == sent.offset and wire["event"]["seq"] == 1 and wire["epoch"] == sent.epoch
    # The script wraps the event in Redis; it is the same wire form as the Python encoder's (only `seq`
    # sits right after `type`, where the script can write it without parsing JSON).
    assert decode_envelope(message["data"]) == sent
    assert json.loads(encode_envelope(sent)) == wire
    await pubsub.aclose()
    await raw.aclose()


async def test_a_key_broken_by_hand_makes_publish_fail_clearly_not_crash(bus: RedisBus) -> None:
    await bus.redis.set(bus.topics.bot_stream("alpha"), "not a stream")
    with pytest.raises(BusUnavailable, match="Redis refused to publish price_update for alpha"):
        await bus.publish(price())
    assert (await bus.publish(price("beta"))).event.seq == 1  # other bots carry on


async def test_a_publish_that_cannot_even_check_fails_clearly_and_is_not_sent_again(redis_server: RedisServer) -> None:
    # The script runs, then every answer is cut off (even the look-up): retrying blindly could publish
    # the event twice, so the publisher reports the failure and leaves the decision to its caller.
    async with RedisBus.connect(redis_server.url) as bus:
        await bus.publish(price())
        await bus.redis.config_set("client-output-buffer-limit", "normal 1 1 0")  # the next reply kills us
        with pytest.raises(BusUnavailable):
            await bus.publish(price(iteration=1))
        await bus.redis.config_set("client-output-buffer-limit", "normal 0 0 0")
        assert await bus.redis.xlen(bus.topics.bot_stream("alpha")) == 2  # ran once, not three times


async def test_a_publish_whose_answer_is_lost_finds_itself_instead_of_publishing_twice(bus: RedisBus) -> None:
    from tradewire_bus.script_runner import ReplyLost

    real_run = bus.publisher._run_script

    class LoseTheFirstAnswer:
        """The script really runs; only its answer is lost on the way back, as when a connection dies."""

        lost = False

        async def __call__(self, keys: list[bytes], args: list[bytes]) -> object:
            result = await real_run(keys, args)
            if not self.lost:
                self.lost = True
                raise ReplyLost("Connection closed by server.")
            return result

    bus.publisher._run_script = LoseTheFirstAnswer()  # type: ignore[assignment]
    first = await bus.publish(price(iteration=0))  # its answer is lost, yet it is reported as published
    second = await bus.publish(price(iteration=1))
    assert (first.event.seq, second.event.seq) == (1, 2)
    stored = await bus.history("alpha")
    assert [(e.offset, e.event.seq) for e in stored] == [(first.offset, 1), (second.offset, 2)]  # each once
