"""The fill model's bounds on every fill of long replays: inside the candle, at most its volume share."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from decimal import Decimal as D
from pathlib import Path

import pytest
from candle_list import CandleList

from tradewire_bus import InMemoryPublisher
from tradewire_schemas import TradeExecuted
from tradewire_trader.candles import Candle
from tradewire_trader.components import build_paper_trader
from tradewire_trader.market_data import read_ohlcv_csv, sample_csv
from tradewire_trader.settings import Settings
from tradewire_trader.state_store import StateStore
from tradewire_trader.synthetic import synthetic_series
from tradewire_trader.trader import Trader

Runner = Callable[[Trader, CandleList], Awaitable[None]]


@pytest.mark.parametrize(
    ("source", "overrides"),
    [
        ("sample", {}),
        ("synthetic", {"strategy": "rsi_reversion", "stoploss_pct": D(1), "take_profit_pct": D("1.5")}),
        # orders as big as the market: slippage at its cap and partial fills on every entry
        ("synthetic", {"strategy": "bollinger_reversion", "order_size": D(4), "starting_quote": D(10_000_000)}),
    ],
    ids=["sample-sma", "synthetic-rsi-exits", "synthetic-bollinger-huge-orders"],
)
async def test_every_fill_is_inside_its_candle_and_within_its_volume_share(
    tmp_path: Path, settings_for: Callable[..., Settings], run_to_end: Runner, source: str, overrides: dict[str, object]
) -> None:
    candles: list[Candle] = (
        list(read_ohlcv_csv(sample_csv()))
        if source == "sample"
        else list(itertools.islice(synthetic_series(5, D(42000), 60), 20_000))
    )
    settings = settings_for(tmp_path, **overrides)
    publisher = InMemoryPublisher()
    trader = build_paper_trader(settings, StateStore(settings.state_path), publisher)
    trader.status = "running"
    await run_to_end(trader, CandleList(candles))
    by_time = {c.timestamp_ms: c for c in candles}
    trades = [e for e in publisher.events() if isinstance(e, TradeExecuted)]
    assert len(trades) > 10
    for trade in trades:
        assert trade.market_time is not None
        candle = by_time[int(trade.market_time.timestamp() * 1000)]
        assert candle.low <= trade.price <= candle.high, (trade, candle)
        assert trade.amount <= candle.volume * settings.volume_share or settings.volume_share == 0
        assert trade.liquidity == "taker" and trade.order_type == "market"
    if overrides.get("order_size") == D(4):
        assert any(t.amount < D(4) for t in trades if t.side == "buy"), "a 4 BTC order on ~5 BTC candles fills in parts"
