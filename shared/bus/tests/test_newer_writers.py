"""docs/versioning.md on the live path: an event from a newer writer (a higher `v` and a field this
reader does not know) is read live, by the same rule as `decode_event`, not counted as garbage and
left for a later backfill."""

from __future__ import annotations

import asyncio

import pytest

from tradewire_bus import RedisBus
from tradewire_bus.publisher import PUBLISH_SCRIPT, split_for_seq
from tradewire_schemas import SCHEMA_VERSION, Envelope, Event, StatusChanged, StopBot
from tradewire_testing.factories import price
from tradewire_testing.responder import responder

NEWER = SCHEMA_VERSION + 1


async def publish_as_newer_writer(bus: RedisBus, event: Event) -> None:
    """Publish through the bus's own script, as a trader one schema version ahead would: `v` higher,
    one field added at the end."""
    head, tail = split_for_seq(event)
    assert f',"v":{SCHEMA_VERSION},' in tail
    tail = tail.replace(f',"v":{SCHEMA_VERSION},', f',"v":{NEWER},', 1)[:-1] + ',"mood":"cheerful"}'
    topics = bus.topics
    keys = [
        topics.bot_seq(event.bot_id),
        topics.bot_stream(event.bot_id),
        topics.bot_state(event.bot_id),
        topics.bots(),
        topics.epoch(),
    ]
    channel = topics.bot_events(event.bot_id)
    await bus.redis.eval(PUBLISH_SCRIPT, len(keys), *keys, head, tail, "", 1000, 0, "e", channel, event.bot_id, 60)


@pytest.mark.one_redis("it runs the one-Redis publish script by hand")
async def test_a_subscriber_receives_a_newer_writers_event_live(bus: RedisBus) -> None:
    async with bus.subscribe(bots=["alpha"]) as events:
        await bus.publish(price(iteration=0))
        async with asyncio.timeout(5):
            await anext(events)
        await publish_as_newer_writer(bus, StatusChanged(bot_id="alpha", status="running", reason="r", actor="ops"))
        # Nothing is published after it: before the fix it stayed unread until the next live message.
        async with asyncio.timeout(5):
            item = await anext(events)
    assert isinstance(item, Envelope) and isinstance(item.event, StatusChanged)
    assert (item.event.seq, item.event.v) == (2, NEWER)
    assert bus.stats.garbage == 0


@pytest.mark.one_redis("it runs the one-Redis publish script by hand")
async def test_a_command_result_from_a_newer_trader_is_the_answer(bus: RedisBus) -> None:
    command = StopBot(bot_id="alpha", actor="ops")

    async with responder(bus, "alpha", publish=lambda result: publish_as_newer_writer(bus, result)):
        result = await bus.send_command(command, timeout=5)
    assert (result.command_id, result.outcome, result.v) == (command.command_id, "completed", NEWER)
