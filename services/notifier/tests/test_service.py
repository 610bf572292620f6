from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from notifier_harness import trade

from tradewire_bus import RedisBus
from tradewire_notifier.metrics import NotifierMetrics
from tradewire_notifier.service import Notifier
from tradewire_notifier.settings import Settings
from tradewire_notifier.store import Store
from tradewire_testing import eventually
from tradewire_testing.notifier_servers import WebhookReceiver

pytestmark = pytest.mark.redis


@asynccontextmanager
async def running(redis_url: str, state: Path, receiver: WebhookReceiver) -> AsyncIterator[NotifierMetrics]:
    destination = receiver.destination(batch_window_s=0, retry_min_s=0.05)
    settings = Settings(redis_url=redis_url, state_file=state, destinations=[destination])  # type: ignore[list-item]
    metrics = NotifierMetrics()
    store = Store(state)
    async with RedisBus.connect(redis_url) as bus:
        task = asyncio.create_task(Notifier(settings, bus, store, metrics).run())
        await eventually(lambda: metrics.registry.get_sample_value("tradewire_notifier_bus_subscribed") == 1)
        try:
            yield metrics
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            store.close()


async def test_garbage_on_the_bus_is_counted_and_skipped_and_old_trades_are_not_news(
    redis_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    async with RedisBus.connect(redis_url) as bus:
        await bus.publish(trade(profit="1"))  # before the notifier ever ran: not news
        async with running(redis_url, tmp_path / "n.sqlite3", receiver) as metrics:
            await bus.redis.publish(bus.topics.bot_events("demo"), "hello")
            await bus.redis.xadd(bus.topics.bot_stream("demo"), {"event": b"\xffgarbage"})
            fresh = await bus.publish(trade(profit="2"))
            await eventually(lambda: receiver.event_ids(), what="the fresh trade")
            assert receiver.event_ids() == [str(fresh.event.event_id)]
            assert (metrics.registry.get_sample_value("tradewire_notifier_bus_garbage_total") or 0) >= 2
            skipped = metrics.registry.get_sample_value(
                "tradewire_notifier_skipped_total", {"reason": "before_first_start"}
            )
            assert skipped == 1


async def test_a_restart_that_lost_its_cursor_still_sends_nothing_twice(
    redis_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    state = tmp_path / "n.sqlite3"
    async with RedisBus.connect(redis_url) as bus:
        async with running(redis_url, state, receiver):
            first = await bus.publish(trade(profit="3"))
            await eventually(lambda: receiver.event_ids(), what="the first trade")
        with sqlite3.connect(state) as db:
            db.execute("DELETE FROM cursor")  # the whole stream is read again
        async with running(redis_url, state, receiver) as metrics:
            second = await bus.publish(trade(profit="4"))
            await eventually(lambda: len(receiver.event_ids()) == 2, what="the second trade")
            again = metrics.registry.get_sample_value("tradewire_notifier_skipped_total", {"reason": "already_queued"})
            assert again == 1
    assert receiver.event_ids() == [str(first.event.event_id), str(second.event.event_id)]


async def test_what_a_new_bot_published_before_the_subscription_caught_it_is_not_lost(
    redis_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    async with RedisBus.connect(redis_url) as bus, running(redis_url, tmp_path / "n.sqlite3", receiver):
        # Written to the stream only, as if published in the moment before the notifier listened.
        unseen = trade(profit="5", bot_id="late")
        await bus.redis.xadd(bus.topics.bot_stream("late"), {"event": unseen.model_dump_json()})
        live = await bus.publish(trade(profit="6", bot_id="late"))
        await eventually(lambda: len(receiver.event_ids()) == 2, what="both trades of the new bot")
    assert receiver.event_ids() == [str(unseen.event_id), str(live.event.event_id)]
