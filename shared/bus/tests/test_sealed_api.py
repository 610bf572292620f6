"""The bus's public reads: what services use instead of the Redis client, and the one exception they
see when Redis is away (`BusUnavailable`, never redis-py's own)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from tradewire_bus import FROM_START, BusUnavailable, RedisBus
from tradewire_testing import RedisServer
from tradewire_testing.factories import price, trade


async def test_find_published_returns_the_event_as_stored_with_its_seq_and_offset(bus: RedisBus) -> None:
    await bus.publish(price())
    sent = await bus.publish(trade(order_id="wanted"))
    await bus.publish(price())
    found = await bus.find_published("alpha", sent.event.event_id)
    assert found == sent
    assert await bus.find_published("alpha", uuid4()) is None
    assert await bus.find_published("alpha", sent.event.event_id, depth=1) is None  # deeper than asked


async def test_has_offset_says_whether_a_resume_point_is_still_in_the_stream(bus: RedisBus) -> None:
    sent = await bus.publish(price())
    assert await bus.has_offset("alpha", sent.offset)
    assert not await bus.has_offset("alpha", "1-0")


async def test_reads_raise_bus_unavailable_while_redis_is_down(redis_server: RedisServer) -> None:
    async with RedisBus.connect(redis_server.url) as bus:
        sent = await bus.publish(price())
        redis_server.stop()
        try:
            reads = [
                bus.snapshot("alpha"),
                bus.bots(),
                bus.history("alpha"),
                bus.history_before("alpha"),
                bus.candles("alpha"),
                bus.has_offset("alpha", sent.offset),
                bus.find_published("alpha", sent.event.event_id),
            ]
            for read in reads:
                with pytest.raises(BusUnavailable, match="cannot "):
                    await read
        finally:
            redis_server.start()


async def test_resume_points_keep_a_cursor_only_from_this_epoch_and_well_formed(bus: RedisBus) -> None:
    sent = await bus.publish(price("alpha"))
    await bus.publish(price("beta"))
    await bus.publish(price("gamma"))
    cursors = {"alpha": (sent.epoch, sent.offset), "beta": ("an older epoch", sent.offset), "gamma": (sent.epoch, "x")}
    assert await bus.resume_points(cursors) == {"alpha": sent.offset, "beta": FROM_START, "gamma": FROM_START}
