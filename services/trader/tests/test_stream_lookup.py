"""Finding an event already on the bus by its id, in the tail of the bot's real Redis stream."""

from __future__ import annotations

import uuid

import pytest

from tradewire_bus import RedisBus
from tradewire_schemas import Heartbeat, StatusChanged
from tradewire_trader.stream_lookup import stream_tail_lookup

pytestmark = pytest.mark.redis


async def test_a_published_event_is_found_with_its_seq_and_an_unknown_one_is_not(redis_url: str) -> None:
    async with RedisBus.connect(redis_url) as bus:
        status = StatusChanged(bot_id="b", status="running", reason="r", actor="t")
        await bus.publish(Heartbeat(bot_id="b", status="running", interval_s=1))
        await bus.publish(status)
        for _ in range(5):
            await bus.publish(Heartbeat(bot_id="b", status="running", interval_s=1))
        await bus.publish(Heartbeat(bot_id="other", status="running", interval_s=1))
        lookup = stream_tail_lookup(bus, "b")
        assert await lookup(status.event_id) == 2
        assert await lookup(uuid.uuid4()) is None
        assert await stream_tail_lookup(bus, "b", depth=3)(status.event_id) is None  # beyond the tail read
        assert await stream_tail_lookup(bus, "other")(status.event_id) is None
