from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from tradewire_bus import ClientQueue, ClientTooSlow, Hub, RedisBus, Resync
from tradewire_bus.fanout import FAIR_SHARE, Interest
from tradewire_schemas import Envelope
from tradewire_testing import eventually
from tradewire_testing.factories import price, status, trade


def envelope(event: object, seq: int) -> Envelope:
    return Envelope(epoch="e", offset=f"1-{seq}", event=event.model_copy(update={"seq": seq}))  # type: ignore[attr-defined]


def offer(queue: ClientQueue, item: Envelope | Resync) -> None:
    """What the hub does with a live item: hand it to each queue whose interest wants it."""
    if queue.interest.wants(item):
        queue.offer_wanted(item)


def drain(queue: ClientQueue) -> list[Envelope | Resync]:
    items = []
    while (item := queue.get_nowait()) is not None:
        items.append(item)
    return items


def test_a_slow_client_gets_the_latest_price_and_every_trade() -> None:
    queue = ClientQueue(Interest(), max_pending=1000, conflate_after=2)
    seq = 0
    for i in range(20):
        seq += 1
        offer(queue, envelope(price(iteration=i), seq))
        if i % 5 == 0:
            seq += 1
            offer(queue, envelope(trade(order_id=f"o-{i}"), seq))
    items = drain(queue)
    trades = [i.event.order_id for i in items if i.event.type == "trade_executed"]  # type: ignore[union-attr]
    prices = [i.event.iteration for i in items if i.event.type == "price_update"]  # type: ignore[union-attr]
    assert trades == ["o-0", "o-5", "o-10", "o-15"]
    assert prices[-1] == 19 and len(prices) < 20
    offsets = [i.event.seq for i in items]  # type: ignore[union-attr]
    assert offsets == sorted(offsets)  # conflation never reorders: a resume offset stays safe
    assert queue.conflated == 20 - len(prices)


def test_a_client_that_keeps_up_gets_every_price() -> None:
    queue = ClientQueue(Interest(), max_pending=1000, conflate_after=64)
    received = []
    for i in range(200):
        offer(queue, envelope(price(iteration=i), i + 1))
        received.extend(drain(queue))
    assert len(received) == 200 and queue.conflated == 0


def test_a_slow_client_that_asked_for_every_event_gets_every_price_gap_free() -> None:
    queue = ClientQueue(Interest(), max_pending=1000, conflate_after=2, conflate=False)
    for seq in range(1, 51):
        offer(queue, envelope(price(iteration=seq) if seq % 10 else trade(order_id=f"o-{seq}"), seq))
    items = drain(queue)
    assert [i.event.seq for i in items] == list(range(1, 51))  # type: ignore[union-attr]
    assert queue.conflated == 0


def test_a_full_client_is_cut_off_when_its_prices_exceed_the_bound() -> None:
    queue = ClientQueue(Interest(), max_pending=5, conflate_after=2, conflate=False)
    for seq in range(1, 10):
        offer(queue, envelope(price(iteration=seq), seq))
    assert queue.cut_off  # prices it must not lose count against the bound like trades


def test_a_client_too_far_behind_is_cut_off_with_its_resume_offsets() -> None:
    queue = ClientQueue(Interest(), max_pending=5, conflate_after=2)
    offer(queue, envelope(trade(order_id="read"), 1))
    assert queue.get_nowait() is not None
    for seq in range(2, 10):
        offer(queue, envelope(trade(order_id=f"o-{seq}"), seq))
    assert queue.cut_off and len(queue) == 0  # its memory is released at once
    with pytest.raises(ClientTooSlow) as caught:
        queue.get_nowait()
    assert caught.value.offsets == {"alpha": "1-1"}


def test_interest_filters_bots_and_types_but_passes_resyncs() -> None:
    queue = ClientQueue(
        Interest(bots=frozenset({"alpha"}), types=frozenset({"trade_executed"})), max_pending=10, conflate_after=5
    )
    offer(queue, envelope(price("alpha"), 1))
    offer(queue, envelope(trade("beta"), 1))
    offer(queue, envelope(trade("alpha"), 2))
    offer(queue, Resync(bot_id=None, reason="lost"))
    offer(queue, Resync(bot_id="beta", reason="trimmed"))
    kinds = [type(i).__name__ if isinstance(i, Resync) else i.event.type for i in drain(queue)]
    assert kinds == ["trade_executed", "Resync"]


