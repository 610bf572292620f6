"""Every exit fires in its own scenario and says why on the bus (a real Redis), with the entry it closed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from candle_list import CandleList
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewire_bus import RedisBus
from tradewire_schemas import ClosePosition, OrderRefused, PositionsChanged, StatusChanged, TradeExecuted
from tradewire_testing import RedisServer
from tradewire_trader.candles import Candle
from tradewire_trader.command_handler import CommandHandler
from tradewire_trader.components import build_paper_trader
from tradewire_trader.exits import ExitWatch
from tradewire_trader.positions import Position
from tradewire_trader.risk import Risk
from tradewire_trader.settings import Settings
from tradewire_trader.state_store import StateStore
from tradewire_trader.strategies import Bar, Intent, Strategy, enter
from tradewire_trader.trader import Trader

pytestmark = pytest.mark.redis
MINUTE = 60_000


class AlwaysIn(Strategy):
    """Enters whenever flat; never exits by itself, so whatever sells is a rule."""

    name = "always_in"

    def decide(self, bar: Bar, position: Any) -> Intent | None:
        return enter("in") if position is None else None


def path(*closes: float | str) -> list[Candle]:
    return [Candle(i * MINUTE, D(str(c)), D(str(c)), D(str(c)), D(str(c)), D(1000)) for i, c in enumerate(closes)]


@pytest.fixture
async def bus(redis_server: RedisServer) -> AsyncIterator[RedisBus]:
    async with RedisBus.connect(redis_server.url) as connected:
        yield connected


async def trade_on_bus(
    make_settings: Callable[..., Settings], tmp_path: Path, bus: RedisBus, candles: list[Candle], **risk: Any
) -> tuple[Trader, list[Any]]:
    # 1 BTC at 100 USDT: above the 5 USDT minimum order value; no slippage, so prices are the closes
    values = {"order_size": D(1), "slippage": D(0), **risk}
    settings = make_settings(tmp_path, bot_id="exits", **values)
    store = StateStore(settings.state_path)
    trader = build_paper_trader(settings, store, bus.publisher, strategy=AlwaysIn())
    trader.change_status("running", "started")
    await run(trader, candles)
    return trader, [e.event for e in await bus.history(settings.bot_id, limit=10_000)]


async def run(trader: Trader, candles: list[Candle]) -> None:
    import asyncio

    drainer = asyncio.create_task(trader.outbox.run())
    try:
        await trader.run(CandleList(candles))
        assert await trader.outbox.flush(10)
    finally:
        drainer.cancel()


def exits(events: list[Any]) -> list[TradeExecuted]:
    return [e for e in events if isinstance(e, TradeExecuted) and e.side == "sell"]


@pytest.mark.parametrize(
    ("risk", "closes", "reason"),
    [
        # bought at the open of candle 1 (100); the close of candle 2 is 2 % down: stoploss at 1.5 %
        ({"stoploss_pct": D("1.5")}, (100, 100, 98, 98, 98), "stoploss"),
        # best close 110, then 107.8 is 2 % below it: trailing at 2 % (not the 5 % fixed stop)
        ({"trailing_stop_pct": D(2), "stoploss_pct": D(5)}, (100, 100, 105, 110, "107.8", 107, 107), "trailing_stop"),
        ({"take_profit_pct": D(3)}, (100, 100, 101, 103, 103, 103), "take_profit"),
        # ROI: 10 % at first, 1 % from 3 minutes on; 102 (2 %) qualifies only once the trade is 3 minutes old
        ({"roi": {0: D(10), 3: D(1)}}, (100, 100, 102, 102, 102, 102, 102, 102), "roi"),
        ({"time_limit_minutes": 3}, (100, 100, 100, 100, 100, 100, 100, 100), "time_limit"),
    ],
    ids=["stoploss", "trailing_stop", "take_profit", "roi", "time_limit"],
)
async def test_each_exit_rule_sells_and_the_trade_says_why(
    settings_for: Callable[..., Settings],
    tmp_path: Path,
    bus: RedisBus,
    risk: dict[str, Any],
    closes: tuple[Any, ...],
    reason: str,
) -> None:
    trader, events = await trade_on_bus(settings_for, tmp_path, bus, path(*closes), **risk)
    sold = exits(events)
    assert sold, f"no exit in {[e.type for e in events]}"
    first = sold[0]
    assert (first.reason, first.order_type, first.liquidity) == (reason, "market", "taker")
    assert first.entry is not None and first.entry.price == D(100)
    assert (
        first.market_time is not None
        and first.entry.duration_s == (first.market_time - first.entry.market_time).total_seconds()
    )
    buys = [e for e in events if isinstance(e, TradeExecuted) and e.side == "buy"]
    assert buys[0].reason == "signal" and buys[0].tag == "in"
    positions = [e for e in events if isinstance(e, PositionsChanged)]
    assert (positions and positions[-1].positions == []) or trader.positions


async def test_the_drawdown_stop_closes_the_position_and_stops_the_bot(
    settings_for: Callable[..., Settings], tmp_path: Path, bus: RedisBus
) -> None:
    trader, events = await trade_on_bus(
        settings_for, tmp_path, bus, path(100, 100, 95, 90, 85, 85, 85), max_drawdown_pct=D("0.05")
    )
    assert [e.reason for e in exits(events)] == ["drawdown_stop"]
    stopped = [e for e in events if isinstance(e, StatusChanged) and e.status == "stopped"]
    assert stopped and "max drawdown 0.05% reached" in stopped[0].reason
    assert trader.status == "stopped" and trader.book.position == 0


async def test_close_position_sells_at_market_with_reason_manual(
    settings_for: Callable[..., Settings], tmp_path: Path, bus: RedisBus
) -> None:
    trader, _ = await trade_on_bus(settings_for, tmp_path, bus, path(100, 100, 100))
    assert trader.book.position > 0
    result = await CommandHandler(trader, 5).handle(ClosePosition(bot_id=trader.bot_id, actor="ops"))
    assert result.outcome == "completed" and "closing 1.00000 BTC at market" in result.message
    await trader.on_candle(Candle(3 * MINUTE, D(101), D(101), D(101), D(101), D(1000)))
    await run(trader, [])
    events = [e.event for e in await bus.history(trader.bot_id, limit=1000)]
    [manual] = [e for e in exits(events) if e.reason == "manual"]
    assert manual.tag == "closed by ops" and trader.book.position == 0
    again = await CommandHandler(trader, 5).handle(ClosePosition(bot_id=trader.bot_id, actor="ops"))
    assert again.outcome == "completed" and "no open position" in again.message


async def test_a_refused_entry_is_published_with_the_markets_limits(
    settings_for: Callable[..., Settings], tmp_path: Path, bus: RedisBus
) -> None:
    # 0.00001 BTC at 100 USDT is worth 0.001 USDT: below the 5 USDT minimum order value
    trader, events = await trade_on_bus(
        settings_for, tmp_path, bus, path(100, 100, 100, 100, 100), order_size=D("0.00001")
    )
    refused = [e for e in events if isinstance(e, OrderRefused)]
    assert refused and "below the minimum 5" in refused[0].reason
    assert refused[0].limits is not None and refused[0].limits.min_cost == D(5)
    assert [r.refusals_in_a_row for r in refused] == [1, 2, 4]  # five candles asked: reported at 1, 2, 4
    assert trader.rejected_orders == 5 and trader.book.trades == 0


@settings(max_examples=200, deadline=None)
@given(
    entry=st.decimals(min_value=1, max_value=100_000, places=2),
    moves=st.lists(st.decimals(min_value=-30, max_value=30, places=2), min_size=1, max_size=30),
    stop=st.none() | st.decimals(min_value="0.1", max_value=50, places=1),
    trail=st.none() | st.decimals(min_value="0.1", max_value=50, places=1),
    take=st.none() | st.decimals(min_value="0.1", max_value=100, places=1),
)
def test_exit_rules_fire_exactly_when_their_threshold_is_crossed(
    entry: D, moves: list[D], stop: D | None, trail: D | None, take: D | None
) -> None:
    risk = Risk(stoploss_pct=stop, trailing_stop_pct=trail, take_profit_pct=take)
    position = Position("BTC/USDT", D(1), entry, 0, entry)
    watch = ExitWatch(risk, position)
    close = entry
    for minute, move in enumerate(moves, start=1):
        close = max(D("0.01"), close * (1 + move / 100))
        if close > position.peak:
            watch.raise_peak(close)
        fired = watch.fired(close, minute * MINUTE)
        profit = (close - entry) * 100 / entry
        below_stop = stop is not None and profit <= -stop
        below_trail = trail is not None and (position.peak - close) * 100 / position.peak >= trail
        above_take = take is not None and profit >= take
        if fired is None:
            assert not (below_stop or below_trail or above_take)
            continue
        reason, _ = fired
        assert {"stoploss": below_stop, "trailing_stop": below_trail, "take_profit": above_take}[reason]
        if reason == "take_profit":
            assert not (below_stop or below_trail)  # stops are checked first
        break
