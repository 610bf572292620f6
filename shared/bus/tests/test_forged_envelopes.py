"""Forged live envelopes (issue 17, finding 1): anyone who may PUBLISH on a bot's channel can send a
well-formed envelope. The stream decides what is delivered; a forgery is counted and skipped, and can
neither move a cursor nor silence a bot."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from tradewire_bus import RedisBus, Resync, Subscription
from tradewire_schemas import Envelope, TradeExecuted
from tradewire_testing import eventually
from tradewire_testing.factories import price, trade


async def take(events: Subscription, count: int, timeout: float = 5.0) -> list[Envelope | Resync]:
    async with asyncio.timeout(timeout):
        return [await anext(events) for _ in range(count)]


def forged_from(genuine: Envelope, **event_changes: object) -> Envelope:
    return genuine.model_copy(update={"event": genuine.event.model_copy(update=event_changes)})


async def test_a_forged_huge_seq_neither_silences_the_bot_nor_is_delivered(bus: RedisBus) -> None:
    async with bus.subscribe(bots=["alpha"]) as events:
        first = await bus.publish(price(iteration=0))
        assert [i.event.seq for i in await take(events, 1)] == [1]  # type: ignore[union-attr]
        forged = forged_from(first, seq=1_000_000_000)
        await bus.clients.publish(bus.topics.bot_events("alpha"), forged.model_dump_json())
        for i in range(1, 4):
            await bus.publish(price(iteration=i))
        after = await take(events, 3)
    assert [i.event.seq for i in after] == [2, 3, 4]  # type: ignore[union-attr]
    assert bus.stats.forged == 1


async def test_a_forged_next_seq_never_replaces_the_real_event(bus: RedisBus) -> None:
    async with bus.subscribe(bots=["alpha"]) as events:
        first = await bus.publish(trade(order_id="real-1"))
        await take(events, 1)
        # The forger guesses the next seq and even the next offset before the trader publishes.
        forged = forged_from(first, seq=2, order_id="forged")
        reading = asyncio.ensure_future(take(events, 1))
        await bus.clients.publish(bus.topics.bot_events("alpha"), forged.model_dump_json())
        await eventually(lambda: bus.stats.forged == 1, what="the forgery counted")
        await bus.publish(trade(order_id="real-2"))
        [item] = await reading
    assert isinstance(item, Envelope) and isinstance(item.event, TradeExecuted)
    assert (item.event.seq, item.event.order_id) == (2, "real-2")


async def test_a_forged_copy_at_a_real_offset_delivers_the_stream_not_the_forgery(bus: RedisBus) -> None:
    async with bus.subscribe(bots=["alpha"]) as events:
        first = await bus.publish(trade(order_id="real-1"))
        await take(events, 1)
        second = await bus.publish(trade(order_id="real-2"))
        # A forgery naming a real offset, with the seq that comes next.
        forged = forged_from(second, order_id="forged", seq=3)
        await bus.clients.publish(bus.topics.bot_events("alpha"), forged.model_dump_json())
        items = await take(events, 1)
        await bus.publish(trade(order_id="real-3"))
        items += await take(events, 1)
    assert [i.event.order_id for i in items] == ["real-2", "real-3"]  # type: ignore[union-attr]
    assert first.offset < second.offset


async def test_a_forged_epoch_is_skipped_without_dropping_the_connection(bus: RedisBus) -> None:
    async with bus.subscribe(bots=["alpha"]) as events:
        first = await bus.publish(price(iteration=0))
        await take(events, 1)
        for _ in range(20):
            forged = first.model_copy(update={"epoch": "not-the-epoch"})
            await bus.clients.publish(bus.topics.bot_events("alpha"), forged.model_dump_json())
        await bus.publish(price(iteration=1))
        [item] = await take(events, 1)
    assert isinstance(item, Envelope) and item.event.seq == 2
    assert (bus.stats.forged, bus.stats.reconnects) == (20, 0)


@pytest.mark.one_redis("on a cluster nobody listens on an unknown bot's shard channel: the forgery is not even heard")
async def test_a_forged_event_for_a_bot_nobody_has_seen_is_not_delivered(bus: RedisBus) -> None:
    genuine = await bus.publish(price("alpha", iteration=0))
    async with bus.subscribe() as events:
        forged = forged_from(genuine, bot_id="ghost")
        reading = asyncio.ensure_future(take(events, 1))
        await bus.clients.publish(bus.topics.bot_events("ghost"), forged.model_dump_json())
        await eventually(lambda: bus.stats.forged == 1, what="the forgery counted")
        await bus.publish(price("beta"))
        [item] = await reading
    assert isinstance(item, Envelope) and item.event.bot_id == "beta"


@pytest.mark.parametrize("offset", ["garbage", "1-0\n", "\u0661\u0662-\u0660", "", "-1-0", "1-0-0"])
def test_an_envelope_offset_must_be_a_stream_id(offset: str) -> None:
    raw = {"epoch": "e", "offset": "1700000000000-0", "event": price().model_dump(mode="json")}
    Envelope.model_validate(raw)
    with pytest.raises(ValidationError):
        Envelope.model_validate({**raw, "offset": offset})


async def test_a_forged_garbage_offset_is_counted_and_never_becomes_a_cursor(bus: RedisBus) -> None:
    async with bus.subscribe(bots=["alpha"]) as events:
        first = await bus.publish(price(iteration=0))
        await take(events, 1)
        raw = forged_from(first, seq=2).model_dump_json().replace(first.offset, "garbage")
        await bus.clients.publish(bus.topics.bot_events("alpha"), raw)
        await bus.publish(price(iteration=1))
        [item] = await take(events, 1)
        offsets = events.offsets()
    assert isinstance(item, Envelope) and item.event.seq == 2
    assert offsets == {"alpha": item.offset}
    assert bus.stats.garbage == 1