@pytest.fixture
async def hub(bus: RedisBus) -> AsyncIterator[Hub]:
    hub = Hub(bus, max_pending=100, conflate_after=8)
    task = asyncio.create_task(hub.run())
    await asyncio.wait_for(hub.ready.wait(), 5)
    yield hub
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_one_subscription_feeds_every_client(bus: RedisBus, hub: Hub) -> None:
    async with hub.attach() as first, hub.attach(bots=["alpha"]) as second:
        await bus.publish(status())
        await bus.publish(trade())
        await bus.publish(price("beta"))
        a = [await asyncio.wait_for(first.get(), 5) for _ in range(3)]
        b = [await asyncio.wait_for(second.get(), 5) for _ in range(2)]
    assert [i.event.type for i in a] == ["status_change", "trade_executed", "price_update"]  # type: ignore[union-attr]
    assert [i.event.type for i in b] == ["status_change", "trade_executed"]  # type: ignore[union-attr]
    assert hub.stats.clients == 0 and hub.stats.relayed == 3


async def test_attaching_with_an_offset_replays_history_then_live_without_doubles(bus: RedisBus, hub: Hub) -> None:
    first = await bus.publish(trade(order_id="seen"))
    for i in range(5):
        await bus.publish(trade(order_id=f"missed-{i}"))
    async with hub.attach(bots=["alpha"], after={"alpha": first.offset}) as queue:
        await bus.publish(trade(order_id="live"))
        items = [await asyncio.wait_for(queue.get(), 5) for _ in range(6)]
        await bus.publish(trade(order_id="later"))
        items.append(await asyncio.wait_for(queue.get(), 5))
    names = [i.event.order_id for i in items]  # type: ignore[union-attr]
    assert names == [f"missed-{i}" for i in range(5)] + ["live", "later"]


def test_nothing_at_or_before_the_point_a_client_resumed_after_is_handed_out_until_a_resync() -> None:
    # A snapshot covers up to seq 3 (offset 1-3); the hub can still relay that event live after attaching.
    queue = ClientQueue(Interest(), max_pending=100, conflate_after=64, covered={"alpha": "1-3"})
    for seq in (2, 3, 4):
        offer(queue, envelope(trade(order_id=f"o-{seq}"), seq))
    offer(queue, Resync(bot_id="alpha", reason="history lost"))
    offer(queue, envelope(trade(order_id="o-1-again"), 1))  # the history read again from its start
    items = drain(queue)
    assert [getattr(i, "event", i).order_id if isinstance(i, Envelope) else "resync" for i in items] == [
        "o-4",
        "resync",
        "o-1-again",
    ]


@pytest.mark.one_redis(
    "it assumes the fast client never lags 8 events; on the cluster's slower reads deliveries come in"
    " bigger bursts and its prices are conflated, by design"
)
async def test_a_stalled_client_does_not_hold_back_a_fast_one(bus: RedisBus, hub: Hub) -> None:
    async with hub.attach() as stalled, hub.attach() as fast:
        received = []

        async def read_fast() -> None:
            while len(received) < 300:
                received.append(await fast.get())

        reader = asyncio.create_task(read_fast())
        for i in range(300):
            await bus.publish(price(iteration=i) if i % 3 else trade(order_id=f"o-{i}"))
        await asyncio.wait_for(reader, 10)
        await eventually(lambda: stalled.cut_off, what="the stalled client is cut off")
    assert [i.event.seq for i in received] == list(range(1, 301))  # type: ignore[union-attr]
    assert hub.stats.cut_off == 1


async def test_a_resume_longer_than_the_queue_bound_is_read_as_the_client_reads(bus: RedisBus, hub: Hub) -> None:
    first = await bus.publish(trade(order_id="seen"))
    for i in range(3 * hub.max_pending):
        await bus.publish(trade(order_id=f"missed-{i}"))
    async with hub.attach(bots=["alpha"], after={"alpha": first.offset}) as queue:
        await bus.publish(trade(order_id="live"))
        assert len(queue) == 0  # nothing of the backlog is held in memory up front
        items = [await asyncio.wait_for(queue.get(), 5) for _ in range(3 * hub.max_pending + 1)]
    names = [i.event.order_id for i in items]  # type: ignore[union-attr]
    assert names == [f"missed-{i}" for i in range(3 * hub.max_pending)] + ["live"]
    assert not queue.cut_off


async def test_a_hub_always_stops_when_cancelled(bus: RedisBus) -> None:
    for yields in range(0, 60, 3):  # cancel at many points of connecting and reading
        hub = Hub(bus)
        task = asyncio.create_task(hub.run())
        for _ in range(yields):
            await asyncio.sleep(0)
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=3)
        assert done, f"the hub ignored a cancel after {yields} loop turns"


