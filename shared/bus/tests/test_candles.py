"""The capped candle stream a chart reads when it opens, and the open positions in the snapshot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tradewire_bus import BusConfig, RedisBus
from tradewire_schemas import CandleClosed, OpenPosition, PositionsChanged, PriceUpdated

START = datetime(2023, 3, 1, tzinfo=UTC)


def candle(bot_id: str, minute: int) -> CandleClosed:
    price = Decimal(42000 + minute)
    return CandleClosed(
        bot_id=bot_id, symbol="BTC/USDT", timeframe="1m", open_time=START + timedelta(minutes=minute),
        open=price, high=price + 5, low=price - 5, close=price + 1, volume=Decimal(3), plots={"sma": float(minute)},
    )  # fmt: skip


async def test_the_last_candles_are_kept_per_bot_oldest_first_and_capped(any_redis_url: str) -> None:
    async with RedisBus.connect(any_redis_url, BusConfig(candle_history=10)) as bus:
        for minute in range(40):
            await bus.publish(candle("alpha", minute))
            await bus.publish(PriceUpdated(bot_id="alpha", symbol="BTC/USDT", last="1", bid="1", ask="1",
                                           change_pct="0", iteration=minute))  # fmt: skip
        await bus.publish(candle("beta", 0))
        last = await bus.candles("alpha", limit=5)
        assert [c.plots["sma"] for c in last] == [35.0, 36.0, 37.0, 38.0, 39.0]
        kept = await bus.candles("alpha", limit=1000)
        # MAXLEN ~ trims whole macro nodes only: at least the cap is kept, never everything.
        assert 10 <= len(kept) < 40 and kept[-1].open_time == START + timedelta(minutes=39)
        assert [c.bot_id for c in await bus.candles("beta")] == ["beta"]
        # Candles are ordinary events too: on the bot's stream with a seq, between the price updates.
        history = await bus.history_before("alpha", limit=2)
        assert [e.event.type for e in history] == ["price_update", "candle_closed"]


async def test_an_unknown_bot_has_no_candles_and_garbage_is_skipped(bus: RedisBus) -> None:
    assert await bus.candles("nobody") == []
    await bus.redis.xadd(bus.topics.bot_candles("alpha"), {"event": b"garbage"})
    await bus.publish(candle("alpha", 1))
    assert [c.open_time.minute for c in await bus.candles("alpha")] == [1]


async def test_the_snapshot_holds_the_latest_open_positions(bus: RedisBus) -> None:
    held = OpenPosition(symbol="BTC/USDT", amount=Decimal("0.01"), entry_price=Decimal(42000), entry_time=START)
    await bus.publish(PositionsChanged(bot_id="alpha", positions=[held]))
    assert (await bus.snapshot("alpha")).positions.positions == [held]  # type: ignore[union-attr]
    await bus.publish(PositionsChanged(bot_id="alpha", positions=[]))
    snapshot = await bus.snapshot("alpha")
    assert snapshot.positions is not None and snapshot.positions.positions == []
