"""The recorder: every trade on the bus stored once in the database, resuming where it stopped."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from channels.db import database_sync_to_async

from tradewire_bus import RedisBus
from tradewire_dashboard.config import Settings
from tradewire_dashboard.models import QuarantinedTrade, RecorderCursor, Trade
from tradewire_dashboard.recorder import Recorder
from tradewire_dashboard.recorder_process import recorder_runtime
from tradewire_dashboard.runtime import dashboard_runtime
from tradewire_dashboard.storage import Stored, store
from tradewire_schemas import PriceUpdated
from tradewire_testing import eventually

from .test_consumer import status, trade


def _count() -> int:
    return Trade.objects.count()


count = database_sync_to_async(_count)


def _rows() -> list[dict[str, Any]]:
    fields = ("event_id", "seq", "offset", "price", "side", "bot__bot_id")
    return list(Trade.objects.order_by("executed_at").values(*fields))


async def _recorded(n: int) -> bool:
    return await count() == n


async def test_every_trade_on_the_bus_is_recorded_once_with_its_offset(settings: Settings, bus: RedisBus) -> None:
    await bus.publish(status("running"))
    before = [await bus.publish(trade(n)) for n in (1, 2, 3)]
    await bus.publish(
        PriceUpdated(
            bot_id="alpha",
            symbol="BTC/USDT",
            last=Decimal(1),
            bid=Decimal(1),
            ask=Decimal(1),
            change_pct=Decimal(0),
            iteration=1,
        )
    )
    async with recorder_runtime(settings) as runtime:
        await eventually(lambda: _recorded(3), what="the trades published before the start are recorded")
        after = await bus.publish(trade(4, "sell", bot="beta"))
        await eventually(lambda: _recorded(4), what="a live trade is recorded")
        assert runtime.recorder.stats.recorded == 4

    rows = await database_sync_to_async(_rows)()
    published = [*before, after]
    assert [(str(r["event_id"]), r["offset"], r["bot__bot_id"]) for r in rows] == [
        (str(e.event.event_id), e.offset, e.event.bot_id) for e in published
    ]
    assert rows[0]["price"] == Decimal("42001")  # exact, not a float's approximation


async def test_a_burst_of_live_trades_shares_transactions_and_dates_the_bot(settings: Settings, bus: RedisBus) -> None:
    await bus.publish(status("running"))
    async with recorder_runtime(settings) as runtime:
        await eventually(lambda: runtime.recorder.stats.restarts == 0 and runtime.hub.stats.clients >= 1)
        batches_before = runtime.recorder.stats.batches
        burst = [await bus.publish(trade(n)) for n in range(1, 41)]
        await eventually(lambda: _recorded(40), what="the burst is recorded")
        batches = runtime.recorder.stats.batches - batches_before
    assert batches <= 10, f"40 trades in a burst took {batches} transactions"
    newest = max(e.event.ts for e in burst)
    assert await database_sync_to_async(_last_trade_at)("alpha") == newest


def _last_trade_at(bot_id: str) -> Any:
    from tradewire_dashboard.models import Bot

    return Bot.objects.get(bot_id=bot_id).last_trade_at


async def test_recording_the_same_trades_twice_changes_nothing(settings: Settings, bus: RedisBus) -> None:
    envelopes = [await bus.publish(trade(n)) for n in (1, 2, 3)]
    assert await database_sync_to_async(store)(envelopes) == Stored(new=3)
    assert await database_sync_to_async(store)(envelopes) == Stored(duplicates=3)
    assert await count() == 3


async def test_recorder_resumes_after_the_last_trade_it_stored(settings: Settings, bus: RedisBus) -> None:
    first = [await bus.publish(trade(n)) for n in (1, 2)]
    async with recorder_runtime(settings):
        await eventually(lambda: _recorded(2))
    cursor = await database_sync_to_async(lambda: RecorderCursor.objects.get(bot__bot_id="alpha").offset)()
    assert cursor == first[-1].offset

    for n in (3, 4, 5):  # published while no dashboard runs
        await bus.publish(trade(n))
    async with recorder_runtime(settings) as runtime:
        await eventually(lambda: _recorded(5))
        assert runtime.recorder.stats.duplicates == 0  # nothing before the cursor was read again


async def test_recorder_starts_over_when_redis_lost_its_data(settings: Settings, bus: RedisBus) -> None:
    async with recorder_runtime(settings):
        await bus.publish(trade(1))
        await eventually(lambda: _recorded(1))
    # A Redis restart without persistence (on a cluster: every master's): new epoch, the old cursor
    # means nothing.
    await bus.redis.flushall()
    fresh = await bus.publish(trade(2))
    async with recorder_runtime(settings):
        await eventually(lambda: _recorded(2), what="the trade in the new epoch is recorded")
    rows = await database_sync_to_async(_rows)()
    assert str(rows[-1]["event_id"]) == str(fresh.event.event_id)


async def test_a_bot_first_heard_live_has_its_earlier_trades_read_from_its_stream(
    settings: Settings, bus: RedisBus
) -> None:
    earlier = [await bus.publish(trade(n, bot="late")) for n in (1, 2)]
    await bus.publish(status("running", bot="late"))
    first_heard = await bus.publish(trade(3, bot="late"))
    async with dashboard_runtime(settings) as runtime:
        recorder = Recorder(runtime.bus, runtime.hub)
        found = await recorder._earlier_trades("late", [first_heard])
    assert [e.offset for e in found] == [e.offset for e in earlier]


def _quarantined() -> list[tuple[str, str]]:
    return list(QuarantinedTrade.objects.order_by("offset").values_list("offset", "reason"))


async def test_a_trade_the_table_cannot_hold_is_quarantined_and_the_recorder_moves_on(
    settings: Settings, bus: RedisBus
) -> None:
    huge = await bus.publish(trade(1).model_copy(update={"price": Decimal("1e20")}))
    long_id = await bus.publish(trade(2).model_copy(update={"order_id": "x" * 129}))
    fine = await bus.publish(trade(3))
    async with recorder_runtime(settings) as runtime:
        await eventually(lambda: _recorded(1), what="the good trade is recorded")
        assert runtime.recorder.stats.quarantined == 2
        assert runtime.recorder.stats.restarts == 0
    quarantined = await database_sync_to_async(_quarantined)()
    assert [offset for offset, _ in quarantined] == [huge.offset, long_id.offset]
    assert "price" in quarantined[0][1] and "order_id" in quarantined[1][1]
    cursor = await database_sync_to_async(lambda: RecorderCursor.objects.get(bot__bot_id="alpha").offset)()
    assert cursor == fine.offset


async def test_a_forged_envelope_never_becomes_the_recorders_cursor(settings: Settings, bus: RedisBus) -> None:
    first = await bus.publish(trade(1))
    async with recorder_runtime(settings) as runtime:
        await eventually(lambda: _recorded(1))
        forged = first.event.model_copy(update={"seq": 1_000_000_000, "order_id": "forged"})
        channel = bus.topics.bot_events("alpha")
        # Through the bus's own publish (SPUBLISH to the bot's shard on a cluster), as a rogue client would.
        await bus.clients.publish(channel, first.model_copy(update={"event": forged}).model_dump_json())
        raw = first.model_copy(update={"event": forged}).model_dump_json().replace(first.offset, "garbage")
        await bus.clients.publish(channel, raw)
        second = await bus.publish(trade(2))
        await eventually(lambda: _recorded(2), what="the real trade after the forgeries is recorded")
        assert (runtime.bus.stats.forged, runtime.bus.stats.garbage) == (1, 1)
    cursor = await database_sync_to_async(lambda: RecorderCursor.objects.get(bot__bot_id="alpha").offset)()
    assert cursor == second.offset


async def test_a_malformed_stored_cursor_starts_the_bot_over(settings: Settings, bus: RedisBus) -> None:
    await bus.publish(trade(1))
    async with recorder_runtime(settings):
        await eventually(lambda: _recorded(1))
    await database_sync_to_async(lambda: RecorderCursor.objects.update(offset="garbage"))()
    await bus.publish(trade(2))
    async with recorder_runtime(settings) as runtime:
        await eventually(lambda: _recorded(2), what="recorded after a cursor that was garbage")
        assert runtime.recorder.stats.restarts == 0