async def test_a_taker_with_a_backlog_yields_to_the_event_loop() -> None:
    """Sends to a socket with room do not suspend; without yields one client's backlog would starve all."""
    queue = ClientQueue(Interest(), max_pending=10_000, conflate_after=10_000)
    for seq in range(1, 10 * FAIR_SHARE + 1):
        offer(queue, envelope(trade(order_id=f"o-{seq}"), seq))
    turns = 0

    async def other_work() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_work())
    await asyncio.sleep(0)
    started = turns
    for _ in range(10 * FAIR_SHARE):
        await queue.get()  # nothing else here awaits: only the queue can let the other task run
    other.cancel()
    assert turns - started >= 9, "the other task should have run about once per FAIR_SHARE items"


async def test_a_resume_replays_every_trade_and_only_the_latest_price_of_each_page(bus: RedisBus, hub: Hub) -> None:
    first = await bus.publish(trade(order_id="seen"))
    for i in range(30):
        await bus.publish(price(iteration=i))
        if i % 10 == 0:
            await bus.publish(trade(order_id=f"missed-{i}"))
    async with hub.attach(bots=["alpha"], after={"alpha": first.offset}) as queue:
        await bus.publish(trade(order_id="live"))
        items: list[Envelope] = []
        while not items or getattr(items[-1].event, "order_id", None) != "live":
            item = await asyncio.wait_for(queue.get(), 5)
            assert isinstance(item, Envelope)
            items.append(item)
    trades = [getattr(i.event, "order_id", None) for i in items if i.event.type == "trade_executed"]
    prices = [getattr(i.event, "iteration", None) for i in items if i.event.type == "price_update"]
    assert trades == ["missed-0", "missed-10", "missed-20", "live"]
    assert prices == [29], "older prices in the replayed page are superseded by the last one"
    assert [i.event.seq for i in items] == sorted(i.event.seq for i in items)


async def test_a_full_resume_replays_every_event_of_the_history(bus: RedisBus, hub: Hub) -> None:
    first = await bus.publish(trade(order_id="seen"))
    for i in range(30):
        await bus.publish(price(iteration=i))
    async with hub.attach(bots=["alpha"], after={"alpha": first.offset}, conflate=False) as queue:
        last = await bus.publish(trade(order_id="live"))
        items: list[Envelope] = []
        while not items or items[-1].offset != last.offset:
            item = await asyncio.wait_for(queue.get(), 5)
            assert isinstance(item, Envelope)
            items.append(item)
    assert [i.event.seq for i in items] == list(range(first.event.seq + 1, last.event.seq + 1))


async def test_get_many_takes_history_in_batches_then_live_events_without_waiting_for_more(
    bus: RedisBus, hub: Hub
) -> None:
    first = await bus.publish(trade(order_id="seen"))
    for i in range(30):
        await bus.publish(trade(order_id=f"missed-{i}"))
    async with hub.attach(bots=["alpha"], after={"alpha": first.offset}) as queue:
        await bus.publish(trade(order_id="live"))
        await eventually(lambda: hub.stats.relayed >= 32, what="the live trade reached the hub")
        history = await asyncio.wait_for(queue.get_many(20), 5)
        rest = await asyncio.wait_for(queue.get_many(100), 5)  # must not wait for an event that never comes
        assert not queue.replaying
    names = [i.event.order_id for i in history + rest]
    assert len(history) == 20
    assert names == [f"missed-{i}" for i in range(30)] + ["live"]


async def test_the_hub_logs_trades_at_debug_status_changes_at_info_and_sums_up_what_it_relayed(
    bus: RedisBus, caplog: pytest.LogCaptureFixture
) -> None:
    hub = Hub(bus, summary_every_s=0)  # a summary after every event, rather than every minute
    task = asyncio.create_task(hub.run())
    try:
        await asyncio.wait_for(hub.ready.wait(), 5)
        with caplog.at_level(logging.INFO, logger="tradewire.bus.fanout"):
            await bus.publish(trade(order_id="quiet"))
            await bus.publish(status("alpha", "stopped"))
            await eventually(lambda: hub.stats.relayed == 2, what="both relayed")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    said = [record.getMessage() for record in caplog.records]
    assert not any(line.startswith("relayed trade_executed") for line in said)
    assert any(line.startswith("relayed status_change to 0 clients") for line in said)
    assert any(line.startswith("relayed 1 events in the last") and "trade_executed 1" in line for line in said)
